//! Forward-mode differentiation of the IR (DESIGN point 7).
//!
//! The fitted parameters of a model are the directions. An activity analysis first finds, for
//! every float local, local array and parameter, the set of directions (a bit mask) its value
//! can depend on; only those tangents exist. The transformation then rewrites each function:
//! every active expression is split into a value bound to a local and one tangent per
//! direction, statements update tangents next to values, and calls go to differentiated
//! variants of the callee (one per pattern of active arguments), so derivatives flow through
//! loops, branches, local arrays, intrinsics and calls to other kernels alike.
//!
//! The root model's prediction writes (`pred[k] = v`) are where the sample is consumed: in
//! [`Mode::Eval`] the residual and the derivative row go straight into chi2, the gradient
//! `Jᵀ W r` and the normal matrix `Jᵀ W J` (nothing is stored per sample); in
//! [`Mode::Jacobian`] the value and its derivative row are written out.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::Ident;

use crate::ir::*;
use crate::sig::{Param, ParamKind, Sig};
use crate::types::Scalar;

/// Bit mask of directions.
type Mask = u64;

/// What the root model's prediction writes become.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Residuals into chi2, gradient and normal matrix (the fit), weighted or not.
    Eval {
        /// Whether a weights row follows the model's parameters.
        weighted: bool,
    },
    /// Value and derivative row written out (`jac[k * P + a]`).
    Jacobian,
}

/// Differentiates a model bundle.
pub struct Ad<'a> {
    bundle: &'a [Func],
    p: usize,
    /// Index of the prediction row among the root's parameters.
    pred: usize,
    /// Differentiated callees made so far.
    pub variants: Vec<Func>,
    infos: HashMap<(String, Vec<Mask>), Info>,
    made: HashMap<(String, Vec<Mask>), String>,
    /// Unsupported constructs met, with their spans.
    pub errors: Vec<(Span, String)>,
}

#[derive(Clone, PartialEq, Eq, Default)]
struct Analysis {
    local: Vec<Mask>,
    param: Vec<Mask>,
    ret: Vec<Mask>,
}

#[derive(Clone)]
struct Info {
    an: Analysis,
}

impl<'a> Ad<'a> {
    /// `bundle[0]` is the model; `pred` its prediction row; `p` the number of fitted
    /// parameters (the `#[param]` scalars, in order).
    pub fn new(bundle: &'a [Func], pred: usize, p: usize) -> Self {
        Ad {
            bundle,
            p,
            pred,
            variants: Vec::new(),
            infos: HashMap::new(),
            made: HashMap::new(),
            errors: Vec::new(),
        }
    }

    fn func(&self, id: &str) -> Option<&'a Func> {
        self.bundle.iter().find(|f| f.id == id)
    }

    /// The differentiated root in `mode`, with the given id and signature (whose first
    /// parameters are the model's, the prediction row replaced by the data row in
    /// [`Mode::Eval`]; the extra parameters follow, see [`eval_extra`] / [`jacobian_extra`]).
    pub fn root(&mut self, mode: Mode, id: String, sig: Sig) -> Func {
        let bundle = self.bundle;
        let root = &bundle[0];
        let mut seed = vec![0; root.sig.params.len()];
        let mut k = 0;
        for (i, prm) in root.sig.params.iter().enumerate() {
            if prm.fit.is_some() {
                seed[i] = 1 << k;
                k += 1;
            }
        }
        let an = self.analyze(root, &seed);
        let mut tx = Tx::new(self, root, an, id, sig);
        tx.mode = Some(mode);
        tx.seed_root(&seed);
        tx.run()
    }

    /// Activity analysis of `f` with parameter masks `seed` (fixpoint).
    fn analyze(&mut self, f: &Func, seed: &[Mask]) -> Analysis {
        let mut an = Analysis {
            local: vec![0; f.locals.len()],
            param: seed.to_vec(),
            ret: vec![0; f.sig.ret.len()],
        };
        for _ in 0..64 {
            let before = an.clone();
            self.a_block(f, &f.body, &mut an, true);
            if an == before {
                break;
            }
        }
        an
    }

    fn info(&mut self, callee: &str, key: &[Mask]) -> Option<Info> {
        let k = (callee.to_string(), key.to_vec());
        if let Some(i) = self.infos.get(&k) {
            return Some(i.clone());
        }
        let f = self.func(callee)?;
        let an = self.analyze(f, key);
        let info = Info { an };
        self.infos.insert(k, info.clone());
        Some(info)
    }

    fn is_float(f: &Func, e: &Expr) -> bool {
        matches!(e.ty, Ty::Scalar(v) if f.types.get(v).is_float())
    }

    fn a_block(&mut self, f: &Func, b: &Block, an: &mut Analysis, is_body: bool) {
        for s in &b.stmts {
            self.a_stmt(f, s, an);
        }
        if let Some(t) = &b.tail {
            let m = self.a_multi(f, t, an);
            if is_body {
                for (r, x) in an.ret.iter_mut().zip(m) {
                    *r |= x;
                }
            }
        }
    }

    fn a_stmt(&mut self, f: &Func, s: &Stmt, an: &mut Analysis) {
        match s {
            Stmt::Let { locals, init } => {
                if let Some(e) = init {
                    let ms = self.a_multi(f, e, an);
                    for (l, m) in locals.iter().zip(ms) {
                        if let Some(l) = l {
                            an.local[*l] |= m;
                        }
                    }
                }
            }
            Stmt::LetArray { local, init } => {
                let m = match init {
                    ArrayInit::Repeat(x, _) => self.a_expr(f, x, an),
                    ArrayInit::List(xs) => xs.iter().fold(0, |m, x| m | self.a_expr(f, x, an)),
                };
                an.local[*local] |= m;
            }
            Stmt::Assign { place, value, .. } => {
                let m = self.a_expr(f, value, an);
                match place {
                    Place::Local(l) => an.local[*l] |= m,
                    Place::Param(i) => an.param[*i] |= m,
                    Place::Index(a, i) => {
                        self.a_expr(f, i, an);
                        match a {
                            ArrayRef::Local(l) => an.local[*l] |= m,
                            ArrayRef::Param(i) => an.param[*i] |= m,
                        }
                    }
                }
            }
            Stmt::Expr(e) => {
                self.a_multi(f, e, an);
            }
            Stmt::While { cond, body } => {
                self.a_expr(f, cond, an);
                self.a_block(f, body, an, false);
            }
            Stmt::For { start, end, body, .. } => {
                self.a_expr(f, start, an);
                self.a_expr(f, end, an);
                self.a_block(f, body, an, false);
            }
            Stmt::Loop(b) => self.a_block(f, b, an, false),
            Stmt::Return(Some(e), _) => {
                let m = self.a_multi(f, e, an);
                for (r, x) in an.ret.iter_mut().zip(m) {
                    *r |= x;
                }
            }
            Stmt::Return(None, _) | Stmt::Break(_) | Stmt::Continue(_) => {}
        }
    }

    fn a_multi(&mut self, f: &Func, e: &Expr, an: &mut Analysis) -> Vec<Mask> {
        match &e.kind {
            ExprKind::Tuple(xs) => xs.iter().map(|x| self.a_expr(f, x, an)).collect(),
            ExprKind::Call(..) => self.a_call(f, e, an),
            _ => vec![self.a_expr(f, e, an)],
        }
    }

    fn array_mask(an: &Analysis, a: ArrayRef) -> Mask {
        match a {
            ArrayRef::Local(l) => an.local[l],
            ArrayRef::Param(i) => an.param[i],
        }
    }

    fn a_call(&mut self, f: &Func, e: &Expr, an: &mut Analysis) -> Vec<Mask> {
        let ExprKind::Call(c, args) = &e.kind else {
            return vec![0];
        };
        let key: Vec<Mask> = args
            .iter()
            .map(|a| match a {
                Arg::Value(x) => self.a_expr(f, x, an),
                Arg::Row(r, _) | Arg::RowMut(r, _) => Self::array_mask(an, *r),
                Arg::ScalarMut(ScalarRef::Local(l), _) => an.local[*l],
                Arg::ScalarMut(ScalarRef::Param(i), _) => an.param[*i],
            })
            .collect();
        let Some(callee) = f.callees.get(*c) else {
            return vec![0];
        };
        let Some(info) = self.info(callee, &key) else {
            return vec![0];
        };
        for (a, m) in args.iter().zip(&info.an.param) {
            match a {
                Arg::RowMut(ArrayRef::Local(l), _) | Arg::ScalarMut(ScalarRef::Local(l), _) => {
                    an.local[*l] |= m
                }
                Arg::RowMut(ArrayRef::Param(i), _) | Arg::ScalarMut(ScalarRef::Param(i), _) => {
                    an.param[*i] |= m
                }
                _ => {}
            }
        }
        let callee_f = self.func(callee);
        info.an
            .ret
            .iter()
            .enumerate()
            .map(|(j, m)| {
                let float = callee_f.is_some_and(|cf| cf.sig.ret.get(j).is_some_and(|s| s.is_float()));
                if float {
                    *m
                } else {
                    0
                }
            })
            .collect()
    }

    fn a_expr(&mut self, f: &Func, e: &Expr, an: &mut Analysis) -> Mask {
        let float = Self::is_float(f, e);
        let m = match &e.kind {
            ExprKind::Lit(_) | ExprKind::Len(_) => 0,
            // Locals made by the rewriting (index temporaries) are not in the analysis.
            ExprKind::Local(l) => an.local.get(*l).copied().unwrap_or(0),
            ExprKind::Param(i) => an.param.get(*i).copied().unwrap_or(0),
            ExprKind::Unary(_, x) => self.a_expr(f, x, an),
            ExprKind::Binary(op, a, b) => {
                if matches!(op, BinOp::And | BinOp::Or) {
                    self.a_expr(f, a, an);
                    self.a_expr(f, b, an);
                    0
                } else {
                    self.a_expr(f, a, an) | self.a_expr(f, b, an)
                }
            }
            ExprKind::Cast(x, _) => {
                let m = self.a_expr(f, x, an);
                if Self::is_float(f, x) {
                    m
                } else {
                    0
                }
            }
            ExprKind::Index(a, i) => {
                self.a_expr(f, i, an);
                Self::array_mask(an, *a)
            }
            ExprKind::Intrinsic(intr, args) => {
                let ms: Vec<Mask> = args.iter().map(|x| self.a_expr(f, x, an)).collect();
                match intr {
                    Intr::Floor
                    | Intr::Ceil
                    | Intr::Round
                    | Intr::Trunc
                    | Intr::Signum
                    | Intr::IsNan
                    | Intr::IsFinite
                    | Intr::ToBits
                    | Intr::FromBits => 0,
                    Intr::Powi => ms[0],
                    _ => ms.iter().fold(0, |a, b| a | b),
                }
            }
            ExprKind::Call(..) => self.a_call(f, e, an).first().copied().unwrap_or(0),
            ExprKind::If(c, t, el) => {
                self.a_expr(f, c, an);
                self.a_block(f, t, an, false);
                let mut m = t.tail.as_ref().map_or(0, |x| self.a_expr_peek(f, x, an));
                if let Some(el) = el {
                    self.a_block(f, el, an, false);
                    m |= el.tail.as_ref().map_or(0, |x| self.a_expr_peek(f, x, an));
                }
                m
            }
            ExprKind::Block(b) => {
                self.a_block(f, b, an, false);
                b.tail.as_ref().map_or(0, |x| self.a_expr_peek(f, x, an))
            }
            ExprKind::Tuple(xs) => xs.iter().fold(0, |m, x| m | self.a_expr(f, x, an)),
        };
        if float {
            m
        } else {
            0
        }
    }

    /// The mask of an expression already walked (block tails), walking it again (idempotent).
    fn a_expr_peek(&mut self, f: &Func, e: &Expr, an: &mut Analysis) -> Mask {
        self.a_expr(f, e, an)
    }

    /// The id of the variant of `callee` for the argument masks `key`, made on first use.
    fn variant(&mut self, callee: &str, key: &[Mask]) -> Option<(String, Info)> {
        let info = self.info(callee, key)?;
        let k = (callee.to_string(), key.to_vec());
        if let Some(id) = self.made.get(&k) {
            return Some((id.clone(), info));
        }
        let f = self.func(callee)?;
        let mut tag = String::new();
        for m in key {
            tag.push_str(&format!("{m:x}."));
        }
        let id = format!("{}#d{}", f.id, tag);
        self.made.insert(k, id.clone());
        // The variant's signature: the callee's parameters, then the tangents of each active
        // one (same kind), in parameter order.
        let mut params = f.sig.params.clone();
        for (i, prm) in f.sig.params.iter().enumerate() {
            let m = info.an.param[i];
            for a in dirs(m, self.p) {
                params.push(Param {
                    name: Ident::new(&format!("__xp_d{a}_{}", prm.name), prm.name.span()),
                    kind: prm.kind,
                    elem: prm.elem,
                    uniform: false,
                    span: prm.span,
                    fit: None,
                });
            }
        }
        let mut ret = Vec::new();
        for (j, s) in f.sig.ret.iter().enumerate() {
            ret.push(*s);
            for _ in dirs(info.an.ret[j], self.p) {
                ret.push(*s);
            }
        }
        let ret_tuple = f.sig.ret_tuple || ret.len() > f.sig.ret.len();
        let sig = Sig {
            name: f.sig.name.clone(),
            vis: f.sig.vis.clone(),
            params,
            ret,
            ret_tuple,
        };
        let tx = Tx::new(self, f, info.an.clone(), id.clone(), sig);
        let mut tx = tx;
        tx.seed_variant();
        let func = tx.run();
        self.variants.push(func);
        Some((id, info))
    }
}

