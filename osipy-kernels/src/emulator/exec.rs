//! The interpreter: runs one thread of a kernel to completion.
//!
//! [`Program::lower`] turns each decoded [`Func`] into an executable form once per module:
//!
//! - A forward data-flow analysis finds, before every instruction, the registers written on
//!   every path from the function's start. A read of such a register cannot fault, so it
//!   needs no check at run time. An instruction with a read the analysis cannot prove runs
//!   *checked* (every read tested against a written flag, as the PTX rules demand), and the
//!   registers it reads are *tracked*: every instruction writing one of them sets its flag.
//!   Everything else runs with no flags at all. Which reads fault, and where, is unchanged.
//! - The frequent operations get compact variants (24 bytes, register operands as indices):
//!   `mov`, f64 `add sub mul div fma setp`, integer `setp`, whole-word `ld.param` and
//!   `st.param`, branches. The rest run through a general form ([`W`]).
//! - `.param` accesses become word offsets in the frame's parameter area, checked at
//!   lowering (a bad offset becomes an instruction that faults when it runs); a call's
//!   argument copies are precomputed; every function ends in a sentinel that reports
//!   falling off its end.
//!
//! A [`Machine`] holds one thread's state and is reused for every thread a worker runs: the
//! register file is a stack of frames in one `Vec<u64>` (with the written flags beside it),
//! the `.param` slots of all frames are one stack of words with a written flag per byte,
//! and local memory is one stack as well. A call moves base indices; nothing is allocated
//! once the stacks have grown to the deepest call.

use crate::emulator::arith;
use crate::emulator::error::{ExecErrorKind, MemError, Space, SpaceOrNone};
use crate::emulator::ir::{Addr, Base, BinOp, BoolOp, Cmp, Func, Op, SReg, Src, TernOp, FT};
use crate::emulator::memory::{byte_flags, extract, insert, space_of, GlobalMemory, LocalMemory};
use crate::emulator::types::{Kind, Ty};

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

/// No return slot.
const NONE: u32 = u32::MAX;
/// Operand bit of the compact float operations: the rest indexes the function's constants.
const KBIT: u32 = 1 << 31;

/// A `.param` access resolved at lowering: word of the frame's parameter area, byte offset
/// in the word, size; or the fault the access raises.
type ParamAcc = Result<(u32, u8, u8), MemError>;

/// The general form of a non-control instruction.
#[derive(Debug, Clone)]
enum W {
    /// Any operation other than a `.param` access or control flow.
    Gen(Op),
    LdParam {
        d: u32,
        acc: ParamAcc,
        ty: Ty,
        dmask: u64,
        /// The slot offset, as errors report it.
        off: u64,
        size: u64,
    },
    StParam {
        acc: ParamAcc,
        a: Src,
    },
}

/// An executable instruction. Registers are indices into the frame's register window,
/// `k` indexes the function's constants.
#[derive(Debug, Clone)]
enum X {
    Mov {
        d: u32,
        a: u32,
    },
    MovI {
        d: u32,
        k: u32,
    },
    FAdd {
        d: u32,
        a: u32,
        b: u32,
    },
    FSub {
        d: u32,
        a: u32,
        b: u32,
    },
    FMul {
        d: u32,
        a: u32,
        b: u32,
    },
    FDiv {
        d: u32,
        a: u32,
        b: u32,
    },
    Fma {
        d: u32,
        a: u32,
        b: u32,
        c: u32,
    },
    /// `setp` of f64 registers, one destination, no combining predicate.
    SetpF {
        cmp: Cmp,
        d: u32,
        a: u32,
        b: u32,
    },
    /// `setp` of integer registers, one destination, no combining predicate.
    SetpI {
        cmp: Cmp,
        signed: bool,
        bits: u8,
        d: u32,
        a: u32,
        b: u32,
    },
    /// `setp` of an integer register against a constant.
    SetpIK {
        cmp: Cmp,
        signed: bool,
        bits: u8,
        d: u32,
        a: u32,
        k: u32,
    },
    /// `ld.param` of a whole word into a 64-bit register.
    LdP {
        d: u32,
        word: u32,
    },
    /// `ld.param` of part of a word: extended (`signed`), then masked to `dbits`.
    LdPs {
        d: u32,
        word: u32,
        off: u8,
        size: u8,
        signed: bool,
        dbits: u8,
    },
    /// `st.param` of a whole word from a register.
    StP {
        word: u32,
        a: u32,
    },
    /// `st.param` of a whole word from a constant.
    StPI {
        word: u32,
        k: u32,
    },
    /// `st.param` of part of a word from a register or (`imm`) a constant.
    StPs {
        word: u32,
        off: u8,
        size: u8,
        imm: bool,
        a: u32,
    },
    /// Two consecutive whole-word `ld.param`s.
    LdP2 {
        d1: u32,
        w1: u32,
        d2: u32,
        w2: u32,
    },
    /// Two consecutive whole-word `st.param`s; bit `i` of `imm`: source `i` is a constant.
    StP2 {
        w1: u32,
        a1: u32,
        w2: u32,
        a2: u32,
        imm: u8,
    },
    /// An integer `setp` (`b` a constant when `imm`) and the `@%d bra` / `@!%d bra` after it.
    SetpBra {
        cmp: Cmp,
        signed: bool,
        bits: u8,
        imm: bool,
        neg: bool,
        d: u32,
        a: u32,
        b: u32,
        target: u32,
    },
    Bra {
        target: u32,
    },
    /// `@%p bra` / `@!%p bra` with `%p` known to be written.
    BraIf {
        p: u32,
        neg: bool,
        target: u32,
    },
    /// Call of function `func`; `site` indexes the caller's [`XFunc::sites`].
    Call {
        func: u32,
        site: u32,
    },
    Ret,
    Exit,
    Fence,
    /// `@%p` / `@!%p` on any other instruction; `checked` when `%p` may be unwritten.
    Guard {
        p: u32,
        neg: bool,
        checked: bool,
        inner: Box<X>,
    },
    /// The general form, all reads proven.
    Wide(Box<W>),
    /// The general form, all reads proven, writes set the written flags.
    Marking(Box<W>),
    /// The general form, reads checked, writes set the written flags.
    Checked(Box<W>),
    /// Past the last instruction.
    End,
}

/// An instruction and its weight: the PTX instructions it stands for (itself and the
/// `mov`s folded into it; 0 for the sentinel).
#[derive(Debug, Clone)]
struct XIns {
    x: X,
    w: u32,
}

/// A call site: argument copies (caller word, callee word, words) and the caller's return
/// slot word (or [`NONE`]).
#[derive(Debug, Clone)]
struct Site {
    args: Box<[(u32, u32, u32)]>,
    ret: u32,
}

