//! Logarithms: `ln`, `log2`, `log10` and the double-double core `ln_dd` shared with `pow`.
//!
//! Method (table-free and branch-free): a positive finite `x` (subnormals pre-scaled by
//! 2^54 through a select) is written `x = 2^e (1 + f)` with `1 + f` in `[sqrt(1/2),
//! sqrt(2))` by integer arithmetic on its representation (`f` exact), then, with
//! `s = f / (2 + f)` (one division) and `z = s^2 <= 0.0295`:
//! - the logarithms themselves (`ln_parts_fast`): `ln(1 + f) = f - f^2/2 + s (f^2/2 + z G(z))`
//!   with `G` near-minimax of degree 6 (Chebyshev fit); `f - f^2/2` is split exactly, so
//!   `ln(1 + f)` comes out as `h + l` with relative error below 2^-56, and `e ln2`,
//!   `e + log2(e) (h + l)` or `e log10(2) + log10(e) (h + l)` is summed with one final
//!   rounding (`e ln2` and `e log10(2)` with 42-bit high parts, so their products are exact);
//! - `pow` (`ln_parts`): `ln(1 + f) = 2s + s z (2/3 + z R1(z))` with `s` carried as
//!   `sh + sl`, `R1` near-minimax of degree 7 and the `s z 2/3` term in double-double:
//!   relative error below 2^-64.
//!
//! Special arguments (NaN, negative, zero, `+inf`) go through the same operations on a
//! stand-in argument, and their results are selected at the end.

use osipy_kernels::xp_kernel;

/// Reduction of a positive `x` (any other argument is replaced by 1): returns `(ef, f)` with
/// `x = 2^ef (1 + f)`, `ef` integral and `1 + f` in `[sqrt(1/2), sqrt(2))`, both exact.
#[xp_kernel]
#[inline(always)]
pub fn ln_reduce(x: f64) -> (f64, f64) {
    let xp = if x > 0.0 { x } else { 1.0 };
    let sub = xp < f64::MIN_POSITIVE;
    // Multiplying by 1 is exact: a select of constants rather than of products.
    let xs = xp
        * if sub {
            f64::from_bits(0x4350_0000_0000_0000)
        } else {
            1.0
        };
    // Exponent and significand relative to sqrt(1/2): m in [sqrt(1/2), sqrt(2)). The bias
    // 1023 << 52 keeps the shifted value non-negative (and below 2^63 for x = +inf), so a
    // logical shift (AVX2 has no 64-bit arithmetic one) gives e + 1023.
    let ix = xs.to_bits() as i64;
    let t = ix + (0x3FF0_0000_0000_0000i64 - 0x3FE6_A09E_667F_3BCDi64);
    let e = ((t as u64) >> 52) as i64 - 1023;
    let m = f64::from_bits((ix - (e << 52)) as u64);
    let eb = if sub { e - 54 } else { e };
    // e as a float without an integer conversion: 1.5 * 2^52 + e, minus 1.5 * 2^52.
    let ef = f64::from_bits((0x4338_0000_0000_0000i64 + eb) as u64) - 6755399441055744.0;
    (ef, m - 1.0)
}

