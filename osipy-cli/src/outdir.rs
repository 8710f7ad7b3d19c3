//! The output folder of a command: refused when it exists and is not empty (unless forced),
//! built in a hidden sibling folder and renamed into place at the end, so a failed run leaves
//! no partial output.

use std::path::{Path, PathBuf};

use super::CliError;

/// Removes the temporary folder unless the run committed it.
pub(crate) struct TempDir {
    pub(crate) path: PathBuf,
    pub(crate) keep: bool,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

pub(crate) fn io_err(path: &Path, what: &str, e: std::io::Error) -> CliError {
    CliError::Runtime(format!("{}: cannot {what}: {e}", path.display()))
}

/// Checks the output folder: a missing or empty folder is fine; a non-empty one only with
/// `force`; a file never.
pub(crate) fn check_out(out: &Path, force: bool) -> Result<(), CliError> {
    match std::fs::metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(out, "inspect the output folder", e)),
        Ok(m) if !m.is_dir() => Err(CliError::Exists(format!(
            "--out {}: expected a folder (or a path that does not exist), found a file",
            out.display()
        ))),
        Ok(_) => {
            let mut entries = std::fs::read_dir(out).map_err(|e| io_err(out, "read the output folder", e))?;
            if entries.next().is_some() && !force {
                Err(CliError::Exists(format!(
                    "--out {}: the folder exists and is not empty; use --force to replace it",
                    out.display()
                )))
            } else {
                Ok(())
            }
        }
    }
}

pub(crate) fn sibling(out: &Path, tag: &str) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "osipy-demo".into(), |n| n.to_string_lossy().into_owned());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    parent.join(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Moves the finished temporary folder to `out`, replacing an existing `out` (checked by
/// [`check_out`]); on failure the old folder is put back.
pub(crate) fn commit(tmp: &mut TempDir, out: &Path) -> Result<(), CliError> {
    let old = sibling(out, "osipy-old");
    let had_old = out.exists();
    if had_old {
        std::fs::rename(out, &old).map_err(|e| io_err(out, "move the existing output folder aside", e))?;
    }
    if let Err(e) = std::fs::rename(&tmp.path, out) {
        if had_old {
            let _ = std::fs::rename(&old, out);
        }
        return Err(io_err(out, "move the finished output into place", e));
    }
    tmp.keep = true;
    if had_old {
        std::fs::remove_dir_all(&old).map_err(|e| io_err(&old, "remove the replaced output folder", e))?;
    }
    Ok(())
}

/// The temporary folder of a run's outputs, beside `out` (its parent created, a stale one
/// removed); [`commit`] renames it into place, and dropping it uncommitted removes it.
pub(crate) fn begin(out: &Path) -> Result<TempDir, CliError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&parent).map_err(|e| io_err(&parent, "create the parent folder", e))?;
    let tmp = TempDir {
        path: sibling(out, "osipy-tmp"),
        keep: false,
    };
    if tmp.path.exists() {
        std::fs::remove_dir_all(&tmp.path)
            .map_err(|e| io_err(&tmp.path, "remove a stale temporary folder", e))?;
    }
    std::fs::create_dir(&tmp.path).map_err(|e| io_err(&tmp.path, "create the temporary output folder", e))?;
    Ok(tmp)
}

/// Writes `map` as the float32 NIfTI `dir/name` with the geometry of `like`, and records
/// `name` in `files`.
pub(crate) fn write_map(
    dir: &Path,
    name: &str,
    map: &ndarray::Array3<f64>,
    like: &osipy::io::nifti::Nifti,
    files: &mut Vec<String>,
) -> Result<(), CliError> {
    use osipy::io::nifti;
    nifti::write(dir.join(name), map, Some(like), nifti::OutputType::Float32).map_err(osipy::Error::from)?;
    files.push(name.to_string());
    Ok(())
}

/// Writes `record` as pretty-printed JSON (and a final newline) to `dir/name`.
pub(crate) fn write_json(dir: &Path, name: &str, record: &serde_json::Value) -> Result<(), CliError> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(record)
        .map_err(|e| CliError::Runtime(format!("{}: {e}", path.display())))?;
    std::fs::write(&path, text + "\n").map_err(|e| io_err(&path, "write", e))
}
