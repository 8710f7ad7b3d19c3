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
//! of 0 or a non-finite slope means no scaling, a non-finite intercept counts as 0). 64-bit
//! integers beyond 2^53 in magnitude lose precision in the conversion. Header/image pairs
//! (`.hdr`/`.img`, magic `ni1`/`ni2`), complex, RGB, binary and 128-bit types are refused with an
//! error that names them.
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

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn, ShapeBuilder};

/// Size in bytes of a NIfTI-1 header.
pub const NIFTI1_HEADER_SIZE: usize = 348;
/// Size in bytes of a NIfTI-2 header.
pub const NIFTI2_HEADER_SIZE: usize = 540;
const NIFTI2_MAGIC: [u8; 8] = *b"n+2\0\r\n\x1a\n";

/// What can go wrong reading or writing a NIfTI file. Every message is one line that starts with
/// the file's path and says what was expected and what was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NiftiError {
    /// The file does not exist.
    #[error("{}: file not found (expected a NIfTI image, .nii or .nii.gz)", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// An operating-system error while reading or writing.
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done ("read", "create a temporary file for", ...).
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The gzip stream is corrupt or truncated.
    #[error("{}: cannot decompress: expected a complete gzip stream, found {message}", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// What the decompressor reported.
        message: String,
    },
    /// The file is not a NIfTI image (wrong `sizeof_hdr` or magic), or a kind not supported.
    #[error("{}: not a supported NIfTI file: expected {expected}, found {found}", path.display())]
    NotNifti {
        /// The file.
        path: PathBuf,
        /// What a NIfTI file has there.
        expected: String,
        /// What the file has.
        found: String,
    },
    /// The file ends before the header or the data does.
    #[error("{}: truncated {part}: expected at least {expected} bytes, found {found}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// `"header"` or `"data"`.
        part: &'static str,
        /// Bytes needed (after decompression).
        expected: u64,
        /// Bytes present (after decompression).
        found: u64,
    },
    /// The data type is not one this reader converts.
    #[error(
        "{}: unsupported datatype {code} ({name}): expected uint8, int8, int16, uint16, int32, \
         uint32, int64, uint64, float32 or float64",
        path.display()
    )]
    UnsupportedDatatype {
        /// The file.
        path: PathBuf,
        /// The `datatype` code.
        code: i16,
        /// Its NIfTI name (`"complex64"`, `"rgb24"`, ..., `"unknown"`).
        name: &'static str,
    },
    /// A header field has an invalid value.
    #[error("{}: invalid header field `{field}`: expected {expected}, found {found}", path.display())]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The field.
        field: &'static str,
        /// What is valid.
        expected: String,
        /// What the header holds.
        found: String,
    },
    /// The image's dimensions are not what the caller needs.
    #[error("{}: wrong dimensions: expected {expected}, found {found}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// What the caller needs.
        expected: String,
        /// What the image has.
        found: String,
    },
    /// The image holds no finite value (all NaN or infinite).
    #[error("{}: no usable data: expected at least one finite value, found {count} values all NaN or infinite", path.display())]
    NoFiniteData {
        /// The file.
        path: PathBuf,
        /// The number of values.
        count: usize,
    },
    /// The array given to [`write()`] cannot be stored as NIfTI-1.
    #[error("{}: cannot write: expected {expected}, found {found}", path.display())]
    InvalidData {
        /// The file.
        path: PathBuf,
        /// What can be written.
        expected: String,
        /// What was given.
        found: String,
    },
}

/// The NIfTI version of a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// NIfTI-1 (348-byte header, magic `n+1`).
    Nifti1,
    /// NIfTI-2 (540-byte header, magic `n+2\0\r\n\x1a\n`).
    Nifti2,
}

/// The byte order of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

/// The data types [`read`] converts, with their NIfTI codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    /// `DT_UINT8` (2).
    U8,
    /// `DT_INT8` (256).
    I8,
    /// `DT_INT16` (4).
    I16,
    /// `DT_UINT16` (512).
    U16,
    /// `DT_INT32` (8).
    I32,
    /// `DT_UINT32` (768).
    U32,
    /// `DT_INT64` (1024).
    I64,
    /// `DT_UINT64` (1280).
    U64,
    /// `DT_FLOAT32` (16).
    F32,
    /// `DT_FLOAT64` (64).
    F64,
}

impl Datatype {
    /// The type for a NIfTI `datatype` code, `None` when unsupported.
    pub fn from_code(code: i16) -> Option<Self> {
        Some(match code {
            2 => Self::U8,
            256 => Self::I8,
            4 => Self::I16,
            512 => Self::U16,
            8 => Self::I32,
            768 => Self::U32,
            1024 => Self::I64,
            1280 => Self::U64,
            16 => Self::F32,
            64 => Self::F64,
            _ => return None,
        })
    }

