//! `osipy asl`: CBF (and ATT) maps from a BIDS ASL series; writes the maps, quality maps,
//! figures, a provenance record and a report (see `--help`).

use std::fmt::Write as _;
use std::time::Instant;

use ndarray::{s, Array3};
use osipy::asl::{self, AslStatus, Labelling, M0Source, Perfusion, Quantification};
use osipy_kernels::Device;

pub use super::asl_args::{AslOptions, RefTissue};
use super::asl_input::{read, M0Choice};
use super::figure::{self, Canvas, Series, PALETTE};
use super::inputs::{read_map3, rt};
use super::outdir::{begin, io_err, write_map};
use super::provenance;
use super::CliError;

/// One voxel of the ΔM figure: PLDs, ΔM, the model's times and values, the legend.
type Curve = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, String);

/// ΔM of the fitted model of one voxel on the times `x` (s).
#[allow(clippy::too_many_arguments)]
fn model_curve(
    labelling: Labelling,
    x: &[f64],
    m0: f64,
    offset: f64,
    tau: f64,
    (t1b, t1t, alpha, lambda): (f64, f64, f64, f64),
    cbf: f64,
    att: f64,
) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    match labelling {
        Labelling::Pasl => {
            asl::kernels::buxton_pasl(x, m0, offset, tau, t1b, t1t, alpha, lambda, cbf, att, &mut y)
        }
        _ => asl::kernels::buxton_pcasl(x, m0, offset, tau, t1b, t1t, alpha, lambda, cbf, att, &mut y),
    }
    y
}

/// The settings `osipy asl` ran with (the `settings` of its provenance record).
#[derive(serde::Serialize)]
struct AslSettings {
    config: Option<String>,
    input: String,
    input_format: &'static str,
    shape: [usize; 4],
    sidecar: Option<String>,
    context: Option<String>,
    labelling: &'static str,
    plds_s: Vec<f64>,
    distinct_plds_s: Vec<f64>,
    tau_s: f64,
    field_strength_t: f64,
    slice_timing_s: Vec<f64>,
    subtraction: String,
    reject_outliers_mads: Option<f64>,
    m0: String,
    m0_tr_s: Option<f64>,
    m0_reference: Option<String>,
    m0_reference_value: Option<f64>,
    alpha_times_bs: f64,
    bs_efficiency: f64,
    t1_blood_s: f64,
    t1_tissue_s: f64,
    lambda_ml_per_g: f64,
    method: &'static str,
    arterial: bool,
    fit_driver: &'static str,
    mask: serde_json::Value,
    out: String,
    force: bool,
    threads: Option<usize>,
}

/// The image whose Otsu threshold leaves out the background by default: the M0 image, else
/// the mean of the m0scan volumes, else of the control volumes, else of every volume.
fn background_image(
    data: &ndarray::Array4<f64>,
    m0: &M0Choice,
    context: Option<&osipy::asl::Context>,
) -> (Array3<f64>, String) {
    use osipy::asl::VolumeType;
    if let M0Choice::Map(m) = m0 {
        return (m.clone(), "the M0 image".to_string());
    }
    let types = context.map(|c| c.types.clone()).unwrap_or_default();
    let (nx, ny, nz, nv) = data.dim();
    for (kind, what) in [(VolumeType::M0Scan, "m0scan"), (VolumeType::Control, "control")] {
        let ks: Vec<usize> = (0..nv).filter(|k| types.get(*k) == Some(&kind)).collect();
        if !ks.is_empty() {
            let img = Array3::from_shape_fn((nx, ny, nz), |(x, y, z)| {
                ks.iter().map(|k| data[[x, y, z, *k]]).sum::<f64>() / ks.len() as f64
            });
            let desc = match ks.len() {
                1 => format!("the {what} volume"),
                n => format!("the mean of the {n} {what} volumes"),
            };
            return (img, desc);
        }
    }
    (
        super::background::frame_mean(data, 0..nv),
        format!("the mean of all {nv} volumes (no M0 image, m0scan or control volume)"),
    )
}

