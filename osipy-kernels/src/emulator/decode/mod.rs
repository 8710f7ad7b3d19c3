//! Validation and lowering of the syntax tree into executable [`Func`]s:
//! resolves registers, labels, locals, params and callees, and checks types.

mod instr;
mod memops;

use std::collections::HashMap;

use crate::emulator::ast::{FuncAst, ModuleAst, Operand, Stmt};
use crate::emulator::error::Error;
use crate::emulator::ir::{Addr, Base, Func, Instr, Reg, Src};
use crate::emulator::types::{check_compat, Fit, Kind, Ty};

/// A name visible in a function scope.
#[derive(Debug, Clone, Copy)]
enum Sym {
    Reg(u32),
    Slot(u32),
    Local(u32),
}

/// Signature of a function, for checking calls.
#[derive(Debug, Clone)]
struct Sig {
    idx: u32,
    is_entry: bool,
    params: Vec<u64>,
    ret: Option<u64>,
}

/// Per-function decoding state.
struct Ctx<'a> {
    scopes: Vec<HashMap<String, Sym>>,
    reg_tys: Vec<Ty>,
    reg_names: Vec<String>,
    slot_sizes: Vec<u64>,
    locals: Vec<(u64, u64)>,
    labels: HashMap<String, u32>,
    sigs: &'a HashMap<String, Sig>,
}

type R<T> = Result<T, String>;

/// Decodes every function of a parsed module.
pub(crate) fn decode_module(m: &ModuleAst, lines: &[&str]) -> Result<Vec<Func>, Error> {
    let mut sigs = HashMap::new();
    let mut defined = Vec::new();
    for f in &m.funcs {
        if f.body.is_none() {
            continue;
        }
        let sig = Sig {
            idx: defined.len() as u32,
            is_entry: f.is_entry,
            params: f.params.iter().map(|p| p.size()).collect(),
            ret: f.ret.as_ref().map(|r| r.size()),
        };
        if sigs.insert(f.name.clone(), sig).is_some() {
            return Err(Error::Parse {
                line: f.line,
                msg: format!("function `{}` defined twice", f.name),
            });
        }
        defined.push(f);
    }
    defined
        .into_iter()
        .map(|f| decode_func(f, &sigs, lines))
        .collect()
}

fn text_of(lines: &[&str], line: u32) -> String {
    lines
        .get(line as usize - 1)
        .map_or(String::new(), |s| s.trim().to_string())
}

fn decode_func(f: &FuncAst, sigs: &HashMap<String, Sig>, lines: &[&str]) -> Result<Func, Error> {
    let body = f.body.as_ref().expect("only defined functions are decoded");
    let verr = |line: u32, msg: String| Error::Validate {
        line,
        text: text_of(lines, line),
        msg,
    };
    let mut ctx = Ctx {
        scopes: vec![HashMap::new()],
        reg_tys: Vec::new(),
        reg_names: Vec::new(),
        slot_sizes: Vec::new(),
        locals: Vec::new(),
        labels: HashMap::new(),
        sigs,
    };
    for p in f.params.iter().chain(f.ret.iter()) {
        ctx.declare(&p.name, Sym::Slot(ctx.slot_sizes.len() as u32))
            .map_err(|m| verr(p.line, m))?;
        ctx.slot_sizes.push(p.size());
    }
    // First pass: labels -> instruction index.
    let mut n = 0u32;
    for s in body {
        match s {
            Stmt::Instr(_) => n += 1,
            Stmt::Label(name, line) if ctx.labels.insert(name.clone(), n).is_some() => {
                return Err(verr(*line, format!("duplicate label `{name}`")));
            }
            _ => {}
        }
    }
    let mut code = Vec::new();
    let mut code_lines = Vec::new();
    ctx.scopes.push(HashMap::new()); // body scope, nested inside the parameter scope
    for s in body {
        match s {
            Stmt::Open => ctx.scopes.push(HashMap::new()),
            Stmt::Close => {
                ctx.scopes.pop();
            }
            Stmt::Label(..) => {}
            Stmt::Reg {
                ty,
                name,
                count,
                line,
            } => {
                let names: Vec<String> = match count {
                    Some(c) => (0..*c).map(|i| format!("{name}{i}")).collect(),
                    None => vec![name.clone()],
                };
                for nm in names {
                    let r = ctx.reg_tys.len() as u32;
                    ctx.declare(&nm, Sym::Reg(r)).map_err(|m| verr(*line, m))?;
                    ctx.reg_tys.push(*ty);
                    ctx.reg_names.push(nm);
                }
            }
            Stmt::Local {
                align,
                size,
                name,
                line,
            } => {
                let i = ctx.locals.len() as u32;
                ctx.declare(name, Sym::Local(i)).map_err(|m| verr(*line, m))?;
                ctx.locals.push((*size, *align));
            }
            Stmt::Param(p) => {
                let i = ctx.slot_sizes.len() as u32;
                ctx.declare(&p.name, Sym::Slot(i)).map_err(|m| verr(p.line, m))?;
                ctx.slot_sizes.push(p.size());
            }
            Stmt::Instr(ins) => {
                let guard = match &ins.guard {
                    Some((p, neg)) => Some((ctx.pred(p).map_err(|m| verr(ins.line, m))?, *neg)),
                    None => None,
                };
                let op = instr::decode(&mut ctx, ins).map_err(|m| verr(ins.line, m))?;
                code.push(Instr { guard, op });
                code_lines.push(ins.line);
            }
        }
    }
    Ok(Func {
        name: f.name.clone(),
        is_entry: f.is_entry,
        params: f
            .params
            .iter()
            .map(|p| (p.name.clone(), p.ty, p.size()))
            .collect(),
        ret: f.ret.as_ref().map(|p| (p.name.clone(), p.ty, p.size())),
        slot_sizes: ctx.slot_sizes,
        reg_names: ctx.reg_names,
        locals: ctx.locals,
        code,
        lines: code_lines,
    })
}

