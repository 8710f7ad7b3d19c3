//! Differentiating writes: assignments to locals, array elements and outputs, stores, and the
//! root's prediction writes (`consume`: the residual into the fit's sums, or the Jacobian row).

use super::*;

impl<'s, 'a> Tx<'s, 'a> {
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
