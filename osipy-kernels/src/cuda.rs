//! The CUDA driver layer: devices, memory, PTX modules and launches, over cust 0.3.2 and its
//! raw bindings `cust::sys` (feature `cuda`).
//!
//! The API is the same in a build without the feature, so callers need no `cfg`: there
//! [`device_count`] is 0, [`is_gpu_available`] is `false`, and [`check_device`], every
//! [`CudaBuffer`] constructor and [`launch`] answer [`crate::Error::CudaNotCompiled`] (its
//! message says to build with `--features cuda`).
//!
//! Everything here is fallible and never panics: a missing driver, a machine without a GPU, a
//! bad ordinal, a PTX module the JIT rejects, a failing launch or a kernel that faults while
//! running all come back as [`crate::Error`]s:
//!
//! - [`crate::Error::DeviceUnavailable`] (device `cuda:N`): CUDA could not be initialised, no
//!   device has that ordinal (the message names the device count), or device memory could not
//!   be allocated or copied.
//! - [`crate::Error::DeviceCode`] (kernel = the entry): the JIT rejected the module (the message
//!   carries the JIT's error and info logs), the entry is missing or takes other parameters,
//!   `launch of `entry` failed: ...` (`cuLaunchKernel` refused) or
//!   `kernel `entry` failed while running: ...` (the error surfaced when synchronising).
//! - [`crate::Error::DataLength`]: a host slice whose length differs from the device buffer's.
//!
//! The pieces:
//!
//! - [`is_gpu_available`]: initialises CUDA once per process (`cust::init`) and counts devices.
//! - A per-device context cache: the primary context of each device is retained on first use and
//!   made current on the calling thread before every operation, so any thread may use any device.
//! - [`CudaBuffer`]: device memory with byte and [`crate::Element`] uploads and downloads.
//! - A module and function cache per (device, PTX text, entry): a module is loaded on first
//!   launch with the raw `cuModuleLoadDataEx` and the JIT's log buffers.
//! - [`launch`]: runs an entry over `n_items` items (the entry loops over items with a grid
//!   stride), with a launch configuration that fills the GPU, and times it with CUDA events.
//!
//! Linking: with the feature, binaries link `libcuda.so.1`. Where the library is present but no
//! GPU is (or the CI stub of `.ci/stub-libcuda` stands in for it), [`is_gpu_available`] is
//! `false` and every operation returns `DeviceUnavailable`.
//!
//! A kernel that faults while running (an illegal address, say) leaves the device's context
//! unusable for the rest of the process: CUDA reports the same error on every later call.

// Plain values, the same in every build.
mod param;
pub use param::{KernelParam, LaunchTiming};

// The driver layer, with the feature.
#[cfg(feature = "cuda")]
mod buffer;
#[cfg(feature = "cuda")]
mod driver;
#[cfg(feature = "cuda")]
mod entry;
#[cfg(feature = "cuda")]
mod launch;
#[cfg(feature = "cuda")]
mod module;
#[cfg(all(test, feature = "cuda"))]
mod tests;
#[cfg(feature = "cuda")]
pub use {
    buffer::CudaBuffer,
    driver::{check_device, device_count, is_gpu_available},
    launch::launch,
};

// Without it, the same API answering `Error::CudaNotCompiled`.
#[cfg(not(feature = "cuda"))]
mod not_built;
#[cfg(not(feature = "cuda"))]
pub use not_built::{check_device, device_count, is_gpu_available, launch, CudaBuffer};
