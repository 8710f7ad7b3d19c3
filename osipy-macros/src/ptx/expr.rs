//! PTX for expressions. Every expression evaluates into a fresh register.

use crate::ir::*;
use crate::ptx::ops::Rc;
use crate::ptx::ParamLoc;
use crate::types::Scalar;

impl crate::ptx::Fx<'_> {
    /// Evaluates `e` into a fresh register.
    pub(crate) fn expr(&mut self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Lit(l) => {
                let s = self.expr_ty(e);
                let bits = lit_bits(l, s);
                self.konst(s, bits)
            }
            ExprKind::Local(l) => {
                let s = self.expr_ty(e);
                let src = self.local_reg(*l);
                let r = self.sreg(s);
                self.mov(&r, &src, s);
                r
            }
            ExprKind::Param(i) => {
                let s = self.f.sig.params[*i].elem;
                let ParamLoc::Scalar(src) = self.params[*i].clone() else {
                    return self.sreg(s);
                };
                let r = self.sreg(s);
                self.mov(&r, &src, s);
                r
            }
            ExprKind::Unary(op, x) => {
                let s = self.expr_ty(x);
                let a = self.expr(x);
                self.unary(*op, s, &a)
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b),
            ExprKind::Cast(x, to) => {
                let from = self.expr_ty(x);
                let a = self.expr(x);
                self.cast(&a, from, *to)
            }
            ExprKind::Index(arr, i) => {
                let idx = self.expr(i);
                let s = self.expr_ty(e);
                let (addr, space) = self.element_addr(*arr, &idx);
                self.load(&addr, space, s)
            }
            ExprKind::Len(arr) => self.len_reg(*arr),
            ExprKind::Intrinsic(intr, args) => self.intrinsic(*intr, args, e),
            ExprKind::Call(..) => {
                let vals = self.call(e);
                vals.into_iter().next().unwrap_or_else(|| self.reg(Rc::B32))
            }
            ExprKind::If(c, t, el) => {
                let vals = self.if_values(c, t, el.as_ref(), &e.ty);
                vals.into_iter().next().unwrap_or_else(|| self.reg(Rc::B32))
            }
            ExprKind::Block(b) => {
                let vals = self.block_values(b);
                vals.into_iter().next().unwrap_or_else(|| self.reg(Rc::B32))
            }
            ExprKind::Tuple(xs) => {
                let vals: Vec<String> = xs.iter().map(|x| self.expr(x)).collect();
                vals.into_iter().next().unwrap_or_else(|| self.reg(Rc::B32))
            }
        }
    }

    /// Evaluates `e` into as many registers as it has values (tuples, calls returning tuples).
    pub(crate) fn values(&mut self, e: &Expr) -> Vec<String> {
        match &e.kind {
            ExprKind::Tuple(xs) => xs.iter().map(|x| self.expr(x)).collect(),
            ExprKind::Call(..) => self.call(e),
            ExprKind::If(c, t, el) => self.if_values(c, t, el.as_ref(), &e.ty),
            ExprKind::Block(b) => self.block_values(b),
            _ => match e.ty {
                Ty::Unit => {
                    self.expr(e);
                    Vec::new()
                }
                _ => vec![self.expr(e)],
            },
        }
    }

    fn result_types(&self, ty: &Ty) -> Vec<Scalar> {
        match ty {
            Ty::Scalar(v) => vec![self.ty(*v)],
            Ty::Tuple(vs) => vs.iter().map(|v| self.ty(*v)).collect(),
            Ty::Unit => Vec::new(),
        }
    }

    /// A block's statements, then its value(s).
    pub(crate) fn block_values(&mut self, b: &Block) -> Vec<String> {
        for s in &b.stmts {
            self.stmt(s);
        }
        match &b.tail {
            Some(t) => self.values(t),
            None => Vec::new(),
        }
    }

    fn if_values(&mut self, c: &Expr, t: &Block, el: Option<&Block>, ty: &Ty) -> Vec<String> {
        let tys = self.result_types(ty);
        let outs: Vec<String> = tys.iter().map(|s| self.sreg(*s)).collect();
        let cond = self.expr(c);
        let (l_else, l_end) = (self.label(), self.label());
        self.ins(format!("@!{cond} bra {l_else}"));
        let vs = self.block_values(t);
        for ((o, v), s) in outs.iter().zip(&vs).zip(&tys) {
            self.mov(o, v, *s);
        }
        self.ins(format!("bra.uni {l_end}"));
        self.put_label(&l_else);
        if let Some(b) = el {
            let vs = self.block_values(b);
            for ((o, v), s) in outs.iter().zip(&vs).zip(&tys) {
                self.mov(o, v, *s);
            }
        }
        self.put_label(&l_end);
        outs
    }
}

/// The sign bit of a float type.
pub(crate) fn sign_mask(s: Scalar) -> u64 {
    if s == Scalar::F64 {
        1 << 63
    } else {
        1 << 31
    }
}

/// The bit pattern of a literal of type `s`.
pub(crate) fn lit_bits(l: &LitVal, s: Scalar) -> u64 {
    match l {
        LitVal::Bool(b) => u64::from(*b),
        LitVal::Int(n) => match s {
            Scalar::F64 => (*n as f64).to_bits(),
            Scalar::F32 => u64::from((*n as f32).to_bits()),
            Scalar::I32 | Scalar::U32 => u64::from(*n as u32),
            _ => *n as u64,
        },
        LitVal::Float(FloatLit::Text(t)) => {
            let t = t.replace('_', "");
            if s == Scalar::F32 {
                u64::from(t.parse::<f32>().unwrap_or(f32::NAN).to_bits())
            } else {
                t.parse::<f64>().unwrap_or(f64::NAN).to_bits()
            }
        }
        LitVal::Float(FloatLit::Exact { f64_bits, f32_bits }) => {
            if s == Scalar::F32 {
                u64::from(*f32_bits)
            } else {
                *f64_bits
            }
        }
    }
}
