//! The signature model: which parameters are per item, uniform, rows or outputs.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type, Visibility};

use crate::ctxt::Ctxt;
use crate::types::Scalar;

const SUPPORTED_TYPES: &str = "a kernel argument is a scalar (f32 f64 i32 u32 i64 u64 usize bool), \
     a row `&[T]`, an output row `&mut [T]` or an output value `&mut T`";

/// How a parameter is passed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParamKind {
    /// `x: T`
    Scalar,
    /// `x: &[T]`
    Row,
    /// `x: &mut [T]`
    OutRow,
    /// `x: &mut T`
    OutScalar,
}

/// One parameter.
#[derive(Clone)]
pub struct Param {
    /// Name.
    pub name: Ident,
    /// How it is passed.
    pub kind: ParamKind,
    /// Element or value type.
    pub elem: Scalar,
    /// `#[uniform]`: the same for every item.
    pub uniform: bool,
    /// Span of the whole parameter.
    pub span: Span,
    /// `#[param]`: a fitted parameter of a fit model, with its defaults.
    pub fit: Option<FitSpec>,
}

/// What `#[param(..)]` says about a fitted parameter.
#[derive(Clone, Debug)]
pub struct FitSpec {
    /// Default initial value.
    pub init: f64,
    /// Default lower bound.
    pub lower: f64,
    /// Default upper bound.
    pub upper: f64,
    /// `log`: the fit steps the parameter on a log scale.
    pub log: bool,
    /// Span of the attribute.
    pub span: Span,
}

impl Param {
    /// Whether the parameter is written by the kernel.
    pub fn is_output(&self) -> bool {
        matches!(self.kind, ParamKind::OutRow | ParamKind::OutScalar)
    }
}

/// A checked kernel signature.
#[derive(Clone)]
pub struct Sig {
    /// Function name.
    pub name: Ident,
    /// Visibility of the function.
    pub vis: Visibility,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// Return values (none, one, or a tuple).
    pub ret: Vec<Scalar>,
    /// Whether the return type is written as a tuple.
    pub ret_tuple: bool,
}

/// Checks the signature of `f`, recording every misuse in `cx`. `None` when it is unusable.
pub fn parse_sig(cx: &mut Ctxt, f: &ItemFn) -> Option<Sig> {
    let s = &f.sig;
    let before = cx.has_errors();
    if !s.generics.params.is_empty() || s.generics.where_clause.is_some() {
        cx.spanned(&s.generics,
            "generic parameters are not supported in an #[xp_kernel] function; write the kernel for concrete types (f32, f64, i32, ...)",
        );
    }
    if let Some(a) = &s.asyncness {
        cx.error(
            a.span,
            "`async` is not supported: an #[xp_kernel] function is a plain synchronous function",
        );
    }
    if let Some(u) = &s.unsafety {
        cx.error(u.span, "`unsafe` is not supported: an #[xp_kernel] function is safe code; indexing is checked by every backend");
    }
    if let Some(c) = &s.constness {
        cx.error(c.span, "`const fn` is not supported: remove `const`");
    }
    if let Some(abi) = &s.abi {
        cx.spanned(&abi, "an `extern` ABI is not supported: remove it");
    }
    if let Some(v) = &s.variadic {
        cx.spanned(&v, "variadic arguments are not supported");
    }
    let mut params = Vec::new();
    for arg in &s.inputs {
        match arg {
            FnArg::Receiver(r) => cx.spanned(
                &r,
                "methods are not supported: an #[xp_kernel] is a free function; pass the values as arguments",
            ),
            FnArg::Typed(pt) => {
                let (uniform, fit) = parse_param_attrs(cx, &pt.attrs);
                let name = match &*pt.pat {
                    Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => pi.ident.clone(),
                    other => {
                        cx.spanned(&other,
                            "patterns in arguments are not supported; bind the argument to a name (`x: f64`) and destructure in the body",
                        );
                        continue;
                    }
                };
                let Some((kind, elem)) = param_type(cx, &pt.ty) else {
                    continue;
                };
                if uniform.is_some() && matches!(kind, ParamKind::OutRow | ParamKind::OutScalar) {
                    cx.error(
                        uniform.unwrap_or_else(Span::call_site),
                        "`#[uniform]` cannot mark an output: every item writes its own row or value; remove `#[uniform]` or make the argument an input",
                    );
                }
                params.push(Param {
                    name,
                    kind,
                    elem,
                    uniform: uniform.is_some(),
                    span: pt.span(),
                    fit,
                });
            }
        }
    }
    let (ret, ret_tuple) = return_types(cx, &s.output);
    if !cx.has_errors() && !params.iter().any(|p| !p.uniform) {
        cx.spanned(&s.ident,
            "a kernel needs at least one per-item argument or output (a parameter without #[uniform]): it fixes the number of items",
        );
    }
    if cx.has_errors() && !before {
        return None;
    }
    Some(Sig {
        name: s.ident.clone(),
        vis: f.vis.clone(),
        params,
        ret,
        ret_tuple,
    })
}

