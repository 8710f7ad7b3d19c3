//! The readers: NIfTI (`osipy::io::nifti::read`) and DICOM series
//! (`osipy::io::dicom::read_series`), each as the data array, the voxel-to-world affine (RAS+,
//! mm) and a dict of metadata.

use std::path::PathBuf;

use ndarray::{Array2, ArrayD};
use numpy::PyArrayDyn;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::to_numpy;

/// Data, affine and metadata of one image.
type Image<'py> = (
    Bound<'py, PyArrayDyn<f64>>,
    Bound<'py, PyArrayDyn<f64>>,
    Bound<'py, PyDict>,
);

fn affine_out(py: Python<'_>, a: [[f64; 4]; 4]) -> Bound<'_, PyArrayDyn<f64>> {
    let m = Array2::from_shape_fn((4, 4), |(i, j)| a[i][j]);
    to_numpy(py, m.into_dyn())
}

/// Reads a NIfTI-1 or NIfTI-2 image (`.nii` or `.nii.gz`): the data (scaled by
/// `scl_slope`/`scl_inter`, float64), the affine and the header's metadata.
#[pyfunction]
fn io_load_nifti(py: Python<'_>, path: PathBuf) -> PyResult<Image<'_>> {
    let n = py
        .detach(|| osipy::io::nifti::read(&path))
        .map_err(|e| crate::errors::to_py(e.into()))?;
    let meta = PyDict::new(py);
    let h = &n.header;
    meta.set_item("path", n.path.to_string_lossy().to_string())?;
    meta.set_item("dim", h.dim.clone())?;
    meta.set_item("pixdim", h.pixdim.to_vec())?;
    meta.set_item("datatype", osipy::io::nifti::datatype_name(h.datatype.code()))?;
    meta.set_item("voxel_size", h.voxel_size().to_vec())?;
    meta.set_item("time_step_s", n.time_step_s())?;
    meta.set_item("toffset_s", h.toffset_s())?;
    meta.set_item("scl_slope", h.scl_slope)?;
    meta.set_item("scl_inter", h.scl_inter)?;
    meta.set_item("qform_code", h.qform_code)?;
    meta.set_item("sform_code", h.sform_code)?;
    meta.set_item("affine_source", format!("{:?}", n.affine_source).to_lowercase())?;
    meta.set_item("descrip", h.descrip.clone())?;
    meta.set_item("notes", n.notes.clone())?;
    let affine = affine_out(py, n.affine);
    let data: ArrayD<f64> = n.data;
    Ok((to_numpy(py, data), affine, meta))
}

/// Reads a DICOM series (a folder of DICOM files, or one file): the data `[x, y, z, t]`
/// (rescaled, float64), the affine (RAS+, mm) and the series' metadata (times in s as the
/// library gives them).
#[pyfunction]
fn io_load_dicom_series(py: Python<'_>, path: PathBuf) -> PyResult<Image<'_>> {
    let s = py
        .detach(|| osipy::io::dicom::read_series(&path))
        .map_err(|e| crate::errors::to_py(e.into()))?;
    let meta = PyDict::new(py);
    meta.set_item("times_s", s.times_s.clone())?;
    meta.set_item("time_source", format!("{:?}", s.time_source))?;
    meta.set_item("volume_key", format!("{:?}", s.volume_key))?;
    meta.set_item("flip_angle_deg", s.flip_angle_deg)?;
    meta.set_item("repetition_time_s", s.repetition_time_s)?;
    meta.set_item("echo_time_s", s.echo_time_s)?;
    meta.set_item("field_strength_t", s.field_strength_t)?;
    meta.set_item("volume_flip_angles_deg", s.volume_flip_angles_deg.clone())?;
    meta.set_item("volume_repetition_times_s", s.volume_repetition_times_s.clone())?;
    meta.set_item("volume_inversion_times_s", s.volume_inversion_times_s.clone())?;
    meta.set_item("volume_b_values", s.volume_b_values.clone())?;
    meta.set_item("voxel_size_mm", s.voxel_size_mm.to_vec())?;
    meta.set_item("series_uid", s.series_uid.clone())?;
    meta.set_item("series_description", s.series_description.clone())?;
    meta.set_item("series_number", s.series_number)?;
    let files: Vec<String> = s.files.iter().map(|f| f.to_string_lossy().to_string()).collect();
    meta.set_item("files", files)?;
    meta.set_item("notes", s.notes.clone())?;
    let affine = affine_out(py, s.affine);
    Ok((to_numpy(py, s.data.into_dyn()), affine, meta))
}

/// Adds the readers to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(io_load_nifti, m)?)?;
    m.add_function(wrap_pyfunction!(io_load_dicom_series, m)?)?;
    Ok(())
}
