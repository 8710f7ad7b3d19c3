//! Signal to concentration: SPGR signal to R1, R1 to concentration through a linear
//! relaxivity, and the linear (enhancement-proportional) approximation.
//!
//! Arrays of curves are voxels x samples: any number of leading voxel axes, the last axis is
//! time. Every conversion is a per-voxel `#[xp_kernel]` (in [`kernels`]), so it runs where the
//! signal lives (CPU, emulator or CUDA) and returns its result there. Units: times in s, flip
//! angles in degrees, rates in /s, relaxivity in /s/mM, concentrations in mM, signals in a.u.
//!
//! # The SPGR method
//!
//! The steady-state SPGR signal `S = S0 sin(a) (1 - E) / (1 - cos(a) E)`, `E = exp(-TR R1)`
//! ([`spgr`]) is calibrated per voxel on its pre-contrast signal `S_b` and `R10 = 1 / T10`:
//! `S0 sin(a) = S_b (1 - cos(a) E0) / (1 - E0)`. Each sample then gives
//! `E = (S0 sin a - S) / (S0 sin a - S cos a)` and `R1 = -ln(E) / TR`, and
//! `C = (R1 - R10) / r1` (fast exchange, linear relaxivity, no T2* effect). The actual flip
//! angle is the nominal one times the voxel's B1 scale (1 when not corrected).
//!
//! **Impossible signals.** A sample at or above `S0 sin a` (the signal of an infinite R1) has
//! no R1: that sample is NaN in the R1 and concentration curves, and the other samples are
//! unaffected. A voxel without a usable calibration (baseline signal, T10 or B1 not finite and
//! positive, actual flip angle outside (0°, 180°)) gets a NaN row. A negative sample (noise
//! around zero) gives a finite R1 below zero and is kept, as any R1 below R10 is. None of this
//! is an error: errors are for arguments that are wrong for every voxel (shapes, a TR <= 0,
//! an empty baseline window, ...), and they come back before any kernel runs.
//!
//! # Baseline
//!
//! The pre-contrast signal is the mean of a window of samples, [`Baseline`]. The OSIPI code
//! collection skips sample 0 (its signal is often not yet at steady state):
//! [`Baseline::skip_first`]`(n)` averages samples `1..n`, [`Baseline::first`]`(n)` samples
//! `0..n`.
//!
//! # Known S0
//!
//! Where the equilibrium signal `S0` (M0) is known (a reference object, a protocol that
//! measures it), [`SignalToConc::s0`] gives it, uniform or per voxel, instead of the baseline:
//! `S0 sin a` is then `S0` times the sine of the actual flip angle, and no baseline is
//! estimated (the window is not used), so a baseline biased by noise or integer quantisation
//! does not bias the concentration. T10 still gives `R10` in `C = (R1 - R10) / r1`. A uniform
//! `S0` must be finite and positive; a voxel of an `S0` map that is not gets a NaN row.
//!
//! ```
//! use ndarray::array;
//! use osipy::conc::{Baseline, SignalToConc, Spgr};
//!
//! // Two voxels, five samples; T10 = 1.4 s everywhere, FA 13 degrees, TR 2 ms, r1 4.5 /s/mM.
//! let s = array![[8.0, 7.0, 9.0, 53.0, 70.0], [8.0, 8.0, 8.0, 8.0, 1e6]];
//! let conv = SignalToConc::spgr(Spgr { flip_angle: 13.0, tr: 0.002 }, 1.4, 4.5, Baseline::skip_first(3));
//! let c = conv.concentration(&s)?.into_host()?;
//! assert!((c[[0, 3]] - 1.36425).abs() < 1e-5); // mM; the baseline is 8, the mean of samples 1, 2
//! assert!(c[[1, 1]].abs() < 1e-12); // at the baseline
//! assert!(c[[1, 4]].is_nan()); // above the SPGR maximum: no R1 explains it
//! # Ok::<(), osipy::Error>(())
//! ```

pub(crate) mod arrays;
pub mod kernels;
pub mod spgr;

use ndarray::{ArrayBase, ArrayView, Data, Dimension};
use osipy_kernels::{IntoXpRef, XpArray, XpRef};

use crate::Result;
use arrays::{curves_shape, invalid, positive, voxel_map, zeros};

/// A per-voxel quantity (T10, B1, a baseline signal): one value for every voxel, or a map of
/// the data's voxel shape on the data's device.
#[derive(Debug)]
pub enum VoxelValue<'a> {
    /// The same value for every voxel.
    Uniform(f64),
    /// One value per voxel (the shape of the data without its last axis).
    Map(XpRef<'a, f64>),
}

