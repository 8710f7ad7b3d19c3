//! A fit model's generated items: the differentiated evaluation and Jacobian functions, the fit
//! kernels lowered like any kernel, their launch modules and the fitting API.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ad::{eval_extra, jacobian_extra, Ad, Mode};
use crate::ctxt::Ctxt;
use crate::ir::*;
use crate::sig::{ParamKind, Sig};

use super::api::{api, samples_index};
use super::driver::driver_fn;

/// What the generated fit needs from the model bundle.
pub struct Built {
    /// Items for the model's module: `fit` and `jacobian` modules, `Fitter`, constants.
    pub items: TokenStream,
}

/// Generates the fit and Jacobian modules and the fitting API of a model.
pub fn build(
    cx: &mut Ctxt,
    bundle: &[Func],
    math: &[(String, String)],
    pred: usize,
    samples: Option<&syn::Ident>,
) -> Option<Built> {
    let root = &bundle[0];
    let sig = &root.sig;
    let span = Span::call_site();
    let fitted: Vec<usize> = (0..sig.params.len())
        .filter(|i| sig.params[*i].fit.is_some())
        .collect();
    let np = fitted.len();
    let mut ad = Ad::new(bundle, pred, np);

    // The evaluation functions (unweighted, weighted): the model's parameters (prediction row
    // -> data row) and the sums of the fit.
    let mut evals = Vec::new();
    for weighted in [false, true] {
        let mut eval_params = sig.params.clone();
        eval_params[pred].kind = ParamKind::Row;
        eval_params[pred].name = syn::Ident::new("__xp_y", span);
        for p in &mut eval_params {
            p.fit = None;
            p.uniform = false;
        }
        eval_params.extend(eval_extra(np, weighted, span));
        let eval_sig = Sig {
            name: syn::Ident::new("__xp_eval", span),
            vis: syn::Visibility::Inherited,
            params: eval_params,
            ret: Vec::new(),
            ret_tuple: false,
            structs: Vec::new(),
            ret_struct: None,
        };
        let eval_id = format!("{}#eval{}", root.id, if weighted { "w" } else { "" });
        let eval = ad.root(Mode::Eval { weighted }, eval_id.clone(), eval_sig.clone());
        evals.push((weighted, eval_id, eval_sig, eval));
    }

    // The Jacobian kernel: the model's signature plus the derivative rows.
    let mut jac_params = sig.params.clone();
    for p in &mut jac_params {
        p.fit = None;
    }
    jac_params.extend(jacobian_extra(span));
    let jac_sig = Sig {
        name: syn::Ident::new("jacobian", span),
        vis: syn::parse_quote!(pub),
        params: jac_params,
        ret: Vec::new(),
        ret_tuple: false,
        structs: Vec::new(),
        ret_struct: None,
    };
    let jac = ad.root(Mode::Jacobian, format!("{}#jacobian", root.id), jac_sig);
    for (s, m) in std::mem::take(&mut ad.errors) {
        cx.error(s, m);
    }
    if cx.has_errors() {
        return None;
    }
    let variants = std::mem::take(&mut ad.variants);

    // The fit kernels, written in the kernel language and lowered like any kernel.
    let mut drivers = Vec::new();
    for (weighted, eval_id, eval_sig, eval) in evals {
        let driver = driver_fn(sig, pred, &fitted, weighted);
        let mut dcx = Ctxt::default();
        let driver_sig = crate::sig::parse_sig(&mut dcx, &driver, None)?;
        let driver_func = crate::lower::lower_fn(
            &mut dcx,
            &driver,
            &driver_sig,
            format!("{}#fit{}", root.id, if weighted { "w" } else { "" }),
            vec![eval_id],
            &[eval_sig],
            &crate::structs::StructTable::new(),
        );
        if dcx.has_errors() {
            let msg = format!(
                "internal error: the generated fit of `{}` did not lower: {}",
                sig.name,
                dcx.to_compile_errors()
            );
            cx.error(sig.name.span(), msg);
            return None;
        }
        drivers.push((driver_func, eval));
    }

    let rest: Vec<Func> = bundle[1..].to_vec();
    let map = |b: &[Func]| -> HashMap<String, usize> {
        math.iter()
            .filter_map(|(key, id)| b.iter().position(|f| f.id == *id).map(|k| (key.clone(), k)))
            .collect()
    };
    let mut mods = TokenStream::new();
    for (driver_func, eval) in drivers {
        let display = format!("{}::{}", sig.name, driver_func.sig.name);
        let mut b = vec![driver_func, eval];
        b.extend(variants.iter().cloned());
        b.extend(rest.iter().cloned());
        mods.extend(crate::launch::launch_module(
            &b,
            &map(&b),
            quote!(),
            Some(display),
        ));
    }
    let mut jac_bundle = vec![jac];
    jac_bundle.extend(variants);
    jac_bundle.extend(rest);
    mods.extend(crate::launch::launch_module(
        &jac_bundle,
        &map(&jac_bundle),
        quote!(),
        Some(format!("{}::jacobian", sig.name)),
    ));
    let axis = samples_index(sig, pred, samples);
    let api = api(sig, pred, &fitted, axis);
    Some(Built {
        items: quote!(#mods #api),
    })
}
