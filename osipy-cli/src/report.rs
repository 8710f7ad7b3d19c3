//! The provenance record (`provenance.json`) and the Markdown report (`report.md`) of
//! `osipy demo`.

use std::fmt::Write as _;
use std::path::Path;

use osipy_kernels::fit::LevenbergMarquardt;
use serde_json::json;

use super::demo::Summary;
use super::demo_args::DemoOptions;
use super::phantom::{PhantomSettings, REGIONS};
use super::CliError;
use osipy::dce;

#[allow(clippy::too_many_arguments)]
pub(crate) fn write_provenance(
    dir: &Path,
    o: &DemoOptions,
    command_line: &[String],
    s: &PhantomSettings,
    lm: &LevenbergMarquardt,
    hashes: serde_json::Map<String, serde_json::Value>,
    files: &[String],
    summary: &Summary,
) -> Result<(), CliError> {
    let et = |a: [f64; 3]| json!({"ktrans_per_min": a[0], "ve": a[1], "vp": a[2]});
    let record = json!({
        "tool": "osipy demo",
        "osipy_version": env!("CARGO_PKG_VERSION"),
        "command_line": command_line,
        "device": o.device.to_string(),
        "settings": {
            "size": o.size.name(),
            "dims_xyz": s.dims,
            "frames": s.frames,
            "frame_spacing_s": s.dt_s,
            "voxel_size_mm": s.voxel_mm,
            "aif": {"model": "Parker (blood)", "delay_s": s.aif_delay_s, "hematocrit": s.hct, "plasma": "blood / (1 - hematocrit)"},
            "noise_sd_mM": s.noise_mm,
            "seed": s.seed,
            "noise_generator": "SplitMix64 + Box-Muller",
            "regions": REGIONS,
            "model": "extended_tofts",
            "fit": {
                "initial_values": "extended_tofts_init (linear form, delay 0 s), clamped into the bounds",
                "lower": et(dce::extended_tofts::LOWER),
                "upper": et(dce::extended_tofts::UPPER),
                "driver": lm.driver.name(),
                "max_iterations": lm.max_iterations,
                "ftol": lm.ftol, "xtol": lm.xtol, "gtol": lm.gtol,
                "lambda0": lm.lambda0, "lambda_up": lm.lambda_up, "lambda_down": lm.lambda_down,
                "driver": lm.driver.name(),
                "mask": "mask.nii.gz (body)",
                "order": "chunks of the mask's voxels (osipy::dce::VolumeFit)",
            },
            "out": o.out.display().to_string(),
            "force": o.force,
            "threads": o.threads,
            "modality": "dce",
        },
        "inputs_sha256": hashes,
        "outputs": files,
        "timings_s": summary.timings.iter().map(|(k, v)| ((*k).to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "accuracy": summary.accuracy.iter().map(|a| json!({
            "parameter": a.name, "unit": a.unit,
            "median_rel_error": a.median_rel_error, "p90_rel_error": a.p90_rel_error, "finite_voxels": a.finite,
        })).collect::<Vec<_>>(),
        "mask_voxels": summary.voxels,
        "converged_fraction": summary.converged_fraction,
        "status_counts": summary.status_counts.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
    });
    super::outdir::write_json(dir, "provenance.json", &record)
}

pub(crate) fn write_report(
    dir: &Path,
    o: &DemoOptions,
    command_line: &[String],
    s: &PhantomSettings,
    summary: &Summary,
    files: &[String],
) -> Result<(), CliError> {
    let mut r = String::new();
    let _ = writeln!(r, "# osipy demo: extended Tofts fit of a synthetic DCE phantom\n");
    let _ = writeln!(
        r,
        "osipy {} · command: `{}` · device: {}\n",
        env!("CARGO_PKG_VERSION"),
        command_line.join(" "),
        o.device
    );
    let _ = writeln!(
        r,
        "Phantom: {}x{}x{} voxels ({} mm) x {} frames {} s apart; Parker AIF (blood) arriving at {} s, plasma with Hct {}; \
         Gaussian noise SD {} mM (seed {}); {} voxels in the body mask. Regions: normal tissue (smooth gradients of \
         Ktrans 0.05-0.15 /min along x, ve 0.15-0.30 along y, vp 0.02-0.04 along z), tumour rim (0.35 /min, 0.35, 0.08), \
         tumour core (0.06 /min, 0.55, 0.01), vessel (0.1 /min, 0.1, 0.5).\n",
        s.dims[0], s.dims[1], s.dims[2],
        s.voxel_mm.map(|v| v.to_string()).join("x"),
        s.frames, s.dt_s, s.aif_delay_s, s.hct, s.noise_mm, s.seed, summary.voxels
    );
    let _ = writeln!(r, "## Accuracy against the truth\n");
    let _ = writeln!(
        r,
        "| parameter | median \\|fit - true\\| / true | 90th percentile | finite fits |"
    );
    let _ = writeln!(r, "|---|---|---|---|");
    for a in &summary.accuracy {
        let _ = writeln!(
            r,
            "| {} {} | {:.3}% | {:.3}% | {} |",
            a.name,
            a.unit,
            100.0 * a.median_rel_error,
            100.0 * a.p90_rel_error,
            a.finite
        );
    }
    let _ = writeln!(
        r,
        "\nConverged: {:.2}% of the mask.\n",
        100.0 * summary.converged_fraction
    );
    let _ = writeln!(r, "| status | voxels |\n|---|---|");
    for (st, n) in summary.status_counts.iter().filter(|(_, n)| *n > 0) {
        let _ = writeln!(r, "| {} | {n} |", st);
    }
    let _ = writeln!(r, "\n## Timings\n\n| stage | s |\n|---|---|");
    for (k, v) in &summary.timings {
        let _ = writeln!(r, "| {k} | {v:.3} |");
    }
    let _ = writeln!(r, "\n## Figures\n");
    for (f, caption) in [
        ("fig_ktrans.png", "Ktrans, fit and truth, middle slice"),
        ("fig_ve.png", "ve, fit and truth, middle slice"),
        ("fig_vp.png", "vp, fit and truth, middle slice"),
        ("fig_r2.png", "R² of the fit, middle slice"),
        ("fig_aif.png", "The arterial input: Parker blood curve and plasma"),
        ("fig_voxel_fits.png", "One voxel per region: data, truth and fit"),
    ] {
        let _ = writeln!(r, "### {caption}\n\n![{caption}]({f})\n");
    }
    let _ = writeln!(r, "## Files\n");
    for f in files {
        let _ = writeln!(r, "- `{f}`");
    }
    super::report_html::write_reports(dir, &r)
}
