//! The per-voxel kernels of DSC-MRI: signal to ΔR2(*) and concentration, the deconvolutions
//! (a filter per singular component for sSVD, cSVD and Tikhonov; oSVD with its threshold
//! chosen per voxel) and the maps that follow from the residue function.
//!
//! What depends only on the AIF (the convolution matrix, its SVD, the filters) is built
//! once on the host ([`Deconvolution::factorise`](super::Deconvolution::factorise)) and reaches
//! these kernels as uniform rows. Nothing here fails on values: a voxel that cannot be computed
//! gets NaN maps and a [`DscStatus`](super::DscStatus) code.

use osipy_kernels::xp_kernel;

/// Concentration (mM) from a relaxation-rate change `r` (/s) for the relation
/// `r = k1 C + k2 C²` (`k1` in /s/mM, `k2` in /s/mM²; `k2 = 0` is the linear relation). The
/// root `C = 2 r / (k1 + sqrt(k1² + 4 k2 r))` is the one through `C = 0` at `r = 0`; NaN where
/// none is real.
#[xp_kernel]
pub fn relaxation_to_conc(r: f64, k1: f64, k2: f64) -> f64 {
    if k2 == 0.0 {
        r / k1
    } else {
        let d = k1 * k1 + 4.0 * k2 * r;
        if d >= 0.0 {
            2.0 * r / (k1 + d.sqrt())
        } else {
            f64::NAN
        }
    }
}

/// Concentration curve of one voxel from its DSC signal `s` (a.u.): `S0` is the mean of the
/// baseline samples `start..end`, `ΔR2(*)(t) = -ln(S(t) / S0) / te` (/s, `te` the echo time in
/// s; gradient echo gives ΔR2*, spin echo ΔR2), and the concentration follows from
/// [`relaxation_to_conc`](fn@relaxation_to_conc) with `k1`, `k2`. Writes `conc[k]` for every
/// sample (`conc` as long as `s`) and returns `S0`.
///
/// A baseline that is not finite and positive makes the row NaN; a sample that is not
/// positive makes that sample NaN.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn signal_to_conc(
    s: &[f64],
    #[uniform] start: usize,
    #[uniform] end: usize,
    #[uniform] te: f64,
    #[uniform] k1: f64,
    #[uniform] k2: f64,
    conc: &mut [f64],
) -> f64 {
    let s0 = crate::conc::kernels::baseline_mean(s, start, end);
    let ok = s0 > 0.0 && s0.is_finite();
    for k in 0..conc.len() {
        let mut c = f64::NAN;
        if ok && s[k] > 0.0 {
            c = relaxation_to_conc(-(s[k] / s0).ln() / te, k1, k2);
        }
        conc[k] = c;
    }
    s0
}

/// Area under a curve sampled every `dt` (trapezoid rule), the time of its maximum from the
/// first sample (`k dt` of the first largest sample) and that maximum: `(area, ttp, peak)`.
/// NaN for all three when a sample is not finite.
#[xp_kernel]
pub fn curve_summary(c: &[f64], #[uniform] dt: f64) -> (f64, f64, f64) {
    let n = c.len();
    let mut sum = 0.0;
    let mut peak = f64::NEG_INFINITY;
    let mut kp = 0;
    let mut finite = n > 0;
    for k in 0..n {
        if !c[k].is_finite() {
            finite = false;
        }
        sum += c[k];
        if c[k] > peak {
            peak = c[k];
            kp = k;
        }
    }
    if !finite {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let area = dt * (sum - 0.5 * (c[0] + c[n - 1]));
    (area, kp as f64 * dt, peak)
}

/// The maps of one voxel from its tissue curve's area, its peak time and its residue
/// function's maximum and peak index: `(cbf, cbv, mtt, ttp, tmax, status)`.
///
/// `cbv = cbv_scale area` (ml/100 g, `cbv_scale = 100 kH / (rho area_aif)`), `cbf = cbf_scale
/// peak` (ml/100 g/min, `cbf_scale = 6000 kH / rho` for a residue in /s), `mtt = 60 cbv / cbf`
/// (s, central volume theorem). The status is a [`DscStatus`](super::DscStatus) code. `tmax` is the peak index times `dt`, an index past `n_causal`
/// (the circulant's wrap-around) counting back from `len` as a negative delay.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn perfusion_maps(
    area: f64,
    ttp: f64,
    peak: f64,
    index: usize,
    len: usize,
    n_causal: usize,
    dt: f64,
    cbv_scale: f64,
    cbf_scale: f64,
) -> (f64, f64, f64, f64, f64, f64) {
    if !(area.is_finite() && peak.is_finite()) {
        return (f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN, 4.0); // non-finite data
    }
    let cbv = cbv_scale * area;
    let cbf = cbf_scale * peak;
    let mut tmax = index as f64 * dt;
    if index >= n_causal {
        tmax = -((len - index) as f64) * dt;
    }
    if peak <= 0.0 {
        return (f64::NAN, cbv, f64::NAN, ttp, f64::NAN, 2.0); // no flow
    }
    if cbv <= 0.0 {
        return (cbf, cbv, f64::NAN, ttp, tmax, 3.0); // no volume
    }
    (cbf, cbv, 60.0 * cbv / cbf, ttp, tmax, 1.0) // ok
}

