//! Logarithms: `ln`, `log2`, `log10` and the double-double core `ln_dd`
//! shared with `pow`.
//!
//! Method (table-free, as in FreeBSD msun `e_log.c` but carried in
//! double-double): write `x = 2^e * m` with `m` in `[sqrt(1/2), sqrt(2))`
//! (subnormal inputs are pre-scaled by 2^54), `f = m - 1` (exact), then
//! `ln(1 + f) = 2 atanh(s) = 2s (1 + s^2/3 + s^4/5 + ...)` with
//! `s = f / (2 + f)`, `|s| <= 0.1716`. `s`, `s^2`, the `1/3` term and the
//! final products are computed in double-double; the Taylor tail up to
//! `s^24/25` (truncation < 2^-70) in double. Relative error of the
//! double-double `ln(1+f)` is below 2^-65; `e*ln2` uses a 42+53 bit split of
//! ln2 so that `e*ln2_hi` is exact.

use osipy_kernels::xp_kernel;

/// `ln(1 + f)` for `f` in `[sqrt(1/2) - 1, sqrt(2) - 1]`, as a normalised
/// double-double with relative error below 2^-65.
#[xp_kernel]
pub fn ln1p_reduced(f: f64) -> (f64, f64) {
    let (dh, dl) = super::dd::fast_two_sum(2.0, f);
    let sh = f / dh;
    let sl = ((-sh).mul_add(dh, f) - sh * dl) / dh;
    let (zh, zl0) = super::dd::two_prod(sh, sh);
    let zl = (2.0 * sh).mul_add(sl, zl0);
    let z = zh;
    // Q(z) = 1/5 + z/7 + z^2/9 + ... + z^10/25
    let mut q = f64::from_bits(0x3FA4_7AE1_47AE_147B); // 1/25
    q = q.mul_add(z, f64::from_bits(0x3FA6_42C8_590B_2164)); // 1/23
    q = q.mul_add(z, f64::from_bits(0x3FA8_6186_1861_8618)); // 1/21
    q = q.mul_add(z, f64::from_bits(0x3FAA_F286_BCA1_AF28)); // 1/19
    q = q.mul_add(z, f64::from_bits(0x3FAE_1E1E_1E1E_1E1E)); // 1/17
    q = q.mul_add(z, f64::from_bits(0x3FB1_1111_1111_1111)); // 1/15
    q = q.mul_add(z, f64::from_bits(0x3FB3_B13B_13B1_3B14)); // 1/13
    q = q.mul_add(z, f64::from_bits(0x3FB7_45D1_745D_1746)); // 1/11
    q = q.mul_add(z, f64::from_bits(0x3FBC_71C7_1C71_C71C)); // 1/9
    q = q.mul_add(z, f64::from_bits(0x3FC2_4924_9249_2492)); // 1/7
    q = q.mul_add(z, f64::from_bits(0x3FC9_9999_9999_999A)); // 1/5
                                                             // P = 1/3 + z*Q in double-double.
    let third_hi = f64::from_bits(0x3FD5_5555_5555_5555);
    let third_lo = f64::from_bits(0x3C75_5555_5555_5555);
    let (pz, pze) = super::dd::two_prod(z, q);
    let (ph, pl0) = super::dd::fast_two_sum(third_hi, pz);
    let pl = pl0 + (third_lo + pze);
    // w = s^2 * P, then 1 + w, then 2s * (1 + w).
    let (wh, wl) = super::dd::dd_mul(zh, zl, ph, pl);
    let (uh, ul0) = super::dd::fast_two_sum(1.0, wh);
    let ul = ul0 + wl;
    super::dd::dd_mul(2.0 * sh, 2.0 * sl, uh, ul)
}

