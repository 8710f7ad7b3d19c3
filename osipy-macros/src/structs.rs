//! Small structs of scalars: `#[xp_struct]`, their layouts, and the struct types a kernel names.
//!
//! A kernel flattens a struct into one scalar per field (locals, parameters, return values), so
//! the IR and every backend see scalars only. The fields are learned as a kernel's callees are:
//! `#[xp_struct] struct S` exports a hidden `macro_rules!` that hands the struct's tokens to
//! `xp_inline!`, aliased `S` in the macro namespace beside the struct (so a path or a `use` that
//! names the struct names the macro too), and a kernel fetches the layout of every struct type it
//! names through the same chain of expansions as its callees (`@layout`).

use std::collections::HashMap;
use std::rc::Rc;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Ident, ItemStruct, Path, Type};

use crate::calls::{path_key, CallPath};
use crate::ctxt::Ctxt;
use crate::sig::scalar_type;
use crate::types::Scalar;

/// The fields of a struct marked `#[xp_struct]`.
pub struct Layout {
    /// Unique id of the struct (crate, file, line, column, name).
    pub id: String,
    /// Its name.
    pub name: Ident,
    /// Fields in declaration order.
    pub fields: Vec<(Ident, Scalar)>,
}

impl Layout {
    /// Reads the layout from the tokens the struct's export macro hands over (already checked
    /// by `#[xp_struct]`).
    pub fn from_item(id: &str, item: &ItemStruct) -> Layout {
        let fields = item
            .fields
            .iter()
            .filter_map(|f| Some((f.ident.clone()?, scalar_type(&f.ty)?)))
            .collect();
        Layout {
            id: id.to_string(),
            name: item.ident.clone(),
            fields,
        }
    }

