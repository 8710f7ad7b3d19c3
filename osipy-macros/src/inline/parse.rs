//! The state of a chain as tokens: parsed from the input of `xp_inline!` and written back into
//! the next invocation.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{bracketed, Ident, LitInt, LitStr, Token};

use super::*;

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

pub(super) fn edge_tokens(edges: &[Edge]) -> Vec<TokenStream> {
    edges
        .iter()
        .map(|e| {
            let (f, t) = (&e.from, &e.to);
            let i = proc_macro2::Literal::usize_unsuffixed(e.index);
            quote!(#f #i #t)
        })
        .collect()
}