/// One function in executable form.
#[derive(Debug, Clone)]
struct XFunc {
    name: String,
    code: Vec<XIns>,
    /// The decoded instruction each executable one ends with (for locating faults).
    orig: Vec<u32>,
    /// Immediate operands of the compact forms.
    consts: Vec<u64>,
    nregs: usize,
    /// Some instruction tests written flags, so the frame starts with them cleared.
    flags: bool,
    /// Words of the parameter area (all slots, each starting on a word).
    pwords: usize,
    /// First word of each slot.
    slot_word: Vec<u32>,
    /// The return slot: first word and words.
    ret: Option<(u32, u32)>,
    locals: Vec<(u64, u64)>,
    sites: Vec<Site>,
}

/// A module's functions in executable form.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    funcs: Vec<XFunc>,
}

/// Registers an operation reads, in the order it reads them (`selp` may skip one).
fn reads(op: &Op, out: &mut Vec<u32>) {
    let src = |x: &Src| match x {
        Src::R(r) => Some(*r),
        Src::I(_) => None,
    };
    let addr = |a: &Addr| match a.base {
        Base::Reg(r) => Some(r),
        _ => None,
    };
    let regs: [Option<u32>; 3] = match op {
        Op::Mov { a, .. } | Op::Un { a, .. } | Op::Cvt { a, .. } | Op::Testp { a, .. } => {
            [src(a), None, None]
        }
        Op::Bin { a, b, .. } => [src(a), src(b), None],
        Op::Tern { a, b, c, .. } => [src(a), src(b), src(c)],
        Op::Setp { a, b, comb, .. } => [src(a), src(b), comb.map(|(_, q, _)| q)],
        Op::Selp { a, b, p, .. } => [Some(*p), src(a), src(b)],
        Op::St { addr: ad, a, .. } => [src(a), addr(ad), None],
        Op::Ld { addr: ad, .. } => [addr(ad), None, None],
        Op::Atom { addr: ad, b, c, .. } => [src(b), c.as_ref().and_then(src), addr(ad)],
        Op::Special { .. }
        | Op::LocalAddr { .. }
        | Op::Bra { .. }
        | Op::Call { .. }
        | Op::Ret
        | Op::Exit
        | Op::Fence => [None; 3],
    };
    out.extend(regs.into_iter().flatten());
}

/// Registers an operation writes.
fn writes(op: &Op, out: &mut Vec<u32>) {
    match *op {
        Op::Mov { d, .. }
        | Op::Bin { d, .. }
        | Op::Un { d, .. }
        | Op::Tern { d, .. }
        | Op::Selp { d, .. }
        | Op::Cvt { d, .. }
        | Op::Testp { d, .. }
        | Op::Special { d, .. }
        | Op::LocalAddr { d, .. }
        | Op::Ld { d, .. } => out.push(d),
        Op::Setp { d, dq, .. } => {
            out.push(d);
            if let Some(q) = dq {
                out.push(q);
            }
        }
        Op::Atom { d, .. } => {
            if let Some(d) = d {
                out.push(d);
            }
        }
        Op::St { .. } | Op::Bra { .. } | Op::Call { .. } | Op::Ret | Op::Exit | Op::Fence => {}
    }
}

/// For each instruction, the registers written on every path from the function's start to
/// it (bit `r` of word `r / 64` of the instruction's row). Unreachable instructions get
/// every bit.
fn definitely_written(f: &Func) -> (Vec<u64>, usize) {
    let n = f.code.len();
    let words = f.reg_names.len().div_ceil(64).max(1);
    let mut preds: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut gen: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, ins) in f.code.iter().enumerate() {
        let guarded = ins.guard.is_some();
        if !guarded {
            writes(&ins.op, &mut gen[i]);
        }
        let mut succ = |s: usize| {
            if s < n {
                preds[s].push(i as u32);
            }
        };
        match ins.op {
            Op::Bra { target } => {
                succ(target as usize);
                if guarded {
                    succ(i + 1);
                }
            }
            Op::Ret | Op::Exit => {
                if guarded {
                    succ(i + 1);
                }
            }
            _ => succ(i + 1),
        }
    }
    let mut inn = vec![u64::MAX; n * words];
    if n > 0 {
        inn[..words].fill(0);
    }
    let mut row = vec![0u64; words];
    let mut out = vec![0u64; words];
    let mut changed = true;
    while changed {
        changed = false;
        for i in 1..n {
            if preds[i].is_empty() {
                continue;
            }
            row.fill(u64::MAX);
            for &p in &preds[i] {
                let p = p as usize;
                out.copy_from_slice(&inn[p * words..(p + 1) * words]);
                for &r in &gen[p] {
                    out[r as usize / 64] |= 1 << (r % 64);
                }
                for (x, o) in row.iter_mut().zip(&out) {
                    *x &= o;
                }
            }
            if inn[i * words..(i + 1) * words] != row[..] {
                inn[i * words..(i + 1) * words].copy_from_slice(&row);
                changed = true;
            }
        }
    }
    (inn, words)
}

impl Program {
    /// Lowers decoded functions.
    pub(crate) fn lower(funcs: &[Func]) -> Program {
        let layouts: Vec<(Vec<u32>, usize)> = funcs
            .iter()
            .map(|f| {
                let mut words = Vec::with_capacity(f.slot_sizes.len());
                let mut n = 0u32;
                for &s in &f.slot_sizes {
                    words.push(n);
                    n += s.div_ceil(8) as u32;
                }
                (words, n as usize)
            })
            .collect();
        let funcs = funcs
            .iter()
            .zip(&layouts)
            .map(|(f, (slot_word, pwords))| lower_func(f, slot_word, *pwords, funcs, &layouts))
            .collect();
        Program { funcs }
    }
}

/// Replaces every register an operation reads: by `src(register)` where an operand may be
/// an immediate, by `reg(register)` where it must be a register (addresses, predicates).
fn rename_reads(op: &mut Op, src: impl Fn(u32) -> Src, reg: impl Fn(u32) -> u32) {
    let s = |x: &mut Src| {
        if let Src::R(r) = *x {
            *x = src(r);
        }
    };
    let addr = |a: &mut Addr| {
        if let Base::Reg(r) = &mut a.base {
            *r = reg(*r);
        }
    };
    match op {
        Op::Mov { a, .. } | Op::Un { a, .. } | Op::Cvt { a, .. } | Op::Testp { a, .. } => s(a),
        Op::Bin { a, b, .. } => {
            s(a);
            s(b);
        }
        Op::Tern { a, b, c, .. } => {
            s(a);
            s(b);
            s(c);
        }
        Op::Setp { a, b, comb, .. } => {
            s(a);
            s(b);
            if let Some((_, q, _)) = comb {
                *q = reg(*q);
            }
        }
        Op::Selp { a, b, p, .. } => {
            *p = reg(*p);
            s(a);
            s(b);
        }
        Op::St { addr: ad, a, .. } => {
            s(a);
            addr(ad);
        }
        Op::Ld { addr: ad, .. } => addr(ad),
        Op::Atom { addr: ad, b, c, .. } => {
            s(b);
            if let Some(c) = c {
                s(c);
            }
            addr(ad);
        }
        Op::Special { .. }
        | Op::LocalAddr { .. }
        | Op::Bra { .. }
        | Op::Call { .. }
        | Op::Ret
        | Op::Exit
        | Op::Fence => {}
    }
}

