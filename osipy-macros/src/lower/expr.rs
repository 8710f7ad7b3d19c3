//! Lowering expressions: syn AST to typed IR.

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::ir::*;
use crate::lower::Lowerer;
use crate::types::{mismatch, Scalar};

pub(crate) const METHODS: &str = "exp exp2 ln log2 log10 sqrt powf powi abs min max floor ceil round trunc \
     mul_add signum recip is_nan is_finite to_bits, and `.len()` / `.is_empty()` on rows and local arrays";

impl Lowerer<'_> {
    /// A placeholder after an error, so lowering can go on and report more.
    pub(crate) fn bad(&mut self, span: Span) -> Expr {
        let v = self.types.any();
        Expr {
            kind: ExprKind::Lit(LitVal::Int(0)),
            ty: Ty::Scalar(v),
            span,
        }
    }

    pub(crate) fn unify(&mut self, a: TyVarOf, b: TyVarOf, span: Span, what: &str) {
        if let (Some(a), Some(b)) = (a, b) {
            if let Err(k) = self.types.unify(a, b) {
                self.cx.push(mismatch(span, what, k));
            }
        }
    }

    pub(crate) fn require(&mut self, a: TyVarOf, s: Scalar, span: Span, what: &str) {
        if let Some(a) = a {
            if let Err(k) = self.types.require(a, s) {
                self.cx.push(mismatch(span, what, k));
            }
        }
    }

    /// Lowers an expression that must produce a scalar.
    pub(crate) fn scalar(&mut self, e: &syn::Expr) -> (Expr, TyVarOf) {
        let x = self.expr(e);
        let v = match &x.ty {
            Ty::Scalar(v) => Some(*v),
            Ty::Unit => {
                self.cx
                    .spanned(&e, "expected a value here, found an expression with no value");
                None
            }
            Ty::Tuple(_) => {
                self.cx.spanned(
                    &e,
                    "expected a single value here, found a tuple; bind it with `let (a, b) = ...`",
                );
                None
            }
        };
        (x, v)
    }

    /// Lowers one expression.
    pub(crate) fn expr(&mut self, e: &syn::Expr) -> Expr {
        let span = e.span();
        match e {
            syn::Expr::Lit(l) => self.lit(&l.lit),
            syn::Expr::Paren(p) => self.expr(&p.expr),
            syn::Expr::Group(g) => self.expr(&g.expr),
            syn::Expr::Path(p) => self.path_expr(p),
            syn::Expr::Unary(u) => self.unary(u),
            syn::Expr::Binary(b) => self.binary(b),
            syn::Expr::Cast(c) => self.cast(c),
            syn::Expr::Index(ix) => self.index(ix),
            syn::Expr::MethodCall(m) => self.method(m),
            syn::Expr::Call(c) => self.call(c),
            syn::Expr::If(i) => self.if_expr(i),
            syn::Expr::Block(b) => {
                if let Some(l) = &b.label {
                    self.cx.spanned(&l, "labelled blocks are not supported");
                }
                let blk = self.block(&b.block);
                let ty = self.block_ty(&blk);
                Expr {
                    kind: ExprKind::Block(blk),
                    ty,
                    span,
                }
            }
            syn::Expr::Unsafe(u) => {
                self.cx.error(
                    u.unsafe_token.span,
                    "`unsafe` is not supported in a kernel body: every backend checks indexing, so no unsafe code is needed",
                );
                self.bad(span)
            }
            syn::Expr::Closure(c) => {
                self.cx.spanned(&c,
                    "closures are not supported in a kernel body; write a loop, or call another #[xp_kernel] function",
                );
                self.bad(span)
            }
            syn::Expr::Macro(m) => {
                let name = m
                    .mac
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                self.cx.spanned(&m,
                    format!("macros such as `{name}!` are not supported in a kernel body; a kernel computes values and writes outputs"),
                );
                self.bad(span)
            }
            syn::Expr::Struct(s) => self.struct_literal_as_value(s),
            syn::Expr::Tuple(t) => {
                self.cx
                    .error(t.span(), "tuples are supported only as a kernel's return value");
                self.bad(span)
            }
            syn::Expr::Match(m) => {
                self.cx
                    .error(m.match_token.span, "`match` is not supported; use `if` / `else`");
                self.bad(span)
            }
            syn::Expr::Field(f) => self.field_read(f),
            syn::Expr::Reference(r) => {
                self.cx.spanned(&r,
                    "references are supported only as arguments of calls to other #[xp_kernel] functions (`&row`, `&mut out`)",
                );
                self.bad(span)
            }
            syn::Expr::Array(_) | syn::Expr::Repeat(_) => {
                self.cx.error(
                    span,
                    "array expressions are supported only as the initialiser of `let a = [..];`",
                );
                self.bad(span)
            }
            syn::Expr::Range(_) => {
                self.cx
                    .error(span, "ranges are supported only in `for i in a..b`");
                self.bad(span)
            }
            syn::Expr::Assign(_)
            | syn::Expr::While(_)
            | syn::Expr::ForLoop(_)
            | syn::Expr::Loop(_)
            | syn::Expr::Return(_)
            | syn::Expr::Break(_)
            | syn::Expr::Continue(_) => {
                self.cx
                    .error(span, "this is supported as a statement, not as a value");
                self.bad(span)
            }
            syn::Expr::Try(t) => {
                self.cx.error(
                    t.question_token.span,
                    "the `?` operator is not supported in a kernel body; test the value with `if` and `return` early",
                );
                self.bad(span)
            }
            syn::Expr::Let(l) => {
                self.cx.error(
                    l.let_token.span,
                    "`if let` / `while let` are not supported; compare with `==` instead",
                );
                self.bad(span)
            }
            syn::Expr::Async(a) => {
                self.cx.error(
                    a.async_token.span,
                    "`async` blocks are not supported in a kernel body",
                );
                self.bad(span)
            }
            _ => {
                self.cx
                    .error(span, "this expression is not supported in an #[xp_kernel] body");
                self.bad(span)
            }
        }
    }

    fn if_expr(&mut self, i: &syn::ExprIf) -> Expr {
        let span = i.span();
        let (c, cv) = self.scalar(&i.cond);
        self.require(cv, Scalar::Bool, i.cond.span(), "an `if` condition");
        let then = self.block(&i.then_branch);
        let els = match &i.else_branch {
            None => None,
            Some((_, e)) => Some(match &**e {
                syn::Expr::Block(b) => self.block(&b.block),
                syn::Expr::If(_) => {
                    let inner = self.expr(e);
                    Block {
                        stmts: Vec::new(),
                        tail: Some(Box::new(inner)),
                    }
                }
                other => {
                    self.cx.spanned(&other, "expected a block after `else`");
                    Block {
                        stmts: Vec::new(),
                        tail: None,
                    }
                }
            }),
        };
        let tt = self.block_ty(&then);
        let ty = match &els {
            None => Ty::Unit,
            Some(e) => {
                let et = self.block_ty(e);
                match (tt, et) {
                    (Ty::Scalar(a), Ty::Scalar(b)) => {
                        self.unify(Some(a), Some(b), span, "the branches of `if`");
                        Ty::Scalar(a)
                    }
                    (Ty::Scalar(a), Ty::Unit) if diverges(e) => Ty::Scalar(a),
                    (Ty::Unit, Ty::Scalar(b)) if diverges(&then) => Ty::Scalar(b),
                    (Ty::Tuple(a), Ty::Tuple(b)) if a.len() == b.len() => {
                        for (x, y) in a.iter().zip(&b) {
                            self.unify(Some(*x), Some(*y), span, "the branches of `if`");
                        }
                        Ty::Tuple(a)
                    }
                    (t @ Ty::Tuple(_), _) if diverges(e) => t,
                    (_, t @ Ty::Tuple(_)) if diverges(&then) => t,
                    _ => Ty::Unit,
                }
            }
        };
        Expr {
            kind: ExprKind::If(Box::new(c), then, els),
            ty,
            span,
        }
    }
}

