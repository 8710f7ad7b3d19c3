//! Lowering of structs marked `#[xp_struct]`: a struct value is one scalar per field (locals,
//! or the parameters of a struct argument), so the IR, the backends and the differentiation see
//! scalars only. A `let` of a struct binds one local per field; `s.f` reads or assigns one of
//! them (`struct_call`: struct arguments of calls, returned structs).

use std::rc::Rc;

use quote::{format_ident, ToTokens};
use syn::spanned::Spanned;

use crate::calls::path_key;
use crate::ir::*;
use crate::lower::expr::TyVarOf;
use crate::lower::{strip_parens, Binding, Lowerer};
use crate::structs::Layout;

/// Where one field of a struct value lives.
#[derive(Clone, Copy)]
pub(crate) enum FieldRef {
    /// A local scalar.
    Local(LocalId),
    /// A scalar parameter (a field of a struct argument; `OutScalar` for `&mut S`).
    Param(usize),
}

/// A struct value in scope.
pub(crate) struct StructVal {
    /// Its layout (`None` while checking a body before layouts are fetched).
    pub(crate) layout: Option<Rc<Layout>>,
    /// Its fields, in declaration order.
    pub(crate) fields: Vec<FieldRef>,
}

/// A struct-valued expression, lowered.
pub(crate) enum SValue {
    /// Field values in declaration order, and the order they are evaluated in (as written).
    Fields {
        layout: Option<Rc<Layout>>,
        values: Vec<Expr>,
        order: Vec<usize>,
    },
    /// A call of a kernel returning the struct: one value per field, as a tuple.
    Call { layout: Option<Rc<Layout>>, call: Expr },
}

impl SValue {
    pub(crate) fn layout(&self) -> &Option<Rc<Layout>> {
        match self {
            SValue::Fields { layout, .. } | SValue::Call { layout, .. } => layout,
        }
    }
}

pub(crate) fn name_of(l: &Option<Rc<Layout>>) -> String {
    l.as_ref()
        .map_or_else(|| "a struct".to_string(), |l| format!("`{}`", l.name))
}

fn path_text(p: &syn::Path) -> String {
    p.to_token_stream().to_string().replace(' ', "")
}

