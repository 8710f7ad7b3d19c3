//! Per-voxel kernels of Look-Locker T1 mapping: the three-parameter model
//! `S(t) = a - b exp(-t / T1*)` (signed, or its magnitude), a data-driven start, and the
//! Look-Locker correction `T1 = T1* (b / a - 1)`.

use osipy_kernels::xp_kernel;

/// The Look-Locker recovery for the fitter: `pred[k] = a - b exp(-t[k] / t1_star)`, or its
/// absolute value when `magnitude` (magnitude images). `t` is the time of each readout after
/// the inversion (s); fitted: `a` and `b` (a.u.) and `t1_star` (s, the apparent T1).
#[xp_kernel(model)]
pub fn look_locker_model(
    #[uniform] t: &[f64],
    #[uniform] magnitude: bool,
    #[param(init = 1.0)] a: f64,
    #[param(init = 2.0)] b: f64,
    #[param(init = 1.0, lower = 1e-4, upper = 100.0)] t1_star: f64,
    pred: &mut [f64],
) {
    for k in 0..pred.len() {
        let v = a - b * (-t[k] / t1_star).exp();
        pred[k] = if magnitude { v.abs() } else { v };
    }
}

/// Least squares of `y = a - b exp(-t / tau)` for a fixed `tau`, with the samples before `kflip`
/// negated (polarity restoration of magnitude data; 0 for signed data). Returns
/// `(a, b, sse)`; `sse` is infinite when the samples do not determine `a` and `b`.
#[xp_kernel]
pub fn ll_linear_fit(t: &[f64], s: &[f64], kflip: usize, tau: f64) -> (f64, f64, f64) {
    let n = s.len();
    let mut se = 0.0;
    let mut sy = 0.0;
    for k in 0..n {
        let y = if k < kflip { -s[k] } else { s[k] };
        se += (-t[k] / tau).exp();
        sy += y;
    }
    let me = se / n as f64;
    let my = sy / n as f64;
    let mut see = 0.0;
    let mut sey = 0.0;
    let mut syy = 0.0;
    for k in 0..n {
        let y = if k < kflip { -s[k] } else { s[k] };
        let de = (-t[k] / tau).exp() - me;
        let dy = y - my;
        see += de * de;
        sey += de * dy;
        syy += dy * dy;
    }
    if see.is_nan() || see <= 0.0 {
        return (f64::NAN, f64::NAN, f64::INFINITY);
    }
    // y = a + u e with u = -b.
    let u = sey / see;
    let a = my - u * me;
    let sse = (syy - u * sey).max(0.0);
    (a, -u, sse)
}

/// Data-driven start `[a, b, t1_star]` of the Look-Locker fit: for 48 values of `T1*` spaced
/// logarithmically from `t[n-1] / 100` to `10 t[n-1]`, `a` and `b` by linear least squares,
/// keeping the best. For magnitude data the polarity is restored first, trying the samples up
/// to the smallest one and up to the one before it as the negative ones. NaN (an invalid
/// start) for a non-finite sample or a row shorter than 3. `init` has length 3.
#[xp_kernel]
pub fn look_locker_start(#[uniform] t: &[f64], s: &[f64], #[uniform] magnitude: bool, init: &mut [f64]) {
    let n = s.len();
    init[0] = f64::NAN;
    init[1] = f64::NAN;
    init[2] = f64::NAN;
    if n < 3 || t.len() != n {
        return;
    }
    let mut kmin = 0;
    for k in 0..n {
        if !s[k].is_finite() {
            return;
        }
        if s[k].abs() < s[kmin].abs() {
            kmin = k;
        }
    }
    let ncand = if magnitude { 2 } else { 1 };
    let step = (1000.0f64.ln() / 47.0).exp();
    let mut best = f64::INFINITY;
    for c in 0..ncand {
        let kflip = if magnitude { kmin + c } else { 0 };
        let mut tau = t[n - 1] / 100.0;
        for _g in 0..48 {
            let (a, b, sse) = ll_linear_fit(t, s, kflip, tau);
            if sse < best {
                best = sse;
                init[0] = a;
                init[1] = b;
                init[2] = tau;
            }
            tau *= step;
        }
    }
}

/// `(t1, r1, t1_star, a, b, status)` of a voxel from the fit's parameters `[a, b, t1_star]`
/// and its `FitStatus` code, with the Look-Locker correction `T1 = T1* (b / a - 1)` (s) and
/// `R1 = 1 / T1` (/s). Status as for VFA; a fit without `b / a > 1` is status 3 (no
/// solution: T1 and R1 NaN, the fitted `a`, `b`, `T1*` kept). Other failures: all NaN.
#[xp_kernel]
pub fn look_locker_finish(params: &[f64], fit_status: u32) -> (f64, f64, f64, f64, f64, u32) {
    let st = super::t1_status_of_fit(fit_status);
    if !(st == 1 || st == 2) {
        return (f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN, st);
    }
    let a = params[0];
    let b = params[1];
    let t1s = params[2];
    let ratio = b / a;
    if !(ratio > 1.0 && ratio.is_finite()) {
        return (f64::NAN, f64::NAN, t1s, a, b, 3);
    }
    let t1 = t1s * (ratio - 1.0);
    (t1, 1.0 / t1, t1s, a, b, st)
}
