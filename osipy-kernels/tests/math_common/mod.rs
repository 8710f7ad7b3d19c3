//! Shared test helpers: a correctly rounded 128-bit reference (astro-float)
//! and ulp-error measurement.
#![allow(dead_code)]

pub mod cases;

use astro_float::{BigFloat, Consts, RoundingMode, Sign};

/// Working precision of the reference, in bits.
pub const P: usize = 128;
/// Higher working precision for composite references (exp2, pow).
pub const P2: usize = 192;
const RM: RoundingMode = RoundingMode::ToEven;

/// Which function a reference value is computed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Exp,
    Exp2,
    Ln,
    Log2,
    Log10,
    Pow,
}

/// Exact conversion of a binary64 value (astro-float's `from_f64` mishandles
/// subnormals, so those are scaled by 2^64 first and scaled back exactly).
pub fn big(x: f64) -> BigFloat {
    if x != 0.0 && x.abs() < f64::MIN_POSITIVE {
        let s = BigFloat::from_f64(x * 2f64.powi(64), P);
        return s.mul(&BigFloat::from_f64(2f64.powi(-64), P), P, RM);
    }
    BigFloat::from_f64(x, P)
}

pub fn new_consts() -> Consts {
    Consts::new().expect("astro-float constants cache")
}

/// Exact 128-bit (correctly rounded by astro-float) value of `f(x)` or
/// `pow(x, y)`. Only called for finite arguments inside the domain and
/// outside the special cases (x > 0 for logs and pow; negative pow bases are
/// handled by the caller via |x| and the sign rule).
pub fn reference(f: Func, x: f64, y: f64, cc: &mut Consts) -> BigFloat {
    let bx = big(x);
    match f {
        Func::Exp => bx.exp(P, RM, cc),
        Func::Exp2 => {
            // astro-float's `pow` can fail to terminate on exact results, so
            // exp2 is evaluated as exp(x * ln 2) at 192 bits (exactly for
            // integer x).
            if x == x.trunc() && x.abs() < 4096.0 {
                return pow_int(big(2.0), x);
            }
            let ln2 = big(2.0).ln(P2, RM, cc);
            big(x).mul(&ln2, P2, RM).exp(P2, RM, cc)
        }
        Func::Ln => bx.ln(P, RM, cc),
        Func::Log2 => bx.log2(P, RM, cc),
        Func::Log10 => bx.log10(P, RM, cc),
        Func::Pow => {
            // Far outside the range the result is certainly 0 or inf (and
            // astro-float's pow is very slow for huge exponents).
            let t = y * x.abs().ln();
            if t.abs() > 1e4 {
                let odd = y.abs() < 9007199254740992.0 && y == y.trunc() && (y * 0.5) != (y * 0.5).trunc();
                let s = if x < 0.0 && odd { -1.0 } else { 1.0 };
                return if t > 0.0 {
                    big(s * f64::INFINITY)
                } else {
                    BigFloat::new(P)
                };
            }
            // astro-float's `pow` can fail to terminate on exact results
            // (e.g. 1.5^2, 4^0.5): use binary powering for integer y and
            // exp(y * ln|x|) at 192 bits otherwise (error ~2^-180).
            let ax = x.abs();
            let r = if ax == 1.0 {
                big(1.0)
            } else if y == y.trunc() && y.abs() < 4096.0 {
                pow_int(big(ax), y)
            } else {
                let l = big(ax).ln(P2, RM, cc);
                big(y).mul(&l, P2, RM).exp(P2, RM, cc)
            };
            let odd = y.abs() < 9007199254740992.0 && y == y.trunc() && (y * 0.5) != (y * 0.5).trunc();
            if x < 0.0 && odd {
                r.neg()
            } else {
                r
            }
        }
    }
}

/// `b^n` for integer `n` (|n| < 4096) by binary powering at 256 bits
/// (relative error below 2^-240).
fn pow_int(b: BigFloat, n: f64) -> BigFloat {
    let r = b.powi(n.abs() as usize, 256, RM);
    if n < 0.0 {
        big(1.0).div(&r, 256, RM)
    } else {
        r
    }
}

/// `m * 2^e` for a big float's top 64 mantissa bits, as f64 (for small
/// error values; accurate to ~2^-53 relative).
fn big_to_f64_scaled(b: &BigFloat, shift: i64) -> f64 {
    if b.is_zero() {
        return 0.0;
    }
    let (words, _n, sign, e, _inexact) = b.as_raw_parts().expect("finite");
    let top = *words.last().expect("nonempty mantissa") as f64; // in [2^63, 2^64)
    let ex = e as i64 - 64 - shift;
    let v = top * 2f64.powi(ex.clamp(-2000, 2000) as i32);
    if sign == Sign::Neg {
        -v
    } else {
        v
    }
}

