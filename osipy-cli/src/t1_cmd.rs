//! `osipy t1`: T1 maps from variable-flip-angle SPGR volumes (nonlinear, linear DESPOT1 or
//! two-angle, with an optional B1 map) or from a Look-Locker inversion-recovery series, read
//! from NIfTI or `.npy`; writes the maps, fit quality maps, a figure, a provenance record and
//! a report (see `--help`).

use std::fmt::Write as _;
use std::time::Instant;

use ndarray::{s, Array3, Array4};
use osipy_kernels::Device;
use serde_json::json;

use super::figure;
use super::inputs::{hash_file, read_map3, rt};
use super::outdir::{begin, write_map};
use super::provenance;
pub use super::t1_args::{Method, T1Options};
use super::t1_input::{acquisition, read_input, read_sidecar, Acquisition};
use super::CliError;
use osipy::t1::{self, LookLocker, T1Status, VfaFit};

/// The maps of a run, `[x, y, z]`, NaN (status: masked) outside the mask.
struct Maps {
    /// `(file stem, unit, map)`, in output order.
    maps: Vec<(&'static str, &'static str, Array3<f64>)>,
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
    pipeline = pipeline.settings(osipy_kernels::fit::LevenbergMarquardt::default().driver(o.run.fit_driver));
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

/// The settings `osipy t1` ran with (the `settings` of its provenance record; the
/// acquisition's record and the method's fit settings as JSON objects of their own).
#[derive(serde::Serialize)]
struct T1Settings {
    config: Option<String>,
    inputs: Vec<String>,
    input_format: &'static str,
    shape: [usize; 4],
    sidecar: Option<String>,
    method: &'static str,
    acquisition: serde_json::Value,
    b1: Option<String>,
    mask: serde_json::Value,
    fit: serde_json::Value,
    out: String,
    force: bool,
    threads: Option<usize>,
    fit_driver: &'static str,
}

/// Runs `osipy t1` (see `--help`); `command_line` is recorded in the provenance. Prints the
/// summary unless `--quiet`.
pub fn run(o: &T1Options, command_line: &[String]) -> Result<(), CliError> {
    super::inputs::set_max_decoded(o.run.max_decoded);
    let t_total = Instant::now();
    let device = o.run.device.resolve()?;
    let tmp = begin(&o.run.out, o.run.force)?;
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

    let (mask, background) = super::background::resolve(
        o.mask.as_deref(),
        |p| Ok(read_map3("--mask", p, xyz, &mut inp.hashes)?.mapv(|v| v != 0.0 && v.is_finite())),
        || {
            Array3::from_shape_fn((nx, ny, nz), |(x, y, z)| {
                let c = inp.data.slice(s![x, y, z, ..]);
                c.iter().all(|v| v.is_finite()) && c.iter().any(|v| *v != 0.0)
            })
        },
        || {
            (
                super::background::frame_mean(&inp.data, 0..1),
                "the first volume (first flip angle or inversion time)".to_string(),
            )
        },
    )?;
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
    let dir = tmp.path.clone();
    let mut files: Vec<String> = Vec::new();
    let mut write_map = |name: String, map: &Array3<f64>| write_map(&dir, &name, map, &inp.like, &mut files);
    for (name, _, map) in &maps.maps {
        write_map(format!("{name}.nii.gz"), map)?;
    }
    write_map("mask.nii.gz".into(), &mask.mapv(|m| if m { 1.0 } else { 0.0 }))?;

    // Figures: T1 and S0 on the slice with the most mask voxels.
    let view = figure::View::new(&mask, figure::known_affine(inp.format, &inp.like));
    for (name, unit, title) in [("t1", "s", "T1"), ("s0", "a.u.", "S0 (equilibrium signal)")] {
        let Some((_, _, m)) = maps.maps.iter().find(|(n, _, _)| *n == name) else {
            continue;
        };
        let title = format!("{title} ({unit}), {}", o.method.name());
        figure::slice_figure(&dir, name, &title, unit, m, &view, &mut files)?;
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
            (*n, *u, figure::median(&mut v))
        })
        .collect();
    files.push("provenance.json".into());
    files.push("report.md".into());
    files.push("report.html".into());
    timings.push(("total before the report", t_total.elapsed().as_secs_f64()));