impl<'a> VoxelValue<'a> {
    /// A per-voxel map (`&Array`, `ArrayView`, `&XpArray`, ...).
    pub fn map(m: impl IntoXpRef<'a, f64>) -> Self {
        VoxelValue::Map(m.into_xp_ref())
    }
}

impl From<f64> for VoxelValue<'_> {
    fn from(v: f64) -> Self {
        VoxelValue::Uniform(v)
    }
}

impl<'a, D: Dimension> From<&'a XpArray<f64, D>> for VoxelValue<'a> {
    fn from(m: &'a XpArray<f64, D>) -> Self {
        VoxelValue::map(m)
    }
}

impl<'a, S: Data<Elem = f64>, D: Dimension> From<&'a ArrayBase<S, D>> for VoxelValue<'a> {
    fn from(m: &'a ArrayBase<S, D>) -> Self {
        VoxelValue::map(m)
    }
}

impl<'a, D: Dimension> From<ArrayView<'a, f64, D>> for VoxelValue<'a> {
    fn from(m: ArrayView<'a, f64, D>) -> Self {
        VoxelValue::map(m)
    }
}

impl<'a> From<XpRef<'a, f64>> for VoxelValue<'a> {
    fn from(m: XpRef<'a, f64>) -> Self {
        VoxelValue::Map(m)
    }
}

/// The pre-contrast window: samples `start..end` (end exclusive) whose mean is the baseline
/// signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Baseline {
    /// First sample of the window.
    pub start: usize,
    /// One past the last sample of the window.
    pub end: usize,
}

impl Baseline {
    /// Samples `start..end`.
    pub fn range(start: usize, end: usize) -> Self {
        Baseline { start, end }
    }

    /// The first `n` samples, `0..n`.
    pub fn first(n: usize) -> Self {
        Baseline { start: 0, end: n }
    }

    /// The OSIPI code-collection convention: of the first `n` (pre-contrast) samples, skip
    /// sample 0 and average `1..n`.
    pub fn skip_first(n: usize) -> Self {
        Baseline { start: 1, end: n }
    }

    fn check(&self, function: &'static str, n: usize) -> Result<()> {
        if self.start < self.end && self.end <= n {
            Ok(())
        } else {
            Err(invalid(
                function,
                "baseline",
                format!("a non-empty window of samples start..end within the {n} samples"),
                format!("{}..{}", self.start, self.end),
            ))
        }
    }
}

/// SPGR acquisition of a dynamic series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spgr {
    /// Nominal flip angle (degrees, in (0, 180)).
    pub flip_angle: f64,
    /// Repetition time (s).
    pub tr: f64,
}

impl Spgr {
    fn check(&self, function: &'static str) -> Result<()> {
        if !(self.flip_angle > 0.0 && self.flip_angle < 180.0) {
            return Err(invalid(
                function,
                "flip_angle",
                "a flip angle in (0, 180) degrees",
                self.flip_angle.to_string(),
            ));
        }
        positive(function, "tr", self.tr, "s")
    }
}

/// How signal becomes concentration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Through R1 with the SPGR signal equation (exact for a steady-state SPGR series).
    Spgr,
    /// The linear approximation `C = (S - S_b) / S_b * R10 / r1` (enhancement proportional to
    /// the change in R1; exact for a signal proportional to R1).
    Linear,
}

fn uniform_positive(unit: &'static str) -> impl Fn(f64) -> std::result::Result<(), String> {
    move |v| {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(format!("a finite value > 0 ({unit})"))
        }
    }
}

/// Baseline signal (a.u.) of each voxel: the mean of the `window` samples of its curve.
/// `signal` is voxels x samples; the result has the voxel shape, on the signal's device.
pub fn baseline<'d>(signal: impl IntoXpRef<'d, f64>, window: Baseline) -> Result<XpArray<f64>> {
    const F: &str = "conc::baseline";
    let s = signal.into_xp_ref();
    let (_, n) = curves_shape(F, "signal", s.shape())?;
    window.check(F, n)?;
    Ok(kernels::baseline_mean::launch(&s, window.start, window.end)?)
}

