//! PTX for expressions. Every expression evaluates into a fresh register.

use crate::ir::*;
use crate::ptx::ops::{bits_ty, mem_ty, ptx_ty, Rc};
use crate::ptx::{slot, ParamLoc};
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

    fn unary(&mut self, op: UnOp, s: Scalar, a: &str) -> String {
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

    fn binary(&mut self, op: BinOp, ea: &Expr, eb: &Expr) -> String {
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

    /// Length of a row or local array, as a u64 register.
    pub(crate) fn len_reg(&mut self, arr: ArrayRef) -> String {
        match arr {
            ArrayRef::Param(i) => match self.params[i].clone() {
                ParamLoc::Row { len, .. } => {
                    let r = self.reg(Rc::B64);
                    self.mov(&r, &len, Scalar::U64);
                    r
                }
                ParamLoc::Scalar(_) => self.konst(Scalar::U64, 0),
            },
            ArrayRef::Local(l) => {
                let n = match self.f.locals[l].ty {
                    LocalTy::Array(_, n) => n,
                    LocalTy::Scalar(_) => 0,
                };
                self.konst(Scalar::U64, n as u64)
            }
        }
    }

    fn array_name(&self, arr: ArrayRef) -> String {
        match arr {
            ArrayRef::Param(i) => self.f.sig.params[i].name.to_string(),
            ArrayRef::Local(l) => self.f.locals[l].name.to_string(),
        }
    }

    /// The checked address of `arr[idx]` and its state space (`""` generic or `.local`).
    pub(crate) fn element_addr(&mut self, arr: ArrayRef, idx: &str) -> (String, &'static str) {
        let name = self.array_name(arr);
        let len = self.len_reg(arr);
        self.check(idx, &len, &name);
        let addr = self.reg(Rc::B64);
        match arr {
            ArrayRef::Param(i) => {
                let size = Rc::size(self.f.sig.params[i].elem);
                if let ParamLoc::Row { base, stride, .. } = self.params[i].clone() {
                    let t = self.reg(Rc::B64);
                    self.ins(format!("mul.lo.u64 {t}, {idx}, {stride}"));
                    self.ins(format!("mad.lo.u64 {addr}, {t}, {size}, {base}"));
                }
                (addr, "")
            }
            ArrayRef::Local(l) => {
                let size = match self.f.locals[l].ty {
                    LocalTy::Array(v, _) | LocalTy::Scalar(v) => Rc::size(self.ty(v)),
                };
                let b = self.reg(Rc::B64);
                self.ins(format!("mov.u64 {b}, la{l}"));
                self.ins(format!("mad.lo.u64 {addr}, {idx}, {size}, {b}"));
                (addr, ".local")
            }
        }
    }

    /// Loads a value of type `s` from `addr` in `space`.
    pub(crate) fn load(&mut self, addr: &str, space: &str, s: Scalar) -> String {
        let r = self.sreg(s);
        if s == Scalar::Bool {
            let t = self.reg(Rc::B32);
            self.ins(format!("ld{space}.u8 {t}, [{addr}]"));
            self.ins(format!("setp.ne.b32 {r}, {t}, 0"));
        } else {
            self.ins(format!("ld{space}.{} {r}, [{addr}]", mem_ty(s)));
        }
        r
    }

    /// Stores `v` of type `s` at `addr` in `space`.
    pub(crate) fn store(&mut self, addr: &str, space: &str, v: &str, s: Scalar) {
        if s == Scalar::Bool {
            let t = self.reg(Rc::B32);
            self.ins(format!("selp.b32 {t}, 1, 0, {v}"));
            self.ins(format!("st{space}.u8 [{addr}], {t}"));
        } else {
            self.ins(format!("st{space}.{} [{addr}], {v}", mem_ty(s)));
        }
    }

    /// Calls another kernel function; returns the registers of its return values.
    pub(crate) fn call(&mut self, e: &Expr) -> Vec<String> {
        let ExprKind::Call(idx, args) = &e.kind else {
            return Vec::new();
        };
        let k = (self.resolve)(&self.f.callees[*idx]);
        let callee = &self.funcs[k];
        let csig = callee.sig.clone();
        // Evaluate arguments in order.
        let mut pvals: Vec<(String, String)> = Vec::new(); // (.param type, register)
        let mut outs: Vec<(ScalarRef, Scalar)> = Vec::new();
        for (p, a) in csig.params.iter().zip(args) {
            match a {
                Arg::Value(x) => {
                    let r = self.expr(x);
                    pvals.push(self.param_value(&r, p.elem));
                }
                Arg::ScalarMut(sr, _) => {
                    let cur = match sr {
                        ScalarRef::Param(i) => match self.params[*i].clone() {
                            ParamLoc::Scalar(r) => r,
                            ParamLoc::Row { base, .. } => base,
                        },
                        ScalarRef::Local(l) => self.local_reg(*l),
                    };
                    pvals.push(self.param_value(&cur, p.elem));
                    outs.push((*sr, p.elem));
                }
                Arg::Row(r, _) | Arg::RowMut(r, _) => {
                    let (base, len, stride) = self.row_ref(*r);
                    pvals.push(("b64".into(), base));
                    pvals.push(("b64".into(), len));
                    pvals.push(("b64".into(), stride));
                }
            }
        }
        let nslots = crate::ptx::n_slots(callee);
        let mut block = String::from("{\n");
        block.push_str(&format!("\t.param .align 8 .b8 cret[{}];\n", slot(nslots)));
        let mut names = Vec::new();
        for (j, (t, r)) in pvals.iter().enumerate() {
            block.push_str(&format!(
                "\t.param .{t} carg{j};\n\tst.param.{t} [carg{j}], {r};\n"
            ));
            names.push(format!("carg{j}"));
        }
        block.push_str(&format!(
            "\tcall.uni (cret), {}, ({});\n",
            crate::ptx::fn_name(callee, k),
            names.join(", ")
        ));
        self.called.push(k);
        let (st, fi, fl) = (self.reg(Rc::B32), self.reg(Rc::B64), self.reg(Rc::B64));
        block.push_str(&format!("\tld.param.b32 {st}, [cret+0];\n\tld.param.b64 {fi}, [cret+8];\n\tld.param.b64 {fl}, [cret+16];\n"));
        let mut rets = Vec::new();
        for (j, s) in csig.ret.iter().enumerate() {
            let (line, r) = self.load_slot_line(j, *s);
            block.push_str(&line);
            rets.push(r);
        }
        let mut out_regs = Vec::new();
        for (j, (sr, s)) in outs.iter().enumerate() {
            let (line, r) = self.load_slot_line(csig.ret.len() + j, *s);
            block.push_str(&line);
            out_regs.push((*sr, *s, r));
        }
        block.push_str("\t}\n");
        self.code.push('\t');
        self.code.push_str(&block);
        // Copy back `&mut` scalars (also when the callee faulted, as the CPU keeps its writes).
        for (sr, s, r) in out_regs {
            let dst = match sr {
                ScalarRef::Param(i) => match self.params[i].clone() {
                    ParamLoc::Scalar(d) => d,
                    ParamLoc::Row { base, .. } => base,
                },
                ScalarRef::Local(l) => self.local_reg(l),
            };
            self.mov(&dst, &r, s);
        }
        self.propagate(&st, &fi, &fl);
        rets
    }

    /// A `ld.param` line for slot `j` of a callee's return buffer (`bool` converted).
    fn load_slot_line(&mut self, j: usize, s: Scalar) -> (String, String) {
        let off = slot(j);
        let r = self.sreg(s);
        if s == Scalar::Bool {
            let t = self.reg(Rc::B32);
            (
                format!("\tld.param.b32 {t}, [cret+{off}];\n\tsetp.ne.b32 {r}, {t}, 0;\n"),
                r,
            )
        } else {
            (
                format!("\tld.param.{} {r}, [cret+{off}];\n", crate::ptx::param_ty(s)),
                r,
            )
        }
    }

    /// A scalar as a call argument: (.param type, register).
    fn param_value(&mut self, r: &str, s: Scalar) -> (String, String) {
        if s == Scalar::Bool {
            let t = self.reg(Rc::B32);
            self.ins(format!("selp.b32 {t}, 1, 0, {r}"));
            return ("b32".into(), t);
        }
        (crate::ptx::param_ty(s).into(), r.to_string())
    }

    /// A row reference (generic base, length, stride) for a parameter row or a local array.
    fn row_ref(&mut self, r: ArrayRef) -> (String, String, String) {
        match r {
            ArrayRef::Param(i) => match self.params[i].clone() {
                ParamLoc::Row { base, len, stride } => (base, len, stride),
                ParamLoc::Scalar(s) => (s.clone(), s.clone(), s),
            },
            ArrayRef::Local(l) => {
                let n = match self.f.locals[l].ty {
                    LocalTy::Array(_, n) => n,
                    LocalTy::Scalar(_) => 0,
                };
                let (a, g) = (self.reg(Rc::B64), self.reg(Rc::B64));
                self.ins(format!("mov.u64 {a}, la{l}"));
                self.ins(format!("cvta.local.u64 {g}, {a}"));
                let len = self.konst(Scalar::U64, n as u64);
                let one = self.konst(Scalar::U64, 1);
                (g, len, one)
            }
        }
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
