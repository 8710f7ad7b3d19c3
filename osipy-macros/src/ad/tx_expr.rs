//! Differentiating expressions: the rules per operator (intrinsics in `tx_intr`, calls in
//! `tx_call`).

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
}
