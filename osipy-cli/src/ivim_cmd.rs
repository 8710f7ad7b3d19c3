//! `osipy ivim`: IVIM maps from a diffusion series read from NIfTI or `.npy` with its FSL
//! b-values (and b-vectors), or from a DICOM folder with them in its headers; writes the maps,
//! quality maps, figures, a provenance record and a report (see `--help`).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use ndarray::{Array3, Array4};
use osipy::io::nifti::Nifti;
use osipy::ivim::{self, Acquisition, IvimStatus, Rician};
use osipy::volume::Maps;
use osipy_kernels::Device;

use super::dce_input::read_input;
use super::figure::{self, Canvas, Series, PALETTE};
use super::inputs::{hash_file, read_map3, rt};
pub use super::ivim_args::{IvimOptions, RicianArg};
use super::ivim_input::{beside, check_agree, read_bval, read_bvec, read_dicom};
use super::outdir::{begin, io_err, write_map};
use super::provenance;
use super::t1_input::is_dicom_input;
use super::CliError;

fn stage(o: &IvimOptions, what: &str) {
    super::progress::Progress::stderr("osipy ivim", o.run.quiet).stage(what);
}

/// One voxel of the figure: b-values, ln(S / S(0)), the fit's b and ln values, the label.
type VoxelCurve = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, String);

/// Medians over the mask of every map but the status, and the status counts.
pub(crate) struct Summary {
    pub(crate) medians: Vec<(&'static str, &'static str, f64)>,
    pub(crate) counts: Vec<(IvimStatus, usize)>,
    pub(crate) voxels: usize,
}

