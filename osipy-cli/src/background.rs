//! The default mask of the commands: background left out by Otsu's threshold on a baseline
//! image (which image is the command's choice, stated in its report and provenance), applied
//! only where the image has two classes and the lower one is dark, as background is; `--mask
//! all` keeps every voxel with finite, not all-zero data (the rule before this one).

use std::path::Path;

use ndarray::Array3;
use serde_json::{json, Value};

/// The `--mask` value that asks for every voxel with finite, not all-zero data.
pub(crate) const ALL: &str = "all";

/// Otsu's threshold is applied when its separability (between-class over total variance) is
/// at least this: two classes as distinct as background and tissue. A single class (one
/// Gaussian: 2/π ≈ 0.64; a uniform spread: 0.75) keeps every voxel.
pub(crate) const MIN_SEPARABILITY: f64 = 0.8;

/// The lower class is background when its mean is at most this fraction of the upper class's
/// mean (air and noise are dark in a magnitude image; two tissues are not this far apart).
pub(crate) const MAX_BACKGROUND_RATIO: f64 = 0.2;

/// Whether `--mask` names the keyword [`ALL`] (a file called `all` is given as `./all`).
pub(crate) fn is_all(p: &Path) -> bool {
    p.as_os_str() == ALL
}

/// The default mask and how it was made.
pub(crate) struct Background {
    /// The voxels kept.
    pub(crate) mask: Array3<bool>,
    /// The image thresholded, in words (e.g. "the mean of the first 3 frames").
    pub(crate) image: String,
    /// Otsu's threshold on that image (`None`: fewer than two distinct values).
    pub(crate) threshold: Option<f64>,
    /// Otsu's separability of the image (NaN without a threshold).
    pub(crate) separability: f64,
    /// The mean of the lower class over the mean of the upper class (NaN without a threshold).
    pub(crate) ratio: f64,
    /// Whether the threshold was applied (separability at least [`MIN_SEPARABILITY`], ratio
    /// at most [`MAX_BACKGROUND_RATIO`]).
    pub(crate) applied: bool,
    /// Voxels with finite, not all-zero data (the candidates).
    pub(crate) candidates: usize,
    /// Voxels kept.
    pub(crate) voxels: usize,
}

/// Otsu's threshold of `values` (finite ones; a 256-bin histogram between their extremes), the
/// values above it being the upper class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Otsu {
    /// The threshold.
    pub(crate) threshold: f64,
    /// Between-class over total variance, in `[0, 1]`.
    pub(crate) separability: f64,
    /// Mean of the values at or below the threshold.
    pub(crate) lower_mean: f64,
    /// Mean of the values above it.
    pub(crate) upper_mean: f64,
}

/// [`Otsu`] of `values`; `None` with fewer than two distinct finite values.
pub(crate) fn otsu(values: &[f64]) -> Option<Otsu> {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
        (a.min(x), b.max(x))
    });
    if v.len() < 2 || hi <= lo || !(hi - lo).is_finite() {
        return None;
    }
    const BINS: usize = 256;
    let width = (hi - lo) / BINS as f64;
    let mut hist = [0usize; BINS];
    for x in &v {
        hist[(((x - lo) / width) as usize).min(BINS - 1)] += 1;
    }
    let centre = |k: usize| lo + (k as f64 + 0.5) * width;
    let n = v.len() as f64;
    let total: f64 = (0..BINS).map(|k| hist[k] as f64 * centre(k)).sum();
    let mean = total / n;
    let var_total: f64 = (0..BINS)
        .map(|k| hist[k] as f64 * (centre(k) - mean).powi(2))
        .sum::<f64>()
        / n;
    let (mut w0, mut s0) = (0.0, 0.0);
    let mut best = (0usize, -1.0f64, f64::NAN, f64::NAN);
    for (k, &h) in hist.iter().enumerate().take(BINS - 1) {
        w0 += h as f64;
        s0 += h as f64 * centre(k);
        let w1 = n - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let (m0, m1) = (s0 / w0, (total - s0) / w1);
        let between = w0 * w1 * (m0 - m1).powi(2) / (n * n);
        if between > best.1 {
            best = (k, between, m0, m1);
        }
    }
    let sep = if var_total > 0.0 { best.1 / var_total } else { 0.0 };
    Some(Otsu {
        threshold: lo + (best.0 + 1) as f64 * width,
        separability: sep.clamp(0.0, 1.0),
        lower_mean: best.2,
        upper_mean: best.3,
    })
}