/// The directions of a mask, in order.
fn dirs(m: Mask, p: usize) -> Vec<usize> {
    (0..p).filter(|a| m & (1 << a) != 0).collect()
}

/// Tangents of one value: one entry per direction, `None` where it is zero.
type Tan = Vec<Option<Expr>>;

/// Extra parameters of the evaluation function: the weights row (if weighted), chi2, gradient, then the lower
/// triangle of the normal matrix row by row (`h_a_b`, `b <= a`).
pub fn eval_extra(p: usize, weighted: bool, span: Span) -> Vec<Param> {
    let mk = |name: String, kind| Param {
        name: Ident::new(&name, span),
        kind,
        elem: Scalar::F64,
        uniform: false,
        span,
        fit: None,
    };
    let mut v = Vec::new();
    if weighted {
        v.push(mk("__xp_w".into(), ParamKind::Row));
    }
    v.push(mk("__xp_chi2".into(), ParamKind::OutScalar));
    for a in 0..p {
        v.push(mk(format!("__xp_g{a}"), ParamKind::OutScalar));
    }
    for a in 0..p {
        for b in 0..=a {
            v.push(mk(format!("__xp_h{a}_{b}"), ParamKind::OutScalar));
        }
    }
    v
}

/// Extra parameter of the Jacobian function: the derivative rows (`n * P`).
pub fn jacobian_extra(span: Span) -> Vec<Param> {
    vec![Param {
        name: Ident::new("jacobian", span),
        kind: ParamKind::OutRow,
        elem: Scalar::F64,
        uniform: false,
        span,
        fit: None,
    }]
}

/// Rewrites one function.
struct Tx<'s, 'a> {
    ad: &'s mut Ad<'a>,
    src: &'a Func,
    an: Analysis,
    out: Func,
    /// Tangent locals (scalars and arrays) of active locals, per direction.
    tl: HashMap<LocalId, Vec<Option<LocalId>>>,
    /// Tangent parameters of active parameters, per direction.
    tp: HashMap<usize, Vec<Option<usize>>>,
    /// Assigned active value parameters live in these locals.
    shadow: HashMap<usize, LocalId>,
    /// Constant tangents of parameters (the root's seeds).
    seeds: HashMap<usize, usize>,
    mode: Option<Mode>,
    prelude: Vec<Stmt>,
}

impl<'s, 'a> Tx<'s, 'a> {
    fn new(ad: &'s mut Ad<'a>, src: &'a Func, an: Analysis, id: String, sig: Sig) -> Self {
        let out = Func {
            id,
            sig,
            types: src.types.clone(),
            locals: src.locals.clone(),
            body: Block {
                stmts: Vec::new(),
                tail: None,
            },
            callees: src.callees.clone(),
        };
        Tx {
            ad,
            src,
            an,
            out,
            tl: HashMap::new(),
            tp: HashMap::new(),
            shadow: HashMap::new(),
            seeds: HashMap::new(),
            mode: None,
            prelude: Vec::new(),
        }
    }

    fn p(&self) -> usize {
        self.ad.p
    }

    fn seed_root(&mut self, seed: &[Mask]) {
        for (i, m) in seed.iter().enumerate() {
            if *m != 0 {
                self.seeds.insert(i, m.trailing_zeros() as usize);
            }
        }
        self.make_shadows();
    }

    fn seed_variant(&mut self) {
        let n = self.src.sig.params.len();
        let mut k = n;
        for i in 0..n {
            let m = self.an.param[i];
            let mut v = vec![None; self.p()];
            for a in dirs(m, self.p()) {
                v[a] = Some(k);
                k += 1;
            }
            self.tp.insert(i, v);
        }
        self.make_shadows();
    }