    /// The NIfTI `datatype` code.
    pub fn code(self) -> i16 {
        match self {
            Self::U8 => 2,
            Self::I8 => 256,
            Self::I16 => 4,
            Self::U16 => 512,
            Self::I32 => 8,
            Self::U32 => 768,
            Self::I64 => 1024,
            Self::U64 => 1280,
            Self::F32 => 16,
            Self::F64 => 64,
        }
    }

    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::I16 | Self::U16 => 2,
            Self::I32 | Self::U32 | Self::F32 => 4,
            Self::I64 | Self::U64 | Self::F64 => 8,
        }
    }
}

/// The NIfTI name of a `datatype` code (`"unknown"` for codes the spec does not define).
pub fn datatype_name(code: i16) -> &'static str {
    match code {
        0 => "unknown",
        1 => "binary",
        2 => "uint8",
        4 => "int16",
        8 => "int32",
        16 => "float32",
        32 => "complex64",
        64 => "float64",
        128 => "rgb24",
        256 => "int8",
        512 => "uint16",
        768 => "uint32",
        1024 => "int64",
        1280 => "uint64",
        1536 => "float128",
        1792 => "complex128",
        2048 => "complex256",
        2304 => "rgba32",
        _ => "not a NIfTI datatype",
    }
}

/// The spatial unit of `xyzt_units` (bits 0-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceUnit {
    /// Code 0: not given.
    Unknown,
    /// Code 1: metre.
    Meter,
    /// Code 2: millimetre.
    Millimeter,
    /// Code 3: micrometre.
    Micron,
}

impl SpaceUnit {
    /// Millimetres per unit; `None` when unknown.
    pub fn to_mm(self) -> Option<f64> {
        match self {
            Self::Unknown => None,
            Self::Meter => Some(1000.0),
            Self::Millimeter => Some(1.0),
            Self::Micron => Some(0.001),
        }
    }
}

/// The temporal unit of `xyzt_units` (bits 3-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Code 0: not given.
    Unknown,
    /// Code 8: second.
    Second,
    /// Code 16: millisecond.
    Millisecond,
    /// Code 24: microsecond.
    Microsecond,
    /// Code 32: hertz (the 4th axis is not time).
    Hertz,
    /// Code 40: parts per million (the 4th axis is not time).
    Ppm,
    /// Code 48: radians per second (the 4th axis is not time).
    RadPerSec,
    /// Any other code.
    Other(u8),
}

impl TimeUnit {
    /// Seconds per unit; `None` when the unit is unknown or not a time.
    pub fn to_seconds(self) -> Option<f64> {
        match self {
            Self::Second => Some(1.0),
            Self::Millisecond => Some(1e-3),
            Self::Microsecond => Some(1e-6),
            _ => None,
        }
    }
}

/// Where [`Nifti::affine`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AffineSource {
    /// The sform rows (`sform_code > 0`).
    Sform,
    /// The qform quaternion (`sform_code <= 0`, `qform_code > 0`).
    Qform,
    /// The voxel sizes alone (both codes 0).
    Pixdim,
}

/// The decoded header of a NIfTI-1 or NIfTI-2 file (NIfTI-1 fields widened to the NIfTI-2
/// types), with the raw bytes as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// NIfTI-1 or NIfTI-2.
    pub version: Version,
    /// The byte order of the file.
    pub byte_order: ByteOrder,
    /// `dim[1..=dim[0]]`: the length of each axis, `[x, y, z, t, ...]`.
    pub dim: Vec<usize>,
    /// The stored data type.
    pub datatype: Datatype,
    /// Bits per value as stored in the header (not checked: the data type decides).
    pub bitpix: i16,
    /// `pixdim[0..8]`: qfac, then the grid spacing of each axis in the units of `xyzt_units`.
    pub pixdim: [f64; 8],
    /// Byte offset of the data in the (decompressed) file.
    pub vox_offset: u64,
    /// Scaling slope (0: none).
    pub scl_slope: f64,
    /// Scaling intercept.
    pub scl_inter: f64,
    /// Raw `xyzt_units` (see [`Header::space_unit`], [`Header::time_unit`]).
    pub xyzt_units: u8,
    /// `dim_info`: frequency, phase and slice axes (2 bits each).
    pub dim_info: u8,
    /// `intent_code`.
    pub intent_code: i32,
    /// `intent_p1..3`.
    pub intent_p: [f64; 3],
    /// `intent_name`.
    pub intent_name: String,
    /// `slice_code`.
    pub slice_code: i32,
    /// `slice_start`.
    pub slice_start: i64,
    /// `slice_end`.
    pub slice_end: i64,
    /// `slice_duration`, in the time unit of `xyzt_units`.
    pub slice_duration: f64,
    /// `toffset`: time of the first frame, in the time unit of `xyzt_units`.
    pub toffset: f64,
    /// `cal_min`, display range.
    pub cal_min: f64,
    /// `cal_max`, display range.
    pub cal_max: f64,
    /// `descrip`.
    pub descrip: String,
    /// `aux_file`.
    pub aux_file: String,
    /// `qform_code` (0: no qform).
    pub qform_code: i32,
    /// `sform_code` (0: no sform).
    pub sform_code: i32,
    /// `quatern_b`, `quatern_c`, `quatern_d`.
    pub quatern: [f64; 3],
    /// `qoffset_x`, `qoffset_y`, `qoffset_z`.
    pub qoffset: [f64; 3],
    /// `srow_x`, `srow_y`, `srow_z`.
    pub srow: [[f64; 4]; 3],
    /// The header bytes as read (348 or 540, in the file's byte order).
    pub raw: Vec<u8>,
}

