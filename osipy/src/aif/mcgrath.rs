//! The McGrath preclinical population AIF, model B (blood).
//!
//! McGrath DM, Bradley DP, Tessier JL, Lacey T, Taylor CJ, Parker GJM. *Comparison of
//! model-based arterial input functions for dynamic contrast-enhanced MRI in tumor bearing
//! rats.* Magn Reson Med 2009; 61:1173–1184, doi:10.1002/mrm.21959, eq. 5 and Table 1 (model
//! B), a linear upslope followed by a bi-exponential washout:
//!
//! ```text
//! Cb(t) = (A1 + A2) t / t1                             0 <= t <= t1
//!       = A1 exp(-k1 (t - t1)) + A2 exp(-k2 (t - t1))  t > t1        (t in s, Cb in mM)
//! ```
//!
//! t = 0 is the bolus arrival; the curve is zero before it. The OSIPI code collection's
//! reference (`preclinicalAIF_ref.csv`) tabulates it as the blood concentration (`Cb`), with
//! these constants: A1 = 3.4 mM, A2 = 1.81 mM, k1 = 0.045 /s, k2 = 0.0015 /s, t1 = 7 s.

use osipy_kernels::xp_kernel;

use crate::{Error, Result};

/// The constants of the McGrath model-B AIF (time in s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McGrathParams {
    /// Amplitude of the fast washout exponential (mM).
    pub a1: f64,
    /// Amplitude of the slow washout exponential (mM).
    pub a2: f64,
    /// Rate of the fast exponential (1/s).
    pub k1: f64,
    /// Rate of the slow exponential (1/s).
    pub k2: f64,
    /// Duration of the linear upslope (s).
    pub t1: f64,
}

impl McGrathParams {
    /// Table 1 of McGrath et al. 2009, model B.
    pub const PUBLISHED: McGrathParams = McGrathParams {
        a1: 3.4,
        a2: 1.81,
        k1: 0.045,
        k2: 0.0015,
        t1: 7.0,
    };

    /// The constants in the order of [`mcgrath_with`](fn@mcgrath_with)'s `p` row: `[a1, a2, k1, k2, t1]`.
    pub fn to_row(&self) -> [f64; 5] {
        [self.a1, self.a2, self.k1, self.k2, self.t1]
    }

    /// The blood concentration (mM) at times `t_s` (s) for a bolus arriving at `delay_s` (s).
    ///
    /// Errors: a non-finite `delay_s`, a constant that is not finite, or `t1 <= 0`
    /// (`Error::Invalid`).
    pub fn evaluate(&self, t_s: &[f64], delay_s: f64) -> Result<Vec<f64>> {
        const F: &str = "McGrathParams::evaluate";
        super::check_delay(F, delay_s)?;
        let row = self.to_row();
        if row.iter().any(|v| !v.is_finite()) || self.t1 <= 0.0 {
            return Err(Error::Invalid {
                function: F,
                arg: "self",
                expected: "finite constants with t1 > 0".into(),
                found: format!("{self:?}"),
            });
        }
        super::collect(mcgrath_with::launch(t_s, delay_s, &row))
    }
}

/// McGrath model-B AIF with the constants in a row `p = [a1, a2, k1, k2, t1]` (mM, mM, 1/s,
/// 1/s, s): the blood concentration (mM) at time `t` (s) for a bolus arriving at `delay` (s).
/// Zero for `t < delay`; NaN for NaN input. A row shorter than 5 is an index error of the
/// launch.
#[xp_kernel]
pub fn mcgrath_with(t: f64, #[uniform] delay: f64, #[uniform] p: &[f64]) -> f64 {
    let x = t - delay;
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 0.0;
    }
    let t1 = p[4];
    if x <= t1 {
        (p[0] + p[1]) * x / t1
    } else {
        p[0] * (-p[2] * (x - t1)).exp() + p[1] * (-p[3] * (x - t1)).exp()
    }
}

/// McGrath model-B AIF with [`McGrathParams::PUBLISHED`]: the blood concentration (mM) at time
/// `t` (s) for a bolus arriving at `delay` (s); zero for `t < delay`.
#[xp_kernel]
pub fn mcgrath_cb(t: f64, #[uniform] delay: f64) -> f64 {
    let p = [3.4, 1.81, 0.045, 0.0015, 7.0];
    mcgrath_with(t, delay, &p)
}
