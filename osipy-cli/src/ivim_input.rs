//! The b-values and b-vectors of `osipy ivim`: FSL `bval` / `bvec` text files (the names FSL
//! and BIDS give them beside the series by default), checked against the series; or a DICOM
//! folder with the b-values (and gradient directions) in its headers.

use std::path::{Path, PathBuf};

use osipy::io::dicom::{self, ReadOptions, VolumeOrder};

use super::dce_input::Input;
use super::inputs::{hash_file, rt, Hashes};
use super::CliError;

/// A DICOM diffusion series: the series, its b-values and gradient directions as the headers
/// give them, and the attribute the b-values came from.
pub(crate) struct DicomDiffusion {
    pub(crate) input: Input,
    pub(crate) b: Vec<f64>,
    pub(crate) vectors: Option<Vec<[f64; 3]>>,
    pub(crate) source: String,
}

/// Reads a DICOM diffusion acquisition (a folder of one or several series, sub-folders
/// included, or one file) with its volumes ordered by b-value; the gradient directions are
/// DiffusionGradientOrientation (0018,9089) where every volume with b > 0 has one.
pub(crate) fn read_dicom(path: &Path) -> Result<DicomDiffusion, CliError> {
    let options = ReadOptions {
        order: VolumeOrder::BValue,
        combine_series: true,
        sub_folders: true,
        ..ReadOptions::default()
    };
    let mut hashes = Hashes::new();
    let s = super::inputs::read_dicom_input(path, options, &mut hashes, |_| None)?;
    let nv = s.data.dim().3;
    let b: Vec<f64> = match s.volume_b_values.iter().copied().collect::<Option<Vec<f64>>>() {
        Some(b) if nv > 1 => b,
        _ => {
            return Err(rt(format!(
                "--input {}: expected a diffusion series of several volumes with a b-value each ({}), found {nv} volume(s) with b-values {:?}",
                path.display(),
                dicom::B_VALUE_TAGS.join(", "),
                s.volume_b_values
            )))
        }
    };
    let source = match s.b_value_source {
        Some(src) => format!("DICOM {src}"),
        None => format!(
            "DICOM ({}, differing between frames)",
            dicom::B_VALUE_TAGS.join(", ")
        ),
    };
    let all_directions = b
        .iter()
        .zip(&s.volume_b_vectors)
        .all(|(b, v)| *b == 0.0 || v.is_some());
    let vectors = all_directions.then(|| {
        s.volume_b_vectors
            .iter()
            .map(|v| v.unwrap_or([0.0; 3]))
            .collect::<Vec<[f64; 3]>>()
    });
    osipy::ivim::Acquisition::new("osipy ivim", &b).map_err(|e| {
        rt(format!(
            "--input {}: the b-values of {source}: {}",
            path.display(),
            e.to_string().replace('\n', " ")
        ))
    })?;
    if let Some(v) = &vectors {
        let acq = osipy::ivim::Acquisition::new("osipy ivim", &b)?;
        acq.check_vectors("osipy ivim", v).map_err(|e| {
            rt(format!(
                "--input {}: DICOM DiffusionGradientOrientation (0018,9089): {}",
                path.display(),
                e.to_string().replace('\n', " ")
            ))
        })?;
    }
    Ok(DicomDiffusion {
        input: Input {
            like: super::t1_input::dicom_like(&s),
            format: "DICOM (volumes ordered by b-value)",
            file_times: None,
            flip_angle_deg: s.flip_angle_deg,
            tr_s: s.repetition_time_s,
            te_s: s.echo_time_s,
            hashes,
            data: s.data,
        },
        b,
        vectors,
        source,
    })
}

/// Checks the b-values of `--bval` against those of the DICOM headers (`source`): equal within
/// 1e-6 relative.
pub(crate) fn check_agree(bval: &Path, file: &[f64], header: &[f64], source: &str) -> Result<(), CliError> {
    for (j, (a, h)) in file.iter().zip(header).enumerate() {
        if (a - h).abs() > 1e-6 * a.abs().max(h.abs()) {
            return Err(rt(format!(
                "--bval {}: b-value {a} of volume {j} (volumes ordered by b-value) disagrees with {h} from {source}",
                bval.display()
            )));
        }
    }
    Ok(())
}

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