impl Header {
    /// The spatial unit of `pixdim[1..=3]` and of the affine.
    pub fn space_unit(&self) -> SpaceUnit {
        match self.xyzt_units & 0x07 {
            1 => SpaceUnit::Meter,
            2 => SpaceUnit::Millimeter,
            3 => SpaceUnit::Micron,
            _ => SpaceUnit::Unknown,
        }
    }

    /// The unit of `pixdim[4]`, `toffset` and `slice_duration`.
    pub fn time_unit(&self) -> TimeUnit {
        match self.xyzt_units & 0x38 {
            0 => TimeUnit::Unknown,
            8 => TimeUnit::Second,
            16 => TimeUnit::Millisecond,
            24 => TimeUnit::Microsecond,
            32 => TimeUnit::Hertz,
            40 => TimeUnit::Ppm,
            48 => TimeUnit::RadPerSec,
            other => TimeUnit::Other(other),
        }
    }

    /// The spacing of the 4th axis, `pixdim[4]`, in seconds; `None` when the image has fewer than
    /// 4 axes or the time unit is unknown or not a time.
    pub fn time_step_s(&self) -> Option<f64> {
        if self.dim.len() < 4 {
            return None;
        }
        Some(self.pixdim[4] * self.time_unit().to_seconds()?)
    }

    /// `toffset` in seconds; `None` when the time unit is unknown or not a time.
    pub fn toffset_s(&self) -> Option<f64> {
        Some(self.toffset * self.time_unit().to_seconds()?)
    }

    /// The voxel size `pixdim[1..=3]` in the spatial unit of the header.
    pub fn voxel_size(&self) -> [f64; 3] {
        [self.pixdim[1], self.pixdim[2], self.pixdim[3]]
    }

    /// The voxel-to-world affine and where it comes from (see the module docs).
    pub fn affine(&self) -> ([[f64; 4]; 4], AffineSource) {
        let s = |v: f64| if v > 0.0 { v } else { 1.0 };
        if self.sform_code > 0 {
            let r = self.srow;
            ([r[0], r[1], r[2], [0.0, 0.0, 0.0, 1.0]], AffineSource::Sform)
        } else if self.qform_code > 0 {
            (self.qform_affine(), AffineSource::Qform)
        } else {
            let p = &self.pixdim;
            let a = [
                [s(p[1]), 0.0, 0.0, 0.0],
                [0.0, s(p[2]), 0.0, 0.0],
                [0.0, 0.0, s(p[3]), 0.0],
                [0.0, 0.0, 0.0, 1.0],
            ];
            (a, AffineSource::Pixdim)
        }
    }

    /// The qform affine from the quaternion, `qoffset`, `pixdim[1..=3]` and qfac (as
    /// `nifti_quatern_to_mat44` of `nifti1_io`), whatever `qform_code` says.
    pub fn qform_affine(&self) -> [[f64; 4]; 4] {
        let [mut b, mut c, mut d] = self.quatern;
        let mut a = 1.0 - (b * b + c * c + d * d);
        if a < 1e-7 {
            // Not a unit quaternion: normalise (b, c, d), a 180-degree rotation.
            let n = 1.0 / (b * b + c * c + d * d).sqrt();
            b *= n;
            c *= n;
            d *= n;
            a = 0.0;
        } else {
            a = a.sqrt();
        }
        let s = |v: f64| if v > 0.0 { v } else { 1.0 };
        let (xd, yd) = (s(self.pixdim[1]), s(self.pixdim[2]));
        let qfac = if self.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let zd = s(self.pixdim[3]) * qfac;
        let [ox, oy, oz] = self.qoffset;
        [
            [
                (a * a + b * b - c * c - d * d) * xd,
                2.0 * (b * c - a * d) * yd,
                2.0 * (b * d + a * c) * zd,
                ox,
            ],
            [
                2.0 * (b * c + a * d) * xd,
                (a * a + c * c - b * b - d * d) * yd,
                2.0 * (c * d - a * b) * zd,
                oy,
            ],
            [
                2.0 * (b * d - a * c) * xd,
                2.0 * (c * d + a * b) * yd,
                (a * a + d * d - c * c - b * b) * zd,
                oz,
            ],
            [0.0, 0.0, 0.0, 1.0],
        ]
    }
}

