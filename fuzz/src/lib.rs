//! Deterministic mutation fuzzing of the osipy readers on stable Rust.
//!
//! Input `i` of a run is a function of the seed and `i` alone: a corpus file (valid small files
//! of each kind, [`corpus`], plus the bad-input catalogue of `osipy-cli/tests/bad-inputs`) picked
//! and mutated ([`mutate`]: bit flips, bytes and words set to interesting values, chunks
//! inserted, deleted or duplicated, splices, truncation) by a generator keyed by `(seed, i)`. So
//! any failure replays alone with `--start i --count 1`. Each input goes to one reader
//! ([`Target`]) under `catch_unwind` with the panic hook silenced; a run counts inputs, panics
//! (with their indices) and the peak resident memory (`getrusage`).
//!
//! ```
//! use osipy_fuzz::{corpus, run, Target};
//!
//! let seeds = corpus::load(Target::Npy);
//! let report = run(Target::Npy, &seeds, 7, 0, 50, |_| {});
//! assert_eq!(report.inputs, 50);
//! assert!(report.panics.is_empty());
//! ```

pub mod corpus;
pub mod mutate;
pub mod rng;
pub mod target;

use std::panic::{catch_unwind, AssertUnwindSafe};

pub use target::Target;

/// What a run saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Inputs fed to the reader.
    pub inputs: u64,
    /// Inputs the reader accepted (the rest were refused with an error).
    pub accepted: u64,
    /// `(index, panic message)` of each input that panicked.
    pub panics: Vec<(u64, String)>,
    /// Peak resident memory of the process so far, KiB (`ru_maxrss`).
    pub peak_rss_kib: u64,
}

/// Feeds inputs `start..start + count` of `seed` (mutations of `seeds`) to `target`, calling
/// `each(i)` before input `i` (for a progress line or a replay log).
pub fn run(
    target: Target,
    seeds: &[Vec<u8>],
    seed: u64,
    start: u64,
    count: u64,
    mut each: impl FnMut(u64),
) -> Report {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut reader = target.reader();
    let mut report = Report::default();
    for i in start..start.saturating_add(count) {
        each(i);
        let input = mutate::input(seeds, seed, i);
        match catch_unwind(AssertUnwindSafe(|| reader.read(&input))) {
            Ok(true) => report.accepted += 1,
            Ok(false) => {}
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".into());
                report.panics.push((i, msg));
            }
        }
        report.inputs += 1;
    }
    std::panic::set_hook(previous);
    report.peak_rss_kib = peak_rss_kib();
    report
}

/// Peak resident memory of this process, KiB.
pub fn peak_rss_kib() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `rusage` into the pointer it is given; RUSAGE_SELF is valid.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return 0;
    }
    // SAFETY: getrusage succeeded, so the struct is initialised (and was zeroed before).
    let usage = unsafe { usage.assume_init() };
    u64::try_from(usage.ru_maxrss).unwrap_or(0)
}