    /// Active value parameters that the body assigns get a local copy with tangents.
    fn make_shadows(&mut self) {
        let mut assigned = vec![false; self.src.sig.params.len()];
        mark_assigned(&self.src.body, &mut assigned);
        for (i, prm) in self.src.sig.params.iter().enumerate() {
            if prm.kind != ParamKind::Scalar || !assigned[i] || self.an.param[i] == 0 {
                continue;
            }
            let s = prm.elem;
            let span = prm.span;
            let l = self.new_local(&format!("__xp_s_{}", prm.name), s, span);
            let (v, t) = self.param_value(i, span);
            self.prelude.push(Stmt::Let {
                locals: vec![Some(l)],
                init: Some(v),
            });
            self.set_mask(l, self.an.param[i]);
            self.shadow.insert(i, l);
            let tans = self.make_tangent_locals(l, self.an.param[i], s, span, false);
            for (a, tl) in tans.iter().enumerate() {
                if let Some(tl) = tl {
                    let init = t[a].clone().unwrap_or_else(|| self.zero(s, span));
                    self.prelude.push(Stmt::Let {
                        locals: vec![Some(*tl)],
                        init: Some(init),
                    });
                }
            }
        }
    }

    fn run(mut self) -> Func {
        let src = self.src;
        // Tangent locals of active locals are declared next to their values.
        let body = self.block(&src.body, Sink::Body);
        let mut stmts = std::mem::take(&mut self.prelude);
        stmts.extend(body.stmts);
        self.out.body = Block {
            stmts,
            tail: body.tail,
        };
        self.out
    }

    // ---- construction helpers -------------------------------------------------------------

    fn scalar(&self, e: &Expr) -> Scalar {
        match e.ty {
            Ty::Scalar(v) => self.out.types.get(v),
            _ => Scalar::F64,
        }
    }

    fn ty(&mut self, s: Scalar) -> Ty {
        Ty::Scalar(self.out.types.known(s))
    }

    fn mk(&mut self, kind: ExprKind, s: Scalar, span: Span) -> Expr {
        let ty = self.ty(s);
        Expr { kind, ty, span }
    }

    fn lit(&mut self, s: Scalar, text: &str, span: Span) -> Expr {
        let kind = if s.is_float() {
            ExprKind::Lit(LitVal::Float(FloatLit::Text(text.into())))
        } else {
            ExprKind::Lit(LitVal::Int(text.parse().unwrap_or(0)))
        };
        self.mk(kind, s, span)
    }

    fn zero(&mut self, s: Scalar, span: Span) -> Expr {
        self.lit(s, "0.0", span)
    }

    fn bin(&mut self, op: BinOp, a: Expr, b: Expr, s: Scalar, span: Span) -> Expr {
        self.mk(ExprKind::Binary(op, Box::new(a), Box::new(b)), s, span)
    }

    fn neg(&mut self, a: Expr, s: Scalar, span: Span) -> Expr {
        self.mk(ExprKind::Unary(UnOp::Neg, Box::new(a)), s, span)
    }

    fn intr(&mut self, i: Intr, args: Vec<Expr>, s: Scalar, span: Span) -> Expr {
        self.mk(ExprKind::Intrinsic(i, args), s, span)
    }

    fn new_local(&mut self, name: &str, s: Scalar, span: Span) -> LocalId {
        let tv = self.out.types.known(s);
        self.out.locals.push(Local {
            name: Ident::new(name, span),
            ty: LocalTy::Scalar(tv),
        });
        self.out.locals.len() - 1
    }

    fn local(&mut self, l: LocalId, span: Span) -> Expr {
        let ty = match self.out.locals[l].ty {
            LocalTy::Scalar(v) | LocalTy::Array(v, _) => Ty::Scalar(v),
        };
        Expr {
            kind: ExprKind::Local(l),
            ty,
            span,
        }
    }

    /// `e` itself if it is a literal or a local, else a new local bound to it.
    fn bind(&mut self, out: &mut Vec<Stmt>, e: Expr) -> Expr {
        if matches!(e.kind, ExprKind::Lit(_) | ExprKind::Local(_)) {
            return e;
        }
        let s = self.scalar(&e);
        let span = e.span;
        let l = self.new_local("__xp_t", s, span);
        out.push(Stmt::Let {
            locals: vec![Some(l)],
            init: Some(e),
        });
        self.local(l, span)
    }

    fn bind_tan(&mut self, out: &mut Vec<Stmt>, t: Tan) -> Tan {
        t.into_iter().map(|x| x.map(|x| self.bind(out, x))).collect()
    }

    fn is_one(e: &Expr) -> bool {
        matches!(&e.kind, ExprKind::Lit(LitVal::Float(FloatLit::Text(t))) if t == "1.0")
    }

    /// `t * c`, simplified for a unit tangent.
    fn scale(&mut self, t: &Option<Expr>, c: &Expr, s: Scalar, span: Span) -> Option<Expr> {
        let t = t.as_ref()?;
        if Self::is_one(t) {
            return Some(c.clone());
        }
        if Self::is_one(c) {
            return Some(t.clone());
        }
        Some(self.bin(BinOp::Mul, t.clone(), c.clone(), s, span))
    }

