//! Exponentials: `exp`, `exp2` and the double-double-argument core `exp_dd` shared with
//! `pow`.
//!
//! Method (table-free and branch-free; one code path for every argument):
//! 1. The argument is clamped to `[-746, 710]` (`exp2`: `[-1080, 1025]`), beyond which the
//!    result is `+0` or `+inf` anyway; NaN passes through the clamp.
//! 2. `k = round(x / ln2)` by the shift trick (`x * (1/ln2) + 1.5 * 2^52`, whose low bits
//!    then hold `k`), and Cody-Waite reduction `r = x - k ln2` with a two-part ln2 whose high
//!    part has 42 significant bits, so that `x - k ln2_hi` is exact; `r` is carried as
//!    `rh + rl`.
//! 3. `exp(r) = (1 + rh) + (rh^2 P(rh) + rl (1 + rh + rh^2 P(rh)))` with `P` a near-minimax polynomial
//!    of degree 10 (Chebyshev fit of `(e^r - 1 - r) / r^2` on `|r| <= ln2/2`, error below
//!    2^-62 relative to `e^r`), evaluated by Estrin's scheme; `1 + rh` is split exactly.
//! 4. The result is scaled by `2^k` as `(e^r * 2^(k >> 1)) * 2^(k - (k >> 1))`: the first
//!    product is exact, the second rounds once, so overflow gives `+inf` and subnormal
//!    results are rounded once at the subnormal grid.
//!
//! The special values fall out of the same operations: `exp(NaN)` is NaN, `exp(+inf)` is
//! `+inf` and `exp(-inf)` is `+0` through the clamp. Error below 1 ulp (measured maxima in
//! BENCHMARKS.md, "Own math against glibc"; the largest where a subnormal result is rounded
//! a second time).

use osipy_kernels::xp_kernel;

/// `e^(rh + rl) * 2^k` for `|rh| <= ln2/2 (1 + 2^-40)`, `|rl| <= 2^-40`, `-1080 <= k <= 1025`,
/// rounded once (overflow to `+inf`, gradual underflow). `kd` is `k + 1.5 * 2^52` (the shift
/// trick's value, whose low bits hold `k`). Relative error before the final rounding below
/// 2^-54.
#[xp_kernel]
#[inline(always)]
pub fn exp_finish(rh: f64, rl: f64, kd: f64) -> f64 {
    let r2 = rh * rh;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let p01 = rh.mul_add(f64::from_bits(0x3FC5_5555_5555_5557), 0.5);
    let p23 = rh.mul_add(
        f64::from_bits(0x3F81_1111_1111_00BE),
        f64::from_bits(0x3FA5_5555_5555_5556),
    );
    let p45 = rh.mul_add(
        f64::from_bits(0x3F2A_01A0_1ABF_7ED6),
        f64::from_bits(0x3F56_C16C_16C1_62C3),
    );
    let p67 = rh.mul_add(
        f64::from_bits(0x3EC7_1DE0_1FF1_9A6B),
        f64::from_bits(0x3EFA_01A0_1A6E_1A43),
    );
    let p89 = rh.mul_add(
        f64::from_bits(0x3E5A_F4E5_274A_366C),
        f64::from_bits(0x3E92_7E4D_B479_38D1),
    );
    let q0 = p23.mul_add(r2, p01);
    let q1 = p67.mul_add(r2, p45);
    let q2 = r2.mul_add(f64::from_bits(0x3E21_F733_F411_B727), p89);
    let p = r8.mul_add(q2, r4.mul_add(q1, q0));
    let t = r2 * p;
    // 1 + rh split exactly (|rh| < 1), then the small terms, rl e^rh ~ rl (1 + rh + t).
    let h = 1.0 + rh;
    let l = rh - (h - 1.0);
    let tail = l + (t + rl.mul_add(rh + t, rl));
    let e = h + tail;
    // 2^k in two exact factors; k is in the low bits of kd's representation.
    let k = (kd.to_bits() as i64) - 0x4338_0000_0000_0000i64;
    let k1 = k >> 1;
    let k2 = k - k1;
    let s1 = f64::from_bits(((k1 + 1023) as u64) << 52);
    let s2 = f64::from_bits(((k2 + 1023) as u64) << 52);
    (e * s1) * s2
}

/// `exp(xh + xl)` for a double-double argument with `|xl| <= 2^-50 max(|xh|, 1)`, rounded
/// once; `xh` is clamped to `[-746, 710]` (NaN passes), so any `xh` gives `+0`, `+inf`,
/// NaN or the rounded value. Relative error before the final rounding below 2^-54.
#[xp_kernel]
#[inline(always)]
pub fn exp_dd(xh: f64, xl: f64) -> f64 {
    let xa = if xh > 710.0 { 710.0 } else { xh };
    let xc = if xa < -746.0 { -746.0 } else { xa };
    // A clamped argument's low part (possibly inf or NaN) no longer matters.
    let xlc = if xc == xh { xl } else { 0.0 };
    let kd = xc.mul_add(f64::from_bits(0x3FF7_1547_652B_82FE), 6755399441055744.0);
    let kf = kd - 6755399441055744.0;
    // Exact: k ln2_hi has at most 53 bits and x is within a factor 2 of it.
    let r1 = kf.mul_add(-f64::from_bits(0x3FE6_2E42_FEFA_3800), xc);
    let ln2_lo = f64::from_bits(0x3D2E_F357_93C7_6730);
    let rh = kf.mul_add(-ln2_lo, r1);
    let rl = kf.mul_add(-ln2_lo, r1 - rh) + xlc;
    exp_finish(rh, rl, kd)
}

/// Natural exponential `e^x`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max: BENCHMARKS.md, "Own math against glibc"), including
/// gradual underflow: subnormal results are rounded once at the subnormal grid.
///
/// Special values (C99 F.10.3.1): `exp(NaN) = NaN`, `exp(±0) = 1`, `exp(+inf) = +inf`,
/// `exp(-inf) = +0`, `x > 709.78...` overflows to `+inf`, `x < -745.13...` underflows to
/// `+0`.
#[xp_kernel]
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    exp_dd(x, 0.0)
}

/// Base-2 exponential `2^x`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max: BENCHMARKS.md, "Own math against glibc"); exact for
/// integer `x` whose result is representable (including subnormal powers of two).
///
/// Special values: `exp2(NaN) = NaN`, `exp2(±0) = 1`, `exp2(+inf) = +inf`,
/// `exp2(-inf) = +0`, `x >= 1024` overflows to `+inf`, `x <= -1075` underflows to `+0`
/// (round-to-nearest-even of `2^-1075`).
#[xp_kernel]
#[inline(always)]
pub fn exp2(x: f64) -> f64 {
    let xa = if x > 1025.0 { 1025.0 } else { x };
    let xc = if xa < -1080.0 { -1080.0 } else { xa };
    // k = round(x) (ties to even), r = x - k exact, |r| <= 1/2.
    let kd = xc + 6755399441055744.0;
    let r = xc - (kd - 6755399441055744.0);
    let ln2_hi = f64::from_bits(0x3FE6_2E42_FEFA_39EF);
    let rh = r * ln2_hi;
    let rl = r.mul_add(f64::from_bits(0x3C7A_BC9E_3B39_803F), r.mul_add(ln2_hi, -rh));
    exp_finish(rh, rl, kd)
}
