//! DSC-MRI (dynamic susceptibility contrast): signal to ΔR2(*) and concentration, the arterial
//! input function, deconvolution (sSVD, cSVD, oSVD, Tikhonov), leakage correction and the
//! perfusion maps CBF, CBV, MTT, TTP and Tmax.
//!
//! - Per voxel (every step an `#[xp_kernel]`, so CPU, emulator and CUDA run one body):
//!   [`kernels::signal_to_conc`](fn@kernels::signal_to_conc), the deconvolutions [`kernels::deconvolve_filtered`](fn@kernels::deconvolve_filtered) and
//!   [`kernels::deconvolve_osvd`](fn@kernels::deconvolve_osvd), the leakage corrections [`leakage::bsw`](fn@leakage::bsw) and
//!   [`leakage::bidirectional`](fn@leakage::bidirectional), the gamma-variate fit [`gamma::gamma_variate`](fn@gamma::gamma_variate).
//! - Once per AIF, on the host: the convolution matrix and its SVD
//!   ([`Deconvolution::factorise`], nalgebra), whose factors reach the kernels as uniform rows.
//! - Across voxels (separate calls whose results the pipeline takes): the baseline frames
//!   ([`detect_baseline`]), the AIF ([`aif_curve`] of a mask, [`detect_aif`]), the venous
//!   output scaling ([`detect_vof`], [`vof_scale`]), the leakage reference
//!   ([`leakage::reference_curve`]) and normalisation to a reference region ([`normalise`]).
//! - The pipeline [`Perfusion`]: a concentration or signal series in, named maps out; and
//!   [`Analysis`], the whole chain from a signal series in one call.
//!
//! # Units and factors
//!
//! Time in s; concentration in mM (or ΔR2* units when the relaxivities are 1, the default: the
//! maps only depend on the ratio of tissue to arterial factors). With the brain density `rho`
//! (g/ml, default [`DENSITY`]) and the haematocrit correction `kH` (default [`KH`]):
//!
//! - `CBV = 100 kH / rho ∫C / ∫Ca` (ml/100 g; trapezoid rule over the whole series),
//! - `CBF = 6000 kH / rho max R` (ml/100 g/min; `R` the residue function times the flow, in
//!   /s, from `C = dt A R`),
//! - `MTT = 60 CBV / CBF` (s; central volume theorem), `TTP` the time of the tissue curve's
//!   maximum from the first frame (s), `Tmax` the time of the residue's maximum (s; negative
//!   with cSVD/oSVD for tissue ahead of the AIF).
//!
//! # Accuracy and bias
//!
//! The convolution is discretised with both curves linear between samples
//! ([`Discretisation::Linear`], Sourbron et al. 2004; the rectangle rule of Østergaard 1996,
//! which the Python osipy uses, is [`Discretisation::Rectangle`]). CBV needs no deconvolution
//! and is exact up to the trapezoid rule (within 0.1 % on noise-free curves). CBF comes from
//! the regularised residue's peak, which the truncation flattens, the more so the shorter the
//! MTT against the frame interval. Measured on noise-free curves with an exponential residue,
//! 1 s frames, MTT 2.5-8 s (`tests/tests/dsc.rs`): sSVD (20 %) 6-31 % low (the rectangle rule:
//! 27-46 % low), cSVD (10 %) 19-50 % low (the circulant's truncation is a low-pass filter),
//! Tikhonov (λ 0.1) 2-24 % low, oSVD -20 % to +10 % (on clean data it keeps every component);
//! MTT follows CBF inversely. On the OSIPI DRO (gamma residues, 1.243 s frames, CNR 200) every
//! method passes all 14 cases. With noise, oSVD keeps fewer components where the curve is
//! noisier. sSVD depends on the tissue's arrival relative to the AIF (Wu 2003: a tissue ahead
//! of the AIF gives a CBF far too high); cSVD and oSVD do not.
//!
//! # Statuses
//!
//! | code | status | |
//! |---|---|---|
//! | 1 | [`Ok`](DscStatus::Ok) | `ok` |
//! | 2 | [`NoFlow`](DscStatus::NoFlow) | `no flow`: the residue has no positive maximum |
//! | 3 | [`NoVolume`](DscStatus::NoVolume) | `no volume`: the tissue curve's area is not positive |
//! | 4 | [`NonFiniteData`](DscStatus::NonFiniteData) | `non-finite data` (or a baseline that is not positive) |
//! | 7 | [`Masked`](DscStatus::Masked) | `masked` |

