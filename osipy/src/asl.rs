//! ASL (arterial spin labelling): the control/label subtraction driven by the volume types of
//! `aslcontext.tsv`, M0 calibration, single-PLD CBF by the ASL white paper's equations and
//! multi-PLD fits of the Buxton general kinetic model (CBF and arterial transit time).
//!
//! - Per voxel (every step an `#[xp_kernel]`, so CPU, emulator and CUDA run one body): the
//!   subtraction [`kernels::combine`](fn@kernels::combine), the M0 correction
//!   [`kernels::m0_correct`](fn@kernels::m0_correct), single-PLD CBF
//!   [`kernels::single_pld`](fn@kernels::single_pld), the fit models
//!   [`kernels::buxton_pcasl`](fn@kernels::buxton_pcasl) and
//!   [`kernels::buxton_pasl`](fn@kernels::buxton_pasl) (and, optionally, an arterial component:
//!   [`kernels::buxton_pcasl_arterial`](fn@kernels::buxton_pcasl_arterial)) with their start
//!   [`kernels::buxton_start`](fn@kernels::buxton_start).
//! - Across voxels (separate calls whose results the pipeline takes): the M0 of a reference
//!   region ([`m0_reference`]) and the rejection of outlier pairs ([`keep_pairs`], applied by
//!   the pipeline when [`Perfusion::reject_outliers`] is set).
//! - The pipeline [`Perfusion`]: an ASL series (with its [`Context`]) or a ΔM series in, named
//!   maps out.
//!
//! # Units, and the Python osipy's
//!
//! Times in s (PLD, labelling duration, T1, arrival), CBF in ml/100 g/min, ATT in s, M0 and ΔM
//! in the scanner's units, λ in ml/g. The Python osipy takes PLDs, labelling durations and
//! T1s in ms and reports ATT in ms: divide by 1000 to come here (ATT here × 1000 = its ATT).
//! Its Buxton model takes the PLD as the time since the *start* of labelling and leaves out the
//! 1/λ of `M0b = M0 / λ`; here the PLD is the BIDS one (after the end of labelling for
//! PCASL/CASL, the inversion time TI for PASL).
//!
//! # Statuses
//!
//! | code | status | |
//! |---|---|---|
//! | 1 | [`Ok`](AslStatus::Ok) | `ok` |
//! | 2 | [`IterationLimit`](AslStatus::IterationLimit) | `iteration limit`: the fit's best values |
//! | 3 | [`NotConverged`](AslStatus::NotConverged) | `not converged`: stalled at a bound or singular |
//! | 4 | [`NonFiniteData`](AslStatus::NonFiniteData) | `non-finite data` |
//! | 5 | [`NoM0`](AslStatus::NoM0) | `no m0`: the voxel's M0 is not finite and positive |
//! | 7 | [`Masked`](AslStatus::Masked) | `masked` |

use std::str::FromStr;

use ndarray::{ArrayViewD, Zip};

mod context;
pub mod kernels;
mod pipeline;

pub use context::{keep_pairs, Context, Subtraction, VolumeType, Weights};
pub use pipeline::{M0Source, Perfusion};

use crate::{Error, Result};

/// Default partition coefficient λ of the whole brain (ml/g; Herscovitch and Raichle 1985, the
/// white paper's 0.9).
pub const LAMBDA: f64 = 0.9;
/// Default tissue T1 of grey matter at 3 T (s) for the apparent T1 of the kinetic model.
pub const T1_TISSUE: f64 = 1.33;
/// Default outlier threshold of [`keep_pairs`] (scaled MADs).
pub const OUTLIER_MADS: f64 = 3.0;

/// The labelling scheme (BIDS `ArterialSpinLabelingType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Labelling {
    /// Pseudo-continuous labelling.
    Pcasl,
    /// Continuous labelling.
    Casl,
    /// Pulsed labelling (with QUIPSS II bolus cut-off).
    Pasl,
}

impl Labelling {
    /// The labelling efficiency of the white paper: PCASL 0.85, CASL 0.68, PASL 0.98.
    pub fn efficiency(self) -> f64 {
        match self {
            Labelling::Pcasl => 0.85,
            Labelling::Casl => 0.68,
            Labelling::Pasl => 0.98,
        }
    }