/// Block-local copy propagation: after an unguarded `mov d, s` of untracked registers,
/// reads of `d` (outside checked instructions) read `s` instead, until either is written
/// again or a branch target starts a new block; after `mov d, imm`, operands that may be
/// immediates read `imm`. Values are unchanged (`mov` copies all 64 bits, and a register
/// set from an immediate holds exactly its bits), and `s` is known to be written wherever
/// `d` was.
fn propagate_copies(
    f: &Func,
    target: &[bool],
    checked: &[bool],
    tracked: &[bool],
) -> Vec<crate::emulator::ir::Instr> {
    let mut code = f.code.clone();
    let mut copy_of: Vec<Option<Src>> = vec![None; f.reg_names.len()];
    let mut active: Vec<u32> = Vec::new();
    let mut defs = Vec::new();
    for (i, ins) in code.iter_mut().enumerate() {
        if target[i] {
            for &d in &active {
                copy_of[d as usize] = None;
            }
            active.clear();
        }
        if !checked[i] && !active.is_empty() {
            let src = |r: u32| copy_of[r as usize].unwrap_or(Src::R(r));
            let reg = |r: u32| match copy_of[r as usize] {
                Some(Src::R(s)) => s,
                _ => r,
            };
            rename_reads(&mut ins.op, src, reg);
            if let Some((p, _)) = &mut ins.guard {
                *p = reg(*p);
            }
        }
        defs.clear();
        writes(&ins.op, &mut defs);
        for &d in &defs {
            active.retain(|&r| {
                let keep = r != d && copy_of[r as usize] != Some(Src::R(d));
                if !keep {
                    copy_of[r as usize] = None;
                }
                keep
            });
        }
        if let (None, false, Op::Mov { d, a }) = (&ins.guard, checked[i], &ins.op) {
            let d = *d;
            let from = match *a {
                Src::R(s) if s != d && !tracked[s as usize] => Some(Src::R(s)),
                Src::I(v) => Some(Src::I(v)),
                Src::R(_) => None,
            };
            if let (Some(from), false) = (from, tracked[d as usize]) {
                copy_of[d as usize] = Some(from);
                active.push(d);
            }
        }
    }
    code
}

/// Registers live after each instruction (read later on some path before being written
/// unconditionally), as rows of `words` words.
fn live_after(code: &[crate::emulator::ir::Instr], nregs: usize) -> (Vec<u64>, usize) {
    let n = code.len();
    let words = nregs.div_ceil(64).max(1);
    let mut succs: Vec<[u32; 2]> = vec![[NONE; 2]; n];
    for (i, ins) in code.iter().enumerate() {
        let next = if i + 1 < n { (i + 1) as u32 } else { NONE };
        succs[i] = match (&ins.op, ins.guard.is_some()) {
            (Op::Bra { target }, false) => [*target, NONE],
            (Op::Bra { target }, true) => [*target, next],
            (Op::Ret | Op::Exit, false) => [NONE; 2],
            _ => [next, NONE],
        };
    }
    let mut uses = vec![0u64; n * words];
    let mut kills = vec![0u64; n * words];
    let mut buf = Vec::new();
    for (i, ins) in code.iter().enumerate() {
        buf.clear();
        reads(&ins.op, &mut buf);
        if let Some((p, _)) = ins.guard {
            buf.push(p);
        }
        for &r in &buf {
            uses[i * words + r as usize / 64] |= 1 << (r % 64);
        }
        if ins.guard.is_none() {
            buf.clear();
            writes(&ins.op, &mut buf);
            for &r in &buf {
                kills[i * words + r as usize / 64] |= 1 << (r % 64);
            }
        }
    }
    let mut out = vec![0u64; n * words];
    let mut changed = true;
    while changed {
        changed = false;
        for i in (0..n).rev() {
            for w in 0..words {
                let mut x = 0u64;
                for &s in &succs[i] {
                    if s != NONE {
                        let s = s as usize;
                        x |= uses[s * words + w] | (out[s * words + w] & !kills[s * words + w]);
                    }
                }
                if out[i * words + w] != x {
                    out[i * words + w] = x;
                    changed = true;
                }
            }
        }
    }
    (out, words)
}

fn lower_func(
    f: &Func,
    slot_word: &[u32],
    pwords: usize,
    funcs: &[Func],
    layouts: &[(Vec<u32>, usize)],
) -> XFunc {
    let n = f.code.len();
    let (inn, words) = definitely_written(f);
    let proven = |i: usize, r: u32| inn[i * words + r as usize / 64] >> (r % 64) & 1 == 1;
    // Instructions with a read that may fault, and the registers those instructions read.
    let mut checked = vec![false; n];
    let mut tracked = vec![false; f.reg_names.len()];
    let mut buf = Vec::new();
    for (i, ins) in f.code.iter().enumerate() {
        if let Some((p, _)) = ins.guard {
            if !proven(i, p) {
                tracked[p as usize] = true;
            }
        }
        buf.clear();
        reads(&ins.op, &mut buf);
        if buf.iter().any(|&r| !proven(i, r)) {
            checked[i] = true;
            for &r in &buf {
                tracked[r as usize] = true;
            }
        }
    }
    let mut target = vec![false; n + 1];
    for ins in &f.code {
        if let Op::Bra { target: t } = ins.op {
            target[(t as usize).min(n)] = true;
        }
    }
    let code = propagate_copies(f, &target, &checked, &tracked);
    // An unguarded `mov` whose destination is dead is folded into the next instruction
    // (which only the `mov` falls into): that instruction counts it as a step.
    let (live, lw) = live_after(&code, f.reg_names.len());
    let mut folded = vec![false; n];
    for (i, ins) in code.iter().enumerate() {
        if let (None, Op::Mov { d, .. }) = (&ins.guard, &ins.op) {
            let d = *d as usize;
            let dead = live[i * lw + d / 64] >> (d % 64) & 1 == 0;
            folded[i] = dead && !checked[i] && !tracked[d] && i + 1 < n && !target[i + 1];
        }
    }
    // Executable index of each decoded instruction (a folded one: of the next kept one).
    let mut index = vec![0u32; n + 1];
    let mut k = (0..n).filter(|&i| !folded[i]).count() as u32;
    index[n] = k;
    for i in (0..n).rev() {
        if !folded[i] {
            k -= 1;
        }
        index[i] = k;
    }
    let mut consts: Vec<u64> = Vec::new();
    let mut konst = |v: u64| -> u32 {
        match consts.iter().position(|&c| c == v) {
            Some(i) => i as u32,
            None => {
                consts.push(v);
                (consts.len() - 1) as u32
            }
        }
    };
    let mut sites = Vec::new();
    let mut xcode = Vec::with_capacity(n + 1);
    let mut orig = Vec::with_capacity(n + 1);
    let mut weight = 0u32;
    for (i, ins) in code.iter().enumerate() {
        weight += 1;
        if folded[i] {
            continue;
        }
        buf.clear();
        writes(&ins.op, &mut buf);
        let marking = buf.iter().any(|&r| tracked[r as usize]);
        let core = match &ins.op {
            Op::Bra { target } => X::Bra {
                target: index[*target as usize],
            },
            Op::Ret => X::Ret,
            Op::Exit => X::Exit,
            Op::Fence => X::Fence,
            Op::Call { func, args, ret } => {
                let (callee_words, _) = &layouts[*func as usize];
                let callee = &funcs[*func as usize];
                let args = args
                    .iter()
                    .enumerate()
                    .map(|(k, &s)| {
                        let n = callee.slot_sizes[k].div_ceil(8) as u32;
                        (slot_word[s as usize], callee_words[k], n)
                    })
                    .collect();
                sites.push(Site {
                    args,
                    ret: ret.map_or(NONE, |s| slot_word[s as usize]),
                });
                X::Call {
                    func: *func,
                    site: (sites.len() - 1) as u32,
                }
            }
            op => {
                let w = wide(op, f, slot_word);
                if checked[i] {
                    X::Checked(Box::new(w))
                } else if marking {
                    X::Marking(Box::new(w))
                } else {
                    compact(&w, &mut konst).unwrap_or_else(|| X::Wide(Box::new(w)))
                }
            }
        };
        let x = match (ins.guard, core) {
            (None, x) => x,
            (Some((p, neg)), X::Bra { target }) if proven(i, p) => X::BraIf { p, neg, target },
            (Some((p, neg)), x) => X::Guard {
                p,
                neg,
                checked: !proven(i, p),
                inner: Box::new(x),
            },
        };
        xcode.push(XIns { x, w: weight });
        orig.push(i as u32);
        weight = 0;
    }
    xcode.push(XIns { x: X::End, w: 0 });
    orig.push(n as u32);
    let (xcode, orig) = fuse_pairs(xcode, orig);
    let ret = f.ret.as_ref().map(|_| {
        let k = f.params.len();
        (slot_word[k], f.slot_sizes[k].div_ceil(8) as u32)
    });
    XFunc {
        name: f.name.clone(),
        code: xcode,
        orig,
        consts,
        nregs: f.reg_names.len(),
        flags: tracked.iter().any(|&t| t),
        pwords,
        slot_word: slot_word.to_vec(),
        ret,
        locals: f.locals.clone(),
        sites,
    }
}

