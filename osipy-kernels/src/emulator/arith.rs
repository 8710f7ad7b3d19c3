//! Bit-exact semantics of arithmetic, comparison, conversion and atomic operations.
//!
//! All values travel as `u64` bit patterns (zero-extended for narrow types).

use crate::emulator::error::ExecErrorKind;
use crate::emulator::ir::{AtomOp, BinOp, Cmp, CvtSpec, Rnd, TernOp, TestKind, UnOp, FT, IT};
use crate::emulator::types::{Kind, Ty};

/// NaN returned by any f32 operation producing NaN (CUDA's canonical quiet NaN).
pub const F32_CANONICAL_NAN: u32 = 0x7fff_ffff;
/// NaN returned by `min`/`max.f64` when both inputs are NaN.
pub const F64_CANONICAL_NAN: u64 = 0x7fff_ffff_ffff_ffff;

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}
fn sext(v: u64, bits: u32) -> i64 {
    if bits >= 64 {
        v as i64
    } else {
        let sh = 64 - bits;
        ((v << sh) as i64) >> sh
    }
}
fn ival(t: IT, v: u64) -> i128 {
    if t.signed {
        sext(v, t.bits) as i128
    } else {
        (v & mask(t.bits)) as i128
    }
}

fn ftz32(x: f32) -> f32 {
    if x.is_subnormal() {
        f32::from_bits(x.to_bits() & 0x8000_0000)
    } else {
        x
    }
}
fn f32_in(v: u64, ftz: bool) -> f32 {
    let x = f32::from_bits(v as u32);
    if ftz {
        ftz32(x)
    } else {
        x
    }
}
fn f32_out(x: f32, ftz: bool) -> u64 {
    let x = if ftz { ftz32(x) } else { x };
    if x.is_nan() {
        F32_CANONICAL_NAN as u64
    } else {
        x.to_bits() as u64
    }
}

/// Applies a float operation in the given float type.
fn fop(
    t: FT,
    a: u64,
    b: u64,
    c: u64,
    f64op: fn(f64, f64, f64) -> f64,
    f32op: fn(f32, f32, f32) -> f32,
) -> u64 {
    match t {
        FT::F64 => f64op(f64::from_bits(a), f64::from_bits(b), f64::from_bits(c)).to_bits(),
        FT::F32 { ftz } => f32_out(f32op(f32_in(a, ftz), f32_in(b, ftz), f32_in(c, ftz)), ftz),
    }
}

/// IEEE-754 minimumNumber-style min used by PTX `min.fN`: a single NaN input is
/// ignored, both NaN gives the canonical NaN, and `-0.0 < +0.0`.
fn fminmax(t: FT, a: u64, b: u64, is_max: bool) -> u64 {
    let (fa, fb, canon) = match t {
        FT::F64 => (f64::from_bits(a), f64::from_bits(b), F64_CANONICAL_NAN),
        FT::F32 { ftz } => (
            f32_in(a, ftz) as f64,
            f32_in(b, ftz) as f64,
            F32_CANONICAL_NAN as u64,
        ),
    };
    let pick_a = match (fa.is_nan(), fb.is_nan()) {
        (true, true) => return canon,
        (true, false) => false,
        (false, true) => true,
        _ if fa == fb => fa.is_sign_negative() != is_max,
        _ => (fa < fb) != is_max,
    };
    let r = if pick_a { fa } else { fb };
    match t {
        FT::F64 => r.to_bits(),
        FT::F32 { ftz } => f32_out(r as f32, ftz),
    }
}

/// High half of the full product (u128 for unsigned: the 64x64 product overflows i128).
fn mul_hi(t: IT, a: u64, b: u64) -> u64 {
    if t.signed {
        ((ival(t, a) * ival(t, b)) >> t.bits) as u64 & mask(t.bits)
    } else {
        let p = (a & mask(t.bits)) as u128 * (b & mask(t.bits)) as u128;
        (p >> t.bits) as u64 & mask(t.bits)
    }
}

