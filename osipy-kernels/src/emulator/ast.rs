//! Syntax tree produced by the parser (names still unresolved).

use crate::emulator::types::Ty;

/// A parsed module: all functions in source order.
#[derive(Debug, Clone)]
pub struct ModuleAst {
    /// Kernels and device functions.
    pub funcs: Vec<FuncAst>,
}

/// A `.entry` or `.func` definition.
#[derive(Debug, Clone)]
pub struct FuncAst {
    /// Function name.
    pub name: String,
    /// True for `.entry` kernels.
    pub is_entry: bool,
    /// Return parameter for `.func` with a return value.
    pub ret: Option<ParamDecl>,
    /// Formal parameters.
    pub params: Vec<ParamDecl>,
    /// Body statements (`None` for a prototype/declaration without body).
    pub body: Option<Vec<Stmt>>,
    /// Line of the header.
    pub line: u32,
}

/// A `.param` declaration (formal, or inside a call scope).
#[derive(Debug, Clone)]
pub struct ParamDecl {
    /// Name.
    pub name: String,
    /// Element type.
    pub ty: Ty,
    /// Array length if declared as `NAME[N]`.
    pub array: Option<u64>,
    /// Line of the declaration.
    pub line: u32,
}

impl ParamDecl {
    /// Total size in bytes.
    pub fn size(&self) -> u64 {
        self.ty.bytes() * self.array.unwrap_or(1)
    }
}

/// One statement of a function body.
#[derive(Debug, Clone)]
pub enum Stmt {
    /// `.reg .T %name;` or `.reg .T %name<N>;`
    Reg {
        /// Declared type.
        ty: Ty,
        /// Base name.
        name: String,
        /// `Some(N)` for the `<N>` range form.
        count: Option<u32>,
        /// Source line.
        line: u32,
    },
    /// `.local .align A .T name[N];`
    Local {
        /// Alignment in bytes.
        align: u64,
        /// Size in bytes.
        size: u64,
        /// Name.
        name: String,
        /// Source line.
        line: u32,
    },
    /// `.param` declared in a body scope.
    Param(ParamDecl),
    /// `name:`
    Label(String, u32),
    /// An instruction.
    Instr(InstrAst),
    /// `{`
    Open,
    /// `}`
    Close,
}

/// An instruction as written.
#[derive(Debug, Clone)]
pub struct InstrAst {
    /// Guard predicate register name and negation flag.
    pub guard: Option<(String, bool)>,
    /// Opcode (`add`).
    pub opcode: String,
    /// Modifiers in order, without dots (`["rn", "f64"]`).
    pub mods: Vec<String>,
    /// Operands.
    pub operands: Vec<Operand>,
    /// Source line.
    pub line: u32,
}

/// An instruction operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A register, special register (`%tid.x`) or symbol name.
    Name(String),
    /// `%p|%q` predicate pair (setp).
    Pair(String, String),
    /// `!%p` negated predicate source.
    NotName(String),
    /// Integer literal (as i128 so both `-1` and `0xffffffffffffffff` fit).
    Int(i128),
    /// `0d` literal bits.
    F64Bits(u64),
    /// `0f` literal bits.
    F32Bits(u32),
    /// Decimal float literal.
    Float(f64),
    /// `[base+off]`; `base` is a register or a symbol, or empty for `[imm]`.
    Addr(String, i64),
    /// `( a, b, ... )` list used by `call`.
    List(Vec<String>),
}
