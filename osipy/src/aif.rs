//! Arterial input functions: population models and automatic detection.
//!
//! # Population AIFs
//!
//! | model | kernel | compartment | reference |
//! |---|---|---|---|
//! | Parker | [`parker::parker_cb`](fn@parker::parker_cb) | blood | Parker et al. MRM 2006; 56:993 |
//! | Georgiou | [`georgiou::georgiou_cb`](fn@georgiou::georgiou_cb) | blood | Georgiou et al. MRM 2019; 81:1955 (doi:10.1002/mrm.27524, online 2018) |
//! | McGrath (model B, rat) | [`mcgrath::mcgrath_cb`](fn@mcgrath::mcgrath_cb) | blood | McGrath et al. MRM 2009; 61:1173 |
//! | Weinmann (Tofts–Kermode) | [`biexp::weinmann_cp`](fn@biexp::weinmann_cp) | plasma | Weinmann et al. 1984; Tofts & Kermode MRM 1991; 17:357 |
//! | Fritz-Hansen | [`biexp::fritz_hansen_cp`](fn@biexp::fritz_hansen_cp) | plasma | Fritz-Hansen et al. MRM 1996; 36:225 |
//!
//! Each model is an `#[xp_kernel]` of one time point, `(t: f64, #[uniform] delay: f64) -> f64`,
//! so it runs on every device and can be called from other kernels (a tissue model with a
//! per-voxel delay, for example); a `*_with` kernel takes the constants as a uniform row, and
//! each model's submodule documents its formula, constants and their units. At this API
//! **time is in seconds** and concentrations are in mM, whatever unit the paper used. A delay
//! (s) shifts the curve: the value at `t` is the model at `t - delay`, and every model here is
//! zero before its time origin (`t < delay`): the bolus arrival for Georgiou and McGrath, the
//! injection for the bi-exponential models, and the start of the published curve for Parker
//! (whose functional form is not zero there: 0.08 mM at its t = 0; the OSIPI reference data
//! also set it to zero before the delay). Blood curves convert to plasma as `Cp = Cb / (1 -
//! Hct)`.
//!
//! ```
//! use osipy::aif::{self, PopulationAif};
//!
//! let t: Vec<f64> = (0..60).map(|k| 5.0 * k as f64).collect(); // s
//! let cb = aif::parker(&t, 10.0)?; // bolus delayed by 10 s
//! assert_eq!(cb[1], 0.0); // before the delay
//! let peak = cb.iter().cloned().fold(0.0, f64::max);
//! assert!(peak > 5.0 && peak < 6.5);
//! // The same through the enum, as a command line would pick it.
//! let m: PopulationAif = "parker".parse()?;
//! assert_eq!(m.evaluate(&t, 10.0)?, cb);
//! # Ok::<(), osipy::Error>(())
//! ```
//!
//! # Automatic detection
//!
//! [`detect_aif`] finds arterial voxels in a 4-D concentration series (x, y, z, t) within a
//! mask and averages the best of them; see [`detect`] for the method and its references.

use std::fmt;
use std::str::FromStr;

use osipy_kernels::{IntoXpRef, XpArray};

use crate::{Error, Result};

pub mod biexp;
pub mod detect;
pub mod features;
pub mod georgiou;
pub mod mcgrath;
pub mod parker;

pub use biexp::BiexpParams;
pub use detect::{detect_aif, AifDetectOptions, AifDetection};
pub use georgiou::GeorgiouParams;
pub use mcgrath::McGrathParams;
pub use parker::ParkerParams;

/// Which concentration a population AIF gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AifCompartment {
    /// Whole blood (`Cb`); plasma is `Cb / (1 - Hct)`.
    Blood,
    /// Blood plasma (`Cp`).
    Plasma,
}

/// The population AIFs by name, for a command line or a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PopulationAif {
    /// Parker et al. 2006 ([`parker`](mod@parker)), blood.
    Parker,
    /// Georgiou et al. 2018 ([`georgiou`](mod@georgiou)), blood.
    Georgiou,
    /// McGrath et al. 2009, model B, preclinical ([`mcgrath`](mod@mcgrath)), blood.
    McGrath,
    /// Weinmann et al. 1984 as Tofts and Kermode 1991 ([`biexp`]), plasma.
    Weinmann,
    /// Fritz-Hansen et al. 1996 ([`biexp`]), plasma.
    FritzHansen,
}

