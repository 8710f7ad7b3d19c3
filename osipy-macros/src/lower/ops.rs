//! Operators: unary, binary and compound, casts, and indexing rows and local arrays.

use syn::spanned::Spanned;

use crate::ir::*;
use crate::lower::{Binding, Lowerer};
use crate::sig::{scalar_type, ParamKind};
use crate::types::{Known, Scalar};

use super::expr::*;

impl Lowerer<'_> {
    pub(super) fn unary(&mut self, u: &syn::ExprUnary) -> Expr {
        let span = u.span();
        match u.op {
            syn::UnOp::Deref(_) => {
                if let syn::Expr::Path(p) = &*u.expr {
                    if let Some(id) = p.path.get_ident() {
                        if let Some(Binding::Struct(k)) = self.lookup(&id.to_string()) {
                            return self.struct_as_scalar(k, &id.to_string(), span);
                        }
                        if let Some(Binding::Param(i)) = self.lookup(&id.to_string()) {
                            if self.sig.params[i].kind == ParamKind::OutScalar {
                                return Expr {
                                    kind: ExprKind::Param(i),
                                    ty: Ty::Scalar(self.params[i]),
                                    span,
                                };
                            }
                        }
                    }
                }
                self.cx.error(
                    span,
                    "`*` is supported only on an output argument `out: &mut T` (`*out`)",
                );
                self.bad(span)
            }
            syn::UnOp::Neg(_) | syn::UnOp::Not(_) => {
                let op = if matches!(u.op, syn::UnOp::Neg(_)) {
                    UnOp::Neg
                } else {
                    UnOp::Not
                };
                let (x, v) = self.scalar(&u.expr);
                let ty = v.map(Ty::Scalar).unwrap_or(Ty::Unit);
                Expr {
                    kind: ExprKind::Unary(op, Box::new(x)),
                    ty,
                    span,
                }
            }
            _ => {
                self.cx.error(span, "this unary operator is not supported");
                self.bad(span)
            }
        }
    }

    pub(super) fn binary(&mut self, b: &syn::ExprBinary) -> Expr {
        let span = b.span();
        let Some(op) = bin_op(&b.op) else {
            self.cx
                .error(span, "compound assignment is a statement, not a value");
            return self.bad(span);
        };
        let (l, lv) = self.scalar(&b.left);
        let (r, rv) = self.scalar(&b.right);
        let ty = match op {
            BinOp::Shl | BinOp::Shr => lv,
            BinOp::And | BinOp::Or => {
                self.require(lv, Scalar::Bool, b.left.span(), "`&&` / `||`");
                self.require(rv, Scalar::Bool, b.right.span(), "`&&` / `||`");
                lv
            }
            _ => {
                self.unify(lv, rv, span, "a binary operation");
                if op.is_comparison() {
                    Some(self.types.known(Scalar::Bool))
                } else {
                    lv
                }
            }
        };
        Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            ty: ty.map(Ty::Scalar).unwrap_or(Ty::Unit),
            span,
        }
    }

    pub(super) fn cast(&mut self, c: &syn::ExprCast) -> Expr {
        let span = c.span();
        let (x, v) = self.scalar(&c.expr);
        let Some(to) = scalar_type(&c.ty) else {
            self.cx.spanned(&c.ty,
                "unsupported cast: `as` converts between the scalar types f32 f64 i32 u32 i64 u64 usize (and from bool to an integer)",
            );
            return self.bad(span);
        };
        if to == Scalar::Bool {
            self.cx
                .spanned(&c.ty, "unsupported cast to `bool`; compare instead (`x != 0`)");
        }
        if let Some(v) = v {
            if self.types.probe(v) == Known::Scalar(Scalar::Bool) && to.is_float() {
                self.cx.error(
                    span,
                    "unsupported cast from `bool` to a float; cast to an integer first",
                );
            }
        }
        let tv = self.types.known(to);
        Expr {
            kind: ExprKind::Cast(Box::new(x), to),
            ty: Ty::Scalar(tv),
            span,
        }
    }

    /// Resolves an expression naming a row or local array.
    pub(crate) fn array_ref(&mut self, e: &syn::Expr, what: &str) -> Option<(ArrayRef, TyVarOf, bool)> {
        let name = match e {
            syn::Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
            syn::Expr::Paren(p) => return self.array_ref(&p.expr, what),
            _ => None,
        };
        let found = name.as_deref().and_then(|n| self.lookup(n));
        match found {
            Some(Binding::Param(i))
                if matches!(self.sig.params[i].kind, ParamKind::Row | ParamKind::OutRow) =>
            {
                Some((
                    ArrayRef::Param(i),
                    Some(self.params[i]),
                    self.sig.params[i].kind == ParamKind::OutRow,
                ))
            }
            Some(Binding::Local(l)) => match self.locals[l].ty {
                LocalTy::Array(v, _) => Some((ArrayRef::Local(l), Some(v), true)),
                LocalTy::Scalar(_) => {
                    self.cx.spanned(
                        &e,
                        format!(
                            "{what}: `{}` is a scalar, not a row or array",
                            name.unwrap_or_default()
                        ),
                    );
                    None
                }
            },
            _ => {
                self.cx.spanned(
                    &e,
                    format!("{what}: expected a row argument or a local array by name"),
                );
                None
            }
        }
    }

    pub(super) fn index(&mut self, ix: &syn::ExprIndex) -> Expr {
        let span = ix.span();
        let Some((a, ev, _)) = self.array_ref(&ix.expr, "indexing") else {
            return self.bad(span);
        };
        let (i, iv) = self.scalar(&ix.index);
        self.require(
            iv,
            Scalar::Usize,
            ix.index.span(),
            "an index (indices are `usize`)",
        );
        Expr {
            kind: ExprKind::Index(a, Box::new(i)),
            ty: ev.map(Ty::Scalar).unwrap_or(Ty::Unit),
            span,
        }
    }

    pub(crate) fn expr_ty_of_first(&self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Intrinsic(_, a) if !a.is_empty() => a[0].ty.clone(),
            _ => Ty::Unit,
        }
    }
}

