//! Differentiating statements: blocks, `let`, loops and branches, returned values (writes in
//! `tx_assign`).

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
}
