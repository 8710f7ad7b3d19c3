//! The activity analysis: which directions (fitted parameters) each value can depend on, and
//! the differentiated variants of callees, one per pattern of active arguments.

use super::*;

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

    pub(super) fn func(&self, id: &str) -> Option<&'a Func> {
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
    pub(super) fn analyze(&mut self, f: &Func, seed: &[Mask]) -> Analysis {
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

    pub(super) fn info(&mut self, callee: &str, key: &[Mask]) -> Option<Info> {
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

    pub(super) fn is_float(f: &Func, e: &Expr) -> bool {
        matches!(e.ty, Ty::Scalar(v) if f.types.get(v).is_float())
    }

    pub(super) fn a_block(&mut self, f: &Func, b: &Block, an: &mut Analysis, is_body: bool) {
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

    pub(super) fn a_stmt(&mut self, f: &Func, s: &Stmt, an: &mut Analysis) {
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

    pub(super) fn a_multi(&mut self, f: &Func, e: &Expr, an: &mut Analysis) -> Vec<Mask> {
        match &e.kind {
            ExprKind::Tuple(xs) => xs.iter().map(|x| self.a_expr(f, x, an)).collect(),
            ExprKind::Call(..) => self.a_call(f, e, an),
            _ => vec![self.a_expr(f, e, an)],
        }
    }

    pub(super) fn array_mask(an: &Analysis, a: ArrayRef) -> Mask {
        match a {
            ArrayRef::Local(l) => an.local[l],
            ArrayRef::Param(i) => an.param[i],
        }
    }

    pub(super) fn a_call(&mut self, f: &Func, e: &Expr, an: &mut Analysis) -> Vec<Mask> {
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

    pub(super) fn a_expr(&mut self, f: &Func, e: &Expr, an: &mut Analysis) -> Mask {
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
    pub(super) fn a_expr_peek(&mut self, f: &Func, e: &Expr, an: &mut Analysis) -> Mask {
        self.a_expr(f, e, an)
    }

    /// The id of the variant of `callee` for the argument masks `key`, made on first use.
    pub(super) fn variant(&mut self, callee: &str, key: &[Mask]) -> Option<(String, Info)> {
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
            structs: Vec::new(),
            ret_struct: None,
        };
        let tx = Tx::new(self, f, info.an.clone(), id.clone(), sig);
        let mut tx = tx;
        tx.seed_variant();
        let func = tx.run();
        self.variants.push(func);
        Some((id, info))
    }
}