impl PopulationAif {
    /// Every model, in a fixed order.
    pub const ALL: [PopulationAif; 5] = [
        PopulationAif::Parker,
        PopulationAif::Georgiou,
        PopulationAif::McGrath,
        PopulationAif::Weinmann,
        PopulationAif::FritzHansen,
    ];

    /// The model's name as [`FromStr`] reads it: `parker`, `georgiou`, `mcgrath`, `weinmann`,
    /// `fritz-hansen`.
    pub fn name(self) -> &'static str {
        match self {
            PopulationAif::Parker => "parker",
            PopulationAif::Georgiou => "georgiou",
            PopulationAif::McGrath => "mcgrath",
            PopulationAif::Weinmann => "weinmann",
            PopulationAif::FritzHansen => "fritz-hansen",
        }
    }

    /// Whether the model gives blood or plasma concentrations.
    pub fn compartment(self) -> AifCompartment {
        match self {
            PopulationAif::Parker | PopulationAif::Georgiou | PopulationAif::McGrath => AifCompartment::Blood,
            PopulationAif::Weinmann | PopulationAif::FritzHansen => AifCompartment::Plasma,
        }
    }

    /// The publication the model and its constants come from.
    pub fn reference(self) -> &'static str {
        match self {
            PopulationAif::Parker => "Parker GJM et al. Magn Reson Med 2006; 56:993-1000, doi:10.1002/mrm.21066",
            PopulationAif::Georgiou => "Georgiou L et al. Magn Reson Med 2019; 81:1955-1963, doi:10.1002/mrm.27524",
            PopulationAif::McGrath => "McGrath DM et al. Magn Reson Med 2009; 61:1173-1184, doi:10.1002/mrm.21959 (model B)",
            PopulationAif::Weinmann => {
                "Weinmann HJ et al. Physiol Chem Phys Med NMR 1984; 16:167-172; Tofts PS, Kermode AG. Magn Reson Med 1991; 17:357-367"
            }
            PopulationAif::FritzHansen => {
                "Fritz-Hansen T et al. Magn Reson Med 1996; 36:225-231 (constants as Whitcher & Schmid, J Stat Softw 2011; 44(5))"
            }
        }
    }

    /// The concentration (mM, [`compartment`](Self::compartment)) at times `t_s` (s) for a
    /// bolus delayed by `delay_s` (s), on the CPU. Errors: a non-finite `delay_s`.
    pub fn evaluate(self, t_s: &[f64], delay_s: f64) -> Result<Vec<f64>> {
        check_delay("PopulationAif::evaluate", delay_s)?;
        Ok(self.launch(t_s, delay_s)?.into_host()?.into_iter().collect())
    }

    /// The model's kernel launched on `t_s` (s, any shape, on the host or a device): the
    /// concentration (mM) for a bolus delayed by `delay_s` (s), where `t_s` lives. Errors: a
    /// non-finite `delay_s`, and the launch's errors.
    pub fn launch<'a>(self, t_s: impl IntoXpRef<'a, f64>, delay_s: f64) -> Result<XpArray<f64>> {
        check_delay("PopulationAif::launch", delay_s)?;
        let out = match self {
            PopulationAif::Parker => parker::parker_cb::launch(t_s, delay_s),
            PopulationAif::Georgiou => georgiou::georgiou_cb::launch(t_s, delay_s),
            PopulationAif::McGrath => mcgrath::mcgrath_cb::launch(t_s, delay_s),
            PopulationAif::Weinmann => biexp::weinmann_cp::launch(t_s, delay_s),
            PopulationAif::FritzHansen => biexp::fritz_hansen_cp::launch(t_s, delay_s),
        };
        Ok(out?)
    }
}

impl fmt::Display for PopulationAif {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PopulationAif {
    type Err = Error;