impl Lowerer<'_> {
    /// The struct value an expression names: `s`, `*s` or `(s)` for a struct local or argument.
    pub(crate) fn struct_target(&self, e: &syn::Expr) -> Option<usize> {
        let e = match strip_parens(e) {
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip_parens(&u.expr),
            other => other,
        };
        let syn::Expr::Path(p) = e else { return None };
        match self.lookup(&p.path.get_ident()?.to_string())? {
            Binding::Struct(k) => Some(k),
            _ => None,
        }
    }

    /// The layout a struct path of this function names; `Some(None)` while checking the body
    /// before layouts are fetched.
    fn layout_of(&self, p: &syn::Path) -> Option<Option<Rc<Layout>>> {
        match self.structs.get(&path_key(p)) {
            Some(l) => Some(Some(l.clone())),
            None if self.precheck => Some(None),
            None => None,
        }
    }

    /// The struct a called kernel returns, if it returns one.
    fn call_returns_struct(&self, e: &syn::Expr) -> Option<Option<Rc<Layout>>> {
        let syn::Expr::Call(c) = strip_parens(e) else {
            return None;
        };
        let syn::Expr::Path(p) = &*c.func else { return None };
        let idx = self.call_index.get(&path_key(&p.path))?;
        self.callee_sigs.get(*idx)?.ret_struct.clone()
    }

    /// Whether a call's value is unknown (before callees are fetched).
    fn struct_value_of_call_unknown(&self, e: &syn::Expr) -> bool {
        self.call_returns_struct(e).is_none()
    }

    /// Whether a `let` binds a struct: a struct type annotation, or a struct-valued initialiser.
    pub(crate) fn is_struct_let(&self, annot: Option<&syn::Type>, init: Option<&syn::Expr>) -> bool {
        if annot.and_then(crate::structs::candidate).is_some() {
            return true;
        }
        init.is_some_and(|e| {
            matches!(strip_parens(e), syn::Expr::Struct(_))
                || self.struct_target(e).is_some()
                || self.call_returns_struct(e).is_some()
        })
    }

    pub(crate) fn field_expr(&mut self, f: FieldRef, span: proc_macro2::Span) -> Expr {
        match f {
            FieldRef::Local(l) => {
                let v = match self.locals[l].ty {
                    LocalTy::Scalar(v) => v,
                    LocalTy::Array(v, _) => v,
                };
                Expr {
                    kind: ExprKind::Local(l),
                    ty: Ty::Scalar(v),
                    span,
                }
            }
            FieldRef::Param(i) => Expr {
                kind: ExprKind::Param(i),
                ty: Ty::Scalar(self.params[i]),
                span,
            },
        }
    }

    /// Lowers a struct-valued expression: a literal `S { .. }`, a struct local or argument, or a
    /// call of a kernel returning a struct. `None` when `e` is none of these.
    pub(crate) fn struct_value(&mut self, e: &syn::Expr) -> Option<SValue> {
        let span = e.span();
        if let Some(k) = self.struct_target(e) {
            let layout = self.svals[k].layout.clone();
            let fields = self.svals[k].fields.clone();
            let values: Vec<Expr> = fields.iter().map(|f| self.field_expr(*f, span)).collect();
            let order = (0..values.len()).collect();
            return Some(SValue::Fields {
                layout,
                values,
                order,
            });
        }
        if let Some(layout) = self.call_returns_struct(e) {
            let call = self.expr(e);
            return Some(SValue::Call { layout, call });
        }
        let syn::Expr::Struct(lit) = strip_parens(e) else {
            return None;
        };
        Some(self.struct_literal(lit))
    }

    pub(crate) fn struct_literal(&mut self, lit: &syn::ExprStruct) -> SValue {
        if let Some(r) = &lit.rest {
            self.cx.spanned(
                r,
                "`..base` is not supported in a struct literal of a kernel: list every field",
            );
        }
        let layout = if lit.qself.is_some() {
            None
        } else {
            match self.layout_of(&lit.path) {
                Some(l) => l,
                None => {
                    self.cx.spanned(&lit.path, "internal: struct layout not fetched");
                    None
                }
            }
        };
        let mut values: Vec<Option<Expr>> = layout
            .as_ref()
            .map_or_else(Vec::new, |l| vec![None; l.fields.len()]);
        let mut order = Vec::new();
        for fv in &lit.fields {
            let (x, v) = self.scalar(&fv.expr);
            let Some(l) = layout.clone() else { continue };
            let syn::Member::Named(name) = &fv.member else {
                self.cx.spanned(
                    &fv.member,
                    format!("`{}` has named fields: {}", l.name, l.field_list()),
                );
                continue;
            };
            let Some(i) = l.field(&name.to_string()) else {
                self.cx.spanned(
                    name,
                    format!(
                        "`{}` has no field `{name}`; its fields: {}",
                        l.name,
                        l.field_list()
                    ),
                );
                continue;
            };
            if values[i].is_some() {
                self.cx.spanned(name, format!("field `{name}` is given twice"));
                continue;
            }
            self.require(
                v,
                l.fields[i].1,
                fv.expr.span(),
                &format!("field `{name}` of `{}`", l.name),
            );
            values[i] = Some(x);
            order.push(i);
        }
        if let Some(l) = &layout {
            let missing: Vec<String> = l
                .fields
                .iter()
                .zip(&values)
                .filter(|(_, v)| v.is_none())
                .map(|((f, _), _)| format!("`{f}`"))
                .collect();
            if !missing.is_empty() && lit.rest.is_none() {
                self.cx.spanned(
                    &lit.path,
                    format!(
                        "missing field(s) {} in this `{}` literal: a kernel's struct literal lists every field",
                        missing.join(", "),
                        l.name
                    ),
                );
            }
        }
        let span = lit.span();
        let values = values
            .into_iter()
            .map(|v| v.unwrap_or_else(|| self.bad(span)))
            .collect();
        SValue::Fields {
            layout,
            values,
            order,
        }
    }

    /// Reports a struct of another type than expected.
    pub(crate) fn check_layout(
        &mut self,
        want: &Option<Rc<Layout>>,
        got: &SValue,
        span: proc_macro2::Span,
        what: &str,
    ) {
        if let (Some(w), Some(g)) = (want, got.layout()) {
            if w.id != g.id {
                self.cx.error(
                    span,
                    format!("mismatched types in {what}: `{}` and `{}`", w.name, g.name),
                );
            }
        }
    }

    /// A struct literal's fields in the order of the declaration, where the values are
    /// computed as they are passed or returned (no statement to hold them).
    pub(crate) fn in_declaration_order(&mut self, sv: &SValue, span: proc_macro2::Span, what: &str) {
        if let SValue::Fields { order, .. } = sv {
            if order.windows(2).any(|w| w[0] > w[1]) {
                self.cx.error(
                    span,
                    format!("{what}: list the fields of the literal in the order of the struct's declaration, or bind the struct to a local first"),
                );
            }
        }
    }

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

    /// The field a `s.f` expression names.
    fn field_ref(&mut self, f: &syn::ExprField) -> Result<FieldRef, bool> {
        let Some(k) = self.struct_target(&f.base) else {
            return Err(false);
        };
        let Some(layout) = self.svals[k].layout.clone() else {
            // Checking the body before layouts are fetched.
            return Err(true);
        };
        let syn::Member::Named(name) = &f.member else {
            self.cx.spanned(
                &f.member,
                format!("`{}` has named fields: {}", layout.name, layout.field_list()),
            );
            return Err(true);
        };
        match layout.field(&name.to_string()) {
            Some(i) => Ok(self.svals[k].fields[i]),
            None => {
                self.cx.spanned(
                    name,
                    format!(
                        "`{}` has no field `{name}`; its fields: {}",
                        layout.name,
                        layout.field_list()
                    ),
                );
                Err(true)
            }
        }
    }

    /// Reports a field access on something that is not a struct local or argument.
    fn not_a_struct(&mut self, f: &syn::ExprField) {
        if self.precheck {
            // A local bound to a call's value may be a struct; the full lowering decides.
            return;
        }
        if matches!(strip_parens(&f.base), syn::Expr::Call(_)) {
            self.cx.spanned(
                &f.base,
                "bind the struct a call returns to a local first (`let s = f(..);`), then read `s.field`",
            );
            return;
        }
        self.cx.spanned(
            f,
            "field access works on a local or argument of a struct marked `#[xp_struct]` (`s.field`); a kernel works on scalars, rows, local arrays and such structs",
        );
    }

    /// `s.f` as a value.
    pub(crate) fn field_read(&mut self, f: &syn::ExprField) -> Expr {
        let span = f.span();
        match self.field_ref(f) {
            Ok(r) => {
                let mut x = self.field_expr(r, span);
                x.span = span;
                x
            }
            Err(reported) => {
                if !reported {
                    self.not_a_struct(f);
                }
                self.bad(span)
            }
        }
    }

    /// `s.f` as an assignment target.
    pub(crate) fn field_place(&mut self, f: &syn::ExprField) -> Option<(Place, TyVarOf)> {
        match self.field_ref(f) {
            Ok(FieldRef::Local(l)) => match self.locals[l].ty {
                LocalTy::Scalar(v) => Some((Place::Local(l), Some(v))),
                LocalTy::Array(..) => None,
            },
            Ok(FieldRef::Param(i)) => Some((Place::Param(i), Some(self.params[i]))),
            Err(reported) => {
                if !reported {
                    self.not_a_struct(f);
                }
                // A stand-in target, so the statement raises no follow-on error.
                let v = self.types.any();
                let l = self.add_local(&format_ident!("__xp_unused"), LocalTy::Scalar(v));
                Some((Place::Local(l), None))
            }
        }
    }

    /// Reports a struct used where a scalar is expected (`s + 1.0`, `s.exp()`).
    pub(crate) fn struct_as_scalar(&mut self, k: usize, name: &str, span: proc_macro2::Span) -> Expr {
        let l = self.svals[k].layout.clone();
        if l.is_none() {
            // Checking the body before layouts are fetched: the type may not be a struct at all
            // (the full lowering, or the check that it is marked, reports it).
            return self.bad(span);
        }
        let first = l
            .as_ref()
            .and_then(|l| l.fields.first())
            .map_or_else(|| "field".to_string(), |f| f.0.to_string());
        self.cx.error(
            span,
            format!("`{name}` is a struct ({}), not a scalar: read a field (`{name}.{first}`), or pass it to a kernel that takes it", name_of(&l)),
        );
        self.bad(span)
    }

    /// Reports a method called on a struct value.
    pub(crate) fn struct_method(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let k = self.struct_target(&m.receiver)?;
        let l = self.svals[k].layout.clone();
        if l.is_none() {
            for a in &m.args {
                let _ = self.expr(a);
            }
            return Some(self.bad(m.span()));
        }
        let name = name_of(&l);
        self.cx.spanned(
            &m.method,
            format!("methods are not supported on a struct ({name}) in a kernel: write an #[xp_kernel] function that takes it (`s: S` or `s: &mut S`) and call it"),
        );
        Some(self.bad(m.span()))
    }

    /// Reports a struct literal where a scalar is expected.
    pub(crate) fn struct_literal_as_value(&mut self, s: &syn::ExprStruct) -> Expr {
        let name = path_text(&s.path);
        self.cx.spanned(
            s,
            format!("a struct literal is the value of a `let`, an assignment, a call argument or a return value; bind it to a local (`let s = {name} {{ .. }};`) and read its fields"),
        );
        self.bad(s.span())
    }
}
