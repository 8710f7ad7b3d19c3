//! Helpers the commands share for their input files.

use std::path::Path;

use serde_json::{json, Value};

use super::outdir::io_err;
use super::sha256::sha256_hex;
use super::CliError;

/// A runtime error (exit code 1).
pub(crate) fn rt(m: String) -> CliError {
    CliError::Runtime(m)
}

/// SHA-256 of each input file, by path, for the provenance record.
pub(crate) type Hashes = serde_json::Map<String, Value>;

/// Records the SHA-256 of `path` in `hashes`.
pub(crate) fn hash_file(path: &Path, hashes: &mut Hashes) -> Result<(), CliError> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, "read", e))?;
    hashes.insert(path.display().to_string(), json!(sha256_hex(&bytes)));
    Ok(())
}

/// A `.npy` file, by its name.
pub(crate) fn is_npy(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy"))
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
