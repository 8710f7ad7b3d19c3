//! The per-voxel IVIM kernels: the bi-exponential model and its noise-floor variant (fit
//! models) and the preparation of a voxel's samples (directions combined, normalised to b = 0,
//! the Rician correction) here; the segmented fits (`segmented.rs`) and the Bayesian posterior
//! by quadrature (`bayes.rs`), re-exported.
//!
//! Parameter order everywhere: `[s0, f, d, dstar]` (S0 relative to the mean b = 0 signal; f a
//! fraction; D and D* in mm²/s).

// `!(x > 0.0)` is meant: it is true for NaN as well.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use osipy_kernels::xp_kernel;

pub use super::bayes::ivim_bayes;
pub use super::segmented::{
    ivim_dstar_cost, ivim_dstar_gauss_newton, ivim_rss, ivim_segmented, ivim_two_step_at,
};

/// The IVIM signal on the b-values `b` (s/mm²): `s0 (f e^{-b D*} + (1 - f) e^{-b D})`.
///
/// Default bounds (relative S0, as the pipeline fits samples normalised to b = 0): `s0`
/// [0.5, 1.5], `f` [0, 1], `d` [0, 5e-3] mm²/s, `dstar` [5e-3, 0.2] mm²/s (the OSIPI IVIM
/// collection's fit bounds for f, D and D*; D* above D so the two never swap).
#[xp_kernel(model, samples = b)]
pub fn ivim(
    #[uniform] b: &[f64],
    #[param(init = 1.0, lower = 0.5, upper = 1.5)] s0: f64,
    #[param(init = 0.1, lower = 0.0, upper = 1.0)] f: f64,
    #[param(init = 1.0e-3, lower = 0.0, upper = 5.0e-3)] d: f64,
    #[param(init = 2.0e-2, lower = 5.0e-3, upper = 0.2)] dstar: f64,
    pred: &mut [f64],
) {
    for k in 0..pred.len() {
        pred[k] = s0 * (f * (-b[k] * dstar).exp() + (1.0 - f) * (-b[k] * d).exp());
    }
}

/// The IVIM signal seen through a Rician noise floor: `sqrt(S(b)² + 2 sigma²)` with `S` as in
/// [`ivim`](fn@ivim) and `sigma` the noise SD of each channel of the voxel (relative to its
/// b = 0 signal, like the samples): the root of the expected squared magnitude.
#[xp_kernel(model, samples = b)]
pub fn ivim_floor(
    #[uniform] b: &[f64],
    sigma: f64,
    #[param(init = 1.0, lower = 0.5, upper = 1.5)] s0: f64,
    #[param(init = 0.1, lower = 0.0, upper = 1.0)] f: f64,
    #[param(init = 1.0e-3, lower = 0.0, upper = 5.0e-3)] d: f64,
    #[param(init = 2.0e-2, lower = 5.0e-3, upper = 0.2)] dstar: f64,
    pred: &mut [f64],
) {
    let floor = 2.0 * sigma * sigma;
    for k in 0..pred.len() {
        let s = s0 * (f * (-b[k] * dstar).exp() + (1.0 - f) * (-b[k] * d).exp());
        pred[k] = (s * s + floor).sqrt();
    }
}

/// One voxel's samples made ready for the fits: the volumes `s` (one per entry of `group`,
/// the index of its b-value in `y`) combined per b-value, the b = 0 group (index
/// `b0_group`) by its arithmetic mean, every other group by the geometric mean of its
/// directions (the trace-weighted signal), then (with `normalise` true) divided by the b = 0
/// mean, which is returned in `scale` (1 without). With `two_sigma2` > 0 each sample is first corrected for the Rician bias,
/// `sqrt(max(s² - 2 sigma², (s / 10)²))`.
///
/// Returns the status: 1 ok, 4 a sample NaN or infinite, 5 a sample (or the b = 0 mean)
/// zero or negative; `y` is NaN then.
#[xp_kernel]
pub fn ivim_prepare(
    #[uniform] group: &[f64],
    #[uniform] b0_group: f64,
    #[uniform] two_sigma2: f64,
    #[uniform] normalise: bool,
    s: &[f64],
    y: &mut [f64],
    scale: &mut f64,
) -> f64 {
    let mut status = 1.0;
    for k in 0..s.len() {
        if !s[k].is_finite() {
            status = 4.0;
        } else if s[k] <= 0.0 && status == 1.0 {
            status = 5.0;
        }
    }
    if status != 1.0 {
        for g in 0..y.len() {
            y[g] = f64::NAN;
        }
        *scale = f64::NAN;
        return status;
    }
    for g in 0..y.len() {
        let mut acc = 0.0;
        let mut logs = 0.0;
        let mut n = 0.0;
        let is_b0 = g as f64 == b0_group;
        for k in 0..s.len() {
            if group[k] == g as f64 {
                let mut v = s[k];
                if two_sigma2 > 0.0 {
                    v = (v * v - two_sigma2).max(0.01 * v * v).sqrt();
                }
                if n == 0.0 {
                    acc = v;
                } else {
                    if !is_b0 && n == 1.0 {
                        logs = acc.ln();
                    }
                    acc += v;
                    if !is_b0 {
                        logs += v.ln();
                    }
                }
                n += 1.0;
            }
        }
        // One volume: itself; several: their mean (b = 0) or geometric mean.
        if n <= 1.0 {
            y[g] = acc;
        } else if is_b0 {
            y[g] = acc / n;
        } else {
            y[g] = (logs / n).exp();
        }
    }
    let g0 = b0_group as usize;
    let s0 = y[g0];
    if !(s0 > 0.0 && s0.is_finite()) {
        for g in 0..y.len() {
            y[g] = f64::NAN;
        }
        *scale = f64::NAN;
        return 5.0;
    }
    if normalise {
        for g in 0..y.len() {
            y[g] /= s0;
        }
        *scale = s0;
    } else {
        *scale = 1.0;
    }
    1.0
}