/// R1 curves (/s) from SPGR signal (voxels x samples, a.u.), given each voxel's pre-contrast
/// signal `s_baseline` (a.u.) and `t10` (s), the acquisition and the flip-angle scale `b1`
/// (pass `1.0` for none). Impossible samples are NaN (see the [module docs](self)).
pub fn signal_to_r1<'d, 'm>(
    signal: impl IntoXpRef<'d, f64>,
    s_baseline: impl Into<VoxelValue<'m>>,
    t10: impl Into<VoxelValue<'m>>,
    acquisition: Spgr,
    b1: impl Into<VoxelValue<'m>>,
) -> Result<XpArray<f64>> {
    const F: &str = "conc::signal_to_r1";
    let s = signal.into_xp_ref();
    let (items, _) = curves_shape(F, "signal", s.shape())?;
    acquisition.check(F)?;
    let dev = s.placement();
    let (sb, t10, b1) = (s_baseline.into(), t10.into(), b1.into());
    let sb = voxel_map(F, "s_baseline", &sb, &items, dev, uniform_positive("a.u."))?;
    let t10 = voxel_map(F, "t10", &t10, &items, dev, uniform_positive("s"))?;
    let b1 = voxel_map(F, "b1", &b1, &items, dev, uniform_positive("a scale factor"))?;
    let mut out = zeros(s.shape(), dev)?;
    kernels::spgr_signal_to_r1::launch(
        &s,
        &sb.xp(),
        &t10.xp(),
        &b1.xp(),
        acquisition.flip_angle,
        acquisition.tr,
        &mut out,
    )?;
    Ok(out)
}

/// Concentration curves (mM) from R1 curves (voxels x samples, /s):
/// `C = (R1 - 1 / t10) / relaxivity` (`t10` in s, `relaxivity` in /s/mM).
pub fn r1_to_conc<'d, 'm>(
    r1: impl IntoXpRef<'d, f64>,
    t10: impl Into<VoxelValue<'m>>,
    relaxivity: f64,
) -> Result<XpArray<f64>> {
    const F: &str = "conc::r1_to_conc";
    let r = r1.into_xp_ref();
    let (items, _) = curves_shape(F, "r1", r.shape())?;
    positive(F, "relaxivity", relaxivity, "/s/mM")?;
    let dev = r.placement();
    let t10 = t10.into();
    let t10 = voxel_map(F, "t10", &t10, &items, dev, uniform_positive("s"))?;
    let mut out = zeros(r.shape(), dev)?;
    kernels::r1_to_conc::launch(&r, &t10.xp(), relaxivity, &mut out)?;
    Ok(out)
}

/// A signal-to-concentration conversion: method, T10, relaxivity, baseline window and, for
/// SPGR, the acquisition and B1. Build with [`SignalToConc::spgr`] or
/// [`SignalToConc::linear`], then [`concentration`](SignalToConc::concentration).
#[derive(Debug)]
pub struct SignalToConc<'a> {
    /// The method.
    pub method: Method,
    /// Pre-contrast T1 (s), uniform or per voxel.
    pub t10: VoxelValue<'a>,
    /// Longitudinal relaxivity r1 (/s/mM).
    pub relaxivity: f64,
    /// The pre-contrast window.
    pub baseline: Baseline,
    /// The acquisition (used by [`Method::Spgr`]).
    pub acquisition: Spgr,
    /// Flip-angle scale (actual / nominal; used by [`Method::Spgr`]); 1 when not corrected.
    pub b1: VoxelValue<'a>,
    /// The known equilibrium signal S0 (a.u.; used by [`Method::Spgr`] instead of the
    /// baseline when set, see [`SignalToConc::s0`]).
    pub s0: Option<VoxelValue<'a>>,
}

impl<'a> SignalToConc<'a> {
    /// The SPGR conversion.
    pub fn spgr(
        acquisition: Spgr,
        t10: impl Into<VoxelValue<'a>>,
        relaxivity: f64,
        baseline: Baseline,
    ) -> Self {
        SignalToConc {
            method: Method::Spgr,
            t10: t10.into(),
            relaxivity,
            baseline,
            acquisition,
            b1: VoxelValue::Uniform(1.0),
            s0: None,
        }
    }

    /// The linear (enhancement-proportional) conversion; needs no acquisition parameters.
    pub fn linear(t10: impl Into<VoxelValue<'a>>, relaxivity: f64, baseline: Baseline) -> Self {
        SignalToConc {
            method: Method::Linear,
            t10: t10.into(),
            relaxivity,
            baseline,
            acquisition: Spgr {
                flip_angle: f64::NAN,
                tr: f64::NAN,
            },
            b1: VoxelValue::Uniform(1.0),
            s0: None,
        }
    }

    /// Sets the B1 map (or uniform scale) of the actual flip angle.
    pub fn b1(mut self, b1: impl Into<VoxelValue<'a>>) -> Self {
        self.b1 = b1.into();
        self
    }