use std::ops::Range;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

pub mod gamma;
pub mod kernels;
pub mod leakage;
mod pipeline;
mod svd;

pub use pipeline::{AifSource, Analysis, AnalysisResult, Leakage, Perfusion, VofSource};
pub use svd::{
    Deconvolution, Discretisation, Factors, Method, CSVD_THRESHOLD, OSVD_OSCILLATION_INDEX, SSVD_THRESHOLD,
    TIKHONOV_LAMBDA,
};

use crate::volume::Voxels;
use crate::{Error, Result};

/// Default brain tissue density (g/ml; 1.04, Rempp et al., Radiology 1994;193:637-641).
pub const DENSITY: f64 = 1.04;
/// Default haematocrit correction `kH = (1 - Hct_large) / (1 - Hct_small)` =
/// (1 - 0.45) / (1 - 0.25) (Rempp et al., Radiology 1994;193:637-641).
pub const KH: f64 = (1.0 - 0.45) / (1.0 - 0.25);

/// The outcome of one voxel (the `status` map holds [`DscStatus::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum DscStatus {
    /// Every map computed.
    Ok = 1,
    /// The residue has no positive maximum: CBF, MTT and Tmax are NaN.
    NoFlow = 2,
    /// The tissue curve's area is not positive: MTT is NaN.
    NoVolume = 3,
    /// A sample is NaN or infinite (or, from signal, the baseline is not positive).
    NonFiniteData = 4,
    /// Masked out.
    Masked = 7,
}

impl DscStatus {
    /// Every status, in code order.
    pub const ALL: [DscStatus; 5] = [
        DscStatus::Ok,
        DscStatus::NoFlow,
        DscStatus::NoVolume,
        DscStatus::NonFiniteData,
        DscStatus::Masked,
    ];

    /// The status of a code, if it is one.
    pub fn from_code(code: u32) -> Option<DscStatus> {
        DscStatus::ALL.iter().copied().find(|s| *s as u32 == code)
    }

    /// The stable code (the value in status maps).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// A few words for people (the `Display` text).
    pub fn name(self) -> &'static str {
        match self {
            DscStatus::Ok => "ok",
            DscStatus::NoFlow => "no flow",
            DscStatus::NoVolume => "no volume",
            DscStatus::NonFiniteData => "non-finite data",
            DscStatus::Masked => "masked",
        }
    }
}

impl std::fmt::Display for DscStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a relaxation-rate change becomes a concentration: `ΔR = linear C + quadratic C²`
/// (`linear` in /s/mM, `quadratic` in /s/mM²).
///
/// Tissue and blood differ (the agent stays in the vessels, whose geometry sets the
/// relation): give each its own. `Relaxivity::default()` is `ΔR = C` (concentration in ΔR2*
/// units), under which the maps depend only on the curves' shapes. For whole blood at 1.5 T
/// gradient echo, Kjølby et al. (MRM 2006;56:187-197) give about `7.6 C + 0.574 C²`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Relaxivity {
    /// Linear coefficient (/s/mM), > 0.
    pub linear: f64,
    /// Quadratic coefficient (/s/mM²), >= 0.
    pub quadratic: f64,
}

impl Default for Relaxivity {
    fn default() -> Self {
        Relaxivity::linear(1.0)
    }
}

impl Relaxivity {
    /// `ΔR = k C`.
    pub fn linear(k: f64) -> Self {
        Relaxivity {
            linear: k,
            quadratic: 0.0,
        }
    }

    fn check(&self, arg: &'static str) -> Result<()> {
        if self.linear > 0.0 && self.linear.is_finite() && self.quadratic >= 0.0 && self.quadratic.is_finite()
        {
            Ok(())
        } else {
            Err(Error::Invalid {
                function: "dsc::Relaxivity",
                arg,
                expected: "a linear coefficient > 0 and a quadratic coefficient >= 0".into(),
                found: format!("{} and {}", self.linear, self.quadratic),
            })
        }
    }
}

