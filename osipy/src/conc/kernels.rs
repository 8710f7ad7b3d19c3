//! The per-voxel kernels of the signal-to-concentration conversion: one item is one voxel, its
//! row the signal curve over time. [`crate::conc`]'s functions check the inputs and launch
//! these; they can also be launched directly (see the crate README), on any device.
//!
//! Per-voxel inputs (`t10`, `b1`, `s_base`) that cannot describe a voxel (not finite, or not
//! positive) make that voxel's whole output row NaN; a sample that no R1 explains makes that
//! sample NaN (see [`spgr_r1`](super::spgr::spgr_r1())). Nothing here fails or panics on values.

use osipy_kernels::xp_kernel;

/// Mean of the samples `start..end` (end exclusive) of the curve `s`.
///
/// NaN when the window is empty or runs past the row (the functions of [`crate::conc`] reject
/// such windows before launching), or when a sample in it is NaN.
#[xp_kernel]
pub fn baseline_mean(s: &[f64], #[uniform] start: usize, #[uniform] end: usize) -> f64 {
    if start >= end || end > s.len() {
        return f64::NAN;
    }
    let mut sum = 0.0;
    for k in start..end {
        sum += s[k];
    }
    sum / (end - start) as f64
}

/// The cosine of the actual flip angle `fa * b1` (degrees), or NaN when it is not in
/// (0°, 180°) or `b1` is not finite.
#[xp_kernel]
pub fn actual_cos(fa: f64, b1: f64) -> f64 {
    let a = fa * b1;
    if !(a > 0.0 && a < 180.0 && b1.is_finite()) {
        return f64::NAN;
    }
    let (_, c) = super::spgr::sin_cos_deg(a);
    c
}

/// R1 curve (/s) of a voxel from its SPGR signal `s` (a.u.), its pre-contrast signal `s_base`
/// (a.u.), its pre-contrast `t10` (s) and its flip-angle scale `b1` (1 when uncorrected), for
/// the nominal flip angle `fa` (degrees) and repetition time `tr` (s). Writes `r1[k]` for every
/// sample of `s` (`r1` must be as long as `s`).
///
/// `R1(s_base) = 1 / t10` by construction. Samples at or beyond the SPGR maximum are NaN; an
/// invalid `s_base`, `t10` or actual flip angle makes the row NaN.
#[xp_kernel]
pub fn spgr_signal_to_r1(
    s: &[f64],
    s_base: f64,
    t10: f64,
    b1: f64,
    #[uniform] fa: f64,
    #[uniform] tr: f64,
    r1: &mut [f64],
) {
    let ca = actual_cos(fa, b1);
    let smax = super::spgr::spgr_max_signal(s_base, 1.0 / t10, ca, tr);
    for k in 0..r1.len() {
        r1[k] = super::spgr::spgr_r1(s[k], smax, ca, tr);
    }
}

/// Concentration curve (mM) of a voxel from its SPGR signal `s` (a.u.): the baseline signal is
/// the mean of samples `start..end`, R1 follows as in [`spgr_signal_to_r1()`], and
/// `C = (R1 - 1 / t10) / relaxivity` (`relaxivity` in /s/mM). Writes `conc[k]` for every
/// sample (`conc` as long as `s`), the baseline samples included.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn spgr_signal_to_conc(
    s: &[f64],
    t10: f64,
    b1: f64,
    #[uniform] start: usize,
    #[uniform] end: usize,
    #[uniform] fa: f64,
    #[uniform] tr: f64,
    #[uniform] relaxivity: f64,
    conc: &mut [f64],
) {
    let s_base = baseline_mean(s, start, end);
    let r10 = 1.0 / t10;
    let ca = actual_cos(fa, b1);
    let smax = super::spgr::spgr_max_signal(s_base, r10, ca, tr);
    for k in 0..conc.len() {
        conc[k] = (super::spgr::spgr_r1(s[k], smax, ca, tr) - r10) / relaxivity;
    }
}

