//! Differentiating calls: to the callee itself when nothing about it is active, else to the
//! variant made for its pattern of active arguments; tangents of rows and local arrays.

use super::*;

impl<'s, 'a> Tx<'s, 'a> {
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
