//! Intrinsics in lanes: the scalar lowering's operation in every lane, and the math library.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::cpu::expr::{math_name, scalar_intrinsic};
use crate::cpu::fn_ident;
use crate::ir::*;
use crate::types::Scalar;

use super::*;

impl Emitter<'_> {
    pub(super) fn intrinsic(&self, intr: Intr, args: &[Expr], e: &Expr) -> TokenStream {
        let t = args.first().map(|a| self.expr_scalar(a)).unwrap_or(Scalar::F64);
        let r = self.expr_scalar(e);
        let mut binds = Vec::new();
        let mut lanes = Vec::new();
        for (j, a) in args.iter().enumerate() {
            let n = format_ident!("__a{}", j);
            let x = self.expr(a);
            binds.push(quote!(let #n = #x;));
            lanes.push(quote!(#n[__l]));
        }
        let value = match math_name(intr) {
            Some(name) => self.math_lanes(name, t, &lanes),
            None => Self::map(r, scalar_intrinsic(intr, t, r, &lanes)),
        };
        quote!({ #(#binds)* #value })
    }

    /// A math library call (`exp`, `ln`, `powf`, ..) on every lane, its arguments' lane `__l`
    /// given by `lanes`.
    ///
    /// This is the one place where the lane lowering calls the math library: today each lane
    /// calls the scalar function (the bundle's own lowering of the math kernel, as the scalar
    /// lowering does, so the bits are the same by construction). A lane form of the library
    /// (`exp_lanes::<W>([f64; W]) -> [f64; W]`, equal to the scalar form in every lane) would
    /// be called here instead of the loop.
    fn math_lanes(&self, name: &str, t: Scalar, lanes: &[TokenStream]) -> TokenStream {
        let p = private();
        let width = if t == Scalar::F32 { "f32" } else { "f64" };
        let key = crate::math_fns::key(name, width);
        let tt = t.tokens();
        let call = match self.math.get(&key) {
            // The math kernels index nothing, so they cannot fault: the `Err` arm is never
            // taken.
            Some(k) => {
                let f = fn_ident(*k);
                quote!(match #f(#(#lanes),*) { #p::Ok(__v) => __v, #p::Err(_) => <#tt>::NAN })
            }
            None => {
                let m = format_ident!("{}", width);
                let n = format_ident!("{}", name);
                quote!(#p::math::#m::#n(#(#lanes),*))
            }
        };
        Self::map(t, call)
    }
}
