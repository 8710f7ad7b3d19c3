//! Reading an image: the file (gzip-compressed or not), bounded by what its header declares.

use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn, ShapeBuilder};

use super::datatype::decode;
use super::header::{bad_header, parse_header};
use super::{fmt_shape, AffineSource, Header, NiftiError, NIFTI2_HEADER_SIZE};

/// The default of [`ReadOptions::max_image_bytes`]: 16 GiB.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 16 << 30;

/// deflate expands at most 1032-fold (a 258-byte match in about 2 bits); with the gzip
/// framing, a stream of `c` bytes decompresses to at most this many times `c`.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// Settings of [`read_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// The most bytes the header may declare (`vox_offset` plus the data), after
    /// decompression; a larger image is refused before anything of its size is allocated.
    /// Default [`DEFAULT_MAX_IMAGE_BYTES`].
    pub max_image_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_image_bytes: DEFAULT_MAX_IMAGE_BYTES,
        }
    }
}

impl ReadOptions {
    /// These options with `max_image_bytes` set.
    pub fn max_image_bytes(mut self, bytes: u64) -> Self {
        self.max_image_bytes = bytes;
        self
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
    /// One-line notes on what the reader chose for questionable input (a NaN `scl_slope` read
    /// unscaled, data after the image ignored, ...), each starting with the file's path; empty
    /// for a clean file. The commands print them and record them in the provenance.
    pub notes: Vec<String>,
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

/// Reads a NIfTI-1 or NIfTI-2 image (`.nii` or gzip-compressed `.nii.gz`) with the default
/// [`ReadOptions`]; see the module docs for what is supported and the layout of the array.
pub fn read(path: impl AsRef<Path>) -> Result<Nifti, NiftiError> {
    read_with(path, &ReadOptions::default())
}

/// Reads a NIfTI image as [`read`] does, with `options`: the header first, then only the bytes
/// it declares (checked against the file's size and the cap before they are allocated).
pub fn read_with(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Nifti, NiftiError> {
    let path = path.as_ref();
    let io = |action: &'static str| {
        move |e: std::io::Error| {
            if e.kind() == std::io::ErrorKind::NotFound {
                NiftiError::Missing {
                    path: path.to_path_buf(),
                }
            } else {
                NiftiError::Io {
                    path: path.to_path_buf(),
                    action,
                    source: e,
                }
            }
        }
    };
    let file = File::open(path).map_err(io("open"))?;
    let file_len = file.metadata().map_err(io("read"))?.len();
    let mut src = std::io::BufReader::new(file);
    let gz = src.fill_buf().map_err(io("read"))?.starts_with(&[0x1f, 0x8b]);
    let mut notes = Vec::new();
    let bytes = if gz {
        let mut dec = flate2::bufread::MultiGzDecoder::new(src);
        let gz_err = |e: std::io::Error| NiftiError::Gzip {
            path: path.to_path_buf(),
            message: one_line(&e.to_string()),
        };
        let source = Source::Gzip(file_len);
        read_declared(path, &mut dec, source, options, gz_err, &mut notes)?
    } else {
        let source = Source::Plain(file_len);
        read_declared(path, &mut src, source, options, io("read"), &mut notes)?
    };
    let mut img = parse(path, &bytes)?;
    notes.append(&mut img.notes);
    img.notes = notes;
    Ok(img)
}

/// The bytes a file holds: its length, or the length of the compressed stream.
#[derive(Clone, Copy)]
enum Source {
    Plain(u64),
    Gzip(u64),
}

/// Reads the header, then exactly the bytes it declares, from `src`, after checking them
/// against what the file can hold; a note when more follows.
fn read_declared<R: Read>(
    path: &Path,
    src: &mut R,
    source: Source,
    options: &ReadOptions,
    err: impl Fn(std::io::Error) -> NiftiError,
    notes: &mut Vec<String>,
) -> Result<Vec<u8>, NiftiError> {
    let mut bytes = Vec::with_capacity(NIFTI2_HEADER_SIZE);
    src.by_ref()
        .take(NIFTI2_HEADER_SIZE as u64)
        .read_to_end(&mut bytes)
        .map_err(&err)?;
    let header = parse_header(path, &bytes)?;
    let needed = declared_bytes(path, &header)?;
    if needed > options.max_image_bytes {
        return Err(bad_header(
            path,
            "dim",
            &format!(
                "an image of at most {} bytes (the reader's cap, ReadOptions::max_image_bytes)",
                options.max_image_bytes
            ),
            format!("{} declaring {needed} bytes", fmt_shape(&header.dim)),
        ));
    }
    match source {
        Source::Plain(len) if needed > len => {
            return Err(NiftiError::Truncated {
                path: path.to_path_buf(),
                part: "data",
                expected: needed,
                found: len,
            })
        }
        Source::Gzip(len) if needed > len.saturating_mul(DEFLATE_MAX_RATIO) => {
            return Err(bad_header(
                path,
                "dim",
                &format!(
                    "an image that {len} compressed bytes can hold (at most {} bytes)",
                    len.saturating_mul(DEFLATE_MAX_RATIO)
                ),
                format!("{} declaring {needed} bytes", fmt_shape(&header.dim)),
            ))
        }
        _ => {}
    }
    let rest = needed.saturating_sub(bytes.len() as u64);
    // `needed` is at most the file's length (times the deflate ratio when compressed) and
    // under the cap, so reserving it is justified by the file.
    bytes.reserve_exact(usize::try_from(rest).unwrap_or(0));
    src.by_ref().take(rest).read_to_end(&mut bytes).map_err(&err)?;
    if (bytes.len() as u64) < needed {
        return Err(NiftiError::Truncated {
            path: path.to_path_buf(),
            part: "data",
            expected: needed,
            found: bytes.len() as u64,
        });
    }
    let mut probe = [0u8; 1];
    let more = bytes.len() as u64 > needed || matches!(src.read(&mut probe), Ok(1));
    // A short image (under a NIfTI-2 header's size) may have been read past its end.
    bytes.truncate(needed as usize);
    if more {
        notes.push(format!(
            "{}: data after the image's {needed} declared bytes ignored (not read)",
            path.display()
        ));
    }
    Ok(bytes)
}

/// `vox_offset` plus the data's bytes, from the header; an error when it overflows.
fn declared_bytes(path: &Path, header: &Header) -> Result<u64, NiftiError> {
    header
        .dim
        .iter()
        .try_fold(header.datatype.size() as u64, |a, &d| a.checked_mul(d as u64))
        .and_then(|b| b.checked_add(header.vox_offset))
        .filter(|&b| usize::try_from(b).is_ok())
        .ok_or_else(|| {
            bad_header(
                path,
                "dim",
                "an image whose size fits in memory",
                fmt_shape(&header.dim),
            )
        })
}

/// `text` on one line, control characters escaped.
pub(crate) fn one_line(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    s
}

/// Parses the (decompressed) bytes of a `.nii` file; `path` labels the errors and is stored in
/// [`Nifti::path`]. Bytes after the declared data are ignored with a note.
pub fn parse(path: impl AsRef<Path>, bytes: &[u8]) -> Result<Nifti, NiftiError> {
    let path = path.as_ref();
    let header = parse_header(path, bytes)?;
    let needed = declared_bytes(path, &header)?;
    if (bytes.len() as u64) < needed {
        return Err(NiftiError::Truncated {
            path: path.to_path_buf(),
            part: "data",
            expected: needed,
            found: bytes.len() as u64,
        });
    }
    let mut notes = Vec::new();
    if bytes.len() as u64 > needed {
        notes.push(format!(
            "{}: {} bytes after the image's {needed} declared bytes ignored",
            path.display(),
            bytes.len() as u64 - needed
        ));
    }
    // Both fit in usize: `needed` does (declared_bytes) and is at most `bytes.len()`.
    let body = &bytes[header.vox_offset as usize..needed as usize];
    let n = body.len() / header.datatype.size();
    let values = decode(body, header.datatype, header.byte_order, n);
    let (slope, inter) = scaling(path, &header, &mut notes)?;
    let values = match slope {
        Some(slope) => values.into_iter().map(|v| v * slope + inter).collect(),
        None => values,
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
        notes,
    })
}

/// The slope and intercept to apply (`None`: unscaled), with notes for the fallbacks (see the
/// module docs); an infinite slope or intercept is an error.
fn scaling(path: &Path, header: &Header, notes: &mut Vec<String>) -> Result<(Option<f64>, f64), NiftiError> {
    let (slope, inter) = (header.scl_slope, header.scl_inter);
    for (field, v) in [("scl_slope", slope), ("scl_inter", inter)] {
        if v.is_infinite() {
            return Err(bad_header(
                path,
                field,
                "a finite number (or NaN: unscaled)",
                v.to_string(),
            ));
        }
    }
    if slope.is_nan() {
        notes.push(format!(
            "{}: scl_slope is NaN: image read unscaled",
            path.display()
        ));
        return Ok((None, 0.0));
    }
    if slope == 0.0 {
        if inter != 0.0 && !inter.is_nan() {
            notes.push(format!(
                "{}: scl_slope is 0 (no scaling, as the standard says): scl_inter {inter} ignored",
                path.display()
            ));
        }
        return Ok((None, 0.0));
    }
    if inter.is_nan() {
        notes.push(format!("{}: scl_inter is NaN: read as 0", path.display()));
        return Ok((Some(slope), 0.0));
    }
    Ok((Some(slope), inter))
}
