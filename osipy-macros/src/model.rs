//! Fit models: `#[xp_kernel(model)]`, the write-only check of the prediction row, and the
//! generated fit (a Levenberg-Marquardt kernel around the differentiated model) and API.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use crate::ad::{eval_extra, jacobian_extra, Ad, Mode};
use crate::ctxt::Ctxt;
use crate::ir::*;
use crate::sig::{ParamKind, Sig};
use crate::types::Scalar;

const P: &str = "::osipy_kernels::__private";

fn private() -> TokenStream {
    P.parse().unwrap_or_default()
}

/// The most fitted parameters a model may have (the fit holds `P (P + 1) / 2` sums per voxel).
pub const MAX_PARAMS: usize = 16;

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

fn write_only_msg(name: &str, what: &str) -> String {
    let advice = if what.contains("passed") {
        format!("write into a local array, pass that to the kernel, and copy it into `{name}`")
    } else {
        format!("carry the value in a local and write it once (`let v = ..; {name}[k] = v;`)")
    };
    format!(
        "the prediction row `{name}` of a fit model is write-only ({what}): the fit never stores the predicted curve; {advice}"
    )
}

/// The write-only rule on the source, for errors that cover the whole offending expression.
/// (`check_write_only` repeats it on the IR after inlining.)
fn check_write_only_syn(cx: &mut Ctxt, f: &syn::ItemFn, name: &str) {
    use syn::visit::Visit;
    struct V<'a> {
        name: &'a str,
        errs: Vec<(proc_macro2::TokenStream, &'static str)>,
    }
    fn is_pred(e: &syn::Expr, name: &str) -> bool {
        match e {
            syn::Expr::Path(p) => p.path.is_ident(name),
            syn::Expr::Paren(p) => is_pred(&p.expr, name),
            syn::Expr::Reference(r) => is_pred(&r.expr, name),
            _ => false,
        }
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            match e {
                // `pred[k] = v`: the place is written, the index and value are visited.
                syn::Expr::Assign(a) => {
                    if let syn::Expr::Index(ix) = &*a.left {
                        if is_pred(&ix.expr, self.name) {
                            self.visit_expr(&ix.index);
                            self.visit_expr(&a.right);
                            return;
                        }
                    }
                }
                syn::Expr::Binary(b) if is_compound(&b.op) => {
                    if let syn::Expr::Index(ix) = &*b.left {
                        if is_pred(&ix.expr, self.name) {
                            self.errs.push((quote!(#b), "a compound assignment reads it"));
                            return;
                        }
                    }
                }
                syn::Expr::Index(ix) if is_pred(&ix.expr, self.name) => {
                    self.errs.push((quote!(#ix), "it is read here"));
                    return;
                }
                syn::Expr::Call(c) => {
                    for a in &c.args {
                        if is_pred(a, self.name) {
                            self.errs.push((quote!(#a), "it is passed to another kernel"));
                        } else {
                            self.visit_expr(a);
                        }
                    }
                    return;
                }
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    fn is_compound(op: &syn::BinOp) -> bool {
        use syn::BinOp::*;
        matches!(
            op,
            AddAssign(_)
                | SubAssign(_)
                | MulAssign(_)
                | DivAssign(_)
                | RemAssign(_)
                | BitXorAssign(_)
                | BitAndAssign(_)
                | BitOrAssign(_)
                | ShlAssign(_)
                | ShrAssign(_)
        )
    }
    let mut v = V {
        name,
        errs: Vec::new(),
    };
    v.visit_block(&f.block);
    for (tokens, what) in v.errs {
        cx.spanned(&tokens, write_only_msg(name, what));
    }
}

/// Index of the prediction row.
pub fn pred_index(sig: &Sig) -> Option<usize> {
    sig.params.iter().position(|p| p.kind == ParamKind::OutRow)
}

/// The prediction row is write-only in a fit model (DESIGN point 7).
pub fn check_write_only(cx: &mut Ctxt, root: &Func, pred: usize) {
    let name = root.sig.params[pred].name.to_string();
    let msg = |what: &str| write_only_msg(&name, what);
    let mut v = WriteOnly {
        pred: ArrayRef::Param(pred),
        errs: Vec::new(),
    };
    v.block(&root.body);
    for (span, what) in v.errs {
        cx.error(span, msg(what));
    }
}

struct WriteOnly {
    pred: ArrayRef,
    errs: Vec<(Span, &'static str)>,
}

impl WriteOnly {
    fn block(&mut self, b: &Block) {
        for s in &b.stmts {
            match s {
                Stmt::Let { init: Some(e), .. } => self.expr(e),
                Stmt::LetArray { init, .. } => match init {
                    ArrayInit::Repeat(x, _) => self.expr(x),
                    ArrayInit::List(xs) => xs.iter().for_each(|x| self.expr(x)),
                },
                Stmt::Assign {
                    place,
                    op,
                    value,
                    span,
                } => {
                    self.expr(value);
                    if let Place::Index(a, i) = place {
                        self.expr(i);
                        if *a == self.pred && op.is_some() {
                            self.errs.push((*span, "a compound assignment reads it"));
                        }
                    }
                }
                Stmt::Expr(e) => self.expr(e),
                Stmt::While { cond, body } => {
                    self.expr(cond);
                    self.block(body);
                }
                Stmt::For { start, end, body, .. } => {
                    self.expr(start);
                    self.expr(end);
                    self.block(body);
                }
                Stmt::Loop(b) => self.block(b),
                Stmt::Return(Some(e), _) => self.expr(e),
                _ => {}
            }
        }
        if let Some(t) = &b.tail {
            self.expr(t);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Index(a, i) => {
                if *a == self.pred {
                    self.errs.push((e.span, "it is read here"));
                }
                self.expr(i);
            }
            ExprKind::Unary(_, x) | ExprKind::Cast(x, _) => self.expr(x),
            ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Intrinsic(_, xs) | ExprKind::Tuple(xs) => xs.iter().for_each(|x| self.expr(x)),
            ExprKind::Call(_, args) => {
                for a in args {
                    match a {
                        Arg::Value(x) => self.expr(x),
                        Arg::Row(r, sp) | Arg::RowMut(r, sp) if *r == self.pred => {
                            self.errs.push((*sp, "it is passed to another kernel"))
                        }
                        _ => {}
                    }
                }
            }
            ExprKind::If(c, t, el) => {
                self.expr(c);
                self.block(t);
                if let Some(el) = el {
                    self.block(el);
                }
            }
            ExprKind::Block(b) => self.block(b),
            ExprKind::Lit(_) | ExprKind::Local(_) | ExprKind::Param(_) | ExprKind::Len(_) => {}
        }
    }
}

fn param_type(p: &crate::sig::Param) -> TokenStream {
    let t = p.elem.tokens();
    match p.kind {
        ParamKind::Scalar => quote!(#t),
        ParamKind::Row => quote!(&[#t]),
        ParamKind::OutRow => quote!(&mut [#t]),
        ParamKind::OutScalar => quote!(&mut #t),
    }
}

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

/// The fit kernel: bounded Levenberg-Marquardt around `__xp_eval`, unrolled for `P`
/// parameters so that a GPU thread holds its state in registers. The algorithm is the one
/// documented in `osipy_kernels::fit`.
fn driver_fn(sig: &Sig, pred: usize, fitted: &[usize], weighted: bool) -> syn::ItemFn {
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
    let mut chol = Vec::new();
    let aname = |a: usize, b: usize| format_ident!("__xp_a{}_{}", a, b);
    let lname = |a: usize, b: usize| format_ident!("__xp_l{}_{}", a, b);
    for (a, b) in &tri {
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
    // Predicted decrease of the cost for the step taken, `2 s.g - s.H.s` in scaled coordinates.
    let mut pred_terms = Vec::new();
    for (a, b) in &tri {
        let hab = id2("h", *a, *b);
        let (sa, sb, ka, kb) = (&stp[*a], &stp[*b], &scale[*a], &scale[*b]);
        let k = if a == b { quote!(1.0) } else { quote!(2.0) };
        pred_terms.push(quote!(__xp_pred -= #k * #sa * #sb * (#hab * #ka * #kb);));
    }

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

/// The index of the uniform row the prediction follows: `samples = NAME` when given, else the
/// model's first `#[uniform]` `&[f64]` row (none: rows of any length are fitted).
fn samples_index(sig: &Sig, pred: usize, samples: Option<&syn::Ident>) -> Option<usize> {
    match samples {
        Some(name) => sig.params.iter().position(|p| p.name == *name),
        None => (0..sig.params.len()).find(|i| {
            let p = &sig.params[*i];
            *i != pred && p.uniform && p.kind == ParamKind::Row && p.elem == Scalar::F64
        }),
    }
}

/// Constants, `Fitter` and `fitter` in the model's module.
fn api(sig: &Sig, pred: usize, fitted: &[usize], axis: Option<usize>) -> TokenStream {
    let p = private();
    let np = fitted.len();
    let names: Vec<String> = fitted.iter().map(|i| sig.params[*i].name.to_string()).collect();
    let specs: Vec<_> = fitted.iter().filter_map(|i| sig.params[*i].fit.clone()).collect();
    let lit = |v: f64| -> TokenStream {
        if v == f64::INFINITY {
            quote!(f64::INFINITY)
        } else if v == f64::NEG_INFINITY {
            quote!(f64::NEG_INFINITY)
        } else {
            let l = proc_macro2::Literal::f64_unsuffixed(v);
            quote!(#l)
        }
    };
    let init: Vec<_> = specs.iter().map(|s| lit(s.init)).collect();
    let lower: Vec<_> = specs.iter().map(|s| lit(s.lower)).collect();
    let upper: Vec<_> = specs.iter().map(|s| lit(s.upper)).collect();
    let mut fields = Vec::new();
    let mut generics = Vec::new();
    let mut args = Vec::new();
    let mut inits = Vec::new();
    let mut pass = Vec::new();
    for (i, prm) in sig.params.iter().enumerate() {
        if i == pred || prm.fit.is_some() {
            continue;
        }
        let n = &prm.name;
        let t = prm.elem.tokens();
        let g = format_ident!("A{}", i);
        if prm.kind == ParamKind::Scalar && prm.uniform {
            fields.push(quote!(#n: #t));
            args.push(quote!(#n: #t));
            inits.push(quote!(#n));
            pass.push(quote!(self.#n));
        } else {
            fields.push(quote!(#n: #p::XpRef<'xp, #t>));
            generics.push(quote!(#g: #p::IntoXpRef<'xp, #t>));
            args.push(quote!(#n: #g));
            inits.push(quote!(#n: #p::IntoXpRef::into_xp_ref(#n)));
            pass.push(quote!(&self.#n));
        }
    }
    let name_str = sig.name.to_string();
    let npl = proc_macro2::Literal::usize_unsuffixed(np);
    let doc_fitter = format!(
        "Binds the inputs of `{name_str}` other than its fitted parameters and its prediction; \
         the returned [`Fitter`] fits data with them (defaults from `#[param]`, settings \
         [`LevenbergMarquardt::default`](osipy_kernels::fit::LevenbergMarquardt))."
    );
    let (samples_const, samples_check) = match axis {
        Some(i) => {
            let n = &sig.params[i].name;
            let ns = n.to_string();
            let fit_name = format!("{name_str}::fit");
            (
                quote!(#p::Some(#ns)),
                quote!(#p::check_samples(#fit_name, #ns, self.#n.shape(), data.shape())?;),
            )
        }
        None => (quote!(#p::None), quote!()),
    };
    quote! {
        /// The uniform row the prediction follows, one sample per element (`samples = ..` of
        /// the attribute, else the model's first `#[uniform]` row): `fit` refuses data whose
        /// rows have another length. `None`: rows of any length are fitted.
        pub const SAMPLES: #p::Option<&str> = #samples_const;

        /// Names of the fitted parameters, in order (the last axis of [`FitResult::params`](osipy_kernels::fit::FitResult)).
        pub const PARAMS: [&str; #npl] = [#(#names),*];
        /// Default initial values of the fitted parameters (`#[param(init = ..)]`, else 0).
        pub const INIT: [f64; #npl] = [#(#init),*];
        /// Default lower bounds (`#[param(lower = ..)]`, else unbounded).
        pub const LOWER: [f64; #npl] = [#(#lower),*];
        /// Default upper bounds (`#[param(upper = ..)]`, else unbounded).
        pub const UPPER: [f64; #npl] = [#(#upper),*];

        /// A fit of this model with its other inputs bound; see [`fitter`].
        pub struct Fitter<'xp> {
            #(#fields,)*
            options: #p::FitOptions,
        }

        #[doc = #doc_fitter]
        pub fn fitter<'xp, #(#generics),*>(#(#args),*) -> Fitter<'xp> {
            Fitter {
                #(#inits,)*
                options: #p::FitOptions::new(NAME, &PARAMS, &INIT, &LOWER, &UPPER),
            }
        }

        impl<'xp> Fitter<'xp> {
            /// Replaces the solver settings.
            pub fn settings(mut self, settings: #p::LevenbergMarquardt) -> Self {
                self.options.settings = settings;
                self
            }

            /// Initial values: shared (`[f64; P]`, a slice) or per voxel (items x P).
            pub fn init(mut self, values: impl Into<#p::FitValues>) -> Self {
                self.options.init = values.into();
                self
            }

            /// Lower bounds: shared or per voxel.
            pub fn lower(mut self, values: impl Into<#p::FitValues>) -> Self {
                self.options.lower = values.into();
                self
            }

            /// Upper bounds: shared or per voxel.
            pub fn upper(mut self, values: impl Into<#p::FitValues>) -> Self {
                self.options.upper = values.into();
                self
            }

            /// Weights of the samples (one per sample, finite and non-negative); chi2 is
            /// `sum w (y - f)^2`.
            pub fn weights(mut self, weights: impl Into<#p::Vec<f64>>) -> Self {
                self.options.weights = #p::Some(weights.into());
                self
            }

            /// The options in force.
            pub fn options(&self) -> &#p::FitOptions {
                &self.options
            }

            /// Fits every voxel of `data` (items x samples). Results live where `data` does.
            pub fn fit<'d, D: #p::IntoXpRef<'d, f64>>(&self, data: D) -> #p::Result<#p::FitResult> {
                self.run(#p::IntoXpRef::into_xp_ref(data), #p::None)
            }

            /// Fits the voxels of `data` where `mask` (items) is true; the others get status
            /// `Masked` and NaN parameters.
            pub fn fit_masked<'d, D: #p::IntoXpRef<'d, f64>, M: #p::IntoXpRef<'d, bool>>(
                &self,
                data: D,
                mask: M,
            ) -> #p::Result<#p::FitResult> {
                self.run(
                    #p::IntoXpRef::into_xp_ref(data),
                    #p::Some(#p::IntoXpRef::into_xp_ref(mask)),
                )
            }

            fn run(
                &self,
                data: #p::XpRef<'_, f64>,
                mask: #p::Option<#p::XpRef<'_, bool>>,
            ) -> #p::Result<#p::FitResult> {
                #samples_check
                let mut prep = #p::FitPrep::new(&self.options, &data, mask.as_ref())?;
                {
                    let (ins, outs) = prep.split(mask.as_ref());
                    if self.options.weights.is_some() {
                        fit_weighted::launch(
                            #(#pass,)*
                            &data,
                            &ins.weights,
                            &ins.init,
                            &ins.lower,
                            &ins.upper,
                            &ins.mask,
                            &ins.config,
                            &mut outs.params,
                            &mut outs.chi2,
                            &mut outs.r2,
                            &mut outs.iterations,
                            &mut outs.status,
                            &mut outs.at_bound,
                        )?;
                    } else {
                        fit::launch(
                            #(#pass,)*
                            &data,
                            &ins.init,
                            &ins.lower,
                            &ins.upper,
                            &ins.mask,
                            &ins.config,
                            &mut outs.params,
                            &mut outs.chi2,
                            &mut outs.r2,
                            &mut outs.iterations,
                            &mut outs.status,
                            &mut outs.at_bound,
                        )?;
                    }
                }
                #p::Ok(prep.finish())
            }
        }
    }
}
