//! The interpreter: runs one thread of a decoded kernel to completion.

use crate::emulator::arith;
use crate::emulator::error::{ExecErrorKind, MemError, Space, SpaceOrNone};
use crate::emulator::ir::{Addr, Base, Func, Instr, Op, SReg, Src};
use crate::emulator::memory::{le_load, le_store, space_of, GlobalMemory, LocalMemory};

/// Per-thread built-in coordinates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThreadCtx {
    pub tid: [u32; 3],
    pub ntid: [u32; 3],
    pub ctaid: [u32; 3],
    pub nctaid: [u32; 3],
}

/// Execution limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub steps: u64,
    pub call_depth: usize,
}

/// A fault with the location (function index, pc) where it happened.
pub(crate) struct Located {
    pub fault: Fault,
    pub func: usize,
    pub pc: usize,
}

/// Internal fault representation (register faults are resolved to names later).
pub(crate) enum Fault {
    Reg(u32),
    K(ExecErrorKind),
}

impl From<MemError> for Fault {
    fn from(e: MemError) -> Self {
        Fault::K(ExecErrorKind::Memory(e))
    }
}
impl From<ExecErrorKind> for Fault {
    fn from(e: ExecErrorKind) -> Self {
        Fault::K(e)
    }
}

#[derive(Clone)]
struct ParamBuf {
    data: Vec<u8>,
    init: Vec<bool>,
}

struct Frame {
    func: usize,
    pc: usize,
    regs: Vec<u64>,
    w: Vec<bool>,
    slots: Vec<ParamBuf>,
    locals: Vec<u64>,
    /// Caller's slot that receives this frame's return value.
    ret_slot: Option<u32>,
}

impl Frame {
    fn new(funcs: &[Func], idx: usize, local: &mut LocalMemory) -> Result<Frame, MemError> {
        let f = &funcs[idx];
        let n = f.reg_names.len();
        let locals = f
            .locals
            .iter()
            .map(|&(s, a)| local.push(s, a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Frame {
            func: idx,
            pc: 0,
            regs: vec![0; n],
            w: vec![false; n],
            slots: f
                .slot_sizes
                .iter()
                .map(|&s| ParamBuf {
                    data: vec![0; s as usize],
                    init: vec![false; s as usize],
                })
                .collect(),
            locals,
            ret_slot: None,
        })
    }
    #[inline(always)]
    fn get(&self, s: Src) -> Result<u64, Fault> {
        match s {
            Src::I(v) => Ok(v),
            Src::R(r) => {
                let i = r as usize;
                if self.w[i] {
                    Ok(self.regs[i])
                } else {
                    Err(Fault::Reg(r))
                }
            }
        }
    }
    #[inline(always)]
    fn set(&mut self, r: u32, v: u64) {
        let i = r as usize;
        self.regs[i] = v;
        self.w[i] = true;
    }
}

enum Ctl {
    Next,
    Done,
}

struct Thread<'a> {
    funcs: &'a [Func],
    mem: &'a mut GlobalMemory,
    local: &'a mut LocalMemory,
    ctx: ThreadCtx,
    limits: Limits,
    cur: Frame,
    stack: Vec<Frame>,
}

/// Runs one thread of entry function `entry` with kernel parameter bytes `kparams`.
/// Returns the number of instructions executed.
pub(crate) fn run_thread(
    funcs: &[Func],
    entry: usize,
    kparams: &[Vec<u8>],
    ctx: ThreadCtx,
    limits: Limits,
    mem: &mut GlobalMemory,
    local: &mut LocalMemory,
) -> Result<u64, Located> {
    local.reset();
    let mut cur = Frame::new(funcs, entry, local).map_err(|e| Located {
        fault: e.into(),
        func: entry,
        pc: 0,
    })?;
    for (slot, bytes) in cur.slots.iter_mut().zip(kparams) {
        slot.data.copy_from_slice(bytes);
        slot.init.fill(true);
    }
    let mut t = Thread {
        funcs,
        mem,
        local,
        ctx,
        limits,
        cur,
        stack: Vec::new(),
    };
    let mut steps = 0u64;
    loop {
        let f = &funcs[t.cur.func];
        let pc = t.cur.pc;
        let Some(ins) = f.code.get(pc) else {
            if t.stack.is_empty() {
                return Ok(steps);
            }
            let fault = Fault::K(ExecErrorKind::FellOffFunction(f.name.clone()));
            return Err(Located {
                fault,
                func: t.cur.func,
                pc: pc.saturating_sub(1),
            });
        };
        steps += 1;
        if steps > limits.steps {
            let fault = Fault::K(ExecErrorKind::StepLimit(limits.steps));
            return Err(Located {
                fault,
                func: t.cur.func,
                pc,
            });
        }
        t.cur.pc = pc + 1;
        let func = t.cur.func;
        match t.exec(ins) {
            Ok(Ctl::Next) => {}
            Ok(Ctl::Done) => return Ok(steps),
            Err(fault) => return Err(Located { fault, func, pc }),
        }
    }
}

