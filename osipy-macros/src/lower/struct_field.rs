//! Fields of struct values: `s.f` read or written, and the misuses of a struct where a scalar is
//! expected (as a value, with a method).

use quote::format_ident;
use syn::spanned::Spanned;

use crate::ir::*;
use crate::lower::expr::TyVarOf;
use crate::lower::{strip_parens, Lowerer};

use super::structs::*;

impl Lowerer<'_> {
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
