//! Double-double ("dd") helpers: error-free transformations built from
//! correctly rounded `+ - *` and fused multiply-add. A dd value is an
//! unevaluated sum `hi + lo` with `|lo| <= ulp(hi) / 2`.

use osipy_kernels::xp_kernel;

/// Knuth's TwoSum: returns `(s, e)` with `s = fl(a + b)` and `s + e == a + b`
/// exactly (no precondition on the magnitudes).
#[xp_kernel]
pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, e)
}

/// Dekker's FastTwoSum: like [`two_sum()`] but requires `|a| >= |b|` (or
/// `a == 0`).
#[xp_kernel]
pub fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let e = b - (s - a);
    (s, e)
}

/// TwoProd via FMA: returns `(p, e)` with `p = fl(a * b)` and `p + e == a * b`
/// exactly (barring underflow of `e`).
#[xp_kernel]
pub fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let e = a.mul_add(b, -p);
    (p, e)
}

/// Product of two dd numbers, relative error about 2^-102 (normalised).
#[xp_kernel]
pub fn dd_mul(ah: f64, al: f64, bh: f64, bl: f64) -> (f64, f64) {
    let (p, e) = two_prod(ah, bh);
    let t = ah.mul_add(bl, al * bh) + e;
    fast_two_sum(p, t)
}
