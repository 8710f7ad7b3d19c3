//! Per-voxel kernels of variable-flip-angle (VFA) SPGR T1 mapping. One item is one voxel, its
//! row the signal at each flip angle. Each kernel comes in two forms: flip angles shared by
//! every voxel (`#[uniform]` row) and flip angles per voxel (`_map`, a row per voxel). The
//! actual flip angle of sample `k` is `fa[k] * b1` (degrees), `b1` the voxel's B1 scale.
//!
//! Status codes are those of [`T1Status`](super::T1Status).

use osipy_kernels::xp_kernel;

/// DESPOT1 on the samples of `s` selected by `pair` (all when `pair` is false, else `i` and
/// `j`): the SPGR signal is linear in `x = S / tan(a)` with `y = S / sin(a)`,
/// `y = E x + S0 (1 - E)`, `E = exp(-tr R1)`. Ordinary least squares (two points: the line
/// through them) gives `E` and `S0`. Returns `(s0, r1, status)`; `s0` and `r1` are NaN unless
/// the status is 1 (ok).
///
/// Statuses: 3 when `E` is not in (0, 1) or `S0 <= 0` (no physical T1), 4 for a non-finite
/// sample, 5 when fewer than two samples or all `x` equal, 6 when `b1`, `tr` or an actual flip
/// angle is invalid (not finite, angle outside (0°, 180°)) or the rows differ in length.
#[xp_kernel]
pub fn despot1(s: &[f64], fa: &[f64], tr: f64, b1: f64, pair: bool, i: usize, j: usize) -> (f64, f64, u32) {
    let n = s.len();
    if fa.len() != n || !(b1 > 0.0 && b1.is_finite() && tr > 0.0 && tr.is_finite()) {
        return (f64::NAN, f64::NAN, 6);
    }
    if pair && (i >= n || j >= n || i == j) {
        return (f64::NAN, f64::NAN, 6);
    }
    // First pass: validity and means.
    let mut m = 0.0;
    let mut sx = 0.0;
    let mut sy = 0.0;
    for k in 0..n {
        if pair && k != i && k != j {
            continue;
        }
        let a = fa[k] * b1;
        if !(a > 0.0 && a < 180.0) {
            return (f64::NAN, f64::NAN, 6);
        }
        if !s[k].is_finite() {
            return (f64::NAN, f64::NAN, 4);
        }
        let (sa, ca) = crate::conc::spgr::sin_cos_deg(a);
        let y = s[k] / sa;
        sx += y * ca;
        sy += y;
        m += 1.0;
    }
    if m < 2.0 {
        return (f64::NAN, f64::NAN, 5);
    }
    let mx = sx / m;
    let my = sy / m;
    // Second pass: centred sums.
    let mut sxx = 0.0;
    let mut sxy = 0.0;
    for k in 0..n {
        if pair && k != i && k != j {
            continue;
        }
        let (sa, ca) = crate::conc::spgr::sin_cos_deg(fa[k] * b1);
        let y = s[k] / sa;
        let dx = y * ca - mx;
        sxx += dx * dx;
        sxy += dx * (y - my);
    }
    if sxx.is_nan() || sxx <= 0.0 {
        return (f64::NAN, f64::NAN, 5);
    }
    let e = sxy / sxx;
    let s0 = (my - e * mx) / (1.0 - e);
    if !(e > 0.0 && e < 1.0 && s0 > 0.0 && s0.is_finite()) {
        return (f64::NAN, f64::NAN, 3);
    }
    (s0, -e.ln() / tr, 1)
}

/// `(s0, r1, t1, status)` from DESPOT1's `(s0, r1, status)`: `t1 = 1 / r1`.
#[xp_kernel]
pub fn with_t1(s0: f64, r1: f64, status: u32) -> (f64, f64, f64, u32) {
    (s0, r1, 1.0 / r1, status)
}

/// Linear (DESPOT1) VFA T1 of each voxel, flip angles `fa` (degrees) shared by every voxel,
/// `tr` (s), B1 scale `b1` per voxel. Returns `(s0 (a.u.), r1 (/s), t1 (s), status)`; see
/// [`despot1()`].
#[xp_kernel]
pub fn vfa_linear(s: &[f64], #[uniform] fa: &[f64], #[uniform] tr: f64, b1: f64) -> (f64, f64, f64, u32) {
    let (s0, r1, st) = despot1(s, fa, tr, b1, false, 0, 0);
    with_t1(s0, r1, st)
}

/// [`vfa_linear()`] with a row of flip angles per voxel.
#[xp_kernel]
pub fn vfa_linear_map(s: &[f64], fa: &[f64], #[uniform] tr: f64, b1: f64) -> (f64, f64, f64, u32) {
    let (s0, r1, st) = despot1(s, fa, tr, b1, false, 0, 0);
    with_t1(s0, r1, st)
}

/// Two-flip-angle T1 of each voxel from samples `i` and `j` (the line through their DESPOT1
/// points, the closed-form two-angle solution). Returns `(s0, r1, t1, status)`.
#[xp_kernel]
pub fn vfa_two_angle(
    s: &[f64],
    #[uniform] fa: &[f64],
    #[uniform] i: usize,
    #[uniform] j: usize,
    #[uniform] tr: f64,
    b1: f64,
) -> (f64, f64, f64, u32) {
    let (s0, r1, st) = despot1(s, fa, tr, b1, true, i, j);
    with_t1(s0, r1, st)
}