/// Maximum of a residue row and its first index: `(peak, index)`.
#[xp_kernel]
pub fn residue_peak(r: &[f64]) -> (f64, usize) {
    let mut peak = f64::NEG_INFINITY;
    let mut index = 0;
    for k in 0..r.len() {
        if r[k] > peak {
            peak = r[k];
            index = k;
        }
    }
    (peak, index)
}

/// Fraction of the variance of `c` the convolution model explains, `1 - ss_res / ss_tot`, from
/// the residual sum of squares `ss_res`; NaN for a constant curve.
#[xp_kernel]
pub fn explained(c: &[f64], ss_res: f64) -> f64 {
    let n = c.len();
    let mut mean = 0.0;
    for k in 0..n {
        mean += c[k];
    }
    mean /= n as f64;
    let mut ss_tot = 0.0;
    for k in 0..n {
        ss_tot += (c[k] - mean) * (c[k] - mean);
    }
    if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        f64::NAN
    }
}

/// `sum_k u[start + k] c[k]` over the samples of `c`, in four interleaved partial sums (four
/// independent chains of additions, added pairwise at the end).
#[xp_kernel]
pub fn dot(u: &[f64], start: usize, c: &[f64]) -> f64 {
    let n = c.len();
    let (mut a0, mut a1, mut a2, mut a3) = (0.0, 0.0, 0.0, 0.0);
    let mut k = 0;
    while k + 3 < n {
        a0 += u[start + k] * c[k];
        a1 += u[start + k + 1] * c[k + 1];
        a2 += u[start + k + 2] * c[k + 2];
        a3 += u[start + k + 3] * c[k + 3];
        k += 4;
    }
    while k < n {
        a0 += u[start + k] * c[k];
        k += 1;
    }
    (a0 + a1) + (a2 + a3)
}

/// sSVD, cSVD and Tikhonov for one voxel: the residue `residue = sum_j gain_j (u_j . c) v_j`
/// over the components with a non-zero filter (`u`, `s`, `v` as for
/// [`deconvolve_osvd`](fn@deconvolve_osvd); `gain` the filter over the singular value, 0 for a
/// dropped component: the truncated methods cost one projection and one update per component
/// kept), the fit's residual from the same projections (`|c|² - sum_j (2 φ_j - φ_j²) (u_j .
/// c)²`, `φ_j = gain_j s_j`, exact for orthonormal `u` over the padded length) for `r2`, then
/// [`perfusion_maps`](fn@perfusion_maps).
///
/// Returns `(cbf, cbv, mtt, ttp, tmax, r2, status)`; a curve with a non-finite sample gives
/// NaN maps, a NaN residue and status 4.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn deconvolve_filtered(
    c: &[f64],
    #[uniform] u: &[f64],
    #[uniform] s: &[f64],
    #[uniform] v: &[f64],
    #[uniform] gain: &[f64],
    #[uniform] dt: f64,
    #[uniform] cbv_scale: f64,
    #[uniform] cbf_scale: f64,
    residue: &mut [f64],
) -> (f64, f64, f64, f64, f64, f64, f64) {
    let n = c.len();
    let l = residue.len();
    let (area, ttp, _) = curve_summary(c, dt);
    if !area.is_finite() {
        for k in 0..l {
            residue[k] = f64::NAN;
        }
        return (f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN, 4.0);
        // non-finite data
    }
    let mut norm2 = 0.0;
    for k in 0..n {
        norm2 += c[k] * c[k];
    }
    for k in 0..l {
        residue[k] = 0.0;
    }
    let mut explained2 = 0.0;
    for j in 0..l {
        if gain[j] == 0.0 {
            continue;
        }
        let proj = dot(u, j * n, c);
        let a = gain[j] * proj;
        for k in 0..l {
            residue[k] += a * v[j * l + k];
        }
        let phi = gain[j] * s[j];
        explained2 += (2.0 * phi - phi * phi) * proj * proj;
    }
    let r2 = explained(c, (norm2 - explained2).max(0.0));
    let (peak, index) = residue_peak(residue);
    let (cbf, cbv, mtt, ttp2, tmax, status) =
        perfusion_maps(area, ttp, peak, index, l, n, dt, cbv_scale, cbf_scale);
    (cbf, cbv, mtt, ttp2, tmax, r2, status)
}