/// `ln(x) = ef ln2 + (h + l)` for positive `x` (any other argument is replaced by 1):
/// returns `(ef, h, l)`, `ef` integral, `h + l` the double-double `ln(1 + f)` with relative
/// error below 2^-64 and `|h| <= 0.35`. For `pow`.
#[xp_kernel]
#[inline(always)]
pub fn ln_parts(x: f64) -> (f64, f64, f64) {
    let (ef, f) = ln_reduce(x);
    // s = f / (2 + f) as sh + sl, with 2 + f split exactly.
    let d = 2.0 + f;
    let dl = f - (d - 2.0);
    let rcp = 1.0 / d;
    let sh = f * rcp;
    let sl = ((-sh).mul_add(d, f) - sh * dl) * rcp;
    // z = s^2 as zh + zl.
    let zh = sh * sh;
    let zl = (2.0 * sh).mul_add(sl, sh.mul_add(sh, -zh));
    // R1(z) = 2/5 + 2z/7 + ...: near-minimax, degree 7, Estrin.
    let z2 = zh * zh;
    let z4 = z2 * z2;
    let c01 = zh.mul_add(
        f64::from_bits(0x3FD2_4924_9249_2521),
        f64::from_bits(0x3FD9_9999_9999_999A),
    );
    let c23 = zh.mul_add(
        f64::from_bits(0x3FC7_45D1_77A8_F30D),
        f64::from_bits(0x3FCC_71C7_1C6E_AA8C),
    );
    let c45 = zh.mul_add(
        f64::from_bits(0x3FC1_118C_749A_1CCA),
        f64::from_bits(0x3FC3_B139_5D4F_2DF4),
    );
    let c67 = zh.mul_add(
        f64::from_bits(0x3FBE_02D1_CC03_596E),
        f64::from_bits(0x3FBD_F7CE_956C_7572),
    );
    let r1 = z4.mul_add(c67.mul_add(z2, c45), c23.mul_add(z2, c01));
    // R = 2/3 + z R1 as ph + pl.
    let w = zh * r1;
    let third2 = f64::from_bits(0x3FE5_5555_5555_5555);
    let ph = third2 + w;
    let pl = ((third2 - ph) + w) + f64::from_bits(0x3C85_5555_5555_5555);
    // u = z R, then a = s u, each as a double-double.
    let uh = zh * ph;
    let ul = zh.mul_add(ph, -uh) + zh.mul_add(pl, zl * ph);
    let ah = sh * uh;
    let al = sh.mul_add(uh, -ah) + sh.mul_add(ul, sl * uh);
    // ln(1 + f) = 2s + a.
    let s2 = 2.0 * sh;
    let h = s2 + ah;
    let l = (ah - (h - s2)) + (2.0 * sl + al);
    (ef, h, l)
}

/// `ln(x) = ef ln2 + (h + l)` for positive `x` (any other argument is replaced by 1), as
/// [`ln_parts()`] but cheaper: `h + l` has relative error below 2^-56, enough for the
/// logarithms themselves. `ln(1 + f) = f - f^2/2 + s (f^2/2 + R(z))` with `R(z) = z G(z)`,
/// `G` near-minimax of degree 6 (relative error 2^-50.9, i.e. 2^-57.5 of the result);
/// `f - f^2/2` is split exactly into `h` and a correction.
#[xp_kernel]
#[inline(always)]
pub fn ln_parts_fast(x: f64) -> (f64, f64, f64) {
    let (ef, f) = ln_reduce(x);
    let hf = 0.5 * f;
    let hfsq = hf * f;
    let hfsq_l = hf.mul_add(f, -hfsq);
    let s = f / (2.0 + f);
    let z = s * s;
    let z2 = z * z;
    let z4 = z2 * z2;
    let g01 = z.mul_add(
        f64::from_bits(0x3FD9_9999_9999_52E2),
        f64::from_bits(0x3FE5_5555_5555_5558),
    );
    let g23 = z.mul_add(
        f64::from_bits(0x3FCC_71C6_2E57_C3C4),
        f64::from_bits(0x3FD2_4924_92DF_14BC),
    );
    let g45 = z.mul_add(
        f64::from_bits(0x3FC3_9FE6_0414_6B74),
        f64::from_bits(0x3FC7_462B_4AC4_41AF),
    );
    let g456 = z2.mul_add(f64::from_bits(0x3FC2_B584_C6B4_2D60), g45);
    let g = z4.mul_add(g456, g23.mul_add(z2, g01));
    let r = s * z.mul_add(g, hfsq);
    let h = f - hfsq;
    let l = (((f - h) - hfsq) - hfsq_l) + r;
    (ef, h, l)
}

/// `ln(x)` as a normalised double-double `(hi, lo)` for positive finite `x`, relative error
/// below 2^-63; other arguments give finite garbage (callers select their special values).
#[xp_kernel]
#[inline(always)]
pub fn ln_dd(x: f64) -> (f64, f64) {
    let (ef, h, l) = ln_parts(x);
    let eh = ef * f64::from_bits(0x3FE6_2E42_FEFA_3800); // exact: 42-bit ln2_hi
    let s = eh + h; // |eh| >= ln2 > |h|, or eh = 0
    let sl = (h - (s - eh)) + ef.mul_add(f64::from_bits(0x3D2E_F357_93C7_6730), l);
    let hi = s + sl;
    (hi, sl - (hi - s))
}

