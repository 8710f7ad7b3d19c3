//! `osipy t1`: T1 maps from variable-flip-angle SPGR volumes (nonlinear, linear DESPOT1 or
//! two-angle, with an optional B1 map) or from a Look-Locker inversion-recovery series, read
//! from NIfTI or `.npy`; writes the maps, fit quality maps, a figure, a provenance record and
//! a report (see `--help`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{s, Array3, Array4, Axis, Ix4};
use osipy_kernels::Device;
use serde_json::{json, Value};

use super::figure;
use super::inputs::{hash_file, is_nifti, is_npy, read_any, read_map3, rt, to3, Hashes};
use super::outdir::{begin, check_out, commit, io_err, write_map};
use super::phantom::geometry;
pub use super::t1_args::{Method, T1Options};
use super::CliError;
use osipy::io::dicom::{self, DicomSeries, ReadOptions, VolumeKey, VolumeOrder};
use osipy::io::nifti::Nifti;
use osipy::t1::{self, LookLocker, T1Status, VfaFit};

/// The volumes as read, with the image giving the outputs their geometry.
struct Input {
    data: Array4<f64>,
    like: Nifti,
    format: &'static str,
    hashes: Hashes,
    /// The acquisition as the DICOM headers give it (DICOM input only).
    dicom: Option<DicomAcquisition>,
}

/// The acquisition values of a DICOM input, one per volume (`None` where the frames of a
/// volume disagree or lack the attribute).
struct DicomAcquisition {
    /// The folder (or file) read.
    path: PathBuf,
    /// The attribute that ordered the volumes.
    key: VolumeKey,
    flip_angles_deg: Vec<Option<f64>>,
    repetition_times_s: Vec<Option<f64>>,
    inversion_times_s: Vec<Option<f64>>,
    trigger_times_s: Vec<Option<f64>>,
}

/// Whether `--input` names DICOM: a folder, or a file that is neither NIfTI nor `.npy`.
fn is_dicom_input(path: &Path) -> bool {
    path.is_dir() || (path.is_file() && !is_npy(path) && !is_nifti(path))
}

/// The output geometry of a DICOM series: its voxel size and (RAS+) affine as the sform.
fn dicom_like(s: &DicomSeries) -> Nifti {
    let (nx, ny, nz, nv) = s.data.dim();
    let mut like = geometry([nx, ny, nz], nv, s.voxel_size_mm, 1.0);
    like.header.srow = [s.affine[0], s.affine[1], s.affine[2]];
    like.header.qform_code = 0;
    like.header.sform_code = 1;
    like.affine = s.affine;
    like
}

/// Reads a DICOM acquisition (a folder of one or several series, sub-folders included, or one
/// file) with its volumes ordered by flip angle (VFA methods) or by inversion time, else
/// trigger time (Look-Locker).
fn read_dicom_input(path: &Path, method: Method) -> Result<Input, CliError> {
    let order = if method.is_vfa() {
        VolumeOrder::FlipAngle
    } else {
        VolumeOrder::InversionTime
    };
    let options = ReadOptions {
        order,
        combine_series: true,
        sub_folders: true,
        ..ReadOptions::default()
    };
    let s = dicom::read_series_with(path, &options).map_err(|e| {
        let what = if path.is_dir() {
            ""
        } else {
            "expected a .nii, .nii.gz, .npy file or DICOM; read as DICOM: "
        };
        rt(format!(
            "--input {}: {what}{}",
            path.display(),
            e.to_string().replace('\n', " ")
        ))
    })?;
    let mut hashes = Hashes::new();
    for f in &s.files {
        hash_file(f, &mut hashes)?;
    }
    let format = match s.volume_key {
        VolumeKey::FlipAngle => "DICOM (volumes ordered by FlipAngle)",
        VolumeKey::InversionTime => "DICOM (volumes ordered by InversionTime)",
        VolumeKey::TriggerTime => "DICOM (volumes ordered by TriggerTime)",
        VolumeKey::Time => "DICOM (one volume)",
    };
    Ok(Input {
        like: dicom_like(&s),
        format,
        hashes,
        dicom: Some(DicomAcquisition {
            path: path.to_path_buf(),
            key: s.volume_key,
            flip_angles_deg: s.volume_flip_angles_deg,
            repetition_times_s: s.volume_repetition_times_s,
            inversion_times_s: s.volume_inversion_times_s,
            trigger_times_s: s.volume_trigger_times_s,
        }),
        data: s.data,
    })
}