/// The pair instruction doing `a` then `b`, if there is one.
fn pair(a: &X, b: &X) -> Option<X> {
    Some(match (a, b) {
        (&X::LdP { d: d1, word: w1 }, &X::LdP { d: d2, word: w2 }) => X::LdP2 { d1, w1, d2, w2 },
        (
            &(X::StP { word: w1, a: a1 } | X::StPI { word: w1, k: a1 }),
            &(X::StP { word: w2, a: a2 } | X::StPI { word: w2, k: a2 }),
        ) => X::StP2 {
            w1,
            a1,
            w2,
            a2,
            imm: u8::from(matches!(a, X::StPI { .. })) | u8::from(matches!(b, X::StPI { .. })) << 1,
        },
        (
            &X::SetpI {
                cmp,
                signed,
                bits,
                d,
                a,
                b: r,
            },
            &X::BraIf { p, neg, target },
        ) if p == d => X::SetpBra {
            cmp,
            signed,
            bits,
            imm: false,
            neg,
            d,
            a,
            b: r,
            target,
        },
        (
            &X::SetpIK {
                cmp,
                signed,
                bits,
                d,
                a,
                k,
            },
            &X::BraIf { p, neg, target },
        ) if p == d => X::SetpBra {
            cmp,
            signed,
            bits,
            imm: true,
            neg,
            d,
            a,
            b: k,
            target,
        },
        _ => return None,
    })
}

/// The branch target of an instruction, if it has one.
fn target_of(x: &mut X) -> Option<&mut u32> {
    match x {
        X::Bra { target } | X::BraIf { target, .. } | X::SetpBra { target, .. } => Some(target),
        X::Guard { inner, .. } => target_of(inner),
        _ => None,
    }
}

/// Replaces each pair of consecutive instructions that [`pair`] fuses, the second of which
/// folds no `mov` and is no branch target (so the two stand for consecutive decoded
/// instructions, entered only at the first), by the pair instruction. Returns the code and
/// the decoded index each instruction ends with.
fn fuse_pairs(mut code: Vec<XIns>, orig: Vec<u32>) -> (Vec<XIns>, Vec<u32>) {
    let n = code.len();
    let mut target = vec![false; n];
    for ins in &mut code {
        if let Some(t) = target_of(&mut ins.x) {
            target[*t as usize] = true;
        }
    }
    let mut index = vec![0u32; n];
    let mut out: Vec<XIns> = Vec::with_capacity(n);
    let mut out_orig = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        index[i] = out.len() as u32;
        let fused = (i + 1 < n && code[i + 1].w == 1 && !target[i + 1])
            .then(|| pair(&code[i].x, &code[i + 1].x))
            .flatten();
        match fused {
            Some(x) => {
                index[i + 1] = out.len() as u32;
                out.push(XIns { x, w: code[i].w + 1 });
                out_orig.push(orig[i + 1]);
                i += 2;
            }
            None => {
                out.push(code[i].clone());
                out_orig.push(orig[i]);
                i += 1;
            }
        }
    }
    for ins in &mut out {
        if let Some(t) = target_of(&mut ins.x) {
            *t = index[*t as usize];
        }
    }
    (out, out_orig)
}

/// The general form of a non-control operation.
fn wide(op: &Op, f: &Func, slot_word: &[u32]) -> W {
    let param = |slot: u32, off: i64, size: u64| -> ParamAcc {
        let len = f.slot_sizes[slot as usize] as i64;
        if off < 0 || off + size as i64 > len {
            return Err(MemError::OutOfBounds {
                space: Space::Param,
                addr: off as u64,
                size,
            });
        }
        if !(off as u64).is_multiple_of(size) {
            return Err(MemError::Misaligned {
                space: Space::Param,
                addr: off as u64,
                size,
            });
        }
        let off = off as u64;
        Ok((
            slot_word[slot as usize] + (off / 8) as u32,
            (off % 8) as u8,
            size as u8,
        ))
    };
    match *op {
        Op::Ld {
            size,
            ty,
            dmask,
            d,
            addr: Addr {
                base: Base::Param(slot),
                off,
            },
            ..
        } => W::LdParam {
            d,
            acc: param(slot, off, size),
            ty,
            dmask,
            off: off as u64,
            size,
        },
        Op::St {
            size,
            addr: Addr {
                base: Base::Param(slot),
                off,
            },
            a,
            ..
        } => W::StParam {
            acc: param(slot, off, size),
            a,
        },
        ref op => W::Gen(op.clone()),
    }
}

