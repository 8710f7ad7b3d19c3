//! The final expansion: the original function, its exports, and the generated module.

use std::collections::HashMap;
use std::rc::Rc;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::calls::{call_paths, path_key};
use crate::ctxt::Ctxt;
use crate::inline::State;
use crate::ir::Func;
use crate::launch::{fallback_module, launch_module};
use crate::lower::lower_fn;
use crate::sig::{parse_sig, Sig};
use crate::structs::{struct_paths, Layout, StructTable};

/// Lowers the root and every fetched callee, checks for recursion, and generates the module,
/// with the root's `__xp_layouts` for its callers.
pub fn finish(state: &State) -> TokenStream {
    let items = finish_items(state);
    let layouts = state.layouts_export();
    quote!(#items #layouts)
}

fn finish_items(state: &State) -> TokenStream {
    let mut cx = Ctxt::default();
    let root = &state.root;
    let tables = struct_tables(&mut cx, state);
    let table = |id: &str| tables.get(id).cloned().unwrap_or_default();
    let Some(root_sig) = parse_sig(&mut cx, root, Some(&table(&state.root_id))) else {
        return cx.to_compile_errors();
    };
    check_recursion(&mut cx, state);
    // Signatures of every function in the bundle.
    let mut sigs: HashMap<String, Sig> = HashMap::new();
    sigs.insert(state.root_id.clone(), root_sig.clone());
    for d in &state.done {
        let mut scratch = Ctxt::default();
        match parse_sig(&mut scratch, &d.item, Some(&table(&d.id))) {
            Some(s) => {
                sigs.insert(d.id.clone(), s);
            }
            None => cx.error(
                proc_macro2::Span::call_site(),
                format!(
                    "the kernel `{}` called here has errors of its own",
                    d.item.sig.ident
                ),
            ),
        }
    }
    if cx.has_errors() {
        return with_fallback(cx, &root_sig);
    }
    let mut funcs: Vec<Func> = Vec::new();
    let mut items: Vec<(&str, &ItemFn)> = vec![(state.root_id.as_str(), root)];
    items.extend(state.done.iter().map(|d| (d.id.as_str(), &d.item)));
    for (id, item) in &items {
        let n = call_paths(&item.block).len();
        let callees = state.callees_of(id, n);
        let _ = crate::math_fns::MATH_CALLER;
        let mut ids = Vec::new();
        let mut csigs = Vec::new();
        for (i, c) in callees.into_iter().enumerate() {
            match c.and_then(|c| sigs.get(&c).map(|s| (c, s.clone()))) {
                Some((c, s)) => {
                    ids.push(c);
                    csigs.push(s);
                }
                None => {
                    let span = call_paths(&item.block)[i].span;
                    cx.error(span, "internal: callee was not fetched");
                }
            }
        }
        let Some(sig) = sigs.get(*id).cloned() else {
            continue;
        };
        funcs.push(lower_fn(
            &mut cx,
            item,
            &sig,
            id.to_string(),
            ids,
            &csigs,
            &table(id),
        ));
    }
    if cx.has_errors() {
        return with_fallback(cx, &root_sig);
    }
    let math = state.math_kernels();
    let math_map: HashMap<String, usize> = math
        .iter()
        .filter_map(|(key, id)| funcs.iter().position(|f| f.id == *id).map(|k| (key.clone(), k)))
        .collect();
    let mut extra = TokenStream::new();
    if let Some(attr) = root.attrs.iter().find(|a| a.path().is_ident("xp_fit_model")) {
        let samples: Option<syn::Ident> = attr.parse_args().ok();
        let Some(pred) = crate::model::pred_index(&root_sig) else {
            return with_fallback(cx, &root_sig);
        };
        crate::model::check_write_only(&mut cx, &funcs[0], pred);
        if cx.has_errors() {
            return with_fallback(cx, &root_sig);
        }
        match crate::model::build(&mut cx, &funcs, &math, pred, samples.as_ref()) {
            Some(b) => extra = b.items,
            None => return with_fallback(cx, &root_sig),
        }
    }
    launch_module(&funcs, &math_map, extra, None)
}

/// The struct layouts each function of the bundle names, by path as written.
fn struct_tables(cx: &mut Ctxt, state: &State) -> HashMap<String, StructTable> {
    let layouts: HashMap<&str, Rc<Layout>> = state
        .layouts
        .iter()
        .map(|(id, item)| (id.as_str(), Rc::new(Layout::from_item(id, item))))
        .collect();
    let mut out = HashMap::new();
    let items = std::iter::once((state.root_id.as_str(), &state.root))
        .chain(state.done.iter().map(|d| (d.id.as_str(), &d.item)));
    for (id, item) in items {
        let mut table = StructTable::new();
        for (j, c) in struct_paths(item).iter().enumerate() {
            let found = state
                .layout_edges
                .iter()
                .find(|e| e.from == id && e.index == j)
                .and_then(|e| layouts.get(e.to.as_str()));
            match found {
                Some(l) => {
                    table.insert(path_key(&c.path), l.clone());
                }
                None => cx.error(c.span, "internal: struct layout was not fetched"),
            }
        }
        out.insert(id.to_string(), table);
    }
    out
}

fn with_fallback(cx: Ctxt, sig: &Sig) -> TokenStream {
    let errors = cx.to_compile_errors();
    let module = fallback_module(sig, false);
    quote!(#errors #module)
}

/// Rejects recursion reachable from the root, at the root's call that leads into it.
fn check_recursion(cx: &mut Ctxt, state: &State) {
    let mut graph: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in &state.edges {
        graph.entry(e.from.as_str()).or_default().push(e.to.as_str());
    }
    let names: HashMap<&str, String> =
        std::iter::once((state.root_id.as_str(), state.root.sig.ident.to_string()))
            .chain(
                state
                    .done
                    .iter()
                    .map(|d| (d.id.as_str(), d.item.sig.ident.to_string())),
            )
            .collect();
    let calls = call_paths(&state.root.block);
    for e in state.edges.iter().filter(|e| e.from == state.root_id) {
        if let Some(cycle) = find_cycle(&graph, &e.to, &state.root_id) {
            let chain: Vec<String> = cycle
                .iter()
                .map(|id| format!("`{}`", names.get(id).cloned().unwrap_or_default()))
                .collect();
            let span = calls
                .get(e.index)
                .map(|c| c.span)
                .unwrap_or_else(proc_macro2::Span::call_site);
            cx.error(
                span,
                format!(
                    "recursion is not supported in #[xp_kernel] functions (calls are inlined): {}; rewrite it with a loop",
                    chain.join(" calls ")
                ),
            );
        }
    }
}

/// A path from `start` that returns to `root` or to a node already on the path.
fn find_cycle<'a>(
    graph: &HashMap<&'a str, Vec<&'a str>>,
    start: &'a str,
    root: &'a str,
) -> Option<Vec<&'a str>> {
    fn dfs<'a>(
        g: &HashMap<&'a str, Vec<&'a str>>,
        node: &'a str,
        path: &mut Vec<&'a str>,
        seen: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(pos) = path.iter().position(|n| *n == node) {
            let mut c = path[pos..].to_vec();
            c.push(node);
            return Some(c);
        }
        if seen.contains(&node) {
            return None;
        }
        seen.push(node);
        path.push(node);
        for next in g.get(node).into_iter().flatten() {
            if let Some(c) = dfs(g, next, path, seen) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut path = vec![root];
    let mut seen = Vec::new();
    dfs(graph, start, &mut path, &mut seen)
}

/// The hash that makes a kernel's export macro name unique in its crate.
pub fn unique_id(name: &syn::Ident) -> (String, String) {
    let site = proc_macro::Span::call_site();
    let krate = std::env::var("CARGO_CRATE_NAME").unwrap_or_default();
    let id = format!("{krate}:{}:{}:{}:{name}", site.file(), site.line(), site.column());
    hash_of(&id)
}

/// `(id, hash of id)`.
pub fn hash_of(id: &str) -> (String, String) {
    let id = id.to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    (id, format!("{h:016x}"))
}

/// The function as written, with the kernel attributes on its parameters removed, and the
/// clippy lints allowed that recommend constructs outside the kernel language (iterators,
/// `copy_from_slice`, `clamp`).
pub fn original(f: &ItemFn) -> ItemFn {
    let mut f = f.clone();
    f.attrs
        .retain(|a| a.path().segments.last().is_none_or(|s| s.ident != "xp_kernel"));
    f.attrs.push(syn::parse_quote!(#[allow(
        clippy::needless_range_loop,
        clippy::manual_memcpy,
        clippy::manual_clamp,
        clippy::manual_rotate,
        clippy::manual_rem_euclid,
        clippy::explicit_counter_loop
    )]));
    for arg in f.sig.inputs.iter_mut() {
        if let syn::FnArg::Typed(pt) = arg {
            pt.attrs.clear();
        }
    }
    f
}

/// `f` with its body replaced, for a kernel with errors: the signature stays for callers.
pub fn stub(f: &ItemFn) -> ItemFn {
    let mut f = f.clone();
    f.attrs.push(
        syn::parse_quote!(#[allow(unused_variables, unreachable_code, clippy::diverging_sub_expression)]),
    );
    f.block = Box::new(syn::parse_quote!({
        ::core::panic!("this kernel did not compile")
    }));
    f
}
