//! The pharmacokinetic models with a fitted arterial delay.
//!
//! Each model is its namesake of [`models`](super::models) applied to the delayed plasma curve
//! `cp_d(t_i) = cp(t_i - delay)`: the curve of `cp` and `cp2` (see
//! [`convolution`](super::convolution)) evaluated at the shifted times with its second
//! derivative ([`plasma_cubic_at`](fn@super::convolution::plasma_cubic_at)), 0 before `t[0]`
//! and held at its last value after the end (a negative delay shifts the curve left). The
//! convolutions then take the curve through those values with those second derivatives, as the
//! undelayed models do with `cp` and `cp2`, so `delay = 0` gives the undelayed model bit for
//! bit; for a linear curve (`cp2 = 0`) this is linear interpolation of `cp`. With `cp2 != 0` the
//! delayed curve between two shifted samples is the cubic with their values and second
//! derivatives: exact when the delay moves the samples onto the grid (a whole number of
//! frames on a uniform grid), an approximation of the shifted spline otherwise (the spline's
//! knot inside the interval is smoothed over). The derivative with respect to `delay` flows
//! through the interpolation weights (the macro differentiates them); it jumps where a shifted
//! sample crosses a grid point, the one-sided slope of the interval to the right being used
//! there.
//!
//! `delay` (s): start 0, bounds [-10, 10]; the other parameters as in the undelayed models.

use super::convolution::ConvState;
use osipy_kernels::xp_kernel;

/// [`tofts`](fn@super::tofts) with the plasma curve delayed by `delay` (s, start 0, bounds
/// [-10, 10]). `cp` is **plasma** (mM), `cp2` its second derivatives (mM/s²); `ktrans` /min, `ve` fraction, `ct` mM.
#[xp_kernel(model)]
pub fn tofts_delay(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ktrans: f64,
    #[param(init = 0.2, lower = 1e-4, upper = 1.0)] ve: f64,
    #[param(init = 0.0, lower = -10.0, upper = 10.0)] delay: f64,
    ct: &mut [f64],
) {
    let n = ct.len();
    if n == 0 {
        return;
    }
    let kep = ktrans / ve;
    let mut f = 0.0;
    let mut j = super::convolution::interval_from(t, n, t[0] - delay, 0);
    let (mut prev, mut prev_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, t[0] - delay, j);
    ct[0] = 0.0;
    let mut state = ConvState {
        dt_prev: -1.0,
        e: 0.0,
        c1: 0.0,
        c2: 0.0,
        dt3_prev: -1.0,
        c3: 0.0,
        c4: 0.0,
    };
    for i in 1..n {
        let x = t[i] - delay;
        j = super::convolution::interval_from(t, n, x, j);
        let (cur, cur_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, x, j);
        let dt = (t[i] - t[i - 1]) / 60.0;
        let (seg, e) = super::convolution::exp_conv_cubic(prev, cur, prev_m, cur_m, kep, dt, &mut state);
        f = e * f + seg;
        ct[i] = ktrans * f;
        prev = cur;
        prev_m = cur_m;
    }
}

/// [`extended_tofts`](fn@super::extended_tofts) with the plasma curve delayed by `delay` (s,
/// start 0, bounds [-10, 10]). `cp` is **plasma** (mM), `cp2` its second derivatives (mM/s²); `ktrans` /min, `ve`, `vp` fractions,
/// `ct` mM.
#[xp_kernel(model)]
#[allow(clippy::too_many_arguments)] // inputs, parameters and the prediction of one model
pub fn extended_tofts_delay(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ktrans: f64,
    #[param(init = 0.2, lower = 1e-4, upper = 1.0)] ve: f64,
    #[param(init = 0.01, lower = 0.0, upper = 1.0)] vp: f64,
    #[param(init = 0.0, lower = -10.0, upper = 10.0)] delay: f64,
    ct: &mut [f64],
) {
    let n = ct.len();
    if n == 0 {
        return;
    }
    let kep = ktrans / ve;
    let mut f = 0.0;
    let mut j = super::convolution::interval_from(t, n, t[0] - delay, 0);
    let (mut prev, mut prev_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, t[0] - delay, j);
    ct[0] = vp * prev;
    let mut state = ConvState {
        dt_prev: -1.0,
        e: 0.0,
        c1: 0.0,
        c2: 0.0,
        dt3_prev: -1.0,
        c3: 0.0,
        c4: 0.0,
    };
    for i in 1..n {
        let x = t[i] - delay;
        j = super::convolution::interval_from(t, n, x, j);
        let (cur, cur_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, x, j);
        let dt = (t[i] - t[i - 1]) / 60.0;
        let (seg, e) = super::convolution::exp_conv_cubic(prev, cur, prev_m, cur_m, kep, dt, &mut state);
        f = e * f + seg;
        ct[i] = vp * cur + ktrans * f;
        prev = cur;
        prev_m = cur_m;
    }
}

