//! The CPU backend: IR to plain Rust with the kernel language's semantics.
//!
//! Each function becomes `fn __xp_fn_K(..) -> Result<R, Fault>`: indexing is checked and
//! returns a fault, integer arithmetic wraps, transcendentals go through
//! `osipy_kernels::math`, and calls between kernels are calls between these functions.

pub(crate) mod expr;
mod stmt;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::ir::*;
use crate::sig::ParamKind;
use crate::types::Scalar;

/// Name of the generated CPU function for bundle entry `k`.
pub fn fn_ident(k: usize) -> Ident {
    format_ident!("__xp_fn_{}", k)
}

/// Emits bundle entry `k`; `resolve(id)` gives the bundle index of a callee id.
///
/// `math` maps math kernels of the bundle (`exp_f64`) to their index: a transcendental
/// intrinsic then calls the bundle's own lowering of the math kernel (inlined, so the FMA
/// build of the kernel covers it too); otherwise it calls `osipy_kernels::math`.
pub fn emit_fn(
    f: &Func,
    k: usize,
    resolve: &dyn Fn(&str) -> usize,
    math: &std::collections::HashMap<String, usize>,
) -> TokenStream {
    let e = Emitter { f, resolve, math };
    let name = fn_ident(k);
    let params = f.sig.params.iter().enumerate().map(|(i, p)| {
        let n = pname(i);
        let t = p.elem.tokens();
        match p.kind {
            ParamKind::Scalar => quote!(mut #n: #t),
            ParamKind::Row => quote!(#n: &[#t]),
            ParamKind::OutRow => quote!(#n: &mut [#t]),
            ParamKind::OutScalar => quote!(#n: &mut #t),
        }
    });
    let ret = ret_type(&f.sig.ret, f.sig.ret_tuple);
    let body = e.block(&f.body);
    quote! {
        #[inline(always)]
        fn #name(#(#params),*) -> ::osipy_kernels::__private::Result<#ret, ::osipy_kernels::__private::Fault> {
            let __xp_value: #ret = #body;
            ::osipy_kernels::__private::Ok(__xp_value)
        }
    }
}

/// The Rust type of a kernel's return value.
pub fn ret_type(ret: &[Scalar], tuple: bool) -> TokenStream {
    match ret {
        [] => quote!(()),
        [s] if !tuple => s.tokens(),
        many => {
            let ts = many.iter().map(|s| s.tokens());
            quote!((#(#ts,)*))
        }
    }
}

fn pname(i: usize) -> Ident {
    format_ident!("p{}", i)
}

fn lname(l: LocalId) -> Ident {
    format_ident!("l{}", l)
}

struct Emitter<'a> {
    f: &'a Func,
    resolve: &'a dyn Fn(&str) -> usize,
    math: &'a std::collections::HashMap<String, usize>,
}

impl Emitter<'_> {
    fn ty(&self, v: crate::types::TyVar) -> Scalar {
        self.f.types.get(v)
    }

    fn expr_scalar(&self, e: &Expr) -> Scalar {
        match &e.ty {
            Ty::Scalar(v) => self.ty(*v),
            _ => Scalar::F64,
        }
    }

    fn fn_name(&self) -> String {
        self.f.sig.name.to_string()
    }

    fn array_name(&self, a: ArrayRef) -> String {
        match a {
            ArrayRef::Param(i) => self.f.sig.params[i].name.to_string(),
            ArrayRef::Local(l) => self.f.locals[l].name.to_string(),
        }
    }

    fn block(&self, b: &Block) -> TokenStream {
        let stmts = b.stmts.iter().map(|s| self.stmt(s));
        let tail = b.tail.as_ref().map(|t| self.expr(t));
        quote!({ #(#stmts)* #tail })
    }

    fn slice(&self, a: ArrayRef, mutable: bool) -> TokenStream {
        match (a, mutable) {
            (ArrayRef::Param(i), false) => {
                let n = pname(i);
                if self.f.sig.params[i].kind == ParamKind::OutRow {
                    quote!(&*#n)
                } else {
                    quote!(#n)
                }
            }
            (ArrayRef::Param(i), true) => {
                let n = pname(i);
                quote!(&mut *#n)
            }
            (ArrayRef::Local(l), false) => {
                let n = lname(l);
                quote!(&#n[..])
            }
            (ArrayRef::Local(l), true) => {
                let n = lname(l);
                quote!(&mut #n[..])
            }
        }
    }
}
