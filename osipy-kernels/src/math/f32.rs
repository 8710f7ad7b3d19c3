//! Binary32 transcendental functions.
//!
//! Each function converts its arguments to binary64 (exactly), evaluates the
//! binary64 algorithm of this module (error < 1 ulp of binary64 for
//! `exp`/`exp2`/`ln`/`log2`/`log10`, < 2 ulp for `powf`/`powi`) and rounds
//! once to binary32. Overflow, gradual underflow to binary32 subnormals and
//! `±0` therefore happen in that single final rounding; the binary32 results
//! are within 0.5 + 2^-28 ulp (0.5 + 2^-27 for `powf`/`powi`; correctly rounded
//! except when the exact value is that close to a rounding boundary). Special values are those
//! of the binary64 functions (C99 Annex F).

use osipy_kernels::xp_kernel;

pub use super::lanes::f32::{
    exp2_lanes, exp_lanes, ln_lanes, log10_lanes, log2_lanes, powf_lanes, powi_lanes,
};

/// `e^x` for `f32`. Accuracy: < 1 ulp (≈ 0.5 ulp, almost always correctly
/// rounded). `exp(NaN) = NaN`, `exp(+inf) = +inf`, `exp(-inf) = +0`,
/// overflow gives `+inf`, underflow gives subnormals then `+0`.
#[xp_kernel]
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    super::exp::exp(x as f64) as f32
}

/// `2^x` for `f32`. Accuracy: < 1 ulp (≈ 0.5 ulp), exact for integer `x`.
/// `exp2(NaN) = NaN`, `exp2(+inf) = +inf`, `exp2(-inf) = +0`, overflow
/// gives `+inf`, underflow gives subnormals then `+0`.
#[xp_kernel]
#[inline(always)]
pub fn exp2(x: f32) -> f32 {
    super::exp::exp2(x as f64) as f32
}

/// Natural logarithm for `f32`. Accuracy: < 1 ulp (≈ 0.5 ulp), subnormal
/// arguments handled. `ln(NaN) = NaN`, `ln(±0) = -inf`, `ln(x < 0) = NaN`,
/// `ln(1) = +0`, `ln(+inf) = +inf`.
#[xp_kernel]
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    super::log::ln(x as f64) as f32
}

/// Base-2 logarithm for `f32`. Accuracy: < 1 ulp (≈ 0.5 ulp), exact for
/// powers of two. `log2(NaN) = NaN`, `log2(±0) = -inf`, `log2(x < 0) = NaN`,
/// `log2(1) = +0`, `log2(+inf) = +inf`.
#[xp_kernel]
#[inline(always)]
pub fn log2(x: f32) -> f32 {
    super::log::log2(x as f64) as f32
}

/// Base-10 logarithm for `f32`. Accuracy: < 1 ulp (≈ 0.5 ulp), exact for
/// `10^0 ..= 10^10`. `log10(NaN) = NaN`, `log10(±0) = -inf`,
/// `log10(x < 0) = NaN`, `log10(1) = +0`, `log10(+inf) = +inf`.
#[xp_kernel]
#[inline(always)]
pub fn log10(x: f32) -> f32 {
    super::log::log10(x as f64) as f32
}

/// `x^y` for `f32`. Accuracy: < 2 ulp (≈ 0.5 ulp), correct overflow and
/// gradual underflow. Special values exactly as C99 F.10.4.4 (see
/// [`crate::math::f64::powf()`]): `powf(x, ±0) = 1` and `powf(1, y) = 1` even
/// for NaN, `powf(-1, ±inf) = 1`, negative `x` with non-integer finite `y`
/// gives NaN, odd-integer sign rules for `±0`, `-inf` and negative `x`.
#[xp_kernel]
#[inline(always)]
pub fn powf(x: f32, y: f32) -> f32 {
    super::pow::powf(x as f64, y as f64) as f32
}

/// `x^n` for `f32`, defined as `powf(x, n as f64)` evaluated in binary64 and
/// rounded once (`n` converts exactly). Accuracy: < 2 ulp (≈ 0.5 ulp).
/// `powi(x, 0) = 1` for any `x` (even NaN); otherwise the special values
/// of [`powf()`].
#[xp_kernel]
#[inline(always)]
pub fn powi(x: f32, n: i32) -> f32 {
    super::pow::powi(x as f64, n) as f32
}

/// `x % y` for `f32`: exact, through the `f64` remainder (the result fits an `f32` exactly).
#[xp_kernel]
#[inline(always)]
pub fn fmod(x: f32, y: f32) -> f32 {
    super::f64::fmod(x as f64, y as f64) as f32
}
