//! The `#[xp_kernel]` attribute: one Rust function for one item (a voxel), lowered to a
//! parallel CPU loop (and, with the PTX backend, to GPU code) by the macro itself.
//!
//! Use it through `osipy_kernels::xp_kernel`; the generated code names only
//! `::osipy_kernels::__private`. The expansion runs in steps, one concern per file:
//! `sig` checks the signature model, `calls` and `inline` fetch the bodies of called
//! kernels, `lower` / `lower_expr` build the typed IR of `ir` with inference from
//! `types`, `cpu` lowers it to Rust and `launch` generates the module with `launch`.

mod calls;
mod cpu;
mod ctxt;
mod expand;
mod inline;
// Every IR node keeps its span for diagnostics of the backends still to come (PTX,
// derivatives); not every span is read yet.
mod ad;
#[allow(dead_code)]
mod ir;
mod launch;
mod lower;
mod lower_expr;
mod math_fns;
mod model;
mod ptx;
mod ptx_entry;
mod ptx_expr;
mod ptx_intr;
mod ptx_math;
mod ptx_ops;
mod ptx_stmt;
#[allow(dead_code)]
mod sig;
mod types;

use proc_macro::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;

/// Marks a function as a kernel over items (voxels). See `osipy_kernels` for the rules.
#[proc_macro_attribute]
pub fn xp_kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = proc_macro2::TokenStream::from(attr);
    let item2 = proc_macro2::TokenStream::from(item.clone());
    let f: syn::ItemFn = match syn::parse2(item2.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e = syn::Error::new(
                item2.span(),
                "#[xp_kernel] applies to a free function: `fn name(args) -> T { .. }`",
            )
            .to_compile_error();
            return quote!(#e #item2).into();
        }
    };
    let mut cx = Ctxt::default();
    let model = match attr.to_string().as_str() {
        "" => false,
        "model" => true,
        _ => {
            cx.spanned(
                &attr,
                "unknown #[xp_kernel] option: write `#[xp_kernel]` for a kernel or `#[xp_kernel(model)]` for a fit model",
            );
            false
        }
    };
    for a in &f.attrs {
        if a.path().segments.last().is_some_and(|s| s.ident == "xp_kernel") {
            cx.spanned(&a, "duplicate #[xp_kernel] attribute");
        }
    }
    let original = expand::original(&f);
    let sig = sig::parse_sig(&mut cx, &f);
    if let Some(s) = sig.as_ref().filter(|_| !cx.has_errors()) {
        if model {
            model::check_sig(&mut cx, &f, s);
        } else {
            let attrs = f.sig.inputs.iter().filter_map(|a| match a {
                syn::FnArg::Typed(pt) => pt.attrs.iter().find(|a| a.path().is_ident("param")),
                syn::FnArg::Receiver(_) => None,
            });
            for a in attrs {
                cx.spanned(a, "`#[param]` marks a fitted parameter of a fit model: write `#[xp_kernel(model)]` on the function, or remove `#[param]`");
            }
        }
        lower::precheck(&mut cx, &f, s);
    }
    let Some(sig) = sig.filter(|_| !cx.has_errors()) else {
        // Report the macro's errors only: the original keeps its signature (so callers see no
        // follow-on errors) but not its body, which rustc would report on again.
        let errors = cx.to_compile_errors();
        let module = sig::parse_sig(&mut Ctxt::default(), &f).map(|s| launch::fallback_module(&s));
        let stub = expand::stub(&original);
        return quote!(#errors #stub #module).into();
    };
    let (id, hash) = expand::unique_id(&f.sig.ident);
    let exports = inline::export_items(&f, &id, &hash);
    let calls = calls::call_paths(&f.block);
    let mut root = f.clone();
    if model {
        root.attrs.push(syn::parse_quote!(#[xp_fit_model]));
    }
    let state = inline::State::start(id, root, &calls);
    let rest = if state.complete() {
        expand::finish(&state)
    } else {
        let _ = &sig;
        state.next_invocation()
    };
    quote!(#original #exports #rest).into()
}

/// Receives a callee's tokens from its export macro, with the caller's state. Not a public API.
#[doc(hidden)]
#[proc_macro]
pub fn xp_inline(input: TokenStream) -> TokenStream {
    let input: inline::Input = match syn::parse(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error().into(),
    };
    let state = input.advance();
    if state.complete() {
        expand::finish(&state).into()
    } else {
        state.next_invocation().into()
    }
}