    /// Reads a model name, ignoring case, `-` and `_` (`Fritz_Hansen`, `fritzhansen`).
    fn from_str(s: &str) -> Result<Self> {
        let key: String = s
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        PopulationAif::ALL
            .into_iter()
            .find(|m| m.name().replace('-', "") == key)
            .ok_or_else(|| Error::Invalid {
                function: "PopulationAif::from_str",
                arg: "s",
                expected: "one of parker, georgiou, mcgrath, weinmann, fritz-hansen".into(),
                found: format!("{s:?}"),
            })
    }
}

/// Parker AIF (blood, mM) at times `t_s` (s) for a bolus delayed by `delay_s` (s); zero before
/// the delay. Errors: a non-finite `delay_s`.
pub fn parker(t_s: &[f64], delay_s: f64) -> Result<Vec<f64>> {
    check_delay("aif::parker", delay_s)?;
    collect(parker::parker_cb::launch(t_s, delay_s))
}

/// Georgiou AIF (blood, mM; [`GeorgiouParams::SUPPLEMENTARY`]) at times `t_s` (s) for a
/// bolus arriving at `delay_s` (s). Errors: a non-finite `delay_s`.
pub fn georgiou(t_s: &[f64], delay_s: f64) -> Result<Vec<f64>> {
    check_delay("aif::georgiou", delay_s)?;
    collect(georgiou::georgiou_cb::launch(t_s, delay_s))
}

/// McGrath model-B preclinical AIF (blood, mM) at times `t_s` (s) for a bolus arriving at
/// `delay_s` (s). Errors: a non-finite `delay_s`.
pub fn mcgrath(t_s: &[f64], delay_s: f64) -> Result<Vec<f64>> {
    check_delay("aif::mcgrath", delay_s)?;
    collect(mcgrath::mcgrath_cb::launch(t_s, delay_s))
}

/// Weinmann AIF (plasma, mM; Tofts–Kermode constants, 0.1 mmol/kg) at times `t_s` (s) for an
/// injection at `delay_s` (s). Errors: a non-finite `delay_s`.
pub fn weinmann(t_s: &[f64], delay_s: f64) -> Result<Vec<f64>> {
    check_delay("aif::weinmann", delay_s)?;
    collect(biexp::weinmann_cp::launch(t_s, delay_s))
}

/// Fritz-Hansen AIF (plasma, mM) at times `t_s` (s) for an injection at `delay_s` (s).
/// Errors: a non-finite `delay_s`.
pub fn fritz_hansen(t_s: &[f64], delay_s: f64) -> Result<Vec<f64>> {
    check_delay("aif::fritz_hansen", delay_s)?;
    collect(biexp::fritz_hansen_cp::launch(t_s, delay_s))
}

/// A delay must be a finite number of seconds.
fn check_delay(function: &'static str, delay_s: f64) -> Result<()> {
    if delay_s.is_finite() {
        Ok(())
    } else {
        Err(Error::Invalid {
            function,
            arg: "delay_s",
            expected: "a finite delay in seconds".into(),
            found: format!("{delay_s}"),
        })
    }
}

/// A host launch's result as a `Vec`.
fn collect(r: std::result::Result<XpArray<f64>, osipy_kernels::Error>) -> Result<Vec<f64>> {
    Ok(r?.into_host()?.into_iter().collect())
}

/// The mean curve of the voxels of `mask` (an arterial region) in `conc` (voxel axes, then
/// time): the measured AIF of a region drawn on a vessel, one value per frame, in the series'
/// unit. A mask of another voxel shape, one that selects no voxel, or a mean that is not
/// finite (a NaN in a selected curve) is [`Error::Invalid`].
///
/// ```
/// use ndarray::{arr2, arr1};
/// let conc = arr2(&[[0.0, 2.0, 4.0], [0.0, 4.0, 2.0], [9.0, 9.0, 9.0]]);
/// let mean = osipy::aif::mean_curve(&conc.view().into_dyn(), &arr1(&[true, true, false]).into_dyn().view())?;
/// assert_eq!(mean, vec![0.0, 3.0, 3.0]);
/// # Ok::<(), osipy::Error>(())
/// ```
pub fn mean_curve(
    conc: &ndarray::ArrayViewD<'_, f64>,
    mask: &ndarray::ArrayViewD<'_, bool>,
) -> Result<Vec<f64>> {
    let shape = conc.shape();
    let Some((&nt, items)) = shape.split_last() else {
        return Err(Error::Invalid {
            function: "mean_curve",
            arg: "conc",
            expected: "voxels x time".into(),
            found: format!("shape {shape:?}"),
        });
    };
    // The mask's shape and a mask that selects nothing are refused here.
    let voxels = crate::volume::Voxels::new_nonempty("mean_curve", items, Some(mask))?;
    let n = voxels.selected.len();
    let rows = voxels.gather(conc, nt, 0..n)?;
    let mean: Vec<f64> = (0..nt)
        .map(|k| (0..n).map(|i| rows[[i, k]]).sum::<f64>() / n as f64)
        .collect();
    if let Some(k) = mean.iter().position(|v| !v.is_finite()) {
        return Err(Error::Invalid {
            function: "mean_curve",
            arg: "conc",
            expected: "finite curves in the mask".into(),
            found: format!("a mean that is not finite at frame {k}"),
        });
    }
    Ok(mean)
}
