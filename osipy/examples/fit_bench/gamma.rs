//! The gamma variate of DSC first passes, as a user writes it: the model, a small kernel for
//! data-driven starts (which also cuts the curve after the first pass) and synthetic data.
//!
//! `C(t) = A (t - t0)^alpha exp(-(t - t0) / beta)` for `t > t0`, else 0. The start and the cut
//! follow the DSC-MRI toolbox's first-pass fit (Peruzzo et al., `fitGV_picco1` in the OSIPI
//! DCE-DSC code collection): the arrival is the last sample before the peak at or below 5% of
//! it, the first pass ends at the first sample after the peak at or below 20% of it, and the
//! data after that are set to zero (here the model is zero there too, so they do not count).

use osipy_kernels::xp_kernel;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Sampling interval (s).
pub const DT_S: f64 = 1.5;
/// Samples per curve (90 s).
pub const SAMPLES: usize = 60;
/// Noise standard deviation as a fraction of each curve's peak.
pub const NOISE_OF_PEAK: f64 = 0.03;
/// Ranges of the truth: t0 (s), alpha, beta (s), peak (mM).
pub const TRUTH_LO: [f64; 4] = [10.0, 1.5, 0.8, 2.0];
/// Upper ends of the truth ranges.
pub const TRUTH_HI: [f64; 4] = [25.0, 5.0, 3.0, 10.0];
/// Parameter names, in fit order.
pub const NAMES: [&str; 4] = ["A", "t0", "alpha", "beta"];

/// One sample of the gamma variate, zero outside `(t0, t_end]`.
#[xp_kernel]
#[allow(dead_code)]
pub fn gamma_sample(t: f64, t_end: f64, a: f64, t0: f64, alpha: f64, beta: f64) -> f64 {
    let s = t - t0;
    if s > 0.0 && t <= t_end {
        a * (alpha * s.ln() - s / beta).exp()
    } else {
        0.0
    }
}

/// Gamma variate, zero outside `(t0, t_end]`: `t_end` (s, per voxel) is where the data were
/// cut. The amplitude `a` spans decades along the valley of equal fits (it trades against
/// `alpha`), so it is fitted on a log scale.
#[xp_kernel(model)]
#[allow(dead_code)]
pub fn gamma_variate(
    #[uniform] t: &[f64],
    t_end: f64,
    #[param(init = 1.0, lower = 0.0, log)] a: f64,
    #[param(init = 15.0, lower = 0.0, upper = 60.0)] t0: f64,
    #[param(init = 3.0, lower = 1.0, upper = 10.0)] alpha: f64,
    #[param(init = 1.5, lower = 0.1, upper = 10.0)] beta: f64,
    c: &mut [f64],
) {
    for k in 0..c.len() {
        c[k] = gamma_sample(t[k], t_end, a, t0, alpha, beta);
    }
}

/// The same model with the amplitude stepped on a linear scale, for comparison.
#[xp_kernel(model)]
#[allow(dead_code)]
pub fn gamma_variate_linear(
    #[uniform] t: &[f64],
    t_end: f64,
    #[param(init = 1.0, lower = 0.0)] a: f64,
    #[param(init = 15.0, lower = 0.0, upper = 60.0)] t0: f64,
    #[param(init = 3.0, lower = 1.0, upper = 10.0)] alpha: f64,
    #[param(init = 1.5, lower = 0.1, upper = 10.0)] beta: f64,
    c: &mut [f64],
) {
    for k in 0..c.len() {
        c[k] = gamma_sample(t[k], t_end, a, t0, alpha, beta);
    }
}

