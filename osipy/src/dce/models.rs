//! The pharmacokinetic models without an arterial delay (see the [module docs](super) for the
//! conventions shared by every model).

use super::convolution::ConvState;
use osipy_kernels::xp_kernel;

/// Standard Tofts model: `Ct(t) = Ktrans integral_0^t cp(s) exp(-kep (t - s)) ds`,
/// `kep = Ktrans / ve` (Tofts et al., JMRI 1999).
///
/// - `t`: sample times (s), increasing, any spacing; `cp`: **plasma** concentration (mM) at
///   `t` (convert a blood curve with [`plasma_from_blood`](super::plasma_from_blood)); `cp2`:
///   its second derivatives (mM/s²) at `t`, zeros for a curve linear between samples
///   ([`plasma_curvature`](super::plasma_curvature));
/// - `ktrans` (/min): start 0.6, bounds [0, 5]; `ve` (fraction): start 0.2, bounds
///   [1e-4, 1] (`kep` divides by `ve`, so the lower bound is strictly positive);
/// - `ct`: tissue concentration (mM) at `t`, same length as `t` and `cp`.
///
/// The convolution is exact for the piecewise-cubic curve of `cp` and `cp2`
/// ([`exp_conv_cubic`](fn@super::convolution::exp_conv_cubic)); `ct[0] = 0`.
#[xp_kernel(model)]
pub fn tofts(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ktrans: f64,
    #[param(init = 0.2, lower = 1e-4, upper = 1.0)] ve: f64,
    ct: &mut [f64],
) {
    let kep = ktrans / ve;
    let mut f = 0.0;
    if !ct.is_empty() {
        ct[0] = 0.0;
    }
    let mut state = ConvState {
        dt_prev: -1.0,
        e: 0.0,
        c1: 0.0,
        c2: 0.0,
        dt3_prev: -1.0,
        c3: 0.0,
        c4: 0.0,
    };
    for i in 1..ct.len() {
        let dt = (t[i] - t[i - 1]) / 60.0;
        let (seg, e) =
            super::convolution::exp_conv_cubic(cp[i - 1], cp[i], cp2[i - 1], cp2[i], kep, dt, &mut state);
        f = e * f + seg;
        ct[i] = ktrans * f;
    }
}

/// Extended Tofts model: `Ct(t) = vp cp(t) + Ktrans integral_0^t cp(s) exp(-kep (t - s)) ds`,
/// `kep = Ktrans / ve`.
///
/// - `t` (s), `cp` (**plasma**, mM), `cp2` (mM/s²) as in [`tofts`](fn@tofts);
/// - `ktrans` (/min): start 0.6, bounds [0, 5]; `ve`: start 0.2, bounds [1e-4, 1]; `vp`
///   (fraction): start 0.01, bounds [0, 1];
/// - `ct`: tissue concentration (mM) at `t`.
#[xp_kernel(model)]
pub fn extended_tofts(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ktrans: f64,
    #[param(init = 0.2, lower = 1e-4, upper = 1.0)] ve: f64,
    #[param(init = 0.01, lower = 0.0, upper = 1.0)] vp: f64,
    ct: &mut [f64],
) {
    let kep = ktrans / ve;
    let mut f = 0.0;
    if !ct.is_empty() {
        ct[0] = vp * cp[0];
    }
    let mut state = ConvState {
        dt_prev: -1.0,
        e: 0.0,
        c1: 0.0,
        c2: 0.0,
        dt3_prev: -1.0,
        c3: 0.0,
        c4: 0.0,
    };
    for i in 1..ct.len() {
        let dt = (t[i] - t[i - 1]) / 60.0;
        let (seg, e) =
            super::convolution::exp_conv_cubic(cp[i - 1], cp[i], cp2[i - 1], cp2[i], kep, dt, &mut state);
        f = e * f + seg;
        ct[i] = vp * cp[i] + ktrans * f;
    }
}

