//! The Parker population AIF (blood).
//!
//! Parker GJM, Roberts C, Macdonald A, Buonaccorsi GA, Cheung S, Buckley DL, Jackson A,
//! Watson Y, Davies K, Jayson GC. *Experimentally-derived functional form for a
//! population-averaged high-temporal-resolution arterial input function for dynamic
//! contrast-enhanced MRI.* Magn Reson Med 2006; 56:993–1000, doi:10.1002/mrm.21066, eq. 1 and
//! Table 1:
//!
//! ```text
//! Cb(t) = Σ_{n=1,2} A_n / (σ_n √(2π)) · exp(-(t - T_n)² / (2 σ_n²))
//!       + α exp(-β t) / (1 + exp(-s (t - τ)))          (t in min, Cb in mM)
//! ```
//!
//! The curve is the **whole-blood** concentration (convert to plasma with `Cp = Cb / (1 -
//! Hct)`). Time 0 of the model is the start of the curve as published (the bolus arrives
//! about 0.1 min later); the kernels here take time in seconds and a delay, and are zero
//! before `t = delay`, as the OSIPI code collection's reference data
//! (`ParkerAIF_ref_with_delay.csv`).

use osipy_kernels::xp_kernel;

use crate::{Error, Result};

/// The constants of the Parker AIF, in the paper's units (time in min).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParkerParams {
    /// Area of the first-pass Gaussian (mM·min).
    pub a1: f64,
    /// Width of the first-pass Gaussian (min).
    pub sigma1: f64,
    /// Centre of the first-pass Gaussian (min).
    pub t1: f64,
    /// Area of the recirculation Gaussian (mM·min).
    pub a2: f64,
    /// Width of the recirculation Gaussian (min).
    pub sigma2: f64,
    /// Centre of the recirculation Gaussian (min).
    pub t2: f64,
    /// Amplitude of the washout exponential (mM).
    pub alpha: f64,
    /// Decay rate of the washout exponential (1/min).
    pub beta: f64,
    /// Steepness of the sigmoid (1/min).
    pub s: f64,
    /// Centre of the sigmoid (min).
    pub tau: f64,
}

impl ParkerParams {
    /// Table 1 of Parker et al. 2006 (the population average).
    pub const PUBLISHED: ParkerParams = ParkerParams {
        a1: 0.809,
        sigma1: 0.0563,
        t1: 0.17046,
        a2: 0.330,
        sigma2: 0.132,
        t2: 0.365,
        alpha: 1.050,
        beta: 0.1685,
        s: 38.078,
        tau: 0.483,
    };

    /// The constants in the order of [`parker_with`](fn@parker_with)'s `p` row:
    /// `[a1, sigma1, t1, a2, sigma2, t2, alpha, beta, s, tau]`.
    pub fn to_row(&self) -> [f64; 10] {
        [
            self.a1,
            self.sigma1,
            self.t1,
            self.a2,
            self.sigma2,
            self.t2,
            self.alpha,
            self.beta,
            self.s,
            self.tau,
        ]
    }

    /// The blood concentration (mM) at times `t_s` (s) with the bolus delayed by `delay_s` (s);
    /// zero before `delay_s`.
    ///
    /// Errors: a non-finite `delay_s`, or a width that is not positive or a constant that is
    /// not finite (`Error::Invalid`).
    pub fn evaluate(&self, t_s: &[f64], delay_s: f64) -> Result<Vec<f64>> {
        const F: &str = "ParkerParams::evaluate";
        super::check_delay(F, delay_s)?;
        let row = self.to_row();
        if row.iter().any(|v| !v.is_finite()) || self.sigma1 <= 0.0 || self.sigma2 <= 0.0 {
            return Err(Error::Invalid {
                function: F,
                arg: "self",
                expected: "finite constants with sigma1 > 0 and sigma2 > 0".into(),
                found: format!("{self:?}"),
            });
        }
        super::collect(parker_with::launch(t_s, delay_s, &row))
    }
}

/// Parker AIF with the constants in a row `p = [a1, sigma1, t1, a2, sigma2, t2, alpha, beta,
/// s, tau]` (mM·min, min, min, mM·min, min, min, mM, 1/min, 1/min, min): the blood
/// concentration (mM) at time `t` (s) for a bolus delayed by `delay` (s). Zero for
/// `t < delay`; NaN for NaN input. A row shorter than 10 is an index error of the launch.
#[xp_kernel]
pub fn parker_with(t: f64, #[uniform] delay: f64, #[uniform] p: &[f64]) -> f64 {
    let x = t - delay;
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 0.0;
    }
    let tm = x / 60.0;
    let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    let d1 = (tm - p[2]) / p[1];
    let d2 = (tm - p[5]) / p[4];
    let g1 = p[0] / p[1] * norm * (-0.5 * d1 * d1).exp();
    let g2 = p[3] / p[4] * norm * (-0.5 * d2 * d2).exp();
    let washout = p[6] * (-p[7] * tm).exp() / (1.0 + (-p[8] * (tm - p[9])).exp());
    g1 + g2 + washout
}

/// Parker AIF with the published constants ([`ParkerParams::PUBLISHED`]): the blood
/// concentration (mM) at time `t` (s) for a bolus delayed by `delay` (s); zero for
/// `t < delay`.
#[xp_kernel]
pub fn parker_cb(t: f64, #[uniform] delay: f64) -> f64 {
    let p = [
        0.809, 0.0563, 0.17046, 0.330, 0.132, 0.365, 1.050, 0.1685, 38.078, 0.483,
    ];
    parker_with(t, delay, &p)
}
