//! T1 mapping: variable flip angle SPGR (linear DESPOT1, two flip angles, nonlinear fit with
//! optional B1 correction) and Look-Locker inversion recovery.
//!
//! Data are voxels x samples (any number of leading voxel axes; the last axis holds one
//! sample per flip angle or per inversion time). Every method is made of per-voxel
//! `#[xp_kernel]`s ([`vfa`], [`ll`]) and returns its maps on the data's device.
//! Units: flip angles in degrees, TR and times in s, R1 in /s, T1 in s, signals in a.u.
//!
//! # Variable flip angle
//!
//! The SPGR signal at flip angle `a` is `S = S0 sin(a) (1 - E) / (1 - cos(a) E)` with
//! `E = exp(-TR R1)`; the actual angle is the nominal one times the voxel's B1 scale
//! (`Vfa::b1`, 1 when not corrected), the angles shared by every voxel or given per voxel
//! ([`FlipAngles`]).
//!
//! - [`vfa_linear`] (DESPOT1): `S / sin a = E S / tan a + S0 (1 - E)` is a line; ordinary
//!   least squares over all angles gives `E`, hence R1 and S0.
//! - [`vfa_two_angle`]: the same line through two chosen angles (closed form).
//! - [`vfa_nonlinear`]: least squares of the signal itself over `S0` and `R1` with the
//!   Levenberg-Marquardt fitter the `#[xp_kernel(model)]` macro generates from
//!   [`vfa::spgr_vfa()`]. **R1 is the fitted parameter** (the signal depends smoothly on it,
//!   and R1 is what concentration and the OSIPI tolerances use); T1 is `1 / R1`. The start is
//!   data driven (DESPOT1 per voxel, [`VfaStart::Linear`]) unless a shared start is given.
//!
//! # Look-Locker
//!
//! [`look_locker()`] fits `S(t) = a - b exp(-t / T1*)` (the apparent recovery during a train of
//! readouts after an inversion at `t = 0`) and applies the Look-Locker correction of Deichmann
//! and Haase (J Magn Reson 1992): **`T1 = T1* (b / a - 1)`**. Here `a` is the apparent
//! steady-state signal and `b = a - S(0)`, so an ideal inversion without readout gives
//! `b = 2a` and `T1 = T1*`. Signed (phase-corrected) data are fitted as they are; magnitude
//! data with `|a - b exp(-t / T1*)|` after a polarity-restored start.
//!
//! # Statuses
//!
//! Each voxel gets a [`T1Status`]. T1, R1 and S0 are NaN unless the status is
//! [`T1Status::Ok`] or [`T1Status::MaxIterations`]. Voxels fail on their own; errors are for
//! arguments wrong for every voxel, reported before anything runs.
//!
//! ```
//! use ndarray::array;
//! use osipy::t1::{vfa_linear, vfa_nonlinear, Vfa, VfaFit, T1Status};
//!
//! // One voxel: S0 = 1000, T1 = 1 s, TR = 5 ms, flip angles 2, 10 and 20 degrees.
//! let fa = [2.0, 10.0, 20.0];
//! let s = array![[31.117748524416832, 43.079688880137, 26.245954155263092]];
//! let acq = Vfa::new(fa, 0.005);
//! let lin = vfa_linear(&s, &acq)?;
//! let fit = vfa_nonlinear(&s, &acq, &VfaFit::default())?;
//! assert!((fit.t1.to_host()?[0] - 1.0).abs() < 1e-9); // s
//! assert!((lin.t1.to_host()?[0] - 1.0).abs() < 1e-9);
//! assert_eq!(lin.statuses()?[0], Some(T1Status::Ok));
//! # Ok::<(), osipy::Error>(())
//! ```

pub mod ll;
mod ll_method;
mod pipeline;
pub mod vfa;
mod vfa_methods;

pub use ll_method::{look_locker, LookLocker, LookLockerMap};
pub use pipeline::{Method, VolumeFit};
pub use vfa_methods::{vfa_linear, vfa_nonlinear, vfa_two_angle, FlipAngles, Vfa, VfaFit, VfaStart};

use osipy_kernels::fit::FitResult;
use osipy_kernels::{xp_kernel, XpArray};

use crate::conc::arrays::invalid;
use crate::Result;

