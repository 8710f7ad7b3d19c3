//! The b-values and b-vectors of `osipy ivim`: FSL `bval` / `bvec` text files (the names FSL
//! and BIDS give them beside the series by default), checked against the series.

use std::path::{Path, PathBuf};

use super::inputs::{hash_file, rt, Hashes};
use super::CliError;

/// `input` with its image extension (`.nii.gz`, `.nii`, `.npy`) replaced by `ext` (`bval`).
pub(crate) fn beside(input: &Path, ext: &str) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = [".nii.gz", ".nii", ".npy"]
        .iter()
        .find_map(|e| name.strip_suffix(e))
        .unwrap_or(&name)
        .to_string();
    input.with_file_name(format!("{stem}.{ext}"))
}

/// The numbers of a text file, rows of whitespace- or comma-separated values (empty rows
/// skipped); errors name `flag` and the file.
fn rows(flag: &str, path: &Path, hashes: &mut Hashes) -> Result<Vec<Vec<f64>>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| rt(format!("{flag} {}: {e}", path.display())))?;
    hash_file(path, hashes)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut row = Vec::new();
        for t in line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
        {
            let v: f64 = t.parse().map_err(|_| {
                rt(format!(
                    "{flag} {}: line {}: expected numbers, found `{t}`",
                    path.display(),
                    i + 1
                ))
            })?;
            row.push(v);
        }
        if !row.is_empty() {
            out.push(row);
        }
    }
    Ok(out)
}

/// The b-values (s/mm²) of `path` for a series of `nv` volumes: one per volume, finite, not
/// negative, with at least one b = 0 and four distinct values.
pub(crate) fn read_bval(path: &Path, nv: usize, hashes: &mut Hashes) -> Result<Vec<f64>, CliError> {
    let flag = "--bval";
    if !path.exists() {
        return Err(rt(format!(
            "{flag} {}: no such file (give the b-values with --bval FILE: one per volume)",
            path.display()
        )));
    }
    let b: Vec<f64> = rows(flag, path, hashes)?.concat();
    if b.len() != nv {
        return Err(rt(format!(
            "{flag} {}: expected {nv} b-values (one per volume of --input), found {}",
            path.display(),
            b.len()
        )));
    }
    osipy::ivim::Acquisition::new("osipy ivim", &b).map_err(|e| {
        let msg = e.to_string();
        let msg = msg
            .split("argument `b_values`: ")
            .nth(1)
            .unwrap_or(&msg)
            .to_string();
        rt(format!("{flag} {}: {msg}", path.display()))
    })?;
    Ok(b)
}

/// The b-vectors of `path` for `b` (one per volume): three rows of one value per volume (FSL)
/// or one row of three per volume, unit length (zero allowed at b = 0).
pub(crate) fn read_bvec(path: &Path, b: &[f64], hashes: &mut Hashes) -> Result<Vec<[f64; 3]>, CliError> {
    let flag = "--bvec";
    let r = rows(flag, path, hashes)?;
    let nv = b.len();
    let v: Vec<[f64; 3]> = if r.len() == 3 && r.iter().all(|x| x.len() == nv) {
        (0..nv).map(|k| [r[0][k], r[1][k], r[2][k]]).collect()
    } else if r.len() == nv && r.iter().all(|x| x.len() == 3) {
        r.iter().map(|x| [x[0], x[1], x[2]]).collect()
    } else {
        return Err(rt(format!(
            "{flag} {}: expected 3 rows of {nv} values (one per volume and b-value) or {nv} rows of 3, found {} rows of {:?} values",
            path.display(),
            r.len(),
            r.iter().map(Vec::len).collect::<Vec<_>>()
        )));
    };
    let acq = osipy::ivim::Acquisition::new("osipy ivim", b)?;
    acq.check_vectors("osipy ivim", &v).map_err(|e| {
        let msg = e.to_string();
        let msg = msg
            .split("argument `b_vectors`: ")
            .nth(1)
            .unwrap_or(&msg)
            .to_string();
        rt(format!("{flag} {}: {msg}", path.display()))
    })?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_replaces_the_image_extension() {
        assert_eq!(
            beside(Path::new("d/sub-1_dwi.nii.gz"), "bval"),
            Path::new("d/sub-1_dwi.bval")
        );
        assert_eq!(beside(Path::new("x.npy"), "bvec"), Path::new("x.bvec"));
    }
}
