//! Lowering of structs marked `#[xp_struct]`: a struct value is one scalar per field (locals,
//! or the parameters of a struct argument), so the IR, the backends and the differentiation see
//! scalars only. A `let` of a struct binds one local per field; `s.f` reads or assigns one of
//! them (`struct_let`: `let` and assignment; `struct_field`: field access; `struct_call`: struct
//! arguments of calls, returned structs).

use std::rc::Rc;

use quote::ToTokens;
use syn::spanned::Spanned;

use crate::calls::path_key;
use crate::ir::*;
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

pub(super) fn path_text(p: &syn::Path) -> String {
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
    pub(super) fn layout_of(&self, p: &syn::Path) -> Option<Option<Rc<Layout>>> {
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
    pub(super) fn struct_value_of_call_unknown(&self, e: &syn::Expr) -> bool {
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
}
