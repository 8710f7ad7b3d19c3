//! IVIM cases: `ivim_fit`.

use osipy::ivim::Fit;

use crate::Case;

/// Runs the IVIM case `name`; false when it is not one.
pub fn run(name: &str, case: &Case) -> Result<bool, String> {
    match name {
        "ivim_fit" => {
            let mask = case.mask_opt("mask")?;
            let signal = case.input("signal")?;
            let b: Vec<f64> = case.input("b_values")?.iter().copied().collect();
            let method = case
                .arg("method")
                .unwrap_or("segmented")
                .parse()
                .map_err(|e: osipy::Error| e.to_string())?;
            let mut f = Fit::new(method, b);
            if let Some(t) = case.num("b_threshold")? {
                f = f.threshold(t);
            }
            if let Some(m) = &mask {
                f = f.mask(m);
            }
            case.output_maps(&f.fit(&signal).map_err(|e| e.to_string())?)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
