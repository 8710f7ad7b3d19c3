//! The state of a chain: starting it, the next export macro to invoke, the struct layouts and
//! math kernels fetched so far.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{ItemFn, ItemStruct};

use crate::calls::CallPath;

use super::parse::edge_tokens;
use super::*;

impl State {
    /// A new chain for `root`, which calls `calls` and needs the math kernels of `math`.
    pub fn start(root_id: String, root: ItemFn, calls: &[CallPath]) -> State {
        let mut todo: Vec<Todo> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| Todo {
                from: root_id.clone(),
                index: i,
                body: child(&inside(&c.path), "__xp_body", c.span),
                deps: child(&inside(&c.path), "__xp_deps", c.span),
                layouts: child(&inside(&c.path), "__xp_layouts", c.span),
                kind: Kind::Call,
            })
            .collect();
        for (j, c) in crate::structs::struct_paths(&root).iter().enumerate() {
            todo.push(Todo {
                from: root_id.clone(),
                index: j,
                body: inside(&c.path),
                deps: inside(&c.path),
                layouts: inside(&c.path),
                kind: Kind::Layout,
            });
        }
        for (i, (name, ty)) in crate::math_fns::needed_by_root(&root).into_iter().enumerate() {
            let b = format_ident!("xp_kernel_named_{}", name);
            let d = format_ident!("__xp_deps_{}", name);
            let t = format_ident!("{}", ty);
            todo.push(Todo {
                from: crate::math_fns::MATH_CALLER.to_string(),
                index: i,
                body: syn::parse_quote!(::osipy_kernels::math::#t::#b),
                deps: syn::parse_quote!(::osipy_kernels::math::#t::#d),
                layouts: syn::parse_quote!(::osipy_kernels::math::#t::#d),
                kind: Kind::Call,
            });
        }
        State {
            root_id,
            root,
            done: Vec::new(),
            edges: Vec::new(),
            layouts: Vec::new(),
            layout_edges: Vec::new(),
            todo,
        }
    }

    /// Whether every callee has been fetched.
    pub fn complete(&self) -> bool {
        self.todo.is_empty()
    }

    /// The invocation that fetches the next callee and carries the state on.
    pub fn next_invocation(&self) -> TokenStream {
        let Some(first) = self.todo.first() else {
            return TokenStream::new();
        };
        let path = &first.body;
        let root_id = &self.root_id;
        let root = &self.root;
        let done = self.done.iter().map(|d| {
            let (id, item) = (&d.id, &d.item);
            quote!(#id { #item })
        });
        let edges = edge_tokens(&self.edges);
        let layouts = self.layouts.iter().map(|(id, item)| quote!(#id { #item }));
        let ledges = edge_tokens(&self.layout_edges);
        let todo = self.todo.iter().map(|t| {
            let (f, b, d, l) = (&t.from, &t.body, &t.deps, &t.layouts);
            let i = proc_macro2::Literal::usize_unsuffixed(t.index);
            let kind = match t.kind {
                Kind::Call => quote!(call),
                Kind::Layout => quote!(layout),
                Kind::Layouts => quote!(layouts),
            };
            quote!(#f #i #kind { #b } { #d } { #l })
        });
        quote! {
            #path! {
                @root #root_id { #root }
                @done [ #(#done)* ]
                @edges [ #(#edges)* ]
                @layouts [ #(#layouts)* ]
                @ledges [ #(#ledges)* ]
                @todo [ #(#todo)* ]
            }
        }
    }

    pub(super) fn add_layout(&mut self, from: &str, index: usize, id: String, item: ItemStruct) {
        if !self.layouts.iter().any(|(l, _)| *l == id) {
            self.layouts.push((id.clone(), item));
        }
        self.layout_edges.push(Edge {
            from: from.to_string(),
            index,
            to: id,
        });
    }

    /// The macro `f::__xp_layouts` of the root `f`, emitted with its generated items: it hands
    /// the layouts of the struct types `f` names (by struct path index) to `xp_inline!`, so a
    /// caller learns them without naming the structs (`use` imports of a struct can be private).
    pub fn layouts_export(&self) -> TokenStream {
        let (_, hash) = crate::expand::hash_of(&self.root_id);
        let mac = format_ident!("__xp_layouts_{}", hash);
        let root_id = &self.root_id;
        let list = self
            .layout_edges
            .iter()
            .filter(|e| e.from == self.root_id)
            .filter_map(|e| {
                let (_, item) = self.layouts.iter().find(|(id, _)| *id == e.to)?;
                let (j, id) = (proc_macro2::Literal::usize_unsuffixed(e.index), &e.to);
                Some(quote!(#j #id { #item }))
            });
        quote! {
            #[doc(hidden)]
            #[macro_export]
            #[allow(clippy::crate_in_macro_def)]
            macro_rules! #mac {
                ($($cb:tt)*) => {
                    ::osipy_kernels::__private::xp_inline! { @layouts #root_id [ #(#list)* ] $($cb)* }
                };
            }
            #[doc(hidden)]
            #[allow(unused_imports)]
            pub use #mac as __xp_layouts;
        }
    }

    /// Whether the math kernel `key` (`fmod_f64`) was fetched already.
    pub(super) fn math_fetched(&self, key: &str) -> bool {
        self.math_kernels().iter().any(|(k, _)| k == key)
    }

    pub(super) fn next_math_index(&self) -> usize {
        let fetched = self
            .edges
            .iter()
            .filter(|e| e.from == crate::math_fns::MATH_CALLER)
            .count();
        let queued = self
            .todo
            .iter()
            .filter(|t| t.from == crate::math_fns::MATH_CALLER)
            .count();
        fetched + queued
    }

    /// Fetched math kernels: (`fmod_f64`, id).
    pub fn math_kernels(&self) -> Vec<(String, String)> {
        self.edges
            .iter()
            .filter(|e| e.from == crate::math_fns::MATH_CALLER)
            .filter_map(|e| {
                let d = self.done.iter().find(|d| d.id == e.to)?;
                let ty = d.item.sig.inputs.first().and_then(|a| match a {
                    syn::FnArg::Typed(pt) => crate::sig::scalar_type(&pt.ty),
                    syn::FnArg::Receiver(_) => None,
                })?;
                Some((
                    crate::math_fns::key(&d.item.sig.ident.to_string(), ty.name()),
                    d.id.clone(),
                ))
            })
            .collect()
    }

    /// The call edges of function `id`, by call index.
    pub fn callees_of(&self, id: &str, n: usize) -> Vec<Option<String>> {
        let mut v = vec![None; n];
        for e in self.edges.iter().filter(|e| e.from == id) {
            if let Some(slot) = v.get_mut(e.index) {
                *slot = Some(e.to.clone());
            }
        }
        v
    }
}
