//! PTX for arrays: lengths, element addresses (rows in global memory, local arrays on the
//! stack), loads and stores.

use crate::ir::*;
use crate::ptx::ops::{mem_ty, Rc};
use crate::ptx::ParamLoc;
use crate::types::Scalar;

impl crate::ptx::Fx<'_> {
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
}
