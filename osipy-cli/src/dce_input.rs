//! The input of `osipy dce`: the 4-D series (NIfTI, DICOM, `.npy`) with its geometry and
//! acquisition values, its time axis (flags, sidecar, DICOM, NIfTI header), and an AIF file.

use std::path::{Path, PathBuf};

use ndarray::{Array4, ArrayD, Ix4};
use serde_json::Value;

use super::inputs::{hash_file, is_nifti, is_npy, rt};
use super::outdir::io_err;
use super::phantom::geometry;
use super::CliError;
use osipy::io::dicom;
use osipy::io::nifti::{self, Nifti};

/// The series as read, with where its geometry, times and settings came from.
pub(crate) struct Input {
    pub(crate) data: Array4<f64>,
    /// Header-bearing image giving the outputs their geometry.
    pub(crate) like: Nifti,
    pub(crate) format: &'static str,
    pub(crate) file_times: Option<(Vec<f64>, &'static str)>,
    pub(crate) flip_angle_deg: Option<f64>,
    pub(crate) tr_s: Option<f64>,
    /// Echo time (s) from DICOM.
    pub(crate) te_s: Option<f64>,
    pub(crate) hashes: serde_json::Map<String, Value>,
}

pub(crate) fn to4(flag: &str, path: &Path, a: ArrayD<f64>) -> Result<Array4<f64>, CliError> {
    let shape = a.shape().to_vec();
    a.into_dimensionality::<Ix4>().map_err(|_| {
        rt(format!(
            "{flag} {}: expected a 4-D series [x, y, z, t], found shape {shape:?}",
            path.display()
        ))
    })
}

pub(crate) fn read_input(path: &Path, series: Option<&str>) -> Result<Input, CliError> {
    if !osipy::npy::archive_of(path).exists() {
        return Err(rt(format!("--input {}: no such file or folder", path.display())));
    }
    let mut hashes = serde_json::Map::new();
    if path.is_dir() || !(is_npy(path) || is_nifti(path)) {
        // With --series: that series, looked for in sub-folders too (a study as exported).
        let options = dicom::ReadOptions {
            series_uid: series.map(str::to_string),
            sub_folders: series.is_some(),
            ..dicom::ReadOptions::default()
        };
        let s = super::inputs::read_dicom_input(path, options, &mut hashes, |e| {
            matches!(e, dicom::DicomError::MixedSeries { .. })
                .then_some(" (osipy dce: pick one with --series UID)")
        })?;
        let (nx, ny, nz, nt) = s.data.dim();
        let dt = if s.times_s.len() > 1 {
            s.times_s[1] - s.times_s[0]
        } else {
            1.0
        };
        let mut like = geometry([nx, ny, nz], nt, s.voxel_size_mm, dt);
        like.header.srow = [s.affine[0], s.affine[1], s.affine[2]];
        like.header.qform_code = 0;
        like.header.sform_code = 1;
        like.affine = s.affine;
        if nt < 2 {
            return Err(rt(format!(
                "--input {}: expected a 4-D series with more than one time point, found one",
                path.display()
            )));
        }
        let times = match s.time_source {
            dicom::TimeSource::TemporalPosition { resolution_s: None }
            | dicom::TimeSource::InstanceNumber { resolution_s: None }
            | dicom::TimeSource::Single => None,
            source => Some((
                s.times_s.clone(),
                match source {
                    dicom::TimeSource::Acquisition => "DICOM frame times (AcquisitionTime)",
                    dicom::TimeSource::Content => "DICOM frame times (ContentTime)",
                    dicom::TimeSource::Trigger => "DICOM frame times (TriggerTime)",
                    dicom::TimeSource::TemporalPosition { .. } => {
                        "DICOM frame times (TemporalPositionIdentifier x TemporalResolution)"
                    }
                    dicom::TimeSource::InstanceNumber { .. } => {
                        "DICOM frame times (InstanceNumber x TemporalResolution)"
                    }
                    _ => "DICOM frame times (FrameTime)",
                },
            )),
        };
        return Ok(Input {
            data: s.data,
            like,
            format: "DICOM",
            file_times: times,
            flip_angle_deg: s.flip_angle_deg,
            tr_s: s.repetition_time_s,
            te_s: s.echo_time_s,
            hashes,
        });
    }
    hash_file(&osipy::npy::archive_of(path), &mut hashes)?;
    if is_npy(path) {
        let a = super::inputs::read_numpy("--input", path)?;
        let data = to4("--input", path, a)?;
        let (nx, ny, nz, nt) = data.dim();
        return Ok(Input {
            data,
            like: geometry([nx, ny, nz], nt, [1.0, 1.0, 1.0], 1.0),
            format: ".npy (no geometry: 1-mm voxels centred on the origin)",
            file_times: None,
            flip_angle_deg: None,
            tr_s: None,
            te_s: None,
            hashes,
        });
    }
    let img = nifti::read_with(path, &super::inputs::nifti_options()).map_err(|e| {
        rt(format!(
            "--input {}: {}{}",
            path.display(),
            e.to_string().replace('\n', " "),
            super::inputs::cap_hint(&e)
        ))
    })?;
    super::inputs::warn(&img.notes);
    let data = to4("--input", path, img.data.clone())?;
    let times = img.time_step_s().filter(|d| d.is_finite() && *d > 0.0).map(|d| {
        (
            (0..data.dim().3).map(|i| i as f64 * d).collect(),
            "NIfTI pixdim[4]",
        )
    });
    Ok(Input {
        data,
        like: img,
        format: "NIfTI",
        file_times: times,
        flip_angle_deg: None,
        tr_s: None,
        te_s: None,
        hashes,
    })
}

pub(crate) fn default_sidecar(input: &Path) -> Option<PathBuf> {
    super::inputs::sidecar_beside(input)
}

pub(crate) fn sidecar_times(sc: &Value, file: &Path) -> Result<Option<(Vec<f64>, String)>, CliError> {
    for key in ["FrameTimesStart", "VolumeTiming"] {
        if let Some(v) = sc.get(key) {
            let t = v
                .as_array()
                .and_then(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
                .ok_or_else(|| {
                    rt(format!(
                        "--sidecar {}: key {key}: expected an array of seconds, found {v}",
                        file.display()
                    ))
                })?;
            return Ok(Some((t, format!("sidecar {} {key}", file.display()))));
        }
    }
    Ok(None)
}

pub(crate) fn check_times(t: &[f64], nt: usize, source: &str) -> Result<Vec<f64>, CliError> {
    if t.len() != nt {
        return Err(rt(format!(
            "time axis from {source}: expected {nt} times (one per frame), found {}",
            t.len()
        )));
    }
    if let Some(i) = (1..t.len())
        .find(|&i| t[i].partial_cmp(&t[i - 1]) != Some(std::cmp::Ordering::Greater) || !t[i].is_finite())
    {
        return Err(rt(format!(
            "time axis from {source}: expected strictly increasing finite times, found {} then {} at frames {} and {i}",
            t[i - 1],
            t[i],
            i - 1
        )));
    }
    Ok(t.iter().map(|x| x - t[0]).collect())
}

pub(crate) fn read_curve(
    path: &Path,
    nt: usize,
    hashes: &mut serde_json::Map<String, Value>,
) -> Result<(Vec<f64>, bool), CliError> {
    let archive = osipy::npy::archive_of(path);
    if !archive.is_file() {
        return Err(rt(format!("--aif {}: no such file", path.display())));
    }
    hash_file(&archive, hashes)?;
    let mut plasma = false;
    let v = if is_npy(path) {
        let a = super::inputs::read_numpy("--aif", path)?;
        let shape = a.shape().to_vec();
        let v: Vec<f64> = a.into_iter().collect();
        if shape.iter().filter(|n| **n > 1).count() > 1 {
            return Err(rt(format!(
                "--aif {}: expected a 1-D array, found shape {shape:?}",
                path.display()
            )));
        }
        v
    } else if is_nifti(path) {
        // A NIfTI image holding one curve (every axis but one of length 1).
        let img = nifti::read_with(path, &super::inputs::nifti_options()).map_err(|e| {
            rt(format!(
                "--aif {}: {}{}",
                path.display(),
                e.to_string().replace('\n', " "),
                super::inputs::cap_hint(&e)
            ))
        })?;
        super::inputs::warn(&img.notes);
        let shape = img.data.shape().to_vec();
        if shape.iter().filter(|n| **n > 1).count() > 1 {
            return Err(rt(format!(
                "--aif {}: expected an image holding one curve (one axis longer than 1), found shape {shape:?}",
                path.display()
            )));
        }
        img.data.iter().copied().collect()
    } else {
        let bytes = std::fs::read(path).map_err(|e| io_err(path, "read", e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            rt(format!(
                "--aif {}: expected UTF-8 text (CSV), found a byte 0x{:02x} that is not UTF-8 at offset {}",
                path.display(),
                e.as_bytes()[e.utf8_error().valid_up_to()],
                e.utf8_error().valid_up_to()
            ))
        })?;
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i, l.trim()))
            .filter(|(_, l)| !l.is_empty())
            .peekable();
        // A header line (any non-numeric cell) names the columns.
        let mut col = 0;
        if let Some((_, first)) = lines.peek() {
            let cells: Vec<&str> = first.split(',').map(str::trim).collect();
            if cells.iter().any(|c| c.parse::<f64>().is_err()) {
                let find = |names: &[&str]| {
                    cells
                        .iter()
                        .position(|c| names.contains(&c.to_ascii_lowercase().as_str()))
                };
                if cells.len() == 1 {
                    col = 0;
                } else if let Some(k) = find(&["plasma_mm", "plasma"]) {
                    col = k;
                    plasma = true;
                } else if let Some(k) = find(&["blood_mm", "blood"]) {
                    col = k;
                } else {
                    return Err(rt(format!(
                        "--aif {}: expected one column, or a header naming a plasma_mM or blood_mM column, found `{}`",
                        path.display(),
                        escaped(first)
                    )));
                }
                lines.next();
            } else if cells.len() != 1 {
                return Err(rt(format!(
                    "--aif {}: expected one column (or a header naming a plasma_mM or blood_mM column), found {} columns",
                    path.display(),
                    cells.len()
                )));
            }
        }
        let mut v = Vec::new();
        for (i, line) in lines {
            let cell = line.split(',').nth(col).unwrap_or("").trim();
            let x = cell
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    rt(format!(
                        "--aif {} line {}: expected a finite number in column {}, found `{}`",
                        path.display(),
                        i + 1,
                        col + 1,
                        escaped(cell)
                    ))
                })?;
            v.push(x);
        }
        v
    };
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(rt(format!(
            "--aif {}: expected finite values, found {} at index {i}",
            path.display(),
            v[i]
        )));
    }
    if v.len() != nt {
        return Err(rt(format!(
            "--aif {}: expected {nt} finite values (one per frame), found {} values",
            path.display(),
            v.len()
        )));
    }
    Ok((v, plasma))
}

/// `text` with control characters escaped and at most 80 characters, for quoting input in a
/// one-line message.
fn escaped(text: &str) -> String {
    let mut s = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 80 {
            s.push_str("...");
            break;
        }
        if c.is_control() {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    s
}
