//! Per-opcode decoding of instructions into [`Op`]s.

use super::memops::{decode_atom, decode_call, decode_cvt, decode_ldst, decode_setp};
use super::{Ctx, Sym, R};
use crate::emulator::ast::{InstrAst, Operand};
use crate::emulator::ir::*;
use crate::emulator::types::{Fit, Kind, Ty};

/// Modifier list with consumption tracking, so leftovers are reported.
pub(super) struct Mods<'a> {
    pub(super) list: Vec<Option<&'a str>>,
}

impl<'a> Mods<'a> {
    fn new(v: &'a [String]) -> Self {
        Mods {
            list: v.iter().map(|s| Some(s.as_str())).collect(),
        }
    }
    /// Removes and returns the first modifier among `opts`.
    pub(super) fn take(&mut self, opts: &[&str]) -> Option<&'a str> {
        for slot in self.list.iter_mut() {
            if let Some(m) = *slot {
                if opts.contains(&m) {
                    *slot = None;
                    return Some(m);
                }
            }
        }
        None
    }
    pub(super) fn has(&mut self, m: &str) -> bool {
        self.take(&[m]).is_some()
    }
    /// Removes and returns the first modifier that is a type.
    pub(super) fn ty(&mut self) -> R<Ty> {
        for slot in self.list.iter_mut() {
            if let Some(t) = slot.and_then(Ty::parse) {
                *slot = None;
                return Ok(t);
            }
        }
        Err("missing type modifier".into())
    }
    pub(super) fn done(self) -> R<()> {
        let left: Vec<&str> = self.list.into_iter().flatten().collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("unsupported modifier(s) `.{}`", left.join(" .")))
        }
    }
}

pub(super) fn nops(ins: &InstrAst, n: usize) -> R<&[Operand]> {
    if ins.operands.len() == n {
        Ok(&ins.operands)
    } else {
        Err(format!(
            "`{}` expects {n} operands, found {}",
            ins.opcode,
            ins.operands.len()
        ))
    }
}

fn int_ty(t: Ty) -> R<IT> {
    if t.is_intlike() && t.bits >= 16 {
        Ok(IT {
            bits: t.bits,
            signed: t.is_signed(),
        })
    } else {
        Err(format!("type {t} not supported here"))
    }
}

fn float_ty(t: Ty, ftz: bool) -> R<FT> {
    match (t.kind, t.bits) {
        (Kind::Float, 32) => Ok(FT::F32 { ftz }),
        (Kind::Float, 64) if !ftz => Ok(FT::F64),
        (Kind::Float, 64) => Err(".ftz is only valid for .f32".into()),
        _ => Err(format!("type {t} not supported here")),
    }
}

/// Float rounding for arithmetic: only round-to-nearest is implemented.
fn arith_rnd(m: &mut Mods, required: bool) -> R<()> {
    match m.take(&["rn", "rz", "rm", "rp"]) {
        Some("rn") => Ok(()),
        Some(r) => Err(format!(
            "rounding modifier `.{r}` is not supported by the emulator"
        )),
        None if required => Err("rounding modifier `.rn` is required".into()),
        None => Ok(()),
    }
}

pub(super) fn cmp_op(s: &str) -> Option<Cmp> {
    Some(match s {
        "eq" => Cmp::Eq,
        "ne" => Cmp::Ne,
        "lt" => Cmp::Lt,
        "le" => Cmp::Le,
        "gt" => Cmp::Gt,
        "ge" => Cmp::Ge,
        "lo" => Cmp::Lo,
        "ls" => Cmp::Ls,
        "hi" => Cmp::Hi,
        "hs" => Cmp::Hs,
        "equ" => Cmp::Equ,
        "neu" => Cmp::Neu,
        "ltu" => Cmp::Ltu,
        "leu" => Cmp::Leu,
        "gtu" => Cmp::Gtu,
        "geu" => Cmp::Geu,
        "num" => Cmp::Num,
        "nan" => Cmp::Nan,
        _ => return None,
    })
}

const U32: Ty = Ty {
    kind: Kind::Unsigned,
    bits: 32,
};
pub(super) const PRED: Ty = Ty {
    kind: Kind::Pred,
    bits: 1,
};