/// Writes the maps of `maps` (voxel shape `xyz`) and the mask with the geometry of `like`, the
/// combined b-values and the figures into `dir`; `data` is the series (for the voxel figure),
/// `affine` the input's voxel-to-RAS affine when known (the figures' orientation).
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_maps(
    dir: &Path,
    maps: &Maps,
    xyz: [usize; 3],
    like: &Nifti,
    affine: Option<&[[f64; 4]; 4]>,
    data: &Array4<f64>,
    acq: &Acquisition,
    files: &mut Vec<String>,
) -> Result<Summary, CliError> {
    let [nx, ny, nz] = xyz;
    let mask3: Array3<bool> = maps
        .mask
        .clone()
        .into_shape_with_order((nx, ny, nz))
        .map_err(|e| rt(format!("mask shape: {e}")))?;
    let idx: Vec<[usize; 3]> = mask3
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((x, y, z), _)| [x, y, z])
        .collect();
    let mut maps3: Vec<(&'static str, &'static str, Array3<f64>)> = Vec::new();
    for m in &maps.maps {
        let a = m
            .data
            .clone()
            .into_shape_with_order((nx, ny, nz))
            .map_err(|e| rt(format!("map {} shape: {e}", m.name)))?;
        write_map(dir, &format!("{}.nii.gz", m.name), &a, like, files)?;
        maps3.push((m.name, m.unit, a));
    }
    write_map(
        dir,
        "mask.nii.gz",
        &mask3.mapv(|m| if m { 1.0 } else { 0.0 }),
        like,
        files,
    )?;
    let mut csv = String::from("b_s_per_mm2,volumes\n");
    for (g, b) in acq.b.iter().enumerate() {
        let _ = writeln!(csv, "{b},{}", acq.group.iter().filter(|x| **x == g).count());
    }
    let path = dir.join("bvalues.csv");
    std::fs::write(&path, csv).map_err(|e| io_err(&path, "write", e))?;
    files.push("bvalues.csv".into());

    let get = |n: &str| maps3.iter().find(|(m, _, _)| *m == n).map(|(_, _, a)| a);
    // Map figures on the slice with the most mask voxels.
    let view = figure::View::new(&mask3, affine);
    for (name, unit, title) in [
        ("d", "mm²/s", "D, diffusion (mm²/s)"),
        ("dstar", "mm²/s", "D*, pseudo-diffusion (mm²/s)"),
        ("f", "fraction", "f, perfusion fraction"),
        ("s0", "a.u.", "S0 (a.u.)"),
    ] {
        let Some(m) = get(name) else { continue };
        figure::slice_figure(dir, name, title, unit, m, &view, files)?;
    }
    // The voxels at the 10th, 50th and 90th percentiles of D among the ok voxels: ln(S / S(0))
    // against b, the samples and the fitted curve.
    let status = get("status")
        .cloned()
        .unwrap_or_else(|| Array3::zeros((nx, ny, nz)));
    let d_map = get("d")
        .cloned()
        .unwrap_or_else(|| Array3::from_elem((nx, ny, nz), f64::NAN));
    let picked = figure::quantile_voxels(
        &d_map,
        |p| mask3[p] && status[p] == 1.0,
        &figure::VOXEL_PERCENTILES,
    );
    let picks: Vec<[usize; 3]> = picked.iter().map(|p| p.0).collect();
    let mut cv = Canvas::new(760, 460);
    let mut curves: Vec<VoxelCurve> = Vec::new();
    for p in &picks {
        let row: Vec<f64> = (0..data.dim().3).map(|k| data[[p[0], p[1], p[2], k]]).collect();
        let mut y = vec![0.0; acq.b.len()];
        for (g, yg) in y.iter_mut().enumerate() {
            let v: Vec<f64> = row
                .iter()
                .zip(&acq.group)
                .filter(|(_, gg)| **gg == g)
                .map(|(s, _)| *s)
                .collect();
            *yg = if g == acq.b0_group() {
                v.iter().sum::<f64>() / v.len() as f64
            } else {
                (v.iter().map(|s| s.ln()).sum::<f64>() / v.len() as f64).exp()
            };
        }
        let y0 = y[acq.b0_group()];
        let (s0, f, d, ds) = (
            get("s0").map_or(f64::NAN, |a| a[*p]),
            get("f").map_or(f64::NAN, |a| a[*p]),
            get("d").map_or(f64::NAN, |a| a[*p]),
            get("dstar").map_or(f64::NAN, |a| a[*p]),
        );
        let ly: Vec<f64> = y.iter().map(|v| (v / y0).ln()).collect();
        let bmax = acq.b.iter().copied().fold(0.0, f64::max);
        let bx: Vec<f64> = (0..=100).map(|i| bmax * i as f64 / 100.0).collect();
        let fit: Vec<f64> = bx
            .iter()
            .map(|b| (s0 / y0 * (f * (-b * ds).exp() + (1.0 - f) * (-b * d).exp())).ln())
            .collect();
        let name = picked
            .iter()
            .find(|q| q.0 == *p)
            .map(|q| figure::voxel_title(q.1, "D", q.2, "mm²/s", *p))
            .unwrap_or_default();
        curves.push((acq.b.clone(), ly, bx, fit, name));
    }
    let mut series = Vec::new();
    for (i, (b, ly, bx, fit, name)) in curves.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        series.push(Series {
            x: b,
            y: ly,
            colour,
            points: true,
            name,
        });
        series.push(Series {
            x: bx,
            y: fit,
            colour,
            points: false,
            name: "",
        });
    }
    figure::plot(
        &mut cv,
        (0, 0, 760, 460),
        &figure::Axes {
            title: "Signal decay: measured (points) and fitted (lines)",
            x: "b (s/mm²)",
            y: "ln(S / S(b = 0)) (unitless)",
        },
        &series,
    );
    cv.save_png(&dir.join("fig_voxels.png"))?;
    files.push("fig_voxels.png".into());

    let counts: Vec<(IvimStatus, usize)> = IvimStatus::ALL
        .iter()
        .map(|st| {
            let c = f64::from(st.code());
            (*st, idx.iter().filter(|p| status[**p] == c).count())
        })
        .collect();
    let medians = maps3
        .iter()
        .filter(|(n, _, _)| *n != "status")
        .map(|(n, u, a)| {
            let mut v: Vec<f64> = idx.iter().map(|p| a[*p]).filter(|x| x.is_finite()).collect();
            (*n, *u, figure::median(&mut v))
        })
        .collect();
    Ok(Summary {
        medians,
        counts,
        voxels: idx.len(),
    })
}

