//! PTX modules and their functions, loaded lazily and cached per (device, PTX text, entry).

use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::ptr;
use std::sync::{Mutex, OnceLock};

use cust::sys as cu;

use super::driver::{check, lock, Ctx};

/// Bytes of each JIT log buffer.
const LOG_BYTES: usize = 16 * 1024;

/// Threads per block asked for; less when the function cannot run that many.
pub(super) const BLOCK: u32 = 256;

/// Blocks per multiprocessor when the occupancy query fails.
const FALLBACK_BLOCKS_PER_SM: u32 = 32;

/// A loaded function and how to launch it so that it fills the device.
#[derive(Debug, Clone, Copy)]
pub(super) struct Func {
    /// The driver handle.
    pub raw: cu::CUfunction,
    /// Threads per block.
    pub block: u32,
    /// Most blocks worth launching (all resident at once); the entry's grid-stride loop covers
    /// the remaining items.
    pub max_grid: u32,
}

// SAFETY: a CUfunction is an opaque driver handle of a module that is never unloaded; the
// driver API accepts it from any thread. It is never dereferenced here.
unsafe impl Send for Func {}
// SAFETY: as above; `Func` has no interior mutability.
unsafe impl Sync for Func {}

struct Loaded {
    raw: cu::CUmodule,
    funcs: HashMap<String, Func>,
}

// SAFETY: a CUmodule is an opaque driver handle, usable from any thread; the cache that holds
// it is behind a mutex.
unsafe impl Send for Loaded {}

/// (device ordinal, address of the PTX text, its length).
type Key = (usize, usize, usize);

/// The text of a JIT log buffer: up to the length the driver reports and the first NUL.
pub(super) fn log_text(buf: &[u8], reported: usize) -> String {
    let used = &buf[..reported.min(buf.len())];
    let used = used.split(|b| *b == 0).next().unwrap_or(&[]);
    String::from_utf8_lossy(used).trim().to_string()
}

/// Loads a PTX module with `cuModuleLoadDataEx`, collecting the JIT's error and info logs; the
/// error text includes both logs.
fn load_module(ptx: &str) -> Result<cu::CUmodule, String> {
    let image = CString::new(ptx).map_err(|_| "the PTX text contains a NUL byte".to_string())?;
    let mut info = vec![0u8; LOG_BYTES];
    let mut error = vec![0u8; LOG_BYTES];
    let mut options = [
        cu::CUjit_option::CU_JIT_INFO_LOG_BUFFER,
        cu::CUjit_option::CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
        cu::CUjit_option::CU_JIT_ERROR_LOG_BUFFER,
        cu::CUjit_option::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
        cu::CUjit_option::CU_JIT_LOG_VERBOSE,
    ];
    // Sizes and flags travel as integers in the pointer-sized value slots; the driver writes
    // the bytes it used back into the size slots.
    let mut values: [*mut c_void; 5] = [
        info.as_mut_ptr().cast(),
        ptr::without_provenance_mut(LOG_BYTES),
        error.as_mut_ptr().cast(),
        ptr::without_provenance_mut(LOG_BYTES),
        ptr::without_provenance_mut(1),
    ];
    let mut module: cu::CUmodule = ptr::null_mut();
    // SAFETY: `image` is a NUL-terminated PTX text alive for the call; `options` and `values`
    // have 5 entries each; the log buffers are live and have the sizes announced for them.
    let r = unsafe {
        cu::cuModuleLoadDataEx(
            &mut module,
            image.as_ptr().cast(),
            options.len() as u32,
            options.as_mut_ptr(),
            values.as_mut_ptr(),
        )
    };
    // The driver stores the used length as an unsigned int in the slot.
    let used = |v: *mut c_void| (v.addr() as u64 & u64::from(u32::MAX)) as usize;
    check(r).map(|()| module).map_err(|e| {
        let mut msg = format!("the CUDA JIT rejected the PTX module: {e}");
        for (what, buf, slot) in [("error log", &error, values[3]), ("info log", &info, values[1])] {
            let text = log_text(buf, used(slot));
            if !text.is_empty() {
                msg.push_str(&format!("\nJIT {what}:\n{text}"));
            }
        }
        msg
    })
}

/// Looks `entry` up in a loaded module and chooses its launch configuration.
fn load_func(ctx: &Ctx, module: cu::CUmodule, entry: &str) -> Result<Func, String> {
    let name = CString::new(entry).map_err(|_| "the entry name contains a NUL byte".to_string())?;
    let mut raw: cu::CUfunction = ptr::null_mut();
    // SAFETY: `module` is a loaded module of the current context; `name` is NUL-terminated.
    check(unsafe { cu::cuModuleGetFunction(&mut raw, module, name.as_ptr()) })
        .map_err(|e| format!("the module has no usable entry `{entry}`: {e}"))?;
    let mut max_threads = 0i32;
    // SAFETY: `raw` is a function handle just returned by the driver; the out-parameter is live.
    let r = unsafe {
        cu::cuFuncGetAttribute(
            &mut max_threads,
            cu::CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
            raw,
        )
    };
    let max_threads = match check(r) {
        Ok(()) => u32::try_from(max_threads).unwrap_or(0),
        Err(_) => BLOCK,
    };
    let mut per_sm = 0i32;
    let block = block_size(max_threads);
    // SAFETY: as above; `block` is at most what the function supports.
    let r = unsafe { cu::cuOccupancyMaxActiveBlocksPerMultiprocessor(&mut per_sm, raw, block as i32, 0) };
    let per_sm = check(r).ok().and_then(|()| u32::try_from(per_sm).ok());
    Ok(Func {
        raw,
        block,
        max_grid: max_grid(ctx.sms, per_sm),
    })
}

/// Threads per block: [`BLOCK`], or the most the function allows rounded down to whole warps.
pub(super) fn block_size(max_threads: u32) -> u32 {
    let b = BLOCK.min(max_threads);
    if b >= 32 {
        b / 32 * 32
    } else {
        b.max(1)
    }
}

/// Blocks that fill the device: all multiprocessors at the occupancy found (or a fallback).
pub(super) fn max_grid(sms: u32, blocks_per_sm: Option<u32>) -> u32 {
    let per_sm = blocks_per_sm.filter(|n| *n > 0).unwrap_or(FALLBACK_BLOCKS_PER_SM);
    sms.max(1).saturating_mul(per_sm).clamp(1, i32::MAX as u32)
}

/// The function `entry` of the module `ptx` on the context's device, loading the module on
/// first use. Errors are plain text (the caller knows the kernel and device).
pub(super) fn get_or_load_func(ctx: &Ctx, ptx: &'static str, entry: &str) -> Result<Func, String> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Loaded>>> = OnceLock::new();
    let key = (ctx.ordinal, ptx.as_ptr().addr(), ptx.len());
    // One lock for lookups and loads: a module is JIT-compiled once even when threads race.
    let mut cache = lock(CACHE.get_or_init(|| Mutex::new(HashMap::new())));
    if let Some(f) = cache.get(&key).and_then(|m| m.funcs.get(entry)) {
        return Ok(*f);
    }
    let loaded = match cache.get_mut(&key) {
        Some(m) => m,
        None => {
            let raw = load_module(ptx)?;
            cache.entry(key).or_insert(Loaded {
                raw,
                funcs: HashMap::new(),
            })
        }
    };
    let f = load_func(ctx, loaded.raw, entry)?;
    loaded.funcs.insert(entry.to_string(), f);
    Ok(f)
}
