//! Pulling the bodies of called kernels into the caller's expansion.
//!
//! A proc macro sees only its own item, so every kernel `f` exports its own tokens through a
//! hidden `macro_rules!` (`f::__xp_body`, in the front module `f` that also receives the
//! generated items; `xp_kernel_named_f` beside `f`) that hands them to [`xp_inline`] together
//! with whatever tokens it was invoked with. A caller invokes its callees' export macros one
//! after the other, carrying its own state along; when nothing is left to fetch, the last
//! invocation lowers caller and callees together as one bundle. Each kernel also exports, in
//! a hidden module `f::__xp_deps` (alias `__xp_deps_f`), aliases `d<i>` / `m<i>` of its
//! callees' export macros and dependency modules, so a caller can follow callees of callees
//! from anywhere, even across crates, without knowing their paths. The chain runs inside the
//! front module `f`, which glob-imports its parent, so call paths resolve as written.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{braced, bracketed, Ident, ItemFn, ItemStruct, LitInt, LitStr, Path, Token};

use crate::calls::{call_paths, CallPath};

/// One function fetched so far.
pub struct Done {
    /// Its unique id.
    pub id: String,
    /// Its tokens (parameter attributes kept).
    pub item: ItemFn,
}

/// A call edge: function `from`'s call path `index` leads to the function `to`.
pub struct Edge {
    /// Caller id.
    pub from: String,
    /// Index of the call path in the caller's body.
    pub index: usize,
    /// Callee id.
    pub to: String,
}

/// What a fetch brings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A callee's tokens (`body`), whose dependency module is `deps` and whose struct layouts
    /// `layouts` hands over.
    Call,
    /// The layout of the root's struct path `index` (`body`: the path as written).
    Layout,
    /// The struct layouts of the already fetched callee `from` (`body`: its `__xp_layouts`).
    Layouts,
}

/// A callee (or struct layouts) still to fetch.
pub struct Todo {
    from: String,
    index: usize,
    body: Path,
    deps: Path,
    layouts: Path,
    kind: Kind,
}

/// The state carried through the chain of export-macro invocations.
pub struct State {
    /// The kernel being expanded.
    pub root_id: String,
    /// Its tokens.
    pub root: ItemFn,
    /// Functions fetched.
    pub done: Vec<Done>,
    /// Call edges found.
    pub edges: Vec<Edge>,
    /// Struct layouts fetched: (id, tokens).
    pub layouts: Vec<(String, ItemStruct)>,
    /// Struct edges: function `from`'s struct path `index` names the struct `to`.
    pub layout_edges: Vec<Edge>,
    todo: Vec<Todo>,
}

/// What an export macro hands over.
enum Fetched {
    /// A kernel's tokens.
    Callee(ItemFn),
    /// A struct's tokens (`#[xp_struct]`).
    Layout(ItemStruct),
    /// A kernel's struct layouts (its `__xp_layouts`): (struct path index, id, tokens).
    Layouts(Vec<(usize, String, ItemStruct)>),
}

/// What `xp_inline!` receives: a callee or struct (from its export macro) and the state.
pub struct Input {
    callee_id: String,
    callee: Fetched,
    state: State,
}

fn kw(input: ParseStream, name: &str) -> syn::Result<()> {
    input.parse::<Token![@]>()?;
    let id: Ident = input.parse()?;
    if id != name {
        return Err(syn::Error::new(id.span(), format!("expected @{name}")));
    }
    Ok(())
}

fn braced_tokens<T: Parse>(input: ParseStream) -> syn::Result<T> {
    let content;
    braced!(content in input);
    content.parse()
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<Token![@]>()?;
        let what: Ident = input.parse()?;
        let callee_id: LitStr = input.parse()?;
        let callee = match what.to_string().as_str() {
            "callee" => Fetched::Callee(braced_tokens(input)?),
            "layout" => Fetched::Layout(braced_tokens(input)?),
            "layouts" => {
                let content;
                bracketed!(content in input);
                let mut v = Vec::new();
                while !content.is_empty() {
                    let j: LitInt = content.parse()?;
                    let id: LitStr = content.parse()?;
                    let item = braced_tokens(&content)?;
                    v.push((j.base10_parse()?, id.value(), item));
                }
                Fetched::Layouts(v)
            }
            _ => {
                return Err(syn::Error::new(
                    what.span(),
                    "expected @callee, @layout or @layouts",
                ))
            }
        };
        let state = input.parse()?;
        Ok(Input {
            callee_id: callee_id.value(),
            callee,
            state,
        })
    }
}

impl Parse for State {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        kw(input, "root")?;
        let root_id: LitStr = input.parse()?;
        let root = braced_tokens(input)?;
        kw(input, "done")?;
        let content;
        bracketed!(content in input);
        let mut done = Vec::new();
        while !content.is_empty() {
            let id: LitStr = content.parse()?;
            let item = braced_tokens(&content)?;
            done.push(Done { id: id.value(), item });
        }
        kw(input, "edges")?;
        let edges = parse_edges(input)?;
        kw(input, "layouts")?;
        let content;
        bracketed!(content in input);
        let mut layouts = Vec::new();
        while !content.is_empty() {
            let id: LitStr = content.parse()?;
            let item = braced_tokens(&content)?;
            layouts.push((id.value(), item));
        }
        kw(input, "ledges")?;
        let layout_edges = parse_edges(input)?;
        kw(input, "todo")?;
        let content;
        bracketed!(content in input);
        let mut todo = Vec::new();
        while !content.is_empty() {
            let from: LitStr = content.parse()?;
            let index: LitInt = content.parse()?;
            let kind: Ident = content.parse()?;
            let body = braced_tokens(&content)?;
            let deps = braced_tokens(&content)?;
            let layouts = braced_tokens(&content)?;
            todo.push(Todo {
                from: from.value(),
                index: index.base10_parse()?,
                body,
                deps,
                layouts,
                kind: match kind.to_string().as_str() {
                    "layout" => Kind::Layout,
                    "layouts" => Kind::Layouts,
                    _ => Kind::Call,
                },
            });
        }
        Ok(State {
            root_id: root_id.value(),
            root,
            done,
            edges,
            layouts,
            layout_edges,
            todo,
        })
    }
}