    fn add(&mut self, a: Option<Expr>, b: Option<Expr>, s: Scalar, span: Span) -> Option<Expr> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => Some(self.bin(BinOp::Add, a, b, s, span)),
        }
    }

    fn sub(&mut self, a: Option<Expr>, b: Option<Expr>, s: Scalar, span: Span) -> Option<Expr> {
        match (a, b) {
            (x, None) => x,
            (None, Some(b)) => Some(self.neg(b, s, span)),
            (Some(a), Some(b)) => Some(self.bin(BinOp::Sub, a, b, s, span)),
        }
    }

    fn none(&self) -> Tan {
        vec![None; self.p()]
    }

    fn make_tangent_locals(
        &mut self,
        l: LocalId,
        m: Mask,
        s: Scalar,
        span: Span,
        array: bool,
    ) -> Vec<Option<LocalId>> {
        if let Some(v) = self.tl.get(&l) {
            return v.clone();
        }
        let mut v = vec![None; self.p()];
        let name = self.out.locals[l].name.to_string();
        for a in dirs(m, self.p()) {
            let tv = self.out.types.known(s);
            let ty = match (array, self.out.locals[l].ty) {
                (true, LocalTy::Array(_, n)) => LocalTy::Array(tv, n),
                _ => LocalTy::Scalar(tv),
            };
            self.out.locals.push(Local {
                name: Ident::new(&format!("__xp_d{a}_{name}"), span),
                ty,
            });
            v[a] = Some(self.out.locals.len() - 1);
        }
        self.tl.insert(l, v.clone());
        v
    }

    fn set_mask(&mut self, l: LocalId, m: Mask) {
        if self.an.local.len() <= l {
            self.an.local.resize(l + 1, 0);
        }
        self.an.local[l] = m;
    }

    fn local_scalar(&self, l: LocalId) -> Scalar {
        match self.out.locals[l].ty {
            LocalTy::Scalar(v) | LocalTy::Array(v, _) => self.out.types.get(v),
        }
    }

    fn local_is_array(&self, l: LocalId) -> bool {
        matches!(self.out.locals[l].ty, LocalTy::Array(..))
    }

    /// Tangent locals of local `l` (created on first use).
    fn tans_of_local(&mut self, l: LocalId, span: Span) -> Vec<Option<LocalId>> {
        let m = self.an.local.get(l).copied().unwrap_or(0);
        let s = self.local_scalar(l);
        let arr = self.local_is_array(l);
        self.make_tangent_locals(l, m, s, span, arr)
    }

    fn local_active(&self, l: LocalId) -> bool {
        self.an.local.get(l).is_some_and(|m| *m != 0) && self.local_scalar(l).is_float()
    }

    /// Value and tangents of parameter `i` (a scalar value parameter or `*out`).
    fn param_value(&mut self, i: usize, span: Span) -> (Expr, Tan) {
        let s = self.out.sig.params[i].elem;
        let v = self.mk(ExprKind::Param(i), s, span);
        let mut t = self.none();
        if let Some(a) = self.seeds.get(&i).copied() {
            t[a] = Some(self.lit(s, "1.0", span));
        } else if let Some(tp) = self.tp.get(&i).cloned() {
            for (a, p) in tp.iter().enumerate() {
                if let Some(p) = p {
                    t[a] = Some(self.mk(ExprKind::Param(*p), s, span));
                }
            }
        }
        (v, t)
    }

    fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.ad.errors.push((span, msg.into()));
    }

    fn is_pred(&self, a: ArrayRef) -> bool {
        self.mode.is_some() && a == ArrayRef::Param(self.ad.pred)
    }

    // ---- statements ----------------------------------------------------------------------

    fn block(&mut self, b: &Block, sink: Sink) -> Block {
        let mut out = Vec::new();
        for s in &b.stmts {
            self.stmt(s, &mut out);
        }
        let mut tail = None;
        if let Some(t) = &b.tail {
            match sink {
                Sink::Body if self.mode.is_none() => {
                    let r = self.ret_values(t, &mut out);
                    tail = Some(Box::new(r));
                }
                Sink::Body | Sink::None => {
                    let (v, _) = self.expr(t, &mut out);
                    tail = Some(Box::new(v));
                }
                Sink::Assign(l, ref tl) => {
                    let (v, tan) = self.expr(t, &mut out);
                    let span = t.span;
                    out.push(Stmt::Assign {
                        place: Place::Local(l),
                        op: None,
                        value: v,
                        span,
                    });
                    let s = self.local_scalar(l);
                    for (a, tl) in tl.iter().enumerate() {
                        if let Some(tl) = tl {
                            let value = tan[a].clone().unwrap_or_else(|| self.zero(s, span));
                            out.push(Stmt::Assign {
                                place: Place::Local(*tl),
                                op: None,
                                value,
                                span,
                            });
                        }
                    }
                }
            }
        }
        Block { stmts: out, tail }
    }

    /// A variant's return value: the values with their tangents, flattened.
    fn ret_values(&mut self, e: &Expr, out: &mut Vec<Stmt>) -> Expr {
        let vals = self.multi(e, out);
        let span = e.span;
        let mut xs = Vec::new();
        let mut tys = Vec::new();
        for (j, (v, t)) in vals.into_iter().enumerate() {
            let s = self.src.sig.ret.get(j).copied().unwrap_or(Scalar::F64);
            let m = self.an.ret.get(j).copied().unwrap_or(0);
            tys.push(self.out.types.known(s));
            xs.push(v);
            for a in dirs(m, self.p()) {
                tys.push(self.out.types.known(s));
                let z = self.zero(s, span);
                xs.push(t[a].clone().unwrap_or(z));
            }
        }
        if xs.len() == 1 && !self.out.sig.ret_tuple {
            return xs.pop().unwrap_or_else(|| self.zero(Scalar::F64, span));
        }
        Expr {
            kind: ExprKind::Tuple(xs),
            ty: Ty::Tuple(tys),
            span,
        }
    }

    fn assign_tangents(
        &mut self,
        out: &mut Vec<Stmt>,
        tl: &[Option<LocalId>],
        t: &Tan,
        s: Scalar,
        span: Span,
    ) {
        for (a, l) in tl.iter().enumerate() {
            if let Some(l) = l {
                let value = t[a].clone().unwrap_or_else(|| self.zero(s, span));
                out.push(Stmt::Assign {
                    place: Place::Local(*l),
                    op: None,
                    value,
                    span,
                });
            }
        }
    }

    fn stmt(&mut self, s: &Stmt, out: &mut Vec<Stmt>) {
        match s {
            Stmt::Let { locals, init } => {
                let Some(init) = init else {
                    out.push(Stmt::Let {
                        locals: locals.clone(),
                        init: None,
                    });
                    for l in locals.iter().flatten() {
                        if self.local_active(*l) {
                            let span = self.out.locals[*l].name.span();
                            let sc = self.local_scalar(*l);
                            for tl in self.tans_of_local(*l, span).into_iter().flatten() {
                                let z = self.zero(sc, span);
                                out.push(Stmt::Let {
                                    locals: vec![Some(tl)],
                                    init: Some(z),
                                });
                            }
                        }
                    }
                    return;
                };
                let span = init.span;
                let vals = if locals.len() == 1 {
                    vec![self.expr(init, out)]
                } else {
                    self.multi(init, out)
                };
                for (l, (v, t)) in locals.iter().zip(vals) {
                    let Some(l) = l else { continue };
                    out.push(Stmt::Let {
                        locals: vec![Some(*l)],
                        init: Some(v),
                    });
                    if self.local_active(*l) {
                        let sc = self.local_scalar(*l);
                        let tls = self.tans_of_local(*l, span);
                        for (a, tl) in tls.iter().enumerate() {
                            if let Some(tl) = tl {
                                let z = self.zero(sc, span);
                                out.push(Stmt::Let {
                                    locals: vec![Some(*tl)],
                                    init: Some(t[a].clone().unwrap_or(z)),
                                });
                            }
                        }
                    }
                }
            }
            Stmt::LetArray { local, init } => {
                let span = self.out.locals[*local].name.span();
                let active = self.local_active(*local);
                let sc = self.local_scalar(*local);
                match init {
                    ArrayInit::Repeat(x, n) => {
                        let (v, t) = self.expr(x, out);
                        out.push(Stmt::LetArray {
                            local: *local,
                            init: ArrayInit::Repeat(Box::new(v), *n),
                        });
                        if active {
                            let tls = self.tans_of_local(*local, span);
                            for (a, tl) in tls.iter().enumerate() {
                                if let Some(tl) = tl {
                                    let z = self.zero(sc, span);
                                    out.push(Stmt::LetArray {
                                        local: *tl,
                                        init: ArrayInit::Repeat(Box::new(t[a].clone().unwrap_or(z)), *n),
                                    });
                                }
                            }
                        }
                    }
                    ArrayInit::List(xs) => {
                        let mut vs = Vec::new();
                        let mut ts = Vec::new();
                        for x in xs {
                            let (v, t) = self.expr(x, out);
                            vs.push(v);
                            ts.push(t);
                        }
                        out.push(Stmt::LetArray {
                            local: *local,
                            init: ArrayInit::List(vs),
                        });
                        if active {
                            let tls = self.tans_of_local(*local, span);
                            for (a, tl) in tls.iter().enumerate() {
                                if let Some(tl) = tl {
                                    let items = ts
                                        .iter()
                                        .map(|t| t[a].clone().unwrap_or_else(|| self.zero(sc, span)))
                                        .collect();
                                    out.push(Stmt::LetArray {
                                        local: *tl,
                                        init: ArrayInit::List(items),
                                    });
                                }
                            }
                        }
                    }
                }
            }
            Stmt::Assign {
                place,
                op,
                value,
                span,
            } => self.assign(place, *op, value, *span, out),
            Stmt::Expr(e) => {
                if needs_tx(e) {
                    let (v, _) = self.expr(e, out);
                    if !matches!(v.kind, ExprKind::Lit(_) | ExprKind::Local(_)) {
                        out.push(Stmt::Expr(v));
                    }
                } else {
                    out.push(Stmt::Expr(e.clone()));
                }
            }
            Stmt::While { cond, body } => {
                if needs_tx(cond) {
                    // `loop { <cond>; if !cond { break } body }`
                    let mut inner = Vec::new();
                    let (c, _) = self.expr(cond, &mut inner);
                    let span = cond.span;
                    let nc = self.mk(ExprKind::Unary(UnOp::Not, Box::new(c)), Scalar::Bool, span);
                    let brk = Block {
                        stmts: vec![Stmt::Break(span)],
                        tail: None,
                    };
                    let unit = Ty::Unit;
                    inner.push(Stmt::Expr(Expr {
                        kind: ExprKind::If(Box::new(nc), brk, None),
                        ty: unit,
                        span,
                    }));
                    let b = self.block(body, Sink::None);
                    inner.push(Stmt::Expr(Expr {
                        kind: ExprKind::Block(b),
                        ty: Ty::Unit,
                        span,
                    }));
                    out.push(Stmt::Loop(Block {
                        stmts: inner,
                        tail: None,
                    }));
                } else {
                    let body = self.block(body, Sink::None);
                    out.push(Stmt::While {
                        cond: cond.clone(),
                        body,
                    });
                }
            }
            Stmt::For {
                var,
                start,
                end,
                inclusive,
                rev,
                body,
            } => {
                let (start, _) = self.expr(start, out);
                let (end, _) = self.expr(end, out);
                let body = self.block(body, Sink::None);
                out.push(Stmt::For {
                    var: *var,
                    start,
                    end,
                    inclusive: *inclusive,
                    rev: *rev,
                    body,
                });
            }
            Stmt::Loop(b) => {
                let b = self.block(b, Sink::None);
                out.push(Stmt::Loop(b));
            }
            Stmt::Return(Some(e), span) => {
                if self.mode.is_some() {
                    let (v, _) = self.expr(e, out);
                    out.push(Stmt::Return(Some(v), *span));
                } else {
                    let r = self.ret_values(e, out);
                    out.push(Stmt::Return(Some(r), *span));
                }
            }
            Stmt::Return(None, span) => out.push(Stmt::Return(None, *span)),
            Stmt::Break(s) => out.push(Stmt::Break(*s)),
            Stmt::Continue(s) => out.push(Stmt::Continue(*s)),
        }
    }

    fn assign(&mut self, place: &Place, op: Option<BinOp>, value: &Expr, span: Span, out: &mut Vec<Stmt>) {
        // `x op= v` is `x = x op v` for the tangents.
        let full;
        let param_active = |this: &Self, i: usize| {
            this.shadow.contains_key(&i) || this.tp.get(&i).is_some_and(|t| t.iter().any(Option::is_some))
        };
        let (value, op) = match (op, place) {
            (Some(bop), Place::Local(l)) if self.local_active(*l) => {
                let cur = self.local(*l, span);
                full = Expr {
                    kind: ExprKind::Binary(bop, Box::new(cur), Box::new(value.clone())),
                    ty: value.ty.clone(),
                    span,
                };
                (&full, None)
            }
            (Some(bop), Place::Param(i)) if param_active(self, *i) => {
                // Typed with the source's type variables: the analysis reads them.
                let cur = Expr {
                    kind: ExprKind::Param(*i),
                    ty: value.ty.clone(),
                    span,
                };
                full = Expr {
                    kind: ExprKind::Binary(bop, Box::new(cur), Box::new(value.clone())),
                    ty: value.ty.clone(),
                    span,
                };
                (&full, None)
            }
            _ => (value, op),
        };
        match place {
            Place::Local(l) => {
                let (v, t) = self.expr(value, out);
                let active = self.local_active(*l);
                let op = if active { None } else { op };
                out.push(Stmt::Assign {
                    place: Place::Local(*l),
                    op,
                    value: v,
                    span,
                });
                if active {
                    let tls = self.tans_of_local(*l, span);
                    let s = self.local_scalar(*l);
                    self.assign_tangents(out, &tls, &t, s, span);
                }
            }
            Place::Param(i) => {
                let (v, t) = self.expr(value, out);
                if let Some(l) = self.shadow.get(i).copied() {
                    out.push(Stmt::Assign {
                        place: Place::Local(l),
                        op,
                        value: v,
                        span,
                    });
                    let tls = self.tans_of_local(l, span);
                    let s = self.local_scalar(l);
                    self.assign_tangents(out, &tls, &t, s, span);
                    return;
                }
                let tp = self.tp.get(i).cloned().unwrap_or_default();
                out.push(Stmt::Assign {
                    place: Place::Param(*i),
                    op,
                    value: v,
                    span,
                });
                let s = self.out.sig.params[*i].elem;
                for (a, p) in tp.iter().enumerate() {
                    if let Some(p) = p {
                        let value = t[a].clone().unwrap_or_else(|| self.zero(s, span));
                        out.push(Stmt::Assign {
                            place: Place::Param(*p),
                            op: None,
                            value,
                            span,
                        });
                    }
                }
            }
            Place::Index(arr, idx) => {
                if self.is_pred(*arr) {
                    if op.is_some() {
                        // Reported by the write-only check.
                        return;
                    }
                    let (v, t) = self.expr(value, out);
                    let (k, _) = self.expr(idx, out);
                    let k = self.bind(out, k);
                    self.consume(k, v, t, span, out);
                    return;
                }
                let tans: Vec<Option<ArrayRef>> = match arr {
                    ArrayRef::Local(l) if self.local_active(*l) => self
                        .tans_of_local(*l, span)
                        .into_iter()
                        .map(|x| x.map(ArrayRef::Local))
                        .collect(),
                    ArrayRef::Param(i) => self
                        .tp
                        .get(i)
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|x| x.map(ArrayRef::Param))
                        .collect(),
                    _ => Vec::new(),
                };
                let active = tans.iter().any(Option::is_some);
                let value = if let (true, Some(op)) = (active, op) {
                    // Read the element once: `a[k] = a[k] op v`.
                    let (k, _) = self.expr(idx, out);
                    let k = self.bind(out, k);
                    let cur = Expr {
                        kind: ExprKind::Index(*arr, Box::new(k.clone())),
                        ty: value.ty.clone(),
                        span,
                    };
                    let e = Expr {
                        kind: ExprKind::Binary(op, Box::new(cur), Box::new(value.clone())),
                        ty: value.ty.clone(),
                        span,
                    };
                    let (v, t) = self.expr(&e, out);
                    self.store(*arr, &tans, k, v, t, span, out);
                    return;
                } else {
                    value
                };
                let (v, t) = self.expr(value, out);
                let (k, _) = self.expr(idx, out);
                if !active {
                    out.push(Stmt::Assign {
                        place: Place::Index(*arr, Box::new(k)),
                        op,
                        value: v,
                        span,
                    });
                    return;
                }
                let k = self.bind(out, k);
                self.store(*arr, &tans, k, v, t, span, out);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        arr: ArrayRef,
        tans: &[Option<ArrayRef>],
        k: Expr,
        v: Expr,
        t: Tan,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let s = self.scalar(&v);
        out.push(Stmt::Assign {
            place: Place::Index(arr, Box::new(k.clone())),
            op: None,
            value: v,
            span,
        });
        for (a, ta) in tans.iter().enumerate() {
            if let Some(ta) = ta {
                let value = t[a].clone().unwrap_or_else(|| self.zero(s, span));
                out.push(Stmt::Assign {
                    place: Place::Index(*ta, Box::new(k.clone())),
                    op: None,
                    value,
                    span,
                });
            }
        }
    }

    /// One sample of the prediction: `pred[k] = v` with tangents `t`.
    fn consume(&mut self, k: Expr, v: Expr, t: Tan, span: Span, out: &mut Vec<Stmt>) {
        let p = self.p();
        let pred = self.ad.pred;
        let base = self.src.sig.params.len();
        let f = Scalar::F64;
        match self.mode {
            Some(Mode::Jacobian) => {
                let v = if self.scalar(&v) == f {
                    v
                } else {
                    self.mk(ExprKind::Cast(Box::new(v), f), f, span)
                };
                out.push(Stmt::Assign {
                    place: Place::Index(ArrayRef::Param(pred), Box::new(k.clone())),
                    op: None,
                    value: v,
                    span,
                });
                let pl = self.lit(Scalar::Usize, &p.to_string(), span);
                let kp = self.bin(BinOp::Mul, k, pl, Scalar::Usize, span);
                let kp = self.bind(out, kp);
                for (a, ta) in t.iter().enumerate() {
                    let al = self.lit(Scalar::Usize, &a.to_string(), span);
                    let idx = self.bin(BinOp::Add, kp.clone(), al, Scalar::Usize, span);
                    let value = ta.clone().unwrap_or_else(|| self.zero(f, span));
                    out.push(Stmt::Assign {
                        place: Place::Index(ArrayRef::Param(base), Box::new(idx)),
                        op: None,
                        value,
                        span,
                    });
                }
            }
            Some(Mode::Eval { weighted }) => {
                // Parameters after the model's: [w], chi2, g0.., h00, h10, h11, ..
                let wo = usize::from(weighted);
                let w = base;
                let chi2 = base + wo;
                let g = |a: usize| base + wo + 1 + a;
                let h = |a: usize, b: usize| base + wo + 1 + p + a * (a + 1) / 2 + b;
                let y = self.mk(
                    ExprKind::Index(ArrayRef::Param(pred), Box::new(k.clone())),
                    f,
                    span,
                );
                let r = self.bin(BinOp::Sub, y, v, f, span);
                let r = self.bind(out, r);
                let wk = if weighted {
                    let wk = self.mk(ExprKind::Index(ArrayRef::Param(w), Box::new(k)), f, span);
                    Some(self.bind(out, wk))
                } else {
                    None
                };
                let wr = match &wk {
                    Some(wk) => {
                        let wr = self.bin(BinOp::Mul, wk.clone(), r.clone(), f, span);
                        self.bind(out, wr)
                    }
                    None => r.clone(),
                };
                let c = self.bin(BinOp::Mul, wr.clone(), r, f, span);
                out.push(Stmt::Assign {
                    place: Place::Param(chi2),
                    op: Some(BinOp::Add),
                    value: c,
                    span,
                });
                let mut wt = vec![None; p];
                for a in 0..p {
                    if let Some(ta) = t[a].clone() {
                        let ga = self.bin(BinOp::Mul, ta.clone(), wr.clone(), f, span);
                        out.push(Stmt::Assign {
                            place: Place::Param(g(a)),
                            op: Some(BinOp::Add),
                            value: ga,
                            span,
                        });
                        wt[a] = Some(match &wk {
                            Some(wk) => {
                                let x = self.bin(BinOp::Mul, wk.clone(), ta, f, span);
                                self.bind(out, x)
                            }
                            None => ta,
                        });
                    }
                }
                for (a, wa) in wt.iter().enumerate() {
                    for (b, tb) in t.iter().enumerate().take(a + 1) {
                        if let (Some(wa), Some(tb)) = (wa.clone(), tb.clone()) {
                            let x = self.bin(BinOp::Mul, wa, tb, f, span);
                            out.push(Stmt::Assign {
                                place: Place::Param(h(a, b)),
                                op: Some(BinOp::Add),
                                value: x,
                                span,
                            });
                        }
                    }
                }
            }
            None => {}
        }
    }

    // ---- expressions ---------------------------------------------------------------------

    /// Values (and tangents) of a call or tuple.
    fn multi(&mut self, e: &Expr, out: &mut Vec<Stmt>) -> Vec<(Expr, Tan)> {
        match &e.kind {
            ExprKind::Tuple(xs) => xs.iter().map(|x| self.expr(x, out)).collect(),
            ExprKind::Call(..) => self.call(e, out),
            ExprKind::If(..) | ExprKind::Block(_) if matches!(e.ty, Ty::Tuple(_)) => {
                self.err(
                    e.span,
                    "a tuple-valued `if` or block is not supported in a fit model or a kernel it calls: compute each value with its own `let` and return the tuple at the end",
                );
                vec![(e.clone(), self.none())]
            }
            _ => vec![self.expr(e, out)],
        }
    }

    fn expr(&mut self, e: &Expr, out: &mut Vec<Stmt>) -> (Expr, Tan) {
        let span = e.span;
        let float = matches!(e.ty, Ty::Scalar(v) if self.out.types.get(v).is_float());
        let s = self.scalar(e);
        match &e.kind {
            ExprKind::Lit(_) | ExprKind::Len(_) => (e.clone(), self.none()),
            ExprKind::Local(l) => {
                let mut t = self.none();
                if float && self.local_active(*l) {
                    let tls = self.tans_of_local(*l, span);
                    for (a, tl) in tls.iter().enumerate() {
                        if let Some(tl) = tl {
                            t[a] = Some(self.local(*tl, span));
                        }
                    }
                }
                (e.clone(), t)
            }
            ExprKind::Param(i) => {
                if let Some(l) = self.shadow.get(i).copied() {
                    let le = self.local(l, span);
                    return self.expr(&le, out);
                }
                if float {
                    let (v, t) = self.param_value(*i, span);
                    (v, t)
                } else {
                    (e.clone(), self.none())
                }
            }
            _ if !(needs_tx(e) || float && self.active(e)) => (e.clone(), self.none()),
            ExprKind::Unary(op, x) => {
                let (xv, xt) = self.expr(x, out);
                let xv = self.bind(out, xv);
                let v = self.mk(ExprKind::Unary(*op, Box::new(xv)), s, span);
                let t = if *op == UnOp::Neg && float {
                    xt.into_iter().map(|t| t.map(|t| self.neg(t, s, span))).collect()
                } else {
                    self.none()
                };
                self.finish(out, v, t)
            }
            ExprKind::Binary(op, a, b) if matches!(op, BinOp::And | BinOp::Or) => {
                // Keep short-circuiting: `a && b` is `if a { b } else { false }`.
                let (av, _) = self.expr(a, out);
                let mut inner = Vec::new();
                let (bv, _) = self.expr(b, &mut inner);
                let lit = self.mk(ExprKind::Lit(LitVal::Bool(*op == BinOp::Or)), Scalar::Bool, span);
                let then_b = Block {
                    stmts: inner,
                    tail: Some(Box::new(bv)),
                };
                let other = Block {
                    stmts: Vec::new(),
                    tail: Some(Box::new(lit)),
                };
                let (t, f) = if *op == BinOp::And {
                    (then_b, other)
                } else {
                    (other, then_b)
                };
                let v = self.mk(ExprKind::If(Box::new(av), t, Some(f)), Scalar::Bool, span);
                (v, self.none())
            }
            ExprKind::Binary(op, a, b) => {
                let (av, at) = self.expr(a, out);
                let av = self.bind(out, av);
                let (bv, bt) = self.expr(b, out);
                let bv = self.bind(out, bv);
                let v = self.bin(*op, av.clone(), bv.clone(), s, span);
                if !float {
                    return self.finish(out, v, self.none());
                }
                let v = self.bind(out, v);
                let p = self.p();
                let t: Tan = match op {
                    BinOp::Add => (0..p)
                        .map(|i| self.add(at[i].clone(), bt[i].clone(), s, span))
                        .collect(),
                    BinOp::Sub => (0..p)
                        .map(|i| self.sub(at[i].clone(), bt[i].clone(), s, span))
                        .collect(),
                    BinOp::Mul => (0..p)
                        .map(|i| {
                            let x = self.scale(&at[i], &bv, s, span);
                            let y = self.scale(&bt[i], &av, s, span);
                            self.add(x, y, s, span)
                        })
                        .collect(),
                    BinOp::Div => {
                        // d(a/b) = (da - v db) / b = (da - v db) * (1/b)
                        let one = self.lit(s, "1.0", span);
                        let inv = if bt.iter().chain(at.iter()).filter(|x| x.is_some()).count() > 1 {
                            let q = self.bin(BinOp::Div, one, bv.clone(), s, span);
                            Some(self.bind(out, q))
                        } else {
                            None
                        };
                        (0..p)
                            .map(|i| {
                                let vdb = self.scale(&bt[i], &v, s, span);
                                let num = self.sub(at[i].clone(), vdb, s, span)?;
                                Some(match &inv {
                                    Some(q) => self.bin(BinOp::Mul, num, q.clone(), s, span),
                                    None => self.bin(BinOp::Div, num, bv.clone(), s, span),
                                })
                            })
                            .collect()
                    }
                    BinOp::Rem => {
                        // d(a % b) = da - trunc(a / b) db
                        let q = if bt.iter().any(Option::is_some) {
                            let d = self.bin(BinOp::Div, av.clone(), bv.clone(), s, span);
                            let tr = self.intr(Intr::Trunc, vec![d], s, span);
                            Some(self.bind(out, tr))
                        } else {
                            None
                        };
                        (0..p)
                            .map(|i| {
                                let qdb = q.as_ref().and_then(|q| self.scale(&bt[i], q, s, span));
                                self.sub(at[i].clone(), qdb, s, span)
                            })
                            .collect()
                    }
                    _ => self.none(),
                };
                let t = self.bind_tan(out, t);
                (v, t)
            }
            ExprKind::Cast(x, to) => {
                let (xv, xt) = self.expr(x, out);
                let xv = self.bind(out, xv);
                let from_float = self.scalar(&xv).is_float();
                let v = self.mk(ExprKind::Cast(Box::new(xv), *to), *to, span);
                let t = if from_float && to.is_float() {
                    xt.into_iter()
                        .map(|t| t.map(|t| self.mk(ExprKind::Cast(Box::new(t), *to), *to, span)))
                        .collect()
                } else {
                    self.none()
                };
                self.finish(out, v, t)
            }
            ExprKind::Index(arr, i) => {
                if self.is_pred(*arr) {
                    // Reported by the write-only check.
                    return (e.clone(), self.none());
                }
                let (iv, _) = self.expr(i, out);
                let iv = self.bind(out, iv);
                let v = self.mk(ExprKind::Index(*arr, Box::new(iv.clone())), s, span);
                let mut t = self.none();
                if float {
                    let tans: Vec<Option<ArrayRef>> = match arr {
                        ArrayRef::Local(l) if self.local_active(*l) => self
                            .tans_of_local(*l, span)
                            .into_iter()
                            .map(|x| x.map(ArrayRef::Local))
                            .collect(),
                        ArrayRef::Param(i) => self
                            .tp
                            .get(i)
                            .cloned()
                            .unwrap_or_default()
                            .into_iter()
                            .map(|x| x.map(ArrayRef::Param))
                            .collect(),
                        _ => Vec::new(),
                    };
                    for (a, ta) in tans.iter().enumerate() {
                        if let Some(ta) = ta {
                            t[a] = Some(self.mk(ExprKind::Index(*ta, Box::new(iv.clone())), s, span));
                        }
                    }
                }
                self.finish(out, v, t)
            }
            ExprKind::Intrinsic(intr, args) => self.intrinsic(*intr, args, s, span, out),
            ExprKind::Call(..) => {
                let mut vals = self.call(e, out);
                if vals.len() == 1 {
                    vals.pop().unwrap_or_else(|| (e.clone(), self.none()))
                } else {
                    (e.clone(), self.none())
                }
            }
            ExprKind::If(c, t, el) => {
                let (cv, _) = self.expr(c, out);
                if float && self.active(e) {
                    let r = self.new_local("__xp_if", s, span);
                    let m = self.active_mask(e);
                    self.set_mask(r, m);
                    out.push(Stmt::Let {
                        locals: vec![Some(r)],
                        init: None,
                    });
                    let tls = self.tans_of_local(r, span);
                    for tl in tls.iter().flatten() {
                        let z = self.zero(s, span);
                        out.push(Stmt::Let {
                            locals: vec![Some(*tl)],
                            init: Some(z),
                        });
                    }
                    let tb = self.block(t, Sink::Assign(r, tls.clone()));
                    let eb = el.as_ref().map(|b| self.block(b, Sink::Assign(r, tls.clone())));
                    out.push(Stmt::Expr(Expr {
                        kind: ExprKind::If(Box::new(cv), tb, eb),
                        ty: Ty::Unit,
                        span,
                    }));
                    let v = self.local(r, span);
                    let tt = tls.iter().map(|tl| tl.map(|tl| self.local(tl, span))).collect();
                    return (v, tt);
                }
                let tb = self.block(t, Sink::None);
                let eb = el.as_ref().map(|b| self.block(b, Sink::None));
                let v = Expr {
                    kind: ExprKind::If(Box::new(cv), tb, eb),
                    ty: e.ty.clone(),
                    span,
                };
                (v, self.none())
            }
            ExprKind::Block(b) => {
                if float && self.active(e) {
                    let r = self.new_local("__xp_blk", s, span);
                    let m = self.active_mask(e);
                    self.set_mask(r, m);
                    out.push(Stmt::Let {
                        locals: vec![Some(r)],
                        init: None,
                    });
                    let tls = self.tans_of_local(r, span);
                    for tl in tls.iter().flatten() {
                        let z = self.zero(s, span);
                        out.push(Stmt::Let {
                            locals: vec![Some(*tl)],
                            init: Some(z),
                        });
                    }
                    let bb = self.block(b, Sink::Assign(r, tls.clone()));
                    out.push(Stmt::Expr(Expr {
                        kind: ExprKind::Block(bb),
                        ty: Ty::Unit,
                        span,
                    }));
                    let v = self.local(r, span);
                    let tt = tls.iter().map(|tl| tl.map(|tl| self.local(tl, span))).collect();
                    return (v, tt);
                }
                let bb = self.block(b, Sink::None);
                let v = Expr {
                    kind: ExprKind::Block(bb),
                    ty: e.ty.clone(),
                    span,
                };
                (v, self.none())
            }
            ExprKind::Tuple(xs) => {
                let xs = xs.iter().map(|x| self.expr(x, out).0).collect();
                (
                    Expr {
                        kind: ExprKind::Tuple(xs),
                        ty: e.ty.clone(),
                        span,
                    },
                    self.none(),
                )
            }
        }
    }

    /// The mask of an expression from the analysis (recomputed on the source function).
    fn active_mask(&mut self, e: &Expr) -> Mask {
        let mut an = self.an.clone();
        let src = self.src;
        self.ad.a_expr(src, e, &mut an)
    }

    fn active(&mut self, e: &Expr) -> bool {
        self.active_mask(e) != 0
    }

    fn finish(&mut self, out: &mut Vec<Stmt>, v: Expr, t: Tan) -> (Expr, Tan) {
        if t.iter().all(Option::is_none) {
            return (v, t);
        }
        let v = self.bind(out, v);
        let t = self.bind_tan(out, t);
        (v, t)
    }

    fn intrinsic(
        &mut self,
        intr: Intr,
        args: &[Expr],
        s: Scalar,
        span: Span,
        out: &mut Vec<Stmt>,
    ) -> (Expr, Tan) {
        let mut vs = Vec::new();
        let mut ts = Vec::new();
        for a in args {
            let (v, t) = self.expr(a, out);
            let v = self.bind(out, v);
            vs.push(v);
            ts.push(t);
        }
        let v = self.intr(intr, vs.clone(), s, span);
        let p = self.p();
        let any = ts.iter().any(|t| t.iter().any(Option::is_some));
        if !any || !s.is_float() {
            return (v, self.none());
        }
        let v = self.bind(out, v);
        let x = vs[0].clone();
        let xt = ts[0].clone();
        // A per-direction factor: t = xt * c.
        let chain = |this: &mut Self, c: Expr, out: &mut Vec<Stmt>| -> Tan {
            let c = this.bind(out, c);
            (0..p).map(|a| this.scale(&xt[a], &c, s, span)).collect()
        };
        let t: Tan = match intr {
            Intr::Exp => chain(self, v.clone(), out),
            Intr::Exp2 => {
                let ln2 = self.lit(s, "0.693147180559945309417232121458176568", span);
                let c = self.bin(BinOp::Mul, v.clone(), ln2, s, span);
                chain(self, c, out)
            }
            Intr::Ln | Intr::Log2 | Intr::Log10 => {
                let one = self.lit(s, "1.0", span);
                let den = match intr {
                    Intr::Ln => x.clone(),
                    Intr::Log2 => {
                        let k = self.lit(s, "0.693147180559945309417232121458176568", span);
                        self.bin(BinOp::Mul, x.clone(), k, s, span)
                    }
                    _ => {
                        let k = self.lit(s, "2.30258509299404568401799145468436421", span);
                        self.bin(BinOp::Mul, x.clone(), k, s, span)
                    }
                };
                let c = self.bin(BinOp::Div, one, den, s, span);
                chain(self, c, out)
            }
            Intr::Sqrt => {
                let half = self.lit(s, "0.5", span);
                let c = self.bin(BinOp::Div, half, v.clone(), s, span);
                chain(self, c, out)
            }
            Intr::Recip => {
                let vv = self.bin(BinOp::Mul, v.clone(), v.clone(), s, span);
                let c = self.neg(vv, s, span);
                chain(self, c, out)
            }
            Intr::Abs => {
                let c = self.intr(Intr::Signum, vec![x.clone()], s, span);
                chain(self, c, out)
            }
            Intr::Powi => {
                // n x^(n-1)
                let n = vs[1].clone();
                let one = self.lit(Scalar::I32, "1", span);
                let nm1 = self.bin(BinOp::Sub, n.clone(), one, Scalar::I32, span);
                let pw = self.intr(Intr::Powi, vec![x.clone(), nm1], s, span);
                let nf = self.mk(ExprKind::Cast(Box::new(n), s), s, span);
                let c = self.bin(BinOp::Mul, nf, pw, s, span);
                chain(self, c, out)
            }
            Intr::Powf => {
                let y = vs[1].clone();
                let yt = ts[1].clone();
                let cx = if xt.iter().any(Option::is_some) {
                    let one = self.lit(s, "1.0", span);
                    let ym1 = self.bin(BinOp::Sub, y.clone(), one, s, span);
                    let pw = self.intr(Intr::Powf, vec![x.clone(), ym1], s, span);
                    let c = self.bin(BinOp::Mul, y.clone(), pw, s, span);
                    Some(self.bind(out, c))
                } else {
                    None
                };
                let cy = if yt.iter().any(Option::is_some) {
                    let ln = self.intr(Intr::Ln, vec![x.clone()], s, span);
                    let c = self.bin(BinOp::Mul, v.clone(), ln, s, span);
                    Some(self.bind(out, c))
                } else {
                    None
                };
                (0..p)
                    .map(|a| {
                        let l = cx.as_ref().and_then(|c| self.scale(&xt[a], c, s, span));
                        let r = cy.as_ref().and_then(|c| self.scale(&yt[a], c, s, span));
                        self.add(l, r, s, span)
                    })
                    .collect()
            }
            Intr::MulAdd => {
                // x * y + z
                let (y, yt, zt) = (vs[1].clone(), ts[1].clone(), ts[2].clone());
                (0..p)
                    .map(|a| {
                        let l = self.scale(&xt[a], &y, s, span);
                        let r = self.scale(&yt[a], &x, s, span);
                        let lr = self.add(l, r, s, span);
                        self.add(lr, zt[a].clone(), s, span)
                    })
                    .collect()
            }
            Intr::Min | Intr::Max => {
                // The tangent of the operand chosen, with the same NaN rule as the value.
                let y = vs[1].clone();
                let yt = ts[1].clone();
                let cmp = if intr == Intr::Min { BinOp::Lt } else { BinOp::Gt };
                let c1 = self.bin(cmp, x.clone(), y.clone(), Scalar::Bool, span);
                let c2 = self.intr(Intr::IsNan, vec![y], Scalar::Bool, span);
                let c = self.bin(BinOp::Or, c1, c2, Scalar::Bool, span);
                let c = self.bind(out, c);
                (0..p)
                    .map(|a| {
                        if xt[a].is_none() && yt[a].is_none() {
                            return None;
                        }
                        let tx = xt[a].clone().unwrap_or_else(|| self.zero(s, span));
                        let ty = yt[a].clone().unwrap_or_else(|| self.zero(s, span));
                        let tb = Block {
                            stmts: Vec::new(),
                            tail: Some(Box::new(tx)),
                        };
                        let eb = Block {
                            stmts: Vec::new(),
                            tail: Some(Box::new(ty)),
                        };
                        Some(self.mk(ExprKind::If(Box::new(c.clone()), tb, Some(eb)), s, span))
                    })
                    .collect()
            }
            _ => self.none(),
        };
        let t = self.bind_tan(out, t);
        (v, t)
    }

    /// A call: to the callee itself when nothing about it is active, else to its variant.
    fn call(&mut self, e: &Expr, out: &mut Vec<Stmt>) -> Vec<(Expr, Tan)> {
        let ExprKind::Call(c, args) = &e.kind else {
            return vec![(e.clone(), self.none())];
        };
        let span = e.span;
        // Argument values and masks.
        let mut new_args = Vec::new();
        let mut key = Vec::new();
        let mut arg_tans: Vec<Tan> = Vec::new();
        for a in args {
            match a {
                Arg::Value(x) => {
                    let (v, t) = self.expr(x, out);
                    let v = self.bind(out, v);
                    let mut m = 0;
                    for (d, t) in t.iter().enumerate() {
                        if t.is_some() {
                            m |= 1 << d;
                        }
                    }
                    key.push(m);
                    new_args.push(Arg::Value(v));
                    arg_tans.push(t);
                }
                Arg::Row(r, sp) | Arg::RowMut(r, sp) => {
                    if self.is_pred(*r) {
                        self.err(*sp, "the prediction row of a fit model can only be written directly (`pred[k] = value`); return the value from the called kernel instead");
                    }
                    let m = self.array_mask(*r);
                    key.push(m);
                    new_args.push(a.clone());
                    arg_tans.push(self.none());
                }
                Arg::ScalarMut(r, _) => {
                    let r = match r {
                        ScalarRef::Param(i) => match self.shadow.get(i) {
                            Some(l) => ScalarRef::Local(*l),
                            None => *r,
                        },
                        _ => *r,
                    };
                    let m = match r {
                        ScalarRef::Local(l) if self.local_active(l) => self.an.local[l],
                        ScalarRef::Local(_) => 0,
                        ScalarRef::Param(i) => self.an.param[i],
                    };
                    key.push(m);
                    let sp = match a {
                        Arg::ScalarMut(_, sp) => *sp,
                        _ => span,
                    };
                    new_args.push(Arg::ScalarMut(r, sp));
                    arg_tans.push(self.none());
                }
            }
        }
        let Some(callee) = self.src.callees.get(*c).cloned() else {
            return vec![(e.clone(), self.none())];
        };
        let Some(cf) = self.ad.func(&callee) else {
            return vec![(e.clone(), self.none())];
        };
        let n_ret = cf.sig.ret.len();
        if key.iter().all(|m| *m == 0) {
            // Nothing active flows in; outputs carry no derivatives.
            let call = Expr {
                kind: ExprKind::Call(*c, new_args),
                ty: e.ty.clone(),
                span,
            };
            if n_ret > 1 || cf.sig.ret_tuple {
                return self.unpack(call, &cf.sig.ret, &[], out, span);
            }
            return vec![(call, self.none())];
        }
        let Some((vid, info)) = self.ad.variant(&callee, &key) else {
            return vec![(e.clone(), self.none())];
        };
        // Tangent arguments in the variant's parameter order.
        let p = self.p();
        for (i, a) in args.iter().enumerate() {
            for d in dirs(info.an.param[i], p) {
                match (a, &new_args[i]) {
                    (Arg::Value(x), _) => {
                        let s = self.scalar(x);
                        let t = arg_tans[i][d].clone().unwrap_or_else(|| self.zero(s, span));
                        new_args.push(Arg::Value(t));
                    }
                    (Arg::Row(r, sp), _) | (Arg::RowMut(r, sp), _) => {
                        let tr = self.array_tangent(*r, d, *sp);
                        let mutable = matches!(a, Arg::RowMut(..));
                        new_args.push(if mutable {
                            Arg::RowMut(tr, *sp)
                        } else {
                            Arg::Row(tr, *sp)
                        });
                    }
                    (_, Arg::ScalarMut(r, sp)) => {
                        let tr = match r {
                            ScalarRef::Local(l) => {
                                let tls = self.tans_of_local(*l, *sp);
                                ScalarRef::Local(tls[d].unwrap_or(*l))
                            }
                            ScalarRef::Param(i) => {
                                let tp = self.tp.get(i).cloned().unwrap_or_default();
                                ScalarRef::Param(tp.get(d).copied().flatten().unwrap_or(*i))
                            }
                        };
                        new_args.push(Arg::ScalarMut(tr, *sp));
                    }
                    _ => {}
                }
            }
        }
        let idx = match self.out.callees.iter().position(|x| *x == vid) {
            Some(k) => k,
            None => {
                self.out.callees.push(vid.clone());
                self.out.callees.len() - 1
            }
        };
        // The variant's return types: each value followed by its tangents.
        let mut rets = Vec::new();
        for (j, s) in cf.sig.ret.iter().enumerate() {
            rets.push((*s, info.an.ret[j]));
        }
        let flat: Vec<Scalar> = rets
            .iter()
            .flat_map(|(s, m)| std::iter::repeat_n(*s, 1 + dirs(*m, p).len()))
            .collect();
        let tuple = cf.sig.ret_tuple || flat.len() > n_ret;
        let ty = if flat.is_empty() {
            Ty::Unit
        } else if tuple {
            Ty::Tuple(flat.iter().map(|s| self.out.types.known(*s)).collect())
        } else {
            self.ty(flat[0])
        };
        let call = Expr {
            kind: ExprKind::Call(idx, new_args),
            ty,
            span,
        };
        if flat.is_empty() {
            out.push(Stmt::Expr(call));
            return vec![(self.zero(Scalar::F64, span), self.none())];
        }
        if !tuple {
            return vec![(call, self.none())];
        }
        let masks: Vec<Mask> = rets.iter().map(|(_, m)| *m).collect();
        self.unpack(call, &cf.sig.ret, &masks, out, span)
    }

    /// Binds a tuple-returning call to locals: values, each followed by its tangents.
    fn unpack(
        &mut self,
        call: Expr,
        rets: &[Scalar],
        masks: &[Mask],
        out: &mut Vec<Stmt>,
        span: Span,
    ) -> Vec<(Expr, Tan)> {
        let p = self.p();
        let mut locals = Vec::new();
        let mut res = Vec::new();
        for (j, s) in rets.iter().enumerate() {
            let l = self.new_local("__xp_r", *s, span);
            locals.push(Some(l));
            let mut t = self.none();
            for d in dirs(masks.get(j).copied().unwrap_or(0), p) {
                let tl = self.new_local("__xp_dr", *s, span);
                locals.push(Some(tl));
                t[d] = Some(self.local(tl, span));
            }
            let v = self.local(l, span);
            res.push((v, t));
        }
        out.push(Stmt::Let {
            locals,
            init: Some(call),
        });
        res
    }

    fn array_mask(&self, r: ArrayRef) -> Mask {
        match r {
            ArrayRef::Local(l) => {
                if self.local_active(l) {
                    self.an.local[l]
                } else {
                    0
                }
            }
            ArrayRef::Param(i) => self.an.param[i],
        }
    }

    fn array_tangent(&mut self, r: ArrayRef, d: usize, span: Span) -> ArrayRef {
        match r {
            ArrayRef::Local(l) => {
                let tls = self.tans_of_local(l, span);
                ArrayRef::Local(tls[d].unwrap_or(l))
            }
            ArrayRef::Param(i) => {
                let tp = self.tp.get(&i).cloned().unwrap_or_default();
                ArrayRef::Param(tp.get(d).copied().flatten().unwrap_or(i))
            }
        }
    }
}

