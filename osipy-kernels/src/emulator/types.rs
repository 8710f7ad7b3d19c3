//! PTX scalar types and the operand type-compatibility rules.

/// Kind of a scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `.bN`: untyped bits.
    Bits,
    /// `.uN`
    Unsigned,
    /// `.sN`
    Signed,
    /// `.fN`
    Float,
    /// `.pred`
    Pred,
}

/// A PTX fundamental type (`.u32`, `.f64`, `.pred`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ty {
    /// Class of the type.
    pub kind: Kind,
    /// Size in bits (1 for `.pred`).
    pub bits: u32,
}

impl Ty {
    /// Parses a type suffix without the dot (`"f64"`, `"pred"`).
    pub fn parse(s: &str) -> Option<Ty> {
        if s == "pred" {
            return Some(Ty {
                kind: Kind::Pred,
                bits: 1,
            });
        }
        let (k, n) = s.split_at(1);
        let kind = match k {
            "b" => Kind::Bits,
            "u" => Kind::Unsigned,
            "s" => Kind::Signed,
            "f" => Kind::Float,
            _ => return None,
        };
        let bits: u32 = n.parse().ok()?;
        let ok = match kind {
            Kind::Float => bits == 32 || bits == 64,
            _ => matches!(bits, 8 | 16 | 32 | 64),
        };
        ok.then_some(Ty { kind, bits })
    }
    /// Size in bytes (predicates count as 1).
    pub fn bytes(self) -> u64 {
        (self.bits as u64).div_ceil(8)
    }
    /// Mask of the value bits in a 64-bit container.
    pub fn mask(self) -> u64 {
        if self.bits >= 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        }
    }
    /// True for `.fN`.
    pub fn is_float(self) -> bool {
        self.kind == Kind::Float
    }
    /// True for `.sN`.
    pub fn is_signed(self) -> bool {
        self.kind == Kind::Signed
    }
    /// True for `.uN`, `.sN` and `.bN`.
    pub fn is_intlike(self) -> bool {
        matches!(self.kind, Kind::Bits | Kind::Unsigned | Kind::Signed)
    }
    /// Sign-extends (for `.sN`) or zero-extends the low `bits` of `v` to 64 bits.
    pub fn extend(self, v: u64) -> u64 {
        if self.bits >= 64 {
            return v;
        }
        if self.kind == Kind::Signed {
            let sh = 64 - self.bits;
            (((v << sh) as i64) >> sh) as u64
        } else {
            v & self.mask()
        }
    }
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let k = match self.kind {
            Kind::Bits => "b",
            Kind::Unsigned => "u",
            Kind::Signed => "s",
            Kind::Float => "f",
            Kind::Pred => return f.write_str(".pred"),
        };
        write!(f, ".{k}{}", self.bits)
    }
}

/// How strictly a register's declared type must match the instruction type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Same size; bit types match anything of that size, ints match ints, floats match floats.
    Exact,
    /// As `Exact`, but for integer/bit instruction types the register may be wider
    /// (the ISA's relaxed rule for `ld`, `st` and `cvt`).
    Relaxed,
}

/// Checks the PTX type-compatibility rule of a register declared as `reg` used
/// as an operand of an instruction of type `inst`. Returns an error message.
pub fn check_compat(inst: Ty, reg: Ty, fit: Fit) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "register of type {reg} is not compatible with instruction type {inst}"
        ))
    };
    if inst.kind == Kind::Pred || reg.kind == Kind::Pred {
        return if inst.kind == reg.kind { Ok(()) } else { bad() };
    }
    let kinds_ok = match inst.kind {
        Kind::Bits => true,
        Kind::Unsigned | Kind::Signed => reg.kind != Kind::Float,
        Kind::Float => matches!(reg.kind, Kind::Float | Kind::Bits),
        Kind::Pred => unreachable!(),
    };
    // Relaxed sizes: a wider *bit/int* register for an int/bit instruction type.
    let size_ok = reg.bits == inst.bits
        || (fit == Fit::Relaxed
            && inst.kind != Kind::Float
            && reg.kind != Kind::Float
            && reg.bits > inst.bits);
    if kinds_ok && size_ok {
        Ok(())
    } else {
        bad()
    }
}