    let settings = T1Settings {
        config: o.run.config.as_ref().map(|p| p.display().to_string()),
        inputs: o.inputs.iter().map(|p| p.display().to_string()).collect(),
        input_format: inp.format,
        shape: [nx, ny, nz, nv],
        sidecar: sc_path.as_ref().map(|p| p.display().to_string()),
        method: o.method.name(),
        acquisition: acq_rec,
        b1: o.b1.as_ref().map(|p| p.display().to_string()),
        mask: super::background::provenance(
            o.mask.as_deref(),
            background.as_ref(),
            "finite, not all-zero samples",
        ),
        fit: match o.method {
            Method::Nonlinear => {
                let f = VfaFit::default();
                json!({"model": "S = S0 sin(a) (1 - E) / (1 - cos(a) E), E = exp(-TR R1), a = B1 x nominal",
                       "start": "DESPOT1 per voxel (fallback R1 1 /s)",
                       "s0_bounds": [f.s0_bounds.0, f.s0_bounds.1.to_string()], "r1_bounds_per_s": [f.r1_bounds.0, f.r1_bounds.1],
                       "max_iterations": f.settings.max_iterations, "ftol": f.settings.ftol, "xtol": f.settings.xtol, "gtol": f.settings.gtol,
                       "driver": f.settings.driver.name()})
            }
            Method::Linear => {
                json!({"model": "DESPOT1: S / sin a = E S / tan a + S0 (1 - E), ordinary least squares"})
            }
            Method::TwoAngle => json!({"model": "DESPOT1 line through the first and the last flip angle"}),
            Method::LookLocker => {
                let l = LookLocker::new(Vec::new());
                json!({"model": "S(t) = a - b exp(-t / T1*); T1 = T1* (b / a - 1); S0 = b - a",
                       "t1_star_bounds_s": [l.t1_star_bounds.0, l.t1_star_bounds.1],
                       "max_iterations": l.settings.max_iterations, "ftol": l.settings.ftol, "xtol": l.settings.xtol, "gtol": l.settings.gtol,
                       "driver": l.settings.driver.name()})
            }
        },
        out: o.run.out.display().to_string(),
        force: o.run.force,
        threads: o.run.threads,
        fit_driver: o.run.fit_driver.name(),
    };
    let part = provenance::Maps {
        settings,
        inputs_sha256: &inp.hashes,
        affine: inp.like.affine,
        mask_voxels: idx.len(),
        status_counts: provenance::status_counts(&counts),
        medians: provenance::Median::all(&medians),
    };
    provenance::Record::new("osipy t1", command_line, device, &files, &timings, part).write(&dir)?;

    let mut r = String::new();
    let _ = writeln!(r, "# osipy t1: {} T1 mapping\n", o.method.name());
    let _ = writeln!(
        r,
        "osipy {} · command: `{}` · device: {device}\n",
        env!("CARGO_PKG_VERSION"),
        command_line.join(" ")
    );
    let _ =
        writeln!(
        r,
        "Input: {input_txt} ({}), {nx}x{ny}x{nz} voxels x {nv} volumes; {} voxels in the mask.\n\nMask: {}\n",
        inp.format,
        idx.len(),
        super::background::describe(o.mask.as_deref(), background.as_ref(), "finite, not all-zero samples")
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
        let _ = writeln!(r, "### {caption}, slice {}\n\n![{caption}]({f})\n", view.z);
    }
    let _ = writeln!(r, "## Files\n");
    for f in &files {
        let _ = writeln!(r, "- `{f}`");
    }
    super::report_html::write_reports(&dir, &r)?;
    tmp.commit()?;

    if !o.run.quiet {
        let mut s = format!(
            "osipy t1: {} voxels ({}) on {device}; {:.1}% ok; output in {}\nmedians:",
            idx.len(),
            o.method.name(),
            100.0 * ok as f64 / idx.len() as f64,
            o.run.out.display()
        );
        s.push_str(&figure::medians_text(&medians));
        println!("{s}");
    }
    Ok(())
}