/// The compact form of an operation whose reads are proven and whose writes are untracked.
fn compact(w: &W, konst: &mut impl FnMut(u64) -> u32) -> Option<X> {
    let r = |s: Src| match s {
        Src::R(r) => Some(r),
        Src::I(_) => None,
    };
    // A float operand: a register, or a constant (`KBIT | index`).
    macro_rules! k {
        ($s:expr) => {
            match $s {
                Src::R(r) => r,
                Src::I(v) => KBIT | konst(v),
            }
        };
    }
    Some(match *w {
        W::Gen(Op::Mov { d, a: Src::I(v) }) => X::MovI { d, k: konst(v) },
        W::Gen(Op::Mov { d, a: Src::R(a) }) => X::Mov { d, a },
        W::Gen(Op::Bin { op, d, a, b }) => {
            if !matches!(
                op,
                BinOp::FAdd(FT::F64) | BinOp::FSub(FT::F64) | BinOp::FMul(FT::F64) | BinOp::FDiv(FT::F64)
            ) {
                return None;
            }
            let (a, b) = (k!(a), k!(b));
            match op {
                BinOp::FAdd(FT::F64) => X::FAdd { d, a, b },
                BinOp::FSub(FT::F64) => X::FSub { d, a, b },
                BinOp::FMul(FT::F64) => X::FMul { d, a, b },
                BinOp::FDiv(FT::F64) => X::FDiv { d, a, b },
                _ => return None,
            }
        }
        W::Gen(Op::Tern {
            op: TernOp::Fma(FT::F64),
            d,
            a,
            b,
            c,
        }) => X::Fma {
            d,
            a: k!(a),
            b: k!(b),
            c: k!(c),
        },
        W::Gen(Op::Setp {
            cmp,
            ty,
            d,
            dq: None,
            a,
            b,
            comb: None,
        }) => {
            if ty.kind == Kind::Float {
                if ty.bits != 64 {
                    return None;
                }
                X::SetpF {
                    cmp,
                    d,
                    a: k!(a),
                    b: k!(b),
                }
            } else {
                let a = r(a)?;
                let (signed, bits) = (ty.kind == Kind::Signed, ty.bits as u8);
                match b {
                    Src::R(b) => X::SetpI {
                        cmp,
                        signed,
                        bits,
                        d,
                        a,
                        b,
                    },
                    Src::I(v) => X::SetpIK {
                        cmp,
                        signed,
                        bits,
                        d,
                        a,
                        k: konst(v),
                    },
                }
            }
        }
        W::LdParam {
            d,
            acc: Ok((word, off, size)),
            ty,
            dmask,
            ..
        } => {
            if off == 0 && size == 8 && dmask == u64::MAX {
                X::LdP { d, word }
            } else {
                let dbits = 64 - dmask.leading_zeros();
                if dmask != int_mask(dbits) || ty.bits != u32::from(size) * 8 {
                    return None;
                }
                X::LdPs {
                    d,
                    word,
                    off,
                    size,
                    signed: ty.kind == Kind::Signed,
                    dbits: dbits as u8,
                }
            }
        }
        W::StParam {
            acc: Ok((word, off, size)),
            a,
        } => match (a, off == 0 && size == 8) {
            (Src::R(a), true) => X::StP { word, a },
            (Src::I(v), true) => X::StPI { word, k: konst(v) },
            (Src::R(a), false) => X::StPs {
                word,
                off,
                size,
                imm: false,
                a,
            },
            (Src::I(v), false) => X::StPs {
                word,
                off,
                size,
                imm: true,
                a: konst(v),
            },
        },
        _ => return None,
    })
}

fn int_mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// A caller's state saved across a call.
#[derive(Debug, Clone, Copy)]
struct Saved {
    func: u32,
    pc: u32,
    rb: u32,
    pb: u32,
    la: u32,
    /// Absolute word of the caller's slot receiving the return value, or [`NONE`].
    ret: u32,
}

/// Where the current frame's state lives, for the general form.
#[derive(Clone, Copy)]
struct Env<'a> {
    rb: usize,
    pb: usize,
    la: usize,
    ctx: &'a ThreadCtx,
    mem: &'a GlobalMemory,
}

/// One thread's state, reused across the threads a worker runs.
pub(crate) struct Machine {
    regs: Vec<u64>,
    written: Vec<bool>,
    pw: Vec<u64>,
    /// Written bytes of each parameter word, one bit per byte.
    pinit: Vec<u8>,
    frames: Vec<Saved>,
    /// Addresses of the `.local` variables of the active frames.
    laddr: Vec<u64>,
    local: LocalMemory,
}

impl Machine {
    pub(crate) fn new() -> Machine {
        Machine {
            regs: Vec::new(),
            written: Vec::new(),
            pw: Vec::new(),
            pinit: Vec::new(),
            frames: Vec::new(),
            laddr: Vec::new(),
            local: LocalMemory::new(),
        }
    }

    /// Makes room for the frame of `f` at register `rb` and parameter word `pb`, with
    /// nothing written.
    #[inline]
    fn open(&mut self, f: &XFunc, rb: usize, pb: usize) {
        let (nregs, pwords) = (f.nregs, f.pwords);
        if self.regs.len() < rb + nregs {
            self.regs.resize(rb + nregs, 0);
            self.written.resize(rb + nregs, false);
        }
        if f.flags {
            self.written[rb..rb + nregs].fill(false);
        }
        if self.pw.len() < pb + pwords {
            self.pw.resize(pb + pwords, 0);
            self.pinit.resize(pb + pwords, 0);
        }
        self.pinit[pb..pb + pwords].fill(0);
    }

    /// Runs one thread of entry function `entry` with kernel parameter bytes `kparams`.
    /// Returns the number of instructions executed.
    pub(crate) fn run(
        &mut self,
        prog: &Program,
        entry: usize,
        kparams: &[Vec<u8>],
        ctx: ThreadCtx,
        limits: Limits,
        mem: &GlobalMemory,
    ) -> Result<u64, Located> {
        self.local.reset();
        self.frames.clear();
        self.laddr.clear();
        let ef = &prog.funcs[entry];
        self.open(ef, 0, 0);
        for &(s, a) in &ef.locals {
            match self.local.push(s, a) {
                Ok(x) => self.laddr.push(x),
                Err(e) => {
                    return Err(Located {
                        fault: e.into(),
                        func: entry,
                        pc: 0,
                    })
                }
            }
        }
        for (i, bytes) in kparams.iter().enumerate() {
            let w0 = ef.slot_word[i] as usize;
            for (k, chunk) in bytes.chunks(8).enumerate() {
                let mut b = [0u8; 8];
                b[..chunk.len()].copy_from_slice(chunk);
                self.pw[w0 + k] = u64::from_le_bytes(b);
                self.pinit[w0 + k] = byte_flags(0, chunk.len() as u64);
            }
        }
        self.exec(prog, entry, &ctx, limits, mem)
    }