/// Runs `osipy asl` (see `--help`); `command_line` is recorded in the provenance. Prints the
/// summary unless `--quiet`.
pub fn run(o: &AslOptions, command_line: &[String]) -> Result<(), CliError> {
    super::inputs::set_max_decoded(o.run.max_decoded);
    let t_total = Instant::now();
    let device: Device = o.run.device.resolve()?;
    let tmp = begin(&o.run.out, o.run.force)?;
    let mut progress = super::progress::Progress::stderr("osipy asl", o.run.quiet);
    progress.stage(&format!("reading {}", o.input.display()));
    let t0 = Instant::now();
    let mut inp = read(o)?;
    if let Some(c) = &o.run.config {
        super::inputs::hash_file(c, &mut inp.hashes)?;
    }
    let (nx, ny, nz, nv) = inp.data.dim();
    let xyz = [nx, ny, nz];
    let (mask, background) = super::background::resolve(
        o.mask.as_deref(),
        |p| Ok(read_map3("--mask", p, xyz, &mut inp.hashes)?.mapv(|v| v != 0.0 && v.is_finite())),
        || {
            osipy::volume::default_mask(&inp.data.view().into_dyn())
                .into_shape_with_order((nx, ny, nz))
                .unwrap_or_else(|_| Array3::from_elem((nx, ny, nz), false))
        },
        || background_image(&inp.data, &inp.m0, inp.context.as_ref().map(|c| &c.1)),
    )?;
    let mask_rule = super::background::describe(
        o.mask.as_deref(),
        background.as_ref(),
        "finite, not all-zero volumes",
    );
    let m0_value_ref = match (o.m0_reference, &o.m0_region, &inp.m0) {
        (Some(r), Some(p), M0Choice::Map(m)) => {
            let region = read_map3("--m0-region", p, xyz, &mut inp.hashes)?.mapv(|v| v != 0.0);
            let reference = match r {
                RefTissue::Csf => asl::Reference::CSF,
                RefTissue::WhiteMatter => asl::Reference::WHITE_MATTER,
            };
            let v = asl::m0_reference(
                &m.view().into_dyn(),
                &region.view().into_dyn(),
                reference,
                inp.m0_tr,
                0.0,
                o.lambda,
            )
            .map_err(|e| rt(format!("--m0-region {}: {e}", p.display())))?;
            Some(v)
        }
        (Some(_), _, _) => {
            return Err(rt(
                "--m0-reference: expected an M0 image (--m0 FILE or a *_m0scan beside the input)".into(),
            ))
        }
        _ => None,
    };
    let t_read = t0.elapsed().as_secs_f64();

    let quant = Quantification {
        alpha: o.alpha,
        bs_efficiency: inp.bs_efficiency,
        t1_blood: o.t1_blood,
        field_strength: inp.field,
        t1_tissue: o.t1_tissue,
        lambda: o.lambda,
    };
    let (alpha, t1b) = quant.resolve(inp.labelling)?;
    let m0_src = match (&inp.m0, m0_value_ref) {
        (_, Some(v)) => M0Source::Value(v),
        (M0Choice::Map(m), None) => M0Source::Map(m.view().into_dyn()),
        (M0Choice::Value(v), None) => M0Source::Value(*v),
        (M0Choice::Series, None) => M0Source::Series,
    };
    let mut p = Perfusion::new(inp.labelling, inp.plds.clone(), inp.tau)
        .subtraction(o.subtraction)
        .m0(m0_src)
        .quantification(quant)
        .settings(osipy_kernels::fit::LevenbergMarquardt::default().driver(o.run.fit_driver))
        .slice_timing(inp.slice_timing.clone())
        .arterial(o.arterial)
        .mask(&mask)
        .device(device);
    // An M0 value (reference region, estimate) is already an equilibrium value.
    if !matches!(inp.m0, M0Choice::Value(_)) && m0_value_ref.is_none() && inp.m0_tr > 0.0 {
        p = p.m0_tr(inp.m0_tr);
    }
    if let Some((_, c)) = &inp.context {
        p = p.context(c.clone());
    }
    if let Some(k) = o.reject_outliers {
        p = p.reject_outliers(k);
    }
    if let Some(n) = o.run.threads {
        p = p.threads(n);
    }
    progress.stage(&format!("subtracting and quantifying on {device}"));
    let t0 = Instant::now();
    let series = inp.data.view().into_dyn();
    let (dm, plds) = p.delta_m(&series)?;
    let maps = p.fit(&series)?;
    let t_map = t0.elapsed().as_secs_f64();
    let multi = plds.len() > 1;

    progress.stage("writing the maps, figures, provenance and report");
    let t0 = Instant::now();
    let dir = tmp.path.clone();
    let mut files: Vec<String> = Vec::new();
    let mut maps3: Vec<(&'static str, &'static str, Array3<f64>)> = Vec::new();
    for m in &maps.maps {
        let a = m
            .data
            .clone()
            .into_shape_with_order((nx, ny, nz))
            .map_err(|e| rt(format!("map {} shape: {e}", m.name)))?;
        write_map(&dir, &format!("{}.nii.gz", m.name), &a, &inp.like, &mut files)?;
        maps3.push((m.name, m.unit, a));
    }
    write_map(
        &dir,
        "mask.nii.gz",
        &mask.mapv(|m| if m { 1.0 } else { 0.0 }),
        &inp.like,
        &mut files,
    )?;
    let get = |n: &str| maps3.iter().find(|m| m.0 == n).map(|m| &m.2);
    let idx: Vec<[usize; 3]> = mask
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((x, y, z), _)| [x, y, z])
        .collect();
    // Figures: CBF (and ATT) on the slice with the most mask voxels; ΔM against PLD.
    let view = figure::View::new(&mask, figure::known_affine(inp.format, &inp.like));
    let mut figs: Vec<(String, &str)> = Vec::new();
    for (name, unit, title, cap) in [
        ("cbf", "ml/100g/min", "CBF (ml/100g/min)", "CBF (ml/100g/min)"),
        ("att", "s", "Arterial transit time, ATT (s)", "ATT (s)"),
    ] {
        let Some(m) = get(name) else { continue };
        let file = figure::slice_figure(&dir, name, title, unit, m, &view, &mut files)?;
        figs.push((file, cap));
    }
    // ΔM against PLD for the voxels at the 10th, 50th and 90th percentiles of CBF among the
    // ok voxels of the mask, with the fit.
    let cbf = get("cbf").cloned().unwrap_or_else(|| Array3::zeros((nx, ny, nz)));
    let status = get("status")
        .cloned()
        .unwrap_or_else(|| Array3::zeros((nx, ny, nz)));
    let ok = |p: [usize; 3]| mask[p] && status[p] == f64::from(AslStatus::Ok.code());
    let picked = figure::quantile_voxels(&cbf, ok, &figure::VOXEL_PERCENTILES);
    let picks: Vec<[usize; 3]> = picked.iter().map(|p| p.0).collect();
    let dm3 = dm.view();
    let mut cv = Canvas::new(760, 460);
    let mut curves: Vec<Curve> = Vec::new();
    let tmax = plds.iter().copied().fold(0.0f64, f64::max) * 1.1 + 0.1;
    let fine: Vec<f64> = (0..=100).map(|i| tmax * i as f64 / 100.0).collect();
    for p3 in &picks {
        let ys: Vec<f64> = dm3.slice(s![p3[0], p3[1], p3[2], ..]).to_vec();
        let (c, a, m0) = (
            cbf[*p3],
            get("att").map_or(f64::NAN, |m| m[*p3]),
            get("m0").map_or(f64::NAN, |m| m[*p3]),
        );
        let off = inp.slice_timing.get(p3[2]).copied().unwrap_or(0.0);
        let fit = if let (Some(abv), Some(atta)) = (get("abv"), get("atta")) {
            let mut y = vec![0.0; fine.len()];
            asl::kernels::buxton_pcasl_arterial(
                &fine,
                m0,
                off,
                inp.tau,
                t1b,
                o.t1_tissue,
                alpha,
                o.lambda,
                c,
                a,
                abv[*p3],
                atta[*p3],
                &mut y,
            );
            y
        } else if multi {
            model_curve(
                inp.labelling,
                &fine,
                m0,
                off,
                inp.tau,
                (t1b, o.t1_tissue, alpha, o.lambda),
                c,
                a,
            )
        } else {
            Vec::new()
        };
        curves.push((
            plds.clone(),
            ys,
            fine.clone(),
            fit,
            picked
                .iter()
                .find(|p| p.0 == *p3)
                .map(|p| figure::voxel_title(p.1, "CBF", c, "ml/100g/min", *p3))
                .unwrap_or_default(),
        ));
    }
    let mut series_plot: Vec<Series> = Vec::new();
    for (i, (x, y, fx, fy, name)) in curves.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        series_plot.push(Series {
            x,
            y,
            colour,
            points: true,
            name,
        });
        if !fy.is_empty() {
            series_plot.push(Series {
                x: fx,
                y: fy,
                colour,
                points: false,
                name: "",
            });
        }
    }
    figure::plot(
        &mut cv,
        (0, 0, 760, 460),
        &figure::Axes {
            title: "ΔM against post-labelling delay",
            x: "PLD (s)",
            y: "ΔM (a.u.)",
        },
        &series_plot,
    );
    cv.save_png(&dir.join("fig_delta_m.png"))?;
    files.push("fig_delta_m.png".into());
    figs.push((
        "fig_delta_m.png".into(),
        "ΔM against PLD (points) and the fitted model (lines)",
    ));
    let mut csv = String::from("pld_s,median_delta_m\n");
    for (k, pl) in plds.iter().enumerate() {
        let mut v: Vec<f64> = idx
            .iter()
            .map(|p| dm3[[p[0], p[1], p[2], k]])
            .filter(|x| x.is_finite())
            .collect();
        let _ = writeln!(csv, "{pl},{}", figure::median(&mut v));
    }
    let path = dir.join("delta_m.csv");
    std::fs::write(&path, csv).map_err(|e| io_err(&path, "write", e))?;
    files.push("delta_m.csv".into());
    let t_write = t0.elapsed().as_secs_f64();

    let counts: Vec<(AslStatus, usize)> = AslStatus::ALL
        .iter()
        .map(|st| {
            (
                *st,
                idx.iter().filter(|p| status[**p] == f64::from(st.code())).count(),
            )
        })
        .collect();
    let n_ok = counts.iter().find(|c| c.0 == AslStatus::Ok).map_or(0, |c| c.1);
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
    let method = if multi {
        "multi-PLD Buxton kinetic model fit (CBF, ATT)"
    } else {
        "single-PLD white-paper equation"
    };
    let timings = [
        ("read", t_read),
        ("map", t_map),
        ("write", t_write),
        ("total before the report", t_total.elapsed().as_secs_f64()),
    ];
    let part = provenance::Maps {
        settings: AslSettings {
            config: o.run.config.as_ref().map(|p| p.display().to_string()),
            input: o.input.display().to_string(),
            input_format: inp.format,
            shape: [nx, ny, nz, nv],
            sidecar: inp.sidecar.as_ref().map(|p| p.display().to_string()),
            context: inp.context.as_ref().map(|(p, _)| p.display().to_string()),
            labelling: inp.labelling.name(),
            plds_s: inp.plds.clone(),
            distinct_plds_s: plds.clone(),
            tau_s: inp.tau,
            field_strength_t: inp.field,
            slice_timing_s: inp.slice_timing.clone(),
            subtraction: format!("{:?}", o.subtraction).to_lowercase(),
            reject_outliers_mads: o.reject_outliers,
            m0: inp.m0_desc.clone(),
            m0_tr_s: inp.m0_tr.is_finite().then_some(inp.m0_tr),
            m0_reference: o.m0_reference.map(|r| format!("{r:?}")),
            m0_reference_value: m0_value_ref,
            alpha_times_bs: alpha,
            bs_efficiency: inp.bs_efficiency,
            t1_blood_s: t1b,
            t1_tissue_s: o.t1_tissue,
            lambda_ml_per_g: o.lambda,
            method,
            arterial: o.arterial,
            fit_driver: o.run.fit_driver.name(),
            mask: super::background::provenance(
                o.mask.as_deref(),
                background.as_ref(),
                "finite, not all-zero voxels",
            ),
            out: o.run.out.display().to_string(),
            force: o.run.force,
            threads: o.run.threads,
        },
        inputs_sha256: &inp.hashes,
        affine: inp.like.affine,
        mask_voxels: idx.len(),
        status_counts: provenance::status_counts(&counts),
        medians: provenance::Median::all(&medians),
    };
    provenance::Record::new("osipy asl", command_line, device, &files, &timings, part).write(&dir)?;

    let mut r = String::new();
    let _ = writeln!(r, "# osipy asl: {} {method}\n", inp.labelling.name());
    let _ = writeln!(
        r,
        "osipy {} · command: `{}` · device: {device}\n",
        env!("CARGO_PKG_VERSION"),
        command_line.join(" ")
    );
    let _ = writeln!(
        r,
        "Input: {} ({}), {nx}x{ny}x{nz} voxels x {nv} volumes; {} voxels in the mask. PLDs {:?} s, τ {} s; {} subtraction; M0: {}. α × background suppression {:.4}, blood T1 {} s, tissue T1 {} s, λ {} ml/g.\n",
        o.input.display(),
        inp.format,
        idx.len(),
        plds,
        inp.tau,
        format!("{:?}", o.subtraction).to_lowercase(),
        inp.m0_desc,
        alpha,
        t1b,
        o.t1_tissue,
        o.lambda
    );
    let _ = writeln!(r, "Mask: {mask_rule}\n");
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
    for (f, caption) in &figs {
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
            "osipy asl: {} voxels ({}, {}) on {device}; {:.1}% ok; output in {}\nmedians:",
            idx.len(),
            inp.labelling.name(),
            if multi { "multi-PLD" } else { "single-PLD" },
            100.0 * n_ok as f64 / idx.len().max(1) as f64,
            o.run.out.display()
        );
        s.push_str(&figure::medians_text(&medians));
        println!("{s}");
    }
    Ok(())
}
