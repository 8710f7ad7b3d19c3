//! Building blocks of the DCE models: one step of the exact exponential convolution of a
//! piecewise-linear or piecewise-cubic curve, and the plasma curve shifted by an arterial delay.
//!
//! # The plasma curve between samples
//!
//! Every model takes the plasma curve as its samples `cp` at `t` and its second derivatives
//! `cp2` (mM/s²) there. Between two samples `t_i`, `t_{i+1}` (`h = t_{i+1} - t_i` seconds,
//! `u = (s - t_i) / h`) the curve is the cubic
//!
//! `cp(s) = (1 - u) cp_i + u cp_{i+1} + h² / 6 [((1 - u)³ - (1 - u)) cp2_i + (u³ - u) cp2_{i+1}]`,
//!
//! which passes through the samples with second derivatives `cp2_i`, `cp2_{i+1}` at the ends.
//! With `cp2 = 0` it is the piecewise-linear curve through the samples; with the moments of the
//! natural cubic spline ([`spline_moments`](super::spline_moments)) it is that spline. Either way
//! the convolutions below are exact for it.
//!
//! Every function here is an `#[xp_kernel]`, so the models inline them and the macro
//! differentiates through them.

use osipy_kernels::{xp_kernel, xp_struct};

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

/// The coefficients of [`exp_conv_step`](fn@exp_conv_step) that depend only on the rate and
/// the interval: `(e, c1, c2)` with `e = exp(-k dt)` and the step's integral
/// `i = c1 a + c2 (b - a)` for a plasma segment from `a` to `b`:
/// `c1 = (1 - e) / k`, `c2 = 1 / k - (1 - e) / (k^2 dt)` for `x = k dt > 1e-3`, and the third-order
/// series `c1 = dt sum_m (-x)^m / (m! (m+1))`, `c2 = dt sum_m (-x)^m / (m! (m+1) (m+2))` below.
/// The models compute them once per run of equal intervals
/// ([`exp_conv_cubic`](fn@exp_conv_cubic)) and stay exact on any grid.
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

/// The coefficients of the cubic part of one convolution step: `(c3, c4)` such that
/// `integral_0^dt exp(-k (dt - s)) h² / 6 [((1 - u)³ - (1 - u)) ma + (u³ - u) mb] ds =
/// c3 ma + c4 mb` (mM min for `ma`, `mb` in mM/s²), `u = s / dt`, `h = 60 dt` seconds, `dt` in
/// minutes, `k` in /min (`k >= 0`).
///
/// With `x = k dt` and `K_n = integral_0^1 w^n exp(-x w) dw`: `c3 = dt h² / 6 (K_3 - K_1)` and
/// `c4 = dt h² / 6 (3 K_2 - 2 K_1 - K_3)`. For `x <= 0.5` both brackets are their Taylor series
/// in `x` (`K_n = sum_m (-x)^m / (m! (n + m + 1))`), 15 terms in Horner form with the
/// coefficients as constants (truncation below `1e-18` relative); above, the upward recursion
/// `K_0 = (1 - e) / x`, `K_n = (n K_{n-1} - e) / x` (`e = exp(-x)`), whose cancellation costs at
/// most a factor of about 200 at `x = 0.5` (below `1e-13` relative). `k = 0` gives
/// `c3 = c4 = -dt h² / 24`, the integral of the cubic part.
#[xp_kernel]
#[allow(unused_assignments)] // b3, b4 are set on both branches (a tuple-valued `if` is not kernel code)
pub fn exp_conv_cubic_coeffs(k: f64, dt: f64) -> (f64, f64) {
    let x = k * dt;
    let h = 60.0 * dt;
    let s = dt * h * h / 6.0;
    let mut b3 = 0.0;
    let mut b4 = 0.0;
    if x <= 0.5 {
        let mut p3 = -7.965795553978976e-14;
        p3 = p3 * x + 1.2595328499467933e-12;
        p3 = p3 * x + -1.8639961596310804e-11;
        p3 = p3 * x + 2.569447013891458e-10;
        p3 = p3 * x + -3.2806332409507015e-09;
        p3 = p3 * x + 3.8541705208371876e-08;
        p3 = p3 * x + -4.133597883597884e-07;
        p3 = p3 * x + 4.008337341670675e-06;
        p3 = p3 * x + -3.472222222222222e-05;
        p3 = p3 * x + 0.00026455026455026457;
        p3 = p3 * x + -0.001736111111111111;
        p3 = p3 * x + 0.009523809523809525;
        p3 = p3 * x + -0.041666666666666664;
        p3 = p3 * x + 0.13333333333333333;
        p3 = p3 * x + -0.25;
        let mut p4 = -4.685762090575868e-14;
        p4 = p4 * x + 7.478476296559085e-13;
        p4 = p4 * x + -1.1183976957786481e-11;
        p4 = p4 * x + 1.5600214012912426e-10;
        p4 = p4 * x + -2.0188512252004315e-09;
        p4 = p4 * x + 2.408856575523242e-08;
        p4 = p4 * x + -2.6304713804713803e-07;
        p4 = p4 * x + 2.605419272085939e-06;
        p4 = p4 * x + -2.3148148148148147e-05;
        p4 = p4 * x + 0.00018187830687830687;
        p4 = p4 * x + -0.001240079365079365;
        p4 = p4 * x + 0.007142857142857143;
        p4 = p4 * x + -0.03333333333333333;
        p4 = p4 * x + 0.11666666666666667;
        p4 = p4 * x + -0.25;
        b3 = p3;
        b4 = p4;
    } else {
        let e = (-x).exp();
        let k0 = (1.0 - e) / x;
        let k1 = (k0 - e) / x;
        let k2 = (2.0 * k1 - e) / x;
        let k3 = (3.0 * k2 - e) / x;
        b3 = k3 - k1;
        b4 = 3.0 * k2 - 2.0 * k1 - k3;
    }
    (s * b3, s * b4)
}