pub(crate) fn bin_op(op: &syn::BinOp) -> Option<BinOp> {
    use syn::BinOp as B;
    Some(match op {
        B::Add(_) => BinOp::Add,
        B::Sub(_) => BinOp::Sub,
        B::Mul(_) => BinOp::Mul,
        B::Div(_) => BinOp::Div,
        B::Rem(_) => BinOp::Rem,
        B::BitAnd(_) => BinOp::BitAnd,
        B::BitOr(_) => BinOp::BitOr,
        B::BitXor(_) => BinOp::BitXor,
        B::Shl(_) => BinOp::Shl,
        B::Shr(_) => BinOp::Shr,
        B::Eq(_) => BinOp::Eq,
        B::Ne(_) => BinOp::Ne,
        B::Lt(_) => BinOp::Lt,
        B::Le(_) => BinOp::Le,
        B::Gt(_) => BinOp::Gt,
        B::Ge(_) => BinOp::Ge,
        B::And(_) => BinOp::And,
        B::Or(_) => BinOp::Or,
        _ => return None,
    })
}

/// The operator of a compound assignment (`+=` gives `Add`).
pub(crate) fn compound_op(op: &syn::BinOp) -> Option<BinOp> {
    use syn::BinOp as B;
    Some(match op {
        B::AddAssign(_) => BinOp::Add,
        B::SubAssign(_) => BinOp::Sub,
        B::MulAssign(_) => BinOp::Mul,
        B::DivAssign(_) => BinOp::Div,
        B::RemAssign(_) => BinOp::Rem,
        B::BitAndAssign(_) => BinOp::BitAnd,
        B::BitOrAssign(_) => BinOp::BitOr,
        B::BitXorAssign(_) => BinOp::BitXor,
        B::ShlAssign(_) => BinOp::Shl,
        B::ShrAssign(_) => BinOp::Shr,
        _ => return None,
    })
}
