//! Decoding of comparisons, conversions, memory, atomic and call instructions.

use super::instr::{cmp_op, nops, Mods};
use super::{Ctx, Sym, R};
use crate::emulator::ast::{InstrAst, Operand};
use crate::emulator::error::Space;
use crate::emulator::ir::*;
use crate::emulator::types::{Fit, Kind, Ty};

pub(super) fn decode_setp(cx: &mut Ctx, ins: &InstrAst, m: &mut Mods) -> R<Op> {
    let cmp = m
        .list
        .iter()
        .flatten()
        .find_map(|s| cmp_op(s))
        .ok_or("setp needs a comparison operator")?;
    let cmp_name = m
        .list
        .iter()
        .flatten()
        .find(|s| cmp_op(s).is_some())
        .copied()
        .unwrap_or("");
    m.take(&[cmp_name]);
    let bop = match m.take(&["and", "or", "xor"]) {
        Some("and") => Some(BoolOp::And),
        Some("or") => Some(BoolOp::Or),
        Some("xor") => Some(BoolOp::Xor),
        _ => None,
    };
    let t = m.ty()?;
    if t.kind == Kind::Pred || t.bits < 16 {
        return Err(format!("setp does not support {t}"));
    }
    let float_only = matches!(
        cmp,
        Cmp::Equ | Cmp::Neu | Cmp::Ltu | Cmp::Leu | Cmp::Gtu | Cmp::Geu | Cmp::Num | Cmp::Nan
    );
    let int_only = matches!(cmp, Cmp::Lo | Cmp::Ls | Cmp::Hi | Cmp::Hs);
    if (t.is_float() && int_only) || (!t.is_float() && float_only) {
        return Err(format!("comparison `.{cmp_name}` is not valid for {t}"));
    }
    if t.kind == Kind::Bits && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
        return Err(format!("only eq/ne are valid for {t}"));
    }
    let n = if bop.is_some() { 4 } else { 3 };
    let o = nops(ins, n)?;
    let (d, dq) = match &o[0] {
        Operand::Pair(p, q) => (cx.pred(p)?, Some(cx.pred(q)?)),
        Operand::Name(p) => (cx.pred(p)?, None),
        x => return Err(format!("setp destination must be a predicate, found {x:?}")),
    };
    let comb = match (bop, o.get(3)) {
        (Some(b), Some(Operand::Name(c))) => Some((b, cx.pred(c)?, false)),
        (Some(b), Some(Operand::NotName(c))) => Some((b, cx.pred(c)?, true)),
        (Some(_), x) => return Err(format!("setp boolean operand must be a predicate, found {x:?}")),
        _ => None,
    };
    Ok(Op::Setp {
        cmp,
        ty: t,
        d,
        dq,
        a: cx.src(&o[1], t, Fit::Exact)?,
        b: cx.src(&o[2], t, Fit::Exact)?,
        comb,
    })
}