    fn exec(
        &mut self,
        prog: &Program,
        entry: usize,
        ctx: &ThreadCtx,
        limits: Limits,
        mem: &GlobalMemory,
    ) -> Result<u64, Located> {
        let mut fi = entry;
        let mut xf = &prog.funcs[fi];
        let mut pc = 0usize;
        let mut rb = 0usize;
        let mut pb = 0usize;
        let mut la = 0usize;
        let mut steps = 0u64;
        macro_rules! fail {
            ($f:expr) => {
                return Err(Located {
                    fault: $f,
                    func: fi,
                    pc: xf.orig[pc] as usize,
                })
            };
        }
        macro_rules! r {
            ($r:expr) => {
                self.regs[rb + $r as usize]
            };
        }
        macro_rules! f {
            ($r:expr) => {{
                let o: u32 = $r;
                f64::from_bits(if o & KBIT == 0 {
                    self.regs[rb + o as usize]
                } else {
                    xf.consts[(o & !KBIT) as usize]
                })
            }};
        }
        macro_rules! pw_of {
            ($w:expr) => {
                self.pw[$w]
            };
        }
        macro_rules! pinit_of {
            ($w:expr) => {
                self.pinit[$w]
            };
        }
        macro_rules! int_ty {
            ($signed:expr, $bits:expr) => {
                Ty {
                    kind: if $signed {
                        Kind::Signed
                    } else {
                        Kind::Unsigned
                    },
                    bits: $bits as u32,
                }
            };
        }
        'main: loop {
            let ins = &xf.code[pc];
            steps += u64::from(ins.w);
            if steps > limits.steps {
                // The instruction (of those this one stands for) that goes over the limit.
                let before = steps - u64::from(ins.w);
                let at = xf.orig[pc] as u64 + 1 - u64::from(ins.w) + (limits.steps - before);
                return Err(Located {
                    fault: Fault::K(ExecErrorKind::StepLimit(limits.steps)),
                    func: fi,
                    pc: at as usize,
                });
            }
            let mut x = &ins.x;
            loop {
                match *x {
                    X::Mov { d, a } => r!(d) = r!(a),
                    X::MovI { d, k } => r!(d) = xf.consts[k as usize],
                    X::FAdd { d, a, b } => r!(d) = (f!(a) + f!(b)).to_bits(),
                    X::FSub { d, a, b } => r!(d) = (f!(a) - f!(b)).to_bits(),
                    X::FMul { d, a, b } => r!(d) = (f!(a) * f!(b)).to_bits(),
                    X::FDiv { d, a, b } => r!(d) = (f!(a) / f!(b)).to_bits(),
                    X::Fma { d, a, b, c } => r!(d) = f!(a).mul_add(f!(b), f!(c)).to_bits(),
                    X::SetpF { cmp, d, a, b } => r!(d) = compare_f64(cmp, f!(a), f!(b)) as u64,
                    X::SetpI {
                        cmp,
                        signed,
                        bits,
                        d,
                        a,
                        b,
                    } => r!(d) = arith::compare(cmp, int_ty!(signed, bits), r!(a), r!(b)) as u64,
                    X::SetpIK {
                        cmp,
                        signed,
                        bits,
                        d,
                        a,
                        k,
                    } => {
                        let v = xf.consts[k as usize];
                        r!(d) = arith::compare(cmp, int_ty!(signed, bits), r!(a), v) as u64;
                    }
                    X::LdP { d, word } => {
                        let w = pb + word as usize;
                        if self.pinit[w] != 0xff {
                            fail!(param_uninit(xf, word, 0, 8));
                        }
                        r!(d) = self.pw[w];
                    }
                    X::LdPs {
                        d,
                        word,
                        off,
                        size,
                        signed,
                        dbits,
                    } => {
                        let w = pb + word as usize;
                        let (off, size) = (u64::from(off), u64::from(size));
                        let fl = byte_flags(off, size);
                        if self.pinit[w] & fl != fl {
                            fail!(param_uninit(xf, word, off, size));
                        }
                        let v = int_ty!(signed, 8 * size).extend(extract(self.pw[w], off, size));
                        r!(d) = v & int_mask(u32::from(dbits));
                    }
                    X::StP { word, a } => {
                        let w = pb + word as usize;
                        self.pw[w] = r!(a);
                        self.pinit[w] = 0xff;
                    }
                    X::StPI { word, k } => {
                        let w = pb + word as usize;
                        self.pw[w] = xf.consts[k as usize];
                        self.pinit[w] = 0xff;
                    }
                    X::StPs {
                        word,
                        off,
                        size,
                        imm,
                        a,
                    } => {
                        let v = if imm { xf.consts[a as usize] } else { r!(a) };
                        let w = pb + word as usize;
                        let (off, size) = (u64::from(off), u64::from(size));
                        self.pw[w] = insert(self.pw[w], off, size, v);
                        self.pinit[w] |= byte_flags(off, size);
                    }
                    X::LdP2 { d1, w1, d2, w2 } => {
                        let (w1, w2) = (w1, w2);
                        for (j, d, word) in [(0, d1, w1), (1, d2, w2)] {
                            let w = pb + word as usize;
                            if pinit_of!(w) != 0xff {
                                return Err(Located {
                                    fault: param_uninit(xf, word, 0, 8),
                                    func: fi,
                                    pc: xf.orig[pc] as usize - 1 + j,
                                });
                            }
                            r!(d) = pw_of!(w);
                        }
                    }
                    X::StP2 { w1, a1, w2, a2, imm } => {
                        let v1 = if imm & 1 != 0 {
                            xf.consts[a1 as usize]
                        } else {
                            r!(a1)
                        };
                        let v2 = if imm & 2 != 0 {
                            xf.consts[a2 as usize]
                        } else {
                            r!(a2)
                        };
                        let (w1, w2) = (pb + w1 as usize, pb + w2 as usize);
                        pw_of!(w1) = v1;
                        pinit_of!(w1) = 0xff;
                        pw_of!(w2) = v2;
                        pinit_of!(w2) = 0xff;
                    }
                    X::SetpBra {
                        cmp,
                        signed,
                        bits,
                        imm,
                        neg,
                        d,
                        a,
                        b,
                        target,
                    } => {
                        let y = if imm { xf.consts[b as usize] } else { r!(b) };
                        let t = arith::compare(cmp, int_ty!(signed, bits), r!(a), y);
                        r!(d) = t as u64;
                        if t != neg {
                            pc = target as usize;
                            continue 'main;
                        }
                    }
                    X::Bra { target } => {
                        pc = target as usize;
                        continue 'main;
                    }
                    X::BraIf { p, neg, target } => {
                        if (r!(p) != 0) != neg {
                            pc = target as usize;
                            continue 'main;
                        }
                    }
                    X::Guard {
                        p,
                        neg,
                        checked,
                        ref inner,
                    } => {
                        if checked && !self.written[rb + p as usize] {
                            fail!(Fault::Reg(p));
                        }
                        if (r!(p) != 0) == neg {
                            break;
                        }
                        x = inner;
                        continue;
                    }
                    X::Wide(ref w) => {
                        let env = Env { rb, pb, la, ctx, mem };
                        if let Err(e) = self.wide::<false, false>(w, env) {
                            fail!(e);
                        }
                    }
                    X::Marking(ref w) => {
                        let env = Env { rb, pb, la, ctx, mem };
                        if let Err(e) = self.wide::<false, true>(w, env) {
                            fail!(e);
                        }
                    }
                    X::Checked(ref w) => {
                        let env = Env { rb, pb, la, ctx, mem };
                        if let Err(e) = self.wide::<true, true>(w, env) {
                            fail!(e);
                        }
                    }
                    X::Call { func, site } => {
                        if self.frames.len() >= limits.call_depth {
                            fail!(Fault::K(ExecErrorKind::CallDepth(limits.call_depth)));
                        }
                        let cf = &prog.funcs[func as usize];
                        let (nrb, npb) = (rb + xf.nregs, pb + xf.pwords);
                        self.open(cf, nrb, npb);
                        let nla = self.laddr.len();
                        for &(s, al) in &cf.locals {
                            match self.local.push(s, al) {
                                Ok(a) => self.laddr.push(a),
                                Err(e) => fail!(Fault::from(e)),
                            }
                        }
                        let site = &xf.sites[site as usize];
                        for &(src, dst, n) in site.args.iter() {
                            let (src, dst) = (pb + src as usize, npb + dst as usize);
                            for j in 0..n as usize {
                                self.pw[dst + j] = self.pw[src + j];
                                self.pinit[dst + j] = self.pinit[src + j];
                            }
                        }
                        self.frames.push(Saved {
                            func: fi as u32,
                            pc: (pc + 1) as u32,
                            rb: rb as u32,
                            pb: pb as u32,
                            la: la as u32,
                            ret: if site.ret == NONE {
                                NONE
                            } else {
                                (pb + site.ret as usize) as u32
                            },
                        });
                        (fi, xf, pc, rb, pb, la) = (func as usize, cf, 0, nrb, npb, nla);
                        continue 'main;
                    }
                    X::Ret => {
                        let Some(s) = self.frames.pop() else {
                            return Ok(steps);
                        };
                        if let (true, Some((w, n))) = (s.ret != NONE, xf.ret) {
                            let (src, dst) = (pb + w as usize, s.ret as usize);
                            for j in 0..n as usize {
                                self.pw[dst + j] = self.pw[src + j];
                                self.pinit[dst + j] = self.pinit[src + j];
                            }
                        }
                        self.local.pop(xf.locals.len());
                        self.laddr.truncate(la);
                        fi = s.func as usize;
                        xf = &prog.funcs[fi];
                        (pc, rb, pb, la) = (s.pc as usize, s.rb as usize, s.pb as usize, s.la as usize);
                        continue 'main;
                    }
                    X::Exit => return Ok(steps),
                    X::Fence => std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst),
                    X::End => {
                        if self.frames.is_empty() {
                            return Ok(steps);
                        }
                        let fault = Fault::K(ExecErrorKind::FellOffFunction(xf.name.clone()));
                        return Err(Located {
                            fault,
                            func: fi,
                            pc: (xf.orig[pc] as usize).saturating_sub(1),
                        });
                    }
                }
                break;
            }
            pc += 1;
        }
    }

    /// Runs the general form of an instruction. `CHECK`: reads test the written flags;
    /// `MARK`: writes set them.
    #[inline(never)]
    fn wide<const CHECK: bool, const MARK: bool>(&mut self, w: &W, env: Env<'_>) -> Result<(), Fault> {
        let rb = env.rb;
        macro_rules! reg {
            ($r:expr) => {{
                let r: u32 = $r;
                let i = rb + r as usize;
                if CHECK && !self.written[i] {
                    return Err(Fault::Reg(r));
                }
                self.regs[i]
            }};
        }
        macro_rules! rd {
            ($s:expr) => {
                match $s {
                    Src::I(v) => v,
                    Src::R(r) => reg!(r),
                }
            };
        }
        macro_rules! wr {
            ($d:expr, $v:expr) => {{
                let v: u64 = $v;
                let i = rb + $d as usize;
                self.regs[i] = v;
                if MARK {
                    self.written[i] = true;
                }
            }};
        }
        macro_rules! address {
            ($a:expr) => {{
                let a: Addr = $a;
                match a.base {
                    Base::Reg(r) => reg!(r).wrapping_add(a.off as u64),
                    Base::Local(i) => self.laddr[env.la + i as usize].wrapping_add(a.off as u64),
                    Base::Abs => a.off as u64,
                    Base::Param(_) => unreachable!("param accesses are lowered to LdParam/StParam"),
                }
            }};
        }
        let op = match w {
            W::LdParam {
                d,
                acc,
                ty,
                dmask,
                off,
                size,
            } => {
                let (word, o, s) = acc.clone()?;
                let wi = env.pb + word as usize;
                let (o, s) = (u64::from(o), u64::from(s));
                let fl = byte_flags(o, s);
                if self.pinit[wi] & fl != fl {
                    return Err(MemError::Uninit {
                        space: Space::Param,
                        addr: *off,
                        size: *size,
                    }
                    .into());
                }
                wr!(*d, ty.extend(extract(self.pw[wi], o, s)) & dmask);
                return Ok(());
            }
            W::StParam { acc, a } => {
                let v = rd!(*a);
                let (word, o, s) = acc.clone()?;
                let wi = env.pb + word as usize;
                let (o, s) = (u64::from(o), u64::from(s));
                self.pw[wi] = insert(self.pw[wi], o, s, v);
                self.pinit[wi] |= byte_flags(o, s);
                return Ok(());
            }
            W::Gen(op) => op,
        };
        match *op {
            Op::Mov { d, a } => wr!(d, rd!(a)),
            Op::Bin { op, d, a, b } => {
                let (x, y) = (rd!(a), rd!(b));
                wr!(d, arith::bin(op, x, y)?);
            }
            Op::Un { op, d, a } => wr!(d, arith::un(op, rd!(a))),
            Op::Tern { op, d, a, b, c } => {
                let (x, y, z) = (rd!(a), rd!(b), rd!(c));
                wr!(d, arith::tern(op, x, y, z));
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
                let (x, y) = (rd!(a), rd!(b));
                let mut t = arith::compare(cmp, ty, x, y);
                let mut f = !t;
                if let Some((bop, q, neg)) = comb {
                    let qv = (reg!(q) != 0) != neg;
                    let apply = |x: bool| match bop {
                        BoolOp::And => x && qv,
                        BoolOp::Or => x || qv,
                        BoolOp::Xor => x ^ qv,
                    };
                    (t, f) = (apply(t), apply(f));
                }
                wr!(d, t as u64);
                if let Some(q) = dq {
                    wr!(q, f as u64);
                }
            }
            Op::Selp { d, a, b, p, pneg } => {
                let c = (reg!(p) != 0) != pneg;
                let v = if c { rd!(a) } else { rd!(b) };
                wr!(d, v);
            }
            Op::Cvt { spec, d, a, dmask } => wr!(d, arith::cvt(spec, rd!(a)) & dmask),
            Op::Testp { kind, f64, d, a } => wr!(d, arith::testp(kind, f64, rd!(a)) as u64),
            Op::Special { d, which } => {
                let c = env.ctx;
                let v = match which {
                    SReg::Tid(i) => c.tid[i as usize],
                    SReg::Ntid(i) => c.ntid[i as usize],
                    SReg::Ctaid(i) => c.ctaid[i as usize],
                    SReg::Nctaid(i) => c.nctaid[i as usize],
                };
                wr!(d, v as u64);
            }
            Op::LocalAddr { d, idx } => wr!(d, self.laddr[env.la + idx as usize]),
            Op::Ld {
                space,
                size,
                ty,
                dmask,
                d,
                addr,
            } => {
                let a = address!(addr);
                let v = match resolve_space(space, a)? {
                    Space::Local => self.local.load(a, size)?,
                    _ => env.mem.load(a, size)?,
                };
                wr!(d, ty.extend(v) & dmask);
            }
            Op::St { space, size, addr, a } => {
                let v = rd!(a);
                let at = address!(addr);
                match resolve_space(space, at)? {
                    Space::Local => self.local.store(at, size, v)?,
                    _ => env.mem.store(at, size, v)?,
                }
            }
            Op::Atom {
                op,
                ty,
                d,
                addr,
                b,
                c,
            } => {
                let bv = rd!(b);
                let cv = match c {
                    Some(c) => rd!(c),
                    None => 0,
                };
                let at = address!(addr);
                resolve_space(Space::Global, at)?;
                let old = env
                    .mem
                    .rmw(at, ty.bytes(), |old| arith::atom(op, ty, old, bv, cv))?;
                if let Some(d) = d {
                    wr!(d, old);
                }
            }
            Op::Bra { .. } | Op::Call { .. } | Op::Ret | Op::Exit | Op::Fence => {
                unreachable!("control flow is never in the general form")
            }
        }
        Ok(())
    }
}

