//! CUDA initialisation, driver error text and the per-device context cache.

use std::collections::HashMap;
use std::ffi::CStr;
use std::os::raw::c_char;
use std::ptr;
use std::sync::{Mutex, MutexGuard, OnceLock};

use cust::context::Context;
use cust::device::{Device as CuDevice, DeviceAttribute};
use cust::sys as cu;

use crate::{Device, Error, Result};

/// Locks `m`, ignoring poisoning: the caches hold plain driver handles, which stay valid when a
/// thread panicked while holding the lock.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Text of a static C string the driver returned, if any.
fn c_text(ok: bool, p: *const c_char) -> Option<String> {
    if !ok || p.is_null() {
        return None;
    }
    // SAFETY: `cuGetErrorName` / `cuGetErrorString` succeeded and set `p` to a NUL-terminated
    // string with static storage duration; it is only read.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Describes a driver result: `NAME (code): text`.
pub(super) fn describe(r: cu::CUresult) -> String {
    let code = r as i32;
    let mut name: *const c_char = ptr::null();
    let mut text: *const c_char = ptr::null();
    // SAFETY: both functions only store a pointer to a static string into the out-parameter,
    // which points to a live local.
    let (rn, rt) = unsafe {
        (
            cu::cuGetErrorName(r, &mut name),
            cu::cuGetErrorString(r, &mut text),
        )
    };
    let name = c_text(rn == cu::CUresult::CUDA_SUCCESS, name);
    let text = c_text(rt == cu::CUresult::CUDA_SUCCESS, text);
    match (name, text) {
        (Some(n), Some(t)) => format!("{n} ({code}): {t}"),
        (Some(n), None) => format!("{n} ({code})"),
        (None, Some(t)) => format!("CUDA error {code}: {t}"),
        (None, None) => format!("CUDA error {code}"),
    }
}

/// `Ok` for `CUDA_SUCCESS`, the description of the error otherwise.
pub(super) fn check(r: cu::CUresult) -> std::result::Result<(), String> {
    if r == cu::CUresult::CUDA_SUCCESS {
        Ok(())
    } else {
        Err(describe(r))
    }
}

/// `Error::DeviceUnavailable` for `cuda:ordinal`.
pub(super) fn unavailable(ordinal: usize, reason: impl Into<String>) -> Error {
    Error::DeviceUnavailable {
        device: Device::Cuda(ordinal),
        reason: reason.into(),
    }
}

/// Initialises CUDA (`cuInit`, as `cust::init` does) and counts devices, once per process; the
/// error says why CUDA is unusable.
fn init() -> &'static std::result::Result<usize, String> {
    static COUNT: OnceLock<std::result::Result<usize, String>> = OnceLock::new();
    COUNT.get_or_init(|| {
        // SAFETY: `cuInit(0)` takes no pointers; it may be called any number of times.
        check(unsafe { cu::cuInit(0) }).map_err(|e| format!("CUDA initialisation (cuInit) failed: {e}"))?;
        let mut n = 0;
        // SAFETY: the out-parameter is a live local.
        check(unsafe { cu::cuDeviceGetCount(&mut n) })
            .map_err(|e| format!("counting CUDA devices (cuDeviceGetCount) failed: {e}"))?;
        Ok(usize::try_from(n).unwrap_or(0))
    })
}

/// The number of CUDA devices; 0 when CUDA cannot be initialised (no driver, no GPU).
pub fn device_count() -> usize {
    init().as_ref().map_or(0, |n| *n)
}

/// Whether at least one CUDA device can be used.
///
/// Initialises CUDA on the first call; any driver error (no driver library, no GPU, the CI stub)
/// makes this `false`.
pub fn is_gpu_available() -> bool {
    device_count() > 0
}

/// Checks that device `ordinal` exists: `DeviceUnavailable` naming the device count when it
/// does not (no GPU at all, or a bad ordinal).
pub fn check_device(ordinal: usize) -> Result<()> {
    let count = device_count();
    if ordinal < count {
        Ok(())
    } else if count == 0 {
        Err(unavailable(ordinal, "no CUDA GPU is available on this machine"))
    } else {
        Err(unavailable(
            ordinal,
            format!("no CUDA device has ordinal {ordinal}; this machine has {count}"),
        ))
    }
}

/// A device's primary context, retained for the rest of the process.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx {
    raw: cu::CUcontext,
    /// The device ordinal.
    pub ordinal: usize,
    /// Streaming multiprocessors on the device.
    pub sms: u32,
}

// SAFETY: a CUcontext is an opaque driver handle; the driver API may be called with it from
// any thread. It is only passed to `cuCtxSetCurrent` and never dereferenced here.
unsafe impl Send for Ctx {}
// SAFETY: as above; `Ctx` has no interior mutability.
unsafe impl Sync for Ctx {}

impl Ctx {
    /// Makes the context current on the calling thread.
    pub fn make_current(&self) -> Result<()> {
        // SAFETY: `raw` is a retained primary context that is never released.
        check(unsafe { cu::cuCtxSetCurrent(self.raw) })
            .map_err(|e| unavailable(self.ordinal, format!("making its context current failed: {e}")))
    }
}

/// The context of device `ordinal`, current on the calling thread.
///
/// The primary context is retained on first use and cached. A bad ordinal is
/// `DeviceUnavailable` naming the ordinal and the device count.
pub(super) fn context(ordinal: usize) -> Result<Ctx> {
    let count = *init().as_ref().map_err(|e| unavailable(ordinal, e.clone()))?;
    if ordinal >= count {
        return Err(unavailable(
            ordinal,
            format!("no CUDA device has ordinal {ordinal}; this machine has {count} CUDA device(s)"),
        ));
    }
    static CONTEXTS: OnceLock<Mutex<HashMap<usize, (Context, Ctx)>>> = OnceLock::new();
    let mut map = lock(CONTEXTS.get_or_init(|| Mutex::new(HashMap::new())));
    if let Some((_, c)) = map.get(&ordinal) {
        c.make_current()?;
        return Ok(*c);
    }
    let fail =
        |what: &str, e: cust::error::CudaError| unavailable(ordinal, format!("{what} failed: {e} ({e:?})"));
    let raw_ordinal = u32::try_from(ordinal).map_err(|_| unavailable(ordinal, "ordinal out of range"))?;
    let dev = CuDevice::get_device(raw_ordinal).map_err(|e| fail("cuDeviceGet", e))?;
    let sms = dev
        .get_attribute(DeviceAttribute::MultiprocessorCount)
        .map_err(|e| fail("querying the multiprocessor count", e))?;
    // Retains the primary context (kept in the cache, never released).
    let owned = Context::new(dev).map_err(|e| fail("retaining the primary context", e))?;
    let c = Ctx {
        raw: owned.as_raw(),
        ordinal,
        sms: u32::try_from(sms).unwrap_or(1).max(1),
    };
    c.make_current()?;
    map.insert(ordinal, (owned, c));
    Ok(c)
}
