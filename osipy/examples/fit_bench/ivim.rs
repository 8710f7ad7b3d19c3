//! IVIM, as a user writes it: the bi-exponential model, a small kernel for data-driven starts
//! (the usual segmented estimate) and synthetic data.
//!
//! `S(b) = S0 (f exp(-b D*) + (1 - f) exp(-b D))`, b in s/mm², D and D* in mm²/s. The b-values,
//! the parameter ranges and the bounds come from the OSIPI IVIM code collection
//! (OSIPI/TF2.4_IVIM-MRI_CodeCollection at f91b53c, `tests/IVIMmodels/unit_tests/generic.json`
//! and the bounds its unit tests give an algorithm; copied in `shared/reference-data`):
//! the 18 b-values of `generic.json`'s `config.bvalues`; D, f and D* uniform over the range of
//! its 14 tissues (D 0.41e-3 to 3.0e-3, f 0.07 to 0.69, D* 0.01 to 0.1); bounds S0 [0.7, 1.3]
//! (signals normalised), f [0, 1], D [0, 0.005], D* [0.005, 0.2].

use osipy_kernels::xp_kernel;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The b-values (s/mm²) of the collection's generic set.
pub const B_VALUES: [f64; 18] = [
    0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 250.0, 350.0, 400.0, 550.0, 700.0, 850.0,
    1000.0,
];
/// Signal-to-noise ratio at b = 0 (S0 / sigma of each Gaussian channel of the Rician noise).
pub const SNR: f64 = 50.0;
/// Ranges of the truth: S0, f, D (mm²/s), D* (mm²/s).
pub const TRUTH_LO: [f64; 4] = [0.8, 0.07, 0.41e-3, 0.01];
/// Upper ends of the truth ranges.
pub const TRUTH_HI: [f64; 4] = [1.2, 0.69, 3.0e-3, 0.1];
/// The shared start (the model's defaults).
pub const SHARED_START: [f64; 4] = [1.0, 0.1, 1e-3, 0.01];
/// Parameter names, in fit order.
pub const NAMES: [&str; 4] = ["S0", "f", "D", "D*"];

/// IVIM bi-exponential signal.
#[xp_kernel(model)]
#[allow(dead_code)]
pub fn ivim(
    #[uniform] b: &[f64],
    #[param(init = 1.0, lower = 0.7, upper = 1.3)] s0: f64,
    #[param(init = 0.1, lower = 0.0, upper = 1.0)] f: f64,
    #[param(init = 1e-3, lower = 0.0, upper = 0.005)] d: f64,
    #[param(init = 0.01, lower = 0.005, upper = 0.2)] dstar: f64,
    s: &mut [f64],
) {
    for k in 0..s.len() {
        s[k] = s0 * (f * (-b[k] * dstar).exp() + (1.0 - f) * (-b[k] * d).exp());
    }
}

/// Data-driven start of [`ivim`](fn@ivim) for one signal `y` at b-values `b` (ascending, the
/// first 0), written into `start` as (S0, f, D, D*): S0 from b = 0; D and `S0 (1 - f)` from a
/// log-linear fit of the samples at b >= 200, where the pseudo-diffusion has died out; D* from a
/// log-linear fit through the origin of what is left at 0 < b < 200.
#[xp_kernel]
#[allow(dead_code)]
pub fn ivim_start(#[uniform] b: &[f64], y: &[f64], start: &mut [f64]) {
    let n = y.len();
    let s0 = y[0].max(0.7).min(1.3);
    let floor = 1e-3 * s0;
    let mut sw = 0.0;
    let mut sb = 0.0;
    let mut sl = 0.0;
    let mut sbb = 0.0;
    let mut sbl = 0.0;
    for k in 0..n {
        if b[k] >= 200.0 {
            let l = y[k].max(floor).ln();
            sw += 1.0;
            sb += b[k];
            sl += l;
            sbb += b[k] * b[k];
            sbl += b[k] * l;
        }
    }
    let den = sw * sbb - sb * sb;
    let mut d = 1e-3;
    let mut lint = (0.9 * s0).ln();
    if sw >= 2.0 && den > 0.0 {
        d = -(sw * sbl - sb * sl) / den;
        lint = (sl + d * sb) / sw;
    }
    d = d.max(1e-5).min(0.0049);
    let f = (1.0 - lint.exp() / s0).max(0.01).min(0.9);
    let mut num = 0.0;
    let mut dd = 0.0;
    for k in 0..n {
        if b[k] > 0.0 && b[k] < 200.0 {
            let r = (y[k] - (lint - b[k] * d).exp()) / (f * s0);
            if r > 0.0 && r < 1.0 {
                num -= b[k] * r.ln();
                dd += b[k] * b[k];
            }
        }
    }
    let mut dstar = 0.02;
    if dd > 0.0 {
        dstar = num / dd;
    }
    start[0] = s0;
    start[1] = f;
    start[2] = d;
    start[3] = dstar.max(0.006).min(0.18);
}

