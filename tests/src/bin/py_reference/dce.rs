//! DCE cases: `dce_fit_model` (`VolumeFit`), `dce_model_curve` (`Model::curve`).

use osipy::dce::{plasma_curvature, AifInterpolation, Model, VolumeFit};

use crate::Case;

/// Runs the DCE case `name`; false when it is not one.
pub fn run(name: &str, case: &Case) -> Result<bool, String> {
    match name {
        "dce_fit_model" => {
            let model_name = case.arg("model").unwrap_or("extended_tofts");
            let model = Model::ALL
                .into_iter()
                .find(|m| m.name() == model_name)
                .ok_or_else(|| format!("unknown model {model_name}"))?
                .with_delay(case.flag("fit_delay"));
            let conc = case.input("concentration")?;
            let aif = case.input("aif")?;
            let time = case.input("time")?;
            let t: Vec<f64> = time.iter().copied().collect();
            let cp: Vec<f64> = aif.iter().copied().collect();
            let mask = case.mask_opt("mask")?;
            let mut fit = VolumeFit::new(model, &t, &cp).interpolation(interpolation(case));
            if let (Some(l), Some(u)) = (case.nums("lower")?, case.nums("upper")?) {
                fit = fit.bounds(l, u);
            }
            if let Some(m) = &mask {
                fit = fit.mask(m);
            }
            let maps = fit.fit(&conc).map_err(|e| e.to_string())?;
            case.output_maps(&maps)?;
            Ok(true)
        }
        "dce_model_curve" => {
            let model = Model::ALL
                .into_iter()
                .find(|m| Some(m.name()) == case.arg("model"))
                .ok_or("unknown model")?
                .with_delay(case.flag("fit_delay"));
            let t: Vec<f64> = case.input("time")?.iter().copied().collect();
            let cp: Vec<f64> = case.input("aif")?.iter().copied().collect();
            let q: Vec<f64> = case.input("params")?.iter().copied().collect();
            let curve = plasma_curvature(&t, &cp, interpolation(case))
                .and_then(|cp2| model.curve(&t, &cp, &cp2, &q))
                .map_err(|e| e.to_string())?;
            case.output("curve", &ndarray::Array1::from(curve).into_dyn())?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn interpolation(case: &Case) -> AifInterpolation {
    match case.arg("interpolation") {
        Some("spline") => AifInterpolation::Spline,
        _ => AifInterpolation::Linear,
    }
}