/// oSVD for one voxel (Wu et al., MRM 2003): singular components of the (block-circulant)
/// convolution matrix are added one at a time, largest singular value first, while the
/// residue's oscillation index stays at or below `oi_max`; the first component that would push
/// it above ends the search (at least one component is kept; components of equal singular
/// value, such as a circulant's pairs, are added and judged together) and components whose singular
/// value is at or below `s_min` are never added. Each step costs one projection (`c.len()`
/// products) and one update of the residue (`residue.len()`), never a full solve.
///
/// `u`: the left singular vectors' first `c.len()` entries, one row per component
/// (`residue.len()` rows, row-major: the padding of the data needs no entries); `s`: the
/// singular values, largest first; `v`: the right singular vectors, one row per component
/// (`residue.len()` squared). The oscillation index of a residue `f` of `L` samples is
/// `OI = 1 / (L max f) sum_{k=2}^{L-1} |f_k - 2 f_{k-1} + f_{k-2}|` (infinite for `max f <= 0`).
///
/// Returns `(cbf, cbv, mtt, ttp, tmax, r2, status, components)`.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn deconvolve_osvd(
    c: &[f64],
    #[uniform] u: &[f64],
    #[uniform] s: &[f64],
    #[uniform] v: &[f64],
    #[uniform] s_min: f64,
    #[uniform] oi_max: f64,
    #[uniform] dt: f64,
    #[uniform] cbv_scale: f64,
    #[uniform] cbf_scale: f64,
    residue: &mut [f64],
) -> (f64, f64, f64, f64, f64, f64, f64, f64) {
    let n = c.len();
    let l = residue.len();
    let (area, ttp, _) = curve_summary(c, dt);
    if !area.is_finite() {
        for k in 0..l {
            residue[k] = f64::NAN;
        }
        return (
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            4.0,
            0.0,
        ); // non-finite data;
    }
    let mut norm2 = 0.0;
    for k in 0..n {
        norm2 += c[k] * c[k];
    }
    for k in 0..l {
        residue[k] = 0.0;
    }
    let mut kept = 0;
    let mut explained2 = 0.0;
    let mut j = 0;
    while j < l {
        if s[j] <= s_min {
            break;
        }
        // Components of equal singular value (a circulant's cosine and sine of one
        // frequency) are one threshold: added and judged together.
        let mut e = j + 1;
        while e < l && s[e] >= s[j] * (1.0 - 1e-9) {
            e += 1;
        }
        // The group's first two components are added in the pass that measures the residue
        // (a circulant's pairs, a causal matrix's single components); any more first.
        let g2 = if e - j >= 2 { j + 1 } else { j };
        let p1 = dot(u, j * n, c);
        let a1 = p1 / s[j];
        let mut group2 = p1 * p1;
        let mut a2 = 0.0;
        if g2 != j {
            let p2 = dot(u, g2 * n, c);
            a2 = p2 / s[g2];
            group2 += p2 * p2;
        }
        for g in j + 2..e {
            let proj = dot(u, g * n, c);
            let a = proj / s[g];
            for k in 0..l {
                residue[k] += a * v[g * l + k];
            }
            group2 += proj * proj;
        }
        let (o1, o2) = (j * l, g2 * l);
        // The update, the maximum and the sum of |second differences| in one pass, two samples
        // at a time (two independent chains of additions).
        let mut r0 = residue[0] + (a1 * v[o1] + a2 * v[o2]);
        let mut r1 = residue[1] + (a1 * v[o1 + 1] + a2 * v[o2 + 1]);
        residue[0] = r0;
        residue[1] = r1;
        let mut fmax = r0.max(r1);
        let mut wa = 0.0;
        let mut wb = 0.0;
        let mut k = 2;
        while k + 1 < l {
            let x = residue[k] + (a1 * v[o1 + k] + a2 * v[o2 + k]);
            let y = residue[k + 1] + (a1 * v[o1 + k + 1] + a2 * v[o2 + k + 1]);
            residue[k] = x;
            residue[k + 1] = y;
            fmax = fmax.max(x).max(y);
            wa += (x - 2.0 * r1 + r0).abs();
            wb += (y - 2.0 * x + r1).abs();
            r0 = x;
            r1 = y;
            k += 2;
        }
        if k < l {
            let x = residue[k] + (a1 * v[o1 + k] + a2 * v[o2 + k]);
            residue[k] = x;
            fmax = fmax.max(x);
            wa += (x - 2.0 * r1 + r0).abs();
        }
        let wiggle = wa + wb;
        let mut oi = f64::INFINITY;
        if fmax > 0.0 {
            oi = wiggle / (l as f64 * fmax);
        }
        if kept > 0 && (oi > oi_max || oi.is_nan()) {
            for k in 0..l {
                residue[k] -= a1 * v[o1 + k] + a2 * v[o2 + k];
            }
            for g in j + 2..e {
                let a = dot(u, g * n, c) / s[g];
                for k in 0..l {
                    residue[k] -= a * v[g * l + k];
                }
            }
            break;
        }
        kept += e - j;
        explained2 += group2;
        j = e;
    }
    let r2 = explained(c, (norm2 - explained2).max(0.0));
    let (peak, index) = residue_peak(residue);
    let (cbf, cbv, mtt, ttp2, tmax, status) =
        perfusion_maps(area, ttp, peak, index, l, n, dt, cbv_scale, cbf_scale);
    (cbf, cbv, mtt, ttp2, tmax, r2, status, kept as f64)
}