/// A synthetic data set: noisy signals and their truth.
pub struct Data {
    /// True (S0, f, D, D*) per voxel.
    pub truth: Vec<[f64; 4]>,
    /// Noisy signals, voxels x 18, row-major.
    pub y: Vec<f64>,
}

/// `voxels` signals: S0, f, D, D* uniform in their ranges, Rician noise of sigma S0 / 50.
/// Deterministic for any thread count (one random stream per chunk).
pub fn make(voxels: usize, seed: u64) -> Data {
    let n = B_VALUES.len();
    let mut truth = vec![[0.0; 4]; voxels];
    let mut y = vec![0.0; voxels * n];
    let chunk = crate::data::CHUNK;
    y.par_chunks_mut(chunk * n)
        .zip(truth.par_chunks_mut(chunk))
        .enumerate()
        .for_each(|(c, (ych, tch))| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6976_696d);
            rng.set_stream(c as u64);
            for (yv, tv) in ych.chunks_mut(n).zip(tch.iter_mut()) {
                let p: [f64; 4] =
                    std::array::from_fn(|a| TRUTH_LO[a] + (TRUTH_HI[a] - TRUTH_LO[a]) * rng.gen::<f64>());
                *tv = p;
                let [s0, f, d, dstar] = p;
                let sigma = s0 / SNR;
                for (k, v) in yv.iter_mut().enumerate() {
                    let bk = B_VALUES[k];
                    let clean = s0 * (f * (-bk * dstar).exp() + (1.0 - f) * (-bk * d).exp());
                    let (z0, z1) = crate::gamma::normal_pair(&mut rng);
                    let (re, im) = (clean + sigma * z0, sigma * z1);
                    *v = (re * re + im * im).sqrt();
                }
            }
        });
    Data { truth, y }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn the_segmented_start_lands_near_noise_free_truth() {
        let truth = [1.05, 0.2, 1.2e-3, 0.04];
        let [s0, f, d, ds] = truth;
        let y = Array2::from_shape_fn((1, B_VALUES.len()), |(_, k)| {
            let b = B_VALUES[k];
            s0 * (f * (-b * ds).exp() + (1.0 - f) * (-b * d).exp())
        });
        let mut start = Array2::<f64>::zeros((1, 4));
        ivim_start::launch(&B_VALUES[..], &y, &mut start).unwrap();
        let s = start.row(0);
        assert!((s[0] - s0).abs() < 1e-12, "S0 {}", s[0]);
        assert!((s[1] - f).abs() < 0.02, "f {}", s[1]);
        assert!((s[2] / d - 1.0).abs() < 0.05, "D {}", s[2]);
        assert!((s[3] / ds - 1.0).abs() < 0.3, "D* {}", s[3]);
    }

    #[test]
    fn rician_noise_at_snr_50_has_the_right_spread_at_b0() {
        let data = make(20_000, 4);
        let n = B_VALUES.len();
        // At b = 0 the signal is S0 >> sigma: the magnitude is close to Gaussian with sd S0/50.
        let z: Vec<f64> = data
            .truth
            .iter()
            .zip(data.y.chunks(n))
            .map(|(t, y)| (y[0] - t[0]) / (t[0] / SNR))
            .collect();
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        let sd = (z.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / z.len() as f64).sqrt();
        assert!(
            mean.abs() < 0.03 && (sd - 1.0).abs() < 0.03,
            "mean {mean}, sd {sd}"
        );
    }
}