    /// Sets the known equilibrium signal S0 (a.u.; uniform or a map of the voxel shape) of
    /// the SPGR conversion, used instead of the baseline (see [Known S0](self#known-s0)).
    ///
    /// ```
    /// use ndarray::array;
    /// use osipy::conc::{spgr::spgr_signal, Baseline, SignalToConc, Spgr};
    ///
    /// // S0 = 1000, T10 = 1 s, FA 15 degrees, TR 5 ms, r1 4 /s/mM; C = 0 then 0.5 mM.
    /// let acq = Spgr { flip_angle: 15.0, tr: 0.005 };
    /// let s = |r1: f64| spgr_signal(1000.0, r1, acq.flip_angle, acq.tr);
    /// // The baseline as an integer-valued scanner stores it.
    /// let signal = array![[s(1.0).round(), s(1.0).round(), s(3.0).round(), s(3.0)]];
    /// let known = SignalToConc::spgr(acq, 1.0, 4.0, Baseline::first(2)).s0(1000.0);
    /// let c = known.concentration(&signal)?.into_host()?;
    /// assert!((c[[0, 3]] - 0.5).abs() < 1e-12);
    /// # Ok::<(), osipy::Error>(())
    /// ```
    pub fn s0(mut self, s0: impl Into<VoxelValue<'a>>) -> Self {
        self.s0 = Some(s0.into());
        self
    }

    /// Concentration curves (mM) of `signal` (voxels x samples, a.u.), on the signal's
    /// device, every sample converted (the baseline window too).
    pub fn concentration<'d>(&self, signal: impl IntoXpRef<'d, f64>) -> Result<XpArray<f64>> {
        const F: &str = "conc::SignalToConc::concentration";
        let s = signal.into_xp_ref();
        let (items, n) = curves_shape(F, "signal", s.shape())?;
        positive(F, "relaxivity", self.relaxivity, "/s/mM")?;
        let dev = s.placement();
        let t10 = voxel_map(F, "t10", &self.t10, &items, dev, uniform_positive("s"))?;
        let mut out = zeros(s.shape(), dev)?;
        if let (Method::Spgr, Some(s0)) = (self.method, &self.s0) {
            self.acquisition.check(F)?;
            let s0 = voxel_map(F, "s0", s0, &items, dev, uniform_positive("a.u."))?;
            let b1 = voxel_map(F, "b1", &self.b1, &items, dev, uniform_positive("a scale factor"))?;
            kernels::spgr_s0_signal_to_conc::launch(
                &s,
                &s0.xp(),
                &t10.xp(),
                &b1.xp(),
                self.acquisition.flip_angle,
                self.acquisition.tr,
                self.relaxivity,
                &mut out,
            )?;
            return Ok(out);
        }
        self.baseline.check(F, n)?;
        let Baseline { start, end } = self.baseline;
        match self.method {
            Method::Spgr => {
                self.acquisition.check(F)?;
                let b1 = voxel_map(F, "b1", &self.b1, &items, dev, uniform_positive("a scale factor"))?;
                kernels::spgr_signal_to_conc::launch(
                    &s,
                    &t10.xp(),
                    &b1.xp(),
                    start,
                    end,
                    self.acquisition.flip_angle,
                    self.acquisition.tr,
                    self.relaxivity,
                    &mut out,
                )?;
            }
            Method::Linear => {
                kernels::linear_signal_to_conc::launch(&s, &t10.xp(), start, end, self.relaxivity, &mut out)?;
            }
        }
        Ok(out)
    }

    /// R1 curves (/s) of `signal` with the SPGR method (the known S0 when set, else the
    /// baseline from the window);
    /// an error for [`Method::Linear`], which has no R1.
    pub fn r1<'d>(&self, signal: impl IntoXpRef<'d, f64>) -> Result<XpArray<f64>> {
        const F: &str = "conc::SignalToConc::r1";
        if self.method != Method::Spgr {
            return Err(invalid(F, "method", "Method::Spgr", "Method::Linear"));
        }
        let s = signal.into_xp_ref();
        if let Some(s0) = &self.s0 {
            let (items, _) = curves_shape(F, "signal", s.shape())?;
            self.acquisition.check(F)?;
            let dev = s.placement();
            let s0 = voxel_map(F, "s0", s0, &items, dev, uniform_positive("a.u."))?;
            let b1 = voxel_map(F, "b1", &self.b1, &items, dev, uniform_positive("a scale factor"))?;
            let mut out = zeros(s.shape(), dev)?;
            kernels::spgr_s0_signal_to_r1::launch(
                &s,
                &s0.xp(),
                &b1.xp(),
                self.acquisition.flip_angle,
                self.acquisition.tr,
                &mut out,
            )?;
            return Ok(out);
        }
        let base = baseline(&s, self.baseline)?;
        signal_to_r1(&s, &base, as_ref(&self.t10), self.acquisition, as_ref(&self.b1))
    }
}

/// A borrowed copy of a [`VoxelValue`].
fn as_ref<'a>(v: &'a VoxelValue<'_>) -> VoxelValue<'a> {
    match v {
        VoxelValue::Uniform(x) => VoxelValue::Uniform(*x),
        VoxelValue::Map(m) => VoxelValue::Map(m.into_xp_ref()),
    }
}
