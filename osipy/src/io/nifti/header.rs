//! The header: its fields in either version and byte order, and their validation.

use std::path::Path;

use super::{datatype_name, Datatype, NiftiError, NIFTI1_HEADER_SIZE, NIFTI2_HEADER_SIZE, NIFTI2_MAGIC};

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
}

pub(super) fn bad_header(path: &Path, field: &'static str, expected: &str, found: String) -> NiftiError {
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

pub(super) fn parse_header(path: &Path, bytes: &[u8]) -> Result<Header, NiftiError> {
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
    check_finite(path, &h, ndim as usize)?;
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

/// Errors on a non-finite value of a field the outputs or the geometry use: `pixdim[0..=max(3,
/// ndim)]`, the qform's quaternion and offsets when `qform_code > 0`, the sform's rows when
/// `sform_code > 0`.
fn check_finite(path: &Path, h: &RawHeader, ndim: usize) -> Result<(), NiftiError> {
    let bad = |field: &'static str, i: Option<usize>, v: f64| NiftiError::BadHeader {
        path: path.to_path_buf(),
        field,
        expected: match i {
            Some(i) => format!("a finite number in {field}[{i}]"),
            None => "a finite number".into(),
        },
        found: v.to_string(),
    };
    for (i, &v) in h.pixdim.iter().enumerate().take(ndim.max(3) + 1) {
        if !v.is_finite() {
            return Err(bad("pixdim", Some(i), v));
        }
    }
    if h.qform_code > 0 {
        for (i, &v) in h.quatern.iter().enumerate() {
            if !v.is_finite() {
                return Err(bad(["quatern_b", "quatern_c", "quatern_d"][i], None, v));
            }
        }
        for (i, &v) in h.qoffset.iter().enumerate() {
            if !v.is_finite() {
                return Err(bad(["qoffset_x", "qoffset_y", "qoffset_z"][i], None, v));
            }
        }
    }
    if h.sform_code > 0 {
        for (r, row) in h.srow.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(bad(["srow_x", "srow_y", "srow_z"][r], Some(c), v));
                }
            }
        }
    }
    Ok(())
}
