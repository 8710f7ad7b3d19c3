//! The one error type of the kernel runtime.

use crate::Device;

/// Everything that can go wrong when arrays are moved or a kernel is launched.
///
/// Every message names the kernel and the argument concerned, what was expected and what was
/// found. Shape and placement errors are detected before anything runs, so they leave every
/// output untouched.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument's shape does not fit the kernel's signature or the other arguments.
    #[error("kernel `{kernel}`, argument `{arg}`: expected {expected}, found {found}")]
    Shape {
        /// Kernel name.
        kernel: &'static str,
        /// Argument name as written in the kernel's signature.
        arg: &'static str,
        /// What the signature and the other arguments require.
        expected: String,
        /// What was passed.
        found: String,
    },
    /// Arrays of one launch live in different places.
    #[error(
        "kernel `{kernel}`, argument `{arg}`: expected an array on {expected} (where `{first}` is), \
         found one on {found}; move arrays explicitly with `to_device` / `to_host`"
    )]
    MixedPlacement {
        /// Kernel name, or `select_device` for [`crate::select_device`].
        kernel: &'static str,
        /// The argument whose placement differs.
        arg: String,
        /// The first array argument, which fixed the placement.
        first: String,
        /// Where `first` lives.
        expected: Device,
        /// Where `arg` lives.
        found: Device,
    },
    /// The device exists in this build but cannot be used (no GPU, bad ordinal, driver error).
    #[error("device {device} is unavailable: {reason}")]
    DeviceUnavailable {
        /// The device asked for.
        device: Device,
        /// Why it cannot be used.
        reason: String,
    },
    /// A CUDA device was asked for, but this build has no CUDA support.
    #[error(
        "{what} needs device {device}, but osipy-kernels was built without the `cuda` feature; \
         rebuild with `--features cuda` or use Device::Cpu / Device::Emulator"
    )]
    CudaNotCompiled {
        /// The operation that needed CUDA.
        what: String,
        /// The device asked for.
        device: Device,
    },
    /// The kernel has no code for the device the arrays live on yet.
    #[error("kernel `{kernel}`: no backend for {device} in this version; expected arrays on the CPU, found arrays on {device}")]
    BackendUnavailable {
        /// Kernel name.
        kernel: &'static str,
        /// Where the arrays live.
        device: Device,
    },
    /// The device could not run the kernel's generated code.
    #[error("kernel `{kernel}` on {device}: {message}")]
    DeviceCode {
        /// Kernel name.
        kernel: &'static str,
        /// The device.
        device: Device,
        /// What went wrong (module rejected, launch failed, unsupported feature).
        message: String,
    },
    /// An index in the kernel body was out of range; that item stopped, the others ran.
    #[error(
        "kernel `{kernel}`: item {item}: index {index} out of range for `{array}` of length {len} \
         (in `{function}`); the item stopped there"
    )]
    IndexOutOfBounds {
        /// Kernel that was launched.
        kernel: &'static str,
        /// Function whose body held the indexing (the kernel or a kernel it calls).
        function: &'static str,
        /// The row or local array indexed.
        array: &'static str,
        /// The item (flat index over the item axes, C order); the lowest faulting item is reported.
        item: usize,
        /// The index used.
        index: usize,
        /// The length of the row or array.
        len: usize,
    },
    /// The array's data does not fit the shape given.
    #[error("{context}: expected {expected} elements for shape {shape:?}, found {found}")]
    DataLength {
        /// What was being built.
        context: &'static str,
        /// The requested shape.
        shape: Vec<usize>,
        /// Elements the shape needs.
        expected: usize,
        /// Elements supplied.
        found: usize,
    },
    /// A setting of a fit (or another option) is out of its valid range.
    #[error("`{kernel}`: setting `{setting}`: expected {expected}, found {found}")]
    InvalidSetting {
        /// Kernel or model name.
        kernel: &'static str,
        /// The setting.
        setting: &'static str,
        /// What is valid.
        expected: String,
        /// What was given.
        found: String,
    },
    /// A macro expansion failed; the compile error explains why. Never returned by a program
    /// that compiled.
    #[error("kernel `{kernel}` failed to compile")]
    CompileFailed {
        /// Kernel name.
        kernel: &'static str,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
