//! Automatic AIF detection in a 4-D concentration series.
//!
//! # Method
//!
//! Deterministic: the same data give the same voxels on every device and thread count.
//!
//! 1. **Features** of every voxel in the mask, by the kernel
//!    [`aif_curve_features`](fn@super::features::aif_curve_features) (one item per voxel,
//!    its time curve as the row; the kernel runs where the data live): baseline `b` (mean of the first `baseline_points` samples),
//!    peak height `h = max c - b` (searched after the baseline), time to peak `ttp`, full
//!    width at half maximum `fwhm` (half-maximum crossings interpolated linearly on the
//!    sample times, which need not be uniform), area under `c - b` (trapezoids), a
//!    noise-to-peak ratio `r` and the arterial score
//!
//!    ```text
//!    score = h / (fwhm · (ttp - t0))        (mM/s²; high, narrow, early peaks score high)
//!    ```
//!
//!    A voxel whose curve has no peak that rises from the baseline and falls below half of
//!    it again (tissue that keeps enhancing, a bolus before the first sample), or not enough
//!    samples after the first pass for `r`, has no score and is not a candidate.
//! 2. **Preselection** as Mouridsen et al. 2006: of the candidates, keep the fraction
//!    `auc_keep` (default 10 %) with the largest area under the curve, then discard the
//!    fraction `roughness_discard` (default 25 %) of those with the roughest curves. Neither
//!    step keeps fewer than `n_voxels` voxels.
//! 3. **Ranking** by the score, the criteria of Rempp et al. 1994 and Peruzzo et al. 2011
//!    (high peak, early arrival, narrow first pass): candidates whose peak is below
//!    `min_relative_peak` (default 0.5) of the best-scoring candidate's are dropped as
//!    partial-volume curves, and the `n_voxels` best (default 5) are averaged, sample by
//!    sample, into the AIF.
//!
//! Departures from Mouridsen et al., and why: their roughness is the integral of the squared
//! second derivative over the whole curve, which at DCE temporal resolution (a first pass of
//! two or three samples) is largest for the best arteries; `r` here is the noise standard
//! deviation estimated from the curve after the first pass (samples later than the right
//! half-maximum crossing plus two widths: the deviation of each sample from the line through
//! its neighbours, scaled for white noise on any grid) divided by `h`, that is 1/CNR. Their
//! final k-means clustering depends on random starts; a fixed ranking by the score replaces it
//! so that the result is reproducible.
//!
//! References: Mouridsen K, Christensen S, Gyldensted L, Østergaard L. *Automatic selection of
//! arterial input function using cluster analysis.* Magn Reson Med 2006; 55:524–531.
//! Peruzzo D, Bertoldo A, Zanderigo F, Cobelli C. *Automatic selection of arterial input
//! function on dynamic contrast-enhanced MR images.* Comput Methods Programs Biomed 2011;
//! 104:e148–e157. Rempp KA, Brix G, Wenz F, Becker CR, Gückel F, Lorenz WJ. *Quantification
//! of regional cerebral blood flow and volume with dynamic susceptibility contrast-enhanced MR
//! imaging.* Radiology 1994; 193:637–641.

use ndarray::{Array3, ArrayD, CowArray, IxDyn};
use osipy_kernels::{Device, Element, IntoXpRef, XpArray, XpRef};

use super::features::aif_curve_features;

use crate::{Error, Result};

/// Settings of [`detect_aif`].
#[derive(Debug, Clone, PartialEq)]
pub struct AifDetectOptions {
    /// How many voxels are averaged into the AIF (at most); default 5.
    pub n_voxels: usize,
    /// Samples at the start of the series that form the baseline; default 3.
    pub baseline_points: usize,
    /// Fraction of the candidates with the largest area under the curve kept, in (0, 1];
    /// default 0.10 (Mouridsen et al.).
    pub auc_keep: f64,
    /// Fraction of the remaining candidates with the largest noise-to-peak ratio discarded, in
    /// [0, 1); default 0.25 (Mouridsen et al.).
    pub roughness_discard: f64,
    /// Candidates whose peak is below this fraction of the best-scoring candidate's peak are
    /// dropped (partial volume), in [0, 1]; default 0.5.
    pub min_relative_peak: f64,
}

impl Default for AifDetectOptions {
    fn default() -> Self {
        AifDetectOptions {
            n_voxels: 5,
            baseline_points: 3,
            auc_keep: 0.10,
            roughness_discard: 0.25,
            min_relative_peak: 0.5,
        }
    }
}