/// Patlak model: `Ct(t) = vp cp(t) + PS integral_0^t cp(s) ds` (Patlak et al., J Cereb Blood
/// Flow Metab 1983), the integral by the trapezoid rule, exact for a `cp` linear between
/// samples.
///
/// - `t` (s), `cp` (**plasma**, mM), `cp2` (mM/s²) as in [`tofts`](fn@tofts);
/// - `ps` (/min): start 0.6, bounds [0, 5]; `vp` (fraction): start 0.01, bounds [0, 1];
/// - `ct`: tissue concentration (mM) at `t`.
#[xp_kernel(model)]
pub fn patlak(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ps: f64,
    #[param(init = 0.01, lower = 0.0, upper = 1.0)] vp: f64,
    ct: &mut [f64],
) {
    let mut area = 0.0;
    if !ct.is_empty() {
        ct[0] = vp * cp[0];
    }
    for i in 1..ct.len() {
        let dt = (t[i] - t[i - 1]) / 60.0;
        area += super::convolution::plasma_area(cp[i - 1], cp[i], cp2[i - 1], cp2[i], dt);
        ct[i] = vp * cp[i] + ps * area;
    }
}

/// The rates and amplitudes of the two-compartment exchange model's impulse response
/// `R(t) = Fp (a+ exp(-k+ t) + a- exp(-k- t))` (Sourbron & Buckley, NMR Biomed 2013,
/// 26:1004, section 2CXM).
///
/// Inputs: `f` = Fp in /min (ml/ml/min, i.e. Fp in ml/100ml/min divided by 100), `ps` (/min),
/// `ve`, `vp` (fractions, > 0). With `a = (f + ps) / vp`, `b = ps / ve`, `q = ps^2 / (vp ve)`
/// and `s = sqrt((a - b)^2 + 4 q)` (the discriminant `(a + b)^2 - 4 f ps / (vp ve)` written
/// without cancellation):
///
/// - `k+ = (a + b + s) / 2`, `k- = (f ps / (vp ve)) / k+` (the product of the roots, stable);
/// - `a+ = (f / vp - k-) / s`, `a- = (k+ - f / vp) / s`, with `k+ - f / vp = (k+ - a) + ps / vp`
///   and `k+ - a` taken from `(k+ - a)(k+ - b) = q` on the side where it does not cancel.
///
/// Returns `(k+, k-, a+, a-)` (rates in /min). `s > 0` whenever `f > 0`.
#[xp_kernel]
pub fn two_cxm_rates(f: f64, ps: f64, ve: f64, vp: f64) -> (f64, f64, f64, f64) {
    let a = (f + ps) / vp;
    let b = ps / ve;
    let q = ps * ps / (vp * ve);
    let d = a - b;
    let s = (d * d + 4.0 * q).sqrt();
    let kp = 0.5 * (a + b + s);
    let km = f * ps / (vp * ve) / kp;
    let kp_minus_a = if d >= 0.0 {
        q / (0.5 * (d + s))
    } else {
        0.5 * (s - d)
    };
    let am = (kp_minus_a + ps / vp) / s;
    let ap = (f / vp - km) / s;
    (kp, km, ap, am)
}

