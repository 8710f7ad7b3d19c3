//! Exponentials: `exp`, `exp2` and the double-double-argument core `exp_dd`
//! shared with `pow`.
//!
//! Method (as in FreeBSD msun / CUDA libdevice, table-free):
//! 1. Cody-Waite reduction `x = k*ln2 + r`, `|r| <= ln2/2`, with a two-part
//!    ln2 whose high part has 42 significant bits so that `k*ln2_hi` and
//!    `x - k*ln2_hi` are exact; `r` is carried as a double-double.
//! 2. `exp(r) = 1 + r + r^2/2 + r^3 * P(r)` with the Taylor polynomial `P` up
//!    to degree 14 (truncation error < 2^-63), the leading terms summed in
//!    double-double, giving `exp(r)` as `hi + lo` with relative error
//!    below 2^-58.
//! 3. `(hi + lo) * 2^k` rounded once: exact power-of-two scaling in the normal
//!    range, a two-step scale for `k = 1024`, and for subnormal results a
//!    rounding performed at the subnormal grid (no double rounding).

use osipy_kernels::xp_kernel;

/// `exp(rh + rl)` for `|rh| <= 0.35` and `|rl| <= 2^-50 |rh|`, returned as a
/// normalised double-double `(hi, lo)` with relative error below 2^-58.
#[xp_kernel]
pub fn exp_reduced(rh: f64, rl: f64) -> (f64, f64) {
    let r = rh;
    // P(r) = 1/3! + r/4! + ... + r^11/14!
    let mut p = f64::from_bits(0x3DA9_3974_A8C0_7C9D); // 1/14!
    p = p.mul_add(r, f64::from_bits(0x3DE6_1246_13A8_6D09)); // 1/13!
    p = p.mul_add(r, f64::from_bits(0x3E21_EED8_EFF8_D898)); // 1/12!
    p = p.mul_add(r, f64::from_bits(0x3E5A_E645_67F5_44E4)); // 1/11!
    p = p.mul_add(r, f64::from_bits(0x3E92_7E4F_B778_9F5C)); // 1/10!
    p = p.mul_add(r, f64::from_bits(0x3EC7_1DE3_A556_C734)); // 1/9!
    p = p.mul_add(r, f64::from_bits(0x3EFA_01A0_1A01_A01A)); // 1/8!
    p = p.mul_add(r, f64::from_bits(0x3F2A_01A0_1A01_A01A)); // 1/7!
    p = p.mul_add(r, f64::from_bits(0x3F56_C16C_16C1_6C17)); // 1/6!
    p = p.mul_add(r, f64::from_bits(0x3F81_1111_1111_1111)); // 1/5!
    p = p.mul_add(r, f64::from_bits(0x3FA5_5555_5555_5555)); // 1/4!
    p = p.mul_add(r, f64::from_bits(0x3FC5_5555_5555_5555)); // 1/3!
    let (sh, sl) = super::dd::two_prod(r, r);
    let t = p * (sh * r);
    // r + r^2/2 in double-double (halving is exact).
    let (ph, pl) = super::dd::two_sum(r, 0.5 * sh);
    // Remaining small terms; rl * exp(r) ~ rl * (1 + r).
    let lo = pl + (0.5 * sl + (t + rl.mul_add(r, rl)));
    let (eh, el) = super::dd::fast_two_sum(1.0, ph);
    super::dd::fast_two_sum(eh, el + lo)
}

