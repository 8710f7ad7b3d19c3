//! The signature of a fit model, checked at the attribute: fitted parameters, bounds, the
//! prediction row and `samples = NAME`.

use quote::quote;

use crate::ctxt::Ctxt;
use crate::sig::{ParamKind, Sig};
use crate::types::Scalar;

use super::write_only::check_write_only_syn;
use super::{pred_index, MAX_PARAMS};

/// Checks `samples = NAME` of a fit model: NAME is one of its `#[uniform]` `&[f64]` rows.
pub fn check_samples(cx: &mut Ctxt, sig: &Sig, axis: &syn::Ident) {
    match sig.params.iter().find(|p| p.name == *axis) {
        None => {
            let rows: Vec<String> = sig
                .params
                .iter()
                .filter(|p| p.uniform && p.kind == ParamKind::Row)
                .map(|p| format!("`{}`", p.name))
                .collect();
            cx.spanned(
                axis,
                format!(
                    "`samples = {axis}`: the model has no argument `{axis}`; its uniform rows are {}",
                    if rows.is_empty() {
                        "none".to_string()
                    } else {
                        rows.join(", ")
                    }
                ),
            );
        }
        Some(p) if !(p.uniform && p.kind == ParamKind::Row && p.elem == Scalar::F64) => cx.spanned(
            axis,
            format!(
                "`samples = {axis}`: the axis the prediction follows is a `#[uniform] {axis}: &[f64]` row"
            ),
        ),
        Some(_) => {}
    }
}

/// Checks the signature of a fit model, with errors at the attribute, type or argument
/// concerned.
pub fn check_sig(cx: &mut Ctxt, f: &syn::ItemFn, sig: &Sig) {
    if let Some(sa) = sig.structs.first() {
        cx.error(
            sa.span,
            "a fit model takes no struct argument: its arguments are fitted parameters, inputs and the prediction row; use the struct as a local of the body, or in a kernel the model calls",
        );
        return;
    }
    if sig.ret_struct.is_some() {
        cx.spanned(
            &f.sig.output,
            "a fit model returns nothing: it writes its prediction into the output row",
        );
        return;
    }
    let args: Vec<&syn::PatType> = f
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(pt) => Some(pt),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let attr = |pt: &syn::PatType, name: &str| pt.attrs.iter().find(|a| a.path().is_ident(name)).cloned();
    let mut n = 0;
    for (p, pt) in sig.params.iter().zip(&args) {
        if p.fit.is_none() {
            continue;
        }
        n += 1;
        if p.kind != ParamKind::Scalar || p.elem != Scalar::F64 {
            let ty = &pt.ty;
            cx.spanned(
                ty,
                format!(
                    "a fitted parameter (`#[param]`) is an `f64` value, found `{}`: write `{}: f64`, or remove `#[param]` if this argument is an input",
                    quote!(#ty).to_string().replace(" ", ""),
                    p.name
                ),
            );
        } else if p.uniform {
            match attr(pt, "uniform") {
                Some(u) => cx.spanned(
                    &u,
                    "a fitted parameter has a value per voxel: remove `#[uniform]`",
                ),
                None => cx.error(
                    p.span,
                    "a fitted parameter has a value per voxel: remove `#[uniform]`",
                ),
            }
        }
    }
    if n == 0 {
        cx.spanned(
            &f.sig.ident,
            "a fit model needs at least one fitted parameter: mark the fitted `f64` arguments with `#[param]`",
        );
    }
    if n > MAX_PARAMS {
        cx.spanned(
            &f.sig.ident,
            format!("a fit model has at most {MAX_PARAMS} fitted parameters, found {n}"),
        );
    }
    let outs: Vec<usize> = (0..sig.params.len())
        .filter(|i| sig.params[*i].is_output())
        .collect();
    let rows = outs
        .iter()
        .filter(|i| sig.params[**i].kind == ParamKind::OutRow)
        .count();
    if outs.is_empty() {
        cx.spanned(
            &f.sig.inputs,
            "a fit model has one output, the prediction row: add `pred: &mut [f64]`",
        );
    } else if rows != 1 || outs.len() != 1 {
        for i in &outs {
            let msg = format!(
                "a fit model has exactly one output, the prediction row (`pred: &mut [f64]`); found {} output row(s) and {} output value(s): compute the other results with a separate kernel",
                rows,
                outs.len() - rows
            );
            match args.get(*i) {
                Some(pt) => cx.spanned(pt, msg),
                None => cx.error(sig.params[*i].span, msg),
            }
        }
    } else if sig.params[outs[0]].elem != Scalar::F64 {
        match args.get(outs[0]) {
            Some(pt) => cx.spanned(&pt.ty, "the prediction row of a fit model is `&mut [f64]`"),
            None => cx.error(
                sig.params[outs[0]].span,
                "the prediction row of a fit model is `&mut [f64]`",
            ),
        }
    }
    if !sig.ret.is_empty() {
        cx.spanned(
            &f.sig.output,
            "a fit model returns nothing: it writes its prediction into the output row",
        );
    }
    if let (Some(i), false) = (pred_index(sig), cx.has_errors()) {
        check_write_only_syn(cx, f, &sig.params[i].name.to_string());
    }
}
