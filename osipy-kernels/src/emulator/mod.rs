//! A strict PTX interpreter for running generated kernels on the CPU.
//!
//! ```no_run
//! use osipy_kernels::emulator::{GlobalMemory, LaunchConfig, Module, Param};
//! # fn main() -> Result<(), osipy_kernels::emulator::Error> {
//! # let ptx_text = "";
//! let module = Module::parse(ptx_text)?;
//! let mut mem = GlobalMemory::new();
//! let a = mem.alloc(8 * 1000, 8)?;
//! module.launch("axpy", LaunchConfig::linear(4, 256), &[Param::U64(a), Param::F64(2.0)], &mut mem)?;
//! # Ok(()) }
//! ```
//!
//! The emulator is deliberately stricter than hardware: reads of never-written
//! registers, out-of-bounds, misaligned or wrong-space accesses, uninitialized
//! local/param memory reads, integer division by zero and runaway loops are errors.

pub mod arith;
pub mod ast;
mod decode;
pub mod error;
mod exec;
pub mod ir;
pub mod lexer;
pub mod memory;
pub mod parser;
pub mod types;

pub use error::{Error, ExecErrorKind, MemError, Space};
pub use memory::GlobalMemory;

use exec::{Fault, Limits, Machine, Program, ThreadCtx};
use ir::Func;

/// Grid and block dimensions of a launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchConfig {
    /// Number of blocks in x, y, z (`%nctaid`).
    pub grid: (u32, u32, u32),
    /// Threads per block in x, y, z (`%ntid`).
    pub block: (u32, u32, u32),
}

impl LaunchConfig {
    /// A one-dimensional launch of `blocks` blocks of `threads` threads.
    pub fn linear(blocks: u32, threads: u32) -> Self {
        LaunchConfig {
            grid: (blocks, 1, 1),
            block: (threads, 1, 1),
        }
    }
}

/// A kernel argument value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    /// `.u8`/`.s8`/`.b8` parameter.
    U8(u8),
    /// 16-bit integer parameter.
    U16(u16),
    /// 32-bit unsigned integer parameter.
    U32(u32),
    /// 32-bit signed integer parameter.
    I32(i32),
    /// 64-bit unsigned integer or pointer parameter.
    U64(u64),
    /// 64-bit signed integer parameter.
    I64(i64),
    /// `.f32` parameter.
    F32(f32),
    /// `.f64` parameter.
    F64(f64),
}

impl Param {
    fn bytes(&self) -> Vec<u8> {
        match *self {
            Param::U8(v) => vec![v],
            Param::U16(v) => v.to_le_bytes().to_vec(),
            Param::U32(v) => v.to_le_bytes().to_vec(),
            Param::I32(v) => v.to_le_bytes().to_vec(),
            Param::U64(v) => v.to_le_bytes().to_vec(),
            Param::I64(v) => v.to_le_bytes().to_vec(),
            Param::F32(v) => v.to_le_bytes().to_vec(),
            Param::F64(v) => v.to_le_bytes().to_vec(),
        }
    }
    fn is_float(&self) -> bool {
        matches!(self, Param::F32(_) | Param::F64(_))
    }
}

/// Statistics of a completed launch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaunchStats {
    /// Threads executed.
    pub threads: u64,
    /// Instructions executed over all threads (including predicated-off ones).
    pub instructions: u64,
}

/// A parsed and validated PTX module.
#[derive(Debug, Clone)]
pub struct Module {
    funcs: Vec<Func>,
    prog: Program,
    lines: Vec<String>,
    /// Maximum instructions one thread may execute (default 1e9).
    pub step_limit: u64,
    /// Maximum call depth (default 1024).
    pub max_call_depth: usize,
}

