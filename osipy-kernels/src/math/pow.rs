//! Power functions `powf(x, y)` and `powi(x, n)`.
//!
//! Method: for finite non-zero `x` and finite `y` the result is
//! `±exp(y ln|x|)` where `ln|x|` is a double-double with relative error below 2^-63
//! (`log::ln_dd`), the product `y ln|x|` is formed as a double-double with TwoProd, and
//! `exp::exp_dd` takes the double-double argument and rounds once (including gradual
//! underflow). The error before the final rounding is at most about
//! `|y ln x| 2^-63 + 2^-54` relative. The C99 Annex F (F.10.4.4) special values are then
//! selected (`pow_fix`), a chain of selects that the scalar form skips behind one branch for
//! positive finite `x` and finite `y`, where it returns its input; the lane forms run it for
//! every argument.

use osipy_kernels::xp_kernel;

/// True when `y` is a finite odd integer.
#[xp_kernel]
#[inline(always)]
fn is_odd_integer(y: f64) -> bool {
    // |y| >= 2^53 is always even (or infinite); NaN fails `y == y.trunc()`.
    let h = y * 0.5;
    y.abs() < 9007199254740992.0 && y == y.trunc() && h != h.trunc()
}

/// `|x|` with the sign bit of `s`.
#[xp_kernel]
#[inline(always)]
fn copysign(x: f64, s: f64) -> f64 {
    f64::from_bits((x.to_bits() & 0x7FFF_FFFF_FFFF_FFFF) | (s.to_bits() & 0x8000_0000_0000_0000))
}

/// Power function `x^y`.
///
/// Accuracy: < 2 ulp over the whole domain (measured max: BENCHMARKS.md, "Own math against
/// glibc"), including overflow to `±inf` and gradual
/// underflow to subnormals / `±0`; exact results (e.g. `10^22`, `2^-1074`)
/// are returned exactly.
///
/// Special values, exactly as C99 F.10.4.4:
/// * `powf(x, ±0) = 1` for any `x`, even NaN; `powf(+1, y) = 1` for any `y`,
///   even NaN; otherwise a NaN argument gives NaN.
/// * `powf(±0, y)`: `±inf` for odd integer `y < 0`, `+inf` for other `y < 0`
///   (including `-inf`), `±0` for odd integer `y > 0`, `+0` for other `y > 0`.
/// * `powf(-1, ±inf) = 1`; `powf(x, -inf)` is `+inf` for `|x| < 1` and `+0`
///   for `|x| > 1`; `powf(x, +inf)` is `+0` for `|x| < 1` and `+inf` for
///   `|x| > 1`.
/// * `powf(-inf, y)`: `-0` for odd integer `y < 0`, `+0` for other `y < 0`,
///   `-inf` for odd integer `y > 0`, `+inf` for other `y > 0`;
///   `powf(+inf, y)` is `+0` for `y < 0` and `+inf` for `y > 0`.
/// * Finite `x < 0`: NaN for finite non-integer `y`; for integer `y` the
///   result is `|x|^y`, negated when `y` is odd.
#[xp_kernel]
#[inline(always)]
pub fn powf(x: f64, y: f64) -> f64 {
    let mag = pow_mag(x.abs(), y);
    // Positive finite x and finite y: no special value applies (pow_fix returns mag).
    if x > 0.0 && x < f64::INFINITY && y.abs() < f64::INFINITY {
        mag
    } else {
        pow_fix(x, y, mag)
    }
}

/// `|x|^y = exp(y ln|x|)` for finite non-zero `ax = |x|` and finite `y`; any other argument
/// gives garbage, which [`pow_fix()`] replaces.
#[xp_kernel]
#[inline(always)]
pub fn pow_mag(ax: f64, y: f64) -> f64 {
    let (lh, ll) = super::log::ln_dd(ax);
    let th = y * lh;
    let tl = y.mul_add(ll, y.mul_add(lh, -th));
    super::exp::exp_dd(th, tl)
}

/// The C99 Annex F values of `x^y` selected over `mag = |x|^y` ([`pow_mag()`]): the sign
/// for negative `x` and odd integer `y`, NaN for negative `x` and non-integer `y`, zeros,
/// infinities and NaN. Returns `mag` unchanged for positive finite `x` and finite `y`.
#[xp_kernel]
#[inline(always)]
pub fn pow_fix(x: f64, y: f64, mag: f64) -> f64 {
    let ax = x.abs();
    let yodd = is_odd_integer(y);
    let r0 = if x < 0.0 && yodd { -mag } else { mag };
    // Finite x < 0 and finite non-integer y.
    let r1 = if x < 0.0 && y != y.trunc() { f64::NAN } else { r0 };
    // x = ±0 or ±inf: |x|^y is 0 or inf, with the sign of x for odd integer y.
    let m0 = if (ax == 0.0) == (y < 0.0) {
        f64::INFINITY
    } else {
        0.0
    };
    let m1 = if yodd { copysign(m0, x) } else { m0 };
    let r2 = if ax == 0.0 || ax == f64::INFINITY { m1 } else { r1 };
    // y = ±inf.
    let i0 = if (ax < 1.0) == (y > 0.0) {
        0.0
    } else {
        f64::INFINITY
    };
    let i1 = if ax == 1.0 { 1.0 } else { i0 };
    let r3 = if y.abs() == f64::INFINITY { i1 } else { r2 };
    let r4 = if x.is_nan() || y.is_nan() { x + y } else { r3 };
    if y == 0.0 || x == 1.0 {
        1.0
    } else {
        r4
    }
}

/// [`powf()`] without its branch: `pow_fix(x, y, pow_mag(|x|, y))` for every argument, the
/// same bits (`pow_fix` returns `mag` wherever `powf` skips it). The lane forms use it.
#[inline(always)]
pub fn powf_branch_free(x: f64, y: f64) -> f64 {
    pow_fix(x, y, pow_mag(x.abs(), y))
}

/// Integer power `x^n`, defined as `powf(x, n as f64)` (the conversion is
/// exact), so it has the same accuracy (< 2 ulp,
/// correct overflow and gradual underflow) and the same Annex F special
/// values: `powi(x, 0) = 1` for any `x` (even NaN), `powi(1, n) = 1`,
/// `powi(±0, n < 0)` is `±inf` for odd `n` and `+inf` for even `n`,
/// `powi(±inf, n)` and negative bases get the odd/even sign rule.
#[xp_kernel]
#[inline(always)]
pub fn powi(x: f64, n: i32) -> f64 {
    powf(x, n as f64)
}
