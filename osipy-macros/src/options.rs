//! The options of `#[xp_kernel(..)]`: `model` and `samples = NAME`.

use crate::ctxt::Ctxt;

/// The options of `#[xp_kernel(..)]`: nothing (a kernel), `model` (a fit model) and, for a
/// model, `samples = NAME` (the uniform row its prediction follows).
pub fn parse_options(cx: &mut Ctxt, attr: proc_macro2::TokenStream) -> (bool, Option<syn::Ident>) {
    use syn::parse::Parser;
    const HELP: &str = "write `#[xp_kernel]` for a kernel, `#[xp_kernel(model)]` for a fit model, or `#[xp_kernel(model, samples = t)]` to name the uniform row its prediction follows";
    if attr.is_empty() {
        return (false, None);
    }
    let metas = match syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated
        .parse2(attr.clone())
    {
        Ok(m) => m,
        Err(_) => {
            cx.spanned(&attr, format!("unknown #[xp_kernel] option: {HELP}"));
            return (false, None);
        }
    };
    let (mut model, mut samples) = (false, None);
    for m in &metas {
        match m {
            syn::Meta::Path(p) if p.is_ident("model") => model = true,
            syn::Meta::NameValue(nv) if nv.path.is_ident("samples") => match &nv.value {
                syn::Expr::Path(ep) if ep.path.get_ident().is_some() => {
                    samples = ep.path.get_ident().cloned()
                }
                v => cx.spanned(
                    v,
                    "`samples = NAME`: NAME is an argument of the model, a `#[uniform]` row such as `t`",
                ),
            },
            other => cx.spanned(other, format!("unknown #[xp_kernel] option: {HELP}")),
        }
    }
    if let (false, Some(s)) = (model, &samples) {
        cx.spanned(s, "`samples` names the row a fit model's prediction follows: write `#[xp_kernel(model, samples = ..)]`");
    }
    (model, samples)
}