/// The echo of the acquisition: both give `ΔR = -ln(S / S0) / TE`, ΔR2* for a gradient echo
/// and ΔR2 for a spin echo (more specific to small vessels, smaller signal change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Echo {
    /// Gradient echo (ΔR2*).
    #[default]
    Gradient,
    /// Spin echo (ΔR2).
    Spin,
}

impl std::str::FromStr for Echo {
    type Err = Error;

    fn from_str(s: &str) -> Result<Echo> {
        match s.to_ascii_lowercase().as_str() {
            "gradient" | "ge" | "gre" => Ok(Echo::Gradient),
            "spin" | "se" => Ok(Echo::Spin),
            _ => Err(Error::Invalid {
                function: "dsc::Echo::from_str",
                arg: "echo",
                expected: "gradient or spin".into(),
                found: format!("`{s}`"),
            }),
        }
    }
}

/// From DSC signal to concentration: the echo time, the baseline frames and the tissue and
/// arterial relaxivities.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// Echo time (s).
    pub te: f64,
    /// Gradient or spin echo.
    pub echo: Echo,
    /// The baseline frames (`S0` is their mean).
    pub baseline: Range<usize>,
    /// The tissue relation.
    pub tissue: Relaxivity,
    /// The arterial (whole blood) relation.
    pub arterial: Relaxivity,
}

impl Conversion {
    /// Echo time `te` (s) and baseline frames; both relaxivities 1 (ΔR units).
    pub fn new(te: f64, baseline: Range<usize>) -> Self {
        Conversion {
            te,
            echo: Echo::Gradient,
            baseline,
            tissue: Relaxivity::default(),
            arterial: Relaxivity::default(),
        }
    }

    /// Checks the values against a series of `frames` frames.
    pub fn check(&self, frames: usize) -> Result<()> {
        if !(self.te > 0.0 && self.te < 1.0) {
            return Err(Error::Invalid {
                function: "dsc::Conversion",
                arg: "te",
                expected: "an echo time in (0, 1) s".into(),
                found: format!("{} s", self.te),
            });
        }
        if self.baseline.is_empty() || self.baseline.end > frames {
            return Err(Error::Invalid {
                function: "dsc::Conversion",
                arg: "baseline",
                expected: format!("a non-empty range of frames within 0..{frames}"),
                found: format!("{:?}", self.baseline),
            });
        }
        self.tissue.check("tissue")?;
        self.arterial.check("arterial")
    }

    /// The concentration curve of one signal curve with the tissue (`arterial = false`) or
    /// the arterial relation (a host call of [`kernels::signal_to_conc`](fn@kernels::signal_to_conc)).
    pub fn curve(&self, signal: &[f64], arterial: bool) -> Vec<f64> {
        let r = if arterial { self.arterial } else { self.tissue };
        let mut out = vec![0.0; signal.len()];
        kernels::signal_to_conc(
            signal,
            self.baseline.start,
            self.baseline.end,
            self.te,
            r.linear,
            r.quadratic,
            &mut out,
        );
        out
    }
}

/// The sampling interval of `times` (s), or an error naming `times` when the frames are not
/// evenly spaced (within 0.1 % of the interval): the SVD deconvolutions assume a constant
/// interval, so an uneven series is refused rather than silently treated as even.
pub fn uniform_interval(times: &[f64]) -> Result<f64> {
    if times.len() < 2 {
        return Err(Error::Invalid {
            function: "dsc::uniform_interval",
            arg: "times",
            expected: "at least 2 frame times".into(),
            found: format!("{}", times.len()),
        });
    }
    if let Some(k) = times.iter().position(|t| !t.is_finite()) {
        return Err(Error::Invalid {
            function: "dsc::uniform_interval",
            arg: "times",
            expected: "finite frame times".into(),
            found: format!("{} at frame {k}", times[k]),
        });
    }
    let dt = (times[times.len() - 1] - times[0]) / (times.len() - 1) as f64;
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(Error::Invalid {
            function: "dsc::uniform_interval",
            arg: "times",
            expected: "increasing frame times".into(),
            found: format!("{} to {} s", times[0], times[times.len() - 1]),
        });
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for w in times.windows(2) {
        let d = w[1] - w[0];
        lo = lo.min(d);
        hi = hi.max(d);
    }
    if hi - lo > 1e-3 * dt {
        return Err(Error::Invalid {
            function: "dsc::uniform_interval",
            arg: "times",
            expected: "evenly spaced frames (the SVD deconvolutions need a constant interval; resample the series first)".into(),
            found: format!("intervals from {lo} to {hi} s"),
        });
    }
    Ok(dt)
}