/// Decodes one instruction.
pub(super) fn decode(cx: &mut Ctx, ins: &InstrAst) -> R<Op> {
    let mut m = Mods::new(&ins.mods);
    let ops = &ins.operands;
    let op = match ins.opcode.as_str() {
        "mov" => decode_mov(cx, ins, &mut m)?,
        "cvta" => {
            m.has("to");
            m.take(&["global", "local"])
                .ok_or("cvta needs .global or .local")?;
            let t = m.ty()?;
            if t.bits != 64 || !t.is_intlike() {
                return Err("cvta requires .u64".into());
            }
            let o = nops(ins, 2)?;
            let (d, _) = cx.dst(&o[0], t, Fit::Exact)?;
            match &o[1] {
                Operand::Name(n) if matches!(cx.lookup(n)?, Sym::Local(_)) => {
                    let Sym::Local(idx) = cx.lookup(n)? else {
                        unreachable!()
                    };
                    Op::LocalAddr { d, idx }
                }
                a => Op::Mov {
                    d,
                    a: cx.src(a, t, Fit::Exact)?,
                },
            }
        }
        "add" | "sub" | "mul" | "div" | "rem" | "min" | "max" | "and" | "or" | "xor" | "shl" | "shr"
        | "copysign" => decode_bin(cx, ins, &mut m)?,
        "neg" | "abs" | "not" | "cnot" | "sqrt" | "rcp" | "clz" | "popc" | "brev" => {
            decode_un(cx, ins, &mut m)?
        }
        "mad" | "fma" => {
            let o = nops(ins, 4)?;
            let lohi = m.take(&["lo", "hi", "wide"]);
            let ftz = m.has("ftz");
            let rnd_present = ins
                .mods
                .iter()
                .any(|s| matches!(s.as_str(), "rn" | "rz" | "rm" | "rp"));
            let t = m.ty()?;
            let (op, st, dt) = if t.is_float() {
                if lohi.is_some() {
                    return Err(".lo/.hi/.wide are integer-only".into());
                }
                arith_rnd(&mut m, true)?;
                let _ = rnd_present;
                (TernOp::Fma(float_ty(t, ftz)?), t, t)
            } else {
                let it = int_ty(t)?;
                match lohi.ok_or("integer mad needs .lo, .hi or .wide")? {
                    "lo" => (TernOp::MadLo(it), t, t),
                    "hi" => (TernOp::MadHi(it), t, t),
                    _ => {
                        if t.bits == 64 {
                            return Err("mad.wide needs a 16- or 32-bit type".into());
                        }
                        (
                            TernOp::MadWide(it),
                            t,
                            Ty {
                                kind: t.kind,
                                bits: t.bits * 2,
                            },
                        )
                    }
                }
            };
            if ins.opcode == "fma" && !t.is_float() {
                return Err("fma is float-only".into());
            }
            let (d, _) = cx.dst(&o[0], dt, Fit::Exact)?;
            Op::Tern {
                op,
                d,
                a: cx.src(&o[1], st, Fit::Exact)?,
                b: cx.src(&o[2], st, Fit::Exact)?,
                c: cx.src(&o[3], dt, Fit::Exact)?,
            }
        }
        "setp" => decode_setp(cx, ins, &mut m)?,
        "selp" => {
            let t = m.ty()?;
            if t.kind == Kind::Pred || t.bits < 16 {
                return Err(format!("selp does not support {t}"));
            }
            let o = nops(ins, 4)?;
            let (d, _) = cx.dst(&o[0], t, Fit::Exact)?;
            let (p, pneg) = match &o[3] {
                Operand::Name(n) => (cx.pred(n)?, false),
                Operand::NotName(n) => (cx.pred(n)?, true),
                x => return Err(format!("selp predicate must be a register, found {x:?}")),
            };
            Op::Selp {
                d,
                a: cx.src(&o[1], t, Fit::Exact)?,
                b: cx.src(&o[2], t, Fit::Exact)?,
                p,
                pneg,
            }
        }
        "cvt" => decode_cvt(cx, ins, &mut m)?,
        "testp" => {
            let kind = match m.take(&[
                "finite",
                "infinite",
                "number",
                "notanumber",
                "normal",
                "subnormal",
            ]) {
                Some("finite") => TestKind::Finite,
                Some("infinite") => TestKind::Infinite,
                Some("number") => TestKind::Number,
                Some("notanumber") => TestKind::NotANumber,
                Some("normal") => TestKind::Normal,
                Some("subnormal") => TestKind::Subnormal,
                _ => return Err("testp needs a class modifier".into()),
            };
            let t = m.ty()?;
            float_ty(t, false)?;
            let o = nops(ins, 2)?;
            let (d, _) = cx.dst(&o[0], PRED, Fit::Exact)?;
            Op::Testp {
                kind,
                f64: t.bits == 64,
                d,
                a: cx.src(&o[1], t, Fit::Exact)?,
            }
        }
        "ld" | "st" => decode_ldst(cx, ins, &mut m)?,
        "atom" | "red" => decode_atom(cx, ins, &mut m)?,
        "bra" => {
            m.has("uni");
            let o = nops(ins, 1)?;
            let name = cx.operand_name(&o[0])?;
            let target = *cx
                .labels
                .get(name)
                .ok_or_else(|| format!("undefined label `{name}`"))?;
            Op::Bra { target }
        }
        "call" => decode_call(cx, ins, &mut m)?,
        "ret" => {
            m.has("uni");
            nops(ins, 0)?;
            Op::Ret
        }
        "exit" => {
            nops(ins, 0)?;
            Op::Exit
        }
        "membar" => {
            // Threads of a parallel launch share global memory: a sequentially consistent fence.
            let scoped = m.has("gl") || m.has("cta") || m.has("sys");
            if !scoped {
                return Err("membar needs .cta, .gl or .sys".into());
            }
            nops(ins, 0)?;
            Op::Fence
        }
        other => return Err(format!("unsupported instruction `{other}`")),
    };
    let _ = ops;
    m.done()?;
    Ok(op)
}