/// The Rician handling of the options.
pub(crate) fn rician(o: &IvimOptions) -> Result<Rician, CliError> {
    match (o.rician, o.sigma) {
        (RicianArg::None, _) => Ok(Rician::None),
        (_, None) => Err(CliError::Usage(format!(
            "--rician {}: needs --sigma (the noise SD, in the input's units)",
            if o.rician == RicianArg::Floor {
                "floor"
            } else {
                "correction"
            }
        ))),
        (RicianArg::Correction, Some(sigma)) => Ok(Rician::Correction { sigma }),
        (RicianArg::Floor, Some(sigma)) => Ok(Rician::Floor { sigma }),
    }
}

/// The settings `osipy ivim` ran with (the `settings` of its provenance record).
#[derive(serde::Serialize)]
struct IvimSettings {
    config: Option<String>,
    input: String,
    input_format: &'static str,
    shape: [usize; 4],
    bval: Option<String>,
    bvec: Option<String>,
    b_values: Vec<f64>,
    b_values_source: String,
    b_vectors_source: Option<String>,
    method: &'static str,
    threshold_s_per_mm2: f64,
    steps: u32,
    rician: String,
    nodes: u32,
    bounds: IvimBounds,
    fit_driver: &'static str,
    mask: serde_json::Value,
    out: String,
    force: bool,
    threads: Option<usize>,
}