/// Per-voxel features from
/// [`aif_curve_features`](fn@super::features::aif_curve_features), shape (x, y, z); NaN
/// outside the mask and where undefined.
#[derive(Debug, Clone, PartialEq)]
pub struct AifFeatures {
    /// Peak height above the baseline (mM).
    pub peak: Array3<f64>,
    /// Time of the peak sample (s).
    pub ttp: Array3<f64>,
    /// Full width at half maximum (s).
    pub fwhm: Array3<f64>,
    /// Area under the curve above the baseline (mM·s).
    pub auc: Array3<f64>,
    /// Noise-to-peak ratio after the first pass (1).
    pub roughness: Array3<f64>,
    /// Arterial score `peak / (fwhm · (ttp - t0))` (mM/s²).
    pub score: Array3<f64>,
}

/// The result of [`detect_aif`].
#[derive(Debug, Clone, PartialEq)]
pub struct AifDetection {
    /// The AIF (mM, the concentration the series holds): the mean of the selected voxels'
    /// curves, one value per time point.
    pub aif: Vec<f64>,
    /// The selected voxels (x, y, z), best score first.
    pub voxels: Vec<[usize; 3]>,
    /// Their scores (mM/s²), in the order of `voxels`.
    pub scores: Vec<f64>,
    /// How many voxels of the mask were candidates (had a score).
    pub candidates: usize,
    /// The features of every voxel.
    pub features: AifFeatures,
}

/// Finds the AIF in a concentration series `conc` (mM, shape (x, y, z, t), C order, time
/// last; on the host or a device) within `mask` (shape (x, y, z), on the same device), with
/// sample times `t_s` (s, increasing; need not be uniform). The method is in the [module
/// docs](self); the features are computed where `conc` lives, and the selected curves are
/// read back to the host (a device series is downloaded once for that).
///
/// Errors (`Error::Invalid` naming the argument): `conc` not 4-D or with fewer than
/// `baseline_points + 3` time points; `t_s` of another length, not finite or not increasing;
/// `mask` of another shape, on another device or with no voxel set; options out of range;
/// and no voxel of the mask with a bolus-like curve (argument `conc`).
pub fn detect_aif<'a, 'b>(
    t_s: &[f64],
    conc: impl IntoXpRef<'a, f64>,
    mask: impl IntoXpRef<'b, bool>,
    opts: &AifDetectOptions,
) -> Result<AifDetection> {
    let conc = conc.into_xp_ref();
    let mask = mask.into_xp_ref();
    check_options(opts)?;
    let shape = conc.shape().to_vec();
    if shape.len() != 4 || shape[3] < opts.baseline_points + 3 {
        return Err(invalid(
            "conc",
            format!(
                "a 4-D array (x, y, z, t) with at least baseline_points + 3 = {} time points",
                opts.baseline_points + 3
            ),
            format!("shape {shape:?}"),
        ));
    }
    let nt = shape[3];
    if t_s.len() != nt {
        return Err(invalid(
            "t_s",
            format!("{nt} times (the last axis of `conc`)"),
            format!("{}", t_s.len()),
        ));
    }
    if let Some(i) = (0..nt).find(|&i| !t_s[i].is_finite() || (i > 0 && t_s[i] <= t_s[i - 1])) {
        return Err(invalid(
            "t_s",
            "finite, increasing times (s)".into(),
            format!("t_s[{i}] = {}", t_s[i]),
        ));
    }
    if mask.shape() != &shape[..3] {
        return Err(invalid(
            "mask",
            format!("shape {:?}", &shape[..3]),
            format!("shape {:?}", mask.shape()),
        ));
    }
    let device = conc.placement();
    if mask.placement() != device {
        return Err(invalid(
            "mask",
            format!("an array on {device} (where `conc` is)"),
            format!("one on {}", mask.placement()),
        ));
    }
    let mask_host = host_copy(&mask)?;
    if !mask_host.iter().any(|&m| m) {
        return Err(invalid("mask", "at least one voxel set".into(), "none".into()));
    }

    let t_arr = XpArray::from(ndarray::Array1::from(t_s.to_vec()));
    let t_arr = if device == Device::Cpu {
        t_arr
    } else {
        t_arr.to_device(&device)?
    };
    let f = aif_curve_features::launch(&t_arr, &conc, &mask, opts.baseline_points)?;
    let dims = (shape[0], shape[1], shape[2]);
    let to3 = |a: XpArray<f64>| -> Result<Array3<f64>> {
        let v: Vec<f64> = a.into_host()?.into_iter().collect();
        Array3::from_shape_vec(dims, v).map_err(|e| invalid("conc", "a C-order array".into(), e.to_string()))
    };
    let features = AifFeatures {
        peak: to3(f.0)?,
        ttp: to3(f.1)?,
        fwhm: to3(f.2)?,
        auc: to3(f.3)?,
        roughness: to3(f.4)?,
        score: to3(f.5)?,
    };

    let ranked = rank(&features, opts);
    let candidates = ranked.candidates;
    if ranked.chosen.is_empty() {
        return Err(invalid(
            "conc",
            "at least one voxel in the mask whose curve rises from the baseline to a peak, falls below half \
             of it and goes on for a few samples"
                .into(),
            format!(
                "none of {} masked voxels",
                mask_host.iter().filter(|&&m| m).count()
            ),
        ));
    }
    let conc_host = host_copy(&conc)?;
    let mut aif = vec![0.0; nt];
    for &q in &ranked.chosen {
        for (k, a) in aif.iter_mut().enumerate() {
            *a += conc_host[&[q[0], q[1], q[2], k][..]];
        }
    }
    let n = ranked.chosen.len() as f64;
    aif.iter_mut().for_each(|a| *a /= n);
    let scores = ranked.chosen.iter().map(|q| features.score[*q]).collect();
    Ok(AifDetection {
        aif,
        voxels: ranked.chosen,
        scores,
        candidates,
        features,
    })
}