fn read_input(paths: &[PathBuf], method: Method) -> Result<Input, CliError> {
    let mut hashes = Hashes::new();
    if let [path] = paths {
        if is_dicom_input(path) {
            return read_dicom_input(path, method);
        }
        let (a, img) = read_any("--input", path, &mut hashes)?;
        let shape = a.shape().to_vec();
        let data = a.into_dimensionality::<Ix4>().map_err(|_| {
            rt(format!(
                "--input {}: expected a 4-D image [x, y, z, volumes] (or several 3-D files, comma-separated), found shape {shape:?}",
                path.display()
            ))
        })?;
        let (nx, ny, nz, nv) = data.dim();
        return Ok(match img {
            Some(like) => Input {
                data,
                like,
                format: "NIfTI (4-D)",
                hashes,
                dicom: None,
            },
            None => Input {
                data,
                like: geometry([nx, ny, nz], nv, [1.0, 1.0, 1.0], 1.0),
                format: ".npy (no geometry: 1-mm voxels centred on the origin)",
                hashes,
                dicom: None,
            },
        });
    }
    let mut vols: Vec<Array3<f64>> = Vec::new();
    let mut like = None;
    let mut xyz = None;
    for p in paths {
        if p.is_dir() {
            return Err(rt(format!(
                "--input {}: a DICOM folder must be the only --input (put the series of all flip angles or inversion times in one folder or in sub-folders of one folder)",
                p.display()
            )));
        }
        let (a, img) = read_any("--input", p, &mut hashes)?;
        let v = to3("--input", p, a, xyz)?;
        let d = v.dim();
        xyz = Some([d.0, d.1, d.2]);
        if like.is_none() {
            like = img;
        }
        vols.push(v);
    }
    let [nx, ny, nz] = xyz.unwrap_or([0; 3]);
    let views: Vec<_> = vols.iter().map(|v| v.view().insert_axis(Axis(3))).collect();
    let data = ndarray::concatenate(Axis(3), &views).map_err(|e| rt(format!("--input: {e}")))?;
    let format = if like.is_some() {
        "NIfTI (3-D volumes)"
    } else {
        ".npy volumes (no geometry: 1-mm voxels centred on the origin)"
    };
    Ok(Input {
        like: like.unwrap_or_else(|| geometry([nx, ny, nz], 1, [1.0, 1.0, 1.0], 1.0)),
        data,
        format,
        hashes,
        dicom: None,
    })
}

/// `NAME.json` beside a single NIfTI or `.npy` input `NAME.nii[.gz]` / `NAME.npy`, when it
/// exists; none for DICOM (its header has the acquisition).
fn default_sidecar(inputs: &[PathBuf]) -> Option<PathBuf> {
    let [input] = inputs else { return None };
    if is_dicom_input(input) {
        return None;
    }
    super::inputs::sidecar_beside(input)
}

/// A number or a list of numbers under `key`.
fn sidecar_list(sc: &Value, key: &str, file: &Path) -> Result<Option<Vec<f64>>, CliError> {
    let bad = |v: &Value| {
        rt(format!(
            "--sidecar {}: key {key}: expected a finite number or a list of them, found {v}",
            file.display()
        ))
    };
    match sc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Array(a)) => a
            .iter()
            .map(|x| x.as_f64().filter(|y| y.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .map(Some)
            .ok_or_else(|| bad(v)),
        Some(v) => v
            .as_f64()
            .filter(|y| y.is_finite())
            .map(|y| Some(vec![y]))
            .ok_or_else(|| bad(v)),
    }
}

fn read_sidecar(o: &T1Options, hashes: &mut Hashes) -> Result<(Option<PathBuf>, Value), CliError> {
    super::inputs::read_sidecar(o.sidecar.clone().or_else(|| default_sidecar(&o.inputs)), hashes)
}

/// The maps of a run, `[x, y, z]`, NaN (status: masked) outside the mask.
struct Maps {
    /// `(file stem, unit, map)`, in output order.
    maps: Vec<(&'static str, &'static str, Array3<f64>)>,
}

