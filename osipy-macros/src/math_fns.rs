//! The math library kernels a body may need: `osipy_kernels::math::{f64,f32}::NAME`.
//!
//! They are ordinary `#[xp_kernel]` functions, so the PTX backend gets their IR through the
//! same fetch chain as any called kernel (edges from the pseudo-caller [`MATH_CALLER`]); the
//! CPU backend calls the Rust functions directly.

use syn::visit::Visit;

/// Pseudo-caller id of math fetches.
pub const MATH_CALLER: &str = "@math";

/// Math functions that exist as kernels, by the intrinsic name the body uses.
pub const KERNELS: &[&str] = &["exp", "exp2", "ln", "log2", "log10", "powf", "powi", "fmod"];

/// The math kernels of a root kernel: its body's, and for a fit model with a parameter on a
/// log scale (`#[param(.., log)]`) the f64 `exp` and `ln` with which its fit steps it.
pub fn needed_by_root(root: &syn::ItemFn) -> Vec<(String, &'static str)> {
    let mut out = needed(&root.block);
    if root.attrs.iter().any(|a| a.path().is_ident("xp_fit_model")) && has_log_param(root) {
        for k in ["exp", "ln"] {
            if !out.iter().any(|(n, t)| n == k && *t == "f64") {
                out.push((k.to_string(), "f64"));
            }
        }
    }
    out
}

/// Whether an argument of `f` is marked `#[param(.., log, ..)]`.
fn has_log_param(f: &syn::ItemFn) -> bool {
    f.sig.inputs.iter().any(|a| match a {
        syn::FnArg::Typed(pt) => pt.attrs.iter().any(|at| {
            at.path().is_ident("param")
                && matches!(&at.meta, syn::Meta::List(l) if l.tokens.clone().into_iter().any(
                    |t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == "log")
                ))
        }),
        syn::FnArg::Receiver(_) => false,
    })
}

/// The math kernels (name, float type) a body may call, in a fixed order.
pub fn needed(block: &syn::Block) -> Vec<(String, &'static str)> {
    struct V(Vec<&'static str>);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let name = m.method.to_string();
            if let Some(k) = KERNELS.iter().find(|k| **k == name) {
                if !self.0.contains(k) {
                    self.0.push(k);
                }
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_bin_op(&mut self, op: &'ast syn::BinOp) {
            if matches!(op, syn::BinOp::Rem(_) | syn::BinOp::RemAssign(_))
                && KERNELS.contains(&"fmod")
                && !self.0.contains(&"fmod")
            {
                self.0.push("fmod");
            }
        }
    }
    let mut v = V(Vec::new());
    v.visit_block(block);
    // The derivative of `powf` with respect to its exponent needs `ln` (fit models).
    if v.0.contains(&"powf") && !v.0.contains(&"ln") {
        v.0.push("ln");
    }
    let mut out = Vec::new();
    for k in KERNELS {
        if v.0.contains(k) {
            out.push((k.to_string(), "f64"));
            out.push((k.to_string(), "f32"));
        }
    }
    out
}

/// Key of a math kernel in the bundle: `fmod_f64`.
pub fn key(name: &str, ty: &str) -> String {
    format!("{name}_{ty}")
}