/// The default mask: the voxels of `valid` (finite, not all-zero data) whose `image` value is
/// above Otsu's threshold of `image` over `valid`, when the image has two classes and the lower
/// one is dark (background); else `valid`. `what` names the image for the report.
pub(crate) fn otsu_mask(image: &Array3<f64>, valid: &Array3<bool>, what: &str) -> Background {
    let values: Vec<f64> = image
        .iter()
        .zip(valid)
        .filter(|(_, m)| **m)
        .map(|(v, _)| *v)
        .collect();
    let found = otsu(&values);
    let ratio = found.map_or(f64::NAN, |o| o.lower_mean / o.upper_mean);
    let applied = found.is_some_and(|o| {
        o.separability >= MIN_SEPARABILITY && o.upper_mean > 0.0 && ratio <= MAX_BACKGROUND_RATIO
    });
    let mask = match found {
        Some(o) if applied => ndarray::Zip::from(image)
            .and(valid)
            .map_collect(|v, m| *m && v.is_finite() && *v > o.threshold),
        _ => valid.clone(),
    };
    Background {
        voxels: mask.iter().filter(|m| **m).count(),
        candidates: values.len(),
        mask,
        image: what.to_string(),
        threshold: found.map(|o| o.threshold),
        separability: found.map_or(f64::NAN, |o| o.separability),
        ratio,
        applied,
    }
}

impl Background {
    /// The rule and its outcome in one sentence, for the report.
    pub(crate) fn sentence(&self) -> String {
        let head = format!(
            "Default mask (no --mask): Otsu's threshold on {} over the {} voxels with finite, not all-zero data",
            self.image, self.candidates
        );
        match self.threshold {
            Some(t) if self.applied => format!(
                "{head}: threshold {}, separability {:.3} (at least {MIN_SEPARABILITY}), lower class at {:.3} of the upper (at most {MAX_BACKGROUND_RATIO}: background); {} voxels kept, {} left out as background; `--mask all` keeps them all.",
                crate::figure::label(t),
                self.separability,
                self.ratio,
                self.voxels,
                self.candidates - self.voxels
            ),
            Some(t) => format!(
                "{head}: threshold {} not applied (separability {:.3}, at least {MIN_SEPARABILITY} needed; lower class at {:.3} of the upper, at most {MAX_BACKGROUND_RATIO} needed: no dark background class); {} voxels kept.",
                crate::figure::label(t),
                self.separability,
                self.ratio,
                self.voxels
            ),
            None => format!("{head}: fewer than two distinct values, no threshold; {} voxels kept.", self.voxels),
        }
    }

    /// The rule and its outcome for the provenance record.
    pub(crate) fn json(&self) -> Value {
        json!({
            "rule": format!("Otsu's threshold (256 bins) on {}, over the voxels with finite, not all-zero data; applied when the separability is at least {MIN_SEPARABILITY} and the lower class's mean at most {MAX_BACKGROUND_RATIO} of the upper's", self.image),
            "threshold": self.threshold,
            "separability": if self.separability.is_finite() { json!(self.separability) } else { Value::Null },
            "lower_to_upper_mean": if self.ratio.is_finite() { json!(self.ratio) } else { Value::Null },
            "applied": self.applied,
            "candidate_voxels": self.candidates,
            "voxels": self.voxels,
        })
    }
}

/// The mask of a command run: `--mask FILE` (read by `read`), `--mask all` (`valid`: the
/// voxels with finite, not all-zero data) or, without `--mask`, [`otsu_mask`] of the baseline
/// image `image()` (the image and its description) over `valid`.
pub(crate) fn resolve(
    mask_arg: Option<&Path>,
    read: impl FnOnce(&Path) -> Result<Array3<bool>, crate::CliError>,
    valid: impl FnOnce() -> Array3<bool>,
    image: impl FnOnce() -> (Array3<f64>, String),
) -> Result<(Array3<bool>, Option<Background>), crate::CliError> {
    match mask_arg {
        Some(p) if is_all(p) => Ok((valid(), None)),
        Some(p) => Ok((read(p)?, None)),
        None => {
            let (img, what) = image();
            let b = otsu_mask(&img, &valid(), &what);
            Ok((b.mask.clone(), Some(b)))
        }
    }
}

/// The mean of frames `frames` of a 4-D series, voxel by voxel (NaN where a frame is not
/// finite, or with no frame).
pub(crate) fn frame_mean(data: &ndarray::Array4<f64>, frames: std::ops::Range<usize>) -> Array3<f64> {
    let (nx, ny, nz, nt) = data.dim();
    let frames = frames.start.min(nt)..frames.end.min(nt);
    let n = frames.len() as f64;
    Array3::from_shape_fn((nx, ny, nz), |(x, y, z)| {
        if frames.is_empty() {
            return f64::NAN;
        }
        frames.clone().map(|k| data[[x, y, z, k]]).sum::<f64>() / n
    })
}

