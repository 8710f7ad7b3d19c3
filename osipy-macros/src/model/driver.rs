//! The fit kernel of a model, written in the kernel language: bounded Levenberg-Marquardt around
//! the model's evaluation function, unrolled for its fitted parameters.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::sig::{ParamKind, Sig};

use super::unroll;

fn param_type(p: &crate::sig::Param) -> TokenStream {
    let t = p.elem.tokens();
    match p.kind {
        ParamKind::Scalar => quote!(#t),
        ParamKind::Row => quote!(&[#t]),
        ParamKind::OutRow => quote!(&mut [#t]),
        ParamKind::OutScalar => quote!(&mut #t),
    }
}

/// The fit kernel: bounded Levenberg-Marquardt around `__xp_eval`, unrolled for `P`
/// parameters so that a GPU thread holds its state in registers. The algorithm is the one
/// documented in `osipy_kernels::fit`.
pub(super) fn driver_fn(sig: &Sig, pred: usize, fitted: &[usize], weighted: bool) -> syn::ItemFn {
    let np = fitted.len();
    let name = if weighted {
        format_ident!("fit_weighted")
    } else {
        format_ident!("fit")
    };
    let (w_param, w_arg, wk) = if weighted {
        (
            quote!(#[uniform] __xp_w: &[f64],),
            quote!(__xp_w,),
            quote!(__xp_w[__xp_k]),
        )
    } else {
        (quote!(), quote!(), quote!(1.0))
    };
    let inputs: Vec<TokenStream> = sig
        .params
        .iter()
        .enumerate()
        .filter(|(i, p)| *i != pred && p.fit.is_none())
        .map(|(_, p)| {
            let n = &p.name;
            let t = param_type(p);
            if p.uniform {
                quote!(#[uniform] #n: #t)
            } else {
                quote!(#n: #t)
            }
        })
        .collect();
    let id = |s: &str, a: usize| format_ident!("__xp_{}{}", s, a);
    let id2 = |s: &str, a: usize, b: usize| format_ident!("__xp_{}{}_{}", s, a, b);
    let a_idx: Vec<usize> = (0..np).collect();
    let p: Vec<_> = a_idx.iter().map(|a| id("p", *a)).collect();
    let pn: Vec<_> = a_idx.iter().map(|a| id("pn", *a)).collect();
    let lo: Vec<_> = a_idx.iter().map(|a| id("lo", *a)).collect();
    let hi: Vec<_> = a_idx.iter().map(|a| id("hi", *a)).collect();
    let ini: Vec<_> = a_idx.iter().map(|a| id("i", *a)).collect();
    let g: Vec<_> = a_idx.iter().map(|a| id("g", *a)).collect();
    let gn: Vec<_> = a_idx.iter().map(|a| id("gn", *a)).collect();
    let fr: Vec<_> = a_idx.iter().map(|a| id("free", *a)).collect();
    let rhs: Vec<_> = a_idx.iter().map(|a| id("r", *a)).collect();
    let z: Vec<_> = a_idx.iter().map(|a| id("z", *a)).collect();
    let d: Vec<_> = a_idx.iter().map(|a| id("d", *a)).collect();
    let tri: Vec<(usize, usize)> = (0..np).flat_map(|a| (0..=a).map(move |b| (a, b))).collect();
    let h: Vec<_> = tri.iter().map(|(a, b)| id2("h", *a, *b)).collect();
    let hn: Vec<_> = tri.iter().map(|(a, b)| id2("hn", *a, *b)).collect();
    let ai: Vec<_> = a_idx.iter().map(|a| syn::Index::from(*a)).collect();
    let haa: Vec<_> = a_idx.iter().map(|a| id2("h", *a, *a)).collect();
    let dm: Vec<_> = a_idx.iter().map(|a| id("dm", *a)).collect();
    let ai_lit: Vec<_> = a_idx
        .iter()
        .map(|a| proc_macro2::Literal::usize_unsuffixed(*a))
        .collect();

    // Arguments of `__xp_eval` in the model's order.
    let model_args = |params: &[syn::Ident]| -> Vec<TokenStream> {
        let mut k = 0;
        sig.params
            .iter()
            .enumerate()
            .map(|(i, prm)| {
                if prm.fit.is_some() {
                    let x = &params[k];
                    k += 1;
                    quote!(#x)
                } else if i == pred {
                    quote!(__xp_y)
                } else {
                    let n = &prm.name;
                    quote!(#n)
                }
            })
            .collect()
    };
    let args_p = model_args(&p);
    let args_pn = model_args(&pn);

    // Damped matrix (in the scaled coordinates of the step) and its Cholesky factor, unrolled.
    let scale: Vec<_> = a_idx.iter().map(|a| id("scale", *a)).collect();
    let scn: Vec<_> = a_idx.iter().map(|a| id("scn", *a)).collect();
    let stp: Vec<_> = a_idx.iter().map(|a| id("stp", *a)).collect();
    let pt: Vec<_> = a_idx.iter().map(|a| id("pt", *a)).collect();
    let is_log: Vec<bool> = fitted
        .iter()
        .map(|i| sig.params[*i].fit.as_ref().is_some_and(|f| f.log))
        .collect();
    // A parameter on a log scale steps in `ln p` while it is positive: its column is scaled by
    // `p` (`scale_of`), a step `d` moves it to `p exp(d)` (`moved`), and a move to `pn` is the
    // step `ln(pn / p)` (`step_of`). The others step in `p` (scale 1); only a log-scaled
    // parameter's code calls `exp` and `ln`.
    let scale_of = |a: usize, at: &syn::Ident| -> TokenStream {
        if is_log[a] {
            quote!(if #at > 0.0 { #at } else { 1.0 })
        } else {
            quote!(1.0)
        }
    };
    let moved: Vec<TokenStream> = a_idx
        .iter()
        .map(|a| {
            let (pa, da) = (&p[*a], &d[*a]);
            if is_log[*a] {
                quote!(if #pa > 0.0 { #pa * #da.exp() } else { #pa + #da })
            } else {
                quote!(#pa + #da)
            }
        })
        .collect();
    let step_of: Vec<TokenStream> = a_idx
        .iter()
        .map(|a| {
            let (pa, pna, sa) = (&p[*a], &pn[*a], &scale[*a]);
            if is_log[*a] {
                quote!(if #pa > 0.0 { (#pna / #pa).ln() } else { (#pna - #pa) / #sa })
            } else {
                quote!(#pna - #pa)
            }
        })
        .collect();
    let scale_p: Vec<TokenStream> = a_idx.iter().map(|a| scale_of(*a, &p[*a])).collect();
    let (chol, pivots) = unroll::cholesky(np, &tri, &fr, &scale);
    let solve = unroll::solve(np, &z, &rhs, &d);
    // Predicted decrease of the cost for the step taken, `2 s.g - s.H.s` in scaled coordinates.
    let pred_terms = unroll::predicted_decrease(&tri, &stp, &scale);

    let bits: Vec<_> = a_idx.iter().map(|a| 1u32 << a).collect();
    let bits = bits.iter().map(|b| proc_macro2::Literal::u32_unsuffixed(*b));
    let _ = &ai;
    syn::parse_quote! {
        pub fn #name(
            #(#inputs,)*
            __xp_y: &[f64],
            #w_param
            __xp_init: &[f64],
            __xp_lo: &[f64],
            __xp_hi: &[f64],
            __xp_mask: bool,
            #[uniform] __xp_cfg: &[f64],
            __xp_p: &mut [f64],
            __xp_chi2: &mut f64,
            __xp_r2: &mut f64,
            __xp_iters: &mut u32,
            __xp_status: &mut u32,
            __xp_at_bound: &mut u32,
        ) {
            *__xp_chi2 = f64::NAN;
            *__xp_r2 = f64::NAN;
            *__xp_iters = 0;
            *__xp_at_bound = 0;
            #( __xp_p[#ai_lit] = f64::NAN; )*
            if !__xp_mask {
                *__xp_status = 7;
                return;
            }
            let __xp_n = __xp_y.len();
            for __xp_k in 0..__xp_n {
                if !__xp_y[__xp_k].is_finite() {
                    *__xp_status = 5;
                    return;
                }
            }
            #(
                let #lo = __xp_lo[#ai_lit];
                let #hi = __xp_hi[#ai_lit];
                let #ini = __xp_init[#ai_lit];
            )*
            if false #( || !(#lo <= #hi) || #ini.is_nan() )* {
                *__xp_status = 8;
                return;
            }
            #( let mut #p = #ini.max(#lo).min(#hi); )*
            let __xp_max_iter = __xp_cfg[0] as u32;
            let __xp_ftol = __xp_cfg[1];
            let __xp_xtol = __xp_cfg[2];
            let __xp_gtol = __xp_cfg[3];
            let mut __xp_lambda = __xp_cfg[4];
            let __xp_up = __xp_cfg[5];
            let __xp_down = __xp_cfg[6];
            // Driver: 0 classic, 1 adaptive.
            let __xp_new = __xp_cfg[7] != 0.0;
            let mut __xp_nu = __xp_up;
            let mut __xp_trust = false;
            let mut __xp_held = false;
            let mut __xp_c = 0.0;
            #( let mut #g = 0.0; )*
            #( let mut #h = 0.0; )*
            __xp_eval(#(#args_p,)* #w_arg &mut __xp_c #(, &mut #g)* #(, &mut #h)*);
            if !__xp_c.is_finite() {
                *__xp_status = 9;
                return;
            }
            #(
                let #scn = #scale_p;
                let mut #dm = #haa * #scn * #scn;
            )*
            let mut __xp_it: u32 = 0;
            let mut __xp_st: u32 = 4;
            loop {
                if __xp_c == 0.0 {
                    __xp_st = 1;
                    break;
                }
                #( let mut #fr = !((#p <= #lo && #g < 0.0) || (#p >= #hi && #g > 0.0)); )*
                let mut __xp_gmax = 0.0;
                #(
                    if #fr {
                        let __xp_den = (#haa * __xp_c).sqrt();
                        let __xp_sc = if __xp_den > 0.0 {
                            #g.abs() / __xp_den
                        } else if #g == 0.0 {
                            0.0
                        } else {
                            f64::INFINITY
                        };
                        __xp_gmax = __xp_gmax.max(__xp_sc);
                    }
                )*
                if __xp_gmax <= __xp_gtol {
                    __xp_st = 3;
                    break;
                }
                if __xp_it >= __xp_max_iter {
                    __xp_st = 4;
                    break;
                }
                __xp_it += 1;
                // A log-scaled parameter steps in ln p: its column is scaled by p.
                #( let #scale = #scale_p; )*
                if __xp_new {
                    // Held: a parameter that has had no influence anywhere yet.
                    #(
                        if #dm == 0.0 {
                            #fr = false;
                            __xp_held = true;
                        }
                    )*
                }
                #( let mut #d = 0.0; )*
                let mut __xp_ok = true;
                loop {
                    #( let #rhs = if #fr { #g * #scale } else { 0.0 }; )*
                    #(#chol)*
                    if !(true #( && #pivots)*) {
                        __xp_ok = false;
                        break;
                    }
                    #(#solve)*
                    if !__xp_new {
                        break;
                    }
                    // Active set: a parameter on a bound whose step points out is held, and the
                    // step solved again without it.
                    let mut __xp_more = false;
                    #(
                        if #fr && ((#p <= #lo && #d < 0.0) || (#p >= #hi && #d > 0.0)) {
                            #fr = false;
                            __xp_more = true;
                        }
                    )*
                    if !__xp_more {
                        break;
                    }
                }
                if !__xp_ok {
                    __xp_trust = false;
                    if __xp_new {
                        __xp_lambda = __xp_lambda * __xp_nu;
                        __xp_nu = 2.0 * __xp_nu;
                    } else {
                        __xp_lambda = __xp_lambda * __xp_up;
                    }
                    if __xp_lambda > 1e16 {
                        __xp_st = 6;
                        break;
                    }
                    continue;
                }
                #(
                    let #pt = #moved;
                    let #pn = #pt.max(#lo).min(#hi);
                )*
                if true #( && (#pn - #p).abs() <= __xp_xtol * (#p.abs() + __xp_xtol) )* {
                    __xp_st = 2;
                    break;
                }
                // The decrease of the cost that the linear model predicts for the step taken
                // (clamped into the bounds), in the scaled coordinates: `2 s.g - s.H.s`.
                let mut __xp_pred = 0.0;
                if __xp_new {
                    #( let #stp = #step_of; )*
                    #( __xp_pred += 2.0 * #stp * (#g * #scale); )*
                    #(#pred_terms)*
                    if __xp_trust #( && #pn == #pt )* && __xp_pred <= __xp_ftol * __xp_c {
                        __xp_st = 1;
                        break;
                    }
                }
                let mut __xp_cn = 0.0;
                #( let mut #gn = 0.0; )*
                #( let mut #hn = 0.0; )*
                __xp_eval(#(#args_pn,)* #w_arg &mut __xp_cn #(, &mut #gn)* #(, &mut #hn)*);
                if __xp_cn < __xp_c {
                    let __xp_rel = (__xp_c - __xp_cn) / __xp_c;
                    if __xp_new {
                        // Nielsen's update from the gain ratio of the step.
                        let __xp_rho = if __xp_pred > 0.0 { (__xp_c - __xp_cn) / __xp_pred } else { 1.0 };
                        let __xp_q = 2.0 * __xp_rho - 1.0;
                        let __xp_f = (1.0 - __xp_q * __xp_q * __xp_q).max(__xp_down);
                        __xp_lambda = (__xp_lambda * __xp_f).max(1e-15);
                        __xp_nu = (0.5 * __xp_up).max(2.0);
                        __xp_trust = true;
                    } else {
                        __xp_lambda = (__xp_lambda * __xp_down).max(1e-15);
                    }
                    #( #p = #pn; )*
                    #( #g = #gn; )*
                    #( #h = #hn; )*
                    #(
                        let #scn = #scale_p;
                        #dm = #dm.max(#haa * #scn * #scn);
                    )*
                    __xp_c = __xp_cn;
                    if __xp_rel <= __xp_ftol {
                        __xp_st = 1;
                        break;
                    }
                } else {
                    if __xp_new {
                        __xp_lambda = __xp_lambda * __xp_nu;
                        __xp_nu = 2.0 * __xp_nu;
                    } else {
                        __xp_lambda = __xp_lambda * __xp_up;
                    }
                    __xp_trust = false;
                    if __xp_lambda > 1e16 {
                        __xp_st = 2;
                        break;
                    }
                }
            }
            // Stopped on the cost or the step with a parameter on a bound whose gradient points
            // inwards by more than the tolerances allow: not a minimum within the bounds.
            if __xp_st == 1 || __xp_st == 2 {
                let __xp_thr = __xp_gtol.max(__xp_ftol.sqrt());
                #(
                    if (#p <= #lo && #g > 0.0) || (#p >= #hi && #g < 0.0) {
                        if !(#g.abs() <= __xp_thr * (#haa * __xp_c).sqrt()) {
                            __xp_st = 10;
                        }
                    }
                )*
            }
            // A parameter held for want of influence that never gained any is undetermined (where
            // the classic driver finds the system singular).
            if __xp_held && (__xp_st == 1 || __xp_st == 2 || __xp_st == 3) {
                #(
                    if #dm == 0.0 {
                        __xp_st = 6;
                    }
                )*
            }
            #( __xp_p[#ai_lit] = #p; )*
            *__xp_chi2 = __xp_c;
            *__xp_iters = __xp_it;
            *__xp_status = __xp_st;
            let mut __xp_ab: u32 = 0;
            #(
                if #p <= #lo || #p >= #hi {
                    __xp_ab = __xp_ab | #bits;
                }
            )*
            *__xp_at_bound = __xp_ab;
            let mut __xp_sw = 0.0;
            let mut __xp_sy = 0.0;
            for __xp_k in 0..__xp_n {
                let __xp_wk = #wk;
                __xp_sw += __xp_wk;
                __xp_sy += __xp_wk * __xp_y[__xp_k];
            }
            let __xp_ybar = __xp_sy / __xp_sw;
            let mut __xp_sst = 0.0;
            for __xp_k in 0..__xp_n {
                let __xp_dy = __xp_y[__xp_k] - __xp_ybar;
                __xp_sst += #wk * __xp_dy * __xp_dy;
            }
            *__xp_r2 = if __xp_sst > 0.0 { 1.0 - __xp_c / __xp_sst } else { f64::NAN };
        }
    }
}
