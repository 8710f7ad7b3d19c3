//! Reader cases: `io_write_nifti` (writes the input `data` as a float64 NIfTI file at `path`),
//! `io_load_nifti` and `io_load_dicom` (the data and affine the library reads from `path`).

use ndarray::Array2;
use osipy::io::{dicom, nifti};

use crate::Case;

fn affine(a: [[f64; 4]; 4]) -> ndarray::ArrayD<f64> {
    Array2::from_shape_fn((4, 4), |(i, j)| a[i][j]).into_dyn()
}

/// Runs the reader case `name`; false when it is not one.
pub fn run(name: &str, case: &Case) -> Result<bool, String> {
    let path = || case.arg("path").ok_or_else(|| "path missing".to_string());
    match name {
        "io_write_nifti" => {
            let data = case.input("data")?;
            nifti::write(path()?, &data, None, nifti::OutputType::Float64).map_err(|e| e.to_string())?;
            Ok(true)
        }
        "io_load_nifti" => {
            let n = nifti::read(path()?).map_err(|e| e.to_string())?;
            case.output("data", &n.data)?;
            case.output("affine", &affine(n.affine))?;
            Ok(true)
        }
        "io_load_dicom" => {
            let s = dicom::read_series(std::path::Path::new(path()?)).map_err(|e| e.to_string())?;
            case.output("data", &s.data.into_dyn())?;
            case.output("affine", &affine(s.affine))?;
            case.output("times", &ndarray::Array1::from(s.times_s).into_dyn())?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
