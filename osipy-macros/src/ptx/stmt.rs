//! PTX for statements and control flow.

use crate::ir::*;
use crate::ptx::ops::Rc;
use crate::ptx::ParamLoc;
use crate::sig::ParamKind;
use crate::types::Scalar;

impl crate::ptx::Fx<'_> {
    pub(crate) fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let { locals, init } => {
                let Some(init) = init else {
                    for l in locals.iter().flatten() {
                        self.local_reg(*l);
                    }
                    return;
                };
                let vals = self.values(init);
                for (l, v) in locals.iter().zip(vals) {
                    if let Some(l) = l {
                        let s = self.local_scalar(*l);
                        let r = self.local_reg(*l);
                        self.mov(&r, &v, s);
                    }
                }
            }
            Stmt::LetArray { local, init } => {
                let s = self.local_scalar(*local);
                let size = Rc::size(s);
                let base = self.reg(Rc::B64);
                self.ins(format!("mov.u64 {base}, la{local}"));
                match init {
                    ArrayInit::Repeat(x, n) => {
                        let v = self.expr(x);
                        for i in 0..*n {
                            let a = self.reg(Rc::B64);
                            self.ins(format!("add.u64 {a}, {base}, {}", i * size));
                            self.store(&a, ".local", &v, s);
                        }
                    }
                    ArrayInit::List(xs) => {
                        for (i, x) in xs.iter().enumerate() {
                            let v = self.expr(x);
                            let a = self.reg(Rc::B64);
                            self.ins(format!("add.u64 {a}, {base}, {}", i * size));
                            self.store(&a, ".local", &v, s);
                        }
                    }
                }
            }
            Stmt::Assign { place, op, value, .. } => self.assign(place, *op, value),
            Stmt::Expr(e) => {
                let _ = self.values(e);
            }
            Stmt::While { cond, body } => {
                let (top, end) = (self.label(), self.label());
                self.put_label(&top);
                let c = self.expr(cond);
                self.ins(format!("@!{c} bra {end}"));
                self.push_loop(top.clone(), end.clone());
                let _ = self.block_values(body);
                self.pop_loop();
                self.ins(format!("bra.uni {top}"));
                self.put_label(&end);
            }
            Stmt::Loop(body) => {
                let (top, end) = (self.label(), self.label());
                self.put_label(&top);
                self.push_loop(top.clone(), end.clone());
                let _ = self.block_values(body);
                self.pop_loop();
                self.ins(format!("bra.uni {top}"));
                self.put_label(&end);
            }
            Stmt::For {
                var,
                start,
                end,
                inclusive,
                rev,
                body,
            } => self.for_loop(*var, start, end, *inclusive, *rev, body),
            Stmt::Break(_) => {
                if let Some((_, b)) = self.loop_labels() {
                    self.ins(format!("bra.uni {b}"));
                }
            }
            Stmt::Continue(_) => {
                if let Some((c, _)) = self.loop_labels() {
                    self.ins(format!("bra.uni {c}"));
                }
            }
            Stmt::Return(v, _) => {
                let vals = match v {
                    Some(v) => self.values(v),
                    None => Vec::new(),
                };
                self.ret_ok(&vals);
            }
        }
    }

    fn local_scalar(&self, l: LocalId) -> Scalar {
        match self.f.locals[l].ty {
            LocalTy::Scalar(v) | LocalTy::Array(v, _) => self.ty(v),
        }
    }

    /// `for var in start..end` (`..=`, `.rev()`): bounds evaluated once; the loop variable is
    /// a copy of a hidden counter, so the body may not disturb the iteration.
    fn for_loop(&mut self, var: LocalId, start: &Expr, end: &Expr, inclusive: bool, rev: bool, body: &Block) {
        let s = self.local_scalar(var);
        let t = crate::ptx::ops::ptx_ty(s);
        let a = self.expr(start);
        let b = self.expr(end);
        let i = self.sreg(s);
        let (top, cont, done) = (self.label(), self.label(), self.label());
        let p = self.reg(Rc::Pred);
        let v = self.local_reg(var);
        match (inclusive, rev) {
            (false, false) => {
                self.mov(&i, &a, s);
                self.put_label(&top);
                self.ins(format!("setp.ge.{t} {p}, {i}, {b}"));
                self.ins(format!("@{p} bra {done}"));
                self.mov(&v, &i, s);
                self.body(body, &cont, &done);
                self.put_label(&cont);
                self.ins(format!("add.{t} {i}, {i}, 1"));
                self.ins(format!("bra.uni {top}"));
            }
            (true, false) => {
                self.ins(format!("setp.gt.{t} {p}, {a}, {b}"));
                self.ins(format!("@{p} bra {done}"));
                self.mov(&i, &a, s);
                self.put_label(&top);
                self.mov(&v, &i, s);
                self.body(body, &cont, &done);
                self.put_label(&cont);
                self.ins(format!("setp.eq.{t} {p}, {i}, {b}"));
                self.ins(format!("@{p} bra {done}"));
                self.ins(format!("add.{t} {i}, {i}, 1"));
                self.ins(format!("bra.uni {top}"));
            }
            (false, true) => {
                self.mov(&i, &b, s);
                self.put_label(&top);
                self.ins(format!("setp.le.{t} {p}, {i}, {a}"));
                self.ins(format!("@{p} bra {done}"));
                self.ins(format!("sub.{t} {i}, {i}, 1"));
                self.mov(&v, &i, s);
                self.body(body, &cont, &done);
                self.put_label(&cont);
                self.ins(format!("bra.uni {top}"));
            }
            (true, true) => {
                self.ins(format!("setp.gt.{t} {p}, {a}, {b}"));
                self.ins(format!("@{p} bra {done}"));
                self.mov(&i, &b, s);
                self.put_label(&top);
                self.mov(&v, &i, s);
                self.body(body, &cont, &done);
                self.put_label(&cont);
                self.ins(format!("setp.eq.{t} {p}, {i}, {a}"));
                self.ins(format!("@{p} bra {done}"));
                self.ins(format!("sub.{t} {i}, {i}, 1"));
                self.ins(format!("bra.uni {top}"));
            }
        }
        self.put_label(&done);
    }

    fn body(&mut self, body: &Block, cont: &str, done: &str) {
        self.push_loop(cont.to_string(), done.to_string());
        let _ = self.block_values(body);
        self.pop_loop();
    }

    fn assign(&mut self, place: &Place, op: Option<BinOp>, value: &Expr) {
        let v = self.expr(value);
        match place {
            Place::Local(l) => {
                let s = self.local_scalar(*l);
                let r = self.local_reg(*l);
                let nv = self.combine(op, s, &r, &v);
                self.mov(&r, &nv, s);
            }
            Place::Param(i) => {
                let s = self.f.sig.params[*i].elem;
                if let ParamLoc::Scalar(r) = self.params[*i].clone() {
                    let nv = self.combine(op, s, &r, &v);
                    self.mov(&r, &nv, s);
                }
            }
            Place::Index(arr, idx) => {
                let i = self.expr(idx);
                let s = match arr {
                    ArrayRef::Param(p) => self.f.sig.params[*p].elem,
                    ArrayRef::Local(l) => self.local_scalar(*l),
                };
                let (addr, space) = self.element_addr(*arr, &i);
                let nv = match op {
                    None => v,
                    Some(op) => {
                        let old = self.load(&addr, space, s);
                        self.binop(op, s, &old, &v)
                    }
                };
                self.store(&addr, space, &nv, s);
            }
        }
        let _ = ParamKind::Scalar;
    }

    /// The new value of a compound assignment (`old op v`), or `v`.
    fn combine(&mut self, op: Option<BinOp>, s: Scalar, old: &str, v: &str) -> String {
        match op {
            None => v.to_string(),
            Some(op) => {
                let o = self.sreg(s);
                self.mov(&o, old, s);
                self.binop(op, s, &o, v)
            }
        }
    }
}
