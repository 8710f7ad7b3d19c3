//! Accuracy summaries and timing.

use std::fmt;
use std::time::Instant;

/// Parameter names, in fit order.
pub const NAMES: [&str; 3] = ["Ktrans", "ve", "vp"];

/// Accuracy of one fit against the truth.
#[derive(Clone, Copy, Debug)]
pub struct Accuracy {
    /// Per-parameter median of |p - true| / true (NaN parameters count as infinite error).
    pub median_rel_err: [f64; 3],
    /// Fraction of voxels with status 1, 2 or 3.
    pub converged: f64,
    /// Voxels compared.
    pub voxels: usize,
}

/// Median (mean of the two middle values for an even length; NaN when empty). Reorders `v`.
pub fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, &mut hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return hi;
    }
    let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    0.5 * (lo + hi)
}

/// Compares fitted parameters with the truth.
pub fn accuracy(truth: &[[f64; 3]], params: &[[f64; 3]], status: &[u32]) -> Accuracy {
    assert!(
        truth.len() == params.len() && truth.len() == status.len(),
        "lengths differ"
    );
    let mut median_rel_err = [0.0; 3];
    for (a, m) in median_rel_err.iter_mut().enumerate() {
        let mut e: Vec<f64> = truth
            .iter()
            .zip(params)
            .map(|(t, p)| {
                if p[a].is_nan() {
                    f64::INFINITY
                } else {
                    (p[a] - t[a]).abs() / t[a]
                }
            })
            .collect();
        *m = median(&mut e);
    }
    let ok = status.iter().filter(|&&s| (1..=3).contains(&s)).count();
    let voxels = status.len();
    let converged = if voxels == 0 {
        f64::NAN
    } else {
        ok as f64 / voxels as f64
    };
    Accuracy {
        median_rel_err,
        converged,
        voxels,
    }
}

impl fmt::Display for Accuracy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  {:<10} {:>16}", "parameter", "median |rel err|")?;
        for (name, e) in NAMES.iter().zip(self.median_rel_err) {
            writeln!(f, "  {name:<10} {e:>16.3e}")?;
        }
        write!(
            f,
            "  {:<10} {:>15.3}% of {}",
            "converged",
            100.0 * self.converged,
            self.voxels
        )
    }
}

/// Runs `f` `reps` times (at least once); returns the median wall time (s) and the last result.
pub fn time_median<F: FnMut() -> R, R>(reps: usize, mut f: F) -> (f64, R) {
    let mut times = Vec::with_capacity(reps.max(1));
    let start = Instant::now();
    let mut last = f();
    times.push(start.elapsed().as_secs_f64());
    for _ in 1..reps {
        let start = Instant::now();
        let r = f();
        times.push(start.elapsed().as_secs_f64());
        last = r; // the previous result is dropped outside the timed region
    }
    (median(&mut times), last)
}
