//! Lowering expressions: syn AST to typed IR.

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::ir::*;
use crate::lower::{Binding, Lowerer};
use crate::sig::{scalar_type, ParamKind};
use crate::types::{mismatch, Known, Scalar};

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

    fn lit(&mut self, l: &syn::Lit) -> Expr {
        let span = l.span();
        let (kind, v) = match l {
            syn::Lit::Int(i) => {
                let v = match i.suffix() {
                    "" => self.types.int(),
                    s => match Scalar::from_name(s) {
                        Some(sc) if !matches!(sc, Scalar::Bool) => self.types.known(sc),
                        _ => {
                            self.cx.error(span, format!("literal suffix `{s}` is not supported; use one of f32 f64 i32 u32 i64 u64 usize"));
                            self.types.any()
                        }
                    },
                };
                if self.types.probe(v) == Known::Scalar(Scalar::F64)
                    || self.types.probe(v) == Known::Scalar(Scalar::F32)
                {
                    (LitVal::Float(FloatLit::Text(i.base10_digits().to_string())), v)
                } else {
                    match i.base10_parse::<u128>() {
                        Ok(n) => (LitVal::Int(n), v),
                        Err(e) => {
                            self.cx.push(e);
                            (LitVal::Int(0), v)
                        }
                    }
                }
            }
            syn::Lit::Float(f) => {
                let v = match f.suffix() {
                    "" => self.types.float(),
                    "f32" => self.types.known(Scalar::F32),
                    "f64" => self.types.known(Scalar::F64),
                    s => {
                        self.cx.error(
                            span,
                            format!("literal suffix `{s}` is not supported on a float; use f32 or f64"),
                        );
                        self.types.float()
                    }
                };
                (LitVal::Float(FloatLit::Text(f.base10_digits().to_string())), v)
            }
            syn::Lit::Bool(b) => (LitVal::Bool(b.value), self.types.known(Scalar::Bool)),
            _ => {
                self.cx.error(
                    span,
                    "only number and `true`/`false` literals are supported in a kernel body",
                );
                return self.bad(span);
            }
        };
        Expr {
            kind: ExprKind::Lit(kind),
            ty: Ty::Scalar(v),
            span,
        }
    }

    fn path_expr(&mut self, p: &syn::ExprPath) -> Expr {
        let span = p.span();
        if let Some(id) = p.path.get_ident() {
            let name = id.to_string();
            match self.lookup(&name) {
                Some(Binding::Local(l)) => match self.locals[l].ty {
                    LocalTy::Scalar(v) => {
                        return Expr {
                            kind: ExprKind::Local(l),
                            ty: Ty::Scalar(v),
                            span,
                        }
                    }
                    LocalTy::Array(..) => {
                        self.cx.error(
                            span,
                            format!("the array `{name}` cannot be used as a value; index it (`{name}[i]`)"),
                        );
                        return self.bad(span);
                    }
                },
                Some(Binding::Param(i)) => {
                    let p = &self.sig.params[i];
                    return match p.kind {
                        ParamKind::Scalar => Expr {
                            kind: ExprKind::Param(i),
                            ty: Ty::Scalar(self.params[i]),
                            span,
                        },
                        ParamKind::OutScalar => {
                            self.cx.error(
                                span,
                                format!(
                                    "`{name}` is an output `&mut {}`: read or write it as `*{name}`",
                                    p.elem.name()
                                ),
                            );
                            self.bad(span)
                        }
                        _ => {
                            self.cx.error(span, format!("the row `{name}` cannot be used as a value; index it (`{name}[i]`) or take `{name}.len()`"));
                            self.bad(span)
                        }
                    };
                }
                Some(Binding::Struct(k)) => return self.struct_as_scalar(k, &name, span),
                None => {}
            }
            if let Some(c) = self.consts.get(&name).cloned() {
                return self.expr(&c);
            }
            self.cx.error(
                span,
                format!("cannot find `{name}` in this kernel; a kernel body sees only its arguments, its locals, the `const` items declared inside it and scalar constants such as `std::f64::consts::PI` (a `const` of the module is not visible to the macro: declare it inside the body)"),
            );
            return self.bad(span);
        }
        if let Some(e) = self.constant(&p.path, span) {
            return e;
        }
        self.cx.error(
            span,
            "unsupported path: a kernel body can name its arguments, its locals and constants such as `std::f64::consts::PI`, `f64::INFINITY`, `i32::MAX`",
        );
        self.bad(span)
    }

    fn constant(&mut self, path: &syn::Path, span: Span) -> Option<Expr> {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let mut rest: &[String] = &segs;
        if matches!(rest.first().map(String::as_str), Some("std" | "core")) {
            rest = &rest[1..];
        }
        let ty = Scalar::from_name(rest.first()?)?;
        let name = match rest {
            [_, c] => c.as_str(),
            [_, m, c] if m == "consts" => c.as_str(),
            _ => return None,
        };
        let lit = if ty.is_float() {
            let (d, s) = float_const(name)?;
            LitVal::Float(FloatLit::Exact {
                f64_bits: d.to_bits(),
                f32_bits: s.to_bits(),
            })
        } else {
            LitVal::Int(int_const(ty, name)?)
        };
        let v = self.types.known(ty);
        Some(Expr {
            kind: ExprKind::Lit(lit),
            ty: Ty::Scalar(v),
            span,
        })
    }

    fn unary(&mut self, u: &syn::ExprUnary) -> Expr {
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

    fn binary(&mut self, b: &syn::ExprBinary) -> Expr {
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

    fn cast(&mut self, c: &syn::ExprCast) -> Expr {
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

    fn index(&mut self, ix: &syn::ExprIndex) -> Expr {
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

pub(crate) fn float_const(name: &str) -> Option<(f64, f32)> {
    use std::{f32::consts as s, f64::consts as d};
    Some(match name {
        "PI" => (d::PI, s::PI),
        "TAU" => (d::TAU, s::TAU),
        "E" => (d::E, s::E),
        "SQRT_2" => (d::SQRT_2, s::SQRT_2),
        "FRAC_1_SQRT_2" => (d::FRAC_1_SQRT_2, s::FRAC_1_SQRT_2),
        "LN_2" => (d::LN_2, s::LN_2),
        "LN_10" => (d::LN_10, s::LN_10),
        "LOG2_E" => (d::LOG2_E, s::LOG2_E),
        "LOG10_E" => (d::LOG10_E, s::LOG10_E),
        "LOG2_10" => (d::LOG2_10, s::LOG2_10),
        "LOG10_2" => (d::LOG10_2, s::LOG10_2),
        "FRAC_PI_2" => (d::FRAC_PI_2, s::FRAC_PI_2),
        "FRAC_PI_3" => (d::FRAC_PI_3, s::FRAC_PI_3),
        "FRAC_PI_4" => (d::FRAC_PI_4, s::FRAC_PI_4),
        "FRAC_PI_6" => (d::FRAC_PI_6, s::FRAC_PI_6),
        "FRAC_PI_8" => (d::FRAC_PI_8, s::FRAC_PI_8),
        "FRAC_1_PI" => (d::FRAC_1_PI, s::FRAC_1_PI),
        "FRAC_2_PI" => (d::FRAC_2_PI, s::FRAC_2_PI),
        "FRAC_2_SQRT_PI" => (d::FRAC_2_SQRT_PI, s::FRAC_2_SQRT_PI),
        "INFINITY" => (f64::INFINITY, f32::INFINITY),
        "NEG_INFINITY" => (f64::NEG_INFINITY, f32::NEG_INFINITY),
        "NAN" => (f64::NAN, f32::NAN),
        "EPSILON" => (f64::EPSILON, f32::EPSILON),
        "MAX" => (f64::MAX, f32::MAX),
        "MIN" => (f64::MIN, f32::MIN),
        "MIN_POSITIVE" => (f64::MIN_POSITIVE, f32::MIN_POSITIVE),
        _ => return None,
    })
}

pub(crate) fn int_const(ty: Scalar, name: &str) -> Option<u128> {
    let (min, max): (i128, i128) = match ty {
        Scalar::I32 => (i32::MIN.into(), i32::MAX.into()),
        Scalar::U32 => (0, u32::MAX.into()),
        Scalar::I64 => (i64::MIN.into(), i64::MAX.into()),
        Scalar::U64 | Scalar::Usize => (0, u64::MAX.into()),
        _ => return None,
    };
    match name {
        "MAX" => Some(max as u128),
        "MIN" => Some(min as u128),
        _ => None,
    }
}