/// Two-compartment exchange model (2CXM): plasma (`vp`) and extravascular extracellular
/// space (`ve`) exchanging with permeability-surface area product `PS`, fed by plasma flow
/// `Fp`: `Ct = cp * R`, `R(t) = Fp (a+ exp(-k+ t) + a- exp(-k- t))`, rates and amplitudes as
/// in [`two_cxm_rates`](fn@two_cxm_rates) (Sourbron & Buckley, NMR Biomed 2013, 26:1004).
///
/// - `t` (s), `cp` (**plasma**, mM), `cp2` (mM/s²) as in [`tofts`](fn@tofts);
/// - `fp` (ml/100ml/min): start 20, bounds [1e-3, 200] (strictly positive so the rates are
///   defined for `ps = 0`); `ps` (/min): start 0.6, bounds [0, 5]; `ve`: start 0.2, bounds
///   [1e-4, 1]; `vp`: start 0.01, bounds [1e-4, 1] (`ve` and `vp` divide);
/// - `ct`: tissue concentration (mM) at `t`.
///
/// Both convolutions are exact for the curve of `cp` and `cp2`.
#[xp_kernel(model)]
#[allow(clippy::too_many_arguments)] // inputs, parameters and the prediction of one model
pub fn two_cxm(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 20.0, lower = 1e-3, upper = 200.0)] fp: f64,
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ps: f64,
    #[param(init = 0.2, lower = 1e-4, upper = 1.0)] ve: f64,
    #[param(init = 0.01, lower = 1e-4, upper = 1.0)] vp: f64,
    ct: &mut [f64],
) {
    let f = fp / 100.0;
    let (kp, km, ap, am) = two_cxm_rates(f, ps, ve, vp);
    let mut fpl = 0.0;
    let mut fmi = 0.0;
    if !ct.is_empty() {
        ct[0] = 0.0;
    }
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
    for i in 1..ct.len() {
        let dt = (t[i] - t[i - 1]) / 60.0;
        let (sp, ep) =
            super::convolution::exp_conv_cubic(cp[i - 1], cp[i], cp2[i - 1], cp2[i], kp, dt, &mut state_0);
        let (sm, em) =
            super::convolution::exp_conv_cubic(cp[i - 1], cp[i], cp2[i - 1], cp2[i], km, dt, &mut state_1);
        fpl = ep * fpl + sp;
        fmi = em * fmi + sm;
        ct[i] = f * (ap * fpl + am * fmi);
    }
}

/// Two-compartment uptake model (2CUM): the 2CXM without backflux from the interstitium
/// (`ve` infinite): `R(t) = Fp ((1 - E) exp(-t / Tp) + E)`, `E = PS / (Fp + PS)`,
/// `Tp = vp / (Fp + PS)` (Sourbron & Buckley, NMR Biomed 2013, 26:1004), so
/// `Ct = Fp (1 - E) integral cp(s) exp(-(t - s) / Tp) ds + Fp E integral_0^t cp`.
///
/// - `t` (s), `cp` (**plasma**, mM), `cp2` (mM/s²) as in [`tofts`](fn@tofts);
/// - `fp` (ml/100ml/min): start 20, bounds [1e-3, 200] (`E` divides by `Fp + PS`); `ps`
///   (/min): start 0.6, bounds [0, 5]; `vp`: start 0.01, bounds [1e-4, 1] (`1 / Tp` divides
///   by `vp`);
/// - `ct`: tissue concentration (mM) at `t`.
#[xp_kernel(model)]
pub fn two_cum(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[uniform] cp2: &[f64],
    #[param(init = 20.0, lower = 1e-3, upper = 200.0)] fp: f64,
    #[param(init = 0.6, lower = 0.0, upper = 5.0)] ps: f64,
    #[param(init = 0.01, lower = 1e-4, upper = 1.0)] vp: f64,
    ct: &mut [f64],
) {
    let f = fp / 100.0;
    let k = (f + ps) / vp;
    let wexp = f * f / (f + ps);
    let wint = f * ps / (f + ps);
    let mut conv = 0.0;
    let mut area = 0.0;
    if !ct.is_empty() {
        ct[0] = 0.0;
    }
    let mut state = ConvState {
        dt_prev: -1.0,
        e: 0.0,
        c1: 0.0,
        c2: 0.0,
        dt3_prev: -1.0,
        c3: 0.0,
        c4: 0.0,
    };
    for i in 1..ct.len() {
        let dt = (t[i] - t[i - 1]) / 60.0;
        let (seg, e) =
            super::convolution::exp_conv_cubic(cp[i - 1], cp[i], cp2[i - 1], cp2[i], k, dt, &mut state);
        conv = e * conv + seg;
        area += super::convolution::plasma_area(cp[i - 1], cp[i], cp2[i - 1], cp2[i], dt);
        ct[i] = wexp * conv + wint * area;
    }
}
