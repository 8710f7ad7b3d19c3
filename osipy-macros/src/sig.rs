//! The signature model: which parameters are per item, uniform, rows or outputs.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type, Visibility};

use std::rc::Rc;

use crate::ctxt::Ctxt;
use crate::structs::{Layout, StructTable};
use crate::types::Scalar;

const SUPPORTED_TYPES: &str = "a kernel argument is a scalar (f32 f64 i32 u32 i64 u64 usize bool), \
     a row `&[T]`, an output row `&mut [T]`, an output value `&mut T`, or a struct marked \
     `#[xp_struct]` (`s: S` or `s: &mut S`)";

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

/// A parameter of a struct type (`s: S` or `s: &mut S`), flattened into one scalar parameter
/// per field (`Scalar` or `OutScalar`, named `s_field`) at `first..first + n`.
#[derive(Clone)]
pub struct StructArg {
    /// Name as written.
    pub name: Ident,
    /// Position among the arguments as written.
    pub pos: usize,
    /// Index of its first scalar parameter.
    pub first: usize,
    /// `&mut S`.
    pub mutable: bool,
    /// The struct's layout (`None` while checking a body before layouts are fetched).
    pub layout: Option<Rc<Layout>>,
    /// Span of the whole parameter.
    pub span: Span,
}

impl StructArg {
    /// Number of scalar parameters it stands for.
    pub fn len(&self) -> usize {
        self.layout.as_ref().map_or(0, |l| l.fields.len())
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
    /// Parameters of struct types, in order (their fields are in `params`).
    pub structs: Vec<StructArg>,
    /// A struct return type (its fields are `ret`, as a tuple): `Some(None)` while checking a
    /// body before layouts are fetched.
    pub ret_struct: Option<Option<Rc<Layout>>>,
}

impl Sig {
    /// Number of arguments as written (a struct counts once).
    pub fn arity(&self) -> usize {
        self.params.len() + self.structs.len() - self.structs.iter().map(StructArg::len).sum::<usize>()
    }

    /// The struct argument whose fields include parameter `i`.
    pub fn struct_of_param(&self, i: usize) -> Option<&StructArg> {
        self.structs
            .iter()
            .find(|s| (s.first..s.first + s.len()).contains(&i))
    }
}

/// Checks the signature of `f`, recording every misuse in `cx`. `None` when it is unusable.
/// `structs`: the layouts of the struct types `f` names; `None` before they are fetched (struct
/// arguments then have no scalar parameters yet).
pub fn parse_sig(cx: &mut Ctxt, f: &ItemFn, structs: Option<&StructTable>) -> Option<Sig> {
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
    let mut struct_args = Vec::new();
    for (pos, arg) in s.inputs.iter().enumerate() {
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
                if let Some((path, mutable)) = crate::structs::param_candidate(&pt.ty) {
                    if uniform.is_some() || fit.is_some() {
                        cx.spanned(&pt.attrs[0], "a struct argument takes no attribute: it is one value per item, passed to another kernel");
                    }
                    let layout = match structs {
                        None => None,
                        Some(t) => match t.get(&crate::calls::path_key(path)) {
                            Some(l) => Some(l.clone()),
                            None => {
                                cx.spanned(path, "internal: struct layout not fetched");
                                continue;
                            }
                        },
                    };
                    let first = params.len();
                    for (field, elem) in layout.iter().flat_map(|l| l.fields.iter()) {
                        params.push(Param {
                            name: crate::structs::flat_name(&name, field),
                            kind: if mutable {
                                ParamKind::OutScalar
                            } else {
                                ParamKind::Scalar
                            },
                            elem: *elem,
                            uniform: false,
                            span: pt.span(),
                            fit: None,
                        });
                    }
                    struct_args.push(StructArg {
                        name,
                        pos,
                        first,
                        mutable,
                        layout,
                        span: pt.span(),
                    });
                    continue;
                }
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
    let mut ret_struct = None;
    let (ret, ret_tuple) = match &s.output {
        ReturnType::Type(_, ty) if crate::structs::candidate(ty).is_some() => {
            let path = crate::structs::candidate(ty).unwrap_or_else(|| unreachable!());
            match structs.map(|t| t.get(&crate::calls::path_key(path))) {
                None => {
                    ret_struct = Some(None);
                    (Vec::new(), true)
                }
                Some(Some(l)) => {
                    ret_struct = Some(Some(l.clone()));
                    (l.fields.iter().map(|(_, s)| *s).collect(), true)
                }
                Some(None) => {
                    cx.spanned(path, "internal: struct layout not fetched");
                    (Vec::new(), true)
                }
            }
        }
        out => return_types(cx, out),
    };
    for sa in &struct_args {
        for i in sa.first..sa.first + sa.len() {
            let n = &params[i].name;
            if params.iter().enumerate().any(|(k, p)| k != i && p.name == *n) {
                cx.error(
                    sa.span,
                    format!("the struct argument `{}` is passed as one value per field, `{n}` among them, which is also the name of another argument: rename one", sa.name),
                );
            }
        }
    }
    if !cx.has_errors() && !params.iter().any(|p| !p.uniform) && struct_args.is_empty() {
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
        structs: struct_args,
        ret_struct,
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
            } else if let Some(p) = crate::structs::candidate(&r.elem).filter(|_| !mutable) {
                let p = quote::ToTokens::to_token_stream(p).to_string().replace(' ', "");
                cx.spanned(
                    &ty,
                    format!("a shared reference to a struct is not supported; take it by value (`s: {p}`), or as `&mut {p}` to change it"),
                );
                return None;
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
