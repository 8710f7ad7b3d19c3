//! Contrast-agent leakage correction of DSC curves.
//!
//! Where the blood-brain barrier leaks, the agent's T1 shortening (and T2* of the
//! extravascular agent) adds a term to each voxel's ΔR2* curve that follows the integral of
//! the intravascular curve. Both corrections compare a voxel's curve with a reference curve
//! `ref` of non-leaking tissue ([`reference_curve`]) and work on the relaxation-rate (or
//! concentration) curves, sampled every `dt` seconds:
//!
//! - [`bsw()`] (Boxerman, Schmainda and Weisskoff, AJNR 2006): `ΔR(t) = K1 ref(t) - K2 ∫_0^t
//!   ref`, fitted by linear least squares; the corrected curve is `ΔR(t) + K2 ∫_0^t ref`.
//!   `K2 > 0` is T1-dominant leakage (signal raised, ΔR2* too low), `K2 < 0` T2*-dominant.
//! - [`bidirectional()`] (Leigh et al., JMRI 2012 / Bjørnerud et al., JCBFM 2011): the leaked
//!   agent also flows back at the rate `kep`, `ΔR(t) = K1 ref(t) - K2 ∫_0^t ref(s)
//!   e^{-kep (t - s)} ds`. Differentiating and integrating again makes it linear in three
//!   unknowns, `ΔR = K1 ref - (K2 - kep K1) ∫ref - kep ∫ΔR`, fitted by least squares; the
//!   leakage term is then rebuilt with `K2` and `kep` (trapezoid rule) and added back.

use ndarray::{ArrayView, ArrayViewD, Axis, Dimension, IxDyn};
use osipy_kernels::xp_kernel;

use crate::volume::Voxels;
use crate::{Error, Result};

/// Cumulative integral of `y` sampled every `dt` (trapezoid rule), starting at 0.
pub fn cumulative(y: &[f64], dt: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(y.len());
    let mut acc = 0.0;
    for (k, &v) in y.iter().enumerate() {
        if k > 0 {
            acc += 0.5 * dt * (v + y[k - 1]);
        }
        out.push(acc);
    }
    out
}

/// BSW correction of one voxel's curve `c` against the reference `reference` and its
/// cumulative integral `integral` ([`cumulative`]): writes the corrected curve into `corrected`
/// and returns `(k1, k2)` (`k2` in /s for a time axis in s). A curve with a non-finite sample,
/// or a reference that does not determine the fit, gives NaN and a NaN row.
#[xp_kernel]
pub fn bsw(
    c: &[f64],
    #[uniform] reference: &[f64],
    #[uniform] integral: &[f64],
    corrected: &mut [f64],
) -> (f64, f64) {
    let n = c.len();
    let (mut srr, mut sri, mut sii, mut scr, mut sci) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for k in 0..n {
        srr += reference[k] * reference[k];
        sri += reference[k] * integral[k];
        sii += integral[k] * integral[k];
        scr += c[k] * reference[k];
        sci += c[k] * integral[k];
    }
    // c ≈ k1 ref - k2 int: normal equations in (k1, -k2).
    let det = srr * sii - sri * sri;
    let mut k1 = f64::NAN;
    let mut k2 = f64::NAN;
    if det.abs() > 1e-12 * srr * sii && det.is_finite() {
        k1 = (scr * sii - sci * sri) / det;
        k2 = -(srr * sci - sri * scr) / det;
    }
    for k in 0..n {
        corrected[k] = c[k] + k2 * integral[k];
    }
    (k1, k2)
}

/// Determinant of the symmetric 3 x 3 matrix `[[a, b, c], [b, d, e], [c, e, f]]`.
#[xp_kernel]
pub fn det3(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64) -> f64 {
    a * (d * f - e * e) - b * (b * f - e * c) + c * (b * e - d * c)
}

