//! Launching an `.entry` over items, checked and timed.

use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Mutex, OnceLock};

use cust::sys as cu;

use super::driver::{check, context, lock, Ctx};
use super::entry::{find_entry, EntrySig};
use super::module::get_or_load_func;
use super::{KernelParam, LaunchTiming};
use crate::{Device, Error, Result};

impl KernelParam {
    /// The value's native bytes at the start of an 8-byte slot (what the driver reads).
    pub(super) fn slot(&self) -> u64 {
        let mut b = [0u8; 8];
        match *self {
            KernelParam::U64(v) => b = v.to_ne_bytes(),
            KernelParam::I64(v) => b = v.to_ne_bytes(),
            KernelParam::F64(v) => b = v.to_ne_bytes(),
            KernelParam::U32(v) => b[..4].copy_from_slice(&v.to_ne_bytes()),
            KernelParam::I32(v) => b[..4].copy_from_slice(&v.to_ne_bytes()),
            KernelParam::F32(v) => b[..4].copy_from_slice(&v.to_ne_bytes()),
            KernelParam::U8(v) => b[0] = v,
        }
        u64::from_ne_bytes(b)
    }
}

/// Blocks to launch for `n_items` items: one thread per item, at most `max_grid` blocks.
pub(super) fn grid_size(n_items: u64, block: u32, max_grid: u32) -> u32 {
    let blocks = n_items.div_ceil(u64::from(block.max(1)));
    u32::try_from(blocks.min(u64::from(max_grid)))
        .unwrap_or(max_grid)
        .max(1)
}

/// The declaration of `entry` in `ptx`, parsed once per (PTX text, entry).
fn entry_sig(ptx: &'static str, entry: &str) -> std::result::Result<Option<Arc<EntrySig>>, String> {
    type Sigs = HashMap<(usize, usize), HashMap<String, Arc<EntrySig>>>;
    static CACHE: OnceLock<Mutex<Sigs>> = OnceLock::new();
    let key = (ptx.as_ptr().addr(), ptx.len());
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(sig) = lock(cache).get(&key).and_then(|m| m.get(entry)) {
        return Ok(Some(sig.clone()));
    }
    let Some(sig) = find_entry(ptx, entry)? else {
        return Ok(None);
    };
    let sig = Arc::new(sig);
    lock(cache)
        .entry(key)
        .or_default()
        .insert(entry.to_string(), sig.clone());
    Ok(Some(sig))
}

/// A CUDA event destroyed on drop.
struct Event(cu::CUevent);

impl Event {
    fn new() -> std::result::Result<Self, String> {
        let mut e: cu::CUevent = ptr::null_mut();
        // SAFETY: the out-parameter is live; a context is current.
        check(unsafe { cu::cuEventCreate(&mut e, 0) })?;
        Ok(Event(e))
    }

    fn record(&self) -> std::result::Result<(), String> {
        // SAFETY: a live event of the current context, on the default stream (null).
        check(unsafe { cu::cuEventRecord(self.0, ptr::null_mut()) })
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: the event was created by `cuEventCreate` and is destroyed once.
        let _ = unsafe { cu::cuEventDestroy_v2(self.0) };
    }
}

