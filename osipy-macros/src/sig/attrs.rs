//! The attributes of an argument: `#[uniform]` and a fit model's `#[param(init, lower, upper,
//! log)]`.

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;

use super::*;

/// Reads `#[uniform]` and `#[param(..)]` and rejects every other attribute on a parameter.
/// Returns the span of `#[uniform]` if present, and the fit specification.
pub(super) fn parse_param_attrs(cx: &mut Ctxt, attrs: &[syn::Attribute]) -> (Option<Span>, Option<FitSpec>) {
    let mut uniform: Option<Span> = None;
    let mut fit: Option<FitSpec> = None;
    for a in attrs {
        if a.path().is_ident("uniform") {
            if !matches!(a.meta, syn::Meta::Path(_)) {
                cx.spanned(&a, "`#[uniform]` takes no arguments");
            }
            if uniform.is_some() {
                cx.spanned(&a, "duplicate `#[uniform]` on this argument");
            }
            uniform = Some(a.span());
        } else if a.path().is_ident("param") {
            if fit.is_some() {
                cx.spanned(&a, "duplicate `#[param]` on this argument");
            }
            fit = Some(parse_fit_spec(cx, a));
        } else {
            let name = a
                .path()
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_else(|| "..".into());
            cx.spanned(&a,
                format!("unknown attribute `#[{name}]` on a kernel argument; supported are `#[uniform]` and, in a fit model, `#[param]`"),
            );
        }
    }
    (uniform, fit)
}

/// `#[param]` or `#[param(init = 0.1, lower = 0.0, upper = 5.0, log)]` (any subset, float
/// literals, optionally negative; bounds may be `f64::INFINITY`-like `inf` only through the
/// defaults: an omitted bound is unbounded; `log` needs `lower >= 0`).
fn parse_fit_spec(cx: &mut Ctxt, a: &syn::Attribute) -> FitSpec {
    let mut spec = FitSpec {
        init: 0.0,
        lower: f64::NEG_INFINITY,
        upper: f64::INFINITY,
        log: false,
        span: a.span(),
    };
    if matches!(a.meta, syn::Meta::Path(_)) {
        return spec;
    }
    let mut seen: Vec<String> = Vec::new();
    let r = a.parse_nested_meta(|m| {
        let key = m.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
        if !matches!(key.as_str(), "init" | "lower" | "upper" | "log") {
            return Err(m.error("unknown `#[param]` option: expected `init`, `lower`, `upper` or `log`"));
        }
        if seen.contains(&key) {
            return Err(m.error(format!("duplicate `{key}`")));
        }
        seen.push(key.clone());
        if key == "log" {
            spec.log = true;
            return Ok(());
        }
        let e: syn::Expr = m.value()?.parse()?;
        let v = literal_value(&e).ok_or_else(|| {
            syn::Error::new_spanned(
                &e,
                format!("`{key}` takes a number literal, such as `0.5` or `-1.0`"),
            )
        })?;
        if v.is_nan() {
            return Err(syn::Error::new_spanned(&e, format!("`{key}` is not a number")));
        }
        match key.as_str() {
            "init" => spec.init = v,
            "lower" => spec.lower = v,
            _ => spec.upper = v,
        }
        Ok(())
    });
    if let Err(e) = r {
        cx.push(e);
    } else if spec.lower > spec.upper {
        cx.spanned(
            a,
            format!(
                "`lower` ({:?}) must not exceed `upper` ({:?}): swap them",
                spec.lower, spec.upper
            ),
        );
    } else if !spec.init.is_finite() {
        cx.spanned(a, "`init` must be finite");
    } else if spec.log && spec.lower < 0.0 {
        cx.spanned(
            a,
            "a parameter on a log scale (`log`) is positive: give it `lower = 0.0` or more",
        );
    }
    spec
}

fn literal_value(e: &syn::Expr) -> Option<f64> {
    match e {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Float(f) => f.base10_parse::<f64>().ok(),
            syn::Lit::Int(i) => i.base10_parse::<f64>().ok(),
            _ => None,
        },
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => literal_value(&u.expr).map(|v| -v),
        syn::Expr::Group(g) => literal_value(&g.expr),
        syn::Expr::Paren(p) => literal_value(&p.expr),
        _ => None,
    }
}
