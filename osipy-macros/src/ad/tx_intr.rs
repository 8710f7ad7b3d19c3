//! Differentiating intrinsics: the derivative rule of each float intrinsic (`min`/`max` follow
//! the operand they pick, piecewise-constant results have none).

use super::*;

impl<'s, 'a> Tx<'s, 'a> {
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
}