/// R1 curve (/s) of a voxel from its SPGR signal `s` (a.u.) and its known equilibrium signal
/// `s0` (a.u., the `S0` of [`spgr_signal()`](super::spgr::spgr_signal())), for its flip-angle
/// scale `b1`, the nominal flip angle `fa` (degrees) and `tr` (s): `R1` of each sample with the
/// maximum `S0 sin(a)`, no baseline involved. Writes `r1[k]` for every sample.
///
/// Samples at or beyond the maximum are NaN; an `s0` that is not finite and positive, or an
/// actual flip angle outside (0°, 180°), makes the row NaN.
#[xp_kernel]
pub fn spgr_s0_signal_to_r1(
    s: &[f64],
    s0: f64,
    b1: f64,
    #[uniform] fa: f64,
    #[uniform] tr: f64,
    r1: &mut [f64],
) {
    let a = fa * b1;
    let ok = a > 0.0 && a < 180.0 && b1.is_finite() && s0 > 0.0 && s0.is_finite();
    if ok {
        let (sa, ca) = super::spgr::sin_cos_deg(a);
        let smax = s0 * sa;
        for k in 0..r1.len() {
            r1[k] = super::spgr::spgr_r1(s[k], smax, ca, tr);
        }
    } else {
        for k in 0..r1.len() {
            r1[k] = f64::NAN;
        }
    }
}

/// Concentration curve (mM) of a voxel from its SPGR signal `s` (a.u.) and its known
/// equilibrium signal `s0` (a.u.): R1 as in [`spgr_s0_signal_to_r1()`] and
/// `C = (R1 - 1 / t10) / relaxivity`. No baseline is estimated, so a biased baseline (a few
/// integer-quantised frames) does not bias the result. Writes `conc[k]` for every sample.
///
/// An `s0` or `t10` that is not finite and positive, or an actual flip angle outside
/// (0°, 180°), makes the row NaN.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn spgr_s0_signal_to_conc(
    s: &[f64],
    s0: f64,
    t10: f64,
    b1: f64,
    #[uniform] fa: f64,
    #[uniform] tr: f64,
    #[uniform] relaxivity: f64,
    conc: &mut [f64],
) {
    let a = fa * b1;
    let ok =
        a > 0.0 && a < 180.0 && b1.is_finite() && s0 > 0.0 && s0.is_finite() && t10 > 0.0 && t10.is_finite();
    if ok {
        let r10 = 1.0 / t10;
        let (sa, ca) = super::spgr::sin_cos_deg(a);
        let smax = s0 * sa;
        for k in 0..conc.len() {
            conc[k] = (super::spgr::spgr_r1(s[k], smax, ca, tr) - r10) / relaxivity;
        }
    } else {
        for k in 0..conc.len() {
            conc[k] = f64::NAN;
        }
    }
}

/// Concentration curve (mM) from an R1 curve (/s) with the linear relaxivity model:
/// `C = (R1 - 1 / t10) / relaxivity` (`t10` in s, `relaxivity` in /s/mM).
///
/// A `t10` that is not finite and positive makes the row NaN.
#[xp_kernel]
pub fn r1_to_conc(r1: &[f64], t10: f64, #[uniform] relaxivity: f64, conc: &mut [f64]) {
    let r10 = if t10 > 0.0 && t10.is_finite() {
        1.0 / t10
    } else {
        f64::NAN
    };
    for k in 0..conc.len() {
        conc[k] = (r1[k] - r10) / relaxivity;
    }
}

/// Concentration curve (mM) with the linear (enhancement-proportional) approximation: the
/// relative enhancement times R10, over the relaxivity,
/// `C = (s - s_base) / s_base / (t10 relaxivity)`, with `s_base` the mean of samples
/// `start..end`. Exact when the signal is proportional to R1 (`S = k R1`), which SPGR
/// approaches for `TR R1 << 1` and flip angles well below the Ernst angle; elsewhere it
/// underestimates large concentrations.
///
/// A baseline that is not finite and positive, or a `t10` that is not, makes the row NaN.
#[xp_kernel]
pub fn linear_signal_to_conc(
    s: &[f64],
    t10: f64,
    #[uniform] start: usize,
    #[uniform] end: usize,
    #[uniform] relaxivity: f64,
    conc: &mut [f64],
) {
    let s_base = baseline_mean(s, start, end);
    let ok = s_base > 0.0 && s_base.is_finite() && t10 > 0.0 && t10.is_finite();
    let scale = if ok { 1.0 / (t10 * relaxivity) } else { f64::NAN };
    for k in 0..conc.len() {
        conc[k] = (s[k] - s_base) / s_base * scale;
    }
}
