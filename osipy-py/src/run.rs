//! How a computation runs from Python: without the GIL, on `threads` worker threads (default:
//! every core), with a progress callback called with the fraction done (a float in [0, 1], as
//! the Python osipy's `progress_callback`).
//!
//! The callback runs with the GIL taken for the call; an exception it raises (or a pending
//! `KeyboardInterrupt`) stops further calls and is raised once the computation returns.

use std::sync::Mutex;

use pyo3::prelude::*;

/// `threads=` and `progress_callback=` of a call.
#[derive(Default)]
pub struct RunOptions {
    /// Worker threads (`None`: every core).
    pub threads: Option<usize>,
    /// Called with the fraction done.
    pub progress: Option<Py<PyAny>>,
}

impl RunOptions {
    /// From the keyword arguments; `threads` must be at least 1 and `progress_callback`
    /// callable.
    pub fn new(threads: Option<i64>, progress: Option<Bound<'_, PyAny>>) -> PyResult<Self> {
        let threads = match threads {
            None => None,
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            Some(n) => return Err(crate::errors::invalid("threads", "at least 1", n)),
        };
        let progress = match progress {
            Some(p) if p.is_none() => None,
            Some(p) if !p.is_callable() => {
                return Err(crate::errors::invalid(
                    "progress_callback",
                    "a callable taking the fraction done",
                    p.get_type().name().map(|n| n.to_string()).unwrap_or_default(),
                ))
            }
            Some(p) => Some(p.unbind()),
            None => None,
        };
        Ok(RunOptions { threads, progress })
    }
}

/// The progress reporter handed to a pipeline: calls the Python callback with the GIL taken,
/// and keeps the first exception.
pub struct Reporter<'a> {
    callback: Option<&'a Py<PyAny>>,
    error: &'a Mutex<Option<PyErr>>,
}

impl Reporter<'_> {
    /// Tells the callback `done / total`.
    pub fn report(&self, done: usize, total: usize) {
        let Some(cb) = self.callback else { return };
        let mut error = self.error.lock().unwrap_or_else(|p| p.into_inner());
        if error.is_some() {
            return;
        }
        let fraction = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        Python::attach(|py| {
            if let Err(e) = py
                .check_signals()
                .and_then(|_| cb.call1(py, (fraction,)).map(|_| ()))
            {
                *error = Some(e);
            }
        });
    }

    /// A boxed `FnMut(done, total)` for the library's `progress` setters.
    pub fn callback(&self) -> impl FnMut(usize, usize) + Send + '_ {
        move |done, total| self.report(done, total)
    }
}

/// Runs `f` without the GIL on the thread count of `opts`, then raises the callback's
/// exception if it raised one, else converts the library's error.
pub fn detached<T: Send>(
    py: Python<'_>,
    opts: &RunOptions,
    f: impl for<'r> FnOnce(&Reporter<'r>) -> osipy::Result<T> + Send,
) -> PyResult<T> {
    let error = Mutex::new(None);
    let threads = opts.threads;
    let callback = opts.progress.as_ref();
    let result = py.detach(|| {
        let reporter = Reporter {
            callback,
            error: &error,
        };
        let start = std::time::Instant::now();
        let r = osipy::volume::with_threads(threads, "osipy_rs", || f(&reporter));
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        LAST_COMPUTE_NS.store(ns, std::sync::atomic::Ordering::Relaxed);
        r
    });
    if let Some(e) = error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    result.map_err(crate::errors::to_py)
}

/// Nanoseconds the last computation took without the GIL (the library's own time, the
/// thread pool included), on any thread.
static LAST_COMPUTE_NS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Seconds the last native computation (of any thread) spent in the Rust library, without the
/// GIL: a call's wall time minus this is its overhead (argument checks, conversions, the
/// result objects). For benchmarks (`benches/compare_osipy.sh python`).
#[pyfunction]
pub fn last_compute_seconds() -> f64 {
    LAST_COMPUTE_NS.load(std::sync::atomic::Ordering::Relaxed) as f64 * 1e-9
}