/// An image read by [`read`].
#[derive(Debug, Clone, PartialEq)]
pub struct Nifti {
    /// The file it was read from (named by the error helpers).
    pub path: PathBuf,
    /// The header.
    pub header: Header,
    /// The values, scaled, shape `[x, y, z, t, ...]`, C order (see the module docs).
    pub data: ArrayD<f64>,
    /// Voxel-to-world affine (world in the spatial unit of the header, usually mm).
    pub affine: [[f64; 4]; 4],
    /// Where [`Nifti::affine`] comes from.
    pub affine_source: AffineSource,
}

impl Nifti {
    /// The shape, `[x, y, z, t, ...]`.
    pub fn shape(&self) -> &[usize] {
        self.data.shape()
    }

    /// The spacing of the 4th axis in seconds (see [`Header::time_step_s`]).
    pub fn time_step_s(&self) -> Option<f64> {
        self.header.time_step_s()
    }

    /// Errors unless the image has exactly `n` axes.
    pub fn expect_ndim(&self, n: usize) -> Result<(), NiftiError> {
        if self.data.ndim() == n {
            Ok(())
        } else {
            Err(self.shape_error(format!("a {n}D image")))
        }
    }

    /// Errors unless the image has between `min` and `max` axes (inclusive).
    pub fn expect_ndim_in(&self, min: usize, max: usize) -> Result<(), NiftiError> {
        if (min..=max).contains(&self.data.ndim()) {
            Ok(())
        } else {
            Err(self.shape_error(format!("a {min}D to {max}D image")))
        }
    }

    /// Errors unless the shape is `shape` exactly.
    pub fn expect_shape(&self, shape: &[usize]) -> Result<(), NiftiError> {
        if self.data.shape() == shape {
            Ok(())
        } else {
            Err(self.shape_error(format!("shape {}", fmt_shape(shape))))
        }
    }

    /// Errors unless the first three axes (`x, y, z`; missing ones count as 1) equal `xyz`, e.g.
    /// a mask or a T1 map against a 4D series.
    pub fn expect_spatial_shape(&self, xyz: [usize; 3]) -> Result<(), NiftiError> {
        if self.spatial_shape() == xyz {
            Ok(())
        } else {
            Err(self.shape_error(format!("spatial shape {}", fmt_shape(&xyz))))
        }
    }

    /// The first three axes, missing ones counted as 1.
    pub fn spatial_shape(&self) -> [usize; 3] {
        let s = self.data.shape();
        [0, 1, 2].map(|i| s.get(i).copied().unwrap_or(1))
    }

    /// Errors when no value is finite (all NaN or infinite, or no values).
    pub fn expect_some_finite(&self) -> Result<(), NiftiError> {
        if self.data.iter().any(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(NiftiError::NoFiniteData {
                path: self.path.clone(),
                count: self.data.len(),
            })
        }
    }

    fn shape_error(&self, expected: String) -> NiftiError {
        NiftiError::Shape {
            path: self.path.clone(),
            expected,
            found: format!(
                "a {}D image of shape {}",
                self.data.ndim(),
                fmt_shape(self.data.shape())
            ),
        }
    }
}

fn fmt_shape(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(|n| n.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Reads a NIfTI-1 or NIfTI-2 image (`.nii` or gzip-compressed `.nii.gz`); see the module docs
/// for what is supported and the layout of the array.
pub fn read(path: impl AsRef<Path>) -> Result<Nifti, NiftiError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            NiftiError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            NiftiError::Io {
                path: path.to_path_buf(),
                action: "read",
                source: e,
            }
        }
    })?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| NiftiError::Gzip {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        out
    } else {
        bytes
    };
    parse(path, &bytes)
}

