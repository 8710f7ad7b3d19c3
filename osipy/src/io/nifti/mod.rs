//! NIfTI-1 and NIfTI-2 images: a reader and an atomic writer, written from the specifications
//! (`nifti1.h`, `nifti2.h`) without a NIfTI library.
//!
//! # Reading
//!
//! [`read`] accepts single-file images (`.nii`, magic `n+1` or `n+2`), optionally gzip-compressed
//! (recognised by the gzip magic bytes, whatever the file name; `.nii.gz` in practice), in
//! either byte order (detected from `sizeof_hdr`: 348 for NIfTI-1, 540 for NIfTI-2). The data
//! types uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32 and float64 are
//! converted to `f64` with `scl_slope` and `scl_inter` applied (`value * slope + inter`; a slope
//! of 0 means no scaling, as the standard says; see *Checks* for NaN and infinite ones). 64-bit
//! integers beyond 2^53 in magnitude lose precision in the conversion. Header/image pairs
//! (`.hdr`/`.img`, magic `ni1`/`ni2`), complex, RGB, binary and 128-bit types are refused with an
//! error that names them.
//!
//! # Bounds
//!
//! Nothing is allocated from a declared size before the file is known to hold it: the header is
//! read first, and the bytes it declares (`vox_offset` plus the product of `dim` times the type's
//! size) are checked against the file's length (uncompressed) or against what the compressed
//! length can expand to (deflate expands at most 1032-fold) and against
//! [`ReadOptions::max_image_bytes`] (default [`DEFAULT_MAX_IMAGE_BYTES`], 16 GiB) before any
//! buffer of that size exists. A gzip stream is decompressed only up to the declared end of the
//! data: bytes after it (uncompressed or compressed) are not read, and a note says so
//! ([`Nifti::notes`]); they are not an error, since NIfTI writers may pad.
//!
//! # Checks
//!
//! A non-finite voxel size or grid spacing (`pixdim[0..=max(3, dim[0])]`), a non-finite
//! quaternion or offset of a qform in use (`qform_code > 0`) or sform row in use
//! (`sform_code > 0`), and an infinite `scl_slope` or `scl_inter` are errors naming the field.
//! A NaN `scl_slope` reads the image unscaled and a NaN `scl_inter` counts as 0, each with a
//! note; a slope of 0 with a non-zero intercept reads unscaled (the standard) with a note that
//! the intercept is ignored. Notes are one line each and start with the file's path.
//!
//! # Array layout
//!
//! [`Nifti::data`] has one axis per image dimension, **`[x, y, z, t, ...]`** (`dim[1]` to
//! `dim[dim[0]]`, trailing axes of length 1 kept as the header gives them), so `data[[i, j, k, n]]`
//! is voxel `(i, j, k)` at frame `n`. The file stores `x` fastest (Fortran order); the array is
//! returned in **C (row-major) order**, the last axis fastest: for a 4D image each voxel's time
//! curve is contiguous in memory, which is what the per-voxel kernels want. [`write()`] accepts any
//! layout and stores it in the file's `x`-fastest order, so `read(write(a)) == a`.
//!
//! # Geometry
//!
//! [`Nifti::affine`] maps voxel indices `(i, j, k)` to world coordinates (in the spatial unit of
//! the header, usually mm): from the sform when `sform_code > 0`, else from the qform quaternion
//! when `qform_code > 0`, else `diag(pixdim[1], pixdim[2], pixdim[3], 1)` (the spec's "method 1").
//! As in the reference C library `nifti1_io`, non-positive `pixdim[1..=3]` count as 1 in the
//! qform and the pixdim affine, and `pixdim[0]` (qfac) is -1 when negative, else 1.
//! [`Header::time_step_s`] gives the frame spacing `pixdim[4]` in seconds, converted from ms or
//! µs when `xyzt_units` says so.
//!
//! # Writing
//!
//! [`write()`] writes NIfTI-1, little-endian, float32 or float64 ([`OutputType`]), gzip-compressed
//! when the name ends in `.gz`. With `like` (the input image) it copies the qform and sform
//! (codes, quaternion, offsets, rows), `pixdim[0..=3]`, `xyzt_units`, `dim_info` and `descrip`;
//! `pixdim[4..]` are copied for the axes whose length matches the input's, other axes get 1.
//! NIfTI-2 geometry is rounded to the float32 fields of NIfTI-1. The dims come from the data
//! (each at most 32767, 1 to 7 axes). The file is written under a temporary name in the same
//! directory, flushed and fsynced, then renamed over the target, so a reader never sees a partial
//! file and a failed write leaves neither the target nor a temporary file behind (an existing
//! target is left untouched).
//!
//! ```
//! use ndarray::{ArrayD, IxDyn};
//! use osipy::io::nifti::{self, OutputType};
//!
//! let dir = std::env::temp_dir().join(format!("osipy-nifti-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("ktrans.nii.gz");
//! let map = ArrayD::from_shape_fn(IxDyn(&[2, 3, 4]), |i| (i[0] + 10 * i[1] + 100 * i[2]) as f64);
//! nifti::write(&path, &map, None, OutputType::Float32).unwrap();
//!
//! let img = nifti::read(&path).unwrap();
//! img.expect_ndim(3).unwrap();
//! assert_eq!(img.data, map);
//! assert_eq!(img.data[[1, 2, 3]], 321.0);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod datatype;
mod error;
mod geometry;
mod header;
mod reader;
mod writer;

pub use datatype::{datatype_name, Datatype};
pub use error::NiftiError;
pub use geometry::AffineSource;
pub use header::{ByteOrder, Header, SpaceUnit, TimeUnit, Version};
pub use reader::{parse, read, read_with, Nifti, ReadOptions, DEFAULT_MAX_IMAGE_BYTES};
pub use writer::{write, OutputType};

/// Size in bytes of a NIfTI-1 header.
pub const NIFTI1_HEADER_SIZE: usize = 348;
/// Size in bytes of a NIfTI-2 header.
pub const NIFTI2_HEADER_SIZE: usize = 540;
const NIFTI2_MAGIC: [u8; 8] = *b"n+2\0\r\n\x1a\n";

/// A shape as `[a, b, c]`.
fn fmt_shape(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(|n| n.to_string()).collect();
    format!("[{}]", parts.join(", "))
}
