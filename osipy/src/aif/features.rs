//! The per-voxel features of automatic AIF detection: one time curve per item.
//!
//! See [`detect`](super::detect) for the method that ranks voxels by them.

use osipy_kernels::xp_kernel;

/// Features of one time curve `c` on the times `t` (s) for AIF detection (see the method in
/// [`detect`](super::detect)): returns `(peak, ttp, fwhm, auc, roughness, score)` in (mM, s,
/// s, mM·s, 1, mM/s²). All NaN when `include` is false, the row lengths differ, fewer than
/// `n_baseline + 2` or 5 samples, `n_baseline` is 0, or a sample is not finite; the width,
/// roughness and score are NaN when the curve has no peak above the baseline that falls
/// below half of it on both sides, and the roughness (and so no score) when fewer than 3
/// samples lie after the first pass. `t` must increase.
#[xp_kernel]
pub fn aif_curve_features(
    #[uniform] t: &[f64],
    c: &[f64],
    include: bool,
    #[uniform] n_baseline: usize,
) -> (f64, f64, f64, f64, f64, f64) {
    let nan = f64::NAN;
    let n = c.len();
    if !include || t.len() != n || n < 5 || n_baseline == 0 || n_baseline + 2 > n {
        return (nan, nan, nan, nan, nan, nan);
    }
    for i in 0..n {
        if !c[i].is_finite() || !t[i].is_finite() {
            return (nan, nan, nan, nan, nan, nan);
        }
    }
    let mut b = 0.0;
    for i in 0..n_baseline {
        b += c[i];
    }
    b /= n_baseline as f64;
    let mut ip = n_baseline;
    for i in n_baseline..n {
        if c[i] > c[ip] {
            ip = i;
        }
    }
    let h = c[ip] - b;
    let ttp = t[ip];
    let mut auc = 0.0;
    for i in 1..n {
        auc += 0.5 * (t[i] - t[i - 1]) * (c[i] + c[i - 1] - 2.0 * b);
    }
    if h <= 0.0 {
        return (h, ttp, nan, auc, nan, nan);
    }
    let half = b + 0.5 * h;
    // Half-maximum crossings on either side of the peak.
    let mut tl = nan;
    let mut i = ip;
    while i > 0 {
        if c[i - 1] <= half {
            tl = t[i - 1] + (half - c[i - 1]) / (c[i] - c[i - 1]) * (t[i] - t[i - 1]);
            break;
        }
        i -= 1;
    }
    let mut tr = nan;
    let mut k = ip + 1;
    while k < n {
        if c[k] <= half {
            tr = t[k - 1] + (c[k - 1] - half) / (c[k - 1] - c[k]) * (t[k] - t[k - 1]);
            break;
        }
        k += 1;
    }
    let fwhm = tr - tl;
    if fwhm.is_nan() {
        return (h, ttp, nan, auc, nan, nan);
    }
    // Noise after the first pass: each sample's deviation from the line through its
    // neighbours has variance sigma^2 (1 + (h1^2 + h2^2) / (h1 + h2)^2) for white noise.
    let late = tr + 2.0 * fwhm;
    let mut ss = 0.0;
    let mut m: usize = 0;
    for j in 1..n - 1 {
        if t[j - 1] >= late {
            let h1 = t[j] - t[j - 1];
            let h2 = t[j + 1] - t[j];
            let e = c[j] - (h2 * c[j - 1] + h1 * c[j + 1]) / (h1 + h2);
            let w = 1.0 + (h1 * h1 + h2 * h2) / ((h1 + h2) * (h1 + h2));
            ss += e * e / w;
            m += 1;
        }
    }
    let rough = if m >= 3 { (ss / m as f64).sqrt() / h } else { nan };
    let rise = ttp - t[0];
    let score = if rough.is_nan() || rise <= 0.0 {
        nan
    } else {
        h / (fwhm * rise)
    };
    (h, ttp, fwhm, auc, rough, score)
}