    /// The index of field `name`.
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|(f, _)| f == name)
    }

    /// The field names, for messages: "`a`, `b`".
    pub fn field_list(&self) -> String {
        self.fields
            .iter()
            .map(|(f, _)| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The layouts of the struct types one function names, by path as written (`path_key`).
pub type StructTable = HashMap<String, Rc<Layout>>;

const FIELD_TYPES: &str = "f32 f64 i32 u32 i64 u64 usize bool";

/// Expands `#[xp_struct]`: the struct as written, the marker trait and the export macro.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    if !attr.is_empty() {
        cx.spanned(&attr, "#[xp_struct] takes no options");
    }
    let s: ItemStruct = match syn::parse2(item.clone()) {
        Ok(s) => s,
        Err(_) => {
            let e = syn::Error::new(
                item.span(),
                "#[xp_struct] applies to a struct with named fields of scalar types: `struct S { a: f64, n: usize }`",
            )
            .to_compile_error();
            return quote!(#e #item);
        }
    };
    if !s.generics.params.is_empty() || s.generics.where_clause.is_some() {
        cx.spanned(
            &s.generics,
            "an #[xp_struct] has no generic parameters: write its fields with concrete scalar types",
        );
    }
    match &s.fields {
        syn::Fields::Named(n) if n.named.is_empty() => cx.spanned(
            &s,
            "an #[xp_struct] has at least one field: kernels flatten it into one scalar per field",
        ),
        syn::Fields::Named(n) => {
            for f in &n.named {
                if scalar_type(&f.ty).is_none() {
                    cx.spanned(
                        &f.ty,
                        format!("a field of an #[xp_struct] is a scalar ({FIELD_TYPES}): kernels flatten the struct into one scalar per field"),
                    );
                }
            }
        }
        _ => cx.spanned(
            &s,
            "#[xp_struct] applies to a struct with named fields: `struct S { a: f64, n: usize }`",
        ),
    }
    if cx.has_errors() {
        let errors = cx.to_compile_errors();
        return quote!(#errors #s);
    }
    let name = &s.ident;
    let (id, hash) = crate::expand::unique_id(name);
    let mac = format_ident!("__xp_struct_{}_{}", name, hash);
    let fields = s.fields.iter().map(|f| {
        let (n, t) = (&f.ident, &f.ty);
        quote!(#n: #t)
    });
    quote! {
        #s
        #[diagnostic::do_not_recommend]
        impl ::osipy_kernels::__private::XpStruct for #name {}
        #[doc(hidden)]
        #[macro_export]
        #[allow(clippy::crate_in_macro_def)]
        macro_rules! #mac {
            ($($cb:tt)*) => {
                ::osipy_kernels::__private::xp_inline! { @layout #id { struct #name { #(#fields),* } } $($cb)* }
            };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub use #mac as #name;
    }
}

/// The path of a type that may be a struct marked `#[xp_struct]`: a path without generic
/// arguments that is not a scalar (`Conv`, `crate::dce::Conv`).
pub fn candidate(ty: &Type) -> Option<&Path> {
    match ty {
        Type::Path(p) if p.qself.is_none() && scalar_type(ty).is_none() => {
            let plain = p
                .path
                .segments
                .iter()
                .all(|s| matches!(s.arguments, syn::PathArguments::None));
            (plain && !p.path.is_ident("Self")).then_some(&p.path)
        }
        Type::Paren(p) => candidate(&p.elem),
        Type::Group(g) => candidate(&g.elem),
        _ => None,
    }
}

/// The struct type of a parameter: `S` (by value) or `&mut S`, with `true` for `&mut`.
pub fn param_candidate(ty: &Type) -> Option<(&Path, bool)> {
    match ty {
        Type::Reference(r) if r.mutability.is_some() => candidate(&r.elem).map(|p| (p, true)),
        _ => candidate(ty).map(|p| (p, false)),
    }
}

/// Distinct paths of the struct types a kernel names, in a fixed order: parameter and return
/// types, then `let` annotations and struct literals of the body.
///
/// The same list is computed where a kernel is defined (to export the layouts it uses) and
/// where its body is inlined (to follow them), so index `j` names the same struct on both sides.
pub fn struct_paths(f: &syn::ItemFn) -> Vec<CallPath> {
    struct V(Vec<CallPath>);
    impl V {
        fn add(&mut self, p: &Path) {
            let key = path_key(p);
            if !self.0.iter().any(|c| path_key(&c.path) == key) {
                self.0.push(CallPath {
                    path: p.clone(),
                    span: p.span(),
                });
            }
        }
    }
    impl<'ast> Visit<'ast> for V {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            if let syn::Pat::Type(pt) = &l.pat {
                if let Some(p) = candidate(&pt.ty) {
                    self.add(p);
                }
            }
            syn::visit::visit_local(self, l);
        }
        fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
            if s.qself.is_none() {
                self.add(&s.path);
            }
            syn::visit::visit_expr_struct(self, s);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut v = V(Vec::new());
    for a in &f.sig.inputs {
        if let syn::FnArg::Typed(pt) = a {
            if let Some((p, _)) = param_candidate(&pt.ty) {
                v.add(p);
            }
        }
    }
    if let syn::ReturnType::Type(_, t) = &f.sig.output {
        if let Some(p) = candidate(t) {
            v.add(p);
        }
    }
    v.visit_block(&f.block);
    v.0
}

/// Beside a kernel: one check per struct type it names, so a type that is not marked
/// `#[xp_struct]` is reported at its use with a message that says so (the marker trait's
/// `#[diagnostic::on_unimplemented]`).
pub fn marker_checks(paths: &[CallPath]) -> TokenStream {
    paths
        .iter()
        .map(|c| {
            let p = &c.path;
            quote_spanned! {c.span=>
                const _: () = ::osipy_kernels::__private::require_xp_struct::<#p>();
            }
        })
        .collect()
}

/// The name of the scalar parameter that holds field `field` of struct argument `arg`.
pub fn flat_name(arg: &Ident, field: &Ident) -> Ident {
    Ident::new(&format!("{arg}_{field}"), arg.span())
}
