//! The typed intermediate representation of a kernel body.
//!
//! Every node keeps the span of the source it came from. Scalar types are variables of the
//! function's [`Types`] table until inference has run; backends read them through
//! [`Types::get`].

use proc_macro2::Span;
use syn::Ident;

use crate::sig::Sig;
use crate::types::{Scalar, TyVar, Types};

/// Index of a local variable in [`Func::locals`].
pub type LocalId = usize;

/// One function of a kernel: the launched one or one it calls.
#[derive(Clone)]
pub struct Func {
    /// Unique id (crate, file, line, column, name), also used to detect recursion.
    pub id: String,
    /// The checked signature.
    pub sig: Sig,
    /// Type variables of this function.
    pub types: Types,
    /// Every local binding, in order of appearance.
    pub locals: Vec<Local>,
    /// The body.
    pub body: Block,
    /// For each call site's path (by index in [`crate::calls::call_paths`]), the callee's id.
    pub callees: Vec<String>,
}

/// A local variable.
#[derive(Clone)]
pub struct Local {
    /// Name as written (for messages).
    pub name: Ident,
    /// Its type.
    pub ty: LocalTy,
}

/// The type of a local variable.
#[derive(Clone, Copy)]
pub enum LocalTy {
    /// A scalar.
    Scalar(TyVar),
    /// A fixed-size array `[T; N]`.
    Array(TyVar, usize),
}

/// A block: statements and an optional value.
#[derive(Clone)]
pub struct Block {
    /// Statements in order.
    pub stmts: Vec<Stmt>,
    /// The block's value.
    pub tail: Option<Box<Expr>>,
}

/// An array that can be indexed: a row parameter or a local array.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ArrayRef {
    /// Parameter index (a row or output row).
    Param(usize),
    /// A local array.
    Local(LocalId),
}

/// A scalar that can be passed as `&mut T`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ScalarRef {
    /// An output-scalar parameter.
    Param(usize),
    /// A local scalar.
    Local(LocalId),
}

/// Something that can be assigned to.
#[derive(Clone)]
pub enum Place {
    /// A local scalar.
    Local(LocalId),
    /// `*out` for an output-scalar parameter, or a (mutable) scalar parameter by value.
    Param(usize),
    /// An element of a row or local array.
    Index(ArrayRef, Box<Expr>),
}

/// A statement.
#[derive(Clone)]
pub enum Stmt {
    /// `let x = e;`, `let x;` or `let (a, b) = call(..);`
    Let {
        /// The bound locals (several for a tuple pattern; `None` for `_`).
        locals: Vec<Option<LocalId>>,
        /// The initialiser.
        init: Option<Expr>,
    },
    /// `let a = [e; N];` or `let a = [e0, e1, ..];`
    LetArray {
        /// The array local.
        local: LocalId,
        /// The elements.
        init: ArrayInit,
    },
    /// `place = value` or `place op= value`.
    Assign {
        /// Target.
        place: Place,
        /// Compound operator, if any.
        op: Option<BinOp>,
        /// Value (evaluated before the place, as Rust does for primitives).
        value: Expr,
        /// Span of the statement.
        span: Span,
    },
    /// An expression evaluated for its effects.
    Expr(Expr),
    /// `while cond { body }`
    While {
        /// Condition.
        cond: Expr,
        /// Body.
        body: Block,
    },
    /// `for var in start..end` (or `..=`, or `.rev()`).
    For {
        /// The loop variable.
        var: LocalId,
        /// Range start.
        start: Expr,
        /// Range end.
        end: Expr,
        /// `..=`
        inclusive: bool,
        /// `.rev()`
        rev: bool,
        /// Body.
        body: Block,
    },
    /// `loop { body }`
    Loop(Block),
    /// `break`
    Break(Span),
    /// `continue`
    Continue(Span),
    /// `return` with an optional value.
    Return(Option<Expr>, Span),
}

/// Initialiser of a local array.
#[derive(Clone)]
pub enum ArrayInit {
    /// `[e; N]`
    Repeat(Box<Expr>, usize),
    /// `[e0, e1, ...]`
    List(Vec<Expr>),
}

/// The type of an expression.
#[derive(Clone)]
pub enum Ty {
    /// A scalar.
    Scalar(TyVar),
    /// No value.
    Unit,
    /// A tuple of scalars (call results and returns only).
    Tuple(Vec<TyVar>),
}

/// An expression.
#[derive(Clone)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Its type.
    pub ty: Ty,
    /// Source span.
    pub span: Span,
}

/// A literal value.
#[derive(Clone)]
pub enum LitVal {
    /// An integer (the type decides the width; values wrap into it).
    Int(u128),
    /// A float, as written (parsed once its type is known) or a constant's exact bits.
    Float(FloatLit),
    /// `true` / `false`.
    Bool(bool),
}

/// A float literal or constant.
#[derive(Clone)]
pub enum FloatLit {
    /// Literal text, parsed with Rust's rules for the final type.
    Text(String),
    /// Exact values for both float types (named constants).
    Exact {
        /// The f64 value's bits.
        f64_bits: u64,
        /// The f32 value's bits.
        f32_bits: u32,
    },
}

/// Unary operators.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `!x`
    Not,
}

/// Binary operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&&`
    And,
    /// `||`
    Or,
}

impl BinOp {
    /// Whether the result is `bool` regardless of the operands.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

/// Intrinsic functions and methods.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Intr {
    /// e^x
    Exp,
    /// 2^x
    Exp2,
    /// ln x
    Ln,
    /// log2 x
    Log2,
    /// log10 x
    Log10,
    /// sqrt x
    Sqrt,
    /// x^y (float)
    Powf,
    /// x^n (i32)
    Powi,
    /// |x|
    Abs,
    /// min(x, y)
    Min,
    /// max(x, y)
    Max,
    /// floor
    Floor,
    /// ceil
    Ceil,
    /// round half away from zero
    Round,
    /// trunc
    Trunc,
    /// x * a + b, one rounding
    MulAdd,
    /// sign
    Signum,
    /// 1 / x
    Recip,
    /// NaN test
    IsNan,
    /// finite test
    IsFinite,
    /// bits of a float
    ToBits,
    /// float from bits (`f64::from_bits`)
    FromBits,
}

/// Argument of a call to another kernel function.
#[derive(Clone)]
pub enum Arg {
    /// A scalar by value.
    Value(Expr),
    /// A row (`&[T]`) from a parameter or a local array.
    Row(ArrayRef, Span),
    /// A mutable row (`&mut [T]`).
    RowMut(ArrayRef, Span),
    /// A mutable scalar (`&mut T`).
    ScalarMut(ScalarRef, Span),
}

/// Expression kinds.
#[derive(Clone)]
pub enum ExprKind {
    /// A literal or constant.
    Lit(LitVal),
    /// A local scalar.
    Local(LocalId),
    /// A scalar parameter's value, or `*out` of an output-scalar parameter.
    Param(usize),
    /// Unary operation.
    Unary(UnOp, Box<Expr>),
    /// Binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `e as T`
    Cast(Box<Expr>, Scalar),
    /// `a[i]`
    Index(ArrayRef, Box<Expr>),
    /// `a.len()`
    Len(ArrayRef),
    /// Intrinsic; the first argument is the receiver for methods.
    Intrinsic(Intr, Vec<Expr>),
    /// Call of another kernel function: index into [`Func::callees`].
    Call(usize, Vec<Arg>),
    /// `if c { a } else { b }`
    If(Box<Expr>, Block, Option<Block>),
    /// `{ ... }`
    Block(Block),
    /// `(a, b)` in return position.
    Tuple(Vec<Expr>),
}