struct Acquisition {
    flip_angles_deg: Option<Vec<f64>>,
    tr_s: Option<f64>,
    times_s: Option<Vec<f64>>,
}

/// Maps T1 in the voxels of `mask` with the library pipeline [`t1::VolumeFit`], each chunk
/// reported to `progress`.
#[allow(clippy::too_many_arguments)]
fn fit<W: std::io::Write + Send>(
    o: &T1Options,
    device: Device,
    acq: &Acquisition,
    data: &Array4<f64>,
    mask: &Array3<bool>,
    b1: Option<&Array3<f64>>,
    progress: &mut super::progress::Progress<W>,
) -> Result<Maps, CliError> {
    let (nx, ny, nz, _) = data.dim();
    let mut pipeline = if o.method == Method::LookLocker {
        t1::VolumeFit::look_locker(acq.times_s.clone().unwrap_or_default()).magnitude(o.magnitude)
    } else {
        t1::VolumeFit::vfa(
            o.method,
            acq.flip_angles_deg.clone().unwrap_or_default(),
            acq.tr_s.unwrap_or(f64::NAN),
        )
    };
    if let Some(b) = b1 {
        pipeline = pipeline.b1(b);
    }
    if let Some(n) = o.run.threads {
        pipeline = pipeline.threads(n);
    }
    progress.start("fitting", mask.iter().filter(|m| **m).count());
    let mut last = 0;
    let maps = pipeline
        .mask(mask)
        .device(device)
        .progress(|done, _| {
            progress.advance(done - last);
            last = done;
        })
        .fit(data)?;
    let maps = maps
        .maps
        .into_iter()
        .map(|m| {
            let a = m
                .data
                .into_shape_with_order((nx, ny, nz))
                .map_err(|e| rt(format!("map {} shape: {e}", m.name)))?;
            Ok((m.name, m.unit, a))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(Maps { maps })
}

/// A stage line on stderr (`osipy t1: what`; nothing with `--quiet`).
fn stage(o: &T1Options, what: &str) {
    super::progress::Progress::stderr("osipy t1", o.run.quiet).stage(what);
}

/// Per-volume values of a DICOM header, when every volume has one: `(values, source)`;
/// else the error that says which volume lacks one.
fn dicom_values(
    d: &DicomAcquisition,
    v: &[Option<f64>],
    attribute: &str,
    flag: &str,
) -> Result<(Vec<f64>, String), CliError> {
    match v.iter().position(Option::is_none) {
        None => Ok((
            v.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
            format!("DICOM {attribute} of --input {}", d.path.display()),
        )),
        Some(j) => Err(rt(format!(
            "--input {}: DICOM {attribute} missing or different between the slices of volume {j} (found {}): expected one value per volume; give {flag}",
            d.path.display(),
            list_opt(v)
        ))),
    }
}

/// `[a, b, -]` for optional values.
fn list_opt(v: &[Option<f64>]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|x| x.map_or_else(|| "-".to_string(), |y| y.to_string()))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The count check of a list from a flag or the sidecar against the volumes, naming the
/// DICOM header's values when the input is DICOM.
fn check_count(
    src: &str,
    what: &str,
    got: usize,
    nv: usize,
    input: &str,
    header: Option<(&str, &[Option<f64>])>,
) -> Result<(), CliError> {
    if got == nv {
        return Ok(());
    }
    let dicom = match header {
        Some((attr, v)) => format!(
            "; the DICOM header tells {nv} volumes apart by {attr}: {}",
            list_opt(v)
        ),
        None => String::new(),
    };
    Err(rt(format!(
        "{src}: expected {nv} {what} (one per volume of --input {input}), found {got}{dicom}"
    )))
}

/// Resolves the acquisition from the flags, the sidecar and the DICOM header (in this order of
/// precedence), checked against `nv` volumes.
fn acquisition(
    o: &T1Options,
    sc: &Value,
    sc_file: &Path,
    nv: usize,
    input: &str,
    dicom: Option<&DicomAcquisition>,
) -> Result<(Acquisition, Value), CliError> {
    if let Some(d) = dicom {
        let wrong = matches!(
            (o.method.is_vfa(), d.key),
            (true, VolumeKey::InversionTime | VolumeKey::TriggerTime) | (false, VolumeKey::FlipAngle)
        );
        if wrong {
            return Err(rt(format!(
                "--input {}: DICOM volumes ordered by {:?} do not suit --method {}",
                d.path.display(),
                d.key,
                o.method.name()
            )));
        }
    }
    if o.method.is_vfa() {
        let header = dicom.map(|d| ("FlipAngle", d.flip_angles_deg.as_slice()));
        let (fa, fa_src) = match &o.flip_angles_deg {
            Some(v) => (v.clone(), "--flip-angles".to_string()),
            None => match (sidecar_list(sc, "FlipAngle", sc_file)?, dicom) {
                (Some(v), _) => (v, format!("--sidecar {} FlipAngle", sc_file.display())),
                (None, Some(d)) => {
                    dicom_values(d, &d.flip_angles_deg, "FlipAngle (0018,1314)", "--flip-angles")?
                }
                (None, None) => {
                    return Err(CliError::Usage(format!(
                        "--flip-angles: required for --method {} (or a sidecar with a FlipAngle list)",
                        o.method.name()
                    )))
                }
            },
        };
        check_count(&fa_src, "flip angles", fa.len(), nv, input, header)?;
        if let Some(a) = fa.iter().find(|a| !(**a > 0.0 && **a < 180.0)) {
            return Err(rt(format!(
                "{fa_src}: expected flip angles in (0, 180) degrees, found {a}"
            )));
        }
        if nv < 2 {
            return Err(rt(format!(
                "--input {input}: expected at least 2 volumes (flip angles), found {nv}"
            )));
        }
        let (tr, tr_src) = match o.tr_s {
            Some(v) => (v, "--tr".to_string()),
            None => {
                let mut found = None;
                for key in ["RepetitionTimeExcitation", "RepetitionTime"] {
                    if let Some(v) = sidecar_list(sc, key, sc_file)? {
                        found = Some((v, format!("--sidecar {} {key}", sc_file.display())));
                        break;
                    }
                }
                if found.is_none() {
                    if let Some(d) = dicom {
                        let (v, src) =
                            dicom_values(d, &d.repetition_times_s, "RepetitionTime (0018,0080)", "--tr")?;
                        if v.iter().any(|x| (x - v[0]).abs() > 1e-9 * v[0].abs()) {
                            return Err(rt(format!(
                                "{src}: expected one repetition time for all volumes, found {v:?} s; give --tr"
                            )));
                        }
                        found = Some((vec![v[0]], src));
                    }
                }
                match found {
                    Some((v, src)) if v.len() == 1 => (v[0], src),
                    Some((v, src)) => {
                        return Err(rt(format!("{src}: expected one repetition time, found {v:?}")))
                    }
                    None => {
                        return Err(CliError::Usage(
                            "--tr: required for the VFA methods (or a sidecar with RepetitionTime)".into(),
                        ))
                    }
                }
            }
        };
        if tr.is_nan() || tr <= 0.0 {
            return Err(rt(format!(
                "{tr_src}: expected a repetition time > 0 s, found {tr}"
            )));
        }
        let mut rec =
            json!({"flip_angles_deg": fa, "flip_angles_source": fa_src, "tr_s": tr, "tr_source": tr_src});
        if let Some(d) = dicom {
            rec["dicom_flip_angles_deg"] = json!(d.flip_angles_deg);
            rec["dicom_tr_s"] = json!(d.repetition_times_s);
        }
        Ok((
            Acquisition {
                flip_angles_deg: Some(fa),
                tr_s: Some(tr),
                times_s: None,
            },
            rec,
        ))
    } else {
        let dicom_times = dicom.map(|d| match d.key {
            VolumeKey::TriggerTime => ("TriggerTime (0018,1060)", d.trigger_times_s.as_slice()),
            _ => ("InversionTime (0018,0082)", d.inversion_times_s.as_slice()),
        });
        let (t, src) = match &o.times_s {
            Some(v) => (v.clone(), "--times".to_string()),
            None => match (
                sidecar_list(sc, "InversionTime", sc_file)?,
                dicom.zip(dicom_times),
            ) {
                (Some(v), _) => (v, format!("--sidecar {} InversionTime", sc_file.display())),
                (None, Some((d, (attr, v)))) => dicom_values(d, v, attr, "--times")?,
                (None, None) => return Err(CliError::Usage(
                    "--times: required for --method look-locker (or a sidecar with an InversionTime list)"
                        .into(),
                )),
            },
        };
        check_count(&src, "times", t.len(), nv, input, dicom_times)?;
        if nv < 3 {
            return Err(rt(format!(
                "--input {input}: expected at least 3 volumes for Look-Locker, found {nv}"
            )));
        }
        if !(t.iter().all(|x| x.is_finite() && *x >= 0.0) && t.windows(2).all(|w| w[0] < w[1])) {
            return Err(rt(format!(
                "{src}: expected increasing times >= 0 s, found {t:?}"
            )));
        }
        let mut rec = json!({"times_s": t, "times_source": src, "magnitude": o.magnitude});
        if let Some((attr, v)) = dicom_times {
            rec["dicom_times_s"] = json!(v);
            rec["dicom_times_attribute"] = json!(attr);
        }
        Ok((
            Acquisition {
                flip_angles_deg: None,
                tr_s: None,
                times_s: Some(t),
            },
            rec,
        ))
    }
}

/// The slice with the most mask voxels (the lowest on ties).
fn best_slice(mask: &Array3<bool>) -> usize {
    (0..mask.dim().2)
        .max_by_key(|&z| {
            (
                mask.slice(s![.., .., z]).iter().filter(|m| **m).count(),
                std::cmp::Reverse(z),
            )
        })
        .unwrap_or(0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs `osipy t1` (see `--help`); `command_line` is recorded in the provenance. Prints the
/// summary unless `--quiet`.
pub fn run(o: &T1Options, command_line: &[String]) -> Result<(), CliError> {
    let t_total = Instant::now();
    let device = o.run.device.resolve()?;
    check_out(&o.run.out, o.run.force)?;
    let mut timings: Vec<(&str, f64)> = Vec::new();
    let input_txt = o
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",");

    stage(o, &format!("reading {input_txt}"));
    let t0 = Instant::now();
    let mut inp = read_input(&o.inputs, o.method)?;
    let (nx, ny, nz, nv) = inp.data.dim();
    let xyz = [nx, ny, nz];
    if let Some(c) = &o.run.config {
        hash_file(c, &mut inp.hashes)?;
    }
    let (sc_path, sc) = read_sidecar(o, &mut inp.hashes)?;
    let sc_file = sc_path.clone().unwrap_or_default();
    let (acq, acq_rec) = acquisition(o, &sc, &sc_file, nv, &input_txt, inp.dicom.as_ref())?;

    let mask: Array3<bool> = match &o.mask {
        Some(p) => read_map3("--mask", p, xyz, &mut inp.hashes)?.mapv(|v| v != 0.0 && v.is_finite()),
        None => Array3::from_shape_fn((nx, ny, nz), |(x, y, z)| {
            let c = inp.data.slice(s![x, y, z, ..]);
            c.iter().all(|v| v.is_finite()) && c.iter().any(|v| *v != 0.0)
        }),
    };
    let b1map = match &o.b1 {
        Some(p) => Some(read_map3("--b1", p, xyz, &mut inp.hashes)?),
        None => None,
    };
    let idx: Vec<[usize; 3]> = mask
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((x, y, z), _)| [x, y, z])
        .collect();
    let n_fit = idx.len();
    if n_fit == 0 {
        return Err(rt(match &o.mask {
            Some(p) => format!("--mask {}: the mask selects no voxel", p.display()),
            None => {
                format!("--input {input_txt}: no voxel has finite, not all-zero samples (the default mask)")
            }
        }));
    }
    timings.push(("read", t0.elapsed().as_secs_f64()));

    stage(
        o,
        &format!("fitting {n_fit} voxels ({}) on {device}", o.method.name()),
    );
    let t0 = Instant::now();
    let mut progress = super::progress::Progress::stderr("osipy t1", o.run.quiet);
    let maps = fit(o, device, &acq, &inp.data, &mask, b1map.as_ref(), &mut progress)?;
    timings.push(("fit", t0.elapsed().as_secs_f64()));

    stage(o, "writing the maps, figures, provenance and report");
    let t0 = Instant::now();
    let mut tmp = begin(&o.run.out)?;
    let dir = tmp.path.clone();
    let mut files: Vec<String> = Vec::new();
    let mut write_map = |name: String, map: &Array3<f64>| write_map(&dir, &name, map, &inp.like, &mut files);
    for (name, _, map) in &maps.maps {
        write_map(format!("{name}.nii.gz"), map)?;
    }
    write_map("mask.nii.gz".into(), &mask.mapv(|m| if m { 1.0 } else { 0.0 }))?;

    // Figures: T1 and S0 on the slice with the most mask voxels.
    let z = best_slice(&mask);
    for (name, unit, title) in [("t1", "s", "T1"), ("s0", "a.u.", "S0")] {
        let Some((_, _, m)) = maps.maps.iter().find(|(n, _, _)| *n == name) else {
            continue;
        };
        let sl = m.slice(s![.., .., z]).to_owned();
        let mut v: Vec<f64> = sl.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let hi = v
            .get((v.len() * 98 / 100).min(v.len().saturating_sub(1)))
            .copied()
            .filter(|h| *h > 0.0)
            .unwrap_or(1.0);
        let cv = figure::map_figure(&format!("{title} ({unit}) SLICE {z}"), &[("FIT", &sl)], 0.0, hi);
        let file = format!("fig_{name}.png");
        cv.save_png(&dir.join(&file))?;
        files.push(file);
    }
    timings.push(("write", t0.elapsed().as_secs_f64()));

    // Summary.
    let get = |n: &str| maps.maps.iter().find(|(m, _, _)| *m == n).map(|(_, _, a)| a);
    let status = get("status")
        .cloned()
        .unwrap_or_else(|| Array3::zeros((nx, ny, nz)));
    let counts: Vec<(T1Status, usize)> = T1Status::ALL
        .iter()
        .map(|st| {
            let c = f64::from(*st as u32);
            (*st, idx.iter().filter(|p| status[**p] == c).count())
        })
        .collect();
    let ok = counts
        .iter()
        .filter(|(s, _)| matches!(s, T1Status::Ok))
        .map(|(_, n)| n)
        .sum::<usize>();
    let medians: Vec<(&str, &str, f64)> = maps
        .maps
        .iter()
        .filter(|(n, _, _)| *n != "status")
        .map(|(n, u, a)| {
            let mut v: Vec<f64> = idx.iter().map(|p| a[*p]).filter(|x| x.is_finite()).collect();
            (*n, *u, median(&mut v))
        })
        .collect();
    files.push("provenance.json".into());
    files.push("report.md".into());
    timings.push(("total before the report", t_total.elapsed().as_secs_f64()));

    let settings = json!({
        "config": o.run.config.as_ref().map(|p| p.display().to_string()),
        "inputs": o.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "input_format": inp.format,
        "shape": [nx, ny, nz, nv],
        "sidecar": sc_path.as_ref().map(|p| p.display().to_string()),
        "method": o.method.name(),
        "acquisition": acq_rec,
        "b1": o.b1.as_ref().map(|p| p.display().to_string()),
        "mask": o.mask.as_ref().map_or_else(|| "finite, not all-zero samples".to_string(), |p| p.display().to_string()),
        "fit": match o.method {
            Method::Nonlinear => {
                let f = VfaFit::default();
                json!({"model": "S = S0 sin(a) (1 - E) / (1 - cos(a) E), E = exp(-TR R1), a = B1 x nominal",
                       "start": "DESPOT1 per voxel (fallback R1 1 /s)",
                       "s0_bounds": [f.s0_bounds.0, f.s0_bounds.1.to_string()], "r1_bounds_per_s": [f.r1_bounds.0, f.r1_bounds.1],
                       "max_iterations": f.settings.max_iterations, "ftol": f.settings.ftol, "xtol": f.settings.xtol, "gtol": f.settings.gtol})
            }
            Method::Linear => json!({"model": "DESPOT1: S / sin a = E S / tan a + S0 (1 - E), ordinary least squares"}),
            Method::TwoAngle => json!({"model": "DESPOT1 line through the first and the last flip angle"}),
            Method::LookLocker => {
                let l = LookLocker::new(Vec::new());
                json!({"model": "S(t) = a - b exp(-t / T1*); T1 = T1* (b / a - 1); S0 = b - a",
                       "t1_star_bounds_s": [l.t1_star_bounds.0, l.t1_star_bounds.1],
                       "max_iterations": l.settings.max_iterations, "ftol": l.settings.ftol, "xtol": l.settings.xtol, "gtol": l.settings.gtol})
            }
        },
        "out": o.run.out.display().to_string(), "force": o.run.force, "threads": o.run.threads,
    });
    let record = json!({
        "tool": "osipy t1",
        "osipy_version": env!("CARGO_PKG_VERSION"),
        "command_line": command_line,
        "device": device.to_string(),
        "settings": settings,
        "inputs_sha256": inp.hashes,
        "affine": inp.like.affine,
        "outputs": files,
        "timings_s": timings.iter().map(|(k, v)| ((*k).to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "mask_voxels": idx.len(),
        "status_counts": counts.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "medians": medians.iter().map(|(n, u, v)| json!({"map": n, "unit": u, "median": v})).collect::<Vec<_>>(),
    });
    super::outdir::write_json(&dir, "provenance.json", &record)?;

    let mut r = String::new();
    let _ = writeln!(r, "# osipy t1: {} T1 mapping\n", o.method.name());
    let _ = writeln!(
        r,
        "osipy {} · command: `{}` · device: {device}\n",
        env!("CARGO_PKG_VERSION"),
        command_line.join(" ")
    );
    let _ = writeln!(
        r,
        "Input: {input_txt} ({}), {nx}x{ny}x{nz} voxels x {nv} volumes; {} voxels in the mask ({}).\n",
        inp.format,
        idx.len(),
        o.mask.as_ref().map_or_else(
            || "finite, not all-zero samples".to_string(),
            |p| p.display().to_string()
        )
    );
    match (&acq.flip_angles_deg, acq.tr_s, &acq.times_s) {
        (Some(fa), Some(tr), _) => {
            let _ = writeln!(
                r,
                "Acquisition: flip angles {fa:?} degrees, TR {tr} s; B1 correction: {}.\n",
                o.b1.as_ref()
                    .map_or_else(|| "none".to_string(), |p| p.display().to_string())
            );
        }
        (_, _, Some(t)) => {
            let _ = writeln!(
                r,
                "Acquisition: Look-Locker readouts at {t:?} s after the inversion ({} data); T1 = T1* (b / a - 1), S0 = b - a.\n",
                if o.magnitude { "magnitude" } else { "signed" }
            );
        }
        _ => {}
    }
    let _ = writeln!(
        r,
        "## Results\n\n| map | unit | median over the mask |\n|---|---|---|"
    );
    for (n, u, v) in &medians {
        let _ = writeln!(r, "| {n} | {u} | {} |", figure::label(*v));
    }
    let _ = writeln!(r, "\n| status | voxels |\n|---|---|");
    for (st, n) in counts.iter().filter(|(_, n)| *n > 0) {
        let _ = writeln!(r, "| {} ({}) | {n} |", st, *st as u32);
    }
    let _ = writeln!(r, "\n## Timings\n\n| stage | s |\n|---|---|");
    for (k, v) in &timings {
        let _ = writeln!(r, "| {k} | {v:.3} |");
    }
    let _ = writeln!(r, "\n## Figures\n");
    for (f, caption) in [("fig_t1.png", "T1 (s)"), ("fig_s0.png", "S0 (a.u.)")] {
        let _ = writeln!(r, "### {caption}, slice {z}\n\n![{caption}]({f})\n");
    }
    let _ = writeln!(r, "## Files\n");
    for f in &files {
        let _ = writeln!(r, "- `{f}`");
    }
    let path = dir.join("report.md");
    std::fs::write(&path, r).map_err(|e| io_err(&path, "write", e))?;
    commit(&mut tmp, &o.run.out)?;

    if !o.run.quiet {
        let mut s = format!(
            "osipy t1: {} voxels ({}) on {device}; {:.1}% ok; output in {}\nmedians:",
            idx.len(),
            o.method.name(),
            100.0 * ok as f64 / idx.len() as f64,
            o.run.out.display()
        );
        for (n, u, v) in &medians {
            let sep = if u.is_empty() { "" } else { " " };
            let _ = write!(s, " {n} {}{sep}{u};", figure::label(*v));
        }
        println!("{s}");
    }
    Ok(())
}
