//! The emitter of one `.func`: its registers, labels and parameters, the return buffer,
//! index checks and fault propagation, loop labels and constants.

use std::fmt::Write as _;

use crate::ir::*;
use crate::sig::ParamKind;
use crate::types::Scalar;

use super::ops::{bits_ty, const_reg, Rc};
use super::*;

/// Where a parameter lives inside a function body.
#[derive(Clone)]
pub(crate) enum ParamLoc {
    /// A scalar (by value or `&mut` copy-in) in a register.
    Scalar(String),
    /// A row: base address, length, stride (elements).
    Row {
        base: String,
        len: String,
        stride: String,
    },
}

pub(crate) struct Fx<'a> {
    pub(crate) f: &'a Func,
    k: usize,
    pub(crate) code: String,
    counts: [usize; 5],
    labels: usize,
    pub(crate) locals: Vec<Option<String>>,
    pub(crate) params: Vec<ParamLoc>,
    loops: Vec<(String, String)>,
    sites: &'a mut Vec<(String, String)>,
    pub(crate) resolve: &'a dyn Fn(&str) -> usize,
    pub(crate) funcs: &'a [Func],
    pub(crate) math_map: &'a std::collections::HashMap<String, usize>,
    stubs: String,
    /// Math library functions this function calls.
    pub(crate) math: Vec<String>,
    /// Functions of the bundle this function calls (indices).
    pub(crate) called: Vec<usize>,
}

