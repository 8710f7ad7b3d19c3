//! T1 cases: `t1_fit` (`t1::VolumeFit`, VFA or Look-Locker, library units: TR and times in s).

use osipy::t1::{Method, VolumeFit};

use crate::Case;

/// Runs the T1 case `name`; false when it is not one.
pub fn run(name: &str, case: &Case) -> Result<bool, String> {
    match name {
        "t1_fit" => {
            let method: Method = case
                .arg("method")
                .unwrap_or("linear")
                .parse()
                .map_err(|e: osipy::Error| e.to_string())?;
            let signal = case.input("signal")?;
            let b1 = case.input_opt("b1")?;
            let mask = case.mask_opt("mask")?;
            let mut fit = if method.is_vfa() {
                VolumeFit::vfa(
                    method,
                    case.nums("flip_angles")?.unwrap_or_default(),
                    case.num("tr")?.unwrap_or(f64::NAN),
                )
            } else {
                VolumeFit::look_locker(case.nums("times")?.unwrap_or_default())
                    .magnitude(case.flag("magnitude"))
            };
            if let Some(b) = &b1 {
                fit = fit.b1(b);
            }
            if let Some(m) = &mask {
                fit = fit.mask(m);
            }
            let maps = fit.fit(&signal).map_err(|e| e.to_string())?;
            case.output_maps(&maps)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