pub(super) fn decode_cvt(cx: &mut Ctx, ins: &InstrAst, m: &mut Mods) -> R<Op> {
    let rnd = match m.take(&["rn", "rz", "rm", "rp", "rni", "rzi", "rmi", "rpi"]) {
        Some("rn") => Rnd::Rn,
        Some("rz") => Rnd::Rz,
        Some("rm") => Rnd::Rm,
        Some("rp") => Rnd::Rp,
        Some("rni") => Rnd::Rni,
        Some("rzi") => Rnd::Rzi,
        Some("rmi") => Rnd::Rmi,
        Some("rpi") => Rnd::Rpi,
        _ => Rnd::None,
    };
    let ftz = m.has("ftz");
    let sat = m.has("sat");
    let dst = m.ty()?;
    let src = m.ty()?;
    if dst.kind == Kind::Pred || src.kind == Kind::Pred {
        return Err("cvt does not take .pred".into());
    }
    let irnd = matches!(rnd, Rnd::Rni | Rnd::Rzi | Rnd::Rmi | Rnd::Rpi);
    let frnd = matches!(rnd, Rnd::Rn | Rnd::Rz | Rnd::Rm | Rnd::Rp);
    let ok = match (src.is_float(), dst.is_float()) {
        (false, false) => rnd == Rnd::None,
        (false, true) => frnd,
        (true, false) => irnd,
        (true, true) if src.bits > dst.bits => frnd,
        (true, true) if src.bits < dst.bits => rnd == Rnd::None || irnd,
        (true, true) => rnd == Rnd::None || irnd,
    };
    if !ok {
        return Err(format!(
            "rounding modifier {rnd:?} is not valid (or is missing) for cvt{dst}{src}"
        ));
    }
    if ftz
        && !(src
            == (Ty {
                kind: Kind::Float,
                bits: 32,
            })
            || dst
                == (Ty {
                    kind: Kind::Float,
                    bits: 32,
                }))
    {
        return Err(".ftz needs an .f32 operand".into());
    }
    let o = nops(ins, 2)?;
    let (d, rt) = cx.dst(&o[0], dst, Fit::Relaxed)?;
    let a = cx.src(&o[1], src, Fit::Relaxed)?;
    Ok(Op::Cvt {
        spec: CvtSpec {
            dst,
            src,
            rnd,
            sat,
            ftz,
        },
        d,
        a,
        dmask: rt.mask(),
    })
}

fn space(m: &mut Mods) -> Space {
    match m.take(&["global", "local", "param"]) {
        Some("global") => Space::Global,
        Some("local") => Space::Local,
        Some("param") => Space::Param,
        _ => Space::Generic,
    }
}

pub(super) fn decode_ldst(cx: &mut Ctx, ins: &InstrAst, m: &mut Mods) -> R<Op> {
    let is_ld = ins.opcode == "ld";
    let sp = space(m);
    m.take(&["volatile", "relaxed", "weak"]);
    m.take(&["gpu", "sys", "cta"]);
    m.take(&["ca", "cg", "cs", "lu", "cv", "wb", "wt"]);
    if is_ld {
        m.has("nc");
    }
    let t = m.ty()?;
    if t.kind == Kind::Pred {
        return Err("cannot load/store .pred".into());
    }
    let o = nops(ins, 2)?;
    let (mem_op, val_op) = if is_ld { (&o[1], &o[0]) } else { (&o[0], &o[1]) };
    let addr = cx.addr(mem_op)?;
    match (sp, addr.base) {
        (Space::Param, Base::Param(_)) => {}
        (Space::Param, _) => return Err("param-space accesses must name a .param variable".into()),
        (_, Base::Param(_)) => return Err("a .param variable needs ld.param/st.param".into()),
        (Space::Global, Base::Local(_)) => return Err("a .local variable used with a .global access".into()),
        _ => {}
    }
    let size = t.bytes();
    if is_ld {
        let (d, rt) = cx.dst(val_op, t, Fit::Relaxed)?;
        Ok(Op::Ld {
            space: sp,
            size,
            ty: t,
            dmask: rt.mask(),
            d,
            addr,
        })
    } else {
        Ok(Op::St {
            space: sp,
            size,
            addr,
            a: cx.src(val_op, t, Fit::Relaxed)?,
        })
    }
}