/// The binary exponent `u` of ulp(r) for the target format with `mant` bits
/// of precision and `emin` the minimum normal exponent (value in [1,2)*2^emin).
fn ulp_exp(r: &BigFloat, mant: i64, emin: i64) -> i64 {
    // astro-float: |r| in [2^(e-1), 2^e)
    let e = r.exponent().expect("finite") as i64 - 1;
    e.max(emin) - (mant - 1)
}

/// |ours - r| / ulp(r) in the format (`mant`, `emin`, `emax`), where an
/// infinite `ours` counts as 2^(emax+1) and is exact (error 0) when `r`
/// itself rounds to infinity.
pub fn ulp_error_fmt(ours: f64, r: &BigFloat, mant: i64, emin: i64, emax: i64) -> f64 {
    if ours.is_nan() {
        return f64::INFINITY;
    }
    if r.is_inf() {
        // Beyond astro-float's exponent range: must overflow with that sign.
        return if ours.is_infinite() && (ours > 0.0) == r.is_inf_pos() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if r.is_zero() {
        return if ours == 0.0 { 0.0 } else { f64::INFINITY };
    }
    let u = ulp_exp(r, mant, emin);
    let ob = if ours.is_infinite() {
        // Overflow threshold: 2^(emax+1) - 2^(emax - mant) (half an ulp above MAX).
        let e = r.exponent().expect("finite") as i64 - 1;
        if e > emax {
            // |r| >= 2^(emax+1): rounds to inf.
            if (ours > 0.0) == r.is_positive() {
                return 0.0;
            }
            return f64::INFINITY;
        }
        let thr = big(2f64.powi((emax + 1) as i32)).sub(&big(2f64.powi((emax - mant) as i32)), P, RM);
        if r.abs().cmp(&thr).expect("finite") >= 0 && (ours > 0.0) == r.is_positive() {
            return 0.0;
        }
        let inf_val = big(2f64.powi(emax as i32)).mul(&big(2.0), P, RM);
        if ours > 0.0 {
            inf_val
        } else {
            inf_val.neg()
        }
    } else {
        big(ours)
    };
    let d = ob.sub(r, P, RM);
    big_to_f64_scaled(&d, u).abs()
}

/// Error of a binary64 result in binary64 ulps.
pub fn ulp_error(ours: f64, r: &BigFloat) -> f64 {
    ulp_error_fmt(ours, r, 53, -1022, 1023)
}

/// Error of a binary32 result in binary32 ulps.
pub fn ulp_error_f32(ours: f32, r: &BigFloat) -> f64 {
    ulp_error_fmt(ours as f64, r, 24, -126, 127)
}

/// Error of a binary32 result in binary32 ulps against a binary64 reference
/// value (used for the exhaustive f32 sweeps; the binary64 reference must be
/// accurate to a few binary64 ulps).
pub fn ulp_error_f32_vs_f64(ours: f32, r: f64) -> f64 {
    if ours.is_nan() || r.is_nan() {
        return if ours.is_nan() && r.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let o = ours as f64;
    if r == 0.0 {
        return if o == 0.0 { 0.0 } else { f64::INFINITY };
    }
    let ar = r.abs();
    let max_half = (f32::MAX as f64) + 2f64.powi(103); // MAX + half ulp
    if ours.is_infinite() {
        return if ar >= max_half && (o > 0.0) == (r > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if ar.is_infinite() {
        return f64::INFINITY;
    }
    let e = ((ar.to_bits() >> 52) as i64 - 1023).max(-126);
    let ulp = 2f64.powi((e - 23) as i32);
    (o - r).abs() / ulp
}

/// Deterministic log-uniform sample of |x| in [2^lo, 2^hi] (random exponent
/// and random mantissa bits), with a random sign if `signed`.
pub fn log_uniform(rng: &mut impl rand::Rng, lo: f64, hi: f64, signed: bool) -> f64 {
    use rand::RngExt;
    let e: f64 = rng.random_range(lo..hi);
    let m: f64 = 2f64.powf(e);
    // Randomise all mantissa bits to avoid structured inputs.
    let bits = (m.to_bits() & 0xFFF0_0000_0000_0000) | (rng.random::<u64>() & 0x000F_FFFF_FFFF_FFFF);
    let v = f64::from_bits(bits);
    if signed && rng.random::<bool>() {
        -v
    } else {
        v
    }
}