/// Evaluates a two-operand operation.
pub fn bin(op: BinOp, a: u64, b: u64) -> Result<u64, ExecErrorKind> {
    use BinOp::*;
    Ok(match op {
        Add(t) => a.wrapping_add(b) & mask(t.bits),
        Sub(t) => a.wrapping_sub(b) & mask(t.bits),
        MulLo(t) => a.wrapping_mul(b) & mask(t.bits),
        MulHi(t) => mul_hi(t, a, b),
        MulWide(t) => (ival(t, a) * ival(t, b)) as u64 & mask(2 * t.bits),
        Div(t) | Rem(t) => {
            let (x, y) = (ival(t, a), ival(t, b));
            if y == 0 {
                return Err(ExecErrorKind::DivisionByZero);
            }
            // i128 avoids overflow of MIN / -1; the result wraps like hardware.
            let r = if matches!(op, Div(_)) { x / y } else { x % y };
            r as u64 & mask(t.bits)
        }
        Min(t) => (ival(t, a).min(ival(t, b))) as u64 & mask(t.bits),
        Max(t) => (ival(t, a).max(ival(t, b))) as u64 & mask(t.bits),
        And(_) => a & b,
        Or(_) => a | b,
        Xor(_) => a ^ b,
        Shl(t) => {
            if b >= t.bits as u64 {
                0
            } else {
                (a << b) & mask(t.bits)
            }
        }
        Shr(t) => {
            if t.signed {
                (sext(a, t.bits) >> b.min(63)) as u64 & mask(t.bits)
            } else if b >= t.bits as u64 {
                0
            } else {
                (a & mask(t.bits)) >> b
            }
        }
        FAdd(t) => fop(t, a, b, 0, |x, y, _| x + y, |x, y, _| x + y),
        FSub(t) => fop(t, a, b, 0, |x, y, _| x - y, |x, y, _| x - y),
        FMul(t) => fop(t, a, b, 0, |x, y, _| x * y, |x, y, _| x * y),
        FDiv(t) => fop(t, a, b, 0, |x, y, _| x / y, |x, y, _| x / y),
        FMin(t) => fminmax(t, a, b, false),
        FMax(t) => fminmax(t, a, b, true),
        // copysign d, a, b: magnitude of b with the sign of a (bit operation, NaNs kept).
        Copysign(FT::F64) => (b & !(1 << 63)) | (a & (1 << 63)),
        Copysign(FT::F32 { .. }) => (b & 0x7fff_ffff) | (a & 0x8000_0000),
    })
}

/// Evaluates a one-operand operation.
pub fn un(op: UnOp, a: u64) -> u64 {
    use UnOp::*;
    match op {
        Neg(t) => a.wrapping_neg() & mask(t.bits),
        Abs(t) => sext(a, t.bits).wrapping_abs() as u64 & mask(t.bits),
        Not(t) => !a & mask(t.bits),
        Cnot(_) => (a == 0) as u64,
        Clz(t) => ((a & mask(t.bits)).leading_zeros() - (64 - t.bits)) as u64,
        Popc(t) => (a & mask(t.bits)).count_ones() as u64,
        Brev(t) => a.reverse_bits() >> (64 - t.bits),
        NotPred => a ^ 1,
        FNeg(FT::F64) => a ^ (1 << 63),
        FAbs(FT::F64) => a & !(1 << 63),
        FNeg(FT::F32 { ftz }) => (f32_in(a, ftz).to_bits() ^ 0x8000_0000) as u64,
        FAbs(FT::F32 { ftz }) => (f32_in(a, ftz).to_bits() & 0x7fff_ffff) as u64,
        FSqrt(t) => fop(t, a, 0, 0, |x, _, _| x.sqrt(), |x, _, _| x.sqrt()),
        FRcp(t) => fop(t, a, 0, 0, |x, _, _| 1.0 / x, |x, _, _| 1.0 / x),
    }
}