fn decode_mov(cx: &mut Ctx, ins: &InstrAst, m: &mut Mods) -> R<Op> {
    let t = m.ty()?;
    let o = nops(ins, 2)?;
    let (d, _) = cx.dst(&o[0], t, Fit::Exact)?;
    if let Operand::Name(n) = &o[1] {
        let sreg = |s: &str| -> Option<SReg> {
            let (base, c) = s.split_once('.')?;
            let i = match c {
                "x" => 0,
                "y" => 1,
                "z" => 2,
                _ => return None,
            };
            Some(match base {
                "%tid" => SReg::Tid(i),
                "%ntid" => SReg::Ntid(i),
                "%ctaid" => SReg::Ctaid(i),
                "%nctaid" => SReg::Nctaid(i),
                _ => return None,
            })
        };
        if let Some(which) = sreg(n) {
            if !t.is_intlike() || t.bits != 32 {
                return Err("special registers are read with mov.u32".into());
            }
            return Ok(Op::Special { d, which });
        }
        if let Ok(Sym::Local(idx)) = cx.lookup(n) {
            if !t.is_intlike() || t.bits != 64 {
                return Err("the address of a .local variable needs mov.u64".into());
            }
            return Ok(Op::LocalAddr { d, idx });
        }
        if let Ok(Sym::Slot(_)) = cx.lookup(n) {
            return Err(format!("taking the address of .param `{n}` is not supported"));
        }
    }
    Ok(Op::Mov {
        d,
        a: cx.src(&o[1], t, Fit::Exact)?,
    })
}