impl<'a> Fx<'a> {
    pub(super) fn new(
        f: &'a Func,
        k: usize,
        sites: &'a mut Vec<(String, String)>,
        resolve: &'a dyn Fn(&str) -> usize,
        funcs: &'a [Func],
        math_map: &'a std::collections::HashMap<String, usize>,
    ) -> Fx<'a> {
        Fx {
            f,
            k,
            code: String::new(),
            counts: [0; 5],
            labels: 0,
            locals: vec![None; f.locals.len()],
            params: Vec::new(),
            loops: Vec::new(),
            sites,
            resolve,
            funcs,
            math_map,
            stubs: String::new(),
            math: Vec::new(),
            called: Vec::new(),
        }
    }

    /// Records that the math function `f` is called.
    pub(crate) fn need_math(&mut self, f: &str) {
        if !self.math.iter().any(|m| m == f) {
            self.math.push(f.to_string());
        }
    }

    /// A fresh register of class `c`.
    pub(crate) fn reg(&mut self, c: Rc) -> String {
        let i = c as usize;
        self.counts[i] += 1;
        format!("%{}{}", c.prefix(), self.counts[i])
    }

    /// A fresh register for a value of type `s`.
    pub(crate) fn sreg(&mut self, s: Scalar) -> String {
        self.reg(Rc::of(s))
    }

    pub(crate) fn label(&mut self) -> String {
        self.labels += 1;
        format!("$L{}_{}", self.k, self.labels)
    }

    /// Appends one instruction.
    pub(crate) fn ins(&mut self, s: impl AsRef<str>) {
        self.code.push('\t');
        self.code.push_str(s.as_ref());
        self.code.push_str(";\n");
    }

    pub(crate) fn put_label(&mut self, l: &str) {
        let _ = writeln!(self.code, "{l}:");
    }

    pub(crate) fn ty(&self, v: crate::types::TyVar) -> Scalar {
        self.f.types.get(v)
    }

    pub(crate) fn expr_ty(&self, e: &Expr) -> Scalar {
        match &e.ty {
            Ty::Scalar(v) => self.ty(*v),
            _ => Scalar::F64,
        }
    }

    /// Loads parameters, runs the body, writes the return buffer.
    pub(super) fn function(&mut self) {
        for (i, p) in self.f.sig.params.iter().enumerate() {
            match p.kind {
                ParamKind::Scalar | ParamKind::OutScalar => {
                    let r = self.sreg(p.elem);
                    self.load_param(&r, p.elem, &format!("a{i}"));
                    self.params.push(ParamLoc::Scalar(r));
                }
                ParamKind::Row | ParamKind::OutRow => {
                    let (base, len, stride) = (self.reg(Rc::B64), self.reg(Rc::B64), self.reg(Rc::B64));
                    self.ins(format!("ld.param.b64 {base}, [a{i}_base]"));
                    self.ins(format!("ld.param.b64 {len}, [a{i}_len]"));
                    self.ins(format!("ld.param.b64 {stride}, [a{i}_stride]"));
                    self.params.push(ParamLoc::Row { base, len, stride });
                }
            }
        }
        let body = &self.f.body;
        for s in &body.stmts {
            self.stmt(s);
        }
        let vals = match &body.tail {
            Some(t) => self.values(t),
            None => Vec::new(),
        };
        self.ret_ok(&vals);
    }

    fn load_param(&mut self, r: &str, s: Scalar, name: &str) {
        if s == Scalar::Bool {
            let t = self.reg(Rc::B32);
            self.ins(format!("ld.param.b32 {t}, [{name}]"));
            self.ins(format!("setp.ne.b32 {r}, {t}, 0"));
        } else {
            self.ins(format!("ld.param.{} {r}, [{name}]", param_ty(s)));
        }
    }

    /// Writes a value into slot `j` of this function's return buffer.
    fn store_slot(&mut self, j: usize, r: &str, s: Scalar) {
        let off = slot(j);
        if s == Scalar::Bool {
            let t = self.reg(Rc::B32);
            self.ins(format!("selp.b32 {t}, 1, 0, {r}"));
            self.ins(format!("st.param.b32 [ret+{off}], {t}"));
        } else {
            self.ins(format!("st.param.{} [ret+{off}], {r}", param_ty(s)));
        }
    }

    /// Stores the current values of the `&mut T` parameters after the return values.
    fn store_outs(&mut self) {
        let first = self.f.sig.ret.len();
        let outs: Vec<(usize, Scalar)> = self
            .f
            .sig
            .params
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == ParamKind::OutScalar)
            .map(|(i, p)| (i, p.elem))
            .collect();
        for (j, (i, s)) in outs.into_iter().enumerate() {
            if let ParamLoc::Scalar(r) = self.params[i].clone() {
                self.store_slot(first + j, &r, s);
            }
        }
    }

    /// Returns normally with `vals` (registers of the return values).
    pub(crate) fn ret_ok(&mut self, vals: &[String]) {
        self.ins("st.param.b32 [ret+0], 0");
        self.ins("st.param.b64 [ret+8], 0");
        self.ins("st.param.b64 [ret+16], 0");
        let rets = self.f.sig.ret.clone();
        for (j, (r, s)) in vals.iter().zip(rets).enumerate() {
            self.store_slot(j, r, s);
        }
        self.store_outs();
        self.ins("ret");
    }

    /// Registers an index site; returns its 1-based id.
    pub(crate) fn site(&mut self, array: &str) -> usize {
        self.sites.push((self.f.sig.name.to_string(), array.to_string()));
        self.sites.len()
    }

    /// Branches to a fault stub when `idx >= len`.
    pub(crate) fn check(&mut self, idx: &str, len: &str, array: &str) {
        let site = self.site(array);
        let l = self.label();
        let p = self.reg(Rc::Pred);
        self.ins(format!("setp.ge.u64 {p}, {idx}, {len}"));
        self.ins(format!("@{p} bra {l}"));
        let mut stub = format!("{l}:\n");
        let _ = writeln!(stub, "\tst.param.b32 [ret+0], {site};");
        let _ = writeln!(stub, "\tst.param.b64 [ret+8], {idx};");
        let _ = writeln!(stub, "\tst.param.b64 [ret+16], {len};");
        self.stubs.push_str(&stub);
        self.stub_outs_and_ret();
    }

    /// Finishes a fault stub: zeroed return values (never used, but defined), current `&mut`
    /// values, then `ret`.
    fn stub_outs_and_ret(&mut self) {
        let saved = std::mem::take(&mut self.code);
        for j in 0..self.f.sig.ret.len() {
            self.ins(format!("st.param.b64 [ret+{}], 0", slot(j)));
        }
        self.store_outs();
        self.ins("ret");
        let tail = std::mem::replace(&mut self.code, saved);
        self.stubs.push_str(&tail);
    }

    /// After a call: propagates a callee's fault (status and details already in `st`, `fi`,
    /// `fl`).
    pub(crate) fn propagate(&mut self, st: &str, fi: &str, fl: &str) {
        let l = self.label();
        let p = self.reg(Rc::Pred);
        self.ins(format!("setp.ne.b32 {p}, {st}, 0"));
        self.ins(format!("@{p} bra {l}"));
        let mut stub = format!("{l}:\n");
        let _ = writeln!(stub, "\tst.param.b32 [ret+0], {st};");
        let _ = writeln!(stub, "\tst.param.b64 [ret+8], {fi};");
        let _ = writeln!(stub, "\tst.param.b64 [ret+16], {fl};");
        self.stubs.push_str(&stub);
        self.stub_outs_and_ret();
    }

    pub(crate) fn push_loop(&mut self, cont: String, brk: String) {
        self.loops.push((cont, brk));
    }

    pub(crate) fn pop_loop(&mut self) {
        self.loops.pop();
    }

    pub(crate) fn loop_labels(&self) -> Option<(String, String)> {
        self.loops.last().cloned()
    }

    /// The register of a scalar local, allocated on first use.
    pub(crate) fn local_reg(&mut self, l: LocalId) -> String {
        if let Some(r) = &self.locals[l] {
            return r.clone();
        }
        let s = match self.f.locals[l].ty {
            LocalTy::Scalar(v) | LocalTy::Array(v, _) => self.ty(v),
        };
        let r = self.sreg(s);
        self.locals[l] = Some(r.clone());
        r
    }

    /// Moves `src` into `dst` (both of type `s`).
    pub(crate) fn mov(&mut self, dst: &str, src: &str, s: Scalar) {
        self.ins(format!("mov.{} {dst}, {src}", bits_ty(s)));
    }

    /// A register holding the constant `bits` of type `s`.
    pub(crate) fn konst(&mut self, s: Scalar, bits: u64) -> String {
        let r = self.sreg(s);
        if s == Scalar::Bool {
            let t = self.reg(Rc::B32);
            self.ins(format!("mov.b32 {t}, {}", u32::from(bits != 0)));
            self.ins(format!("setp.ne.b32 {r}, {t}, 0"));
            return r;
        }
        let ins = const_reg(&r, s, bits);
        for i in ins {
            self.ins(i);
        }
        r
    }

    pub(super) fn finish_func(&mut self) -> String {
        let mut out = format!("{}\n{{\n", func_header(self.f, self.k));
        let names = ["%fd", "%f", "%r", "%rd", "%p"];
        let decl = [".f64", ".f32", ".b32", ".b64", ".pred"];
        for c in 0..5 {
            if self.counts[c] > 0 {
                let _ = writeln!(out, "\t.reg {} {}<{}>;", decl[c], names[c], self.counts[c] + 1);
            }
        }
        for (l, local) in self.f.locals.iter().enumerate() {
            if let LocalTy::Array(v, n) = local.ty {
                let size = Rc::size(self.ty(v));
                let _ = writeln!(out, "\t.local .align 8 .b8 la{l}[{}];", (n * size).max(1));
            }
        }
        out.push_str(&self.code);
        out.push_str(&self.stubs);
        out.push_str("}\n");
        out
    }
}