/// Evaluates a three-operand operation.
pub fn tern(op: TernOp, a: u64, b: u64, c: u64) -> u64 {
    match op {
        TernOp::MadLo(t) => a.wrapping_mul(b).wrapping_add(c) & mask(t.bits),
        TernOp::MadHi(t) => mul_hi(t, a, b).wrapping_add(c) & mask(t.bits),
        TernOp::MadWide(t) => ((ival(t, a) * ival(t, b)) as u64).wrapping_add(c) & mask(2 * t.bits),
        TernOp::Fma(t) => fop(t, a, b, c, f64::mul_add, f32::mul_add),
    }
}

/// Evaluates a `setp` comparison on values of type `ty`.
pub fn compare(cmp: Cmp, ty: Ty, a: u64, b: u64) -> bool {
    use Cmp::*;
    if ty.kind == Kind::Float {
        let (x, y) = if ty.bits == 32 {
            (f32::from_bits(a as u32) as f64, f32::from_bits(b as u32) as f64)
        } else {
            (f64::from_bits(a), f64::from_bits(b))
        };
        let un = x.is_nan() || y.is_nan();
        return match cmp {
            Eq => x == y,
            Ne => !un && x != y,
            Lt => x < y,
            Le => x <= y,
            Gt => x > y,
            Ge => x >= y,
            Equ => un || x == y,
            Neu => x != y,
            Ltu => un || x < y,
            Leu => un || x <= y,
            Gtu => un || x > y,
            Geu => un || x >= y,
            Num => !un,
            Nan => un,
            Lo | Ls | Hi | Hs => false, // rejected at decode time
        };
    }
    let signed = ty.kind == Kind::Signed && !matches!(cmp, Lo | Ls | Hi | Hs);
    let (x, y) = if signed {
        (sext(a, ty.bits) as i128, sext(b, ty.bits) as i128)
    } else {
        ((a & ty.mask()) as i128, (b & ty.mask()) as i128)
    };
    match cmp {
        Eq => x == y,
        Ne => x != y,
        Lt | Lo => x < y,
        Le | Ls => x <= y,
        Gt | Hi => x > y,
        Ge | Hs => x >= y,
        _ => false, // float-only operators are rejected at decode time
    }
}

/// Evaluates `testp`.
pub fn testp(kind: TestKind, is_f64: bool, a: u64) -> bool {
    let x = if is_f64 {
        f64::from_bits(a)
    } else {
        f32::from_bits(a as u32) as f64
    };
    let sub = if is_f64 {
        x.is_subnormal()
    } else {
        f32::from_bits(a as u32).is_subnormal()
    };
    match kind {
        TestKind::Finite => x.is_finite(),
        TestKind::Infinite => x.is_infinite(),
        TestKind::Number => !x.is_nan(),
        TestKind::NotANumber => x.is_nan(),
        TestKind::Normal => x.is_finite() && x != 0.0 && !sub,
        TestKind::Subnormal => sub,
    }
}

fn round_int(x: f64, rnd: Rnd) -> f64 {
    match rnd {
        Rnd::Rni => x.round_ties_even(),
        Rnd::Rzi => x.trunc(),
        Rnd::Rmi => x.floor(),
        Rnd::Rpi => x.ceil(),
        _ => x,
    }
}

/// Nudges a round-to-nearest result `r` (as f64 value `rv`) to a directed rounding
/// of the exact value, given whether `rv` is above (`Greater`) or below the exact value.
fn direct<F: Copy>(
    r: F,
    ord: std::cmp::Ordering,
    exact_neg: bool,
    rnd: Rnd,
    up: fn(F) -> F,
    down: fn(F) -> F,
) -> F {
    use std::cmp::Ordering::*;
    match (ord, rnd) {
        (Greater, Rnd::Rm) => down(r),
        (Greater, Rnd::Rz) if !exact_neg => down(r),
        (Less, Rnd::Rp) => up(r),
        (Less, Rnd::Rz) if exact_neg => up(r),
        _ => r,
    }
}

fn int_to_float(v: i128, dst_bits: u32, rnd: Rnd) -> u64 {
    if dst_bits == 64 {
        let r = v as f64;
        direct(r, (r as i128).cmp(&v), v < 0, rnd, f64::next_up, f64::next_down).to_bits()
    } else {
        let r = v as f32;
        direct(r, (r as i128).cmp(&v), v < 0, rnd, f32::next_up, f32::next_down).to_bits() as u64
    }
}

