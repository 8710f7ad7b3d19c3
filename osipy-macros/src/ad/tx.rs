//! The rewriter of one function: its construction, seeds, tangent locals and the small
//! builders of IR the rules use.

use super::*;

impl<'s, 'a> Tx<'s, 'a> {
    pub(super) fn new(ad: &'s mut Ad<'a>, src: &'a Func, an: Analysis, id: String, sig: Sig) -> Self {
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

    pub(super) fn p(&self) -> usize {
        self.ad.p
    }

    pub(super) fn seed_root(&mut self, seed: &[Mask]) {
        for (i, m) in seed.iter().enumerate() {
            if *m != 0 {
                self.seeds.insert(i, m.trailing_zeros() as usize);
            }
        }
        self.make_shadows();
    }

    pub(super) fn seed_variant(&mut self) {
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
    pub(super) fn make_shadows(&mut self) {
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

    pub(super) fn run(mut self) -> Func {
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

    pub(super) fn scalar(&self, e: &Expr) -> Scalar {
        match e.ty {
            Ty::Scalar(v) => self.out.types.get(v),
            _ => Scalar::F64,
        }
    }

    pub(super) fn ty(&mut self, s: Scalar) -> Ty {
        Ty::Scalar(self.out.types.known(s))
    }

    pub(super) fn mk(&mut self, kind: ExprKind, s: Scalar, span: Span) -> Expr {
        let ty = self.ty(s);
        Expr { kind, ty, span }
    }

    pub(super) fn lit(&mut self, s: Scalar, text: &str, span: Span) -> Expr {
        let kind = if s.is_float() {
            ExprKind::Lit(LitVal::Float(FloatLit::Text(text.into())))
        } else {
            ExprKind::Lit(LitVal::Int(text.parse().unwrap_or(0)))
        };
        self.mk(kind, s, span)
    }

    pub(super) fn zero(&mut self, s: Scalar, span: Span) -> Expr {
        self.lit(s, "0.0", span)
    }

    pub(super) fn bin(&mut self, op: BinOp, a: Expr, b: Expr, s: Scalar, span: Span) -> Expr {
        self.mk(ExprKind::Binary(op, Box::new(a), Box::new(b)), s, span)
    }

    pub(super) fn neg(&mut self, a: Expr, s: Scalar, span: Span) -> Expr {
        self.mk(ExprKind::Unary(UnOp::Neg, Box::new(a)), s, span)
    }

    pub(super) fn intr(&mut self, i: Intr, args: Vec<Expr>, s: Scalar, span: Span) -> Expr {
        self.mk(ExprKind::Intrinsic(i, args), s, span)
    }

    pub(super) fn new_local(&mut self, name: &str, s: Scalar, span: Span) -> LocalId {
        let tv = self.out.types.known(s);
        self.out.locals.push(Local {
            name: Ident::new(name, span),
            ty: LocalTy::Scalar(tv),
        });
        self.out.locals.len() - 1
    }

    pub(super) fn local(&mut self, l: LocalId, span: Span) -> Expr {
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
    pub(super) fn bind(&mut self, out: &mut Vec<Stmt>, e: Expr) -> Expr {
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

    pub(super) fn bind_tan(&mut self, out: &mut Vec<Stmt>, t: Tan) -> Tan {
        t.into_iter().map(|x| x.map(|x| self.bind(out, x))).collect()
    }

    pub(super) fn is_one(e: &Expr) -> bool {
        matches!(&e.kind, ExprKind::Lit(LitVal::Float(FloatLit::Text(t))) if t == "1.0")
    }

    /// `t * c`, simplified for a unit tangent.
    pub(super) fn scale(&mut self, t: &Option<Expr>, c: &Expr, s: Scalar, span: Span) -> Option<Expr> {
        let t = t.as_ref()?;
        if Self::is_one(t) {
            return Some(c.clone());
        }
        if Self::is_one(c) {
            return Some(t.clone());
        }
        Some(self.bin(BinOp::Mul, t.clone(), c.clone(), s, span))
    }

    pub(super) fn add(&mut self, a: Option<Expr>, b: Option<Expr>, s: Scalar, span: Span) -> Option<Expr> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => Some(self.bin(BinOp::Add, a, b, s, span)),
        }
    }

    pub(super) fn sub(&mut self, a: Option<Expr>, b: Option<Expr>, s: Scalar, span: Span) -> Option<Expr> {
        match (a, b) {
            (x, None) => x,
            (None, Some(b)) => Some(self.neg(b, s, span)),
            (Some(a), Some(b)) => Some(self.bin(BinOp::Sub, a, b, s, span)),
        }
    }

    pub(super) fn none(&self) -> Tan {
        vec![None; self.p()]
    }

    pub(super) fn make_tangent_locals(
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

    pub(super) fn set_mask(&mut self, l: LocalId, m: Mask) {
        if self.an.local.len() <= l {
            self.an.local.resize(l + 1, 0);
        }
        self.an.local[l] = m;
    }

    pub(super) fn local_scalar(&self, l: LocalId) -> Scalar {
        match self.out.locals[l].ty {
            LocalTy::Scalar(v) | LocalTy::Array(v, _) => self.out.types.get(v),
        }
    }

    pub(super) fn local_is_array(&self, l: LocalId) -> bool {
        matches!(self.out.locals[l].ty, LocalTy::Array(..))
    }

    /// Tangent locals of local `l` (created on first use).
    pub(super) fn tans_of_local(&mut self, l: LocalId, span: Span) -> Vec<Option<LocalId>> {
        let m = self.an.local.get(l).copied().unwrap_or(0);
        let s = self.local_scalar(l);
        let arr = self.local_is_array(l);
        self.make_tangent_locals(l, m, s, span, arr)
    }

    pub(super) fn local_active(&self, l: LocalId) -> bool {
        self.an.local.get(l).is_some_and(|m| *m != 0) && self.local_scalar(l).is_float()
    }

    /// Value and tangents of parameter `i` (a scalar value parameter or `*out`).
    pub(super) fn param_value(&mut self, i: usize, span: Span) -> (Expr, Tan) {
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

    pub(super) fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.ad.errors.push((span, msg.into()));
    }

    pub(super) fn is_pred(&self, a: ArrayRef) -> bool {
        self.mode.is_some() && a == ArrayRef::Param(self.ad.pred)
    }
}
