//! `let` statements: scalar, tuple and local-array bindings, and the lengths of local arrays.

use syn::spanned::Spanned;

use crate::ir::*;
use crate::sig::scalar_type;

use super::expr::TyVarOf;
use super::{strip_parens, Lowerer};

impl Lowerer<'_> {
    pub(super) fn let_stmt(&mut self, l: &syn::Local, out: &mut Vec<Stmt>) {
        if let Some(init) = &l.init {
            if let Some((_, d)) = &init.diverge {
                self.cx.spanned(&d, "`let ... else` is not supported");
            }
        }
        let (pat, annot) = match &l.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        let init = l.init.as_ref().map(|i| &*i.expr);
        // Arrays.
        let is_array = matches!(annot, Some(syn::Type::Array(_)))
            || matches!(
                init.map(strip_parens),
                Some(syn::Expr::Array(_) | syn::Expr::Repeat(_))
            );
        if is_array {
            return self.let_array(pat, annot, init, out);
        }
        if self.is_struct_let(annot, init) {
            return self.let_struct(pat, annot, init, out);
        }
        match pat {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                let v = match annot {
                    Some(t) => match scalar_type(t) {
                        Some(s) => self.types.known(s),
                        None => {
                            self.cx.spanned(&t, "unsupported local type: use a scalar (f32 f64 i32 u32 i64 u64 usize bool), `[T; N]` or a struct marked `#[xp_struct]`");
                            self.types.any()
                        }
                    },
                    None => self.types.any(),
                };
                let x = init.map(|e| {
                    let (x, xv) = self.scalar(e);
                    self.unify(Some(v), xv, e.span(), "a `let` binding");
                    x
                });
                let id = self.bind(&pi.ident, LocalTy::Scalar(v));
                out.push(Stmt::Let { locals: vec![Some(id)], init: x });
            }
            syn::Pat::Wild(_) => {
                if let Some(e) = init {
                    let x = self.expr(e);
                    out.push(Stmt::Expr(x));
                }
            }
            syn::Pat::Tuple(t) => self.let_tuple(t, init, out),
            other => self.cx.spanned(&other,
                "unsupported pattern in `let`: bind a name (`let x = ..`) or a tuple of names (`let (a, b) = f(..)`)",
            ),
        }
    }

    fn let_tuple(&mut self, t: &syn::PatTuple, init: Option<&syn::Expr>, out: &mut Vec<Stmt>) {
        let Some(init) = init else {
            self.cx.spanned(&t, "a tuple `let` needs an initialiser");
            return;
        };
        let mut names = Vec::new();
        for p in &t.elems {
            match p {
                syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    names.push(Some(pi.ident.clone()))
                }
                syn::Pat::Wild(_) => names.push(None),
                other => {
                    self.cx.spanned(&other, "tuple patterns hold names or `_`");
                    return;
                }
            }
        }
        if let syn::Expr::Tuple(te) = strip_parens(init) {
            if te.elems.len() != names.len() {
                self.cx.spanned(
                    &te,
                    "the tuple has a different number of elements than the pattern",
                );
                return;
            }
            let vals: Vec<(Expr, TyVarOf)> = te.elems.iter().map(|e| self.scalar(e)).collect();
            for (n, (x, v)) in names.into_iter().zip(vals) {
                let v = v.unwrap_or_else(|| self.types.any());
                let id = n.map(|n| self.bind(&n, LocalTy::Scalar(v)));
                out.push(Stmt::Let {
                    locals: vec![id],
                    init: Some(x),
                });
            }
            return;
        }
        let x = self.expr(init);
        if self.precheck
            && matches!(x.kind, ExprKind::Lit(_))
            && matches!(strip_parens(init), syn::Expr::Call(_))
        {
            for n in names.into_iter().flatten() {
                let v = self.types.any();
                self.bind(&n, LocalTy::Scalar(v));
            }
            return;
        }
        let Ty::Tuple(vs) = x.ty.clone() else {
            self.cx.spanned(&init, "expected a call returning a tuple");
            return;
        };
        if vs.len() != names.len() {
            self.cx.spanned(
                &t,
                format!(
                    "the call returns {} values, the pattern binds {}",
                    vs.len(),
                    names.len()
                ),
            );
            return;
        }
        let ids = names
            .into_iter()
            .zip(vs)
            .map(|(n, v)| n.map(|n| self.bind(&n, LocalTy::Scalar(v))))
            .collect();
        out.push(Stmt::Let {
            locals: ids,
            init: Some(x),
        });
    }

    fn let_array(
        &mut self,
        pat: &syn::Pat,
        annot: Option<&syn::Type>,
        init: Option<&syn::Expr>,
        out: &mut Vec<Stmt>,
    ) {
        let syn::Pat::Ident(pi) = pat else {
            self.cx.spanned(&pat, "bind a local array to a name");
            return;
        };
        let elem = self.types.any();
        let mut len: Option<usize> = None;
        if let Some(syn::Type::Array(a)) = annot {
            match scalar_type(&a.elem) {
                Some(s) => self.require(Some(elem), s, a.elem.span(), "the array's element type"),
                None => self.cx.spanned(&a.elem, "array elements must be scalars"),
            }
            len = self.array_len(&a.len);
        } else if let Some(t) = annot {
            self.cx.spanned(&t, "expected an array type `[T; N]`");
        }
        let Some(init) = init else {
            self.cx.spanned(
                &pat,
                "a local array needs an initialiser: `[0.0; N]` or `[a, b, ..]`",
            );
            return;
        };
        let ai = match strip_parens(init) {
            syn::Expr::Repeat(r) => {
                let (x, v) = self.scalar(&r.expr);
                self.unify(Some(elem), v, r.expr.span(), "the array's element type");
                let n = self.array_len(&r.len);
                if let (Some(a), Some(b)) = (len, n) {
                    if a != b {
                        self.cx.spanned(
                            &r.len,
                            format!("array length {b} differs from the annotation's {a}"),
                        );
                    }
                }
                len = len.or(n);
                ArrayInit::Repeat(Box::new(x), len.unwrap_or(0))
            }
            syn::Expr::Array(a) => {
                let mut xs = Vec::new();
                for e in &a.elems {
                    let (x, v) = self.scalar(e);
                    self.unify(Some(elem), v, e.span(), "the array's element type");
                    xs.push(x);
                }
                if let Some(n) = len {
                    if n != xs.len() {
                        self.cx.spanned(
                            &a,
                            format!("the annotation says {n} elements, the list has {}", xs.len()),
                        );
                    }
                }
                len = Some(xs.len());
                ArrayInit::List(xs)
            }
            other => {
                self.cx.spanned(
                    &other,
                    "a local array is initialised with `[value; N]` or `[a, b, ..]`",
                );
                return;
            }
        };
        let n = len.unwrap_or(0);
        if len == Some(0) {
            self.cx
                .error(pat.span(), "local arrays must have at least one element");
        }
        let id = self.bind(&pi.ident, LocalTy::Array(elem, n));
        out.push(Stmt::LetArray { local: id, init: ai });
    }

    fn array_len(&mut self, e: &syn::Expr) -> Option<usize> {
        let e = match strip_parens(e) {
            syn::Expr::Path(p) => match p.path.get_ident().and_then(|i| self.consts.get(&i.to_string())) {
                Some(v) => v.clone(),
                None => e.clone(),
            },
            _ => e.clone(),
        };
        let e = &e;
        if let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) = strip_parens(e)
        {
            if let Ok(n) = i.base10_parse::<usize>() {
                if n <= 1 << 16 {
                    return Some(n);
                }
                self.cx
                    .error(e.span(), "local arrays hold at most 65536 elements");
                return None;
            }
        }
        self.cx.error(
            e.span(),
            "the length of a local array must be an integer literal or a `const` declared inside the kernel's body (`const N: usize = 4;`); a `const` of the module is not visible to the macro",
        );
        None
    }
}