/// [`patlak`](fn@super::patlak) with the plasma curve delayed by `delay` (s, start 0, bounds
/// [-10, 10]). `cp` is **plasma** (mM), `cp2` its second derivatives (mM/s²); `ps` /min, `vp` fraction, `ct` mM.
#[xp_kernel(model)]
pub fn patlak_delay(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ps: f64,
    #[param(init = 0.01, lower = 0.0, upper = 1.0)] vp: f64,
    #[param(init = 0.0, lower = -10.0, upper = 10.0)] delay: f64,
    ct: &mut [f64],
) {
    let n = ct.len();
    if n == 0 {
        return;
    }
    let mut area = 0.0;
    let mut j = super::convolution::interval_from(t, n, t[0] - delay, 0);
    let (mut prev, mut prev_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, t[0] - delay, j);
    ct[0] = vp * prev;
    for i in 1..n {
        let x = t[i] - delay;
        j = super::convolution::interval_from(t, n, x, j);
        let (cur, cur_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, x, j);
        let dt = (t[i] - t[i - 1]) / 60.0;
        area += super::convolution::plasma_area(prev, cur, prev_m, cur_m, dt);
        ct[i] = vp * cur + ps * area;
        prev = cur;
        prev_m = cur_m;
    }
}

/// [`two_cxm`](fn@super::two_cxm) with the plasma curve delayed by `delay` (s, start 0, bounds
/// [-10, 10]). `cp` is **plasma** (mM), `cp2` its second derivatives (mM/s²); `fp` ml/100ml/min, `ps` /min, `ve`, `vp` fractions,
/// `ct` mM.
#[xp_kernel(model)]
#[allow(clippy::too_many_arguments)] // the model's inputs, four parameters, delay, prediction
pub fn two_cxm_delay(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 20.0, lower = 1e-3, upper = 200.0)] fp: f64,
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ps: f64,
    #[param(init = 0.2, lower = 1e-4, upper = 1.0)] ve: f64,
    #[param(init = 0.01, lower = 1e-4, upper = 1.0)] vp: f64,
    #[param(init = 0.0, lower = -10.0, upper = 10.0)] delay: f64,
    ct: &mut [f64],
) {
    let n = ct.len();
    if n == 0 {
        return;
    }
    let f = fp / 100.0;
    let (kp, km, ap, am) = super::models::two_cxm_rates(f, ps, ve, vp);
    let mut fpl = 0.0;
    let mut fmi = 0.0;
    let mut j = super::convolution::interval_from(t, n, t[0] - delay, 0);
    let (mut prev, mut prev_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, t[0] - delay, j);
    ct[0] = 0.0;
    let mut state_0 = ConvState {
        dt_prev: -1.0,
        e: 0.0,
        c1: 0.0,
        c2: 0.0,
        dt3_prev: -1.0,
        c3: 0.0,
        c4: 0.0,
    };
    let mut state_1 = ConvState {
        dt_prev: -1.0,
        e: 0.0,
        c1: 0.0,
        c2: 0.0,
        dt3_prev: -1.0,
        c3: 0.0,
        c4: 0.0,
    };
    for i in 1..n {
        let x = t[i] - delay;
        j = super::convolution::interval_from(t, n, x, j);
        let (cur, cur_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, x, j);
        let dt = (t[i] - t[i - 1]) / 60.0;
        let (sp, ep) = super::convolution::exp_conv_cubic(prev, cur, prev_m, cur_m, kp, dt, &mut state_0);
        let (sm, em) = super::convolution::exp_conv_cubic(prev, cur, prev_m, cur_m, km, dt, &mut state_1);
        fpl = ep * fpl + sp;
        fmi = em * fmi + sm;
        ct[i] = f * (ap * fpl + am * fmi);
        prev = cur;
        prev_m = cur_m;
    }
}

/// [`two_cum`](fn@super::two_cum) with the plasma curve delayed by `delay` (s, start 0, bounds
/// [-10, 10]). `cp` is **plasma** (mM), `cp2` its second derivatives (mM/s²); `fp` ml/100ml/min, `ps` /min, `vp` fraction, `ct` mM.
#[xp_kernel(model)]
#[allow(clippy::too_many_arguments)] // inputs, parameters and the prediction of one model
pub fn two_cum_delay(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 20.0, lower = 1e-3, upper = 200.0)] fp: f64,
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ps: f64,
    #[param(init = 0.01, lower = 1e-4, upper = 1.0)] vp: f64,
    #[param(init = 0.0, lower = -10.0, upper = 10.0)] delay: f64,
    ct: &mut [f64],
) {
    let n = ct.len();
    if n == 0 {
        return;
    }
    let f = fp / 100.0;
    let k = (f + ps) / vp;
    let wexp = f * f / (f + ps);
    let wint = f * ps / (f + ps);
    let mut conv = 0.0;
    let mut area = 0.0;
    let mut j = super::convolution::interval_from(t, n, t[0] - delay, 0);
    let (mut prev, mut prev_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, t[0] - delay, j);
    ct[0] = 0.0;
    let mut state = ConvState {
        dt_prev: -1.0,
        e: 0.0,
        c1: 0.0,
        c2: 0.0,
        dt3_prev: -1.0,
        c3: 0.0,
        c4: 0.0,
    };
    for i in 1..n {
        let x = t[i] - delay;
        j = super::convolution::interval_from(t, n, x, j);
        let (cur, cur_m) = super::convolution::plasma_cubic_at(t, cp, cp2, n, x, j);
        let dt = (t[i] - t[i - 1]) / 60.0;
        let (seg, e) = super::convolution::exp_conv_cubic(prev, cur, prev_m, cur_m, k, dt, &mut state);
        conv = e * conv + seg;
        area += super::convolution::plasma_area(prev, cur, prev_m, cur_m, dt);
        ct[i] = wexp * conv + wint * area;
        prev = cur;
        prev_m = cur_m;
    }
}
