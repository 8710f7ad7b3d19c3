//! The gamma-variate first pass: recirculation removal for DSC curves.
//!
//! `C(t) = A (t - t0)^alpha exp(-(t - t0) / beta)` for `t > t0`, else 0 (Thompson et al.,
//! Circ Res 1964; for DSC, Rempp et al. 1994). The data are cut after the first pass
//! ([`gamma_start`](fn@gamma_start), which also gives the data-driven start): the arrival is
//! the last sample before the peak at or below 5 % of it and the first pass ends at the first
//! sample after the peak at or below 20 % of it (the DSC-MRI toolbox's `fitGV_picco1`, Peruzzo
//! et al.); the model is zero after the cut too, so the recirculation does not count. The
//! fitted curve's area, `A beta^(alpha + 1) Gamma(alpha + 1)`, is the first-pass area
//! ([`gamma_area`](fn@gamma_area)).

use osipy_kernels::xp_kernel;

/// One sample of the gamma variate at `t` (s), zero outside `(t0, t_end]`.
#[xp_kernel]
pub fn gamma_sample(t: f64, t_end: f64, a: f64, t0: f64, alpha: f64, beta: f64) -> f64 {
    let s = t - t0;
    if s > 0.0 && t <= t_end {
        a * (alpha * s.ln() - s / beta).exp()
    } else {
        0.0
    }
}

/// The gamma variate on the sample times `t` (s), zero outside `(t0, t_end]` (`t_end`, per
/// voxel, where the data were cut). The amplitude trades against `alpha` over decades along
/// the valley of equal fits, so it is fitted on a log scale.
///
/// Parameters: `a` (mM s^-alpha), `t0` (s, [0, 300]), `alpha` ([1, 10]), `beta` (s,
/// [0.1, 10]).
#[xp_kernel(model, samples = t)]
pub fn gamma_variate(
    #[uniform] t: &[f64],
    t_end: f64,
    #[param(init = 1.0, lower = 0.0, log)] a: f64,
    #[param(init = 15.0, lower = 0.0, upper = 300.0)] t0: f64,
    #[param(init = 3.0, lower = 1.0, upper = 10.0)] alpha: f64,
    #[param(init = 1.5, lower = 0.1, upper = 10.0)] beta: f64,
    c: &mut [f64],
) {
    for k in 0..c.len() {
        c[k] = gamma_sample(t[k], t_end, a, t0, alpha, beta);
    }
}

/// Data-driven start of [`gamma_variate`](fn@gamma_variate) for one curve `y` at `t`: writes
/// the curve cut after its first pass into `cut` and (A, t0, alpha, beta) into `start` (4
/// values); returns the time of the last sample kept (`t_end`).
///
/// With `u = (t - t0) / (t_peak - t0)` a gamma variate is `peak (u e^(1 - u))^alpha`, so the
/// time at which the curve falls to 20 % of its peak gives alpha, and `t_peak - t0 = alpha
/// beta` gives beta. A curve with a non-finite sample or no positive peak gets a NaN start
/// (the fit then reports an invalid start).
#[xp_kernel]
pub fn gamma_start(#[uniform] t: &[f64], y: &[f64], cut: &mut [f64], start: &mut [f64]) -> f64 {
    let n = y.len();
    let mut kp = 0;
    let mut ymax = y[0];
    let mut finite = true;
    for k in 0..n {
        if !y[k].is_finite() {
            finite = false;
        }
        if y[k] > ymax {
            ymax = y[k];
            kp = k;
        }
    }
    if !finite || ymax <= 0.0 || n < 3 {
        for k in 0..n {
            cut[k] = y[k];
        }
        for j in 0..4 {
            start[j] = f64::NAN;
        }
        return t[n - 1];
    }
    let mut k0 = 0;
    for j in 0..kp {
        let k = kp - 1 - j;
        if y[k] <= 0.05 * ymax {
            k0 = k;
            break;
        }
    }
    let mut ke = n - 1;
    for k in kp + 1..n {
        if y[k] <= 0.2 * ymax {
            ke = k;
            break;
        }
    }
    for k in 0..n {
        cut[k] = if k <= ke { y[k] } else { 0.0 };
    }
    let t0 = t[k0];
    let tmax = (t[kp] - t0).max(0.5 * (t[1] - t[0]));
    // Where the curve crosses 20% of its peak, between samples ke - 1 and ke.
    let mut tc = t[ke];
    if ke > kp && y[ke - 1] > y[ke] {
        let w = (y[ke - 1] - 0.2 * ymax) / (y[ke - 1] - y[ke]);
        tc = t[ke - 1] + w.max(0.0).min(1.0) * (t[ke] - t[ke - 1]);
    }
    let u = ((tc - t0) / tmax).max(1.05);
    let ln_end = -1.6094379124341003; // ln 0.2
    let mut alpha = ln_end / (u.ln() + 1.0 - u);
    alpha = alpha.max(1.2).min(8.0);
    let beta = tmax / alpha;
    start[0] = ymax * (alpha - alpha * tmax.ln()).exp();
    start[1] = t0;
    start[2] = alpha;
    start[3] = beta;
    t[ke]
}

/// `ln Gamma(x)` for `x > 0` (Lanczos, g = 7, 9 coefficients; relative error below 1e-13 for
/// the `x = alpha + 1` in [2, 11] of the fits).
#[xp_kernel]
pub fn ln_gamma(x: f64) -> f64 {
    let g = 7.0;
    let z = x - 1.0;
    let mut sum = 0.999_999_999_999_809_9;
    sum += 676.520_368_121_885_1 / (z + 1.0);
    sum += -1_259.139_216_722_402_8 / (z + 2.0);
    sum += 771.323_428_777_653_1 / (z + 3.0);
    sum += -176.615_029_162_140_6 / (z + 4.0);
    sum += 12.507_343_278_686_905 / (z + 5.0);
    sum += -0.138_571_095_265_720_12 / (z + 6.0);
    sum += 9.984_369_578_019_572e-6 / (z + 7.0);
    sum += 1.505_632_735_149_311_6e-7 / (z + 8.0);
    let tt = z + g + 0.5;
    0.918_938_533_204_672_8 + (z + 0.5) * tt.ln() - tt + sum.ln()
}

/// The area of the whole gamma variate (mM s): `a beta^(alpha + 1) Gamma(alpha + 1)`; NaN for
/// parameters that are not finite.
#[xp_kernel]
pub fn gamma_area(a: f64, alpha: f64, beta: f64) -> f64 {
    if !(a.is_finite() && alpha.is_finite() && beta > 0.0) {
        return f64::NAN;
    }
    a * ((alpha + 1.0) * beta.ln() + ln_gamma(alpha + 1.0)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut f = 1.0f64;
        for n in 1..12 {
            f *= n as f64;
            let got = ln_gamma(n as f64 + 1.0);
            assert!(
                (got - f.ln()).abs() < 1e-12 * f.ln().max(1.0),
                "{n}: {got} vs {}",
                f.ln()
            );
        }
        // Gamma(1/2) = sqrt(pi).
        let half = ln_gamma(0.5);
        assert!((half - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
    }

    #[test]
    fn area_matches_a_fine_sum() {
        let (a, alpha, beta) = (0.3, 3.2, 1.4);
        let dt = 1e-3;
        let sum: f64 = (1..200_000)
            .map(|k| gamma_sample(k as f64 * dt, 1e9, a, 0.0, alpha, beta) * dt)
            .sum();
        assert!((gamma_area(a, alpha, beta) / sum - 1.0).abs() < 1e-6);
    }
}
