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

mod advance;
mod export;
mod parse;
mod state;

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{braced, Ident, ItemFn, ItemStruct, Path, Token};

pub use export::export_items;

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

/// One step of a chain (`xp_inline!`): the fetched callee recorded, then the next export macro
/// invoked, or the final expansion when nothing is left to fetch.
pub fn step(input: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let state = input.advance();
    if state.complete() {
        crate::expand::finish(&state)
    } else {
        state.next_invocation()
    }
}
