//! NumPy `.npy` and `.npz` files, read through `ndarray-npy` after our own bounds checks.
//!
//! Supported: format versions 1.0, 2.0 and 3.0, C or Fortran order, the dtypes float32 and
//! float64, signed and unsigned integers of 1 to 8 bytes and bool, in either byte order.
//! Values are returned as `f64` in C (row-major) order, whatever the file's order (integers of
//! more than 53 bits lose precision). A mask may be any of these types: non-zero is in
//! ([`read_mask`]).
//!
//! `.npz` archives (`np.savez`, `np.savez_compressed`): `file.npz:name` names the array
//! (`name.npy` in the archive); `file.npz` alone is the archive's only array, and an error
//! listing the names when it holds several.
//!
//! Bounds: the header (at most 10,000 bytes, NumPy's own default limit) is parsed first, and the
//! declared data (the product of the shape times the element size) must fill the rest of the
//! file exactly before `ndarray-npy` allocates anything; an `.npz` member's declared size is
//! checked the same way against what its compressed size can expand to, and read no further.
//! Anything else (another magic string, version or dtype, a malformed header, truncated or
//! overlong data) is an error naming the file, what was expected and what was found.
//!
//! ```
//! use ndarray::array;
//! use ndarray_npy::WriteNpyExt;
//!
//! let mut bytes = Vec::new();
//! array![[1.0f32, 2.0], [3.0, 4.0]].reversed_axes().write_npy(&mut bytes).unwrap(); // Fortran order
//! let a = osipy::npy::parse(std::path::Path::new("a.npy"), &bytes).unwrap();
//! assert_eq!(a, array![[1.0, 3.0], [2.0, 4.0]].into_dyn());
//! ```

mod error;
mod header;
mod npz;

use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::ReadNpyExt;

pub use error::NpyError;
use header::{parse_dict, Value};

/// `(shape, data)`: one entry of `shape` per axis (empty for a 0-d array) and the elements in C
/// order.
pub type Array<T> = (Vec<usize>, Vec<T>);

const MAGIC: &[u8] = b"\x93NUMPY";
/// NumPy's default `max_header_size`.
const MAX_HEADER: usize = 10_000;

/// Reads a `.npy` file, or an array of an `.npz` archive (`file.npz:name`, or `file.npz` for
/// its only array), as `f64` in C order.
pub fn read(path: &Path) -> Result<ArrayD<f64>, NpyError> {
    if let Some((archive, name)) = npz::split(path) {
        return npz::read(&archive, name.as_deref());
    }
    let bytes = std::fs::read(path).map_err(|source| NpyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &bytes)
}

/// Reads a mask: any supported dtype, non-zero (and not NaN) is in.
pub fn read_mask(path: &Path) -> Result<ArrayD<bool>, NpyError> {
    Ok(read(path)?.mapv(|v| v != 0.0 && !v.is_nan()))
}

/// Reads a `.npy` file as [`read`] does, as `(shape, data)`.
pub fn read_f64(path: &Path) -> Result<Array<f64>, NpyError> {
    let a = read(path)?;
    Ok((a.shape().to_vec(), a.into_iter().collect()))
}

/// Reads a `.npy` mask as [`read_mask`] does, as `(shape, data)`.
pub fn read_bool(path: &Path) -> Result<Array<bool>, NpyError> {
    let a = read_mask(path)?;
    Ok((a.shape().to_vec(), a.into_iter().collect()))
}

/// Whether `path` names a NumPy file (`.npy`, `.npz`, `file.npz:name`).
pub fn is_numpy(path: &Path) -> bool {
    let n = path.to_string_lossy().to_ascii_lowercase();
    n.ends_with(".npy") || n.ends_with(".npz") || npz::split(path).is_some()
}

/// The file that holds `path`'s array: the archive of `file.npz:name`, else `path` itself.
pub fn archive_of(path: &Path) -> PathBuf {
    match npz::split(path) {
        Some((archive, _)) => archive,
        None => path.to_path_buf(),
    }
}