/// The fault of a `.param` load of `size` bytes at byte `off` of parameter word `word` of
/// `f` whose bytes were not all written (the address is the offset in the slot).
#[cold]
fn param_uninit(f: &XFunc, word: u32, off: u64, size: u64) -> Fault {
    let slot = f
        .slot_word
        .iter()
        .copied()
        .filter(|&w| w <= word)
        .max()
        .unwrap_or(0);
    MemError::Uninit {
        space: Space::Param,
        addr: 8 * u64::from(word - slot) + off,
        size,
    }
    .into()
}

/// `setp` on f64 values (as [`arith::compare`] for `.f64`).
#[inline(always)]
fn compare_f64(cmp: Cmp, x: f64, y: f64) -> bool {
    use Cmp::*;
    let un = x.is_nan() || y.is_nan();
    match cmp {
        Eq => x == y,
        Ne => !un && x != y,
        Lt => x < y,
        Le => x <= y,
        Gt => x > y,
        Ge => x >= y,
        Equ => un || x == y,
        Neu => x != y,
        Ltu => un || x < y,
        Leu => un || x <= y,
        Gtu => un || x > y,
        Geu => un || x >= y,
        Num => !un,
        Nan => un,
        Lo | Ls | Hi | Hs => false, // rejected at decode time
    }
}