impl LaunchConfig {
    /// Threads in the grid, or `None` when the count does not fit in a `u64`.
    fn threads(&self) -> Option<u64> {
        let (g, b) = (self.grid, self.block);
        [g.0, g.1, g.2, b.0, b.1, b.2]
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(u64::from(d)))
    }

    /// The coordinates of the thread at position `lin` of the launch order (block-major, x
    /// fastest).
    fn thread(&self, lin: u64) -> ThreadCtx {
        let (g, b) = (self.grid, self.block);
        let per_block = u64::from(b.0) * u64::from(b.1) * u64::from(b.2);
        let (block, within) = (lin / per_block, lin % per_block);
        let at = |i: u64, n0: u32, n1: u32| -> [u32; 3] {
            let (n0, n1) = (u64::from(n0), u64::from(n1));
            [(i % n0) as u32, ((i / n0) % n1) as u32, (i / (n0 * n1)) as u32]
        };
        ThreadCtx {
            tid: at(within, b.0, b.1),
            ntid: [b.0, b.1, b.2],
            ctaid: at(block, g.0, g.1),
            nctaid: [g.0, g.1, g.2],
        }
    }
}

impl Module {
    /// Parses and validates PTX text: all registers, labels, locals, params and
    /// callees are resolved and operand types are checked.
    pub fn parse(text: &str) -> Result<Module, Error> {
        let ast = parser::parse(text)?;
        let lines: Vec<&str> = text.lines().collect();
        let funcs = decode::decode_module(&ast, &lines)?;
        let prog = Program::lower(&funcs);
        Ok(Module {
            funcs,
            prog,
            lines: lines.iter().map(|s| s.trim().to_string()).collect(),
            step_limit: 1_000_000_000,
            max_call_depth: 1024,
        })
    }

    /// Sets the per-thread instruction limit.
    pub fn with_step_limit(mut self, steps: u64) -> Self {
        self.step_limit = steps;
        self
    }

    /// Names of the `.entry` kernels in the module.
    pub fn entries(&self) -> Vec<&str> {
        self.funcs
            .iter()
            .filter(|f| f.is_entry)
            .map(|f| f.name.as_str())
            .collect()
    }

    /// Checks a launch request: the entry's index and the parameters' bytes.
    fn prepare(
        &self,
        entry: &str,
        cfg: LaunchConfig,
        params: &[Param],
    ) -> Result<(usize, Vec<Vec<u8>>), Error> {
        let idx = self
            .funcs
            .iter()
            .position(|f| f.is_entry && f.name == entry)
            .ok_or_else(|| Error::Launch(format!("no .entry named `{entry}`")))?;
        let f = &self.funcs[idx];
        if params.len() != f.params.len() {
            return Err(Error::Launch(format!(
                "`{entry}` takes {} parameters, {} given",
                f.params.len(),
                params.len()
            )));
        }
        let mut kparams = Vec::new();
        for (i, (p, (name, ty, size))) in params.iter().zip(&f.params).enumerate() {
            let b = p.bytes();
            let class_ok = ty.kind == types::Kind::Bits || p.is_float() == ty.is_float();
            if b.len() as u64 != *size || !class_ok {
                return Err(Error::Launch(format!(
                    "parameter {i} (`{name}`, {ty}) given {p:?}"
                )));
            }
            kparams.push(b);
        }
        let (g, b) = (cfg.grid, cfg.block);
        if [g.0, g.1, g.2, b.0, b.1, b.2].contains(&0) {
            return Err(Error::Launch("grid and block dimensions must be non-zero".into()));
        }
        Ok((idx, kparams))
    }

    fn limits(&self) -> Limits {
        Limits {
            steps: self.step_limit,
            call_depth: self.max_call_depth,
        }
    }

