//! MRI perfusion analysis on `#[xp_kernel]` kernels.
//!
//! Every per-voxel computation of this crate is an `#[xp_kernel]` function, so it runs on the
//! CPU, on the PTX emulator and on CUDA from one body; the models are fit models
//! (`#[xp_kernel(model)]`) with a generated, fused Levenberg-Marquardt fit.
//!
//! Each modality is a pipeline from a volume to named maps ([`dce::VolumeFit`],
//! [`t1::VolumeFit`]; [`volume`] holds what they share), built on per-voxel kernels:
//!
//! ```
//! use ndarray::Array4;
//! use osipy::{aif, dce};
//!
//! let t: Vec<f64> = (0..60).map(|i| 4.0 * i as f64).collect(); // s
//! let cp = dce::plasma_from_blood(&aif::parker(&t, 20.0)?, 0.42)?; // plasma, mM
//! let curve = dce::Model::Tofts.curve(&t, &cp, &vec![0.0; 60], &[0.2, 0.3])?;
//! let conc = Array4::from_shape_fn((8, 8, 2, 60), |(.., k)| curve[k]); // [x, y, z, t]
//! let maps = dce::VolumeFit::new("tofts".parse()?, &t, &cp)
//!     .threads(2)
//!     .progress(|done, total| assert!(done <= total))
//!     .fit(&conc)?;
//! assert!((maps.get("ktrans").unwrap()[[7, 7, 1]] - 0.2).abs() < 1e-6); // /min
//! assert_eq!(maps.names(), ["ktrans", "ve", "r2", "chi2", "iterations", "status", "at_bound"]);
//! # Ok::<(), osipy::Error>(())
//! ```
//!
//! - [`dce`]: Tofts, extended Tofts, Patlak, 2CXM, 2CUM (each also with a fitted arterial delay),
//!   exact convolutions of a linear or cubic-spline AIF on any time grid, data-driven starts;
//! - [`aif`]: population AIFs (Parker, Georgiou, McGrath, Weinmann, Fritz-Hansen) and automatic
//!   AIF detection;
//! - [`conc`]: signal to concentration; [`t1`]: T1 mapping (VFA, Look-Locker);
//! - [`io`]: NIfTI files; [`npy`]: NumPy files; [`interp`]; [`volume`]: series, masks, chunks
//!   and maps of the pipelines.
//!
//! The `osipy` command is the crate `osipy-cli`; this crate compiles none of its dependencies
//! (argument parsing, YAML, PNG).
//!
//! ```
//! use ndarray::Array2;
//! use osipy::{aif, dce};
//!
//! // 80 samples 4 s apart; the Parker AIF (blood) arriving after 20 s, as plasma.
//! let t: Vec<f64> = (0..80).map(|i| 4.0 * i as f64).collect();
//! let cp = dce::plasma_from_blood(&aif::parker(&t, 20.0)?, 0.42)?;
//! // The curve between samples: the natural cubic spline (AifInterpolation::Linear: lines).
//! let cp2 = dce::plasma_curvature(&t, &cp, dce::AifInterpolation::Spline)?;
//!
//! // Two voxels made with the model itself, then fitted.
//! let (ktrans, ve, vp) = ([0.25, 0.1], [0.3, 0.5], [0.05, 0.02]);
//! let mut ct = Array2::<f64>::zeros((2, t.len()));
//! dce::extended_tofts::launch(&t, &cp, &cp2, &ktrans, &ve, &vp, &mut ct)?;
//! let fit = dce::extended_tofts::fitter(&t, &cp, &cp2).fit(&ct)?;
//! let p = fit.params.to_host()?; // voxels x [ktrans, ve, vp]
//! assert!((p[[0, 0]] - 0.25).abs() < 1e-6 && (p[[1, 1]] - 0.5).abs() < 1e-6);
//!
//! // Sample a curve at shifted times, for two voxels at once.
//! let v = osipy::interp::interp_linear::launch(&[0.0, 1.0, 2.0], &[0.0, 2.0, 4.0], &[0.5, 1.5])?;
//! assert_eq!(v.to_host()?.as_slice(), Some(&[1.0, 3.0][..]));
//! # Ok::<(), osipy::Error>(())
//! ```

pub mod aif;
pub mod asl;
pub mod conc;
pub mod dce;
pub mod dsc;
mod error;
pub mod interp;
pub mod io;
pub mod ivim;
pub mod npy;
pub mod t1;
pub mod volume;

pub use error::{Error, Result};