/// Where a block's value goes.
enum Sink {
    /// The function body (a variant returns its tangents too).
    Body,
    /// Nowhere special: the block keeps its value.
    None,
    /// Assigned to a local and its tangents (an active `if` or block expression).
    Assign(LocalId, Vec<Option<LocalId>>),
}

/// Whether an expression contains a call or a block (which must be rewritten even when its
/// value is inactive).
fn needs_tx(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call(..) | ExprKind::If(..) | ExprKind::Block(_) => true,
        ExprKind::Unary(_, x) | ExprKind::Cast(x, _) | ExprKind::Index(_, x) => needs_tx(x),
        ExprKind::Binary(_, a, b) => needs_tx(a) || needs_tx(b),
        ExprKind::Intrinsic(_, xs) | ExprKind::Tuple(xs) => xs.iter().any(needs_tx),
        ExprKind::Lit(_) | ExprKind::Local(_) | ExprKind::Param(_) | ExprKind::Len(_) => false,
    }
}

fn mark_assigned(b: &Block, out: &mut [bool]) {
    for s in &b.stmts {
        match s {
            Stmt::Assign {
                place: Place::Param(i),
                ..
            } => out[*i] = true,
            Stmt::While { body, .. } | Stmt::For { body, .. } | Stmt::Loop(body) => mark_assigned(body, out),
            Stmt::Expr(e) | Stmt::Let { init: Some(e), .. } => mark_expr(e, out),
            _ => {}
        }
    }
    if let Some(t) = &b.tail {
        mark_expr(t, out);
    }
}

fn mark_expr(e: &Expr, out: &mut [bool]) {
    match &e.kind {
        ExprKind::If(c, t, el) => {
            mark_expr(c, out);
            mark_assigned(t, out);
            if let Some(el) = el {
                mark_assigned(el, out);
            }
        }
        ExprKind::Block(b) => mark_assigned(b, out),
        ExprKind::Unary(_, x) | ExprKind::Cast(x, _) | ExprKind::Index(_, x) => mark_expr(x, out),
        ExprKind::Binary(_, a, b) => {
            mark_expr(a, out);
            mark_expr(b, out);
        }
        ExprKind::Intrinsic(_, xs) | ExprKind::Tuple(xs) => xs.iter().for_each(|x| mark_expr(x, out)),
        ExprKind::Call(_, args) => {
            for a in args {
                match a {
                    Arg::Value(x) => mark_expr(x, out),
                    Arg::ScalarMut(ScalarRef::Param(i), _) => out[*i] = true,
                    _ => {}
                }
            }
        }
        _ => {}
    }
}
