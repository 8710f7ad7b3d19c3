//! `.npz` archives: a member chosen by name (`file.npz:name`) or the only one, read through
//! the `zip` crate within bounds.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use ndarray::ArrayD;

use super::{member_path, one_line, parse, NpyError};

/// deflate expands at most 1032-fold.
const DEFLATE_MAX_RATIO: u64 = 1032;
/// The end-of-central-directory record's signature and size (without its comment).
const EOCD_SIG: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
const EOCD_LEN: usize = 22;

/// `(archive, member)` when `path` names an `.npz` archive (`a.npz`) or one of its arrays
/// (`a.npz:name`, when no file of that whole name exists).
pub(super) fn split(path: &Path) -> Option<(PathBuf, Option<String>)> {
    let text = path.to_str()?;
    if text.to_ascii_lowercase().ends_with(".npz") {
        return Some((path.to_path_buf(), None));
    }
    let (archive, name) = text.rsplit_once(':')?;
    if archive.to_ascii_lowercase().ends_with(".npz") && !path.exists() {
        Some((PathBuf::from(archive), Some(name.to_string())))
    } else {
        None
    }
}

/// Reads the array `name` (or the only array) of the archive `path`.
pub(super) fn read(path: &Path, name: Option<&str>) -> Result<ArrayD<f64>, NpyError> {
    let bad = |expected: &str, found: String| NpyError::Npz {
        path: path.to_path_buf(),
        expected: expected.to_string(),
        found,
    };
    let io = |source: std::io::Error| NpyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    check_directory(&mut file)
        .map_err(|found| bad("a ZIP archive of at most 65,535 members (not ZIP64)", found))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad("a ZIP archive", one_line(&e.to_string())))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.strip_suffix(".npy"))
        .map(str::to_string)
        .collect();
    let name = match name {
        Some(n) => n.to_string(),
        None if names.len() == 1 => names[0].clone(),
        None => {
            return Err(bad(
                "one array, or one named as FILE.npz:NAME",
                format!("{} arrays: {}", names.len(), one_line(&names.join(", "))),
            ))
        }
    };
    let member = member_path(path, &name);
    let mut entry = zip.by_name(&format!("{name}.npy")).map_err(|_| {
        bad(
            &format!("an array named '{}'", one_line(&name)),
            one_line(&names.join(", ")),
        )
    })?;
    let declared = entry.size();
    let bound = entry
        .compressed_size()
        .saturating_mul(DEFLATE_MAX_RATIO)
        .max(entry.compressed_size());
    if declared > bound {
        return Err(bad(
            &format!("a member of at most {bound} bytes after decompression"),
            format!("'{}' declaring {declared} bytes", one_line(&name)),
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    entry
        .by_ref()
        .take(declared)
        .read_to_end(&mut bytes)
        .map_err(|e| bad("a readable member", one_line(&e.to_string())))?;
    drop(entry);
    parse(&member, &bytes)
}

/// Checks the end-of-central-directory record before the `zip` crate sizes anything from it:
/// a classic record (at most 65,535 members), no ZIP64 locator.
fn check_directory(file: &mut File) -> Result<(), String> {
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    let tail_len = len.min(EOCD_LEN as u64 + 65_535 + 20);
    file.seek(SeekFrom::Start(len - tail_len))
        .map_err(|e| e.to_string())?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    file.by_ref()
        .take(tail_len)
        .read_to_end(&mut tail)
        .map_err(|e| e.to_string())?;
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let Some(at) = tail.windows(4).rposition(|w| w == EOCD_SIG) else {
        return Err("no end-of-central-directory record".into());
    };
    if at >= 20 && tail[at - 20..at - 16] == [0x50, 0x4b, 0x06, 0x07] {
        return Err("a ZIP64 archive".into());
    }
    Ok(())
}
