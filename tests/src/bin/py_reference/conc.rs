//! Signal-to-concentration cases: `dce_signal_to_concentration` (`SignalToConc` with the
//! library's units: T10 in s, TR in s).

use osipy::conc::{Baseline, SignalToConc, Spgr, VoxelValue};

use crate::Case;

/// Runs the signal-to-concentration case `name`; false when it is not one.
pub fn run(name: &str, case: &Case) -> Result<bool, String> {
    match name {
        "dce_signal_to_concentration" => {
            let signal = case.input("signal")?;
            let t10_map = case.input_opt("t10")?;
            let b1_map = case.input_opt("b1")?;
            let t10 = match (&t10_map, case.num("t10")?) {
                (Some(m), _) => VoxelValue::map(m),
                (None, Some(v)) => VoxelValue::Uniform(v),
                (None, None) => return Err("t10 missing".into()),
            };
            let relaxivity = case.num("relaxivity")?.unwrap_or(4.5);
            let baseline = Baseline::range(
                case.num("baseline_start")?.unwrap_or(0.0) as usize,
                case.num("baseline_end")?.unwrap_or(5.0) as usize,
            );
            let mut conv = match case.arg("method").unwrap_or("spgr") {
                "linear" => SignalToConc::linear(t10, relaxivity, baseline),
                _ => SignalToConc::spgr(
                    Spgr {
                        flip_angle: case.num("flip_angle")?.unwrap_or(f64::NAN),
                        tr: case.num("tr")?.unwrap_or(f64::NAN),
                    },
                    t10,
                    relaxivity,
                    baseline,
                ),
            };
            if let Some(b) = &b1_map {
                conv = conv.b1(b);
            }
            let c = conv
                .concentration(&signal)
                .and_then(|c| Ok(c.into_host()?))
                .map_err(|e| e.to_string())?;
            case.output("conc", &c)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