/// The baseline frames of a DSC series from its mean signal curve (over the brain): the frames
/// before the bolus arrives.
///
/// The bolus is the curve's minimum (signal drops as ΔR2* rises); it arrives at the first frame
/// `a >= 2` whose signal is below the mean of frames `0..a` by more than three of their
/// standard deviations and by more than 5 % of the bolus depth. Returns `0..a`. Errors when
/// the curve has fewer than 4 frames, is not finite, or has fewer than 2 frames before the
/// bolus.
pub fn detect_baseline(mean_signal: &[f64]) -> Result<Range<usize>> {
    let n = mean_signal.len();
    let fail = |expected: &str, found: String| Error::Invalid {
        function: "dsc::detect_baseline",
        arg: "signal",
        expected: expected.into(),
        found,
    };
    if n < 4 {
        return Err(fail("at least 4 frames", format!("{n}")));
    }
    if let Some(k) = mean_signal.iter().position(|v| !v.is_finite()) {
        return Err(fail(
            "a finite mean signal",
            format!("{} at frame {k}", mean_signal[k]),
        ));
    }
    let (mut p, mut low) = (0, mean_signal[0]);
    for (k, &v) in mean_signal.iter().enumerate() {
        if v < low {
            low = v;
            p = k;
        }
    }
    if p < 2 {
        return Err(fail(
            "at least 2 frames before the bolus (no baseline to take S0 from)",
            format!("the signal's minimum at frame {p}"),
        ));
    }
    let depth = 0.5 * (mean_signal[0] + mean_signal[1]) - low;
    for a in 2..=p {
        let base = &mean_signal[..a];
        let m = base.iter().sum::<f64>() / a as f64;
        let sd = (base.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / a as f64).sqrt();
        if mean_signal[a] < m - (3.0 * sd).max(0.05 * depth) {
            return Ok(0..a);
        }
    }
    Ok(0..p)
}

/// The flattened curves (voxels x frames, standard layout) of `series` (voxel axes, then
/// time) for `voxels`.
fn flat(series: &ArrayViewD<'_, f64>, voxels: &Voxels, function: &'static str) -> Result<ArrayD<f64>> {
    let nt = *series.shape().last().unwrap_or(&0);
    series
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(&[voxels.len_all(), nt]))
        .map_err(|e| Error::Invalid {
            function,
            arg: "series",
            expected: format!("{} voxels x {nt}", voxels.len_all()),
            found: e.to_string(),
        })
}

/// The arterial concentration curve of the voxels of `mask` in a series: with `conversion`, a
/// signal series whose voxels are converted with the arterial relation; without, a
/// concentration series. The voxels' curves are averaged (a voxel whose curve is not finite
/// is left out). Errors when no voxel is left.
pub fn aif_curve(
    signal: &ArrayViewD<'_, f64>,
    mask: &ArrayViewD<'_, bool>,
    conversion: Option<&Conversion>,
) -> Result<Vec<f64>> {
    let shape = signal.shape();
    let Some((&nt, items)) = shape.split_last() else {
        return Err(Error::Invalid {
            function: "dsc::aif_curve",
            arg: "signal",
            expected: "voxels x time".into(),
            found: format!("shape {shape:?}"),
        });
    };
    if let Some(c) = conversion {
        c.check(nt)?;
    }
    let voxels = Voxels::new_nonempty("dsc::aif_curve", items, Some(mask))?;
    mean_arterial(signal, &voxels, &voxels.selected, conversion, "dsc::aif_curve")
}