/// Parses the (decompressed) bytes of a `.nii` file; `path` labels the errors and is stored in
/// [`Nifti::path`].
pub fn parse(path: impl AsRef<Path>, bytes: &[u8]) -> Result<Nifti, NiftiError> {
    let path = path.as_ref();
    let header = parse_header(path, bytes)?;
    let n = header.dim.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let needed = n
        .and_then(|n| n.checked_mul(header.datatype.size()))
        .and_then(|b| b.checked_add(usize::try_from(header.vox_offset).ok()?));
    let (Some(n), Some(needed)) = (n, needed) else {
        return Err(bad_header(
            path,
            "dim",
            "an image whose size fits in memory",
            fmt_shape(&header.dim),
        ));
    };
    if bytes.len() < needed {
        return Err(NiftiError::Truncated {
            path: path.to_path_buf(),
            part: "data",
            expected: needed as u64,
            found: bytes.len() as u64,
        });
    }
    let body = &bytes[header.vox_offset as usize..needed];
    let values = decode(body, header.datatype, header.byte_order, n);
    let (slope, inter) = (header.scl_slope, header.scl_inter);
    let values = if slope != 0.0 && slope.is_finite() {
        let inter = if inter.is_finite() { inter } else { 0.0 };
        values.into_iter().map(|v| v * slope + inter).collect()
    } else {
        values
    };
    let shape = IxDyn(&header.dim);
    let data = ArrayD::from_shape_vec(shape.f(), values)
        .map_err(|e| bad_header(path, "dim", "a consistent shape", e.to_string()))?;
    let data = data.as_standard_layout().into_owned();
    let (affine, affine_source) = header.affine();
    Ok(Nifti {
        path: path.to_path_buf(),
        header,
        data,
        affine,
        affine_source,
    })
}

fn bad_header(path: &Path, field: &'static str, expected: &str, found: String) -> NiftiError {
    NiftiError::BadHeader {
        path: path.to_path_buf(),
        field,
        expected: expected.to_string(),
        found,
    }
}

/// Reads fields of a header in its byte order.
struct Fields<'a> {
    b: &'a [u8],
    be: bool,
}

impl Fields<'_> {
    fn bytes<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.b[off..off + N]);
        a
    }
    fn i16(&self, off: usize) -> i16 {
        let a = self.bytes(off);
        if self.be {
            i16::from_be_bytes(a)
        } else {
            i16::from_le_bytes(a)
        }
    }
    fn i32(&self, off: usize) -> i32 {
        let a = self.bytes(off);
        if self.be {
            i32::from_be_bytes(a)
        } else {
            i32::from_le_bytes(a)
        }
    }
    fn i64(&self, off: usize) -> i64 {
        let a = self.bytes(off);
        if self.be {
            i64::from_be_bytes(a)
        } else {
            i64::from_le_bytes(a)
        }
    }
    fn f32(&self, off: usize) -> f64 {
        let a = self.bytes(off);
        f64::from(if self.be {
            f32::from_be_bytes(a)
        } else {
            f32::from_le_bytes(a)
        })
    }
    fn f64(&self, off: usize) -> f64 {
        let a = self.bytes(off);
        if self.be {
            f64::from_be_bytes(a)
        } else {
            f64::from_le_bytes(a)
        }
    }
    fn text(&self, off: usize, len: usize) -> String {
        let s = &self.b[off..off + len];
        let end = s.iter().position(|&c| c == 0).unwrap_or(len);
        String::from_utf8_lossy(&s[..end]).into_owned()
    }
}

