//! Pre-decoded instruction representation executed by the interpreter.

use crate::emulator::error::Space;
use crate::emulator::types::Ty;

/// Index of a register in a function's register file.
pub type Reg = u32;

/// A source operand: register or pre-encoded immediate bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Src {
    /// Register.
    R(Reg),
    /// Immediate, already encoded as the instruction type's bits.
    I(u64),
}

/// Base of a memory address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Base {
    /// Register holding an address.
    Reg(Reg),
    /// `.local` variable of the current frame (by index).
    Local(u32),
    /// `.param` slot of the current frame (by index); offsets are slot-relative.
    Param(u32),
    /// Absolute address `[imm]`.
    Abs,
}

/// A memory address `[base+off]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Addr {
    /// Base.
    pub base: Base,
    /// Byte offset.
    pub off: i64,
}

/// Integer operand type: width in bits and signedness.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IT {
    /// 16, 32 or 64.
    pub bits: u32,
    /// Signed arithmetic.
    pub signed: bool,
}

/// Float operand type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FT {
    /// `.f32`, with `.ftz` flag.
    F32 {
        /// flush subnormals to zero
        ftz: bool,
    },
    /// `.f64`
    F64,
}

/// Two-operand operations.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinOp {
    Add(IT),
    Sub(IT),
    MulLo(IT),
    MulHi(IT),
    MulWide(IT),
    Div(IT),
    Rem(IT),
    Min(IT),
    Max(IT),
    And(IT),
    Or(IT),
    Xor(IT),
    Shl(IT),
    Shr(IT),
    FAdd(FT),
    FSub(FT),
    FMul(FT),
    FDiv(FT),
    FMin(FT),
    FMax(FT),
    Copysign(FT),
}

/// One-operand operations.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnOp {
    Neg(IT),
    Abs(IT),
    Not(IT),
    Cnot(IT),
    Clz(IT),
    Popc(IT),
    Brev(IT),
    NotPred,
    FNeg(FT),
    FAbs(FT),
    FSqrt(FT),
    FRcp(FT),
}

/// Three-operand operations.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TernOp {
    MadLo(IT),
    MadHi(IT),
    MadWide(IT),
    Fma(FT),
}

/// Comparison operators of `setp`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Lo,
    Ls,
    Hi,
    Hs,
    Equ,
    Neu,
    Ltu,
    Leu,
    Gtu,
    Geu,
    Num,
    Nan,
}

/// Boolean combining operation of `setp.CMP.BOOL`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BoolOp {
    And,
    Or,
    Xor,
}

/// Rounding modifier.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rnd {
    None,
    Rn,
    Rz,
    Rm,
    Rp,
    Rni,
    Rzi,
    Rmi,
    Rpi,
}

/// Fully decoded `cvt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvtSpec {
    /// Destination type.
    pub dst: Ty,
    /// Source type.
    pub src: Ty,
    /// Rounding modifier.
    pub rnd: Rnd,
    /// `.sat`
    pub sat: bool,
    /// `.ftz`
    pub ftz: bool,
}

/// `testp` classes.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TestKind {
    Finite,
    Infinite,
    Number,
    NotANumber,
    Normal,
    Subnormal,
}

/// Atomic operations.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AtomOp {
    Add,
    Min,
    Max,
    Exch,
    Cas,
    And,
    Or,
    Xor,
    Inc,
    Dec,
}

/// Special registers.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SReg {
    Tid(u8),
    Ntid(u8),
    Ctaid(u8),
    Nctaid(u8),
}

/// A decoded operation.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Mov {
        d: Reg,
        a: Src,
    },
    Bin {
        op: BinOp,
        d: Reg,
        a: Src,
        b: Src,
    },
    Un {
        op: UnOp,
        d: Reg,
        a: Src,
    },
    Tern {
        op: TernOp,
        d: Reg,
        a: Src,
        b: Src,
        c: Src,
    },
    Setp {
        cmp: Cmp,
        ty: Ty,
        d: Reg,
        dq: Option<Reg>,
        a: Src,
        b: Src,
        comb: Option<(BoolOp, Reg, bool)>,
    },
    Selp {
        d: Reg,
        a: Src,
        b: Src,
        p: Reg,
        pneg: bool,
    },
    Cvt {
        spec: CvtSpec,
        d: Reg,
        a: Src,
        dmask: u64,
    },
    Testp {
        kind: TestKind,
        f64: bool,
        d: Reg,
        a: Src,
    },
    Special {
        d: Reg,
        which: SReg,
    },
    LocalAddr {
        d: Reg,
        idx: u32,
    },
    Ld {
        space: Space,
        size: u64,
        ty: Ty,
        dmask: u64,
        d: Reg,
        addr: Addr,
    },
    St {
        space: Space,
        size: u64,
        addr: Addr,
        a: Src,
    },
    Atom {
        op: AtomOp,
        ty: Ty,
        d: Option<Reg>,
        addr: Addr,
        b: Src,
        c: Option<Src>,
    },
    Bra {
        target: u32,
    },
    Call {
        func: u32,
        args: Box<[u32]>,
        ret: Option<u32>,
    },
    Ret,
    Exit,
    /// A memory fence (`membar`).
    Fence,
}

/// An instruction: optional guard predicate plus operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Instr {
    /// `@%p` (false) or `@!%p` (true).
    pub guard: Option<(Reg, bool)>,
    /// The operation.
    pub op: Op,
}

/// A decoded function ready for execution.
#[derive(Debug, Clone)]
pub struct Func {
    /// Name.
    pub name: String,
    /// `.entry` kernel?
    pub is_entry: bool,
    /// Formal parameters: name, type, byte size.
    pub params: Vec<(String, Ty, u64)>,
    /// Return parameter (slot index `params.len()`): name, type, size.
    pub ret: Option<(String, Ty, u64)>,
    /// Byte sizes of all param slots (formals, return, then scoped declarations).
    pub slot_sizes: Vec<u64>,
    /// Register names (for diagnostics).
    pub reg_names: Vec<String>,
    /// `.local` variables: (size, align).
    pub locals: Vec<(u64, u64)>,
    /// Instructions.
    pub code: Vec<Instr>,
    /// Source line per instruction.
    pub lines: Vec<u32>,
}
