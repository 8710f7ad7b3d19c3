//! Parsing a kernel's signature: each argument's kind and scalar type, the return types, and
//! every misuse of the signature model.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, ReturnType, Type};

use crate::ctxt::Ctxt;
use crate::structs::StructTable;
use crate::types::Scalar;

use super::attrs::parse_param_attrs;
use super::*;

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