/// The mean signal curve of the voxels of `mask` (voxels whose curve is not finite left out).
/// Errors when the mask has another shape or no voxel is left.
pub fn mean_signal(signal: &ArrayViewD<'_, f64>, mask: &ArrayViewD<'_, bool>) -> Result<Vec<f64>> {
    let shape = signal.shape();
    let Some((&nt, items)) = shape.split_last() else {
        return Err(Error::Invalid {
            function: "dsc::mean_signal",
            arg: "signal",
            expected: "voxels x time".into(),
            found: format!("shape {shape:?}"),
        });
    };
    let voxels = Voxels::new_nonempty("dsc::mean_signal", items, Some(mask))?;
    let rows = flat(signal, &voxels, "dsc::mean_signal")?;
    let mut sum = vec![0.0; nt];
    let mut used = 0usize;
    for &i in &voxels.selected {
        let row = rows.index_axis(Axis(0), i);
        if row.iter().all(|v| v.is_finite()) {
            sum.iter_mut().zip(row.iter()).for_each(|(s, v)| *s += v);
            used += 1;
        }
    }
    if used == 0 {
        return Err(Error::Invalid {
            function: "dsc::mean_signal",
            arg: "mask",
            expected: "voxels with finite curves".into(),
            found: "none".into(),
        });
    }
    Ok(sum.into_iter().map(|s| s / used as f64).collect())
}

fn mean_arterial(
    signal: &ArrayViewD<'_, f64>,
    voxels: &Voxels,
    ids: &[usize],
    conversion: Option<&Conversion>,
    function: &'static str,
) -> Result<Vec<f64>> {
    let nt = *signal.shape().last().unwrap_or(&0);
    let rows = flat(signal, voxels, function)?;
    let mut sum = vec![0.0; nt];
    let mut used = 0usize;
    for &i in ids {
        let row = rows.index_axis(Axis(0), i);
        let row: Vec<f64> = row.iter().copied().collect();
        let c = match conversion {
            Some(cv) => cv.curve(&row, true),
            None => row,
        };
        if c.iter().all(|v| v.is_finite()) {
            for (s, v) in sum.iter_mut().zip(&c) {
                *s += v;
            }
            used += 1;
        }
    }
    if used == 0 {
        return Err(Error::Invalid {
            function,
            arg: "mask",
            expected: "voxels whose arterial curve is finite (a positive signal and baseline)".into(),
            found: format!("none of {}", ids.len()),
        });
    }
    Ok(sum.into_iter().map(|s| s / used as f64).collect())
}

/// Voxels chosen for an AIF or a VOF, and their mean curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// The chosen voxels (flat indices of the voxel shape, C order).
    pub voxels: Vec<usize>,
    /// Their mean arterial concentration curve.
    pub curve: Vec<f64>,
}

/// Shape features of one ΔR curve: `(peak, ttp index, fwhm in frames, area)`, or `None` when
/// the curve is not finite or has no positive peak (the candidates of [`detect_aif`] and
/// [`detect_vof`]).
pub fn features(c: &[f64]) -> Option<(f64, usize, f64, f64)> {
    if c.is_empty() || !c.iter().all(|v| v.is_finite()) {
        return None;
    }
    let (mut kp, mut peak) = (0, c[0]);
    for (k, &v) in c.iter().enumerate() {
        if v > peak {
            peak = v;
            kp = k;
        }
    }
    if peak <= 0.0 {
        return None;
    }
    let half = 0.5 * peak;
    let mut a = kp;
    while a > 0 && c[a - 1] > half {
        a -= 1;
    }
    let mut b = kp;
    while b + 1 < c.len() && c[b + 1] > half {
        b += 1;
    }
    let area: f64 = c.iter().sum();
    Some((peak, kp, (b - a + 1) as f64, area))
}

