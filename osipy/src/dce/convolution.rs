//! Building blocks of the DCE models: one step of the exact exponential convolution of a
//! piecewise-linear curve, and the plasma curve shifted by an arterial delay.
//!
//! Every function here is an `#[xp_kernel]`, so the models inline them and the macro
//! differentiates through them.

use osipy_kernels::xp_kernel;

/// One sample interval of the exact convolution of a linear plasma segment with
/// `exp(-k (t_end - s))`.
///
/// The plasma curve goes linearly from `a` (mM, at the start of the interval) to `b` (at its
/// end); the interval lasts `dt` minutes and `k` is the rate in /min (`k >= 0`). Returns
/// `(i, e)`: `i = integral_0^dt (a + (b - a) u / dt) exp(-k (dt - u)) du` (mM min) and the
/// decay factor `e = exp(-k dt)`, so that the running convolution
/// `F(t) = integral_0^t cp(s) exp(-k (t - s)) ds` obeys `F_i = e F_{i-1} + i` exactly for a
/// piecewise-linear `cp` on any grid.
///
/// For `x = k dt > 1e-3` the closed form `(b - a e) / k - (b - a) (1 - e) / (k^2 dt)` is used;
/// below, where it cancels, the Taylor series of the same integral in `x` to third order
/// (`dt (a sum_m (-x)^m / (m! (m+1)) + (b - a) sum_m (-x)^m / (m! (m+1) (m+2)))`, `m = 0..3`,
/// truncation error below `1e-13` relative). `k = 0` gives the trapezoid `dt (a + b) / 2`.
#[xp_kernel]
pub fn exp_conv_step(a: f64, b: f64, k: f64, dt: f64) -> (f64, f64) {
    let (e, c1, c2) = exp_conv_coeffs(k, dt);
    (c1 * a + c2 * (b - a), e)
}

/// [`exp_conv_step`](fn@exp_conv_step) for a sweep over samples: the coefficients of the last
/// interval are kept in `dt_prev`, `e`, `c1`, `c2` (start with `dt_prev = -1`) and recomputed
/// only when `dt` changes, so a uniform grid costs one `exp` per model evaluation. Returns
/// `(i, e)` as `exp_conv_step` does.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn exp_conv_cached(
    a: f64,
    b: f64,
    k: f64,
    dt: f64,
    dt_prev: &mut f64,
    e: &mut f64,
    c1: &mut f64,
    c2: &mut f64,
) -> (f64, f64) {
    if dt != *dt_prev {
        let (ce, cc1, cc2) = exp_conv_coeffs(k, dt);
        *e = ce;
        *c1 = cc1;
        *c2 = cc2;
        *dt_prev = dt;
    }
    (*c1 * a + *c2 * (b - a), *e)
}

/// The coefficients of [`exp_conv_step`](fn@exp_conv_step) that depend only on the rate and
/// the interval: `(e, c1, c2)` with `e = exp(-k dt)` and the step's integral
/// `i = c1 a + c2 (b - a)` for a plasma segment from `a` to `b`:
/// `c1 = (1 - e) / k`, `c2 = 1 / k - (1 - e) / (k^2 dt)` for `x = k dt > 1e-3`, and the third-order
/// series `c1 = dt sum_m (-x)^m / (m! (m+1))`, `c2 = dt sum_m (-x)^m / (m! (m+1) (m+2))` below.
/// The models compute them once per run of equal intervals
/// ([`exp_conv_cached`](fn@exp_conv_cached)) and stay exact on any grid.
#[xp_kernel]
pub fn exp_conv_coeffs(k: f64, dt: f64) -> (f64, f64, f64) {
    let x = k * dt;
    let e = (-x).exp();
    let closed = x > 1e-3;
    let c1 = if closed {
        (1.0 - e) / k
    } else {
        dt * (1.0 + x * (-0.5 + x * (1.0 / 6.0 - x / 24.0)))
    };
    let c2 = if closed {
        1.0 / k - c1 / (k * dt)
    } else {
        dt * (0.5 + x * (-1.0 / 6.0 + x * (1.0 / 24.0 - x / 120.0)))
    };
    (e, c1, c2)
}

/// Index `j` of the grid interval `[t[j], t[j + 1])` that holds `x`, searched forward from
/// `from` (so a sweep over increasing `x` costs O(n) in all). Stays at `from` for `x` before
/// `t[from + 1]`; never goes past `n - 2` (`n = len`, the number of grid points used).
#[xp_kernel]
pub fn interval_from(t: &[f64], len: usize, x: f64, from: usize) -> usize {
    let mut j = from;
    while j + 2 < len && t[j + 1] <= x {
        j += 1;
    }
    j
}

/// The plasma curve `cp` (mM, sampled at `t`, s) evaluated at time `x` (s) by linear
/// interpolation on the first `len` samples: 0 before `t[0]` (no contrast agent has arrived),
/// the last sample after `t[len - 1]`. `j` must be the interval of `x` from
/// [`interval_from`](fn@interval_from). An arterial delay `d` evaluates the delayed plasma curve
/// `cp(t_i - d)`; its derivative with respect to `x` is the slope of the interval (0 outside
/// the grid).
#[xp_kernel]
pub fn plasma_at(t: &[f64], cp: &[f64], len: usize, x: f64, j: usize) -> f64 {
    if x < t[0] {
        0.0
    } else if x >= t[len - 1] {
        cp[len - 1]
    } else {
        let w = (x - t[j]) / (t[j + 1] - t[j]);
        cp[j] + w * (cp[j + 1] - cp[j])
    }
}
