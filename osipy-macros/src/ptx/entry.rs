//! The `.entry` of a kernel: a grid-stride loop over items around the root function.
//!
//! Parameters, in order: `n_items`, `fault` (address of the fault record), then per kernel
//! parameter: a uniform scalar by value; a uniform row as (pointer, length); a per-item
//! scalar or `&mut T` as a pointer; a per-item row or output row as (pointer, row length,
//! item stride, element stride) in elements; then one pointer per return value. The fault
//! record is `[lock: u32, pad, item: u64 (initially u64::MAX), site: u64, index: u64, len: u64]`:
//! a faulting item takes the lock only if it is below the recorded one, so the record ends
//! with the lowest faulting item whatever the schedule.

use std::fmt::Write as _;

use crate::ir::Func;
use crate::ptx::ops::{mem_ty, Rc};
use crate::ptx::{param_ty, slot};
use crate::sig::ParamKind;
use crate::types::Scalar;

/// The entry's PTX.
pub fn entry(root: &Func) -> String {
    let sig = &root.sig;
    let mut params = vec![".param .u64 n_items".to_string(), ".param .u64 fault".to_string()];
    for (i, p) in sig.params.iter().enumerate() {
        match (p.kind, p.uniform) {
            (ParamKind::Scalar, true) => params.push(format!(".param .{} k{i}", param_ty(p.elem))),
            (ParamKind::Row, true) => {
                params.push(format!(".param .u64 k{i}_ptr"));
                params.push(format!(".param .u64 k{i}_len"));
            }
            (ParamKind::Scalar | ParamKind::OutScalar, _) => params.push(format!(".param .u64 k{i}_ptr")),
            _ => {
                params.push(format!(".param .u64 k{i}_ptr"));
                params.push(format!(".param .u64 k{i}_len"));
                params.push(format!(".param .u64 k{i}_istride"));
                params.push(format!(".param .u64 k{i}_estride"));
            }
        }
    }
    for j in 0..sig.ret.len() {
        params.push(format!(".param .u64 r{j}_ptr"));
    }
    let mut b = String::new();
    let mut c = Counter::default();
    // Per-item address setup and the call's arguments.
    let (n, frec, item, stride) = (c.rd(), c.rd(), c.rd(), c.rd());
    let _ = writeln!(b, "\tld.param.u64 {n}, [n_items];");
    let _ = writeln!(b, "\tld.param.u64 {frec}, [fault];");
    let _ = writeln!(b, "\tcvta.to.global.u64 {frec}, {frec};");
    let (r1, r2, r3, r4, t) = (c.r(), c.r(), c.r(), c.r(), c.rd());
    let _ = writeln!(b, "\tmov.u32 {r1}, %ctaid.x;\n\tmov.u32 {r2}, %ntid.x;\n\tmov.u32 {r3}, %tid.x;\n\tmov.u32 {r4}, %nctaid.x;");
    let _ = writeln!(
        b,
        "\tmul.wide.u32 {item}, {r1}, {r2};\n\tcvt.u64.u32 {t}, {r3};\n\tadd.u64 {item}, {item}, {t};"
    );
    let _ = writeln!(b, "\tmul.wide.u32 {stride}, {r4}, {r2};");
    // Uniform values, loaded once.
    let mut pre = String::new();
    let mut uni: Vec<Vec<String>> = vec![Vec::new(); sig.params.len()];
    for (i, p) in sig.params.iter().enumerate() {
        match (p.kind, p.uniform) {
            (ParamKind::Scalar, true) => {
                let r = c.of(param_scalar_class(p.elem));
                let _ = writeln!(pre, "\tld.param.{} {r}, [k{i}];", param_ty(p.elem));
                uni[i] = vec![r];
            }
            (ParamKind::Row, true) => {
                let (ptr, len, one) = (c.rd(), c.rd(), c.rd());
                let _ = writeln!(pre, "\tld.param.u64 {ptr}, [k{i}_ptr];\n\tld.param.u64 {len}, [k{i}_len];\n\tmov.b64 {one}, 1;");
                uni[i] = vec![ptr, len, one];
            }
            (ParamKind::Scalar | ParamKind::OutScalar, _) => {
                let ptr = c.rd();
                let _ = writeln!(pre, "\tld.param.u64 {ptr}, [k{i}_ptr];");
                uni[i] = vec![ptr];
            }
            _ => {
                let (ptr, len, is, es) = (c.rd(), c.rd(), c.rd(), c.rd());
                let _ = writeln!(
                    pre,
                    "\tld.param.u64 {ptr}, [k{i}_ptr];\n\tld.param.u64 {len}, [k{i}_len];\n\tld.param.u64 {is}, [k{i}_istride];\n\tld.param.u64 {es}, [k{i}_estride];"
                );
                uni[i] = vec![ptr, len, is, es];
            }
        }
    }
    let mut rets = Vec::new();
    for j in 0..sig.ret.len() {
        let r = c.rd();
        let _ = writeln!(pre, "\tld.param.u64 {r}, [r{j}_ptr];");
        rets.push(r);
    }
    b.push_str(&pre);
    let _ = writeln!(b, "$Ltop:");
    let p = c.p();
    let _ = writeln!(b, "\tsetp.ge.u64 {p}, {item}, {n};\n\t@{p} bra $Ldone;");
    // Arguments of this item.
    let mut call = String::from("\t{\n");
    let nslots = crate::ptx::n_slots(root);
    let _ = writeln!(call, "\t.param .align 8 .b8 cret[{}];", slot(nslots));
    let mut args = Vec::new();
    let mut out_addrs = Vec::new();
    let mut j = 0;
    let mut arg = |call: &mut String, ty: &str, reg: &str| {
        let _ = writeln!(call, "\t.param .{ty} carg{j};\n\tst.param.{ty} [carg{j}], {reg};");
        args.push(format!("carg{j}"));
        j += 1;
    };
    let mut setup = String::new();
    for (i, p) in sig.params.iter().enumerate() {
        let size = Rc::size(p.elem);
        match (p.kind, p.uniform) {
            (ParamKind::Scalar, true) => {
                let r = uni[i][0].clone();
                arg(&mut call, param_ty(p.elem), &r);
            }
            (ParamKind::Row, true) => {
                for r in uni[i].clone() {
                    arg(&mut call, "b64", &r);
                }
            }
            (ParamKind::Scalar | ParamKind::OutScalar, _) => {
                let addr = c.rd();
                let _ = writeln!(setup, "\tmad.lo.u64 {addr}, {item}, {size}, {};", uni[i][0]);
                let v = c.of(param_scalar_class(p.elem));
                if p.elem == Scalar::Bool {
                    let _ = writeln!(setup, "\tld.u8 {v}, [{addr}];");
                } else {
                    let _ = writeln!(setup, "\tld.{} {v}, [{addr}];", mem_ty(p.elem));
                }
                arg(&mut call, param_ty(p.elem), &v);
                if p.kind == ParamKind::OutScalar {
                    out_addrs.push((addr, p.elem));
                }
            }
            _ => {
                let (base, t) = (c.rd(), c.rd());
                let u = &uni[i];
                let _ = writeln!(
                    setup,
                    "\tmul.lo.u64 {t}, {item}, {};\n\tmad.lo.u64 {base}, {t}, {size}, {};",
                    u[2], u[0]
                );
                arg(&mut call, "b64", &base);
                let (len, es) = (u[1].clone(), u[3].clone());
                arg(&mut call, "b64", &len);
                arg(&mut call, "b64", &es);
            }
        }
    }
    b.push_str(&setup);
    let _ = writeln!(
        call,
        "\tcall.uni (cret), {}, ({});",
        crate::ptx::fn_name(root, 0),
        args.join(", ")
    );
    let (st, fi, fl) = (c.r(), c.rd(), c.rd());
    let _ = writeln!(
        call,
        "\tld.param.b32 {st}, [cret+0];\n\tld.param.b64 {fi}, [cret+8];\n\tld.param.b64 {fl}, [cret+16];"
    );
    let mut ret_regs = Vec::new();
    for (k, s) in sig.ret.iter().enumerate() {
        let r = c.of(param_scalar_class(*s));
        let _ = writeln!(call, "\tld.param.{} {r}, [cret+{}];", param_ty(*s), slot(k));
        ret_regs.push((r, *s));
    }
    let mut out_regs = Vec::new();
    for (k, (_, s)) in out_addrs.iter().enumerate() {
        let r = c.of(param_scalar_class(*s));
        let _ = writeln!(
            call,
            "\tld.param.{} {r}, [cret+{}];",
            param_ty(*s),
            slot(sig.ret.len() + k)
        );
        out_regs.push(r);
    }
    call.push_str("\t}\n");
    b.push_str(&call);
    // `&mut T` outputs are written even by a faulting item, as on the CPU.
    for ((addr, s), r) in out_addrs.iter().zip(&out_regs) {
        let _ = writeln!(b, "\tst.{} [{addr}], {r};", store_ty(*s));
    }
    let pf = c.p();
    let _ = writeln!(b, "\tsetp.ne.b32 {pf}, {st}, 0;\n\t@{pf} bra $Lfault;");
    for ((r, s), ptr) in ret_regs.iter().zip(&rets) {
        let size = Rc::size(*s);
        let addr = c.rd();
        let _ = writeln!(
            b,
            "\tmad.lo.u64 {addr}, {item}, {size}, {ptr};\n\tst.{} [{addr}], {r};",
            store_ty(*s)
        );
    }
    let _ = writeln!(
        b,
        "$Lnext:\n\tadd.u64 {item}, {item}, {stride};\n\tbra.uni $Ltop;"
    );
    // Fault record, under a lock taken only by items below the current record.
    let (cur, old, site) = (c.rd(), c.r(), c.rd());
    let pl = c.p();
    let _ = writeln!(b, "$Lfault:");
    let _ = writeln!(b, "\tld.volatile.global.u64 {cur}, [{frec}+8];\n\tsetp.ge.u64 {pl}, {item}, {cur};\n\t@{pl} bra $Lnext;");
    let _ = writeln!(b, "$Lspin:\n\tatom.global.cas.b32 {old}, [{frec}], 0, 1;\n\tsetp.ne.b32 {pl}, {old}, 0;\n\t@{pl} bra $Lspin;");
    let _ = writeln!(b, "\tld.volatile.global.u64 {cur}, [{frec}+8];\n\tsetp.ge.u64 {pl}, {item}, {cur};\n\t@{pl} bra $Lunlock;");
    let _ = writeln!(b, "\tcvt.u64.u32 {site}, {st};");
    let _ = writeln!(b, "\tst.volatile.global.u64 [{frec}+8], {item};\n\tst.volatile.global.u64 [{frec}+16], {site};\n\tst.volatile.global.u64 [{frec}+24], {fi};\n\tst.volatile.global.u64 [{frec}+32], {fl};");
    let _ = writeln!(
        b,
        "$Lunlock:\n\tmembar.gl;\n\tatom.global.exch.b32 {old}, [{frec}], 0;\n\tbra.uni $Lnext;"
    );
    let _ = writeln!(b, "$Ldone:\n\tret;");
    let mut out = format!(
        ".visible .entry {}(\n\t{}\n)\n{{\n",
        sig.name,
        params.join(",\n\t")
    );
    out.push_str(&c.decls());
    out.push_str(&b);
    out.push_str("}\n");
    out
}

/// Register class of a scalar as it travels in `.param` (bool as 32-bit).
fn param_scalar_class(s: Scalar) -> Rc {
    if s == Scalar::Bool {
        Rc::B32
    } else {
        Rc::of(s)
    }
}

fn store_ty(s: Scalar) -> &'static str {
    mem_ty(s)
}

#[derive(Default)]
struct Counter {
    n: [usize; 5],
}

impl Counter {
    fn of(&mut self, c: Rc) -> String {
        self.n[c as usize] += 1;
        format!("%{}{}", c.prefix(), self.n[c as usize])
    }
    fn rd(&mut self) -> String {
        self.of(Rc::B64)
    }
    fn r(&mut self) -> String {
        self.of(Rc::B32)
    }
    fn p(&mut self) -> String {
        self.of(Rc::Pred)
    }
    fn decls(&self) -> String {
        let names = ["%fd", "%f", "%r", "%rd", "%p"];
        let decl = [".f64", ".f32", ".b32", ".b64", ".pred"];
        let mut s = String::new();
        for c in 0..5 {
            if self.n[c] > 0 {
                let _ = writeln!(s, "\t.reg {} {}<{}>;", decl[c], names[c], self.n[c] + 1);
            }
        }
        s
    }
}