/// Runs the `.entry` named `entry` of the PTX module `ptx` on device `ordinal` over `n_items`
/// items and waits for it to finish.
///
/// `params` is the entry's complete parameter list in declared order (for an `#[xp_kernel]`
/// entry it starts with `KernelParam::U64(n_items)` and the fault record's address); each
/// must have its declared size, or nothing is launched. Blocks of 256 threads (fewer if the
/// function cannot run that many); as many blocks as the device keeps resident at once, or
/// fewer for few items: the entry must loop over items with a grid stride. `n_items == 0`
/// launches nothing (the device is still checked).
///
/// The module is JIT-compiled on the first launch on each device and cached for the process,
/// keyed by the address and length of `ptx` and the device. Errors: see the [module
/// documentation](super); a JIT failure's message carries the JIT log.
pub fn launch(
    ordinal: usize,
    ptx: &'static str,
    entry: &str,
    n_items: u64,
    params: &[KernelParam],
) -> Result<LaunchTiming> {
    let ctx = context(ordinal)?;
    let device = Device::Cuda(ordinal);
    let code_err = |kernel: &'static str, message: String| Error::DeviceCode {
        kernel,
        device,
        message,
    };
    let sig = match entry_sig(ptx, entry) {
        Ok(Some(sig)) => sig,
        Ok(None) => {
            return Err(code_err(
                "<unknown entry>",
                format!("launch of `{entry}` failed: the PTX module has no `.entry {entry}`"),
            ))
        }
        Err(e) => {
            return Err(code_err(
                "<unknown entry>",
                format!("launch of `{entry}` failed: {e}"),
            ))
        }
    };
    let kernel = sig.name;
    let declared: Vec<usize> = sig.params.iter().map(|p| p.1).collect();
    let given: Vec<usize> = params.iter().map(KernelParam::size).collect();
    if declared != given {
        let types: Vec<&str> = sig.params.iter().map(|p| p.0.as_str()).collect();
        return Err(code_err(
            kernel,
            format!(
                "launch of `{entry}` failed: expected {} parameters of {declared:?} bytes ({}), found {} of {given:?} bytes",
                declared.len(),
                types.join(", "),
                given.len(),
            ),
        ));
    }
    if n_items == 0 {
        return Ok(LaunchTiming::default());
    }
    let func = get_or_load_func(&ctx, ptx, entry).map_err(|e| code_err(kernel, e))?;
    run(&ctx, func, kernel, n_items, params).map_err(|e| code_err(kernel, e))
}

fn run(
    ctx: &Ctx,
    func: super::module::Func,
    entry: &str,
    n_items: u64,
    params: &[KernelParam],
) -> std::result::Result<LaunchTiming, String> {
    ctx.make_current().map_err(|e| e.to_string())?;
    let grid = grid_size(n_items, func.block, func.max_grid);
    let mut slots: Vec<u64> = params.iter().map(KernelParam::slot).collect();
    let mut ptrs: Vec<*mut c_void> = slots
        .iter_mut()
        .map(|s| ptr::from_mut(s).cast::<c_void>())
        .collect();
    let events = Event::new().and_then(|start| Ok((start, Event::new()?)));
    let (start, stop) =
        events.map_err(|e| format!("launch of `{entry}` failed: creating timing events: {e}"))?;
    start
        .record()
        .map_err(|e| format!("launch of `{entry}` failed: recording the start event: {e}"))?;
    // SAFETY: `func.raw` is a function of the current context; `ptrs` holds one pointer per
    // declared parameter (checked against the entry's declaration by the caller), each to an
    // 8-byte slot holding the value's bytes at its start, alive until after the synchronisation
    // below; no shared memory; the default stream; no `extra` options.
    let r = unsafe {
        cu::cuLaunchKernel(
            func.raw,
            grid,
            1,
            1,
            func.block,
            1,
            1,
            0,
            ptr::null_mut(),
            ptrs.as_mut_ptr(),
            ptr::null_mut(),
        )
    };
    check(r).map_err(|e| {
        format!(
            "launch of `{entry}` failed: {e} (grid {grid} x block {} for {n_items} items)",
            func.block
        )
    })?;
    let recorded = stop.record();
    // SAFETY: no arguments; waits for all work of the current context.
    check(unsafe { cu::cuCtxSynchronize() })
        .map_err(|e| format!("kernel `{entry}` failed while running: {e}"))?;
    drop(slots);
    recorded.map_err(|e| format!("timing `{entry}` failed: {e}"))?;
    let mut ms = 0f32;
    // SAFETY: both events were recorded on the default stream and have completed.
    check(unsafe { cu::cuEventElapsedTime(&mut ms, start.0, stop.0) })
        .map_err(|e| format!("timing `{entry}` failed: {e}"))?;
    Ok(LaunchTiming {
        kernel_seconds: f64::from(ms) / 1e3,
    })
}