/// Decomposes a positive finite `x` (normal or subnormal) as
/// `ln(x) = e*ln2 + (lh + ll)`; returns `(e, lh, ll)` with `e` integral.
#[xp_kernel]
pub fn ln_parts(x: f64) -> (f64, f64, f64) {
    let mut xx = x;
    let mut eadj: i64 = 0;
    if x < f64::MIN_POSITIVE {
        xx = x * f64::from_bits(0x4350_0000_0000_0000); // 2^54
        eadj = -54;
    }
    let bits = xx.to_bits();
    let mut e: i64 = ((bits >> 52) as i64) - 1023 + eadj;
    let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    if m > f64::from_bits(0x3FF6_A09E_667F_3BCD) {
        m *= 0.5;
        e += 1;
    }
    let (lh, ll) = ln1p_reduced(m - 1.0);
    (e as f64, lh, ll)
}

/// `ln(x)` as a normalised double-double for positive finite `x`; relative
/// error below 2^-64.
#[xp_kernel]
pub fn ln_dd(x: f64) -> (f64, f64) {
    let (e, lh, ll) = ln_parts(x);
    let ah = e * f64::from_bits(0x3FE6_2E42_FEFA_3800); // exact: 42-bit ln2_hi
    let al = e * f64::from_bits(0x3D2E_F357_93C7_6730);
    let (sh, sl) = super::dd::two_sum(ah, lh);
    super::dd::fast_two_sum(sh, sl + (ll + al))
}

/// Returns `Some`-like special result for logarithms: NaN-propagation,
/// negative and zero arguments, `+inf`. The flag is true when `r` is final.
#[xp_kernel]
fn log_special(x: f64) -> (bool, f64) {
    if x.is_nan() {
        return (true, x + x);
    }
    if x < 0.0 {
        return (true, f64::NAN);
    }
    if x == 0.0 {
        return (true, f64::NEG_INFINITY);
    }
    if x == f64::INFINITY {
        return (true, x);
    }
    (false, 0.0)
}

/// Natural logarithm `ln(x)`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max about 0.5 ulp);
/// subnormal arguments are handled exactly (pre-scaled by 2^54).
///
/// Special values (C99 F.10.3.7): `ln(NaN) = NaN`, `ln(±0) = -inf`,
/// `ln(x < 0) = NaN` (including `-inf`), `ln(1) = +0`, `ln(+inf) = +inf`.
#[xp_kernel]
pub fn ln(x: f64) -> f64 {
    let (done, r) = log_special(x);
    if done {
        return r;
    }
    let (h, l) = ln_dd(x);
    h + l
}

/// Base-2 logarithm `log2(x)`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max about 0.5 ulp);
/// exact for powers of two (including subnormal ones).
///
/// Special values (C99 F.10.3.10): `log2(NaN) = NaN`, `log2(±0) = -inf`,
/// `log2(x < 0) = NaN`, `log2(1) = +0`, `log2(+inf) = +inf`.
#[xp_kernel]
pub fn log2(x: f64) -> f64 {
    let (done, r) = log_special(x);
    if done {
        return r;
    }
    let (e, lh, ll) = ln_parts(x);
    let log2e_hi = f64::from_bits(0x3FF7_1547_652B_82FE);
    let log2e_lo = f64::from_bits(0x3C77_77D0_FFDA_0D24);
    let (ph, pl) = super::dd::dd_mul(lh, ll, log2e_hi, log2e_lo);
    let (sh, sl) = super::dd::two_sum(e, ph);
    sh + (sl + pl)
}

/// Base-10 logarithm `log10(x)`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max about 0.5 ulp);
/// exact for the representable powers of ten `10^0 ..= 10^22`.
///
/// Special values (C99 F.10.3.8): `log10(NaN) = NaN`, `log10(±0) = -inf`,
/// `log10(x < 0) = NaN`, `log10(1) = +0`, `log10(+inf) = +inf`.
#[xp_kernel]
pub fn log10(x: f64) -> f64 {
    let (done, r) = log_special(x);
    if done {
        return r;
    }
    let (h, l) = ln_dd(x);
    let log10e_hi = f64::from_bits(0x3FDB_CB7B_1526_E50E);
    let log10e_lo = f64::from_bits(0x3C69_5355_BAAA_FAD3);
    let (ph, pl) = super::dd::dd_mul(h, l, log10e_hi, log10e_lo);
    ph + pl
}