fn parse_header(path: &Path, bytes: &[u8]) -> Result<Header, NiftiError> {
    let not_nifti = |found: String| NiftiError::NotNifti {
        path: path.to_path_buf(),
        expected: "sizeof_hdr 348 (NIfTI-1) or 540 (NIfTI-2) in either byte order".into(),
        found,
    };
    if bytes.len() < 4 {
        return Err(not_nifti(format!("a file of {} bytes", bytes.len())));
    }
    let first = [bytes[0], bytes[1], bytes[2], bytes[3]];
    let (version, byte_order) = match (i32::from_le_bytes(first), i32::from_be_bytes(first)) {
        (348, _) => (Version::Nifti1, ByteOrder::Little),
        (540, _) => (Version::Nifti2, ByteOrder::Little),
        (_, 348) => (Version::Nifti1, ByteOrder::Big),
        (_, 540) => (Version::Nifti2, ByteOrder::Big),
        (le, _) => return Err(not_nifti(format!("sizeof_hdr {le}"))),
    };
    let size = match version {
        Version::Nifti1 => NIFTI1_HEADER_SIZE,
        Version::Nifti2 => NIFTI2_HEADER_SIZE,
    };
    if bytes.len() < size {
        return Err(NiftiError::Truncated {
            path: path.to_path_buf(),
            part: "header",
            expected: size as u64,
            found: bytes.len() as u64,
        });
    }
    let f = Fields {
        b: &bytes[..size],
        be: byte_order == ByteOrder::Big,
    };
    let bad_magic = |expected: &str, found: &[u8]| NiftiError::NotNifti {
        path: path.to_path_buf(),
        expected: expected.to_string(),
        found: format!("magic {:?}", String::from_utf8_lossy(found)),
    };
    let h = match version {
        Version::Nifti1 => {
            let magic = &bytes[344..348];
            if magic == b"ni1\0" {
                return Err(bad_magic(
                    "a single-file image (magic \"n+1\"); .hdr/.img pairs are not supported",
                    magic,
                ));
            }
            if magic != b"n+1\0" {
                return Err(bad_magic("magic \"n+1\" (NIfTI-1)", magic));
            }
            let dim: [i64; 8] = std::array::from_fn(|i| i64::from(f.i16(40 + 2 * i)));
            let vox = f.f32(108);
            RawHeader {
                dim,
                datatype: f.i16(70),
                bitpix: f.i16(72),
                pixdim: std::array::from_fn(|i| f.f32(76 + 4 * i)),
                vox_offset: if vox.is_finite() && vox >= 0.0 {
                    vox.floor() as i64
                } else {
                    -1
                },
                scl_slope: f.f32(112),
                scl_inter: f.f32(116),
                xyzt_units: f.b[123],
                dim_info: f.b[39],
                intent_code: i32::from(f.i16(68)),
                intent_p: [f.f32(56), f.f32(60), f.f32(64)],
                intent_name: f.text(328, 16),
                slice_code: i32::from(f.b[122]),
                slice_start: i64::from(f.i16(74)),
                slice_end: i64::from(f.i16(120)),
                slice_duration: f.f32(132),
                toffset: f.f32(136),
                cal_min: f.f32(128),
                cal_max: f.f32(124),
                descrip: f.text(148, 80),
                aux_file: f.text(228, 24),
                qform_code: i32::from(f.i16(252)),
                sform_code: i32::from(f.i16(254)),
                quatern: [f.f32(256), f.f32(260), f.f32(264)],
                qoffset: [f.f32(268), f.f32(272), f.f32(276)],
                srow: std::array::from_fn(|r| std::array::from_fn(|c| f.f32(280 + 16 * r + 4 * c))),
            }
        }
        Version::Nifti2 => {
            let magic = &bytes[4..12];
            if &magic[..4] == b"ni2\0" {
                return Err(bad_magic(
                    "a single-file image (magic \"n+2\"); .hdr/.img pairs are not supported",
                    magic,
                ));
            }
            if magic != NIFTI2_MAGIC {
                return Err(bad_magic("magic \"n+2\\0\\r\\n\\x1a\\n\" (NIfTI-2)", magic));
            }
            RawHeader {
                dim: std::array::from_fn(|i| f.i64(16 + 8 * i)),
                datatype: f.i16(12),
                bitpix: f.i16(14),
                pixdim: std::array::from_fn(|i| f.f64(104 + 8 * i)),
                vox_offset: f.i64(168),
                scl_slope: f.f64(176),
                scl_inter: f.f64(184),
                xyzt_units: f.i32(500).clamp(0, 255) as u8,
                dim_info: f.b[524],
                intent_code: f.i32(504),
                intent_p: [f.f64(80), f.f64(88), f.f64(96)],
                intent_name: f.text(508, 16),
                slice_code: f.i32(496),
                slice_start: f.i64(224),
                slice_end: f.i64(232),
                slice_duration: f.f64(208),
                toffset: f.f64(216),
                cal_min: f.f64(200),
                cal_max: f.f64(192),
                descrip: f.text(240, 80),
                aux_file: f.text(320, 24),
                qform_code: f.i32(344),
                sform_code: f.i32(348),
                quatern: [f.f64(352), f.f64(360), f.f64(368)],
                qoffset: [f.f64(376), f.f64(384), f.f64(392)],
                srow: std::array::from_fn(|r| std::array::from_fn(|c| f.f64(400 + 32 * r + 8 * c))),
            }
        }
    };
    let ndim = h.dim[0];
    if !(1..=7).contains(&ndim) {
        return Err(bad_header(path, "dim[0]", "1 to 7 axes", ndim.to_string()));
    }
    let mut dim = Vec::with_capacity(ndim as usize);
    for (i, &d) in h.dim.iter().enumerate().skip(1).take(ndim as usize) {
        match usize::try_from(d) {
            Ok(d) if d >= 1 => dim.push(d),
            _ => {
                return Err(NiftiError::BadHeader {
                    path: path.to_path_buf(),
                    field: "dim",
                    expected: format!("dim[{i}] >= 1"),
                    found: d.to_string(),
                })
            }
        }
    }
    let Some(datatype) = Datatype::from_code(h.datatype) else {
        return Err(NiftiError::UnsupportedDatatype {
            path: path.to_path_buf(),
            code: h.datatype,
            name: datatype_name(h.datatype),
        });
    };
    let vox_offset = match u64::try_from(h.vox_offset) {
        Ok(v) if v >= size as u64 => v,
        _ => {
            return Err(bad_header(
                path,
                "vox_offset",
                &format!("at least the header size {size}"),
                h.vox_offset.to_string(),
            ))
        }
    };
    Ok(Header {
        version,
        byte_order,
        dim,
        datatype,
        bitpix: h.bitpix,
        pixdim: h.pixdim,
        vox_offset,
        scl_slope: h.scl_slope,
        scl_inter: h.scl_inter,
        xyzt_units: h.xyzt_units,
        dim_info: h.dim_info,
        intent_code: h.intent_code,
        intent_p: h.intent_p,
        intent_name: h.intent_name,
        slice_code: h.slice_code,
        slice_start: h.slice_start,
        slice_end: h.slice_end,
        slice_duration: h.slice_duration,
        toffset: h.toffset,
        cal_min: h.cal_min,
        cal_max: h.cal_max,
        descrip: h.descrip,
        aux_file: h.aux_file,
        qform_code: h.qform_code,
        sform_code: h.sform_code,
        quatern: h.quatern,
        qoffset: h.qoffset,
        srow: h.srow,
        raw: bytes[..size].to_vec(),
    })
}

