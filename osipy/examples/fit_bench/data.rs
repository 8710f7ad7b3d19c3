//! Synthetic extended-Tofts data: a Parker population AIF, random tissue parameters, a
//! fine-grid "truth" curve and Gaussian noise.
//!
//! The truth curve is the exact piecewise-linear convolution of the continuous AIF sampled on a
//! grid [`FINE`] times finer than the acquisition, so the fitted (coarse-grid) model is not simply
//! inverting the generator.
//!
//! Generation is parallel and deterministic regardless of the thread count: voxels are cut into
//! chunks of [`CHUNK`], and chunk `c` draws from `ChaCha8Rng::seed_from_u64(seed)` on stream `c`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Sampling interval (s).
pub const DT_S: f64 = 4.0;
/// Baseline samples before the bolus arrives.
pub const BASELINE: usize = 5;
/// Oversampling of the truth-curve convolution grid.
pub const FINE: usize = 40;
/// Standard deviation of the additive Gaussian noise (mM).
pub const NOISE_SD: f64 = 0.01;
/// Voxels per random stream.
pub const CHUNK: usize = 4096;
/// Haematocrit (blood to plasma).
pub const HCT: f64 = 0.42;
/// Ranges of the true parameters: Ktrans (/min), ve, vp.
pub const TRUTH_LO: [f64; 3] = [0.01, 0.05, 0.005];
/// Upper ends of the true parameter ranges.
pub const TRUTH_HI: [f64; 3] = [0.5, 0.6, 0.1];

/// A synthetic data set.
pub struct Synthetic {
    /// Sample times (s).
    pub t: Vec<f64>,
    /// Plasma concentration at the sample times (mM).
    pub cp: Vec<f64>,
    /// True (ktrans, ve, vp) per voxel.
    pub truth: Vec<[f64; 3]>,
    /// Noisy tissue curves, voxels x samples, row-major (mM).
    pub y: Vec<f64>,
    /// Samples per voxel.
    pub samples: usize,
}

/// Parker et al. 2006 population blood curve at `tm` minutes after arrival (mM).
pub fn parker_blood(tm: f64) -> f64 {
    const A: [f64; 2] = [0.809, 0.330];
    const T: [f64; 2] = [0.17046, 0.365];
    const SIGMA: [f64; 2] = [0.0563, 0.132];
    const ALPHA: f64 = 1.050;
    const BETA: f64 = 0.1685;
    const S: f64 = 38.078;
    const TAU: f64 = 0.483;
    let root_2pi = (2.0 * std::f64::consts::PI).sqrt();
    let mut cb = 0.0;
    for j in 0..2 {
        let u = tm - T[j];
        cb += A[j] / (SIGMA[j] * root_2pi) * (-u * u / (2.0 * SIGMA[j] * SIGMA[j])).exp();
    }
    cb + ALPHA * (-BETA * tm).exp() / (1.0 + (-S * (tm - TAU)).exp())
}

/// Plasma concentration (mM) at `t_s` seconds: zero during the baseline, then the Parker curve
/// divided by (1 - Hct).
pub fn plasma(t_s: f64) -> f64 {
    let tm = (t_s - BASELINE as f64 * DT_S) / 60.0;
    if tm < 0.0 {
        0.0
    } else {
        parker_blood(tm) / (1.0 - HCT)
    }
}

/// (E, c1, c2) of one segment of the exact recursion of etofts.md:
/// `I = c1 * a + c2 * (b - a)`, `F_i = E F_{i-1} + I`.
fn segment(kep: f64, dt_min: f64) -> (f64, f64, f64) {
    let x = kep * dt_min;
    let e = (-x).exp();
    if x > 1e-3 {
        let one_minus_e = 1.0 - e;
        (
            e,
            one_minus_e / kep,
            1.0 / kep - one_minus_e / (kep * kep * dt_min),
        )
    } else {
        let s1 = 1.0 + x * (-0.5 + x * (1.0 / 6.0 - x / 24.0));
        let s2 = 0.5 + x * (-1.0 / 6.0 + x * (1.0 / 24.0 - x / 120.0));
        (e, dt_min * s1, dt_min * s2)
    }
}

