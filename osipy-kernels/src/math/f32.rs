//! `f32` math: the functions kernel bodies call on the CPU, and (as `#[xp_kernel]`s) the
//! PTX backend lowers from the same source.

use osipy_kernels::xp_kernel;

/// e^x.
#[inline]
pub fn exp(x: f32) -> f32 {
    x.exp()
}

/// 2^x.
#[inline]
pub fn exp2(x: f32) -> f32 {
    x.exp2()
}

/// Natural logarithm.
#[inline]
pub fn ln(x: f32) -> f32 {
    x.ln()
}

/// Base-2 logarithm.
#[inline]
pub fn log2(x: f32) -> f32 {
    x.log2()
}

/// Base-10 logarithm.
#[inline]
pub fn log10(x: f32) -> f32 {
    x.log10()
}

/// x^y.
#[inline]
pub fn powf(x: f32, y: f32) -> f32 {
    x.powf(y)
}

/// x^n, computed as `powf(x, n)` so the result does not depend on optimisation.
#[inline]
pub fn powi(x: f32, n: i32) -> f32 {
    x.powf(n as f32)
}

/// `x % y` for `f32`: exact, through the `f64` remainder (the result fits an `f32` exactly).
#[xp_kernel]
pub fn fmod(x: f32, y: f32) -> f32 {
    super::f64::fmod(x as f64, y as f64) as f32
}
