//! MRI perfusion analysis on `#[xp_kernel]` kernels.
//!
//! This crate holds the science; every per-voxel computation is an `#[xp_kernel]` function
//! that runs on the CPU (and, with the PTX backend, on a GPU) from the one body.
//!
//! ```
//! use ndarray::array;
//!
//! // Sample the curve (t, c) at shifted times, for two voxels at once.
//! let t = [0.0, 1.0, 2.0, 3.0];
//! let c = [0.0, 2.0, 4.0, 2.0];
//! let at = array![0.5, 2.5];
//! let v = osipy::interp::interp_linear::launch(&t, &c, &at).unwrap();
//! assert_eq!(v.as_host().unwrap().as_slice().unwrap(), &[1.0, 3.0]);
//! ```

pub mod aif;
pub mod conc;
pub mod dce;
mod error;
pub mod interp;
pub mod npy;
pub mod t1;

pub use error::{Error, Result};
