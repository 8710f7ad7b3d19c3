//! Finding the calls a kernel body makes to other kernels.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::Visit;

/// Whether a path names an intrinsic function or constant of a scalar type (`f64::from_bits`,
/// `f64::sqrt`, `std::f64::consts::PI`), which is not a kernel call.
pub fn is_scalar_path(p: &syn::Path) -> bool {
    let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
    let rest: &[String] = match segs.first().map(String::as_str) {
        Some("std" | "core") => &segs[1..],
        _ => &segs[..],
    };
    rest.len() >= 2 && crate::types::Scalar::from_name(&rest[0]).is_some()
}

/// A path as a string key (no spaces), used to number call sites.
pub fn path_key(p: &syn::Path) -> String {
    p.to_token_stream().to_string().replace(' ', "")
}

/// One distinct callee path of a body.
#[derive(Clone)]
pub struct CallPath {
    /// The path as written at its first call.
    pub path: syn::Path,
    /// Span of that first call's path.
    pub span: Span,
}

/// Distinct paths of calls to other functions, in order of first appearance.
///
/// The same list is computed where a kernel is defined (to export its callees) and where its
/// body is inlined (to follow them), so index `i` names the same callee on both sides.
pub fn call_paths(block: &syn::Block) -> Vec<CallPath> {
    struct V(Vec<CallPath>);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func {
                if p.qself.is_none() && !is_scalar_path(&p.path) {
                    let key = path_key(&p.path);
                    if !self.0.iter().any(|c| path_key(&c.path) == key) {
                        self.0.push(CallPath {
                            path: p.path.clone(),
                            span: p.span(),
                        });
                    }
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut v = V(Vec::new());
    v.visit_block(block);
    v.0
}