/// Automatic AIF detection for DSC: arteries show the earliest, highest and narrowest first
/// pass.
///
/// `signal` is a signal series converted with `conversion` (its tissue relation, for the
/// curves' shapes), or a concentration series (`None`). Every voxel of `mask` whose curve is
/// finite with a positive peak is a candidate;
/// the 5 % with the highest peaks (at least `count`) are kept, and of those the `count` with
/// the highest `peak / (fwhm (ttp - ttp_first + 1))` (frames; `ttp_first` the earliest peak
/// among them) are chosen: early, high and narrow, as in the criteria of Mouridsen et al.
/// (MRM 2006;55:524-531) without their clustering. The curve is the mean arterial
/// concentration of the chosen voxels. Errors when there are no candidates.
pub fn detect_aif(
    signal: &ArrayViewD<'_, f64>,
    mask: Option<&ArrayViewD<'_, bool>>,
    conversion: Option<&Conversion>,
    count: usize,
) -> Result<Selection> {
    select(signal, mask, conversion, count, None, "dsc::detect_aif")
}

/// Automatic venous output function (VOF) detection: the sagittal sinus shows the largest
/// area, later than the AIF. Candidates as for [`detect_aif`] whose peak comes at least one
/// frame after the AIF's (`aif_ttp`, frames); the `count` with the largest area are chosen.
pub fn detect_vof(
    signal: &ArrayViewD<'_, f64>,
    mask: Option<&ArrayViewD<'_, bool>>,
    conversion: Option<&Conversion>,
    count: usize,
    aif_ttp: usize,
) -> Result<Selection> {
    select(signal, mask, conversion, count, Some(aif_ttp), "dsc::detect_vof")
}

fn select(
    signal: &ArrayViewD<'_, f64>,
    mask: Option<&ArrayViewD<'_, bool>>,
    conversion: Option<&Conversion>,
    count: usize,
    after: Option<usize>,
    function: &'static str,
) -> Result<Selection> {
    let shape = signal.shape();
    let Some((&nt, items)) = shape.split_last() else {
        return Err(Error::Invalid {
            function,
            arg: "signal",
            expected: "voxels x time".into(),
            found: format!("shape {shape:?}"),
        });
    };
    if let Some(c) = conversion {
        c.check(nt)?;
    }
    let count = count.max(1);
    let voxels = Voxels::new_nonempty(function, items, mask)?;
    let rows = flat(signal, &voxels, function)?;
    let mut cand: Vec<(usize, f64, usize, f64, f64)> = Vec::new();
    for &i in &voxels.selected {
        let row = rows.index_axis(Axis(0), i);
        let row: Vec<f64> = row.iter().copied().collect();
        let c = match conversion {
            Some(cv) => cv.curve(&row, false),
            None => row,
        };
        if let Some((peak, kp, fwhm, area)) = features(&c) {
            if after.is_none_or(|a| kp > a) {
                cand.push((i, peak, kp, fwhm, area));
            }
        }
    }
    if cand.is_empty() {
        return Err(Error::Invalid {
            function,
            arg: "signal",
            expected: if after.is_some() {
                "voxels whose bolus peaks after the AIF's".into()
            } else {
                "voxels with a finite ΔR curve and a positive peak".into()
            },
            found: "none in the mask".into(),
        });
    }
    let chosen: Vec<usize> = if after.is_some() {
        cand.sort_by(|a, b| b.4.total_cmp(&a.4).then(a.0.cmp(&b.0)));
        cand.iter().take(count).map(|c| c.0).collect()
    } else {
        cand.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let keep = (cand.len().div_ceil(20)).max(count).min(cand.len());
        cand.truncate(keep);
        let first = cand.iter().map(|c| c.2).min().unwrap_or(0);
        let score = |c: &(usize, f64, usize, f64, f64)| c.1 / (c.3 * ((c.2 - first) as f64 + 1.0));
        cand.sort_by(|a, b| score(b).total_cmp(&score(a)).then(a.0.cmp(&b.0)));
        cand.iter().take(count).map(|c| c.0).collect()
    };
    let curve = mean_arterial(signal, &voxels, &chosen, conversion, function)?;
    let mut voxels_out = chosen;
    voxels_out.sort_unstable();
    Ok(Selection {
        voxels: voxels_out,
        curve,
    })
}