/// The logarithms' special values: `r` for positive finite `x`, else NaN for NaN (`x + x`)
/// and negative `x`, `-inf` for `±0`, `+inf` for `+inf`.
#[xp_kernel]
#[inline(always)]
fn log_special(x: f64, r: f64) -> f64 {
    let a = if x == f64::INFINITY { x } else { r };
    let b = if x == 0.0 { f64::NEG_INFINITY } else { a };
    let c = if x < 0.0 { f64::NAN } else { b };
    if x.is_nan() {
        x + x
    } else {
        c
    }
}

/// Natural logarithm `ln(x)`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max: BENCHMARKS.md, "Own math against glibc"); subnormal
/// arguments are handled exactly (pre-scaled by 2^54).
///
/// Special values (C99 F.10.3.7): `ln(NaN) = NaN`, `ln(±0) = -inf`, `ln(x < 0) = NaN`
/// (including `-inf`), `ln(1) = +0`, `ln(+inf) = +inf`.
#[xp_kernel]
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let (ef, h, l) = ln_parts_fast(x);
    let eh = ef * f64::from_bits(0x3FE6_2E42_FEFA_3800); // exact: 42-bit ln2_hi
    let s = eh + h; // |eh| >= ln2 > |h|, or eh = 0
    let tail = (h - (s - eh)) + ef.mul_add(f64::from_bits(0x3D2E_F357_93C7_6730), l);
    log_special(x, s + tail)
}

/// Base-2 logarithm `log2(x)`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max: BENCHMARKS.md, "Own math against glibc"); exact for
/// powers of two (including subnormal ones).
///
/// Special values (C99 F.10.3.10): `log2(NaN) = NaN`, `log2(±0) = -inf`,
/// `log2(x < 0) = NaN`, `log2(1) = +0`, `log2(+inf) = +inf`.
#[xp_kernel]
#[inline(always)]
pub fn log2(x: f64) -> f64 {
    let (ef, h, l) = ln_parts_fast(x);
    let c_hi = f64::from_bits(0x3FF7_1547_652B_82FE);
    let ph = h * c_hi;
    let pl = h.mul_add(c_hi, -ph) + h.mul_add(f64::from_bits(0x3C77_77D0_FFDA_0D24), l * c_hi);
    let s = ef + ph; // |ef| >= 1 > |ph|, or ef = 0
    let r = s + ((ph - (s - ef)) + pl);
    log_special(x, r)
}

/// Base-10 logarithm `log10(x)`.
///
/// Accuracy: < 1 ulp over the whole domain (measured max: BENCHMARKS.md, "Own math against glibc"); exact for
/// the representable powers of ten `10^0 ..= 10^22`.
///
/// Special values (C99 F.10.3.8): `log10(NaN) = NaN`, `log10(±0) = -inf`,
/// `log10(x < 0) = NaN`, `log10(1) = +0`, `log10(+inf) = +inf`.
#[xp_kernel]
#[inline(always)]
pub fn log10(x: f64) -> f64 {
    let (ef, h, l) = ln_parts_fast(x);
    let c_hi = f64::from_bits(0x3FDB_CB7B_1526_E50E);
    let ph = h * c_hi;
    let pl = h.mul_add(c_hi, -ph) + h.mul_add(f64::from_bits(0x3C69_5355_BAAA_FAD3), l * c_hi);
    // e log10(2) with a 42-bit high part (exact product).
    let eh = ef * f64::from_bits(0x3FD3_4413_509F_7800);
    let s = eh + ph; // |eh| >= 0.30 > |ph|, or eh = 0
    let tail = (ph - (s - eh)) + ef.mul_add(f64::from_bits(0x3D1F_EF31_1F12_B358), pl);
    log_special(x, s + tail)
}
