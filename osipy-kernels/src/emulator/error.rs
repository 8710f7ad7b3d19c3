//! Error types: every failure is reported as a value, never a panic.

use thiserror::Error;

/// Any error produced while parsing, validating or executing PTX.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// The text is not syntactically valid PTX (for the supported subset).
    #[error("line {line}: parse error: {msg}")]
    Parse {
        /// 1-based source line.
        line: u32,
        /// Description of the problem.
        msg: String,
    },
    /// The text parsed but an instruction or declaration is invalid or unsupported.
    #[error("line {line}: `{text}`: {msg}")]
    Validate {
        /// 1-based source line.
        line: u32,
        /// Source text of the offending statement.
        text: String,
        /// Description of the problem.
        msg: String,
    },
    /// A fault while executing an instruction in one thread.
    #[error("line {line}: `{text}` (block {block:?}, thread {thread:?}): {kind}")]
    Exec {
        /// 1-based source line of the faulting instruction.
        line: u32,
        /// Source text of the faulting instruction.
        text: String,
        /// `%ctaid` of the faulting thread.
        block: (u32, u32, u32),
        /// `%tid` of the faulting thread.
        thread: (u32, u32, u32),
        /// What went wrong.
        kind: ExecErrorKind,
    },
    /// The launch request itself is invalid (unknown entry, bad parameters, bad dimensions).
    #[error("launch error: {0}")]
    Launch(String),
    /// A host-side memory API call failed.
    #[error("memory error: {0}")]
    Memory(#[from] MemError),
}

/// The kind of a runtime fault (see [`Error::Exec`]).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ExecErrorKind {
    /// A register was read before this thread wrote it.
    #[error("read of register `{0}` which was never written in this thread")]
    UninitRegister(String),
    /// A memory access faulted.
    #[error("{0}")]
    Memory(#[from] MemError),
    /// Integer division or remainder by zero.
    #[error("integer division by zero")]
    DivisionByZero,
    /// The per-thread instruction step limit was exceeded.
    #[error("step limit of {0} instructions exceeded")]
    StepLimit(u64),
    /// Execution reached the end of a `.func` body without `ret`.
    #[error("fell off the end of function `{0}` without `ret`")]
    FellOffFunction(String),
    /// The call depth limit was exceeded (runaway recursion).
    #[error("call depth limit of {0} exceeded")]
    CallDepth(usize),
}

/// A memory access or memory API fault.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MemError {
    /// The access does not lie entirely inside one live allocation of the space.
    #[error("out-of-bounds {space} access of {size} bytes at {addr:#x}")]
    OutOfBounds {
        /// State space of the access.
        space: Space,
        /// Address accessed.
        addr: u64,
        /// Access size in bytes.
        size: u64,
    },
    /// The address is not a multiple of the access size.
    #[error("misaligned {space} access of {size} bytes at {addr:#x}")]
    Misaligned {
        /// State space of the access.
        space: Space,
        /// Address accessed.
        addr: u64,
        /// Access size in bytes.
        size: u64,
    },
    /// The address belongs to a different state space than the instruction names.
    #[error("{expected} access at {addr:#x}, which is a {actual} address")]
    WrongSpace {
        /// Space named by the instruction.
        expected: Space,
        /// Space the address belongs to (`None` is shown as "unmapped").
        actual: SpaceOrNone,
        /// Address accessed.
        addr: u64,
    },
    /// Bytes read from local or param space were never written.
    #[error("read of uninitialized {space} memory at {addr:#x} ({size} bytes)")]
    Uninit {
        /// State space of the access.
        space: Space,
        /// Address (or offset for param space) accessed.
        addr: u64,
        /// Access size in bytes.
        size: u64,
    },
    /// Invalid argument to a host memory API (zero/non-power-of-two alignment...).
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// PTX state spaces modelled by the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// `.global`
    Global,
    /// `.local`
    Local,
    /// `.param`
    Param,
    /// generic addressing (no space qualifier)
    Generic,
}

impl std::fmt::Display for Space {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Space::Global => "global",
            Space::Local => "local",
            Space::Param => "param",
            Space::Generic => "generic",
        })
    }
}

/// A space, or no space at all (an address outside every space's range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceOrNone(pub Option<Space>);

impl std::fmt::Display for SpaceOrNone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(s) => s.fmt(f),
            None => f.write_str("unmapped"),
        }
    }
}
