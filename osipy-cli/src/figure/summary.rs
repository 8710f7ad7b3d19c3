//! Which voxels the voxel-fit figures show, and the medians of the summary line.

use super::*;

/// The median of `v` (sorted in place; the upper one of an even count), NaN when empty.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The percentiles the voxel-fit figures show.
pub const VOXEL_PERCENTILES: [usize; 3] = [10, 50, 90];

/// Voxels at the percentiles `pcts` of `param` among the voxels `ok` accepts (a well-fitted
/// voxel with a finite value): `(voxel, percentile, value)` for each distinct voxel, sorted by
/// value then index (so the choice is deterministic). Empty when no voxel is accepted.
pub fn quantile_voxels(
    param: &ndarray::Array3<f64>,
    ok: impl Fn([usize; 3]) -> bool,
    pcts: &[usize],
) -> Vec<([usize; 3], usize, f64)> {
    let mut v: Vec<([usize; 3], f64)> = param
        .indexed_iter()
        .map(|((x, y, z), v)| ([x, y, z], *v))
        .filter(|(i, v)| v.is_finite() && ok(*i))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut out: Vec<([usize; 3], usize, f64)> = Vec::new();
    if v.is_empty() {
        return out;
    }
    for &q in pcts {
        let k = ((v.len() - 1) * q.min(100) + 50) / 100;
        if !out.iter().any(|o| o.0 == v[k].0) {
            out.push((v[k].0, q, v[k].1));
        }
    }
    out
}

/// The title of a voxel panel: `"10th percentile of Ktrans: 0.12 /min at (x, y, z)"`.
pub fn voxel_title(pct: usize, what: &str, value: f64, unit: &str, v: [usize; 3]) -> String {
    let suffix = match pct % 100 {
        11..=13 => "th",
        _ => match pct % 10 {
            1 => "st",
            2 => "nd",
            3 => "rd",
            _ => "th",
        },
    };
    let sep = if unit.is_empty() { "" } else { " " };
    format!(
        "{pct}{suffix} pct. {what} = {}{sep}{unit} at ({}, {}, {})",
        label(value),
        v[0],
        v[1],
        v[2]
    )
}

/// The medians part of a command's summary line: ` name value unit;` for each map.
pub fn medians_text(medians: &[(&str, &str, f64)]) -> String {
    let mut s = String::new();
    for (n, u, v) in medians {
        let sep = if u.is_empty() { "" } else { " " };
        s.push_str(&format!(" {n} {}{sep}{u};", label(*v)));
    }
    s
}