/// Partial-volume correction of an AIF by venous output scaling: the factor `∫VOF / ∫AIF`
/// (trapezoid rule over the whole series), by which the AIF is multiplied. Large veins suffer
/// less partial volume than the small arteries near them and carry the same agent, so their
/// areas should be equal. Errors when either area is not positive.
pub fn vof_scale(aif: &[f64], vof: &[f64]) -> Result<f64> {
    let area =
        |c: &[f64]| c.iter().sum::<f64>() - 0.5 * (c.first().unwrap_or(&0.0) + c.last().unwrap_or(&0.0));
    let (a, v) = (area(aif), area(vof));
    if aif.len() != vof.len() || a.is_nan() || v.is_nan() || a <= 0.0 || v <= 0.0 {
        return Err(Error::Invalid {
            function: "dsc::vof_scale",
            arg: "vof",
            expected: "an AIF and a VOF of equal length with positive areas".into(),
            found: format!(
                "lengths {} and {}, areas {a:.4e} and {v:.4e}",
                aif.len(),
                vof.len()
            ),
        });
    }
    Ok(v / a)
}

/// Normalises `map` to a reference region: each value divided by the mean of the finite values
/// of `map` in `reference` (for example normal-appearing white matter; rCBV, rCBF). Errors
/// when the shapes differ or the reference mean is not finite and positive.
pub fn normalise(map: &ArrayD<f64>, reference: &ArrayViewD<'_, bool>) -> Result<ArrayD<f64>> {
    if map.shape() != reference.shape() {
        return Err(Error::Invalid {
            function: "dsc::normalise",
            arg: "reference",
            expected: format!("a mask of the map's shape {:?}", map.shape()),
            found: format!("shape {:?}", reference.shape()),
        });
    }
    let (mut sum, mut n) = (0.0, 0usize);
    for (v, &m) in map.iter().zip(reference.iter()) {
        if m && v.is_finite() {
            sum += v;
            n += 1;
        }
    }
    let mean = sum / n as f64;
    if !(n > 0 && mean > 0.0 && mean.is_finite()) {
        return Err(Error::Invalid {
            function: "dsc::normalise",
            arg: "reference",
            expected: "a region whose mean value is finite and positive".into(),
            found: format!("{n} finite values, mean {mean}"),
        });
    }
    Ok(map.mapv(|v| v / mean))
}

/// The default mask of a DSC signal series: voxels whose curve is finite and whose mean signal
/// over the first 3 frames (or fewer) is above 10 % of the 99th percentile of that mean over
/// the series (background and noise fall below). Errors when no voxel has a finite,
/// positive curve.
pub fn signal_mask(signal: &ArrayViewD<'_, f64>) -> Result<ArrayD<bool>> {
    let shape = signal.shape();
    let Some((&nt, items)) = shape.split_last() else {
        return Err(Error::Invalid {
            function: "dsc::signal_mask",
            arg: "signal",
            expected: "voxels x frames".into(),
            found: format!("shape {shape:?}"),
        });
    };
    let voxels = Voxels::new("dsc::signal_mask", items, None)?;
    let rows = flat(signal, &voxels, "dsc::signal_mask")?;
    let head = nt.clamp(1, 3);
    let level: Vec<f64> = rows
        .axis_iter(Axis(0))
        .map(|r| {
            if r.iter().all(|v| v.is_finite()) {
                r.iter().take(head).sum::<f64>() / head as f64
            } else {
                f64::NAN
            }
        })
        .collect();
    let mut finite: Vec<f64> = level
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    if finite.is_empty() || nt == 0 {
        return Err(Error::Invalid {
            function: "dsc::signal_mask",
            arg: "signal",
            expected: "voxels with a finite, positive signal".into(),
            found: "none".into(),
        });
    }
    finite.sort_by(f64::total_cmp);
    let p99 = finite[((finite.len() - 1) as f64 * 0.99).round() as usize];
    let cut = 0.1 * p99;
    let m: Vec<bool> = level.iter().map(|&v| v.is_finite() && v > cut).collect();
    ArrayD::from_shape_vec(IxDyn(items), m).map_err(|e| Error::Invalid {
        function: "dsc::signal_mask",
        arg: "signal",
        expected: format!("voxel shape {items:?}"),
        found: e.to_string(),
    })
}
