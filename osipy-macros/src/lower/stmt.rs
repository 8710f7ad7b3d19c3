//! Statements: blocks and their scopes, assignments, loops and jumps, the function's return
//! value, and the places a statement writes.

use syn::spanned::Spanned;

use crate::ir::*;
use crate::sig::ParamKind;
use crate::types::Scalar;

use super::expr::TyVarOf;
use super::ops::compound_op;
use super::{strip_parens, Binding, Lowerer};

impl Lowerer<'_> {
    /// Lowers a block in a new scope.
    pub(crate) fn block(&mut self, b: &syn::Block) -> Block {
        self.scopes.push(Vec::new());
        self.depth += 1;
        let mut stmts = Vec::new();
        let mut tail = None;
        let n = b.stmts.len();
        for (k, s) in b.stmts.iter().enumerate() {
            match s {
                syn::Stmt::Local(l) => self.let_stmt(l, &mut stmts),
                // Read by `collect_consts` before the body.
                syn::Stmt::Item(syn::Item::Const(_)) => {}
                syn::Stmt::Item(it) => self.cx.spanned(&it,
                    "items (fn, struct, use, ...) other than `const` are not supported inside a kernel body; define another #[xp_kernel] function",
                ),
                syn::Stmt::Macro(m) => {
                    let name = m.mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                    self.cx.spanned(&m,
                        format!("macros such as `{name}!` are not supported in a kernel body; a kernel computes values and writes outputs"),
                    );
                }
                syn::Stmt::Expr(e, semi) => {
                    if let Some(st) = self.stmt_like(e) {
                        stmts.push(st);
                    } else if semi.is_none() && k + 1 == n {
                        let fn_level = self.depth == 1;
                        tail = Some(Box::new(self.return_value(e, fn_level)));
                    } else {
                        let x = self.expr(e);
                        stmts.push(Stmt::Expr(x));
                    }
                }
            }
        }
        self.scopes.pop();
        self.depth -= 1;
        Block { stmts, tail }
    }

    /// Expressions that are statements: assignments, loops, jumps. `None` for other expressions.
    fn stmt_like(&mut self, e: &syn::Expr) -> Option<Stmt> {
        Some(match e {
            syn::Expr::Assign(a) if self.struct_target(&a.left).is_some() => return self.struct_assign(a),
            syn::Expr::Assign(a) => {
                let (value, vv) = self.scalar(&a.right);
                let (place, pv) = self.place(&a.left)?;
                self.unify(pv, vv, a.span(), "an assignment");
                Stmt::Assign {
                    place,
                    op: None,
                    value,
                    span: a.span(),
                }
            }
            syn::Expr::Binary(b) if compound_op(&b.op).is_some() => {
                let op = compound_op(&b.op)?;
                let (value, vv) = self.scalar(&b.right);
                let (place, pv) = self.place(&b.left)?;
                if !matches!(op, BinOp::Shl | BinOp::Shr) {
                    self.unify(pv, vv, b.span(), "a compound assignment");
                }
                Stmt::Assign {
                    place,
                    op: Some(op),
                    value,
                    span: b.span(),
                }
            }
            syn::Expr::While(w) => {
                self.no_label(&w.label);
                let (cond, cv) = self.scalar(&w.cond);
                self.require(cv, Scalar::Bool, w.cond.span(), "a `while` condition");
                self.loops += 1;
                let body = self.block(&w.body);
                self.loops -= 1;
                Stmt::While { cond, body }
            }
            syn::Expr::Loop(l) => {
                self.no_label(&l.label);
                self.loops += 1;
                let body = self.block(&l.body);
                self.loops -= 1;
                Stmt::Loop(body)
            }
            syn::Expr::ForLoop(f) => return Some(self.for_loop(f)),
            syn::Expr::Break(b) => {
                if b.label.is_some() {
                    self.cx.spanned(
                        &b,
                        "loop labels are not supported; leave nested loops with a `bool` flag and `break`",
                    );
                }
                if let Some(v) = &b.expr {
                    self.cx.spanned(
                        &v,
                        "`break` with a value is not supported; assign to a local before `break`",
                    );
                }
                if self.loops == 0 {
                    self.cx.spanned(&b, "`break` outside a loop");
                }
                Stmt::Break(b.span())
            }
            syn::Expr::Continue(c) => {
                if c.label.is_some() {
                    self.cx.spanned(
                        &c,
                        "loop labels are not supported; leave nested loops with a `bool` flag and `break`",
                    );
                }
                if self.loops == 0 {
                    self.cx.spanned(&c, "`continue` outside a loop");
                }
                Stmt::Continue(c.span())
            }
            syn::Expr::Return(r) => {
                let v = r.expr.as_ref().map(|e| {
                    let x = self.return_value(e, true);
                    self.check_return(x)
                });
                if v.is_none() && !self.sig.ret.is_empty() {
                    self.cx
                        .error(r.span(), "`return` needs the kernel's return value");
                }
                Stmt::Return(v, r.span())
            }
            _ => return None,
        })
    }

    fn no_label(&mut self, l: &Option<syn::Label>) {
        if let Some(l) = l {
            self.cx.spanned(
                &l,
                "loop labels are not supported; leave nested loops with a `bool` flag and `break`",
            );
        }
    }

    /// Checks a returned value against the signature.
    pub(super) fn check_return(&mut self, x: Expr) -> Expr {
        if self.precheck {
            // Calls are untyped before callees are fetched; the full lowering checks this.
            return x;
        }
        let span = x.span;
        let ret = self.ret.clone();
        match (&x.ty, ret.len()) {
            (Ty::Unit, 0) => {}
            (Ty::Scalar(v), 1) if !self.sig.ret_tuple => {
                let v = *v;
                self.unify(Some(v), Some(ret[0]), span, "the return value");
            }
            (Ty::Tuple(vs), n) if vs.len() == n => {
                let vs = vs.clone();
                for (a, b) in vs.into_iter().zip(ret) {
                    self.unify(Some(a), Some(b), span, "the return value");
                }
            }
            _ => {
                if let ExprKind::Tuple(_) = x.kind {
                } else if !matches!(x.kind, ExprKind::If(..) | ExprKind::Block(_)) || !ret.is_empty() {
                    self.cx
                        .error(span, "this value does not match the kernel's return type");
                }
            }
        }
        x
    }

    /// Lowers the tail or `return` value, allowing a tuple expression there.
    pub(crate) fn tuple_or_expr(&mut self, e: &syn::Expr) -> Expr {
        if let syn::Expr::Tuple(t) = e {
            let mut xs = Vec::new();
            let mut vs = Vec::new();
            for el in &t.elems {
                let (x, v) = self.scalar(el);
                xs.push(x);
                vs.push(v.unwrap_or_else(|| self.types.any()));
            }
            return Expr {
                kind: ExprKind::Tuple(xs),
                ty: Ty::Tuple(vs),
                span: t.span(),
            };
        }
        self.expr(e)
    }

    fn place(&mut self, e: &syn::Expr) -> Option<(Place, TyVarOf)> {
        match e {
            syn::Expr::Paren(p) => self.place(&p.expr),
            syn::Expr::Path(p) if p.path.get_ident().is_some() => {
                let name = p.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                match self.lookup(&name) {
                    Some(Binding::Local(l)) => match self.locals[l].ty {
                        LocalTy::Scalar(v) => Some((Place::Local(l), Some(v))),
                        LocalTy::Array(..) => {
                            self.cx.spanned(
                                &e,
                                "assigning a whole array is not supported; assign its elements",
                            );
                            None
                        }
                    },
                    Some(Binding::Param(i)) if self.sig.params[i].kind == ParamKind::Scalar => {
                        Some((Place::Param(i), Some(self.params[i])))
                    }
                    Some(Binding::Param(i)) if self.sig.params[i].kind == ParamKind::OutScalar => {
                        self.cx
                            .error(e.span(), format!("write the output through `*{name} = ...`"));
                        None
                    }
                    Some(Binding::Struct(_)) => {
                        self.cx.spanned(&e, format!("cannot assign a scalar to the struct `{name}`: assign its fields (`{name}.field = ..`)"));
                        None
                    }
                    _ => {
                        self.cx.spanned(&e, format!("cannot assign to `{name}`"));
                        None
                    }
                }
            }
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                let x = self.expr(e);
                match x.kind {
                    ExprKind::Param(i) => Some((Place::Param(i), Some(self.params[i]))),
                    _ => None,
                }
            }
            syn::Expr::Field(f) => self.field_place(f),
            syn::Expr::Index(ix) => {
                let (a, ev, writable) = self.array_ref(&ix.expr, "assignment")?;
                if !writable {
                    self.cx.spanned(
                        &ix.expr,
                        "cannot assign into an input row; write into an output `&mut [T]` or a local array",
                    );
                }
                let (i, iv) = self.scalar(&ix.index);
                self.require(
                    iv,
                    Scalar::Usize,
                    ix.index.span(),
                    "an index (indices are `usize`)",
                );
                Some((Place::Index(a, Box::new(i)), ev))
            }
            _ => {
                self.cx.spanned(
                    &e,
                    "unsupported assignment target: assign to a local, `*out`, or an element `row[i]`",
                );
                None
            }
        }
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop) -> Stmt {
        self.no_label(&f.label);
        let (range, rev) = match &*f.expr {
            syn::Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() => {
                (strip_parens(&m.receiver), true)
            }
            other => (strip_parens(other), false),
        };
        let syn::Expr::Range(r) = range else {
            self.cx.spanned(
                &f.expr,
                "`for` loops iterate over an integer range: `a..b`, `a..=b` or `(a..b).rev()`",
            );
            return Stmt::Loop(Block {
                stmts: Vec::new(),
                tail: None,
            });
        };
        let (Some(s), Some(e)) = (&r.start, &r.end) else {
            self.cx
                .error(r.span(), "a `for` range needs both ends: `a..b` or `a..=b`");
            return Stmt::Loop(Block {
                stmts: Vec::new(),
                tail: None,
            });
        };
        let inclusive = matches!(r.limits, syn::RangeLimits::Closed(_));
        let (start, sv) = self.scalar(s);
        let (end, ev) = self.scalar(e);
        self.unify(sv, ev, r.span(), "the ends of a range");
        let v = sv.unwrap_or_else(|| self.types.int());
        if matches!(
            self.types.probe(v),
            crate::types::Known::Float
                | crate::types::Known::Scalar(Scalar::F32 | Scalar::F64 | Scalar::Bool)
        ) {
            self.cx.spanned(&r, "a `for` range must be of integers");
        }
        self.scopes.push(Vec::new());
        let name = match &*f.pat {
            syn::Pat::Ident(pi) => pi.ident.clone(),
            syn::Pat::Wild(w) => syn::Ident::new("_", w.span()),
            other => {
                self.cx.spanned(&other, "the loop variable must be a name");
                syn::Ident::new("_", other.span())
            }
        };
        let var = self.bind(&name, LocalTy::Scalar(v));
        self.loops += 1;
        let body = self.block(&f.body);
        self.loops -= 1;
        self.scopes.pop();
        Stmt::For {
            var,
            start,
            end,
            inclusive,
            rev,
            body,
        }
    }
}
