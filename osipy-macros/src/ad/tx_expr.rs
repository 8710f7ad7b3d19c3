//! Differentiating expressions: the rules per operator, intrinsic and call.

use super::*;

impl<'s, 'a> Tx<'s, 'a> {
    // ---- expressions ---------------------------------------------------------------------

    /// Values (and tangents) of a call or tuple.
    pub(super) fn multi(&mut self, e: &Expr, out: &mut Vec<Stmt>) -> Vec<(Expr, Tan)> {
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

    pub(super) fn expr(&mut self, e: &Expr, out: &mut Vec<Stmt>) -> (Expr, Tan) {
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
    pub(super) fn active_mask(&mut self, e: &Expr) -> Mask {
        let mut an = self.an.clone();
        let src = self.src;
        self.ad.a_expr(src, e, &mut an)
    }

    pub(super) fn active(&mut self, e: &Expr) -> bool {
        self.active_mask(e) != 0
    }

    pub(super) fn finish(&mut self, out: &mut Vec<Stmt>, v: Expr, t: Tan) -> (Expr, Tan) {
        if t.iter().all(Option::is_none) {
            return (v, t);
        }
        let v = self.bind(out, v);
        let t = self.bind_tan(out, t);
        (v, t)
    }

    pub(super) fn intrinsic(
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
    pub(super) fn call(&mut self, e: &Expr, out: &mut Vec<Stmt>) -> Vec<(Expr, Tan)> {
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
    pub(super) fn unpack(
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

    pub(super) fn array_mask(&self, r: ArrayRef) -> Mask {
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

    pub(super) fn array_tangent(&mut self, r: ArrayRef, d: usize, span: Span) -> ArrayRef {
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