impl Thread<'_> {
    fn addr(&self, a: Addr) -> Result<u64, Fault> {
        Ok(match a.base {
            Base::Reg(r) => self.cur.get(Src::R(r))?.wrapping_add(a.off as u64),
            Base::Local(i) => self.cur.locals[i as usize].wrapping_add(a.off as u64),
            Base::Abs => a.off as u64,
            Base::Param(_) => unreachable!("param addresses are handled by the caller"),
        })
    }

    fn param_range(&self, slot: u32, off: i64, size: u64) -> Result<(usize, usize), MemError> {
        let len = self.cur.slots[slot as usize].data.len() as i64;
        let oob = MemError::OutOfBounds {
            space: Space::Param,
            addr: off as u64,
            size,
        };
        if off < 0 || off + size as i64 > len {
            return Err(oob);
        }
        if !(off as u64).is_multiple_of(size) {
            return Err(MemError::Misaligned {
                space: Space::Param,
                addr: off as u64,
                size,
            });
        }
        Ok((off as usize, off as usize + size as usize))
    }

    fn load(&mut self, space: Space, addr: Addr, size: u64) -> Result<u64, Fault> {
        if let Base::Param(slot) = addr.base {
            let (s, e) = self.param_range(slot, addr.off, size)?;
            let buf = &self.cur.slots[slot as usize];
            if !buf.init[s..e].iter().all(|&b| b) {
                return Err(MemError::Uninit {
                    space: Space::Param,
                    addr: addr.off as u64,
                    size,
                }
                .into());
            }
            return Ok(le_load(&buf.data[s..e]));
        }
        let a = self.addr(addr)?;
        Ok(match resolve_space(space, a)? {
            Space::Local => self.local.load(a, size)?,
            _ => self.mem.load(a, size)?,
        })
    }

    fn store(&mut self, space: Space, addr: Addr, size: u64, v: u64) -> Result<(), Fault> {
        if let Base::Param(slot) = addr.base {
            let (s, e) = self.param_range(slot, addr.off, size)?;
            let buf = &mut self.cur.slots[slot as usize];
            le_store(&mut buf.data[s..e], v);
            buf.init[s..e].fill(true);
            return Ok(());
        }
        let a = self.addr(addr)?;
        match resolve_space(space, a)? {
            Space::Local => self.local.store(a, size, v)?,
            _ => self.mem.store(a, size, v)?,
        }
        Ok(())
    }

    #[inline(always)]
    fn exec(&mut self, ins: &Instr) -> Result<Ctl, Fault> {
        if let Some((p, neg)) = ins.guard {
            if (self.cur.get(Src::R(p))? != 0) == neg {
                return Ok(Ctl::Next);
            }
        }
        let fr = &mut self.cur;
        match ins.op {
            Op::Mov { d, a } => {
                let v = fr.get(a)?;
                fr.set(d, v);
            }
            Op::Bin { op, d, a, b } => {
                let v = arith::bin(op, fr.get(a)?, fr.get(b)?)?;
                fr.set(d, v);
            }
            Op::Un { op, d, a } => {
                let v = arith::un(op, fr.get(a)?);
                fr.set(d, v);
            }
            Op::Tern { op, d, a, b, c } => {
                let v = arith::tern(op, fr.get(a)?, fr.get(b)?, fr.get(c)?);
                fr.set(d, v);
            }
            Op::Setp {
                cmp,
                ty,
                d,
                dq,
                a,
                b,
                comb,
            } => {
                let mut t = arith::compare(cmp, ty, fr.get(a)?, fr.get(b)?);
                let mut f = !t;
                if let Some((bop, q, neg)) = comb {
                    let qv = (fr.get(Src::R(q))? != 0) != neg;
                    let apply = |x: bool| match bop {
                        crate::emulator::ir::BoolOp::And => x && qv,
                        crate::emulator::ir::BoolOp::Or => x || qv,
                        crate::emulator::ir::BoolOp::Xor => x ^ qv,
                    };
                    (t, f) = (apply(t), apply(f));
                }
                fr.set(d, t as u64);
                if let Some(q) = dq {
                    fr.set(q, f as u64);
                }
            }
            Op::Selp { d, a, b, p, pneg } => {
                let c = (fr.get(Src::R(p))? != 0) != pneg;
                let v = if c { fr.get(a)? } else { fr.get(b)? };
                fr.set(d, v);
            }
            Op::Cvt { spec, d, a, dmask } => {
                let v = arith::cvt(spec, fr.get(a)?) & dmask;
                fr.set(d, v);
            }
            Op::Testp { kind, f64, d, a } => {
                let v = arith::testp(kind, f64, fr.get(a)?);
                fr.set(d, v as u64);
            }
            Op::Special { d, which } => {
                let c = &self.ctx;
                let v = match which {
                    SReg::Tid(i) => c.tid[i as usize],
                    SReg::Ntid(i) => c.ntid[i as usize],
                    SReg::Ctaid(i) => c.ctaid[i as usize],
                    SReg::Nctaid(i) => c.nctaid[i as usize],
                };
                fr.set(d, v as u64);
            }
            Op::LocalAddr { d, idx } => {
                let v = fr.locals[idx as usize];
                fr.set(d, v);
            }
            Op::Ld {
                space,
                size,
                ty,
                dmask,
                d,
                addr,
            } => {
                let v = ty.extend(self.load(space, addr, size)?) & dmask;
                self.cur.set(d, v);
            }
            Op::St { space, size, addr, a } => {
                let v = fr.get(a)?;
                self.store(space, addr, size, v)?;
            }
            Op::Atom {
                op,
                ty,
                d,
                addr,
                b,
                c,
            } => {
                let bv = fr.get(b)?;
                let cv = match c {
                    Some(c) => fr.get(c)?,
                    None => 0,
                };
                let size = ty.bytes();
                let old = self.load(Space::Global, addr, size)?;
                let new = arith::atom(op, ty, old, bv, cv);
                self.store(Space::Global, addr, size, new)?;
                if let Some(d) = d {
                    self.cur.set(d, old);
                }
            }
            Op::Bra { target } => fr.pc = target as usize,
            Op::Call { func, ref args, ret } => {
                if self.stack.len() >= self.limits.call_depth {
                    return Err(ExecErrorKind::CallDepth(self.limits.call_depth).into());
                }
                let mut callee = Frame::new(self.funcs, func as usize, self.local)?;
                for (i, &s) in args.iter().enumerate() {
                    callee.slots[i] = self.cur.slots[s as usize].clone();
                }
                callee.ret_slot = ret;
                let caller = std::mem::replace(&mut self.cur, callee);
                self.stack.push(caller);
            }
            Op::Ret => {
                let Some(caller) = self.stack.pop() else {
                    return Ok(Ctl::Done);
                };
                let callee = std::mem::replace(&mut self.cur, caller);
                self.local.pop(callee.locals.len());
                if let Some(rs) = callee.ret_slot {
                    let idx = self.funcs[callee.func].params.len();
                    self.cur.slots[rs as usize] = callee.slots[idx].clone();
                }
            }
            Op::Exit => return Ok(Ctl::Done),
            Op::Nop => {}
        }
        Ok(Ctl::Next)
    }
}

/// Determines the concrete space of an access and checks it against the instruction.
fn resolve_space(space: Space, a: u64) -> Result<Space, MemError> {
    match space {
        Space::Generic => match space_of(a) {
            Some(s) => Ok(s),
            None => Err(MemError::WrongSpace {
                expected: Space::Generic,
                actual: SpaceOrNone(None),
                addr: a,
            }),
        },
        s => {
            let got = space_of(a);
            if got == Some(s) {
                Ok(s)
            } else {
                Err(MemError::WrongSpace {
                    expected: s,
                    actual: SpaceOrNone(got),
                    addr: a,
                })
            }
        }
    }
}