/// The fit's bounds, in the order `order` names.
#[derive(serde::Serialize)]
struct IvimBounds {
    lower: [f64; 4],
    upper: [f64; 4],
    order: [&'static str; 4],
}

/// Runs `osipy ivim` (see `--help`); `command_line` is recorded in the provenance. Prints the
/// summary unless `--quiet`.
pub fn run(o: &IvimOptions, command_line: &[String]) -> Result<(), CliError> {
    super::inputs::set_max_decoded(o.run.max_decoded);
    let t_total = Instant::now();
    let device: Device = o.run.device.resolve()?;
    let rician = rician(o)?;
    let tmp = begin(&o.run.out, o.run.force)?;
    let mut timings: Vec<(&str, f64)> = Vec::new();

    stage(o, &format!("reading {}", o.input.display()));
    let t0 = Instant::now();
    let dicom_in = if is_dicom_input(&o.input) {
        Some(read_dicom(&o.input)?)
    } else {
        None
    };
    let (mut inp, header) = match dicom_in {
        Some(d) => (d.input, Some((d.b, d.vectors, d.source))),
        None => (read_input(&o.input, None)?, None),
    };
    let data: Array4<f64> = std::mem::replace(&mut inp.data, Array4::zeros((0, 0, 0, 0)));
    let (nx, ny, nz, nv) = data.dim();
    let xyz = [nx, ny, nz];
    if let Some(c) = &o.run.config {
        hash_file(c, &mut inp.hashes)?;
    }
    let (bval_path, bvec_path) = match &header {
        Some(_) => (o.bval.clone(), o.bvec.clone()),
        None => (
            Some(o.bval.clone().unwrap_or_else(|| beside(&o.input, "bval"))),
            o.bvec.clone().or_else(|| {
                let p = beside(&o.input, "bvec");
                p.exists().then_some(p)
            }),
        ),
    };
    let file_b = match &bval_path {
        Some(p) => Some(read_bval(p, nv, &mut inp.hashes)?),
        None => None,
    };
    let (b, b_source, header_vectors) = match (header, file_b, &bval_path) {
        (Some((hb, hv, src)), Some(fb), Some(p)) => {
            check_agree(p, &fb, &hb, &src)?;
            (hb, format!("{src}; --bval {} agrees", p.display()), hv)
        }
        (Some((hb, hv, src)), _, _) => (hb, src, hv),
        (None, Some(fb), Some(p)) => (fb, format!("--bval {}", p.display()), None),
        (None, _, _) => return Err(rt("--bval: no b-values".to_string())),
    };
    let vectors = match &bvec_path {
        Some(p) => Some(read_bvec(p, &b, &mut inp.hashes)?),
        None => header_vectors,
    };
    let b_vectors_source = match (&bvec_path, &vectors) {
        (Some(p), _) => Some(format!("--bvec {}", p.display())),
        (None, Some(_)) => Some("DICOM DiffusionGradientOrientation (0018,9089)".to_string()),
        (None, None) => None,
    };
    let acq = Acquisition::new("osipy ivim", &b)?;
    let (mask, background) = super::background::resolve(
        o.mask.as_deref(),
        |p| Ok(read_map3("--mask", p, xyz, &mut inp.hashes)?.mapv(|v| v != 0.0 && v.is_finite())),
        || {
            osipy::volume::default_mask(&data.view().into_dyn())
                .into_shape_with_order((nx, ny, nz))
                .unwrap_or_else(|_| Array3::from_elem((nx, ny, nz), true))
        },
        || {
            let b0: Vec<usize> = (0..nv).filter(|k| acq.group[*k] == acq.b0_group()).collect();
            let img = Array3::from_shape_fn((nx, ny, nz), |(x, y, z)| {
                b0.iter().map(|k| data[[x, y, z, *k]]).sum::<f64>() / b0.len().max(1) as f64
            });
            let desc = match b0.len() {
                1 => "the b = 0 image".to_string(),
                n => format!("the b = 0 image (the mean of its {n} volumes)"),
            };
            (img, desc)
        },
    )?;
    let mask_rule = super::background::describe(
        o.mask.as_deref(),
        background.as_ref(),
        "finite, not all-zero volumes",
    );
    if !mask.iter().any(|m| *m) {
        return Err(rt(match &o.mask {
            Some(p) => format!(
                "--mask {}: expected at least one non-zero voxel, found none",
                p.display()
            ),
            None => format!(
                "--input {}: no voxel has finite, not all-zero volumes",
                o.input.display()
            ),
        }));
    }
    timings.push(("read", t0.elapsed().as_secs_f64()));

    stage(o, &format!("fitting ({}) on {device}", o.method.name()));
    let t0 = Instant::now();
    let mut progress = super::progress::Progress::stderr("osipy ivim", o.run.quiet);
    let mut started = false;
    let mut last = 0;
    let mut fit = ivim::Fit::new(o.method, b.clone())
        .threshold(o.threshold)
        .steps(o.steps)
        .rician(rician)
        .nodes(o.nodes)
        .settings(
            osipy_kernels::fit::LevenbergMarquardt::new()
                .max_iterations(200)
                .driver(o.run.fit_driver),
        )
        .mask(&mask)
        .device(device)
        .progress(|done, total| {
            if !started {
                progress.start("fitting", total);
                started = true;
            }
            progress.advance(done - last);
            last = done;
        });
    if let Some(v) = vectors {
        fit = fit.vectors(v);
    }
    if let Some(n) = o.run.threads {
        fit = fit.threads(n);
    }
    let maps = fit.fit(&data)?;
    timings.push(("fit", t0.elapsed().as_secs_f64()));

    stage(o, "writing the maps, figures, provenance and report");
    let t0 = Instant::now();
    let dir = tmp.path.clone();
    let mut files: Vec<String> = Vec::new();
    let sum = write_maps(
        &dir,
        &maps,
        xyz,
        &inp.like,
        figure::known_affine(inp.format, &inp.like),
        &data,
        &acq,
        &mut files,
    )?;
    timings.push(("write", t0.elapsed().as_secs_f64()));
    files.push("provenance.json".into());
    files.push("report.md".into());
    files.push("report.html".into());
    timings.push(("total before the report", t_total.elapsed().as_secs_f64()));
    let rician_desc = match rician {
        Rician::None => "none".to_string(),
        Rician::Correction { sigma } => format!("correction, sigma {sigma}"),
        Rician::Floor { sigma } => format!("floor, sigma {sigma}"),
    };
    let bounds = ivim::Bounds::default();
    let settings = IvimSettings {
        config: o.run.config.as_ref().map(|p| p.display().to_string()),
        input: o.input.display().to_string(),
        input_format: inp.format,
        shape: [nx, ny, nz, nv],
        bval: bval_path.as_ref().map(|p| p.display().to_string()),
        bvec: bvec_path.as_ref().map(|p| p.display().to_string()),
        b_values: acq.b.clone(),
        b_values_source: b_source,
        b_vectors_source,
        method: o.method.name(),
        threshold_s_per_mm2: o.threshold,
        steps: o.steps,
        rician: rician_desc.clone(),
        nodes: o.nodes,
        bounds: IvimBounds {
            lower: bounds.lower,
            upper: bounds.upper,
            order: ["s0 (x b = 0 mean)", "f", "d (mm2/s)", "dstar (mm2/s)"],
        },
        fit_driver: o.run.fit_driver.name(),
        mask: super::background::provenance(
            o.mask.as_deref(),
            background.as_ref(),
            "finite, not all-zero voxels",
        ),
        out: o.run.out.display().to_string(),
        force: o.run.force,
        threads: o.run.threads,
    };
    let part = provenance::Maps {
        settings,
        inputs_sha256: &inp.hashes,
        affine: inp.like.affine,
        mask_voxels: sum.voxels,
        status_counts: provenance::status_counts(&sum.counts),
        medians: provenance::Median::all(&sum.medians),
    };
    provenance::Record::new("osipy ivim", command_line, device, &files, &timings, part).write(&dir)?;
    let report = report(
        o,
        command_line,
        device,
        inp.format,
        [nx, ny, nz, nv],
        &acq,
        &rician_desc,
        &mask_rule,
        &sum,
        &timings,
        &files,
    );
    super::report_html::write_reports(&dir, &report)?;
    tmp.commit()?;

    if !o.run.quiet {
        let ok = sum
            .counts
            .iter()
            .find(|(s, _)| *s == IvimStatus::Ok)
            .map_or(0, |c| c.1);
        let mut s = format!(
            "osipy ivim: {} voxels ({}) on {device}; {:.1}% ok; output in {}\nmedians:",
            sum.voxels,
            o.method.name(),
            100.0 * ok as f64 / sum.voxels.max(1) as f64,
            o.run.out.display()
        );
        s.push_str(&figure::medians_text(&sum.medians));
        println!("{s}");
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn report(
    o: &IvimOptions,
    command_line: &[String],
    device: Device,
    format: &str,
    shape: [usize; 4],
    acq: &Acquisition,
    rician: &str,
    mask_rule: &str,
    sum: &Summary,
    timings: &[(&str, f64)],
    files: &[String],
) -> String {
    let mut r = String::new();
    let _ = writeln!(r, "# osipy ivim: {} fit\n", o.method.name());
    let _ = writeln!(
        r,
        "osipy {} · command: `{}` · device: {device}\n",
        env!("CARGO_PKG_VERSION"),
        command_line.join(" ")
    );
    let _ = writeln!(
        r,
        "Input: {} ({format}), {}x{}x{} voxels x {} volumes; {} voxels in the mask. b-values (s/mm², directions combined): {:?}. Threshold {} s/mm², segmented steps {}, Rician noise: {rician}.\n",
        o.input.display(),
        shape[0],
        shape[1],
        shape[2],
        shape[3],
        sum.voxels,
        acq.b,
        o.threshold,
        o.steps
    );
    let _ = writeln!(r, "Mask: {mask_rule}\n");
    let _ = writeln!(
        r,
        "## Results\n\n| map | unit | median over the mask |\n|---|---|---|"
    );
    for (n, u, v) in &sum.medians {
        let _ = writeln!(r, "| {n} | {u} | {} |", figure::label(*v));
    }
    let _ = writeln!(r, "\n| status | voxels |\n|---|---|");
    for (st, n) in sum.counts.iter().filter(|(_, n)| *n > 0) {
        let _ = writeln!(r, "| {} ({}) | {n} |", st, st.code());
    }
    let _ = writeln!(r, "\n## Timings\n\n| stage | s |\n|---|---|");
    for (k, v) in timings {
        let _ = writeln!(r, "| {k} | {v:.3} |");
    }
    let _ = writeln!(r, "\n## Figures\n");
    for f in files.iter().filter(|f| f.ends_with(".png")) {
        let _ = writeln!(r, "![{f}]({f})\n");
    }
    let _ = writeln!(r, "## Files\n");
    for f in files {
        let _ = writeln!(r, "- `{f}`");
    }
    r
}