/// A scalar type variable, or `None` after an error.
pub(crate) type TyVarOf = Option<crate::types::TyVar>;

/// Whether a block always leaves by `return`, `break` or `continue`.
pub(crate) fn diverges(b: &Block) -> bool {
    b.tail.is_none()
        && matches!(
            b.stmts.last(),
            Some(Stmt::Return(..) | Stmt::Break(_) | Stmt::Continue(_))
        )
}

pub(crate) fn strip_ref(e: &syn::Expr) -> (&syn::Expr, bool) {
    match e {
        syn::Expr::Reference(r) => (&r.expr, r.mutability.is_some()),
        syn::Expr::Paren(p) => strip_ref(&p.expr),
        other => (other, false),
    }
}

pub(crate) fn unreachable_from_bits() -> Option<crate::types::TyVar> {
    None
}

/// The intrinsic a method name denotes.
pub(crate) fn intrinsic(name: &str) -> Option<Intr> {
    Some(match name {
        "exp" => Intr::Exp,
        "exp2" => Intr::Exp2,
        "ln" => Intr::Ln,
        "log2" => Intr::Log2,
        "log10" => Intr::Log10,
        "sqrt" => Intr::Sqrt,
        "powf" => Intr::Powf,
        "powi" => Intr::Powi,
        "abs" => Intr::Abs,
        "min" => Intr::Min,
        "max" => Intr::Max,
        "floor" => Intr::Floor,
        "ceil" => Intr::Ceil,
        "round" => Intr::Round,
        "trunc" => Intr::Trunc,
        "mul_add" => Intr::MulAdd,
        "signum" => Intr::Signum,
        "recip" => Intr::Recip,
        "is_nan" => Intr::IsNan,
        "is_finite" => Intr::IsFinite,
        "to_bits" => Intr::ToBits,
        "from_bits" => Intr::FromBits,
        _ => return None,
    })
}
