//! Struct values bound by `let` and assigned whole (`s = t`, `s.f = x`): one local per field.

use quote::format_ident;
use syn::spanned::Spanned;

use crate::ir::*;
use crate::lower::{strip_parens, Lowerer};

use super::structs::*;

impl Lowerer<'_> {
    /// `let s = <struct>;`, `let s: S = ..;` or `let s: S;`
    pub(crate) fn let_struct(
        &mut self,
        pat: &syn::Pat,
        annot: Option<&syn::Type>,
        init: Option<&syn::Expr>,
        out: &mut Vec<Stmt>,
    ) {
        let name = match pat {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => pi.ident.clone(),
            other => {
                self.cx.spanned(
                    &other,
                    "bind a struct to a name (`let s = S { .. };`) and read its fields as `s.field`",
                );
                return;
            }
        };
        let annot_layout = match annot.and_then(crate::structs::candidate) {
            Some(p) => match self.layout_of(p) {
                Some(l) => Some(l),
                None => {
                    self.cx.spanned(p, "internal: struct layout not fetched");
                    return;
                }
            },
            None => None,
        };
        let Some(init) = init else {
            let layout = annot_layout.flatten();
            let mut fields = Vec::new();
            for (f, s) in layout.iter().flat_map(|l| l.fields.iter()) {
                let v = self.types.known(*s);
                let id = self.add_local(&format_ident!("{}_{}", name, f), LocalTy::Scalar(v));
                out.push(Stmt::Let {
                    locals: vec![Some(id)],
                    init: None,
                });
                fields.push(FieldRef::Local(id));
            }
            self.bind_struct(&name, layout, fields);
            return;
        };
        if self.precheck
            && matches!(strip_parens(init), syn::Expr::Call(_))
            && self.struct_value_of_call_unknown(init)
        {
            // Callees are not fetched yet: the call's value is not typed.
            let _ = self.expr(init);
            self.bind_struct(&name, None, Vec::new());
            return;
        }
        let Some(sv) = self.struct_value(init) else {
            let want = annot_layout.flatten();
            self.cx.spanned(
                &init,
                format!("expected a value of {}: a struct literal, a struct local or argument, or a call of a kernel returning one", name_of(&want)),
            );
            let _ = self.expr(init);
            return;
        };
        if let Some(want) = &annot_layout {
            self.check_layout(want, &sv, init.span(), "a `let` binding");
        }
        let layout = sv.layout().clone();
        let fields = match sv {
            SValue::Fields { values, order, .. } => {
                let mut ids: Vec<Option<LocalId>> = vec![None; values.len()];
                let mut values: Vec<Option<Expr>> = values.into_iter().map(Some).collect();
                // Evaluated as written; fields not written (after an error) last.
                let rest: Vec<usize> = (0..values.len()).filter(|i| !order.contains(i)).collect();
                for i in order.into_iter().chain(rest) {
                    let Some(x) = values[i].take() else { continue };
                    let v = match x.ty {
                        Ty::Scalar(v) => v,
                        _ => self.types.any(),
                    };
                    let f = layout.as_ref().map(|l| l.fields[i].0.clone());
                    let n = f.map_or_else(|| name.clone(), |f| format_ident!("{}_{}", name, f));
                    let id = self.add_local(&n, LocalTy::Scalar(v));
                    out.push(Stmt::Let {
                        locals: vec![Some(id)],
                        init: Some(x),
                    });
                    ids[i] = Some(id);
                }
                ids.into_iter().flatten().map(FieldRef::Local).collect()
            }
            SValue::Call { call, .. } => {
                let vars = match &call.ty {
                    Ty::Tuple(vs) => vs.clone(),
                    _ => Vec::new(),
                };
                let ids: Vec<LocalId> = vars
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let f = layout.as_ref().and_then(|l| l.fields.get(i)).map(|f| f.0.clone());
                        let n = f.map_or_else(|| name.clone(), |f| format_ident!("{}_{}", name, f));
                        self.add_local(&n, LocalTy::Scalar(*v))
                    })
                    .collect();
                out.push(Stmt::Let {
                    locals: ids.iter().map(|i| Some(*i)).collect(),
                    init: Some(call),
                });
                ids.into_iter().map(FieldRef::Local).collect()
            }
        };
        self.bind_struct(&name, layout, fields);
    }

    /// `s = <struct>;` (or `*s = ..` for `s: &mut S`): the new fields are computed into fresh
    /// locals first (the value may read `s`), then assigned.
    pub(crate) fn struct_assign(&mut self, a: &syn::ExprAssign) -> Option<Stmt> {
        let k = self.struct_target(&a.left)?;
        let span = a.span();
        if self.precheck && matches!(strip_parens(&a.right), syn::Expr::Call(_)) {
            // Callees are not fetched yet: the call's value is not typed.
            let _ = self.expr(&a.right);
            return Some(Stmt::Expr(self.bad(span)));
        }
        let Some(sv) = self.struct_value(&a.right) else {
            let want = self.svals[k].layout.clone();
            self.cx.spanned(
                &a.right,
                format!("expected a value of {}: a struct literal, a struct local or argument, or a call of a kernel returning one", name_of(&want)),
            );
            return Some(Stmt::Expr(self.bad(span)));
        };
        let want = self.svals[k].layout.clone();
        self.check_layout(&want, &sv, span, "an assignment");
        let targets = self.svals[k].fields.clone();
        let mut stmts = Vec::new();
        let temps: Vec<LocalId> = match sv {
            SValue::Fields { values, order, .. } => {
                let mut ids: Vec<Option<LocalId>> = vec![None; values.len()];
                let mut values: Vec<Option<Expr>> = values.into_iter().map(Some).collect();
                for i in order {
                    let Some(x) = values[i].take() else { continue };
                    let v = match x.ty {
                        Ty::Scalar(v) => v,
                        _ => self.types.any(),
                    };
                    let id = self.add_local(&format_ident!("__xp_new{}", i), LocalTy::Scalar(v));
                    stmts.push(Stmt::Let {
                        locals: vec![Some(id)],
                        init: Some(x),
                    });
                    ids[i] = Some(id);
                }
                ids.into_iter().flatten().collect()
            }
            SValue::Call { call, .. } => {
                let vars = match &call.ty {
                    Ty::Tuple(vs) => vs.clone(),
                    _ => Vec::new(),
                };
                let ids: Vec<LocalId> = vars
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.add_local(&format_ident!("__xp_new{}", i), LocalTy::Scalar(*v)))
                    .collect();
                stmts.push(Stmt::Let {
                    locals: ids.iter().map(|i| Some(*i)).collect(),
                    init: Some(call),
                });
                ids
            }
        };
        for (t, tmp) in targets.iter().zip(temps) {
            let place = match t {
                FieldRef::Local(l) => Place::Local(*l),
                FieldRef::Param(i) => Place::Param(*i),
            };
            let value = self.field_expr(FieldRef::Local(tmp), span);
            stmts.push(Stmt::Assign {
                place,
                op: None,
                value,
                span,
            });
        }
        Some(Stmt::Expr(Expr {
            kind: ExprKind::Block(Block { stmts, tail: None }),
            ty: Ty::Unit,
            span,
        }))
    }
}