/// Standard normal pair by Box-Muller.
fn normal_pair(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let u1 = 1.0 - rng.gen::<f64>(); // (0, 1]
    let u2 = rng.gen::<f64>();
    let r = (-2.0 * u1.ln()).sqrt();
    let (s, c) = (2.0 * std::f64::consts::PI * u2).sin_cos();
    (r * c, r * s)
}

/// Makes `voxels` noisy curves of `samples` samples each (t_i = 4 s * i).
pub fn make(voxels: usize, samples: usize, seed: u64) -> Synthetic {
    assert!(samples >= 1, "at least one sample");
    let t: Vec<f64> = (0..samples).map(|i| DT_S * i as f64).collect();
    let cp: Vec<f64> = t.iter().map(|&ti| plasma(ti)).collect();

    // Fine grid: FINE steps per sample interval; fine point FINE * i is sample i exactly.
    let nf = (samples - 1) * FINE + 1;
    let cpf: Vec<f64> = (0..nf).map(|j| plasma(j as f64 * DT_S / FINE as f64)).collect();
    let dcpf: Vec<f64> = std::iter::once(0.0)
        .chain(cpf.windows(2).map(|w| w[1] - w[0]))
        .collect();
    let dt_fine_min = DT_S / FINE as f64 / 60.0;

    let mut truth = vec![[0.0; 3]; voxels];
    let mut y = vec![0.0; voxels * samples];
    y.par_chunks_mut(CHUNK * samples)
        .zip(truth.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(chunk, (ych, tch))| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(chunk as u64);
            for (yv, tv) in ych.chunks_mut(samples).zip(tch.iter_mut()) {
                let mut p = [0.0; 3];
                for a in 0..3 {
                    p[a] = TRUTH_LO[a] + (TRUTH_HI[a] - TRUTH_LO[a]) * rng.gen::<f64>();
                }
                *tv = p;
                let [kt, ve, vp] = p;
                let (e, c1, c2) = segment(kt / ve, dt_fine_min);
                // Truth curve: exact recursion on the fine grid, taken at the samples.
                let mut f = 0.0;
                yv[0] = vp * cp[0];
                for (i, yi) in yv.iter_mut().enumerate().skip(1) {
                    let lo = (i - 1) * FINE;
                    for j in lo + 1..=lo + FINE {
                        f = e * f + c1 * cpf[j - 1] + c2 * dcpf[j];
                    }
                    *yi = vp * cp[i] + kt * f;
                }
                // Noise.
                for pair in yv.chunks_mut(2) {
                    let (z0, z1) = normal_pair(&mut rng);
                    pair[0] += NOISE_SD * z0;
                    if let Some(v) = pair.get_mut(1) {
                        *v += NOISE_SD * z1;
                    }
                }
            }
        });
    Synthetic {
        t,
        cp,
        truth,
        y,
        samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_across_thread_counts() {
        let in_pool = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| make(2 * CHUNK + 100, 12, 42))
        };
        let (a, b) = (in_pool(1), in_pool(3));
        assert_eq!(a.truth, b.truth);
        assert!(a.y.iter().zip(&b.y).all(|(u, v)| u.to_bits() == v.to_bits()));
        assert_eq!(a.y.len(), (2 * CHUNK + 100) * 12);
        // Different chunks draw different streams.
        assert_ne!(a.truth[0], a.truth[CHUNK]);
    }

    #[test]
    fn baseline_and_noise() {
        let d = make(20_000, 80, 3);
        assert!(d.cp[..BASELINE].iter().all(|&c| c == 0.0) && d.cp[BASELINE] > 0.0);
        // Baseline samples are vp * 0 + ktrans * 0 + noise: their SD is the noise SD.
        let base: Vec<f64> = d.y.chunks(80).flat_map(|v| v[..BASELINE].to_vec()).collect();
        let sd = (base.iter().map(|v| v * v).sum::<f64>() / base.len() as f64).sqrt();
        assert!((sd / NOISE_SD - 1.0).abs() < 0.01, "baseline SD {sd}");
    }
}