fn f64_to_f32(x: f64, rnd: Rnd) -> f32 {
    if x.is_nan() {
        return f32::from_bits(F32_CANONICAL_NAN);
    }
    let r = x as f32;
    let ord = (r as f64).partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal);
    direct(r, ord, x < 0.0, rnd, f32::next_up, f32::next_down)
}

/// Evaluates `cvt`; the result is extended (sign-extended for `.sN`) to 64 bits.
pub fn cvt(s: CvtSpec, a: u64) -> u64 {
    let (src, dst) = (s.src, s.dst);
    if src.is_intlike() {
        let v: i128 = if src.is_signed() {
            sext(a, src.bits) as i128
        } else {
            (a & src.mask()) as i128
        };
        if dst.is_intlike() {
            let v = if s.sat { clamp_int(v, dst) } else { v };
            return dst.extend(v as u64);
        }
        let r = int_to_float(v, dst.bits, s.rnd);
        return float_post(r, dst, s);
    }
    // float source, widened exactly to f64
    let x = if src.bits == 32 {
        f32_in(a, s.ftz) as f64
    } else {
        f64::from_bits(a)
    };
    if dst.is_intlike() {
        if x.is_nan() {
            return 0;
        }
        let v = clamp_int(round_int(x, s.rnd) as i128, dst);
        return dst.extend(v as u64);
    }
    let x = round_int(x, s.rnd);
    let r = if dst.bits == 64 {
        x.to_bits()
    } else if src.bits == 32 {
        f32_out(x as f32, false)
    } else {
        f32_out(f64_to_f32(x, s.rnd), false)
    };
    float_post(r, dst, s)
}

/// Applies `.sat` (clamp to [0, 1], NaN -> +0) and `.ftz` to a float cvt result.
fn float_post(r: u64, dst: Ty, s: CvtSpec) -> u64 {
    let mut x = if dst.bits == 64 {
        f64::from_bits(r)
    } else {
        f32::from_bits(r as u32) as f64
    };
    if s.sat {
        x = if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
    } else if dst.bits == 32 {
        return f32_out(f32::from_bits(r as u32), s.ftz);
    } else {
        return r;
    }
    if dst.bits == 64 {
        x.to_bits()
    } else {
        f32_out(x as f32, s.ftz)
    }
}

fn clamp_int(v: i128, t: Ty) -> i128 {
    let (lo, hi) = if t.is_signed() {
        (-(1i128 << (t.bits - 1)), (1i128 << (t.bits - 1)) - 1)
    } else {
        (0, (1i128 << t.bits) - 1)
    };
    v.clamp(lo, hi)
}

/// Computes the new memory value of an atomic operation from the `old` value.
pub fn atom(op: AtomOp, ty: Ty, old: u64, b: u64, c: u64) -> u64 {
    let m = ty.mask();
    let it = IT {
        bits: ty.bits,
        signed: ty.is_signed(),
    };
    match op {
        AtomOp::Add if ty.is_float() => {
            if ty.bits == 64 {
                (f64::from_bits(old) + f64::from_bits(b)).to_bits()
            } else {
                // global f32 atomic adds always flush subnormals to zero
                f32_out(f32_in(old, true) + f32_in(b, true), true)
            }
        }
        AtomOp::Add => old.wrapping_add(b) & m,
        AtomOp::Min => (ival(it, old).min(ival(it, b))) as u64 & m,
        AtomOp::Max => (ival(it, old).max(ival(it, b))) as u64 & m,
        AtomOp::Exch => b,
        AtomOp::Cas => {
            if old == b {
                c
            } else {
                old
            }
        }
        AtomOp::And => old & b,
        AtomOp::Or => old | b,
        AtomOp::Xor => old ^ b,
        AtomOp::Inc => {
            if old >= b {
                0
            } else {
                old + 1
            }
        }
        AtomOp::Dec => {
            if old == 0 || old > b {
                b
            } else {
                old - 1
            }
        }
    }
}
