//! Differentiating statements: blocks, `let`, assignments (values, array elements, outputs),
//! loops and branches, and the root's prediction writes (`consume`).

use super::*;

impl<'s, 'a> Tx<'s, 'a> {
    // ---- statements ----------------------------------------------------------------------

    pub(super) fn block(&mut self, b: &Block, sink: Sink) -> Block {
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
    pub(super) fn ret_values(&mut self, e: &Expr, out: &mut Vec<Stmt>) -> Expr {
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

    pub(super) fn assign_tangents(
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

    pub(super) fn stmt(&mut self, s: &Stmt, out: &mut Vec<Stmt>) {
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

    pub(super) fn assign(
        &mut self,
        place: &Place,
        op: Option<BinOp>,
        value: &Expr,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
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
    pub(super) fn store(
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
    pub(super) fn consume(&mut self, k: Expr, v: Expr, t: Tan, span: Span, out: &mut Vec<Stmt>) {
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
}