/// Determines the concrete space of an access and checks it against the instruction.
#[inline]
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

#[cfg(test)]
mod tests {
    use crate::emulator::Module;

    const HEAD: &str = ".version 7.0\n.target sm_70\n.address_size 64\n";

    fn lowered(body: &str) -> (usize, Vec<String>) {
        let m = Module::parse(&format!(
            "{HEAD}.visible .entry f(.param .u64 f_p, .param .u32 f_n)\n{{\n{body}\n}}\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let f = &m.prog.funcs[0];
        let kinds = f.code.iter().map(|i| format!("{:?}", i.x)).collect();
        (m.funcs[0].code.len(), kinds)
    }

    #[test]
    fn dead_copies_fold_into_the_next_instruction() {
        let (decoded, kinds) = lowered(
            "    .reg .b32 %r<7>;\n    .reg .b64 %rd<2>;\n    ld.param.u64 %rd1, [f_p];\n    ld.param.u32 %r1, [f_n];\n    mov.b32 %r2, %r1;\n    mov.b32 %r3, %r2;\n    add.s32 %r4, %r3, 1;\n    mov.b32 %r5, %r4;\n    st.global.u32 [%rd1], %r5;\n    ret;",
        );
        assert_eq!(decoded, 8);
        // ld, ld, add (reading %r1), st (reading %r4), ret, and the sentinel.
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        assert!(kinds.iter().all(|k| !k.starts_with("Mov ")), "{kinds:?}");
        assert!(kinds.iter().all(|k| !k.starts_with("Checked")), "{kinds:?}");
    }

    #[test]
    fn adjacent_pairs_and_constants_fuse() {
        let (decoded, kinds) = lowered(
            "    .reg .pred %p<2>;\n    .reg .b64 %rd<5>;\n    .reg .f64 %fd<4>;\n    ld.param.u64 %rd1, [f_p];\n    ld.param.u64 %rd2, [f_p];\n    mov.f64 %fd1, 0d3FF0000000000000;\n    mov.b64 %fd2, %rd1;\n    fma.rn.f64 %fd3, %fd2, %fd2, %fd1;\n    setp.lt.u64 %p1, %rd1, %rd2;\n    @%p1 bra $L__end;\n    st.global.f64 [%rd2], %fd3;\n$L__end:\n    ret;",
        );
        assert_eq!(decoded, 9);
        // ld+ld, fma (with the constant and %rd1 read directly), setp+bra, st, ret, sentinel.
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        assert!(kinds[0].starts_with("LdP2"), "{kinds:?}");
        assert!(kinds[1].starts_with("Fma"), "{kinds:?}");
        assert!(kinds[2].starts_with("SetpBra"), "{kinds:?}");
    }

    #[test]
    fn only_unproven_reads_are_checked() {
        let (_, kinds) = lowered(
            "    .reg .pred %p<2>;\n    .reg .b32 %r<5>;\n    .reg .b64 %rd<2>;\n    ld.param.u64 %rd1, [f_p];\n    ld.param.u32 %r1, [f_n];\n    setp.eq.u32 %p1, %r1, 0;\n    @%p1 bra $L__join;\n    mov.b32 %r2, 7;\n$L__join:\n    add.s32 %r4, %r2, %r1;\n    st.global.u32 [%rd1], %r4;\n    ret;",
        );
        let checked: Vec<&String> = kinds.iter().filter(|k| k.starts_with("Checked")).collect();
        assert_eq!(checked.len(), 1, "{kinds:?}");
        assert!(checked[0].contains("Bin"), "{kinds:?}");
        // The write of the tracked %r2 sets its flag.
        assert!(kinds.iter().any(|k| k.starts_with("Marking")), "{kinds:?}");
    }
}