/// Outcome of T1 mapping in one voxel (`T1Map::status` holds the codes).
///
/// The codes are stable (status maps written by one version are read by the next):
///
/// | code | status | `Display` |
/// |---:|---|---|
/// | 1 | [`Ok`](T1Status::Ok) | `ok` |
/// | 2 | [`MaxIterations`](T1Status::MaxIterations) | `iteration limit` |
/// | 3 | [`NoSolution`](T1Status::NoSolution) | `no solution` |
/// | 4 | [`NonFiniteData`](T1Status::NonFiniteData) | `non-finite data` |
/// | 5 | [`Degenerate`](T1Status::Degenerate) | `degenerate` |
/// | 6 | [`InvalidInput`](T1Status::InvalidInput) | `invalid input` |
/// | 7 | [`Masked`](T1Status::Masked) | `masked` |
///
/// ```
/// use osipy::t1::T1Status;
/// assert_eq!(T1Status::from_code(3), Some(T1Status::NoSolution));
/// assert_eq!(T1Status::NoSolution.to_string(), "no solution");
/// assert_eq!(T1Status::NoSolution.code(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum T1Status {
    /// A solution: the closed form exists (linear, two-angle) or the fit converged.
    Ok = 1,
    /// The fit reached its iteration limit; the values are the best found.
    MaxIterations = 2,
    /// No physical solution: `E = exp(-TR R1)` not in (0, 1) or `S0 <= 0` (linear methods),
    /// or `b / a <= 1` (Look-Locker).
    NoSolution = 3,
    /// A sample is NaN or infinite.
    NonFiniteData = 4,
    /// The data do not determine the parameters: fewer than two usable angles, all DESPOT1
    /// abscissae equal, or a singular fit.
    Degenerate = 5,
    /// A per-voxel input is invalid (B1 or a per-voxel flip angle not finite, an actual flip
    /// angle outside (0°, 180°)), or the fit could not start (invalid start, model not finite).
    InvalidInput = 6,
    /// Masked out.
    Masked = 7,
}

impl T1Status {
    /// Every status, in code order.
    pub const ALL: [T1Status; 7] = [
        T1Status::Ok,
        T1Status::MaxIterations,
        T1Status::NoSolution,
        T1Status::NonFiniteData,
        T1Status::Degenerate,
        T1Status::InvalidInput,
        T1Status::Masked,
    ];

    /// The status of a code, if it is one.
    pub fn from_code(code: u32) -> Option<T1Status> {
        T1Status::ALL.iter().copied().find(|s| *s as u32 == code)
    }

    /// The stable code (the value in status maps).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// A few words for people (the `Display` text).
    pub fn name(self) -> &'static str {
        match self {
            T1Status::Ok => "ok",
            T1Status::MaxIterations => "iteration limit",
            T1Status::NoSolution => "no solution",
            T1Status::NonFiniteData => "non-finite data",
            T1Status::Degenerate => "degenerate",
            T1Status::InvalidInput => "invalid input",
            T1Status::Masked => "masked",
        }
    }
}

impl std::fmt::Display for T1Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The [`T1Status`] code of a `FitStatus` code: converged (1-3) -> 1, iteration limit -> 2,
/// non-finite data -> 4, singular -> 5, masked -> 7, invalid start or model not finite -> 6.
#[xp_kernel]
pub fn t1_status_of_fit(code: u32) -> u32 {
    if code != 0 && code <= 3 {
        1
    } else if code == 4 {
        2
    } else if code == 5 {
        4
    } else if code == 6 {
        5
    } else if code == 7 {
        7
    } else {
        6
    }
}

/// Per-voxel maps of a T1 method, on the data's device, of the data's voxel shape.
#[derive(Debug, Clone, PartialEq)]
pub struct T1Map {
    /// R1 (/s).
    pub r1: XpArray<f64>,
    /// T1 = 1 / R1 (s).
    pub t1: XpArray<f64>,
    /// S0 (a.u.): the fully relaxed signal (M0 times the receive gain), the SPGR signal's
    /// scale.
    pub s0: XpArray<f64>,
    /// [`T1Status`] codes.
    pub status: XpArray<u32>,
    /// The fit behind a nonlinear map (`params` is voxels x `[s0, r1]`; chi2, R², iterations
    /// and the fitter's own status).
    pub fit: Option<FitResult>,
}

fn statuses(status: &XpArray<u32>) -> Result<Vec<Option<T1Status>>> {
    Ok(status
        .to_host()?
        .iter()
        .map(|c| T1Status::from_code(*c))
        .collect())
}

fn counts(status: &XpArray<u32>) -> Result<Vec<(T1Status, usize)>> {
    let s = status.to_host()?;
    Ok(T1Status::ALL
        .iter()
        .map(|st| (*st, s.iter().filter(|c| **c == *st as u32).count()))
        .collect())
}

impl T1Map {
    /// The statuses (copied to the host).
    pub fn statuses(&self) -> Result<Vec<Option<T1Status>>> {
        statuses(&self.status)
    }

    /// How many voxels ended with each status (copied to the host).
    pub fn status_counts(&self) -> Result<Vec<(T1Status, usize)>> {
        counts(&self.status)
    }
}

/// Checks a (lower, upper) pair.
fn check_bounds(function: &'static str, arg: &'static str, (lo, hi): (f64, f64)) -> Result<()> {
    if lo <= hi {
        Ok(())
    } else {
        Err(invalid(
            function,
            arg,
            "bounds (lower, upper) with lower <= upper",
            format!("({lo}, {hi})"),
        ))
    }
}