    /// The BIDS name (`PCASL`, `CASL`, `PASL`).
    pub fn name(self) -> &'static str {
        match self {
            Labelling::Pcasl => "PCASL",
            Labelling::Casl => "CASL",
            Labelling::Pasl => "PASL",
        }
    }
}

impl FromStr for Labelling {
    type Err = Error;

    fn from_str(s: &str) -> Result<Labelling> {
        match s.to_ascii_uppercase().as_str() {
            "PCASL" => Ok(Labelling::Pcasl),
            "CASL" => Ok(Labelling::Casl),
            "PASL" => Ok(Labelling::Pasl),
            _ => Err(Error::Invalid {
                function: "asl::Labelling::from_str",
                arg: "ArterialSpinLabelingType",
                expected: "PCASL, CASL or PASL".into(),
                found: format!("`{s}`"),
            }),
        }
    }
}

/// Blood T1 (s) at the field strength `tesla`: 1.35 s at 1.5 T and 1.65 s at 3 T (the white
/// paper), 2.09 s at 7 T (Zhang et al., MRM 2013;70:1082-1086); a field within 0.3 T of one of
/// them takes its value, another is an error that asks for the blood T1.
pub fn t1_blood(tesla: f64) -> Result<f64> {
    [(1.5, 1.35), (3.0, 1.65), (7.0, 2.09)]
        .iter()
        .find(|(b, _)| (tesla - b).abs() <= 0.3)
        .map(|(_, t)| *t)
        .ok_or_else(|| Error::Invalid {
            function: "asl::t1_blood",
            arg: "MagneticFieldStrength",
            expected: "1.5, 3 or 7 T (or give the blood T1)".into(),
            found: format!("{tesla} T"),
        })
}

/// The physiological and sequence constants of the quantification (all documented defaults
/// of the white paper, each settable).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantification {
    /// Labelling efficiency α (default by scheme: [`Labelling::efficiency`]).
    pub alpha: Option<f64>,
    /// Background-suppression efficiency (a factor on α; default 1, none). The white paper
    /// gives about 0.95 per inversion pulse (`0.95^n`).
    pub bs_efficiency: f64,
    /// Blood T1 (s; default by field strength, [`t1_blood`]).
    pub t1_blood: Option<f64>,
    /// Field strength (T; default 3).
    pub field_strength: f64,
    /// Tissue T1 (s) of the apparent T1 in the kinetic model (default [`T1_TISSUE`]).
    pub t1_tissue: f64,
    /// Partition coefficient λ (ml/g; default [`LAMBDA`]).
    pub lambda: f64,
}

impl Default for Quantification {
    fn default() -> Self {
        Quantification {
            alpha: None,
            bs_efficiency: 1.0,
            t1_blood: None,
            field_strength: 3.0,
            t1_tissue: T1_TISSUE,
            lambda: LAMBDA,
        }
    }
}

impl Quantification {
    /// `(alpha × bs_efficiency, t1_blood)` for `labelling`, checked.
    pub fn resolve(&self, labelling: Labelling) -> Result<(f64, f64)> {
        let alpha = self.alpha.unwrap_or(labelling.efficiency()) * self.bs_efficiency;
        let t1b = match self.t1_blood {
            Some(t) => t,
            None => t1_blood(self.field_strength)?,
        };
        let check = |arg: &'static str, v: f64, ok: bool, expected: &str| {
            if ok && v.is_finite() {
                Ok(())
            } else {
                Err(Error::Invalid {
                    function: "asl::Quantification",
                    arg,
                    expected: expected.into(),
                    found: format!("{v}"),
                })
            }
        };
        check(
            "alpha",
            alpha,
            alpha > 0.0 && alpha <= 1.0,
            "an efficiency in (0, 1]",
        )?;
        check("t1_blood", t1b, t1b > 0.0, "a blood T1 > 0 s")?;
        check(
            "t1_tissue",
            self.t1_tissue,
            self.t1_tissue > 0.0,
            "a tissue T1 > 0 s",
        )?;
        check(
            "lambda",
            self.lambda,
            self.lambda > 0.0,
            "a partition coefficient > 0 ml/g",
        )?;
        Ok((alpha, t1b))
    }
}

