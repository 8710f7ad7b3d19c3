//! Write one numeric function for one voxel; run it over millions of voxels.
//!
//! `#[xp_kernel]` keeps the function as written (the single-voxel reference) and generates a
//! module of the same name whose `launch` runs the body over every item of the arrays passed,
//! on the device where those arrays live.
//!
//! ```
//! use ndarray::{array, Array2};
//! use osipy_kernels::xp_kernel;
//!
//! /// Mean of one row, and the row scaled by `gain`.
//! #[xp_kernel]
//! pub fn scale_and_mean(x: &[f64], #[uniform] gain: f64, out: &mut [f64]) -> f64 {
//!     let mut s = 0.0;
//!     for i in 0..x.len() {
//!         out[i] = gain * x[i];
//!         s += x[i];
//!     }
//!     s / x.len() as f64
//! }
//!
//! let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let mut out = Array2::<f64>::zeros((2, 3));
//! let mean = scale_and_mean::launch(&x, 2.0, &mut out).unwrap();
//! assert_eq!(mean.as_host().unwrap().as_slice().unwrap(), &[2.0, 5.0]);
//! assert_eq!(out[[1, 2]], 12.0);
//! // The original function is still there, for one voxel.
//! let mut row = [0.0; 3];
//! assert_eq!(scale_and_mean(&[1.0, 2.0, 3.0], 2.0, &mut row), 2.0);
//! ```
//!
//! Guides: [Writing a fit model](guide::writing_a_fit_model).

extern crate self as osipy_kernels;

mod args;
mod array;
mod cpu;
pub mod cuda;
mod device;
mod device_launch;
mod element;
pub mod emulator;
mod error;
pub mod fit;
pub mod guide;
mod lanes;
pub mod math;
pub mod ops;
mod plan;

pub use args::{HostIn, HostOut, IntoXpMut, IntoXpRef, XpMut, XpRef};
pub use array::{DeviceData, DeviceMem, XpArray};
pub use cpu::{force_cpu_fma, Fault, Site};
pub use device::{is_gpu_available, select_device, Device, Placed};
pub use device_launch::last_cuda_kernel_seconds;
pub use element::{Element, ScalarKind};
pub use error::{Error, Result};
pub use lanes::{cpu_lanes, force_cpu_lanes, with_cpu_lanes, CpuLanes};
pub use plan::{plan, ArgInfo, Plan, Role};

/// Marks a function as a kernel over items (voxels), or with `model` as a fit model.
///
/// ```text
/// #[xp_kernel]                       a kernel: `f::launch` runs the body over every item
/// #[xp_kernel(model)]                a fit model: also `f::fitter(..)`, a fused Levenberg-Marquardt fit
/// #[xp_kernel(model, samples = t)]   .. whose prediction follows the uniform row `t`
/// ```
///
/// Parameters: a scalar `x: f64` takes one value per item, a row `x: &[f64]` one row per item;
/// `#[uniform]` makes either the same for every item; outputs are `&mut [T]` (a row per item)
/// and `&mut T`; a return value (a scalar or a tuple) comes back as new arrays. In a fit model,
/// `#[param]` or `#[param(init = .., lower = .., upper = ..)]` marks the fitted `f64`
/// arguments, and the one output row is the prediction. The body is a subset of Rust (scalars,
/// `let`, arithmetic, `if`, `for`/`while`/`loop`, indexing, local arrays, `const` items of the
/// body, float intrinsics, structs of scalars marked [`xp_struct`], calls to other
/// `#[xp_kernel]` functions, by path, by name or brought in with `use`);
/// anything else is a compile error at its span that says what is supported. The crate
/// documentation and the README list the rules; [`guide::writing_a_fit_model`] is the guide to
/// fit models, with a complete example.
pub use osipy_macros::xp_kernel;

/// Marks a struct of scalars (`f32 f64 i32 u32 i64 u64 usize bool` fields, named) for use inside
/// kernels: as a local, a field read or written, a copy, an argument by value or by `&mut`, a
/// return value. The struct stays plain Rust; kernels flatten it into one scalar per field, so
/// every backend and the derivatives of fit models see scalars. A kernel with a struct
/// argument launches with one array per field (`acc_sum`, `acc_n` below). See *Structs and
/// constants* in the [guide](guide::writing_a_fit_model).
///
/// ```
/// use osipy_kernels::{xp_kernel, xp_struct};
///
/// /// A running sum and count.
/// #[xp_struct]
/// #[derive(Clone, Copy)]
/// pub struct Acc {
///     pub sum: f64,
///     pub n: usize,
/// }
///
/// #[xp_kernel]
/// pub fn add(acc: &mut Acc, x: f64) {
///     acc.sum += x;
///     acc.n += 1;
/// }
///
/// #[xp_kernel]
/// pub fn mean(x: &[f64]) -> f64 {
///     let mut acc = Acc { sum: 0.0, n: 0 };
///     for i in 0..x.len() {
///         add(&mut acc, x[i]);
///     }
///     acc.sum / acc.n as f64
/// }
///
/// # fn main() {
/// let x = ndarray::array![[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]];
/// let m = mean::launch(&x).unwrap();
/// assert_eq!(m.as_host().unwrap().as_slice().unwrap(), &[2.0, 6.0]);
/// # }
/// ```
pub use osipy_macros::xp_struct;

/// Items used by the code `#[xp_kernel]` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::cpu::{get, get_mut, has_fma, run_chunks, Fault, ReturnBuf, Site, SyncPtr};
    pub use crate::device_launch::{launch_device, DevArg, DevScalar, KernelInfo, ParamValue};
    pub use crate::element::ScalarKind;
    pub use crate::fit::{check_samples, FitOptions, FitPrep, FitResult, FitValues, LevenbergMarquardt};
    pub use crate::lanes::{any as lanes_any, cpu_lanes, select as lanes_select, CpuLanes, Faults, Rows};
    pub use crate::DeviceMem;

    /// Marker the macro writes into a PTX module whose math functions are not available on
    /// devices yet (must equal `osipy_macros`' `ptx::math::MISSING`).
    pub const MATH_MISSING: &str = "// osipy: math library functions missing";
    pub use crate::math;
    pub use crate::ops::{f32_ops, f64_ops, KernelInt};
    pub use crate::{
        plan, ArgInfo, Device, Element, Error, HostIn, HostOut, IntoXpMut, IntoXpRef, Result, Role, XpArray,
        XpMut, XpRef,
    };
    pub use osipy_macros::xp_inline;

    /// Implemented by `#[xp_struct]` for the struct it marks; a kernel that names a struct type
    /// requires it, so an unmarked struct is reported at its use.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a struct marked `#[xp_struct]`, so a kernel cannot use it",
        label = "not marked `#[xp_struct]`",
        note = "a kernel works on scalars (f32 f64 i32 u32 i64 u64 usize bool), rows, local arrays `[T; N]` and structs of scalars marked `#[xp_struct]` at their definition"
    )]
    pub trait XpStruct {}

    /// Compiles only for a struct marked `#[xp_struct]` (see [`XpStruct`]).
    pub const fn require_xp_struct<T: XpStruct + ?Sized>() {}
    pub use std::mem::MaybeUninit;
    pub use std::option::Option::{self, None, Some};
    pub use std::result::Result::{Err, Ok};
    pub use std::vec::Vec;
}
