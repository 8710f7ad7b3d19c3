//! The Look-Locker method: acquisition, checks, launches.

use osipy_kernels::fit::{FitResult, FitValues, LevenbergMarquardt};
use osipy_kernels::{IntoXpRef, XpArray};

use super::{check_bounds, counts, ll, statuses, T1Status};
use crate::conc::arrays::{curves_shape, invalid, row, zeros};
use crate::Result;

/// A Look-Locker acquisition and its fit settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LookLocker {
    /// Time of each readout after the inversion (s), increasing, one per sample.
    pub times: Vec<f64>,
    /// Whether the data are magnitude images (fitted with `|a - b exp(-t / T1*)|`).
    pub magnitude: bool,
    /// Solver settings.
    pub settings: LevenbergMarquardt,
    /// Bounds of T1* (s); default `[1e-4, 100]`.
    pub t1_star_bounds: (f64, f64),
}

impl LookLocker {
    /// Signed (phase-corrected) data at `times` (s), default settings.
    pub fn new(times: impl Into<Vec<f64>>) -> Self {
        LookLocker {
            times: times.into(),
            magnitude: false,
            settings: LevenbergMarquardt::default(),
            t1_star_bounds: (1e-4, 100.0),
        }
    }

    /// Marks the data as magnitude images.
    pub fn magnitude(mut self, magnitude: bool) -> Self {
        self.magnitude = magnitude;
        self
    }

    /// Replaces the solver settings.
    pub fn settings(mut self, settings: LevenbergMarquardt) -> Self {
        self.settings = settings;
        self
    }
}

/// Per-voxel maps of a Look-Locker fit, on the data's device.
#[derive(Debug, Clone, PartialEq)]
pub struct LookLockerMap {
    /// T1 = T1* (b / a - 1) (s).
    pub t1: XpArray<f64>,
    /// R1 = 1 / T1 (/s).
    pub r1: XpArray<f64>,
    /// The apparent T1* (s).
    pub t1_star: XpArray<f64>,
    /// `a`, the apparent steady-state signal (a.u.).
    pub a: XpArray<f64>,
    /// `b` (a.u.): `a - S(0)`.
    pub b: XpArray<f64>,
    /// [`T1Status`] codes.
    pub status: XpArray<u32>,
    /// The fit (`params` is voxels x `[a, b, t1_star]`).
    pub fit: FitResult,
}

impl LookLockerMap {
    /// The statuses (copied to the host).
    pub fn statuses(&self) -> Result<Vec<Option<T1Status>>> {
        statuses(&self.status)
    }

    /// How many voxels ended with each status (copied to the host).
    pub fn status_counts(&self) -> Result<Vec<(T1Status, usize)>> {
        counts(&self.status)
    }
}

/// Look-Locker T1 of every voxel of `signal` (voxels x readouts, a.u.): a fit of
/// `a - b exp(-t / T1*)` from a data-driven start ([`ll::look_locker_start()`]), then
/// `T1 = T1* (b / a - 1)`.
pub fn look_locker<'d>(signal: impl IntoXpRef<'d, f64>, acq: &LookLocker) -> Result<LookLockerMap> {
    const F: &str = "t1::look_locker";
    let s = signal.into_xp_ref();
    let (items, n) = curves_shape(F, "signal", s.shape())?;
    if n < 3 {
        return Err(invalid(
            F,
            "signal",
            "at least 3 samples per voxel",
            format!("{n}"),
        ));
    }
    let t = &acq.times;
    if t.len() != n {
        return Err(invalid(
            F,
            "times",
            format!("{n} times (one per sample of the signal)"),
            format!("{}", t.len()),
        ));
    }
    if !(t.iter().all(|x| x.is_finite() && *x >= 0.0) && t.windows(2).all(|w| w[0] < w[1])) {
        return Err(invalid(
            F,
            "times",
            "finite, increasing times >= 0 (s)",
            format!("{t:?}"),
        ));
    }
    check_bounds(F, "t1_star_bounds", acq.t1_star_bounds)?;
    let dev = s.placement();
    let t = row(t, dev)?;
    let mut shape = items.clone();
    shape.push(3);
    let mut init = zeros(&shape, dev)?;
    ll::look_locker_start::launch(&t, &s, acq.magnitude, &mut init)?;
    let fit = ll::look_locker_model::fitter(&t, acq.magnitude)
        .settings(acq.settings)
        .init(FitValues::PerVoxel(init))
        .lower(vec![f64::NEG_INFINITY, f64::NEG_INFINITY, acq.t1_star_bounds.0])
        .upper(vec![f64::INFINITY, f64::INFINITY, acq.t1_star_bounds.1])
        .fit(&s)?;
    let (t1, r1, t1_star, a, b, status) = ll::look_locker_finish::launch(&fit.params, &fit.status)?;
    Ok(LookLockerMap {
        t1,
        r1,
        t1_star,
        a,
        b,
        status,
        fit,
    })
}