/// Reads `#[uniform]` and `#[param(..)]` and rejects every other attribute on a parameter.
/// Returns the span of `#[uniform]` if present, and the fit specification.
fn parse_param_attrs(cx: &mut Ctxt, attrs: &[syn::Attribute]) -> (Option<Span>, Option<FitSpec>) {
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

/// The scalar named by `ty`, if it is one.
pub fn scalar_type(ty: &Type) -> Option<Scalar> {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            p.path.get_ident().and_then(|i| Scalar::from_name(&i.to_string()))
        }
        Type::Paren(p) => scalar_type(&p.elem),
        Type::Group(g) => scalar_type(&g.elem),
        _ => None,
    }
}

fn param_type(cx: &mut Ctxt, ty: &Type) -> Option<(ParamKind, Scalar)> {
    if let Some(s) = scalar_type(ty) {
        return Some((ParamKind::Scalar, s));
    }
    match ty {
        Type::Reference(r) => {
            let mutable = r.mutability.is_some();
            if let Type::Slice(sl) = &*r.elem {
                if let Some(s) = scalar_type(&sl.elem) {
                    return Some((
                        if mutable {
                            ParamKind::OutRow
                        } else {
                            ParamKind::Row
                        },
                        s,
                    ));
                }
            } else if let Some(s) = scalar_type(&r.elem) {
                if mutable {
                    return Some((ParamKind::OutScalar, s));
                }
                cx.spanned(
                    &ty,
                    format!(
                        "a shared reference to a scalar is not supported; take the value: `{}`",
                        s.name()
                    ),
                );
                return None;
            }
            cx.spanned(&ty, format!("unsupported argument type: {SUPPORTED_TYPES}"));
            None
        }
        Type::ImplTrait(_) => {
            cx.spanned(
                &ty,
                format!("`impl Trait` arguments are not supported: {SUPPORTED_TYPES}"),
            );
            None
        }
        _ => {
            cx.spanned(&ty, format!("unsupported argument type: {SUPPORTED_TYPES}"));
            None
        }
    }
}

fn return_types(cx: &mut Ctxt, out: &ReturnType) -> (Vec<Scalar>, bool) {
    let ty = match out {
        ReturnType::Default => return (Vec::new(), false),
        ReturnType::Type(_, ty) => ty,
    };
    if let Some(s) = scalar_type(ty) {
        return (vec![s], false);
    }
    match &**ty {
        Type::Tuple(t) => {
            let mut v = Vec::new();
            for e in &t.elems {
                match scalar_type(e) {
                    Some(s) => v.push(s),
                    None => cx.spanned(&e, "a kernel returns a scalar or a tuple of scalars"),
                }
            }
            (v, true)
        }
        Type::Reference(_) | Type::Slice(_) | Type::Array(_) => {
            cx.spanned(
                &ty,
                "returning a row is not supported; write it into an output argument `out: &mut [T]`",
            );
            (Vec::new(), false)
        }
        _ => {
            let what = if matches!(&**ty, Type::Path(p) if p.path.is_ident("Vec")) || ty_is_vec(ty) {
                "returning a `Vec` is not supported; write the values into an output argument `out: &mut [T]`"
            } else {
                "unsupported return type: a kernel returns a scalar (f32 f64 i32 u32 i64 u64 usize bool) or a tuple of scalars"
            };
            cx.spanned(&ty, what);
            (Vec::new(), false)
        }
    }
}

fn ty_is_vec(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
}