fn decode_bin(cx: &mut Ctx, ins: &InstrAst, m: &mut Mods) -> R<Op> {
    let o = nops(ins, 3)?;
    let name = ins.opcode.as_str();
    let mode = if name == "mul" {
        m.take(&["lo", "hi", "wide"])
    } else {
        None
    };
    let ftz = m.has("ftz");
    let t = m.ty()?;
    let (mut st, mut dt, mut bt) = (t, t, t);
    let op = if t.is_float() {
        let ft = float_ty(t, ftz)?;
        match name {
            "add" | "sub" | "mul" => arith_rnd(m, false)?,
            "div" => {
                if t.bits == 64 || m.take(&["approx", "full"]).is_none() {
                    arith_rnd(m, true)?;
                } else {
                    return Err("div.approx/div.full are not supported (not correctly rounded)".into());
                }
            }
            _ => {}
        }
        match name {
            "add" => BinOp::FAdd(ft),
            "sub" => BinOp::FSub(ft),
            "mul" => BinOp::FMul(ft),
            "div" => BinOp::FDiv(ft),
            "min" => BinOp::FMin(ft),
            "max" => BinOp::FMax(ft),
            "copysign" => BinOp::Copysign(ft),
            _ => return Err(format!("`{name}` does not take a float type")),
        }
    } else if t.kind == Kind::Pred {
        let it = IT {
            bits: 1,
            signed: false,
        };
        match name {
            "and" => BinOp::And(it),
            "or" => BinOp::Or(it),
            "xor" => BinOp::Xor(it),
            _ => return Err(format!("`{name}` does not take .pred")),
        }
    } else {
        if ftz {
            return Err(".ftz is float-only".into());
        }
        let it = int_ty(t)?;
        let bits_only = t.kind == Kind::Bits;
        match name {
            "add" | "sub" | "div" | "rem" | "min" | "max" if bits_only => {
                return Err(format!("`{name}` needs a .s or .u type, not {t}"))
            }
            "and" | "or" | "xor" | "shl" if !bits_only => {
                return Err(format!("`{name}` needs a .b type, not {t}"))
            }
            _ => {}
        }
        match name {
            "add" => BinOp::Add(it),
            "sub" => BinOp::Sub(it),
            "mul" => match mode.ok_or("integer mul needs .lo, .hi or .wide")? {
                "lo" => BinOp::MulLo(it),
                "hi" => BinOp::MulHi(it),
                _ => {
                    if t.bits == 64 {
                        return Err("mul.wide needs a 16- or 32-bit type".into());
                    }
                    dt = Ty {
                        kind: t.kind,
                        bits: t.bits * 2,
                    };
                    BinOp::MulWide(it)
                }
            },
            "div" => BinOp::Div(it),
            "rem" => BinOp::Rem(it),
            "min" => BinOp::Min(it),
            "max" => BinOp::Max(it),
            "and" => BinOp::And(it),
            "or" => BinOp::Or(it),
            "xor" => BinOp::Xor(it),
            "shl" | "shr" => {
                bt = U32;
                if name == "shl" {
                    BinOp::Shl(it)
                } else {
                    BinOp::Shr(it)
                }
            }
            _ => return Err(format!("`{name}` does not take an integer type")),
        }
    };
    if mode.is_some() && t.is_float() {
        return Err(".lo/.hi/.wide are integer-only".into());
    }
    if name == "mul" && !t.is_float() && mode.is_none() {
        unreachable!()
    }
    st = if matches!(op, BinOp::MulWide(_)) { t } else { st };
    let (d, _) = cx.dst(&o[0], dt, Fit::Exact)?;
    Ok(Op::Bin {
        op,
        d,
        a: cx.src(&o[1], st, Fit::Exact)?,
        b: cx.src(&o[2], bt, Fit::Exact)?,
    })
}

fn decode_un(cx: &mut Ctx, ins: &InstrAst, m: &mut Mods) -> R<Op> {
    let o = nops(ins, 2)?;
    let name = ins.opcode.as_str();
    let ftz = m.has("ftz");
    let t = m.ty()?;
    let mut dt = t;
    let op = if t.is_float() {
        let ft = float_ty(t, ftz)?;
        match name {
            "sqrt" | "rcp" => {
                if m.take(&["approx"]).is_some() {
                    return Err(format!("{name}.approx is not supported (not correctly rounded)"));
                }
                arith_rnd(m, true)?;
                if name == "sqrt" {
                    UnOp::FSqrt(ft)
                } else {
                    UnOp::FRcp(ft)
                }
            }
            "neg" => UnOp::FNeg(ft),
            "abs" => UnOp::FAbs(ft),
            _ => return Err(format!("`{name}` does not take a float type")),
        }
    } else if t.kind == Kind::Pred {
        match name {
            "not" => UnOp::NotPred,
            _ => return Err(format!("`{name}` does not take .pred")),
        }
    } else {
        let it = int_ty(t)?;
        let bits_only = t.kind == Kind::Bits;
        match name {
            "neg" | "abs" if !t.is_signed() => return Err(format!("`{name}` needs a .s type")),
            "not" | "cnot" | "clz" | "popc" | "brev" if !bits_only => {
                return Err(format!("`{name}` needs a .b type"))
            }
            "clz" | "popc" | "brev" if t.bits < 32 => return Err(format!("`{name}` needs .b32 or .b64")),
            _ => {}
        }
        match name {
            "neg" => UnOp::Neg(it),
            "abs" => UnOp::Abs(it),
            "not" => UnOp::Not(it),
            "cnot" => UnOp::Cnot(it),
            "brev" => UnOp::Brev(it),
            "clz" | "popc" => {
                dt = U32;
                if name == "clz" {
                    UnOp::Clz(it)
                } else {
                    UnOp::Popc(it)
                }
            }
            _ => return Err(format!("`{name}` does not take an integer type")),
        }
    };
    let (d, _) = cx.dst(&o[0], dt, Fit::Exact)?;
    Ok(Op::Un {
        op,
        d,
        a: cx.src(&o[1], t, Fit::Exact)?,
    })
}