/// Returns `(hi + lo) * 2^k` correctly rounded from the double-double, for
/// `hi + lo` in `[0.5, 2]` and `|k| <= 1100`. Overflows to `+inf`; subnormal
/// results are rounded once, at the subnormal grid.
#[xp_kernel]
pub fn scale_dd(hi: f64, lo: f64, k: i32) -> f64 {
    if k > 1023 {
        let s = hi + lo;
        // 2^(k - 1023) then 2^1023: first step exact, second overflows to inf.
        let sc = f64::from_bits(((k as i64) << 52) as u64);
        return (s * sc) * f64::from_bits(0x7FE0_0000_0000_0000);
    }
    if k >= -1021 {
        let s = hi + lo;
        let sc = f64::from_bits(((k + 1023) as u64) << 52);
        return s * sc;
    }
    // Subnormal (or smallest normal) result: scale into [0, 2) by
    // 2^(k + 1022) exactly, round there at the 2^-52 grid using 1.0 as an
    // anchor, then multiply by 2^-1022 exactly.
    let sc = f64::from_bits(((k + 2045) as u64) << 52);
    let vh = hi * sc;
    let vl = lo * sc;
    let tiny = f64::from_bits(0x0010_0000_0000_0000); // 2^-1022
    let y = vh + vl;
    if y >= 1.0 {
        return y * tiny;
    }
    let (t, e) = super::dd::two_sum(1.0, vh);
    let z = (t + (e + vl)) - 1.0;
    z * tiny
}

/// `exp(xh + xl)` for a double-double argument with `|xl| <= 2^-50 |xh|`,
/// `xh` finite in `[-746, 710]`. Relative error before the final rounding
/// below 2^-57, so the result is within 0.52 ulp.
#[xp_kernel]
pub fn exp_dd(xh: f64, xl: f64) -> f64 {
    let ln2_hi = f64::from_bits(0x3FE6_2E42_FEFA_3800); // 42 significant bits
    let ln2_lo = f64::from_bits(0x3D2E_F357_93C7_6730);
    let inv_ln2 = f64::from_bits(0x3FF7_1547_652B_82FE);
    // floor(v + 0.5) rather than round(): identical on every backend
    // (no dependence on the tie rule of a rounding instruction).
    let kf = xh.mul_add(inv_ln2, 0.5).floor();
    let k = kf as i32;
    // Exact: k*ln2_hi fits in 53 bits and xh is within a factor 2 of it.
    let rh = xh - kf * ln2_hi;
    let rl = (-kf).mul_add(ln2_lo, xl);
    let (r, rr) = super::dd::two_sum(rh, rl);
    let (h, l) = exp_reduced(r, rr);
    scale_dd(h, l, k)
}

/// Natural exponential `e^x`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max about 0.51 ulp),
/// including gradual underflow: subnormal results are rounded once at the
/// subnormal grid.
///
/// Special values (C99 F.10.3.1): `exp(NaN) = NaN`, `exp(±0) = 1`,
/// `exp(+inf) = +inf`, `exp(-inf) = +0`, `x > 709.78...` overflows to `+inf`,
/// `x < -745.13...` underflows to `+0`.
#[xp_kernel]
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x + x;
    }
    if x > 709.8 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    exp_dd(x, 0.0)
}

/// Base-2 exponential `2^x`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max about 0.51 ulp);
/// exact for integer `x` whose result is representable (including
/// subnormal powers of two).
///
/// Special values: `exp2(NaN) = NaN`, `exp2(±0) = 1`, `exp2(+inf) = +inf`,
/// `exp2(-inf) = +0`, `x >= 1024` overflows to `+inf`, `x <= -1075`
/// underflows to `+0` (round-to-nearest-even of `2^-1075`).
#[xp_kernel]
pub fn exp2(x: f64) -> f64 {
    if x.is_nan() {
        return x + x;
    }
    if x >= 1024.0 {
        return f64::INFINITY;
    }
    if x < -1076.0 {
        return 0.0;
    }
    let kf = (x + 0.5).floor();
    let k = kf as i32;
    let r = x - kf; // exact, |r| <= 1/2 (+ 2^-54 when x + 0.5 rounds up)
    let ln2_hi = f64::from_bits(0x3FE6_2E42_FEFA_39EF);
    let ln2_lo = f64::from_bits(0x3C7A_BC9E_3B39_803F);
    let (ph, pl) = super::dd::two_prod(r, ln2_hi);
    let pl = r.mul_add(ln2_lo, pl);
    let (rh, rl) = super::dd::fast_two_sum(ph, pl);
    let (h, l) = exp_reduced(rh, rl);
    scale_dd(h, l, k)
}
