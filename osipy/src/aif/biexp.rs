//! Bi-exponential plasma AIFs: Weinmann (as used by Tofts and Kermode) and Fritz-Hansen.
//!
//! ```text
//! Cp(t) = D (a1 exp(-m1 t) + a2 exp(-m2 t))   t >= 0;   0 before the injection   (t in min)
//! ```
//!
//! with the dose `D` in mmol/kg, `a1`, `a2` in kg/l and the rates in 1/min, so `Cp` is the
//! **plasma** concentration in mM. The curve jumps to `D (a1 + a2)` at the injection (an
//! instantaneous bolus): these models have no upslope.
//!
//! - Weinmann: Weinmann HJ, Laniado M, Mützel W. *Pharmacokinetics of GdDTPA/dimeglumine
//!   after intravenous injection into healthy volunteers.* Physiol Chem Phys Med NMR 1984;
//!   16:167–172; in the form and with the constants of Tofts PS, Kermode AG. *Measurement of
//!   the blood-brain barrier permeability and leakage space using dynamic MR imaging. 1.
//!   Fundamental concepts.* Magn Reson Med 1991; 17:357–367: D = 0.1 mmol/kg,
//!   a1 = 3.99 kg/l, a2 = 4.78 kg/l, m1 = 0.144 /min, m2 = 0.0111 /min.
//! - Fritz-Hansen: Fritz-Hansen T, Rostrup E, Larsson HBW, Søndergaard L, Ring P, Henriksen O.
//!   *Measurement of the arterial concentration of Gd-DTPA using MRI: a step toward
//!   quantitative perfusion imaging.* Magn Reson Med 1996; 36:225–231; the constants as
//!   tabulated by Whitcher B, Schmid VJ. *Quantitative analysis of dynamic contrast-enhanced
//!   and diffusion-weighted magnetic resonance imaging for oncology in R.* J Stat Softw 2011;
//!   44(5) (R package `dcemriS4`, `aifParameters("fritz.hansen")`): D = 1 (the amplitudes
//!   are the fitted concentrations for the study's dose), a1 = 2.4, a2 = 0.62 (mM),
//!   m1 = 3.0 /min, m2 = 0.016 /min.

use osipy_kernels::xp_kernel;

use crate::{Error, Result};

/// The constants of a bi-exponential AIF (time in min).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiexpParams {
    /// Dose (mmol/kg).
    pub d: f64,
    /// Amplitude of the fast component per unit dose (kg/l).
    pub a1: f64,
    /// Amplitude of the slow component per unit dose (kg/l).
    pub a2: f64,
    /// Rate of the fast component (1/min).
    pub m1: f64,
    /// Rate of the slow component (1/min).
    pub m2: f64,
}

impl BiexpParams {
    /// Weinmann et al. 1984 in the form of Tofts and Kermode 1991 (module docs).
    pub const WEINMANN: BiexpParams = BiexpParams {
        d: 0.1,
        a1: 3.99,
        a2: 4.78,
        m1: 0.144,
        m2: 0.0111,
    };

    /// Fritz-Hansen et al. 1996 as tabulated by Whitcher and Schmid 2011 (module docs).
    pub const FRITZ_HANSEN: BiexpParams = BiexpParams {
        d: 1.0,
        a1: 2.4,
        a2: 0.62,
        m1: 3.0,
        m2: 0.016,
    };

    /// The constants in the order of [`biexp_with`](fn@biexp_with)'s `p` row: `[d, a1, a2, m1, m2]`.
    pub fn to_row(&self) -> [f64; 5] {
        [self.d, self.a1, self.a2, self.m1, self.m2]
    }

    /// The plasma concentration (mM) at times `t_s` (s) for an injection at `delay_s` (s).
    ///
    /// Errors: a non-finite `delay_s` or constant (`Error::Invalid`).
    pub fn evaluate(&self, t_s: &[f64], delay_s: f64) -> Result<Vec<f64>> {
        const F: &str = "BiexpParams::evaluate";
        super::check_delay(F, delay_s)?;
        let row = self.to_row();
        if row.iter().any(|v| !v.is_finite()) {
            return Err(Error::Invalid {
                function: F,
                arg: "self",
                expected: "finite constants".into(),
                found: format!("{self:?}"),
            });
        }
        super::collect(biexp_with::launch(t_s, delay_s, &row))
    }
}

/// Bi-exponential AIF with the constants in a row `p = [d, a1, a2, m1, m2]` (mmol/kg, kg/l,
/// kg/l, 1/min, 1/min): the plasma concentration (mM) at time `t` (s) for an injection at
/// `delay` (s). Zero for `t < delay`; NaN for NaN input. A row shorter than 5 is an index
/// error of the launch.
#[xp_kernel]
pub fn biexp_with(t: f64, #[uniform] delay: f64, #[uniform] p: &[f64]) -> f64 {
    let x = t - delay;
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 0.0;
    }
    let tm = x / 60.0;
    p[0] * (p[1] * (-p[3] * tm).exp() + p[2] * (-p[4] * tm).exp())
}

/// Weinmann AIF ([`BiexpParams::WEINMANN`]): the plasma concentration (mM) at time `t` (s) for
/// an injection at `delay` (s); zero for `t < delay`.
#[xp_kernel]
pub fn weinmann_cp(t: f64, #[uniform] delay: f64) -> f64 {
    let p = [0.1, 3.99, 4.78, 0.144, 0.0111];
    biexp_with(t, delay, &p)
}

/// Fritz-Hansen AIF ([`BiexpParams::FRITZ_HANSEN`]): the plasma concentration (mM) at time `t`
/// (s) for an injection at `delay` (s); zero for `t < delay`.
#[xp_kernel]
pub fn fritz_hansen_cp(t: f64, #[uniform] delay: f64) -> f64 {
    let p = [1.0, 2.4, 0.62, 3.0, 0.016];
    biexp_with(t, delay, &p)
}