/// The voxels chosen by steps 2 and 3 of the method.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// How many voxels had a score.
    pub candidates: usize,
    /// The selected voxels (x, y, z), best score first.
    pub chosen: Vec<[usize; 3]>,
}

/// Steps 2 and 3 of the method (preselection and ranking) on the features of every voxel:
/// the selection [`detect_aif`] averages. Exposed so that the features can be computed block
/// by block (the kernel is per voxel) and the selection made once over the whole volume.
pub fn rank(f: &AifFeatures, opts: &AifDetectOptions) -> Ranked {
    // Candidates in C order, so that ties fall to the lower flat index in the stable sorts.
    let mut cand: Vec<[usize; 3]> = f
        .score
        .indexed_iter()
        .filter(|(q, s)| s.is_finite() && **s > 0.0 && f.auc[*q].is_finite() && f.roughness[*q].is_finite())
        .map(|((x, y, z), _)| [x, y, z])
        .collect();
    let candidates = cand.len();
    let floor = opts.n_voxels.min(candidates);
    cand.sort_by(|a, b| f.auc[*b].total_cmp(&f.auc[*a]));
    let keep = ((opts.auc_keep * candidates as f64).ceil() as usize).clamp(floor, candidates);
    cand.truncate(keep);
    cand.sort_by(|a, b| f.roughness[*a].total_cmp(&f.roughness[*b]));
    let drop = (opts.roughness_discard * cand.len() as f64).floor() as usize;
    let keep = cand.len().saturating_sub(drop).max(floor);
    cand.truncate(keep);
    cand.sort_by(|a, b| f.score[*b].total_cmp(&f.score[*a]).then(a.cmp(b)));
    let chosen = match cand.first() {
        Some(best) => {
            let limit = opts.min_relative_peak * f.peak[*best];
            cand.iter()
                .filter(|q| f.peak[**q] >= limit)
                .take(opts.n_voxels)
                .copied()
                .collect()
        }
        None => Vec::new(),
    };
    Ranked { candidates, chosen }
}

/// Checks the settings: `Error::Invalid` naming the first out of range (as [`detect_aif`]).
pub fn check_options(o: &AifDetectOptions) -> Result<()> {
    let bad = |arg: &'static str, expected: &str, found: String| Err(invalid(arg, expected.into(), found));
    if o.n_voxels == 0 {
        return bad("opts.n_voxels", "at least 1", "0".into());
    }
    if o.baseline_points == 0 {
        return bad("opts.baseline_points", "at least 1", "0".into());
    }
    if !(o.auc_keep > 0.0 && o.auc_keep <= 1.0) {
        return bad("opts.auc_keep", "a fraction in (0, 1]", o.auc_keep.to_string());
    }
    if !(0.0..1.0).contains(&o.roughness_discard) {
        return bad(
            "opts.roughness_discard",
            "a fraction in [0, 1)",
            o.roughness_discard.to_string(),
        );
    }
    if !(0.0..=1.0).contains(&o.min_relative_peak) {
        return bad(
            "opts.min_relative_peak",
            "a fraction in [0, 1]",
            o.min_relative_peak.to_string(),
        );
    }
    Ok(())
}

fn invalid(arg: &'static str, expected: String, found: String) -> Error {
    Error::Invalid {
        function: "detect_aif",
        arg,
        expected,
        found,
    }
}

/// A launch argument on the host: a view of host data, a copy of device data.
fn host_copy<'a, T: Element>(r: &'a XpRef<'_, T>) -> Result<CowArray<'a, T, IxDyn>> {
    match r {
        XpRef::Host(v) => Ok(CowArray::from(v.view())),
        XpRef::Device { shape, mem, .. } => {
            let data = T::read_bytes(&mem.to_bytes()?);
            let found = data.len();
            ArrayD::from_shape_vec(IxDyn(shape), data)
                .map(CowArray::from)
                .map_err(|_| {
                    invalid(
                        "conc",
                        format!("device data of shape {shape:?}"),
                        format!("{found} elements"),
                    )
                })
        }
    }
}
