//! The `const` items of a kernel body.

use std::collections::HashMap;

use syn::spanned::Spanned;

use crate::ctxt::Ctxt;
use crate::types::Scalar;

use super::strip_parens;

/// The `const` items of a kernel body (any block; a const is visible in its whole body, as in
/// Rust): `const N: usize = 4;`, `const K: f64 = -0.5;`. The type is a scalar of the kernel
/// language and the value a literal (with a sign); each becomes a literal of that type where
/// it is named, so a const serves as an array length, a loop bound or a value alike.
pub(super) fn collect_consts(cx: &mut Ctxt, b: &syn::Block) -> HashMap<String, syn::Expr> {
    use syn::visit::Visit;
    struct V<'c> {
        cx: &'c mut Ctxt,
        out: HashMap<String, syn::Expr>,
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
            let ty = match &*c.ty {
                syn::Type::Path(p) => p.path.get_ident().and_then(|i| Scalar::from_name(&i.to_string())),
                _ => None,
            };
            let Some(ty) = ty else {
                self.cx.spanned(
                    &c.ty,
                    "a `const` in a kernel body has a scalar type: f32 f64 i32 u32 i64 u64 usize bool",
                );
                return;
            };
            let (neg, lit) = match strip_parens(&c.expr) {
                syn::Expr::Lit(l) => (false, l.lit.clone()),
                syn::Expr::Unary(syn::ExprUnary {
                    op: syn::UnOp::Neg(_),
                    expr,
                    ..
                }) => match strip_parens(expr) {
                    syn::Expr::Lit(l) => (true, l.lit.clone()),
                    _ => (false, syn::Lit::Verbatim(proc_macro2::Literal::u8_suffixed(0))),
                },
                _ => (false, syn::Lit::Verbatim(proc_macro2::Literal::u8_suffixed(0))),
            };
            let span = c.expr.span();
            let typed = match (&lit, ty) {
                (syn::Lit::Bool(b), Scalar::Bool) if !neg => Some(syn::Lit::Bool(b.clone())),
                (syn::Lit::Int(i), t) if t != Scalar::Bool && i.suffix().is_empty() => Some(syn::Lit::Int(
                    syn::LitInt::new(&format!("{}{}", i.base10_digits(), t.name()), span),
                )),
                (syn::Lit::Float(f), Scalar::F32 | Scalar::F64) if f.suffix().is_empty() => {
                    Some(syn::Lit::Float(syn::LitFloat::new(
                        &format!("{}{}", f.base10_digits(), ty.name()),
                        span,
                    )))
                }
                (syn::Lit::Int(_) | syn::Lit::Float(_), _) => Some(lit.clone()),
                _ => None,
            };
            let Some(typed) = typed else {
                self.cx.spanned(
                    &c.expr,
                    "the value of a `const` in a kernel body is a literal (`4`, `-0.5`, `true`)",
                );
                // A stand-in of the right type, so uses of the name raise no follow-on error.
                let zero: syn::Expr = match ty {
                    Scalar::Bool => syn::parse_quote_spanned!(span=> false),
                    t => syn::parse_str(&format!("0{}", t.name())).unwrap_or_else(|_| syn::parse_quote!(0)),
                };
                self.out.insert(c.ident.to_string(), zero);
                return;
            };
            let e: syn::Expr = if neg {
                syn::parse_quote_spanned!(span=> -#typed)
            } else {
                syn::parse_quote_spanned!(span=> #typed)
            };
            self.out.insert(c.ident.to_string(), e);
        }
    }
    let mut v = V {
        cx,
        out: HashMap::new(),
    };
    v.visit_block(b);
    v.out
}
