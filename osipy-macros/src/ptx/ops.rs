//! Register classes and PTX type names.

use crate::types::Scalar;

/// Register classes: `%fd` f64, `%f` f32, `%r` 32-bit integers, `%rd` 64-bit integers,
/// `%p` predicates (bool).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rc {
    /// `.f64`
    F64 = 0,
    /// `.f32`
    F32 = 1,
    /// `.b32`
    B32 = 2,
    /// `.b64`
    B64 = 3,
    /// `.pred`
    Pred = 4,
}

impl Rc {
    /// The class holding a value of type `s`.
    pub fn of(s: Scalar) -> Rc {
        match s {
            Scalar::F64 => Rc::F64,
            Scalar::F32 => Rc::F32,
            Scalar::I32 | Scalar::U32 => Rc::B32,
            Scalar::I64 | Scalar::U64 | Scalar::Usize => Rc::B64,
            Scalar::Bool => Rc::Pred,
        }
    }

    /// Register name prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Rc::F64 => "fd",
            Rc::F32 => "f",
            Rc::B32 => "r",
            Rc::B64 => "rd",
            Rc::Pred => "p",
        }
    }

    /// Bytes of a value of type `s` in memory.
    pub fn size(s: Scalar) -> usize {
        match s {
            Scalar::F64 | Scalar::I64 | Scalar::U64 | Scalar::Usize => 8,
            Scalar::F32 | Scalar::I32 | Scalar::U32 => 4,
            Scalar::Bool => 1,
        }
    }
}

/// The arithmetic type suffix (`f64`, `s32`, `u64`, ...).
pub fn ptx_ty(s: Scalar) -> &'static str {
    match s {
        Scalar::F64 => "f64",
        Scalar::F32 => "f32",
        Scalar::I32 => "s32",
        Scalar::U32 => "u32",
        Scalar::I64 => "s64",
        Scalar::U64 | Scalar::Usize => "u64",
        Scalar::Bool => "pred",
    }
}

/// The bit-size type suffix (`b64`, `b32`, `pred`).
pub fn bits_ty(s: Scalar) -> &'static str {
    match s {
        Scalar::F64 | Scalar::I64 | Scalar::U64 | Scalar::Usize => "b64",
        Scalar::F32 | Scalar::I32 | Scalar::U32 => "b32",
        Scalar::Bool => "pred",
    }
}

/// Memory access type for loads and stores of `s`.
pub fn mem_ty(s: Scalar) -> &'static str {
    match s {
        Scalar::F64 => "f64",
        Scalar::F32 => "f32",
        Scalar::I32 | Scalar::U32 => "b32",
        Scalar::I64 | Scalar::U64 | Scalar::Usize => "b64",
        Scalar::Bool => "u8",
    }
}

/// Instructions that put the constant with bit pattern `bits` of type `s` into `r`.
pub fn const_reg(r: &str, s: Scalar, bits: u64) -> Vec<String> {
    match s {
        Scalar::F64 => vec![format!("mov.f64 {r}, 0d{bits:016X}")],
        Scalar::F32 => vec![format!("mov.f32 {r}, 0f{:08X}", bits as u32)],
        Scalar::I32 | Scalar::U32 => vec![format!("mov.b32 {r}, {}", bits as u32)],
        Scalar::I64 | Scalar::U64 | Scalar::Usize => vec![format!("mov.b64 {r}, {bits}")],
        Scalar::Bool => vec![format!("setp.ne.u32 {r}, {}, 0", u32::from(bits != 0))],
    }
}
