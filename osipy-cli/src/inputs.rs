//! Helpers the commands share for their input files.

use std::path::{Path, PathBuf};

use ndarray::{Array3, ArrayD, Ix3, IxDyn};
use osipy::io::nifti::{self, Nifti};

use serde_json::{json, Value};

use super::outdir::io_err;
use super::sha256::sha256_file;
use super::CliError;

/// A runtime error (exit code 1).
pub(crate) fn rt(m: String) -> CliError {
    CliError::Runtime(m)
}

/// SHA-256 of each input file, by path, for the provenance record.
pub(crate) type Hashes = serde_json::Map<String, Value>;

/// Records the SHA-256 of `path` in `hashes` (streamed: the file is not read whole).
pub(crate) fn hash_file(path: &Path, hashes: &mut Hashes) -> Result<(), CliError> {
    let digest = sha256_file(path).map_err(|e| io_err(path, "read", e))?;
    hashes.insert(path.display().to_string(), json!(digest));
    Ok(())
}

/// A NumPy file (`.npy`, `.npz`, `file.npz:name`), by its name.
pub(crate) fn is_npy(p: &Path) -> bool {
    osipy::npy::is_numpy(p)
}

/// `--max-decoded` of this run (0: the readers' own defaults).
static MAX_DECODED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Sets the cap on what one input may decode to (`--max-decoded`; `None`: the readers'
/// defaults, [`nifti::DEFAULT_MAX_IMAGE_BYTES`] and
/// [`osipy::io::dicom::DEFAULT_MAX_DECODED_BYTES`]).
pub(crate) fn set_max_decoded(bytes: Option<u64>) {
    MAX_DECODED.store(bytes.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
}

fn max_decoded() -> Option<u64> {
    Some(MAX_DECODED.load(std::sync::atomic::Ordering::Relaxed)).filter(|b| *b > 0)
}

/// What a reader's error over its cap gets appended: how to raise the cap.
pub(crate) fn cap_hint(e: &impl std::fmt::Display) -> &'static str {
    let m = e.to_string();
    if m.contains("ReadOptions::max_image_bytes") || m.contains("ReadOptions::max_decoded_bytes") {
        " (raise the cap with --max-decoded)"
    } else {
        ""
    }
}

/// Reads the DICOM series at `path` (`--input`: a folder, or a file of another kind read as
/// DICOM) with `options` and this run's `--max-decoded`, keeps the reader's notes for the
/// provenance and hashes every file read into `hashes`. A read error is one line naming
/// `--input`, ending with `hint`'s advice for that error, else with how to raise a cap.
pub(crate) fn read_dicom_input(
    path: &Path,
    options: osipy::io::dicom::ReadOptions,
    hashes: &mut Hashes,
    hint: impl Fn(&osipy::io::dicom::DicomError) -> Option<&'static str>,
) -> Result<osipy::io::dicom::DicomSeries, CliError> {
    let options = osipy::io::dicom::ReadOptions {
        max_decoded_bytes: dicom_max_decoded(),
        ..options
    };
    let s = osipy::io::dicom::read_series_with(path, &options).map_err(|e| {
        let what = if path.is_dir() {
            ""
        } else {
            "expected a .nii, .nii.gz, .npy file or DICOM; read as DICOM: "
        };
        rt(format!(
            "--input {}: {what}{}{}",
            path.display(),
            e.to_string().replace('\n', " "),
            hint(&e).unwrap_or_else(|| cap_hint(&e))
        ))
    })?;
    note(&s.notes);
    for f in &s.files {
        hash_file(f, hashes)?;
    }
    Ok(s)
}

/// The NIfTI reader's options of this run (`--max-decoded`).
pub(crate) fn nifti_options() -> nifti::ReadOptions {
    nifti::ReadOptions::default().max_image_bytes(max_decoded().unwrap_or(nifti::DEFAULT_MAX_IMAGE_BYTES))
}

/// The cap on a DICOM series' decoded compressed pixel data for this run (`--max-decoded`).
fn dicom_max_decoded() -> u64 {
    max_decoded().unwrap_or(osipy::io::dicom::DEFAULT_MAX_DECODED_BYTES)
}

/// The readers' notes and warnings of this run, for its provenance record.
static WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Prints a reader's notes (questionable input read with a fallback, files skipped) to stderr,
/// the command's log, as `osipy: warning: NOTE`, and keeps them for the provenance record
/// ([`warnings`]).
pub(crate) fn warn(notes: &[String]) {
    let mut kept = WARNINGS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for n in notes {
        eprintln!("osipy: warning: {n}");
        kept.push(n.clone());
    }
}

/// Keeps a reader's notes (what it did that a user may want to know: series combined, files
/// skipped) for the provenance record, without printing them.
pub(crate) fn note(notes: &[String]) {
    WARNINGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .extend(notes.iter().cloned());
}

/// The notes kept so far by [`warn`] and [`note`], in order.
pub(crate) fn reader_notes() -> Vec<String> {
    WARNINGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// Reads a NumPy array (`.npy`, `.npz`, `file.npz:name`) for `flag`.
pub(crate) fn read_numpy(flag: &str, path: &Path) -> Result<ArrayD<f64>, CliError> {
    osipy::npy::read(path).map_err(|e| rt(format!("{flag} {e}")))
}

/// A NIfTI file (`.nii`, `.nii.gz`), by its name.
pub(crate) fn is_nifti(p: &Path) -> bool {
    let n = p.to_string_lossy().to_ascii_lowercase();
    n.ends_with(".nii") || n.ends_with(".nii.gz")
}

/// The BIDS sidecar beside a NIfTI or `.npy` file (`x.nii.gz`, `x.nii`, `x.npy` -> `x.json`),
/// when it exists. Works on the file name's bytes, so any name does.
pub(crate) fn sidecar_beside(input: &Path) -> Option<std::path::PathBuf> {
    let mut p = input.to_path_buf();
    if p.extension().is_some_and(|e| e == "gz") {
        p.set_extension("");
        if p.extension().is_none_or(|e| e != "nii") {
            return None;
        }
    }
    let ext = p.extension()?;
    if ext != "nii" && ext != "npy" {
        return None;
    }
    p.set_extension("json");
    p.is_file().then_some(p)
}

/// Reads a `.npy` or NIfTI file (checked to exist), hashing it; the header-bearing image
/// too for NIfTI.
pub(crate) fn read_any(
    flag: &str,
    path: &Path,
    hashes: &mut Hashes,
) -> Result<(ArrayD<f64>, Option<Nifti>), CliError> {
    let archive = osipy::npy::archive_of(path);
    if !archive.is_file() {
        return Err(rt(format!("{flag} {}: no such file", path.display())));
    }
    hash_file(&archive, hashes)?;
    if is_npy(path) {
        Ok((read_numpy(flag, path)?, None))
    } else if is_nifti(path) {
        let img = nifti::read_with(path, &nifti_options()).map_err(|e| {
            rt(format!(
                "{flag} {}: {}{}",
                path.display(),
                e.to_string().replace('\n', " "),
                cap_hint(&e)
            ))
        })?;
        warn(&img.notes);
        Ok((img.data.clone(), Some(img)))
    } else {
        Err(rt(format!(
            "{flag} {}: expected a .nii, .nii.gz or .npy file",
            path.display()
        )))
    }
}

/// The shape without trailing axes of length 1 beyond the third.
pub(crate) fn squeezed(shape: &[usize]) -> Vec<usize> {
    let mut s = shape.to_vec();
    while s.len() > 3 && s.last() == Some(&1) {
        s.pop();
    }
    s
}

pub(crate) fn to3(
    flag: &str,
    path: &Path,
    a: ArrayD<f64>,
    xyz: Option<[usize; 3]>,
) -> Result<Array3<f64>, CliError> {
    let shape = squeezed(a.shape());
    let ok = shape.len() == 3 && xyz.is_none_or(|x| shape == x);
    if !ok {
        let want = match xyz {
            Some(x) => format!("the input's spatial shape {x:?}"),
            None => "a 3-D volume [x, y, z]".to_string(),
        };
        return Err(rt(format!(
            "{flag} {}: expected {want}, found shape {:?}",
            path.display(),
            a.shape()
        )));
    }
    a.into_shape_with_order(IxDyn(&shape))
        .ok()
        .and_then(|a| a.into_dimensionality::<Ix3>().ok())
        .ok_or_else(|| rt(format!("{flag} {}: cannot reshape to {shape:?}", path.display())))
}

/// A 3-D map (a mask, a T1 or B1 map) of the input's spatial shape `xyz` from a NIfTI or
/// `.npy` file, hashed into `hashes`; trailing axes of length 1 are dropped.
pub(crate) fn read_map3(
    flag: &str,
    path: &Path,
    xyz: [usize; 3],
    hashes: &mut Hashes,
) -> Result<Array3<f64>, CliError> {
    let (a, _) = read_any(flag, path, hashes)?;
    to3(flag, path, a, Some(xyz))
}

/// The BIDS sidecar `path` (when given) as a JSON object, hashed into `hashes`.
pub(crate) fn read_sidecar(
    path: Option<PathBuf>,
    hashes: &mut Hashes,
) -> Result<(Option<PathBuf>, Value), CliError> {
    let Some(p) = path else {
        return Ok((None, Value::Null));
    };
    if !p.is_file() {
        return Err(rt(format!("--sidecar {}: no such file", p.display())));
    }
    hash_file(&p, hashes)?;
    let text = std::fs::read_to_string(&p).map_err(|e| io_err(&p, "read", e))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| rt(format!("--sidecar {}: expected a JSON object: {e}", p.display())))?;
    if !v.is_object() {
        return Err(rt(format!("--sidecar {}: expected a JSON object", p.display())));
    }
    Ok((Some(p), v))
}

pub(crate) fn sidecar_number(sc: &Value, key: &str, file: &Path) -> Result<Option<f64>, CliError> {
    match sc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().filter(|x| x.is_finite()).map(Some).ok_or_else(|| {
            rt(format!(
                "--sidecar {}: key {key}: expected a number, found {v}",
                file.display()
            ))
        }),
    }
}
