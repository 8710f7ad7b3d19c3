//! Kernels shared by the cross-crate tests: every shape of signature, calls between kernels in
//! other modules and another crate, integer semantics and local arrays.

use osipy_kernels::xp_kernel;

pub mod corpus;
pub mod fit_models;
pub use osipy::npy;
pub mod osipi;
pub mod structs;

/// Helpers in another module.
pub mod helpers {
    use osipy_kernels::xp_kernel;

    /// Square.
    #[xp_kernel]
    pub fn square(x: f64) -> f64 {
        x * x
    }

    /// Sum of squares through `square`.
    #[xp_kernel]
    pub fn sum_sq(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            s += square(x[i]);
        }
        s
    }

    /// A nested module that calls up.
    pub mod inner {
        use osipy_kernels::xp_kernel;

        /// Euclidean norm plus `c^2`, through `super::` and `crate::` paths.
        #[xp_kernel]
        pub fn norm_plus(x: &[f64], #[uniform] c: f64) -> f64 {
            super::sum_sq(x).sqrt() + super::square(c) + crate::helpers::square(0.0)
        }
    }
}

/// Element-wise: `a * x + alpha`.
#[xp_kernel]
pub fn axpy(a: f64, x: f64, #[uniform] alpha: f64) -> f64 {
    a * x + alpha
}

/// Row in, row out: `out = gain * x + offset[i]`.
#[xp_kernel]
pub fn scale_row(x: &[f64], #[uniform] gain: f64, #[uniform] offset: &[f64], out: &mut [f64]) {
    for i in 0..out.len() {
        out[i] = gain * x[i] + offset[i];
    }
}

/// Uniform weights against a per-item row.
#[xp_kernel]
pub fn weighted_sum(#[uniform] w: &[f64], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s = w[i].mul_add(x[i], s);
    }
    s
}

/// Mean and variance into output values.
#[xp_kernel]
pub fn moments(x: &[f64], mean: &mut f64, var: &mut f64) {
    let n = x.len();
    if n == 0 {
        *mean = f64::NAN;
        *var = f64::NAN;
        return;
    }
    let mut s = 0.0;
    for i in 0..n {
        s += x[i];
    }
    let m = s / n as f64;
    let mut q = 0.0;
    let mut i = 0;
    while i < n {
        let d = x[i] - m;
        q += d * d;
        i += 1;
    }
    *mean = m;
    *var = q / n as f64;
}

/// Minimum and maximum as a tuple (NaN ignored; an empty row gives (inf, -inf)).
#[xp_kernel]
pub fn min_max(x: &[f64]) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for i in 0..x.len() {
        lo = lo.min(x[i]);
        hi = hi.max(x[i]);
    }
    (lo, hi)
}

/// Trapezoidal integral of `y` over a shared, non-uniform time axis.
#[xp_kernel]
pub fn trapz(#[uniform] t: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    let n = if t.len() < y.len() { t.len() } else { y.len() };
    for i in 1..n {
        s += 0.5 * (t[i] - t[i - 1]) * (y[i] + y[i - 1]);
    }
    s
}

/// Root mean square through kernels of other modules.
#[xp_kernel]
pub fn rms(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    (helpers::sum_sq(x) / n).sqrt() + 0.0 * helpers::inner::norm_plus(x, 1.0)
}

/// Samples the curve `(t, c)` shifted by a per-item delay, through a kernel of another crate.
#[xp_kernel]
pub fn shifted_sample(#[uniform] t: &[f64], #[uniform] c: &[f64], delay: f64, out: &mut [f64]) {
    for i in 0..out.len() {
        out[i] = osipy::interp::interp_linear(t, c, t[i] - delay);
    }
}

/// Horner evaluation with a local array, a reversed range and an inclusive range.
#[xp_kernel]
pub fn poly(x: f64, #[uniform] c: &[f64]) -> f64 {
    let mut k = [0.0; 4];
    for i in 0..=3 {
        if i < c.len() {
            k[i] = c[i];
        }
    }
    let mut acc = 0.0;
    for i in (0..4).rev() {
        acc = acc * x + k[i];
    }
    acc
}

/// f32 arithmetic, casts and float intrinsics that are exact.
#[xp_kernel]
pub fn f32_mix(x: f32, y: f64) -> (f32, f64) {
    let a = (x * 2.5f32 - 1.0).abs().sqrt().floor() + x.max(0.5).min(3.0);
    let b = (y as f32).round() as f64 + y.trunc() + y.ceil() * y.signum() + y.recip();
    (a, b)
}

/// Integer arithmetic (kept free of overflow so the original function is a reference).
#[xp_kernel]
pub fn int_mix(a: i64, b: u32) -> (i64, u32, bool) {
    let q = if b != 0 { a / (b as i64) } else { 0 };
    let r = if b != 0 { a % (b as i64) } else { a };
    let s = (b >> 3) ^ (b & 0xff) | 1;
    (q * 3 - r, s, a > 0 && b > 10 || q == 0)
}

/// Integer semantics where plain Rust would panic in debug builds.
#[xp_kernel]
pub fn int_edges(a: i32, b: i32) -> (i32, i32, i32, u32) {
    let sum = a + b;
    let div = a / b;
    let rem = a % b;
    let shl = (a as u32) << (b as u32 + 32);
    (sum, div, rem, shl)
}

/// Reads `x[k]`: out of range for short rows.
#[xp_kernel]
pub fn pick(x: &[f64], #[uniform] k: usize) -> f64 {
    x[k]
}

/// A local array indexed past its end when `n > 3`.
#[xp_kernel]
pub fn local_fault(n: usize) -> f64 {
    let a = [1.0, 2.0, 3.0];
    let mut s = 0.0;
    for i in 0..n {
        s += a[i];
    }
    s
}

/// Bit patterns of floats and back.
#[xp_kernel]
pub fn bits(x: f64) -> (u64, f64, bool, bool) {
    let b = x.to_bits();
    (b, f64::from_bits(b ^ (1u64 << 63)), x.is_nan(), x.is_finite())
}

/// Early return, `loop`, `break`, `continue`, constants and shadowing.
#[xp_kernel]
pub fn control(x: f64, #[uniform] limit: i32) -> f64 {
    if x.is_nan() {
        return -1.0;
    }
    let mut k = 0;
    let mut acc = 0.0;
    loop {
        k += 1;
        if k > limit {
            break;
        }
        if k % 2 == 0 {
            continue;
        }
        acc += x / k as f64;
    }
    let acc = acc * std::f64::consts::PI + f64::EPSILON;
    acc + 0.0
}

/// Copies the first `n` elements of `x` into `out`; faults when `n` exceeds the row.
#[xp_kernel]
pub fn copy_prefix(x: &[f64], n: usize, out: &mut [f64]) {
    for i in 0..n {
        out[i] = x[i];
    }
}

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Exponential decay: uses a transcendental.
#[xp_kernel]
pub fn decay(x: f64) -> f64 {
    (-x).exp()
}