pub(super) fn decode_atom(cx: &mut Ctx, ins: &InstrAst, m: &mut Mods) -> R<Op> {
    let is_red = ins.opcode == "red";
    match space(m) {
        Space::Global | Space::Generic => {}
        s => return Err(format!("atomics on {s} space are not supported")),
    }
    m.take(&["relaxed", "acquire", "release", "acq_rel"]);
    m.take(&["gpu", "sys", "cta"]);
    let op = match m.take(&[
        "add", "min", "max", "exch", "cas", "and", "or", "xor", "inc", "dec",
    ]) {
        Some("add") => AtomOp::Add,
        Some("min") => AtomOp::Min,
        Some("max") => AtomOp::Max,
        Some("exch") => AtomOp::Exch,
        Some("cas") => AtomOp::Cas,
        Some("and") => AtomOp::And,
        Some("or") => AtomOp::Or,
        Some("xor") => AtomOp::Xor,
        Some("inc") => AtomOp::Inc,
        Some("dec") => AtomOp::Dec,
        _ => return Err("missing atomic operation".into()),
    };
    let t = m.ty()?;
    let valid = match op {
        AtomOp::Add => (t.is_intlike() && t.kind != Kind::Bits) || t.is_float(),
        AtomOp::Min | AtomOp::Max => t.is_intlike() && t.kind != Kind::Bits,
        AtomOp::Inc | AtomOp::Dec => t.kind == Kind::Unsigned && t.bits == 32,
        _ => t.is_intlike(),
    } && t.bits >= 32;
    if !valid {
        return Err(format!("atomic {op:?} does not support {t}"));
    }
    if is_red && op == AtomOp::Cas {
        return Err("red has no cas".into());
    }
    let n = usize::from(!is_red) + if op == AtomOp::Cas { 3 } else { 2 };
    let o = nops(ins, n)?;
    let (d, rest) = if is_red {
        (None, o)
    } else {
        (Some(cx.dst(&o[0], t, Fit::Exact)?.0), &o[1..])
    };
    let addr = cx.addr(&rest[0])?;
    if matches!(addr.base, Base::Param(_) | Base::Local(_)) {
        return Err("atomics need a global address".into());
    }
    let b = cx.src(&rest[1], t, Fit::Exact)?;
    let c = match rest.get(2) {
        Some(x) => Some(cx.src(x, t, Fit::Exact)?),
        None => None,
    };
    Ok(Op::Atom {
        op,
        ty: t,
        d,
        addr,
        b,
        c,
    })
}

pub(super) fn decode_call(cx: &mut Ctx, ins: &InstrAst, m: &mut Mods) -> R<Op> {
    m.has("uni");
    let mut it = ins.operands.iter().peekable();
    let rets = match it.peek() {
        Some(Operand::List(v)) => {
            let v = v.clone();
            it.next();
            v
        }
        _ => Vec::new(),
    };
    let fname = match it.next() {
        Some(Operand::Name(n)) => n.clone(),
        x => return Err(format!("expected a function name, found {x:?}")),
    };
    let args = match it.next() {
        Some(Operand::List(v)) => v.clone(),
        None => Vec::new(),
        Some(x) => return Err(format!("expected a parameter list, found {x:?}")),
    };
    if it.next().is_some() {
        return Err("unexpected extra call operands (indirect calls are not supported)".into());
    }
    let sig = cx
        .sigs
        .get(&fname)
        .ok_or_else(|| format!("call to unknown function `{fname}`"))?;
    if sig.is_entry {
        return Err(format!("`{fname}` is an .entry and cannot be called"));
    }
    if args.len() != sig.params.len() {
        return Err(format!(
            "`{fname}` takes {} parameters, {} given",
            sig.params.len(),
            args.len()
        ));
    }
    let slot = |cx: &Ctx, n: &str| -> R<u32> {
        match cx.lookup(n)? {
            Sym::Slot(s) => Ok(s),
            _ => Err(format!("call argument `{n}` must be a .param variable")),
        }
    };
    let mut arg_slots = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let s = slot(cx, a)?;
        let (have, want) = (cx.slot_sizes[s as usize], sig.params[i]);
        if have != want {
            return Err(format!(
                "argument `{a}` is {have} bytes but parameter {i} of `{fname}` is {want} bytes"
            ));
        }
        arg_slots.push(s);
    }
    let ret = match (rets.as_slice(), sig.ret) {
        ([], None) => None,
        ([r], Some(size)) => {
            let s = slot(cx, r)?;
            if cx.slot_sizes[s as usize] != size {
                return Err(format!(
                    "return slot `{r}` size does not match `{fname}`'s return ({size} bytes)"
                ));
            }
            Some(s)
        }
        ([], Some(_)) => None, // return value ignored
        _ => {
            return Err(format!(
                "return value list does not match `{fname}`'s declaration"
            ))
        }
    };
    Ok(Op::Call {
        func: sig.idx,
        args: arg_slots.into_boxed_slice(),
        ret,
    })
}