    /// Runs kernel `entry` over the whole grid, thread by thread (block-major,
    /// x fastest), stopping at the first fault.
    pub fn launch(
        &self,
        entry: &str,
        cfg: LaunchConfig,
        params: &[Param],
        mem: &mut GlobalMemory,
    ) -> Result<LaunchStats, Error> {
        let (idx, kparams) = self.prepare(entry, cfg, params)?;
        let limits = self.limits();
        let mut machine = Machine::new();
        let mut stats = LaunchStats::default();
        let (g, b) = (cfg.grid, cfg.block);
        for bz in 0..g.2 {
            for by in 0..g.1 {
                for bx in 0..g.0 {
                    for tz in 0..b.2 {
                        for ty in 0..b.1 {
                            for tx in 0..b.0 {
                                let ctx = ThreadCtx {
                                    tid: [tx, ty, tz],
                                    ntid: [b.0, b.1, b.2],
                                    ctaid: [bx, by, bz],
                                    nctaid: [g.0, g.1, g.2],
                                };
                                let n = machine
                                    .run(&self.prog, idx, &kparams, ctx, limits, mem)
                                    .map_err(|l| self.exec_error(l, ctx))?;
                                stats.threads += 1;
                                stats.instructions += n;
                            }
                        }
                    }
                }
            }
        }
        Ok(stats)
    }

    /// Runs kernel `entry` over the whole grid with the threads spread over the current
    /// rayon pool, for kernels whose threads are independent: they write disjoint memory
    /// and meet only through atomics (as every kernel `#[xp_kernel]` generates: each item
    /// writes its own outputs, and the lowest faulting item is recorded under a lock).
    /// Such a kernel leaves the same memory as with [`Module::launch`].
    ///
    /// Every check of [`Module::launch`] holds. When threads fault, the error is the one of
    /// the first faulting thread in launch order (whatever the thread count); threads after
    /// it may have run. [`LaunchStats::instructions`] counts the instructions of every thread
    /// run, so it can vary between runs where threads wait on one another.
    pub fn launch_parallel(
        &self,
        entry: &str,
        cfg: LaunchConfig,
        params: &[Param],
        mem: &mut GlobalMemory,
    ) -> Result<LaunchStats, Error> {
        use rayon::prelude::*;
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Mutex;

        let (idx, kparams) = self.prepare(entry, cfg, params)?;
        let total = cfg
            .threads()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| Error::Launch("the grid has more threads than a usize counts".into()))?;
        let limits = self.limits();
        let mem: &GlobalMemory = mem;
        // The first faulting thread so far: later threads need not run.
        let first = AtomicU64::new(u64::MAX);
        let fault: Mutex<Option<(u64, Error)>> = Mutex::new(None);
        let instructions = AtomicU64::new(0);
        (0..total)
            .into_par_iter()
            .with_min_len(16)
            .for_each_init(Machine::new, |machine, lin| {
                let lin = lin as u64;
                if lin > first.load(Ordering::Relaxed) {
                    return;
                }
                let ctx = cfg.thread(lin);
                match machine.run(&self.prog, idx, &kparams, ctx, limits, mem) {
                    Ok(n) => {
                        instructions.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(l) => {
                        let e = self.exec_error(l, ctx);
                        let mut f = fault.lock().unwrap_or_else(|p| p.into_inner());
                        if f.as_ref().is_none_or(|(k, _)| lin < *k) {
                            *f = Some((lin, e));
                        }
                        first.fetch_min(lin, Ordering::Relaxed);
                    }
                }
            });
        if let Some((_, e)) = fault.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        Ok(LaunchStats {
            threads: total as u64,
            instructions: instructions.into_inner(),
        })
    }

    fn exec_error(&self, l: exec::Located, ctx: ThreadCtx) -> Error {
        let f = &self.funcs[l.func];
        let line = f.lines.get(l.pc).or(f.lines.last()).copied().unwrap_or(0);
        let kind = match l.fault {
            Fault::Reg(r) => ExecErrorKind::UninitRegister(f.reg_names[r as usize].clone()),
            Fault::K(k) => k,
        };
        Error::Exec {
            line,
            text: self
                .lines
                .get((line as usize).wrapping_sub(1))
                .cloned()
                .unwrap_or_default(),
            block: (ctx.ctaid[0], ctx.ctaid[1], ctx.ctaid[2]),
            thread: (ctx.tid[0], ctx.tid[1], ctx.tid[2]),
            kind,
        }
    }
}