/// The header fields of either version before validation.
struct RawHeader {
    dim: [i64; 8],
    datatype: i16,
    bitpix: i16,
    pixdim: [f64; 8],
    vox_offset: i64,
    scl_slope: f64,
    scl_inter: f64,
    xyzt_units: u8,
    dim_info: u8,
    intent_code: i32,
    intent_p: [f64; 3],
    intent_name: String,
    slice_code: i32,
    slice_start: i64,
    slice_end: i64,
    slice_duration: f64,
    toffset: f64,
    cal_min: f64,
    cal_max: f64,
    descrip: String,
    aux_file: String,
    qform_code: i32,
    sform_code: i32,
    quatern: [f64; 3],
    qoffset: [f64; 3],
    srow: [[f64; 4]; 3],
}

/// Converts `n` stored values (in file order) to `f64`; `body` holds exactly `n` values.
fn decode(body: &[u8], dt: Datatype, order: ByteOrder, n: usize) -> Vec<f64> {
    macro_rules! conv {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            let mut out = Vec::with_capacity(n);
            for c in body.chunks_exact(N) {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                let v = match order {
                    ByteOrder::Little => <$t>::from_le_bytes(a),
                    ByteOrder::Big => <$t>::from_be_bytes(a),
                };
                out.push(v as f64);
            }
            out
        }};
    }
    match dt {
        Datatype::U8 => conv!(u8),
        Datatype::I8 => conv!(i8),
        Datatype::I16 => conv!(i16),
        Datatype::U16 => conv!(u16),
        Datatype::I32 => conv!(i32),
        Datatype::U32 => conv!(u32),
        Datatype::I64 => conv!(i64),
        Datatype::U64 => conv!(u64),
        Datatype::F32 => conv!(f32),
        Datatype::F64 => conv!(f64),
    }
}

/// The type of the values [`write()`] stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    /// `DT_FLOAT32` (values of an `f64` array are rounded to the nearest `f32`).
    Float32,
    /// `DT_FLOAT64`.
    Float64,
}

impl fmt::Display for OutputType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Float32 => "float32",
            Self::Float64 => "float64",
        })
    }
}

/// Writes `data` (shape `[x, y, z, t, ...]`, any memory layout, `f32` or `f64`) as a NIfTI-1
/// image of type `dtype`, with the geometry, units and description of `like` when given (see
/// the module docs), gzip-compressed when `path` ends in `.gz`, atomically: the target is
/// either replaced by the complete file or, on any error, left as it was, with no temporary
/// file left behind.
pub fn write<A, S, D>(
    path: impl AsRef<Path>,
    data: &ArrayBase<S, D>,
    like: Option<&Nifti>,
    dtype: OutputType,
) -> Result<(), NiftiError>
where
    A: Copy + Into<f64>,
    S: Data<Elem = A>,
    D: Dimension,
{
    let path = path.as_ref();
    let header = build_header(path, data.shape(), like.map(|n| &n.header), dtype)?;
    let size = match dtype {
        OutputType::Float32 => 4,
        OutputType::Float64 => 8,
    };
    let mut bytes = Vec::with_capacity(352 + data.len() * size);
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&[0; 4]);
    // File order: x fastest, i.e. C order of the reversed axes.
    let file_order = data.view().reversed_axes();
    match dtype {
        OutputType::Float32 => {
            for &v in file_order.iter() {
                bytes.extend_from_slice(&(v.into() as f32).to_le_bytes());
            }
        }
        OutputType::Float64 => {
            for &v in file_order.iter() {
                bytes.extend_from_slice(&v.into().to_le_bytes());
            }
        }
    }
    let gz = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    write_atomic(path, &bytes, gz)
}

