//! PTX for arithmetic: unary and binary operators (integer division and remainder checked),
//! float bit operations and casts.

use crate::ir::*;
use crate::ptx::ops::{bits_ty, ptx_ty, Rc};
use crate::types::Scalar;

use super::expr::*;

impl crate::ptx::Fx<'_> {
    pub(super) fn unary(&mut self, op: UnOp, s: Scalar, a: &str) -> String {
        let r = self.sreg(s);
        match (op, s) {
            (UnOp::Neg, Scalar::F64 | Scalar::F32) => {
                // Flip the sign bit (exact for NaN payloads, as Rust's `-x`).
                self.bit_op_float(&r, a, s, "xor", sign_mask(s));
            }
            (UnOp::Neg, _) => self.ins(format!(
                "neg.{} {r}, {a}",
                if Rc::size(s) == 8 { "s64" } else { "s32" }
            )),
            (UnOp::Not, _) => self.ins(format!("not.{} {r}, {a}", bits_ty(s))),
        }
        r
    }

    /// `r = bits(a) OP mask` for a float `a`.
    pub(crate) fn bit_op_float(&mut self, r: &str, a: &str, s: Scalar, op: &str, mask: u64) {
        let (c, b) = if s == Scalar::F64 {
            (Rc::B64, "b64")
        } else {
            (Rc::B32, "b32")
        };
        let (t, m) = (self.reg(c), self.reg(c));
        self.ins(format!("mov.{b} {t}, {a}"));
        let mask = if s == Scalar::F64 {
            mask
        } else {
            mask & 0xffff_ffff
        };
        self.ins(format!("mov.{b} {m}, {mask}"));
        self.ins(format!("{op}.{b} {t}, {t}, {m}"));
        self.ins(format!("mov.{b} {r}, {t}"));
    }

    pub(super) fn binary(&mut self, op: BinOp, ea: &Expr, eb: &Expr) -> String {
        if matches!(op, BinOp::And | BinOp::Or) {
            // Short circuit: the right side runs only when needed.
            let r = self.reg(Rc::Pred);
            let a = self.expr(ea);
            self.mov(&r, &a, Scalar::Bool);
            let end = self.label();
            let skip = if op == BinOp::And {
                format!("@!{r} bra {end}")
            } else {
                format!("@{r} bra {end}")
            };
            self.ins(skip);
            let b = self.expr(eb);
            self.mov(&r, &b, Scalar::Bool);
            self.put_label(&end);
            return r;
        }
        let s = self.expr_ty(ea);
        let a = self.expr(ea);
        let b = self.expr(eb);
        self.binop(op, s, &a, &b)
    }

    /// `a OP b` on values of type `s` with the kernel language's semantics.
    pub(crate) fn binop(&mut self, op: BinOp, s: Scalar, a: &str, b: &str) -> String {
        let t = ptx_ty(s);
        if op.is_comparison() {
            let r = self.reg(Rc::Pred);
            if s == Scalar::Bool {
                let x = self.reg(Rc::Pred);
                self.ins(format!("xor.pred {x}, {a}, {b}"));
                match op {
                    BinOp::Eq => self.ins(format!("not.pred {r}, {x}")),
                    BinOp::Ne => self.mov(&r, &x, Scalar::Bool),
                    _ => {
                        let (ia, ib) = (self.reg(Rc::B32), self.reg(Rc::B32));
                        self.ins(format!("selp.u32 {ia}, 1, 0, {a}"));
                        self.ins(format!("selp.u32 {ib}, 1, 0, {b}"));
                        self.ins(format!("setp.{}.u32 {r}, {ia}, {ib}", cmp(op, false)));
                    }
                }
            } else {
                self.ins(format!("setp.{}.{t} {r}, {a}, {b}", cmp(op, s.is_float())));
            }
            return r;
        }
        let r = self.sreg(s);
        if s.is_float() {
            let o = match op {
                BinOp::Add => "add.rn",
                BinOp::Sub => "sub.rn",
                BinOp::Mul => "mul.rn",
                BinOp::Div => "div.rn",
                BinOp::Rem => return self.math_call("fmod", s, &[a.to_string(), b.to_string()]),
                _ => "add.rn",
            };
            self.ins(format!("{o}.{t} {r}, {a}, {b}"));
            return r;
        }
        if s == Scalar::Bool {
            let o = match op {
                BinOp::BitAnd => "and",
                BinOp::BitOr => "or",
                _ => "xor",
            };
            self.ins(format!("{o}.pred {r}, {a}, {b}"));
            return r;
        }
        let bt = bits_ty(s);
        match op {
            BinOp::Add => self.ins(format!("add.{t} {r}, {a}, {b}")),
            BinOp::Sub => self.ins(format!("sub.{t} {r}, {a}, {b}")),
            BinOp::Mul => self.ins(format!("mul.lo.{t} {r}, {a}, {b}")),
            BinOp::Div | BinOp::Rem => self.int_div(op, s, &r, a, b),
            BinOp::BitAnd => self.ins(format!("and.{bt} {r}, {a}, {b}")),
            BinOp::BitOr => self.ins(format!("or.{bt} {r}, {a}, {b}")),
            BinOp::BitXor => self.ins(format!("xor.{bt} {r}, {a}, {b}")),
            BinOp::Shl | BinOp::Shr => {
                // The shift amount is an operand of another integer type; take it modulo the width.
                let amt = self.reg(Rc::B32);
                if b.starts_with("%rd") {
                    self.ins(format!("cvt.u32.u64 {amt}, {b}"));
                } else {
                    self.mov(&amt, b, Scalar::U32);
                }
                let w = Rc::size(s) * 8 - 1;
                self.ins(format!("and.b32 {amt}, {amt}, {w}"));
                let o = if op == BinOp::Shl {
                    format!("shl.{bt}")
                } else if s.is_signed_int() {
                    format!("shr.{t}")
                } else {
                    format!("shr.{bt}")
                };
                self.ins(format!("{o} {r}, {a}, {amt}"));
            }
            _ => {}
        }
        r
    }

    /// Integer `/` and `%`: `x / 0 == 0`, `x % 0 == x`, `MIN / -1 == MIN` (wrapping).
    fn int_div(&mut self, op: BinOp, s: Scalar, r: &str, a: &str, b: &str) {
        let t = ptx_ty(s);
        let bt = bits_ty(s);
        let c = Rc::of(s);
        let (zero, one, d) = (self.reg(Rc::Pred), self.reg(c), self.reg(c));
        self.ins(format!("setp.eq.{t} {zero}, {b}, 0"));
        self.ins(format!("mov.{bt} {one}, 1"));
        self.ins(format!("selp.{bt} {d}, {one}, {b}, {zero}"));
        if s.is_signed_int() {
            // MIN / -1 overflows: divide by 1 instead, which gives MIN and a remainder of 0.
            let (p1, p2, m) = (self.reg(Rc::Pred), self.reg(Rc::Pred), self.reg(c));
            let min = if Rc::size(s) == 8 { 1u64 << 63 } else { 1u64 << 31 };
            self.ins(format!("mov.{bt} {m}, {min}"));
            self.ins(format!("setp.eq.{t} {p1}, {a}, {m}"));
            self.ins(format!("setp.eq.{t} {p2}, {b}, -1"));
            self.ins(format!("and.pred {p1}, {p1}, {p2}"));
            self.ins(format!("selp.{bt} {d}, {one}, {d}, {p1}"));
        }
        let q = self.reg(c);
        if op == BinOp::Div {
            self.ins(format!("div.{t} {q}, {a}, {d}"));
            let z = self.reg(c);
            self.ins(format!("mov.{bt} {z}, 0"));
            self.ins(format!("selp.{bt} {r}, {z}, {q}, {zero}"));
        } else {
            self.ins(format!("rem.{t} {q}, {a}, {d}"));
            self.ins(format!("selp.{bt} {r}, {a}, {q}, {zero}"));
        }
    }

    /// `a as to` with Rust's semantics (float to int saturates, NaN gives 0).
    pub(crate) fn cast(&mut self, a: &str, from: Scalar, to: Scalar) -> String {
        let r = self.sreg(to);
        if from == to {
            self.mov(&r, a, to);
            return r;
        }
        if from == Scalar::Bool {
            let t = if Rc::size(to) == 8 { "b64" } else { "b32" };
            self.ins(format!("selp.{t} {r}, 1, 0, {a}"));
            return r;
        }
        let (ft, tt) = (ptx_ty(from), ptx_ty(to));
        match (from.is_float(), to.is_float()) {
            (true, true) => {
                let m = if to == Scalar::F32 { "cvt.rn" } else { "cvt" };
                self.ins(format!("{m}.{tt}.{ft} {r}, {a}"));
            }
            (true, false) => self.ins(format!("cvt.rzi.{tt}.{ft} {r}, {a}")),
            (false, true) => self.ins(format!("cvt.rn.{tt}.{ft} {r}, {a}")),
            (false, false) => {
                if Rc::size(from) == Rc::size(to) {
                    self.mov(&r, a, to);
                } else {
                    self.ins(format!("cvt.{tt}.{ft} {r}, {a}"));
                }
            }
        }
        r
    }
}

/// The comparison operator name (floats: ordered except `!=`, which is true for NaN).
fn cmp(op: BinOp, float: bool) -> &'static str {
    match op {
        BinOp::Eq => "eq",
        BinOp::Ne if float => "neu",
        BinOp::Ne => "ne",
        BinOp::Lt => "lt",
        BinOp::Le => "le",
        BinOp::Gt => "gt",
        _ => "ge",
    }
}