/// Bidirectional correction of one voxel's curve `c` (sampled every `dt` s) against the
/// reference and its cumulative integral: writes the corrected curve and returns `(k1, k2,
/// kep)` (`k2`, `kep` in /s). A curve proportional to the reference (no leakage, so no
/// back-flow to measure) leaves `kep` undetermined: the voxel gets the BSW fit and `kep = 0`.
/// NaN and a NaN row when the fit is not determined or a sample is not finite.
#[xp_kernel]
pub fn bidirectional(
    c: &[f64],
    #[uniform] reference: &[f64],
    #[uniform] integral: &[f64],
    #[uniform] dt: f64,
    corrected: &mut [f64],
) -> (f64, f64, f64) {
    let n = c.len();
    // Columns x1 = ref, x2 = -∫ref, x3 = -∫c; c ≈ k1 x1 + b x2 + kep x3.
    let (mut a11, mut a12, mut a13, mut a22, mut a23, mut a33) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut b1, mut b2, mut b3) = (0.0, 0.0, 0.0);
    let mut own = 0.0;
    for k in 0..n {
        if k > 0 {
            own += 0.5 * dt * (c[k] + c[k - 1]);
        }
        let x1 = reference[k];
        let x2 = -integral[k];
        let x3 = -own;
        a11 += x1 * x1;
        a12 += x1 * x2;
        a13 += x1 * x3;
        a22 += x2 * x2;
        a23 += x2 * x3;
        a33 += x3 * x3;
        b1 += x1 * c[k];
        b2 += x2 * c[k];
        b3 += x3 * c[k];
    }
    let det = det3(a11, a12, a13, a22, a23, a33);
    let scale = a11 * a22 * a33;
    let mut k1 = f64::NAN;
    let mut k2 = f64::NAN;
    let mut kep = f64::NAN;
    if det.is_finite() && det.abs() > 1e-12 * scale {
        // Cramer's rule.
        let d1 = b1 * (a22 * a33 - a23 * a23) - a12 * (b2 * a33 - a23 * b3) + a13 * (b2 * a23 - a22 * b3);
        let d2 = a11 * (b2 * a33 - a23 * b3) - b1 * (a12 * a33 - a23 * a13) + a13 * (a12 * b3 - b2 * a13);
        let d3 = a11 * (a22 * b3 - b2 * a23) - a12 * (a12 * b3 - b2 * a13) + b1 * (a12 * a23 - a22 * a13);
        k1 = d1 / det;
        let b = d2 / det;
        kep = d3 / det;
        k2 = b + kep * k1;
    } else {
        // A curve proportional to the reference makes its own integral a multiple of the
        // reference's: kep is not determined, and the voxel does not leak back. BSW (kep = 0).
        let det2 = a11 * a22 - a12 * a12;
        if det2.is_finite() && det2.abs() > 1e-12 * a11 * a22 {
            k1 = (b1 * a22 - b2 * a12) / det2;
            k2 = (a11 * b2 - a12 * b1) / det2;
            kep = 0.0;
        }
    }
    // The leakage term L_k = e L_{k-1} + k2 dt / 2 (ref_k + e ref_{k-1}), e = exp(-kep dt).
    let e = (-kep * dt).exp();
    let mut leak = 0.0;
    for k in 0..n {
        if k > 0 {
            leak = e * leak + 0.5 * k2 * dt * (reference[k] + e * reference[k - 1]);
        }
        corrected[k] = c[k] + leak;
    }
    (k1, k2, kep)
}

/// The reference curve of the leakage corrections: the mean curve of the voxels of `voxels`
/// whose late signal looks like non-leaking tissue.
///
/// `curves` is the ΔR2* (or concentration) series (voxel axes, then time). A voxel is
/// excluded when a sample is not finite, or when the mean of its last quarter of samples,
/// relative to its peak, lies more than two standard deviations from the median of that ratio
/// over the voxels (both leakage directions show there first). Errors when no voxel is left.
pub fn reference_curve(curves: &ArrayViewD<'_, f64>, voxels: &Voxels) -> Result<Vec<f64>> {
    let nt = *curves.shape().last().unwrap_or(&0);
    if nt < 4 {
        return Err(Error::Invalid {
            function: "dsc::leakage::reference_curve",
            arg: "curves",
            expected: "at least 4 time points".into(),
            found: format!("shape {:?}", curves.shape()),
        });
    }
    let owned = curves.as_standard_layout();
    let flat = owned
        .view()
        .into_shape_with_order(IxDyn(&[voxels.len_all(), nt]))
        .map_err(|e| Error::Invalid {
            function: "dsc::leakage::reference_curve",
            arg: "curves",
            expected: format!("{} voxels x {nt}", voxels.len_all()),
            found: e.to_string(),
        })?;
    let ratio: Vec<(usize, f64)> = voxels
        .selected
        .iter()
        .filter_map(|&i| late_peak_ratio(flat.index_axis(Axis(0), i)).map(|r| (i, r)))
        .collect();
    let keep = non_leaking(&ratio.iter().map(|r| r.1).collect::<Vec<_>>())?;
    let mut sum = vec![0.0; nt];
    let mut used = 0usize;
    for (&(i, _), _) in ratio.iter().zip(&keep).filter(|(_, k)| **k) {
        for (s, v) in sum.iter_mut().zip(flat.index_axis(Axis(0), i).iter()) {
            *s += v;
        }
        used += 1;
    }
    Ok(sum.into_iter().map(|s| s / used as f64).collect())
}

/// The mean of a curve's last quarter of samples relative to its peak, as
/// [`reference_curve`] ranks voxels; `None` when a sample is not finite or the curve does not
/// rise above 0.
pub fn late_peak_ratio<D: Dimension>(row: ArrayView<'_, f64, D>) -> Option<f64> {
    let nt = row.len();
    if !row.iter().all(|v| v.is_finite()) {
        return None;
    }
    let peak = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if peak > 0.0 {
        let tail = nt - nt / 4;
        let late = row.iter().skip(tail).sum::<f64>() / (nt - tail) as f64;
        Some(late / peak)
    } else {
        None
    }
}

/// Which of `ratios` ([`late_peak_ratio`] per voxel; NaN for a voxel without one) lie within
/// two standard deviations of their median: the voxels [`reference_curve`] averages. Errors
/// when no ratio is finite, or none is kept.
pub fn non_leaking(ratios: &[f64]) -> Result<Vec<bool>> {
    let mut sorted: Vec<f64> = ratios.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return Err(Error::Invalid {
            function: "dsc::leakage::reference_curve",
            arg: "curves",
            expected: "voxels in the mask with finite curves that rise above 0".into(),
            found: "none".into(),
        });
    }
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
    let sd = (sorted.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / sorted.len() as f64).sqrt();
    let keep: Vec<bool> = ratios
        .iter()
        .map(|&r| !r.is_nan() && (r - median).abs() <= 2.0 * sd)
        .collect();
    if !keep.contains(&true) {
        return Err(Error::Invalid {
            function: "dsc::leakage::reference_curve",
            arg: "curves",
            expected: "non-leaking voxels in the mask".into(),
            found: "none".into(),
        });
    }
    Ok(keep)
}
