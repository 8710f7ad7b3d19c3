//! PTX for calls between functions of the bundle: arguments, the return buffer and the fault
//! status propagated to the caller.

use crate::ir::*;
use crate::ptx::ops::Rc;
use crate::ptx::{slot, ParamLoc};
use crate::types::Scalar;

impl crate::ptx::Fx<'_> {
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