fn parse_edges(input: ParseStream) -> syn::Result<Vec<Edge>> {
    let content;
    bracketed!(content in input);
    let mut edges = Vec::new();
    while !content.is_empty() {
        let from: LitStr = content.parse()?;
        let index: LitInt = content.parse()?;
        let to: LitStr = content.parse()?;
        edges.push(Edge {
            from: from.value(),
            index: index.base10_parse()?,
            to: to.value(),
        });
    }
    Ok(edges)
}

fn edge_tokens(edges: &[Edge]) -> Vec<TokenStream> {
    edges
        .iter()
        .map(|e| {
            let (f, t) = (&e.from, &e.to);
            let i = proc_macro2::Literal::usize_unsuffixed(e.index);
            quote!(#f #i #t)
        })
        .collect()
}

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

    fn add_layout(&mut self, from: &str, index: usize, id: String, item: ItemStruct) {
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
    fn math_fetched(&self, key: &str) -> bool {
        self.math_kernels().iter().any(|(k, _)| k == key)
    }

    fn next_math_index(&self) -> usize {
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

impl Input {
    /// Records the fetched callee and queues its own callees; returns the new state.
    pub fn advance(self) -> State {
        let Input {
            callee_id,
            callee,
            mut state,
        } = self;
        if state.todo.is_empty() {
            return state;
        }
        let t = state.todo.remove(0);
        let callee = match callee {
            Fetched::Layout(item) => {
                state.add_layout(&t.from, t.index, callee_id, item);
                return state;
            }
            Fetched::Layouts(list) => {
                for (j, id, item) in list {
                    state.add_layout(&t.from, j, id, item);
                }
                return state;
            }
            Fetched::Callee(item) => item,
        };
        state.edges.push(Edge {
            from: t.from,
            index: t.index,
            to: callee_id.clone(),
        });
        let known = callee_id == state.root_id || state.done.iter().any(|d| d.id == callee_id);
        if !known {
            // Math kernels the callee needs, unless already queued.
            for (name, ty) in crate::math_fns::needed(&callee.block) {
                let key = crate::math_fns::key(&name, ty);
                let queued = state.todo.iter().chain(std::iter::empty()).any(|t| {
                    t.from == crate::math_fns::MATH_CALLER
                        && t.body
                            .segments
                            .last()
                            .is_some_and(|s| s.ident == format!("xp_kernel_named_{name}"))
                        && t.body.segments.iter().any(|s| s.ident == ty)
                }) || state.math_fetched(&key);
                if !queued {
                    let b = format_ident!("xp_kernel_named_{}", name);
                    let d = format_ident!("__xp_deps_{}", name);
                    let tt = format_ident!("{}", ty);
                    let index = state.next_math_index();
                    state.todo.push(Todo {
                        from: crate::math_fns::MATH_CALLER.to_string(),
                        index,
                        body: syn::parse_quote!(::osipy_kernels::math::#tt::#b),
                        deps: syn::parse_quote!(::osipy_kernels::math::#tt::#d),
                        layouts: syn::parse_quote!(::osipy_kernels::math::#tt::#d),
                        kind: Kind::Call,
                    });
                }
            }
            for (j, c) in call_paths(&callee.block).iter().enumerate() {
                state.todo.push(Todo {
                    from: callee_id.clone(),
                    index: j,
                    body: child(&t.deps, &format!("d{j}"), c.span),
                    deps: child(&t.deps, &format!("m{j}"), c.span),
                    layouts: child(&t.deps, &format!("l{j}"), c.span),
                    kind: Kind::Call,
                });
            }
            if !crate::structs::struct_paths(&callee).is_empty() {
                state.todo.push(Todo {
                    from: callee_id.clone(),
                    index: 0,
                    body: t.layouts.clone(),
                    deps: t.layouts.clone(),
                    layouts: t.layouts,
                    kind: Kind::Layouts,
                });
            }
            state.done.push(Done {
                id: callee_id,
                item: callee,
            });
        }
        state
    }
}

/// A call path as written in the kernel's module, as seen from inside the kernel's front
/// module `f` (which glob-imports its parent): `super::x` -> `super::super::x`, `self::x` ->
/// `super::x`; `crate::`, `::` and other paths resolve alike there.
fn inside(p: &Path) -> Path {
    let mut p = p.clone();
    if p.leading_colon.is_none() {
        if let Some(first) = p.segments.first_mut() {
            if first.ident == "self" {
                first.ident = Ident::new("super", first.ident.span());
            } else if first.ident == "super" {
                let sup = syn::PathSegment::from(Ident::new("super", first.ident.span()));
                p.segments.insert(0, sup);
            }
        }
    }
    p
}

fn child(p: &Path, name: &str, span: Span) -> Path {
    let mut p = p.clone();
    p.segments.push(syn::PathSegment::from(Ident::new(name, span)));
    p
}

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
