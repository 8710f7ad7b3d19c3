//! AIF cases: `aif_population` (a population model on `time`), `aif_detect` (automatic
//! detection in a 4-D concentration series).

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use osipy::aif::{detect_aif, AifDetectOptions, PopulationAif};

use crate::Case;

/// Runs the AIF case `name`; false when it is not one.
pub fn run(name: &str, case: &Case) -> Result<bool, String> {
    match name {
        "aif_population" => {
            let model: PopulationAif = case
                .arg("model")
                .unwrap_or("parker")
                .parse()
                .map_err(|e: osipy::Error| e.to_string())?;
            let t: Vec<f64> = case.input("time")?.iter().copied().collect();
            let delay = case.num("delay")?.unwrap_or(0.0);
            let c = model.evaluate(&t, delay).map_err(|e| e.to_string())?;
            case.output("aif", &Array1::from(c).into_dyn())?;
            Ok(true)
        }
        "aif_detect" => {
            let conc = case.input("concentration")?;
            let t: Vec<f64> = case.input("time")?.iter().copied().collect();
            let shape = conc.shape().to_vec();
            let mask = match case.mask_opt("mask")? {
                Some(m) => m,
                None => ArrayD::from_elem(IxDyn(&shape[..3]), true),
            };
            let mut opts = AifDetectOptions::default();
            if let Some(n) = case.num("n_voxels")? {
                opts.n_voxels = n as usize;
            }
            let d = detect_aif(&t, &conc, &mask, &opts).map_err(|e| e.to_string())?;
            case.output("aif", &Array1::from(d.aif).into_dyn())?;
            let voxels = Array2::from_shape_fn((d.voxels.len(), 3), |(i, j)| d.voxels[i][j] as f64);
            case.output("voxels", &voxels.into_dyn())?;
            case.output("scores", &Array1::from(d.scores).into_dyn())?;
            case.output("score", &d.features.score.into_dyn())?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