fn build_header(
    path: &Path,
    shape: &[usize],
    like: Option<&Header>,
    dtype: OutputType,
) -> Result<[u8; NIFTI1_HEADER_SIZE], NiftiError> {
    let invalid = |expected: &str| NiftiError::InvalidData {
        path: path.to_path_buf(),
        expected: expected.to_string(),
        found: format!("an array of shape {}", fmt_shape(shape)),
    };
    if !(1..=7).contains(&shape.len()) {
        return Err(invalid("an array of 1 to 7 axes"));
    }
    if shape.iter().any(|&d| d == 0 || d > i16::MAX as usize) {
        return Err(invalid("every axis of length 1 to 32767 (NIfTI-1)"));
    }
    let mut h = [0u8; NIFTI1_HEADER_SIZE];
    let mut put = |off: usize, b: &[u8]| h[off..off + b.len()].copy_from_slice(b);
    put(0, &348i32.to_le_bytes());
    put(38, b"r");
    put(40, &(shape.len() as i16).to_le_bytes());
    for (i, &d) in shape.iter().enumerate() {
        put(42 + 2 * i, &(d as i16).to_le_bytes());
    }
    for i in shape.len() + 1..8 {
        put(40 + 2 * i, &1i16.to_le_bytes());
    }
    let (code, bitpix) = match dtype {
        OutputType::Float32 => (16i16, 32i16),
        OutputType::Float64 => (64, 64),
    };
    put(70, &code.to_le_bytes());
    put(72, &bitpix.to_le_bytes());
    let mut pixdim = [1.0f64; 8];
    if let Some(l) = like {
        pixdim[..4].copy_from_slice(&l.pixdim[..4]);
        for i in 4..=shape.len() {
            if l.dim.get(i - 1) == Some(&shape[i - 1]) {
                pixdim[i] = l.pixdim[i];
            }
        }
    }
    for (i, p) in pixdim.iter().enumerate() {
        put(76 + 4 * i, &(*p as f32).to_le_bytes());
    }
    put(108, &352f32.to_le_bytes());
    put(112, &1f32.to_le_bytes());
    put(116, &0f32.to_le_bytes());
    if let Some(l) = like {
        put(39, &[l.dim_info]);
        put(123, &[l.xyzt_units]);
        let mut d = l.descrip.as_bytes();
        if d.len() > 79 {
            let mut end = 79;
            while !l.descrip.is_char_boundary(end) {
                end -= 1;
            }
            d = &d[..end];
        }
        put(148, d);
        let code = |c: i32| c.clamp(i16::MIN.into(), i16::MAX.into()) as i16;
        put(252, &code(l.qform_code).to_le_bytes());
        put(254, &code(l.sform_code).to_le_bytes());
        for (i, v) in l.quatern.iter().chain(&l.qoffset).enumerate() {
            put(256 + 4 * i, &(*v as f32).to_le_bytes());
        }
        for (i, v) in l.srow.iter().flatten().enumerate() {
            put(280 + 4 * i, &(*v as f32).to_le_bytes());
        }
    }
    put(344, b"n+1\0");
    Ok(h)
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` (gzip-compressed when `gz`) to a temporary file beside `path`, fsyncs it and
/// renames it to `path`; removes the temporary file on any error.
fn write_atomic(path: &Path, bytes: &[u8], gz: bool) -> Result<(), NiftiError> {
    let io_err = |action: &'static str| {
        move |source: std::io::Error| NiftiError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    };
    let Some(name) = path.file_name() else {
        return Err(NiftiError::InvalidData {
            path: path.to_path_buf(),
            expected: "a path that names a file".into(),
            found: "a path without a file name".into(),
        });
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io_err("create a temporary file for"))?;
    let result = (|| {
        let mut w = BufWriter::new(file);
        if gz {
            let mut enc = flate2::write::GzEncoder::new(&mut w, flate2::Compression::default());
            enc.write_all(bytes).map_err(io_err("write"))?;
            enc.finish().map_err(io_err("write"))?;
        } else {
            w.write_all(bytes).map_err(io_err("write"))?;
        }
        let file = w.into_inner().map_err(|e| io_err("write")(e.into_error()))?;
        file.sync_all().map_err(io_err("sync"))?;
        drop(file);
        fs::rename(&tmp, path).map_err(io_err("rename the temporary file onto"))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Persist the rename itself (best effort: not every platform can open a directory).
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
