//! Structs at the boundaries of a function: struct arguments of a call (one argument per
//! field; `&mut` ones as `&mut` scalars) and a returned struct (the tuple of its fields).

use quote::ToTokens;
use syn::spanned::Spanned;

use crate::ir::*;
use crate::lower::expr::strip_ref;
use crate::lower::structs::{name_of, FieldRef, SValue};
use crate::lower::{strip_parens, Lowerer};
use crate::sig::{ParamKind, Sig, StructArg};

impl Lowerer<'_> {
    /// The tail or `return` value of the function: a struct for a kernel returning one (as the
    /// tuple of its fields), otherwise a scalar or a tuple.
    /// `fn_level`: the function's own value (its body's tail or a `return`), not a nested block's.
    pub(crate) fn return_value(&mut self, e: &syn::Expr, fn_level: bool) -> Expr {
        let Some(want) = self.sig.ret_struct.clone().filter(|_| fn_level) else {
            return self.tuple_or_expr(e);
        };
        let span = e.span();
        let Some(sv) = self.struct_value(e) else {
            let what = match strip_parens(e) {
                syn::Expr::If(_) | syn::Expr::Block(_) => "a struct-valued `if` or block is not supported: assign a struct local in each branch and return it",
                _ => "expected the struct the kernel returns: a struct literal, a struct local or argument, or a call of a kernel returning one",
            };
            self.cx.spanned(&e, what);
            return self.bad(span);
        };
        self.check_layout(&want, &sv, span, "the return value");
        self.in_declaration_order(&sv, span, "a returned struct literal");
        match sv {
            SValue::Call { call, .. } => call,
            SValue::Fields { values, .. } => {
                let vars = values
                    .iter()
                    .map(|x| match x.ty {
                        Ty::Scalar(v) => v,
                        _ => self.types.any(),
                    })
                    .collect();
                Expr {
                    kind: ExprKind::Tuple(values),
                    ty: Ty::Tuple(vars),
                    span,
                }
            }
        }
    }

    /// A struct argument of a call: one argument per field of the callee's parameter `sa`.
    pub(crate) fn struct_arg(&mut self, sa: &StructArg, a: &syn::Expr, callee: &Sig, args: &mut Vec<Arg>) {
        let sp = a.span();
        let what = format!("argument `{}` of `{}`", sa.name, callee.name);
        let ty = name_of(&sa.layout);
        if !sa.mutable {
            let Some(sv) = self.struct_value(a) else {
                self.cx.error(
                    sp,
                    format!("{what} is {ty}: pass a struct local or argument, or a struct literal"),
                );
                return;
            };
            self.check_layout(&sa.layout, &sv, sp, &what);
            match sv {
                SValue::Call { .. } => self.cx.error(
                    sp,
                    format!("{what}: bind the struct this call returns to a local first (`let s = f(..);`) and pass the local"),
                ),
                SValue::Fields { .. } => {
                    self.in_declaration_order(&sv, sp, &what);
                    if let SValue::Fields { values, .. } = sv {
                        args.extend(values.into_iter().map(Arg::Value));
                    }
                }
            }
            return;
        }
        let (inner, is_mut_ref) = strip_ref(a);
        let Some(k) = self.struct_target(inner) else {
            self.cx.error(
                sp,
                format!(
                    "{what} is `&mut {}`: pass `&mut s` for a struct local `s`, or a `&mut` struct argument",
                    sa.layout
                        .as_ref()
                        .map_or_else(|| "S".to_string(), |l| l.name.to_string())
                ),
            );
            return;
        };
        let got = SValue::Fields {
            layout: self.svals[k].layout.clone(),
            values: Vec::new(),
            order: Vec::new(),
        };
        self.check_layout(&sa.layout, &got, sp, &what);
        for f in self.svals[k].fields.clone() {
            match f {
                FieldRef::Local(l) if is_mut_ref => args.push(Arg::ScalarMut(ScalarRef::Local(l), sp)),
                FieldRef::Local(_) => {
                    let text = inner.to_token_stream().to_string().replace(' ', "");
                    let ty = name_of(&sa.layout);
                    self.cx.error(
                        sp,
                        format!("{what} is `&mut {}`: pass `&mut {text}`", ty.trim_matches('`')),
                    );
                    return;
                }
                FieldRef::Param(i) if self.sig.params[i].kind == ParamKind::OutScalar => {
                    args.push(Arg::ScalarMut(ScalarRef::Param(i), sp))
                }
                FieldRef::Param(_) => {
                    self.cx.error(
                        sp,
                        format!("{what} is `&mut`, and this struct is an argument passed by value: copy it into a local (`let mut t = s;`) and pass `&mut t`"),
                    );
                    return;
                }
            }
        }
    }

    /// Checks a call argument's own expressions before callees are fetched (struct literals
    /// and struct values included).
    pub(crate) fn precheck_arg(&mut self, a: &syn::Expr) {
        let inner = strip_ref(a).0;
        if self.struct_target(inner).is_some() || matches!(inner, syn::Expr::Path(_)) {
            return;
        }
        if let syn::Expr::Struct(lit) = strip_parens(inner) {
            let _ = self.struct_literal(lit);
            return;
        }
        let _ = self.expr(inner);
    }
}
