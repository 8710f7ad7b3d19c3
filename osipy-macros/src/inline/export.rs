//! What each kernel exports for its callers: its body macro and its dependency module.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ItemFn;

use crate::calls::call_paths;

use super::*;

/// The export items of kernel `f`, in two parts: beside `f`, its body macro (exported, and
/// aliased `xp_kernel_named_f`) and `__xp_deps_f`; inside the front module `f` (the module of
/// the same name that also receives the generated items), `use super::*`, the body macro as
/// `f::__xp_body`, the aliases of its callees' bodies and dependency modules, and its own
/// dependency module `f::__xp_deps` (`d<i>` / `m<i>`).
///
/// Reaching a kernel through its module (`f::__xp_body`) rather than a sibling name makes any
/// way of naming `f` work for a caller: a path, the same module, or `use m::f;` (which brings the
/// module along with the function); and the aliases re-export public items even where the
/// caller's own `use` is private.
pub fn export_items(f: &ItemFn, id: &str, hash: &str) -> (TokenStream, TokenStream) {
    let name = &f.sig.ident;
    let mac = format_ident!("__xp_{}_{}", name, hash);
    let body_alias = format_ident!("xp_kernel_named_{}", name);
    let deps_mod = format_ident!("__xp_deps_{}", name);
    let calls = call_paths(&f.block);
    let mut aliases = Vec::new();
    let mut reexports = Vec::new();
    for (i, c) in calls.iter().enumerate() {
        let seen = inside(&c.path);
        let b = child(&seen, "__xp_body", c.span);
        let d = child(&seen, "__xp_deps", c.span);
        let ba = format_ident!("__xp_dep_{}", i);
        let da = format_ident!("__xp_depmod_{}", i);
        let l = child(&seen, "__xp_layouts", c.span);
        let la = format_ident!("__xp_deplay_{}", i);
        let (di, mi, li) = (
            format_ident!("d{}", i),
            format_ident!("m{}", i),
            format_ident!("l{}", i),
        );
        aliases.push(quote! {
            #[doc(hidden)]
            #[allow(unused_imports)]
            pub use #b as #ba;
            #[doc(hidden)]
            #[allow(unused_imports)]
            pub use #d as #da;
            #[doc(hidden)]
            #[allow(unused_imports)]
            pub use #l as #la;
        });
        reexports.push(quote! {
            pub use super::#ba as #di;
            pub use super::#da as #mi;
            pub use super::#la as #li;
        });
    }
    let structs = crate::structs::struct_paths(f);
    let outside = quote! {
        #[doc(hidden)]
        #[macro_export]
        #[allow(clippy::crate_in_macro_def)]
        macro_rules! #mac {
            ($($cb:tt)*) => {
                ::osipy_kernels::__private::xp_inline! { @callee #id { #f } $($cb)* }
            };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub use #mac as #body_alias;
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub use #name::__xp_deps as #deps_mod;
    };
    // A kernel that calls others sees its parent's names (the call paths are written there):
    // `use super::*`, and its body through the parent's alias (the glob would make `#mac`
    // ambiguous with the macro's textual scope when the parent is the crate root). A leaf
    // kernel needs neither, and so also works as an item of a block (a function body).
    let (glob, body_src) = if calls.is_empty() && structs.is_empty() {
        (quote!(), quote!(#mac))
    } else {
        (
            quote! {
                #[allow(unused_imports)]
                use super::*;
            },
            quote!(super::#body_alias),
        )
    };
    let inside_items = quote! {
        #glob
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub use #body_src as __xp_body;
        #(#aliases)*
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub mod __xp_deps {
            #(#reexports)*
        }
    };
    (outside, inside_items)
}