/// Parses the bytes of a `.npy` file; `path` labels the errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<ArrayD<f64>, NpyError> {
    let format = |expected: &str, found: String| NpyError::Format {
        path: path.to_path_buf(),
        expected: expected.to_string(),
        found: one_line(&found),
    };
    if !bytes.starts_with(MAGIC) {
        let n = bytes.len().min(MAGIC.len());
        return Err(format(
            "the magic string \"\\x93NUMPY\"",
            format!("\"{}\"", bytes[..n].escape_ascii()),
        ));
    }
    let truncated = |expected: usize, found: usize| NpyError::Size {
        path: path.to_path_buf(),
        part: "truncated header",
        expected: expected as u64,
        found: found as u64,
    };
    if bytes.len() < 8 {
        return Err(truncated(8, bytes.len()));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(format(
                "format version 1.0, 2.0 or 3.0",
                format!("{major}.{minor}"),
            ))
        }
    };
    let start = 8 + len_bytes;
    if bytes.len() < start {
        return Err(truncated(start, bytes.len()));
    }
    let header_len = bytes[8..start]
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if header_len > MAX_HEADER {
        return Err(format(
            &format!("a header of at most {MAX_HEADER} bytes"),
            format!("{header_len} bytes"),
        ));
    }
    let data_start = start + header_len;
    if bytes.len() < data_start {
        return Err(truncated(data_start, bytes.len()));
    }
    let raw = &bytes[start..data_start];
    let text: String = if major == 3 {
        std::str::from_utf8(raw)
            .map_err(|_| format("a UTF-8 header (version 3.0)", "invalid UTF-8".into()))?
            .to_string()
    } else {
        raw.iter().map(|&b| char::from(b)).collect()
    };
    let header =
        parse_dict(&text).map_err(|e| format("a header dict of 'descr', 'fortran_order' and 'shape'", e))?;
    let Value::Str(descr) = &header.descr else {
        return Err(format("a simple dtype such as '<f8'", header.descr.describe()));
    };
    let Some(kind) = Kind::from_descr(descr) else {
        return Err(format(
            "dtype float32, float64, a signed or unsigned integer or bool",
            format!("'{}'", descr.escape_default()),
        ));
    };
    let count = header
        .shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d as u64));
    let needed = count.and_then(|c| c.checked_mul(kind.size()));
    let found = (bytes.len() - data_start) as u64;
    match needed {
        Some(n) if n == found => {}
        Some(n) if n > found => {
            return Err(NpyError::Size {
                path: path.to_path_buf(),
                part: "truncated data",
                expected: n,
                found,
            })
        }
        Some(n) => {
            return Err(NpyError::Size {
                path: path.to_path_buf(),
                part: "bytes after the data",
                expected: n,
                found,
            })
        }
        None => {
            return Err(format(
                "a shape whose size fits in memory",
                format!("{:?}", header.shape),
            ))
        }
    }
    // The data fill the file exactly, so ndarray-npy allocates no more than the file justifies.
    let lib = |e: ndarray_npy::ReadNpyError| format("data ndarray-npy can read", one_line(&e.to_string()));
    macro_rules! to_f64 {
        ($t:ty, $conv:expr) => {{
            let a = ArrayD::<$t>::read_npy(bytes).map_err(lib)?;
            a.as_standard_layout().mapv($conv)
        }};
    }
    Ok(match kind {
        Kind::F64 => to_f64!(f64, |v| v),
        Kind::F32 => to_f64!(f32, f64::from),
        Kind::I8 => to_f64!(i8, f64::from),
        Kind::I16 => to_f64!(i16, f64::from),
        Kind::I32 => to_f64!(i32, f64::from),
        Kind::I64 => to_f64!(i64, |v| v as f64),
        Kind::U8 => to_f64!(u8, f64::from),
        Kind::U16 => to_f64!(u16, f64::from),
        Kind::U32 => to_f64!(u32, f64::from),
        Kind::U64 => to_f64!(u64, |v| v as f64),
        Kind::Bool => to_f64!(bool, |v| if v { 1.0 } else { 0.0 }),
    })
}

/// The element types read.
#[derive(Clone, Copy)]
enum Kind {
    F64,
    F32,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    Bool,
}

impl Kind {
    fn from_descr(d: &str) -> Option<Self> {
        let (order, code) = d.split_at_checked(1)?;
        if !matches!(order, "<" | ">" | "|") {
            return None;
        }
        Some(match code {
            "f8" => Kind::F64,
            "f4" => Kind::F32,
            "i1" => Kind::I8,
            "i2" => Kind::I16,
            "i4" => Kind::I32,
            "i8" => Kind::I64,
            "u1" => Kind::U8,
            "u2" => Kind::U16,
            "u4" => Kind::U32,
            "u8" => Kind::U64,
            "b1" => Kind::Bool,
            _ => return None,
        })
    }

    fn size(self) -> u64 {
        match self {
            Kind::I8 | Kind::U8 | Kind::Bool => 1,
            Kind::I16 | Kind::U16 => 2,
            Kind::F32 | Kind::I32 | Kind::U32 => 4,
            Kind::F64 | Kind::I64 | Kind::U64 => 8,
        }
    }
}

/// `text` on one line, control characters escaped.
fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let esc: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            esc
        })
        .collect()
}

/// `archive:name`, as errors name an `.npz` member.
fn member_path(archive: &Path, name: &str) -> PathBuf {
    PathBuf::from(format!("{}:{name}", archive.display()))
}