/// The mask rule in words for the report: the file, `all` (`valid_rule` in words) or the
/// default's [`Background::sentence`].
pub(crate) fn describe(mask_arg: Option<&Path>, bg: Option<&Background>, valid_rule: &str) -> String {
    match (mask_arg, bg) {
        (Some(p), _) if is_all(p) => format!("--mask all: every voxel with {valid_rule}."),
        (Some(p), _) => format!("--mask {}.", p.display()),
        (None, Some(b)) => b.sentence(),
        (None, None) => format!("every voxel with {valid_rule}."),
    }
}

/// The mask rule for the provenance: the file's path as given, `all` with its rule, or the
/// default's [`Background::json`].
pub(crate) fn provenance(mask_arg: Option<&Path>, bg: Option<&Background>, valid_rule: &str) -> Value {
    match (mask_arg, bg) {
        (Some(p), _) if is_all(p) => json!(format!("all: {valid_rule}")),
        (Some(p), _) => json!(p.display().to_string()),
        (None, Some(b)) => b.json(),
        (None, None) => json!(valid_rule),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otsu_splits_two_classes_and_keeps_one_class_whole() {
        // Background near 0 and tissue near 100: the threshold falls between them.
        let mut v: Vec<f64> = (0..60).map(|i| f64::from(i % 5)).collect();
        v.extend((0..40).map(|i| 100.0 + f64::from(i % 7)));
        let o = otsu(&v).unwrap();
        assert!(o.threshold > 4.0 && o.threshold < 100.0, "{o:?}");
        assert!(o.separability > 0.99, "{o:?}");
        // Class means from the bin centres (bins 106/256 wide): near 2 and 103.
        assert!(
            (o.lower_mean - 2.0).abs() < 0.3 && (o.upper_mean - 103.0).abs() < 0.3,
            "{o:?}"
        );
        // One class spread evenly: below the separability limit.
        let u: Vec<f64> = (0..1000).map(f64::from).collect();
        let o = otsu(&u).unwrap();
        assert!((o.separability - 0.75).abs() < 0.01, "{o:?}");
        assert_eq!(otsu(&[3.0, 3.0, f64::NAN]), None);
        assert_eq!(otsu(&[]), None);
    }

    #[test]
    fn otsu_mask_leaves_out_background_only_when_there_are_two_classes() {
        let mut img = Array3::<f64>::zeros((4, 4, 1));
        for ((x, _, _), v) in img.indexed_iter_mut() {
            *v = if x < 2 {
                1.0 + x as f64 * 0.1
            } else {
                500.0 + x as f64
            };
        }
        let mut valid = Array3::from_elem((4, 4, 1), true);
        valid[[3, 3, 0]] = false;
        let b = otsu_mask(&img, &valid, "the test image");
        assert!(b.applied);
        assert_eq!((b.candidates, b.voxels), (15, 7));
        assert!(b.mask[[2, 0, 0]] && !b.mask[[1, 0, 0]] && !b.mask[[3, 3, 0]]);
        assert!(
            b.sentence().contains("7 voxels kept, 8 left out"),
            "{}",
            b.sentence()
        );
        assert_eq!(b.json()["voxels"], 7);
        // Two tissues (10 and 5): two classes, but the lower is not dark.
        let two = img.mapv(|v| if v < 100.0 { 5.0 } else { 10.0 });
        let b = otsu_mask(&two, &valid, "two tissues");
        assert!(!b.applied && b.separability > 0.99 && (b.ratio - 0.5).abs() < 0.01);
        assert_eq!(b.voxels, 15);
        let flat = Array3::<f64>::from_elem((4, 4, 1), 2.0);
        let b = otsu_mask(&flat, &valid, "a flat image");
        assert!(!b.applied && b.threshold.is_none());
        assert_eq!(b.voxels, 15);
        assert!(is_all(Path::new("all")) && !is_all(Path::new("./all")));
        let mut d = ndarray::Array4::<f64>::zeros((1, 1, 1, 4));
        d.as_slice_mut().unwrap().copy_from_slice(&[1.0, 3.0, 8.0, 9.0]);
        assert_eq!(frame_mean(&d, 0..2)[[0, 0, 0]], 2.0);
        assert!(frame_mean(&d, 5..9)[[0, 0, 0]].is_nan());
    }
}