/// The outcome of one voxel (the `status` map holds [`AslStatus::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum AslStatus {
    /// Computed (single PLD) or converged (multi-PLD).
    Ok = 1,
    /// The fit reached its iteration limit; the best values found.
    IterationLimit = 2,
    /// The fit stalled at a bound or was singular; its last values.
    NotConverged = 3,
    /// A ΔM sample is NaN or infinite: NaN maps.
    NonFiniteData = 4,
    /// The voxel's M0 is not finite and positive: NaN maps.
    NoM0 = 5,
    /// Masked out.
    Masked = 7,
}

impl AslStatus {
    /// Every status, in code order.
    pub const ALL: [AslStatus; 6] = [
        AslStatus::Ok,
        AslStatus::IterationLimit,
        AslStatus::NotConverged,
        AslStatus::NonFiniteData,
        AslStatus::NoM0,
        AslStatus::Masked,
    ];

    /// The status of a code, if it is one.
    pub fn from_code(code: u32) -> Option<AslStatus> {
        AslStatus::ALL.iter().copied().find(|s| *s as u32 == code)
    }

    /// The stable code (the value in status maps).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// A few words for people (the `Display` text).
    pub fn name(self) -> &'static str {
        match self {
            AslStatus::Ok => "ok",
            AslStatus::IterationLimit => "iteration limit",
            AslStatus::NotConverged => "not converged",
            AslStatus::NonFiniteData => "non-finite data",
            AslStatus::NoM0 => "no m0",
            AslStatus::Masked => "masked",
        }
    }
}

impl std::fmt::Display for AslStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A reference region for M0 calibration, with its partition coefficient and relaxation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    /// The region's partition coefficient λ_ref (ml/g): the water content relative to blood.
    pub lambda: f64,
    /// Its T1 (s), for the saturation correction at the M0 scan's TR.
    pub t1: f64,
    /// Its T2* (s), for the decay at the echo time.
    pub t2star: f64,
}

impl Reference {
    /// CSF at 3 T: λ 1.15 ml/g, T1 4.3 s, T2* 0.4 s.
    pub const CSF: Reference = Reference {
        lambda: 1.15,
        t1: 4.3,
        t2star: 0.4,
    };
    /// White matter at 3 T: λ 0.82 ml/g, T1 0.84 s, T2* 0.05 s.
    pub const WHITE_MATTER: Reference = Reference {
        lambda: 0.82,
        t1: 0.84,
        t2star: 0.05,
    };
}

/// One M0 value from a reference region, in units of the tissue M0 the equations take: the
/// mean of `m0` over `region`, corrected for saturation at `tr` (s; none when not finite and
/// positive) and T2* decay at `te` (s), times `λ / λ_ref` (`lambda` the tissue's partition
/// coefficient), so that `λ / M0` in the CBF equations becomes `λ_ref / M0_ref`. A region of
/// another shape, with no voxel, or whose mean is not positive is an error.
pub fn m0_reference(
    m0: &ArrayViewD<'_, f64>,
    region: &ArrayViewD<'_, bool>,
    reference: Reference,
    tr: f64,
    te: f64,
    lambda: f64,
) -> Result<f64> {
    if m0.shape() != region.shape() {
        return Err(Error::Invalid {
            function: "asl::m0_reference",
            arg: "region",
            expected: format!("the M0 image's shape {:?}", m0.shape()),
            found: format!("shape {:?}", region.shape()),
        });
    }
    let (mut sum, mut n) = (0.0, 0usize);
    Zip::from(m0).and(region).for_each(|v, r| {
        if *r && v.is_finite() {
            sum += v;
            n += 1;
        }
    });
    let mean = sum / n as f64;
    if n == 0 || mean.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(Error::Invalid {
            function: "asl::m0_reference",
            arg: "region",
            expected: "a region of finite voxels with a positive mean M0".into(),
            found: format!("{n} voxels, mean {mean}"),
        });
    }
    let sat = kernels::m0_correct(mean, tr, reference.t1, 1.0);
    let t2 = if te > 0.0 {
        (te / reference.t2star).exp()
    } else {
        1.0
    };
    Ok(sat * t2 * lambda / reference.lambda)
}
