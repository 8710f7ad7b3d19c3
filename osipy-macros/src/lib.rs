//! The `#[xp_kernel]` attribute: one Rust function for one item (a voxel), lowered to a
//! parallel CPU loop (and, with the PTX backend, to GPU code) by the macro itself.
//!
//! Use it through `osipy_kernels::xp_kernel`; the generated code names only
//! `::osipy_kernels::__private`. This file holds the entry points; the expansion runs in
//! steps, one concern per module (ARCHITECTURE.md maps them): `kernel` (the attribute, with
//! `options`), `sig` (the signature model), `calls` and `inline/` (fetching the bodies of
//! called kernels), `lower/` (the typed IR of `ir`, with inference from `types`), `ad/`
//! (derivatives), `cpu/` and `ptx/` (Rust and PTX), `model/` (fit models), `launch` (the
//! generated module) and `expand` (the final expansion).

mod calls;
mod cpu;
mod ctxt;
mod expand;
mod inline;
mod kernel;
mod lanes;
// Every IR node keeps its span for diagnostics of the backends still to come (PTX,
// derivatives); not every span is read yet.
mod ad;
#[allow(dead_code)]
mod ir;
mod launch;
mod lower;
mod math_fns;
mod model;
mod options;
mod ptx;
#[allow(dead_code)]
mod sig;
mod structs;
mod types;

use proc_macro::TokenStream;

/// Marks a function as a kernel over items (voxels). See `osipy_kernels` for the rules.
#[proc_macro_attribute]
pub fn xp_kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    kernel::expand(attr.into(), item.into()).into()
}

/// Marks a struct of scalars for use in kernels: its values are flattened into one scalar per
/// field. See `osipy_kernels` for the rules.
#[proc_macro_attribute]
pub fn xp_struct(attr: TokenStream, item: TokenStream) -> TokenStream {
    structs::expand(attr.into(), item.into()).into()
}

/// Receives a callee's tokens from its export macro, with the caller's state. Not a public API.
#[doc(hidden)]
#[proc_macro]
pub fn xp_inline(input: TokenStream) -> TokenStream {
    inline::step(input.into()).into()
}
