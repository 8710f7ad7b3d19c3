//! File input and output for the `osipy` command.
//!
//! - [`nifti`]: NIfTI-1 and NIfTI-2 images (`.nii`, `.nii.gz`), read into an
//!   [`ndarray::ArrayD<f64>`] of shape `[x, y, z, t, ...]` with the voxel-to-world affine, and
//!   written as NIfTI-1 float32 or float64 with the geometry of an input image, atomically
//!   (temporary file in the same directory, fsync, rename).
//!
//! Every error names the file and says what was expected and what was found, on one line.

pub mod dicom;
pub mod nifti;
