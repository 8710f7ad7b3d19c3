//! Piecewise-linear interpolation on a non-uniform grid.

use osipy_kernels::xp_kernel;

/// Value at `x` of the piecewise-linear curve through `(xp[i], fp[i])`.
///
/// `xp` must be increasing. Outside `[xp[0], xp[n-1]]` the end values are held (as numpy's
/// `interp`). An empty grid gives NaN; NaN `x` gives NaN.
#[xp_kernel]
pub fn interp_linear(#[uniform] xp: &[f64], #[uniform] fp: &[f64], x: f64) -> f64 {
    let n = xp.len();
    if n == 0 || fp.len() < n || x.is_nan() {
        return f64::NAN;
    }
    if x <= xp[0] {
        return fp[0];
    }
    if x >= xp[n - 1] {
        return fp[n - 1];
    }
    // Binary search for the last knot at or below x.
    let mut lo = 0;
    let mut hi = n - 1;
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if xp[mid] <= x {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let w = (x - xp[lo]) / (xp[hi] - xp[lo]);
    fp[lo] + w * (fp[hi] - fp[lo])
}
