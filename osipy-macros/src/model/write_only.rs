//! The prediction row of a fit model is write-only: checked on the source (whole expressions
//! in the errors) and again on the IR after inlining.

use proc_macro2::Span;
use quote::quote;

use crate::ctxt::Ctxt;
use crate::ir::*;

fn write_only_msg(name: &str, what: &str) -> String {
    let advice = if what.contains("passed") {
        format!("write into a local array, pass that to the kernel, and copy it into `{name}`")
    } else {
        format!("carry the value in a local and write it once (`let v = ..; {name}[k] = v;`)")
    };
    format!(
        "the prediction row `{name}` of a fit model is write-only ({what}): the fit never stores the predicted curve; {advice}"
    )
}

/// The write-only rule on the source, for errors that cover the whole offending expression.
/// (`check_write_only` repeats it on the IR after inlining.)
pub(super) fn check_write_only_syn(cx: &mut Ctxt, f: &syn::ItemFn, name: &str) {
    use syn::visit::Visit;
    struct V<'a> {
        name: &'a str,
        errs: Vec<(proc_macro2::TokenStream, &'static str)>,
    }
    fn is_pred(e: &syn::Expr, name: &str) -> bool {
        match e {
            syn::Expr::Path(p) => p.path.is_ident(name),
            syn::Expr::Paren(p) => is_pred(&p.expr, name),
            syn::Expr::Reference(r) => is_pred(&r.expr, name),
            _ => false,
        }
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            match e {
                // `pred[k] = v`: the place is written, the index and value are visited.
                syn::Expr::Assign(a) => {
                    if let syn::Expr::Index(ix) = &*a.left {
                        if is_pred(&ix.expr, self.name) {
                            self.visit_expr(&ix.index);
                            self.visit_expr(&a.right);
                            return;
                        }
                    }
                }
                syn::Expr::Binary(b) if is_compound(&b.op) => {
                    if let syn::Expr::Index(ix) = &*b.left {
                        if is_pred(&ix.expr, self.name) {
                            self.errs.push((quote!(#b), "a compound assignment reads it"));
                            return;
                        }
                    }
                }
                syn::Expr::Index(ix) if is_pred(&ix.expr, self.name) => {
                    self.errs.push((quote!(#ix), "it is read here"));
                    return;
                }
                syn::Expr::Call(c) => {
                    for a in &c.args {
                        if is_pred(a, self.name) {
                            self.errs.push((quote!(#a), "it is passed to another kernel"));
                        } else {
                            self.visit_expr(a);
                        }
                    }
                    return;
                }
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    fn is_compound(op: &syn::BinOp) -> bool {
        use syn::BinOp::*;
        matches!(
            op,
            AddAssign(_)
                | SubAssign(_)
                | MulAssign(_)
                | DivAssign(_)
                | RemAssign(_)
                | BitXorAssign(_)
                | BitAndAssign(_)
                | BitOrAssign(_)
                | ShlAssign(_)
                | ShrAssign(_)
        )
    }
    let mut v = V {
        name,
        errs: Vec::new(),
    };
    v.visit_block(&f.block);
    for (tokens, what) in v.errs {
        cx.spanned(&tokens, write_only_msg(name, what));
    }
}

/// The prediction row is write-only in a fit model (DESIGN point 7).
pub fn check_write_only(cx: &mut Ctxt, root: &Func, pred: usize) {
    let name = root.sig.params[pred].name.to_string();
    let msg = |what: &str| write_only_msg(&name, what);
    let mut v = WriteOnly {
        pred: ArrayRef::Param(pred),
        errs: Vec::new(),
    };
    v.block(&root.body);
    for (span, what) in v.errs {
        cx.error(span, msg(what));
    }
}

struct WriteOnly {
    pred: ArrayRef,
    errs: Vec<(Span, &'static str)>,
}

impl WriteOnly {
    fn block(&mut self, b: &Block) {
        for s in &b.stmts {
            match s {
                Stmt::Let { init: Some(e), .. } => self.expr(e),
                Stmt::LetArray { init, .. } => match init {
                    ArrayInit::Repeat(x, _) => self.expr(x),
                    ArrayInit::List(xs) => xs.iter().for_each(|x| self.expr(x)),
                },
                Stmt::Assign {
                    place,
                    op,
                    value,
                    span,
                } => {
                    self.expr(value);
                    if let Place::Index(a, i) = place {
                        self.expr(i);
                        if *a == self.pred && op.is_some() {
                            self.errs.push((*span, "a compound assignment reads it"));
                        }
                    }
                }
                Stmt::Expr(e) => self.expr(e),
                Stmt::While { cond, body } => {
                    self.expr(cond);
                    self.block(body);
                }
                Stmt::For { start, end, body, .. } => {
                    self.expr(start);
                    self.expr(end);
                    self.block(body);
                }
                Stmt::Loop(b) => self.block(b),
                Stmt::Return(Some(e), _) => self.expr(e),
                _ => {}
            }
        }
        if let Some(t) = &b.tail {
            self.expr(t);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Index(a, i) => {
                if *a == self.pred {
                    self.errs.push((e.span, "it is read here"));
                }
                self.expr(i);
            }
            ExprKind::Unary(_, x) | ExprKind::Cast(x, _) => self.expr(x),
            ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Intrinsic(_, xs) | ExprKind::Tuple(xs) => xs.iter().for_each(|x| self.expr(x)),
            ExprKind::Call(_, args) => {
                for a in args {
                    match a {
                        Arg::Value(x) => self.expr(x),
                        Arg::Row(r, sp) | Arg::RowMut(r, sp) if *r == self.pred => {
                            self.errs.push((*sp, "it is passed to another kernel"))
                        }
                        _ => {}
                    }
                }
            }
            ExprKind::If(c, t, el) => {
                self.expr(c);
                self.block(t);
                if let Some(el) = el {
                    self.block(el);
                }
            }
            ExprKind::Block(b) => self.block(b),
            ExprKind::Lit(_) | ExprKind::Local(_) | ExprKind::Param(_) | ExprKind::Len(_) => {}
        }
    }
}
