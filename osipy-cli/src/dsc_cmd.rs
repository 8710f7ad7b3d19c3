//! `osipy dsc`: DSC perfusion maps from a signal (or concentration) series read from NIfTI,
//! DICOM or `.npy`; writes the maps, quality maps, the AIF, figures, a provenance record and a
//! report (see `--help`).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use ndarray::{Array3, Array4, ArrayD};
use osipy::dsc::{self, AifSource, Deconvolution, DscStatus, Relaxivity, VofSource};
use osipy_kernels::Device;
use serde_json::Value;

use super::dce_input::{check_times, default_sidecar, read_curve, read_input};
pub use super::dsc_args::{DscOptions, InputKind};
use super::figure::{self, Canvas, Series, PALETTE};
use super::inputs::{hash_file, read_map3, read_sidecar, rt, sidecar_number, Hashes};
use super::outdir::{begin, io_err, write_map};
use super::provenance;
use super::CliError;

/// A stage line on stderr (`osipy dsc: what`; nothing with `--quiet`).
fn stage(o: &DscOptions, what: &str) {
    super::progress::Progress::stderr("osipy dsc", o.run.quiet).stage(what);
}

/// The frame times: `--times`, `--tr`, the sidecar's RepetitionTime, the file's times.
fn frame_times(
    o: &DscOptions,
    nt: usize,
    sc: &Value,
    sc_file: &Path,
    file_times: Option<&(Vec<f64>, &'static str)>,
) -> Result<(Vec<f64>, String), CliError> {
    if let Some(t) = &o.times {
        return Ok((check_times(t, nt, "--times")?, "--times".into()));
    }
    if let Some(tr) = o.tr_s {
        return Ok(((0..nt).map(|k| k as f64 * tr).collect(), format!("--tr {tr}")));
    }
    if let Some(tr) = sidecar_number(sc, "RepetitionTime", sc_file)? {
        if tr <= 0.0 {
            return Err(rt(format!(
                "--sidecar {}: key RepetitionTime: expected a frame interval > 0 s, found {tr}",
                sc_file.display()
            )));
        }
        return Ok((
            (0..nt).map(|k| k as f64 * tr).collect(),
            format!("sidecar {} RepetitionTime {tr}", sc_file.display()),
        ));
    }
    if let Some((t, src)) = file_times {
        return Ok((check_times(t, nt, src)?, (*src).to_string()));
    }
    Err(rt(format!(
        "--input {}: no time axis: give --tr (the frame interval, s) or --times (no sidecar RepetitionTime, DICOM frame times or NIfTI time step found)",
        o.input.display()
    )))
}

/// The echo time: `--te`, the sidecar's EchoTime, DICOM.
fn echo_time(
    o: &DscOptions,
    sc: &Value,
    sc_file: &Path,
    dicom: Option<f64>,
) -> Result<(f64, String), CliError> {
    if let Some(te) = o.te_s {
        return Ok((te, "--te".into()));
    }
    if let Some(te) = sidecar_number(sc, "EchoTime", sc_file)? {
        let te = super::dsc_args::te(&te.to_string())
            .map_err(|e| rt(format!("--sidecar {}: key EchoTime: {e}", sc_file.display())))?;
        return Ok((te, format!("sidecar {} EchoTime", sc_file.display())));
    }
    if let Some(te) = dicom {
        return Ok((te, "DICOM EchoTime".into()));
    }
    if o.input_kind == InputKind::Concentration {
        return Ok((f64::NAN, "not needed (concentration input)".into()));
    }
    Err(rt(format!(
        "--input {}: no echo time: give --te (s) (no sidecar EchoTime or DICOM EchoTime found)",
        o.input.display()
    )))
}

fn mask3(flag: &str, p: &Path, xyz: [usize; 3], hashes: &mut Hashes) -> Result<Array3<bool>, CliError> {
    Ok(read_map3(flag, p, xyz, hashes)?.mapv(|v| v != 0.0 && v.is_finite()))
}

fn to_map3(name: &str, a: &ArrayD<f64>, xyz: [usize; 3]) -> Result<Array3<f64>, CliError> {
    a.clone()
        .into_shape_with_order((xyz[0], xyz[1], xyz[2]))
        .map_err(|e| rt(format!("map {name} shape: {e}")))
}

/// The flat indices of `ids` as `[x, y, z]`.
fn xyz_of(ids: &[usize], xyz: [usize; 3]) -> Vec<[usize; 3]> {
    ids.iter()
        .map(|&i| [i / (xyz[1] * xyz[2]), (i / xyz[2]) % xyz[1], i % xyz[2]])
        .collect()
}

/// The settings `osipy dsc` ran with (the `settings` of its provenance record).
#[derive(serde::Serialize)]
struct DscSettings {
    config: Option<String>,
    input: String,
    input_format: &'static str,
    input_kind: &'static str,
    shape: [usize; 4],
    sidecar: Option<String>,
    times: DscTimes,
    te_s: Option<f64>,
    te_source: String,
    echo: String,
    baseline_frames: [usize; 2],
    baseline_source: &'static str,
    relaxivity: DscRelaxivity,
    aif: String,
    aif_voxels_xyz: Option<Vec<[usize; 3]>>,
    vof: String,
    vof_scale: Option<f64>,
    vof_voxels_xyz: Option<Vec<[usize; 3]>>,
    method: &'static str,
    method_setting: provenance::Pairs<&'static str, f64>,
    discretisation: &'static str,
    density_g_per_ml: f64,
    kh: f64,
    cbf: &'static str,
    cbv: &'static str,
    mtt: &'static str,
    leakage: String,
    first_pass: bool,
    fit_driver: &'static str,
    reference: Option<String>,
    mask: serde_json::Value,
    out: String,
    force: bool,
    threads: Option<usize>,
}

/// The time axis of [`DscSettings`].
#[derive(serde::Serialize)]
struct DscTimes {
    source: String,
    interval_s: f64,
}

/// The relaxivities of [`DscSettings`].
#[derive(serde::Serialize)]
#[allow(non_snake_case)] // the units' case
struct DscRelaxivity {
    tissue_per_s_per_mM: f64,
    arterial_per_s_per_mM: f64,
    arterial_quadratic_per_s_per_mM2: f64,
}

/// Runs `osipy dsc` (see `--help`); `command_line` is recorded in the provenance. Prints the
/// summary unless `--quiet`.
pub fn run(o: &DscOptions, command_line: &[String]) -> Result<(), CliError> {
    super::inputs::set_max_decoded(o.run.max_decoded);
    let t_total = Instant::now();
    let device: Device = o.run.device.resolve()?;
    let tmp = begin(&o.run.out, o.run.force)?;
    let mut timings: Vec<(&str, f64)> = Vec::new();

    stage(o, &format!("reading {}", o.input.display()));
    let t0 = Instant::now();
    let mut inp = read_input(&o.input, o.series.as_deref())?;
    let data: Array4<f64> = std::mem::replace(&mut inp.data, Array4::zeros((0, 0, 0, 0)));
    let (nx, ny, nz, nt) = data.dim();
    let xyz = [nx, ny, nz];
    if let Some(c) = &o.run.config {
        hash_file(c, &mut inp.hashes)?;
    }
    let sc_path = o.sidecar.clone().or_else(|| default_sidecar(&o.input));
    let (sc_path, sc) = read_sidecar(sc_path, &mut inp.hashes)?;
    let sc_file = sc_path.clone().unwrap_or_default();
    let (times, times_src) = frame_times(o, nt, &sc, &sc_file, inp.file_times.as_ref())?;
    dsc::uniform_interval(&times).map_err(|e| {
        rt(format!(
            "time axis from {times_src}: {}",
            e.to_string()
                .split(": expected ")
                .nth(1)
                .map_or(e.to_string(), |m| format!("expected {m}"))
        ))
    })?;
    let (te, te_src) = echo_time(o, &sc, &sc_file, inp.te_s)?;
    let concentration = o.input_kind == InputKind::Concentration;

    // Frames of the baseline image of the default mask: --baseline, else the first 3 (before
    // any plausible bolus arrival); a concentration input is averaged over every frame.
    let (base, base_what) = match (concentration, o.baseline) {
        (true, _) => (
            0..nt,
            "the mean concentration over all frames (a concentration input has no baseline signal)"
                .to_string(),
        ),
        (false, Some((a, b))) => (
            a..b,
            format!("the mean signal of the baseline frames {a}..{b} (--baseline)"),
        ),
        (false, None) => (
            0..nt.min(3),
            format!(
                "the mean signal of the first {} frames (the pre-bolus baseline)",
                nt.min(3)
            ),
        ),
    };
    let (mask, background) = super::background::resolve(
        o.mask.as_deref(),
        |p| mask3("--mask", p, xyz, &mut inp.hashes),
        || {
            let valid = osipy::volume::default_mask(&data.view().into_dyn())
                .into_shape_with_order((nx, ny, nz))
                .unwrap_or_else(|_| Array3::from_elem((nx, ny, nz), false));
            if concentration {
                valid
            } else {
                // A signal's baseline must be positive (its logarithm is taken).
                let level = super::background::frame_mean(&data, base.clone());
                ndarray::Zip::from(&valid)
                    .and(&level)
                    .map_collect(|m, l| *m && *l > 0.0)
            }
        },
        || {
            (
                super::background::frame_mean(&data, base.clone()),
                base_what.clone(),
            )
        },
    )?;
    let mask = Some(mask);
    let valid_rule = if concentration {
        "a finite, not all-zero curve"
    } else {
        "a finite, not all-zero curve and a positive baseline"
    };
    let mask_rule = super::background::describe(o.mask.as_deref(), background.as_ref(), valid_rule);
    let aif_mask = match &o.aif_mask {
        Some(p) => Some(mask3("--aif-mask", p, xyz, &mut inp.hashes)?),
        None => None,
    };
    let vof_mask = match o.vof.as_str() {
        "none" | "auto" => None,
        p => Some(mask3("--vof", Path::new(p), xyz, &mut inp.hashes)?),
    };
    let reference = match &o.reference {
        Some(p) => Some(mask3("--reference", p, xyz, &mut inp.hashes)?),
        None => None,
    };
    let aif_kind = o.aif_kind.unwrap_or(o.input_kind);
    let aif_src = match (&aif_mask, o.aif.as_str()) {
        (Some(m), _) => AifSource::Mask(m.view().into_dyn()),
        (None, "auto") => AifSource::Auto(o.aif_voxels),
        (None, path) => {
            let (v, _) = read_curve(Path::new(path), nt, &mut inp.hashes)?;
            match aif_kind {
                InputKind::Signal => {
                    if concentration {
                        return Err(CliError::Usage(
                            "--aif-kind signal: a concentration input needs an AIF concentration (--aif-kind concentration)".into(),
                        ));
                    }
                    AifSource::Signal(v)
                }
                InputKind::Concentration => AifSource::Concentration(v),
            }
        }
    };
    let aif_desc = match (&o.aif_mask, o.aif.as_str()) {
        (Some(p), _) => format!("mean of the arterial mask {}", p.display()),
        (None, "auto") => format!("automatic, {} voxels", o.aif_voxels),
        (None, p) => format!(
            "{p} ({})",
            if aif_kind == InputKind::Signal {
                "signal"
            } else {
                "concentration"
            }
        ),
    };
    let vof_src = match (&vof_mask, o.vof.as_str()) {
        (Some(m), _) => VofSource::Mask(m.view().into_dyn()),
        (None, "auto") => VofSource::Auto(o.aif_voxels),
        _ => VofSource::None,
    };
    timings.push(("read", t0.elapsed().as_secs_f64()));

    let mut deconv = Deconvolution::new(o.method)
        .with_oscillation_index(o.oscillation_index)
        .with_lambda(o.lambda)
        .with_discretisation(o.discretisation);
    if let Some(p) = o.threshold {
        deconv = deconv.with_threshold(p);
    }
    stage(o, &format!("mapping ({}) on {device}", o.method.name()));
    let t0 = Instant::now();
    let mut progress = super::progress::Progress::stderr("osipy dsc", o.run.quiet);
    let mut started = false;
    let mut last = 0;
    let signal = data.view().into_dyn();
    let mut analysis = dsc::Analysis::new(&times, te)
        .echo(o.echo)
        .relaxivity(
            Relaxivity::linear(o.kappa_tissue),
            Relaxivity {
                linear: o.kappa_arterial,
                quadratic: o.kappa_arterial_quadratic,
            },
        )
        .aif(aif_src)
        .vof(vof_src)
        .deconvolution(deconv)
        .factors(o.density, o.kh)
        .leakage(o.leakage)
        .first_pass(o.first_pass)
        .settings(osipy_kernels::fit::LevenbergMarquardt::default().driver(o.run.fit_driver))
        .concentration(concentration)
        .device(device)
        .progress(|done, total| {
            if !started {
                progress.start("mapping", total);
                started = true;
            }
            progress.advance(done - last);
            last = done;
        });
    if let Some((a, b)) = o.baseline {
        analysis = analysis.baseline(a..b);
    }
    if let Some(m) = &mask {
        analysis = analysis.mask(m);
    }
    if let Some(r) = &reference {
        analysis = analysis.reference_region(r.view().into_dyn());
    }
    if let Some(n) = o.run.threads {
        analysis = analysis.threads(n);
    }
    let out = analysis.run(&signal)?;
    timings.push(("map", t0.elapsed().as_secs_f64()));

    stage(o, "writing the maps, figures, provenance and report");
    let t0 = Instant::now();
    let mask3d: Array3<bool> = out
        .mask
        .clone()
        .into_shape_with_order((nx, ny, nz))
        .map_err(|e| rt(format!("mask shape: {e}")))?;
    let idx: Vec<[usize; 3]> = mask3d
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((x, y, z), _)| [x, y, z])
        .collect();
    let dir = tmp.path.clone();
    let mut files: Vec<String> = Vec::new();
    let mut maps3: Vec<(&'static str, &'static str, Array3<f64>)> = Vec::new();
    for m in &out.maps.maps {
        maps3.push((m.name, m.unit, to_map3(m.name, &m.data, xyz)?));
    }
    for (name, _, map) in &maps3 {
        write_map(&dir, &format!("{name}.nii.gz"), map, &inp.like, &mut files)?;
    }
    write_map(
        &dir,
        "mask.nii.gz",
        &mask3d.mapv(|m| if m { 1.0 } else { 0.0 }),
        &inp.like,
        &mut files,
    )?;
    let mut csv = String::from("time_s,aif\n");
    for (t, a) in times.iter().zip(&out.aif) {
        let _ = writeln!(csv, "{t},{a}");
    }
    let path = dir.join("aif.csv");
    std::fs::write(&path, csv).map_err(|e| io_err(&path, "write", e))?;
    files.push("aif.csv".into());

    // Figures: CBF, CBV, MTT on the slice with the most mask voxels; the AIF.
    let view = figure::View::new(&mask3d, figure::known_affine(inp.format, &inp.like));
    for (name, unit, title) in [
        ("cbf", "ml/100g/min", "CBF (ml/100g/min)"),
        ("cbv", "ml/100g", "CBV (ml/100g)"),
        ("mtt", "s", "MTT (s)"),
    ] {
        let Some((_, _, m)) = maps3.iter().find(|(n, _, _)| *n == name) else {
            continue;
        };
        figure::slice_figure(&dir, name, title, unit, m, &view, &mut files)?;
    }
    let mut cv = Canvas::new(720, 440);
    figure::plot(
        &mut cv,
        (0, 0, 720, 440),
        &figure::Axes {
            title: "Arterial input function",
            x: "time (s)",
            y: "concentration (mM; ΔR2* in /s at κ = 1)",
        },
        &[Series {
            x: &times,
            y: &out.aif,
            colour: PALETTE[1],
            points: false,
            name: "AIF",
        }],
    );
    cv.save_png(&dir.join("fig_aif.png"))?;
    files.push("fig_aif.png".into());
    timings.push(("write", t0.elapsed().as_secs_f64()));

    // Summary.
    let status = maps3
        .iter()
        .find(|(n, _, _)| *n == "status")
        .map(|(_, _, a)| a.clone())
        .unwrap_or_else(|| Array3::zeros((nx, ny, nz)));
    let counts: Vec<(DscStatus, usize)> = DscStatus::ALL
        .iter()
        .map(|st| {
            let c = f64::from(st.code());
            (*st, idx.iter().filter(|p| status[**p] == c).count())
        })
        .collect();
    let ok = counts
        .iter()
        .find(|(s, _)| *s == DscStatus::Ok)
        .map_or(0, |c| c.1);
    let medians: Vec<(&str, &str, f64)> = maps3
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
    let aif_voxels = out.aif_voxels.as_ref().map(|v| xyz_of(v, xyz));
    let vof_voxels = out.vof_voxels.as_ref().map(|v| xyz_of(v, xyz));
    let (setting, value) = deconv.setting();
    let settings = DscSettings {
        config: o.run.config.as_ref().map(|p| p.display().to_string()),
        input: o.input.display().to_string(),
        input_format: inp.format,
        input_kind: if concentration { "concentration" } else { "signal" },
        shape: [nx, ny, nz, nt],
        sidecar: sc_path.as_ref().map(|p| p.display().to_string()),
        times: DscTimes {
            source: times_src.clone(),
            interval_s: times.get(1).copied().unwrap_or(f64::NAN) - times[0],
        },
        te_s: te.is_finite().then_some(te),
        te_source: te_src.clone(),
        echo: format!("{:?}", o.echo).to_lowercase(),
        baseline_frames: [out.baseline.start, out.baseline.end],
        baseline_source: if o.baseline.is_some() {
            "--baseline"
        } else if concentration {
            "not used"
        } else {
            "detected (osipy::dsc::detect_baseline)"
        },
        relaxivity: DscRelaxivity {
            tissue_per_s_per_mM: o.kappa_tissue,
            arterial_per_s_per_mM: o.kappa_arterial,
            arterial_quadratic_per_s_per_mM2: o.kappa_arterial_quadratic,
        },
        aif: aif_desc.clone(),
        aif_voxels_xyz: aif_voxels.clone(),
        vof: o.vof.clone(),
        vof_scale: out.vof_scale,
        vof_voxels_xyz: vof_voxels,
        method: o.method.name(),
        method_setting: provenance::Pairs(vec![(setting, value)]),
        discretisation: o.discretisation.name(),
        density_g_per_ml: o.density,
        kh: o.kh,
        cbf: "6000 kH / rho max R (ml/100g/min)",
        cbv: if o.first_pass {
            "100 kH / rho x gamma-variate first-pass area ratio (ml/100g)"
        } else {
            "100 kH / rho x area ratio (trapezoid) (ml/100g)"
        },
        mtt: "60 CBV / CBF (s)",
        leakage: format!("{:?}", o.leakage).to_lowercase(),
        first_pass: o.first_pass,
        fit_driver: o.run.fit_driver.name(),
        reference: o.reference.as_ref().map(|p| p.display().to_string()),
        mask: super::background::provenance(o.mask.as_deref(), background.as_ref(), valid_rule),
        out: o.run.out.display().to_string(),
        force: o.run.force,
        threads: o.run.threads,
    };
    let part = provenance::Maps {
        settings,
        inputs_sha256: &inp.hashes,
        affine: inp.like.affine,
        mask_voxels: idx.len(),
        status_counts: provenance::status_counts(&counts),
        medians: provenance::Median::all(&medians),
    };
    provenance::Record::new("osipy dsc", command_line, device, &files, &timings, part).write(&dir)?;

    let mut r = String::new();
    let _ = writeln!(r, "# osipy dsc: {} deconvolution\n", o.method.name());
    let _ = writeln!(
        r,
        "osipy {} · command: `{}` · device: {device}\n",
        env!("CARGO_PKG_VERSION"),
        command_line.join(" ")
    );
    let _ = writeln!(
        r,
        "Input: {} ({}, {}), {nx}x{ny}x{nz} voxels x {nt} frames; {} voxels in the mask. Frames every {:.4} s ({times_src}); TE {} ({te_src}); baseline frames {}..{}.\n",
        o.input.display(),
        inp.format,
        if concentration { "concentration" } else { "signal" },
        idx.len(),
        times.get(1).copied().unwrap_or(f64::NAN) - times[0],
        if te.is_finite() { format!("{te} s") } else { "-".into() },
        out.baseline.start,
        out.baseline.end
    );
    let _ = writeln!(r, "Mask: {mask_rule}\n");
    let _ = writeln!(
        r,
        "AIF: {aif_desc}{}{}. Method: {} ({setting} {value}); density {} g/ml, kH {:.4}; leakage correction: {}{}.\n",
        aif_voxels.as_ref().map_or(String::new(), |v| format!(", voxels {v:?}")),
        out.vof_scale.map_or(String::new(), |k| format!("; venous output scaling x{k:.4}")),
        o.method.name(),
        o.density,
        o.kh,
        format!("{:?}", o.leakage).to_lowercase(),
        if o.first_pass { "; CBV from gamma-variate first passes" } else { "" }
    );
    let _ = writeln!(
        r,
        "## Results\n\n| map | unit | median over the mask |\n|---|---|---|"
    );
    for (n, u, v) in &medians {
        let _ = writeln!(r, "| {n} | {u} | {} |", figure::label(*v));
    }
    let _ = writeln!(r, "\n| status | voxels |\n|---|---|");
    for (st, n) in counts.iter().filter(|(_, n)| *n > 0) {
        let _ = writeln!(r, "| {} ({}) | {n} |", st, st.code());
    }
    let _ = writeln!(r, "\n## Timings\n\n| stage | s |\n|---|---|");
    for (k, v) in &timings {
        let _ = writeln!(r, "| {k} | {v:.3} |");
    }
    let _ = writeln!(r, "\n## Figures\n");
    for (f, caption) in [
        ("fig_cbf.png", "CBF (ml/100g/min)"),
        ("fig_cbv.png", "CBV (ml/100g)"),
        ("fig_mtt.png", "MTT (s)"),
        ("fig_aif.png", "AIF"),
    ] {
        let _ = writeln!(r, "### {caption}\n\n![{caption}]({f})\n");
    }
    let _ = writeln!(r, "## Files\n");
    for f in &files {
        let _ = writeln!(r, "- `{f}`");
    }
    super::report_html::write_reports(&dir, &r)?;
    tmp.commit()?;

    if !o.run.quiet {
        let mut s = format!(
            "osipy dsc: {} voxels ({}) on {device}; {:.1}% ok; output in {}\nmedians:",
            idx.len(),
            o.method.name(),
            100.0 * ok as f64 / idx.len().max(1) as f64,
            o.run.out.display()
        );
        s.push_str(&figure::medians_text(&medians));
        println!("{s}");
    }
    Ok(())
}