impl Ctx<'_> {
    fn declare(&mut self, name: &str, s: Sym) -> R<()> {
        let scope = self.scopes.last_mut().expect("scope stack never empty");
        if scope.insert(name.to_string(), s).is_some() {
            return Err(format!("`{name}` declared twice in the same scope"));
        }
        Ok(())
    }
    fn lookup(&self, name: &str) -> R<Sym> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.get(name).copied())
            .ok_or_else(|| format!("undeclared identifier `{name}`"))
    }
    fn reg(&self, name: &str) -> R<(Reg, Ty)> {
        match self.lookup(name)? {
            Sym::Reg(r) => Ok((r, self.reg_tys[r as usize])),
            _ => Err(format!("`{name}` is not a register")),
        }
    }
    /// A predicate register operand.
    fn pred(&self, name: &str) -> R<Reg> {
        let (r, t) = self.reg(name)?;
        if t.kind != Kind::Pred {
            return Err(format!("`{name}` is not a .pred register"));
        }
        Ok(r)
    }
    fn operand_name<'o>(&self, o: &'o Operand) -> R<&'o str> {
        match o {
            Operand::Name(n) => Ok(n),
            other => Err(format!("expected a register, found {other:?}")),
        }
    }
    /// A destination register of instruction type `ty`; returns it and its declared type.
    fn dst(&self, o: &Operand, ty: Ty, fit: Fit) -> R<(Reg, Ty)> {
        let name = self.operand_name(o)?;
        let (r, rt) = self.reg(name)?;
        check_compat(ty, rt, fit).map_err(|m| format!("`{name}`: {m}"))?;
        Ok((r, rt))
    }
    /// A source operand (register or immediate) of instruction type `ty`.
    fn src(&self, o: &Operand, ty: Ty, fit: Fit) -> R<Src> {
        match o {
            Operand::Name(n) => {
                let (r, rt) = self.reg(n)?;
                check_compat(ty, rt, fit).map_err(|m| format!("`{n}`: {m}"))?;
                Ok(Src::R(r))
            }
            _ => imm(o, ty).map(Src::I),
        }
    }
    /// A memory operand `[base+off]`.
    fn addr(&self, o: &Operand) -> R<Addr> {
        let Operand::Addr(base, off) = o else {
            return Err(format!("expected an address operand, found {o:?}"));
        };
        let base = if base.is_empty() {
            Base::Abs
        } else {
            match self.lookup(base)? {
                Sym::Reg(r) => {
                    let t = self.reg_tys[r as usize];
                    if t.bits != 64 || !t.is_intlike() {
                        return Err(format!(
                            "address register `{base}` must be a 64-bit integer register, not {t}"
                        ));
                    }
                    Base::Reg(r)
                }
                Sym::Local(i) => Base::Local(i),
                Sym::Slot(i) => Base::Param(i),
            }
        };
        Ok(Addr { base, off: *off })
    }
}

/// Encodes an immediate operand as bits of type `ty`.
fn imm(o: &Operand, ty: Ty) -> R<u64> {
    match (o, ty.kind) {
        (Operand::Int(v), Kind::Bits | Kind::Unsigned | Kind::Signed | Kind::Pred) => {
            let bits = ty.bits;
            let lo = -(1i128 << (bits - 1).min(63));
            let hi = (1i128 << bits) - 1;
            if *v < lo || *v > hi {
                return Err(format!("immediate {v} does not fit in {ty}"));
            }
            Ok(*v as u64 & ty.mask())
        }
        (Operand::F64Bits(b), Kind::Float | Kind::Bits) if ty.bits == 64 => Ok(*b),
        (Operand::F32Bits(b), Kind::Float | Kind::Bits) if ty.bits == 32 => Ok(*b as u64),
        (Operand::Float(x), Kind::Float) => Ok(if ty.bits == 64 {
            x.to_bits()
        } else {
            (*x as f32).to_bits() as u64
        }),
        (Operand::Name(n), _) => Err(format!("`{n}` is not a register")),
        _ => Err(format!("operand {o:?} is not a valid {ty} immediate")),
    }
}
