//! Writing an image: NIfTI-1 float32 or float64, atomically.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{ArrayBase, Data, Dimension};

use super::{fmt_shape, Header, Nifti, NiftiError, NIFTI1_HEADER_SIZE};

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