/// Data-driven start of [`gamma_variate`](fn@gamma_variate) for one curve `y` at `t`: writes the
/// curve cut after its first pass into `cut` and (A, t0, alpha, beta) into `start`; returns
/// the time of the last sample kept (`t_end`).
///
/// With `u = (t - t0) / (t_peak - t0)` a gamma variate is `peak (u e^(1 - u))^alpha`, so the
/// time at which the curve falls to 20% of its peak gives alpha, and `t_peak - t0 = alpha beta`
/// gives beta.
#[xp_kernel]
#[allow(dead_code)]
pub fn gamma_start(#[uniform] t: &[f64], y: &[f64], cut: &mut [f64], start: &mut [f64]) -> f64 {
    let n = y.len();
    let mut kp = 0;
    let mut ymax = y[0];
    for k in 1..n {
        if y[k] > ymax {
            ymax = y[k];
            kp = k;
        }
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

/// A synthetic data set: noisy first passes and their truth.
pub struct Data {
    /// Sample times (s).
    pub t: Vec<f64>,
    /// True (A, t0, alpha, beta) per voxel.
    pub truth: Vec<[f64; 4]>,
    /// Noisy curves, voxels x [`SAMPLES`], row-major (mM).
    pub y: Vec<f64>,
}

/// Standard normal pair by Box-Muller.
pub fn normal_pair(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let u1 = 1.0 - rng.gen::<f64>();
    let u2 = rng.gen::<f64>();
    let r = (-2.0 * u1.ln()).sqrt();
    let (s, c) = (2.0 * std::f64::consts::PI * u2).sin_cos();
    (r * c, r * s)
}

/// `voxels` first passes: t0, alpha, beta and the peak uniform in their ranges, Gaussian noise
/// of SD 3% of the peak. Deterministic for any thread count (one random stream per chunk).
pub fn make(voxels: usize, seed: u64) -> Data {
    let t: Vec<f64> = (0..SAMPLES).map(|k| DT_S * k as f64).collect();
    let mut truth = vec![[0.0; 4]; voxels];
    let mut y = vec![0.0; voxels * SAMPLES];
    let chunk = crate::data::CHUNK;
    y.par_chunks_mut(chunk * SAMPLES)
        .zip(truth.par_chunks_mut(chunk))
        .enumerate()
        .for_each(|(c, (ych, tch))| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6761_6d6d_6176_6172);
            rng.set_stream(c as u64);
            for (yv, tv) in ych.chunks_mut(SAMPLES).zip(tch.iter_mut()) {
                let r: [f64; 4] =
                    std::array::from_fn(|a| TRUTH_LO[a] + (TRUTH_HI[a] - TRUTH_LO[a]) * rng.gen::<f64>());
                let [t0, alpha, beta, peak] = r;
                let a = peak / ((alpha * beta).powf(alpha) * (-alpha).exp());
                *tv = [a, t0, alpha, beta];
                let sd = NOISE_OF_PEAK * peak;
                for (k, pair) in yv.chunks_mut(2).enumerate() {
                    let (z0, z1) = normal_pair(&mut rng);
                    for (j, v) in pair.iter_mut().enumerate() {
                        let s = t[2 * k + j] - t0;
                        let clean = if s > 0.0 {
                            a * s.powf(alpha) * (-s / beta).exp()
                        } else {
                            0.0
                        };
                        *v = clean + sd * if j == 0 { z0 } else { z1 };
                    }
                }
            }
        });
    Data { t, truth, y }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn data_do_not_depend_on_the_thread_count() {
        let in_pool = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| make(2 * crate::data::CHUNK + 10, 9))
        };
        let (a, b) = (in_pool(1), in_pool(3));
        assert_eq!(a.truth, b.truth);
        assert!(a.y.iter().zip(&b.y).all(|(u, v)| u.to_bits() == v.to_bits()));
    }

    #[test]
    fn the_start_cuts_after_the_first_pass_and_lands_near_the_truth() {
        let t: Vec<f64> = (0..SAMPLES).map(|k| DT_S * k as f64).collect();
        let (a, t0, alpha, beta) = (0.05, 14.2, 3.0, 1.6);
        let y = Array2::from_shape_fn((1, SAMPLES), |(_, k)| {
            let s = t[k] - t0;
            if s > 0.0 {
                a * s.powf(alpha) * (-s / beta).exp()
            } else {
                0.0
            }
        });
        let mut cut = Array2::<f64>::zeros((1, SAMPLES));
        let mut start = Array2::<f64>::zeros((1, 4));
        let t_end = gamma_start::launch(&t, &y, &mut cut, &mut start)
            .unwrap()
            .into_host()
            .unwrap()[[0]];
        let peak = y.iter().copied().fold(0.0, f64::max);
        let ke = t.iter().position(|&x| x == t_end).unwrap();
        assert!(
            y[[0, ke]] <= 0.2 * peak && y[[0, ke - 1]] > 0.2 * peak,
            "cut at {t_end} s"
        );
        assert!(cut.iter().skip(ke + 1).all(|&v| v == 0.0));
        assert_eq!(cut[[0, ke]], y[[0, ke]]);
        let s = start.row(0);
        assert!((s[1] - t0).abs() <= DT_S, "t0 {}", s[1]);
        // A start, not an estimate: alpha within a factor 2, the time to the peak (alpha beta)
        // within a sample, and the amplitude puts the start's peak at the data's.
        assert!((s[2] / alpha).ln().abs() < 2f64.ln(), "alpha {}", s[2]);
        assert!(
            (s[2] * s[3] - alpha * beta).abs() <= 1.5 * DT_S,
            "time to peak {}",
            s[2] * s[3]
        );
        let tp = s[2] * s[3];
        let start_peak = s[0] * tp.powf(s[2]) * (-s[2]).exp();
        assert!(
            (start_peak / peak - 1.0).abs() < 1e-9,
            "start peak {start_peak} vs {peak}"
        );
    }
}
