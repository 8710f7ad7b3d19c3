//! The linear algebra of one step of the fit kernel, unrolled for its fitted parameters: the
//! damped matrix in the scaled coordinates of the step and its Cholesky factor, the two
//! triangular solves, and the decrease of the cost that the step predicts.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

fn id(s: &str, a: usize) -> Ident {
    format_ident!("__xp_{}{}", s, a)
}

fn id2(s: &str, a: usize, b: usize) -> Ident {
    format_ident!("__xp_{}{}_{}", s, a, b)
}

fn aname(a: usize, b: usize) -> Ident {
    format_ident!("__xp_a{}_{}", a, b)
}

fn lname(a: usize, b: usize) -> Ident {
    format_ident!("__xp_l{}_{}", a, b)
}

/// The damped matrix and its Cholesky factor (`tri`: the lower triangle's index pairs, `fr`
/// whether each parameter is free, `scale` its column scale): the statements, and the pivots
/// that must be positive.
pub(super) fn cholesky(
    np: usize,
    tri: &[(usize, usize)],
    fr: &[Ident],
    scale: &[Ident],
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut chol = Vec::new();
    for (a, b) in tri {
        let an = aname(*a, *b);
        let hab = id2("h", *a, *b);
        let (fa, fb) = (&fr[*a], &fr[*b]);
        let (sa, sb) = (&scale[*a], &scale[*b]);
        if a == b {
            let dm = id("dm", *a);
            chol.push(quote!(let #an = if #fa { #hab * #sa * #sa + __xp_lambda * #dm } else { 1.0 };));
        } else {
            chol.push(quote!(let #an = if #fa && #fb { #hab * #sa * #sb } else { 0.0 };));
        }
    }
    let mut pivots = Vec::new();
    for j in 0..np {
        let s = format_ident!("__xp_s{}", j);
        let ajj = aname(j, j);
        let ljj = lname(j, j);
        let sq: Vec<_> = (0..j).map(|k| lname(j, k)).collect();
        chol.push(quote!(let #s = #ajj #(- #sq * #sq)*;));
        chol.push(quote!(let #ljj = #s.sqrt();));
        pivots.push(quote!(#s > 0.0));
        for i in j + 1..np {
            let lij = lname(i, j);
            let aij = aname(i, j);
            let prods: Vec<_> = (0..j)
                .map(|k| {
                    let x = lname(i, k);
                    let y = lname(j, k);
                    quote!(#x * #y)
                })
                .collect();
            chol.push(quote!(let #lij = (#aij #(- #prods)*) / #ljj;));
        }
    }
    (chol, pivots)
}

/// Forward substitution into `z` from `rhs`, then back substitution into `d`.
pub(super) fn solve(np: usize, z: &[Ident], rhs: &[Ident], d: &[Ident]) -> Vec<TokenStream> {
    let mut solve = Vec::new();
    for i in 0..np {
        let (zi, ri, lii) = (&z[i], &rhs[i], lname(i, i));
        let prods: Vec<_> = (0..i)
            .map(|k| {
                let l = lname(i, k);
                let zk = &z[k];
                quote!(#l * #zk)
            })
            .collect();
        solve.push(quote!(let #zi = (#ri #(- #prods)*) / #lii;));
    }
    for i in (0..np).rev() {
        let (di, zi, lii) = (&d[i], &z[i], lname(i, i));
        let prods: Vec<_> = (i + 1..np)
            .map(|k| {
                let l = lname(k, i);
                let dk = &d[k];
                quote!(#l * #dk)
            })
            .collect();
        solve.push(quote!(#di = (#zi #(- #prods)*) / #lii;));
    }
    solve
}

/// Predicted decrease of the cost for the step `stp`, `2 s.g - s.H.s` in scaled coordinates:
/// the `s.H.s` part, one statement per entry of the lower triangle.
pub(super) fn predicted_decrease(tri: &[(usize, usize)], stp: &[Ident], scale: &[Ident]) -> Vec<TokenStream> {
    let mut pred_terms = Vec::new();
    for (a, b) in tri {
        let hab = id2("h", *a, *b);
        let (sa, sb, ka, kb) = (&stp[*a], &stp[*b], &scale[*a], &scale[*b]);
        let k = if a == b { quote!(1.0) } else { quote!(2.0) };
        pred_terms.push(quote!(__xp_pred -= #k * #sa * #sb * (#hab * #ka * #kb);));
    }
    pred_terms
}