/// The integral of the plasma curve over one interval (mM min): the trapezoid
/// `dt (a + b) / 2` of the linear part minus `dt h² (ma + mb) / 24` of the cubic part (`dt` in
/// minutes, `h = 60 dt` seconds, `ma`, `mb` the second derivatives in mM/s² at the ends), exact
/// for the curve of the [module docs](self).
#[xp_kernel]
pub fn plasma_area(a: f64, b: f64, ma: f64, mb: f64, dt: f64) -> f64 {
    let h = 60.0 * dt;
    0.5 * dt * (a + b) - dt * h * h / 24.0 * (ma + mb)
}

/// The state [`exp_conv_cubic`](fn@exp_conv_cubic) keeps between the steps of a sweep: the
/// coefficients of the last interval and the interval they were computed for. A sweep starts
/// with `dt_prev = dt3_prev = -1` and every other field 0:
///
/// ```
/// # use osipy::dce::convolution::ConvState;
/// let state = ConvState { dt_prev: -1.0, e: 0.0, c1: 0.0, c2: 0.0, dt3_prev: -1.0, c3: 0.0, c4: 0.0 };
/// # let _ = state;
/// ```
#[xp_struct]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvState {
    /// The interval (min) `e`, `c1`, `c2` belong to; -1 before the first step.
    pub dt_prev: f64,
    /// `exp(-k dt)` ([`exp_conv_coeffs`](fn@exp_conv_coeffs)).
    pub e: f64,
    /// The coefficient of the segment's start value.
    pub c1: f64,
    /// The coefficient of the segment's rise.
    pub c2: f64,
    /// The interval (min) `c3`, `c4` belong to; -1 before they are first needed.
    pub dt3_prev: f64,
    /// The coefficient of the second derivative at the start
    /// ([`exp_conv_cubic_coeffs`](fn@exp_conv_cubic_coeffs)).
    pub c3: f64,
    /// The coefficient of the second derivative at the end.
    pub c4: f64,
}

/// One step of a sweep over samples of the exact convolution of the piecewise-cubic plasma
/// curve of the [module docs](self) ([`exp_conv_step`](fn@exp_conv_step) for the linear one):
/// the segment from `a` to `b` with second derivatives `ma`, `mb` (mM/s²) at its ends, over an
/// interval of `dt` minutes, rate `k` (/min). The coefficients (`e`, `c1`, `c2` of
/// [`exp_conv_coeffs`](fn@exp_conv_coeffs), `c3`, `c4` of
/// [`exp_conv_cubic_coeffs`](fn@exp_conv_cubic_coeffs)) are kept in `s` ([`ConvState`]) and
/// recomputed only when `dt` changes; `c3`, `c4` only when a second derivative is not zero, so
/// a linear curve (`cp2 = 0`) never computes them. Returns `(i, e)` with
/// `i = c1 a + c2 (b - a) + (c3 ma + c4 mb)`, the cubic part added only when `ma` or `mb` is
/// not zero: for `ma = mb = 0` exactly the value of `exp_conv_step`, at the cost of one `exp`
/// per run of equal intervals.
#[xp_kernel]
pub fn exp_conv_cubic(a: f64, b: f64, ma: f64, mb: f64, k: f64, dt: f64, s: &mut ConvState) -> (f64, f64) {
    if dt != s.dt_prev {
        let (ce, cc1, cc2) = exp_conv_coeffs(k, dt);
        s.e = ce;
        s.c1 = cc1;
        s.c2 = cc2;
        s.dt_prev = dt;
    }
    let mut i = s.c1 * a + s.c2 * (b - a);
    if ma != 0.0 || mb != 0.0 {
        if dt != s.dt3_prev {
            let (cc3, cc4) = exp_conv_cubic_coeffs(k, dt);
            s.c3 = cc3;
            s.c4 = cc4;
            s.dt3_prev = dt;
        }
        i += s.c3 * ma + s.c4 * mb;
    }
    (i, s.e)
}

/// The plasma curve of the [module docs](self) and its second derivative at time `x` (s):
/// `(cp(x), cp''(x))`, with `cp'' ` linear between the samples. 0 and 0 before `t[0]`, the last
/// sample and 0 after `t[len - 1]`; `j` is the interval of `x` from
/// [`interval_from`](fn@interval_from). With `cp2 = 0` the value is
/// [`plasma_at`](fn@plasma_at)'s, bit for bit.
#[xp_kernel]
pub fn plasma_cubic_at(t: &[f64], cp: &[f64], cp2: &[f64], len: usize, x: f64, j: usize) -> (f64, f64) {
    let mut value = plasma_at(t, cp, len, x, j);
    let mut curvature = 0.0;
    if x >= t[0] && x < t[len - 1] {
        let h = t[j + 1] - t[j];
        let w = (x - t[j]) / h;
        let v = 1.0 - w;
        value += h * h / 6.0 * ((v * v * v - v) * cp2[j] + (w * w * w - w) * cp2[j + 1]);
        curvature = v * cp2[j] + w * cp2[j + 1];
    }
    (value, curvature)
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