/// [`vfa_two_angle()`] with a row of flip angles per voxel.
#[xp_kernel]
pub fn vfa_two_angle_map(
    s: &[f64],
    fa: &[f64],
    #[uniform] i: usize,
    #[uniform] j: usize,
    #[uniform] tr: f64,
    b1: f64,
) -> (f64, f64, f64, u32) {
    let (s0, r1, st) = despot1(s, fa, tr, b1, true, i, j);
    with_t1(s0, r1, st)
}

/// One SPGR sample at the actual flip angle `a` (degrees) with `e = exp(-tr r1)`; NaN for an
/// angle outside (0°, 180°) or NaN, so a fit with such an angle does not start (its model is
/// not finite).
#[xp_kernel]
pub fn vfa_sample(a: f64, s0: f64, e: f64) -> f64 {
    if !(a > 0.0 && a < 180.0) {
        return f64::NAN;
    }
    let (sa, ca) = crate::conc::spgr::sin_cos_deg(a);
    s0 * sa * (1.0 - e) / (1.0 - ca * e)
}

/// The SPGR VFA model for the fitter: `pred[k] = s0 sin(a_k) (1 - E) / (1 - cos(a_k) E)`,
/// `E = exp(-tr r1)`, `a_k = fa[k] * b1` (degrees). Fitted: `s0` (a.u.) and `r1` (/s).
/// Flip angles shared by every voxel.
#[xp_kernel(model)]
pub fn spgr_vfa(
    #[uniform] fa: &[f64],
    #[uniform] tr: f64,
    b1: f64,
    #[param(init = 1.0, lower = 0.0)] s0: f64,
    #[param(init = 1.0, lower = 1e-3, upper = 1e3)] r1: f64,
    pred: &mut [f64],
) {
    let e = (-tr * r1).exp();
    for k in 0..pred.len() {
        pred[k] = vfa_sample(fa[k] * b1, s0, e);
    }
}

/// [`spgr_vfa()`] with a row of flip angles per voxel.
#[xp_kernel(model)]
pub fn spgr_vfa_map(
    fa: &[f64],
    #[uniform] tr: f64,
    b1: f64,
    #[param(init = 1.0, lower = 0.0)] s0: f64,
    #[param(init = 1.0, lower = 1e-3, upper = 1e3)] r1: f64,
    pred: &mut [f64],
) {
    let e = (-tr * r1).exp();
    for k in 0..pred.len() {
        pred[k] = vfa_sample(fa[k] * b1, s0, e);
    }
}

/// Data-driven start `[s0, r1]` of the nonlinear fit: the DESPOT1 solution where it exists;
/// otherwise `r1 = fallback_r1` and the `s0` that fits the data best at that rate (linear least
/// squares). NaN (an invalid start for the fitter) when `b1`, `tr` or an actual flip angle is
/// invalid. `init` has length 2.
#[xp_kernel]
pub fn vfa_start_core(s: &[f64], fa: &[f64], tr: f64, b1: f64, fallback_r1: f64, init: &mut [f64]) {
    let (s0, r1, st) = despot1(s, fa, tr, b1, false, 0, 0);
    if st == 1 {
        init[0] = s0;
        init[1] = r1;
        return;
    }
    if st == 6 {
        init[0] = f64::NAN;
        init[1] = f64::NAN;
        return;
    }
    let e = (-tr * fallback_r1).exp();
    let mut sff = 0.0;
    let mut ssf = 0.0;
    for k in 0..s.len() {
        let (sa, ca) = crate::conc::spgr::sin_cos_deg(fa[k] * b1);
        let f = sa * (1.0 - e) / (1.0 - ca * e);
        sff += f * f;
        ssf += s[k] * f;
    }
    init[0] = if sff > 0.0 { (ssf / sff).max(0.0) } else { 0.0 };
    init[1] = fallback_r1;
}

/// [`vfa_start_core()`] with flip angles shared by every voxel.
#[xp_kernel]
pub fn vfa_start(
    s: &[f64],
    #[uniform] fa: &[f64],
    #[uniform] tr: f64,
    b1: f64,
    #[uniform] fallback_r1: f64,
    init: &mut [f64],
) {
    vfa_start_core(s, fa, tr, b1, fallback_r1, init);
}

/// [`vfa_start_core()`] with a row of flip angles per voxel.
#[xp_kernel]
pub fn vfa_start_map(
    s: &[f64],
    fa: &[f64],
    #[uniform] tr: f64,
    b1: f64,
    #[uniform] fallback_r1: f64,
    init: &mut [f64],
) {
    vfa_start_core(s, fa, tr, b1, fallback_r1, init);
}

/// `(s0, r1, t1, status)` of a voxel from the fit's parameters `[s0, r1]` and its `FitStatus`
/// code: converged (1 to 3) is status 1, the iteration limit 2 (values kept), non-finite data
/// 4, singular 5, masked 7, an invalid start or a model not finite at the start 6; values
/// are NaN unless the status is 1 or 2.
#[xp_kernel]
pub fn vfa_finish(params: &[f64], fit_status: u32) -> (f64, f64, f64, u32) {
    let st = super::t1_status_of_fit(fit_status);
    if st == 1 || st == 2 {
        let r1 = params[1];
        (params[0], r1, 1.0 / r1, st)
    } else {
        (f64::NAN, f64::NAN, f64::NAN, st)
    }
}
