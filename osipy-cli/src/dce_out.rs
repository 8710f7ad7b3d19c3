//! Figures, provenance record and report of `osipy dce`.

use std::fmt::Write as _;
use std::path::Path;

use ndarray::{s, Array3, Array4};

use super::dce_cmd::{DceFit, DceOptions, Summary};
use super::figure::{self, Canvas, Series, PALETTE};
use super::inputs::Hashes;
use super::outdir::io_err;
use super::provenance::{self, Pairs, Record};
use super::CliError;

/// The curves the figures draw.
pub(crate) struct Curves<'a> {
    pub(crate) t: &'a [f64],
    pub(crate) cp: &'a [f64],
    /// Second derivatives of `cp` (mM/s²; zeros for a linear AIF).
    pub(crate) cp2: &'a [f64],
    pub(crate) conc: &'a Array4<f64>,
    pub(crate) mask: &'a Array3<bool>,
}

pub(crate) fn figures(
    dir: &Path,
    o: &DceOptions,
    c: &Curves,
    f: &DceFit,
    files: &mut Vec<String>,
) -> Result<(), CliError> {
    let z = figure::best_slice(c.mask);
    for (name, map) in f.names.iter().zip(&f.params) {
        figure::slice_figure(dir, name, &name.to_uppercase(), "FIT", map, z, files)?;
    }
    let r2 = f.quality[0].1.slice(s![.., .., z]).to_owned();
    let lo = r2
        .iter()
        .filter(|v| v.is_finite())
        .fold(1.0f64, |a, &b| a.min(b))
        .max(-1.0);
    let cv = figure::map_figure(&format!("R2 SLICE {z}"), &[("FIT", &r2)], lo.min(0.999), 1.0);
    cv.save_png(&dir.join("fig_r2.png"))?;
    files.push("fig_r2.png".into());

    let mut cv = Canvas::new(640, 400);
    figure::plot(
        &mut cv,
        (0, 0, 640, 400),
        "AIF PLASMA (MMOL/L)",
        "TIME (S)",
        &[Series {
            x: c.t,
            y: c.cp,
            colour: PALETTE[1],
            points: false,
            name: "PLASMA",
        }],
    );
    cv.save_png(&dir.join("fig_aif.png"))?;
    files.push("fig_aif.png".into());

    // Four voxels of the mask: the ones at the 10th, 50th, 90th percentile and maximum of
    // the first parameter among converged fits (by index order on ties).
    let mut vox: Vec<((usize, usize, usize), f64)> = f.params[0]
        .indexed_iter()
        .filter(|(i, v)| c.mask[*i] && v.is_finite())
        .map(|(i, v)| (i, *v))
        .collect();
    vox.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut pick: Vec<(usize, usize, usize)> = Vec::new();
    if !vox.is_empty() {
        for q in [10, 50, 90, 100] {
            let i = (vox.len() - 1) * q / 100;
            if !pick.contains(&vox[i].0) {
                pick.push(vox[i].0);
            }
        }
    }
    let (pw, ph) = (480i64, 320i64);
    let mut cv = Canvas::new(2 * pw as usize, ph as usize * pick.len().div_ceil(2).max(1));
    for (i, v) in pick.iter().enumerate() {
        let data: Vec<f64> = c.conc.slice(s![v.0, v.1, v.2, ..]).to_vec();
        let q: Vec<f64> = f.params.iter().map(|p| p[*v]).collect();
        let fitted = o.model.with_delay(o.fit_delay).curve(c.t, c.cp, c.cp2, &q)?;
        let title = format!("VOXEL ({},{},{}) MMOL/L", v.0, v.1, v.2);
        let rect = ((i as i64 % 2) * pw, (i as i64 / 2) * ph, pw, ph);
        figure::plot(
            &mut cv,
            rect,
            &title,
            "TIME (S)",
            &[
                Series {
                    x: c.t,
                    y: &data,
                    colour: PALETTE[0],
                    points: true,
                    name: "DATA",
                },
                Series {
                    x: c.t,
                    y: &fitted,
                    colour: PALETTE[1],
                    points: false,
                    name: "FIT",
                },
            ],
        );
    }
    cv.save_png(&dir.join("fig_voxel_fits.png"))?;
    files.push("fig_voxel_fits.png".into());
    Ok(())
}

/// The settings `osipy dce` ran with (the `settings` of its provenance record).
#[derive(Debug, Clone, serde::Serialize)]
#[allow(non_snake_case)] // `relaxivity_per_s_per_mM`: the unit's case
pub(crate) struct DceSettings {
    pub(crate) config: Option<String>,
    pub(crate) input: String,
    pub(crate) dicom_series: Option<String>,
    pub(crate) input_format: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) sidecar: Option<String>,
    pub(crate) times_s: Vec<f64>,
    pub(crate) times_source: String,
    pub(crate) aif: String,
    pub(crate) aif_source: String,
    pub(crate) aif_delay_s: f64,
    pub(crate) aif_interpolation: &'static str,
    pub(crate) hematocrit: f64,
    pub(crate) mask: String,
    pub(crate) model: &'static str,
    pub(crate) fit_delay: bool,
    pub(crate) t1: Option<String>,
    pub(crate) flip_angle_deg: Option<f64>,
    pub(crate) tr_s: Option<f64>,
    pub(crate) relaxivity_per_s_per_mM: Option<f64>,
    pub(crate) baseline_frames: usize,
    /// `--s0` as given (a number or a map file).
    pub(crate) s0: Option<String>,
    /// Where the SPGR conversion's S0 came from: `--s0`, `baseline frames` or `not used`.
    pub(crate) s0_source: &'static str,
    pub(crate) fit: FitSettings,
    pub(crate) out: String,
    pub(crate) force: bool,
    pub(crate) threads: Option<usize>,
}

/// The fit settings of [`DceSettings`].
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct FitSettings {
    pub(crate) initial_values: &'static str,
    pub(crate) delay_grid_s: Vec<i32>,
    pub(crate) driver: &'static str,
    pub(crate) max_iterations: u32,
    pub(crate) ftol: f64,
    pub(crate) xtol: f64,
    pub(crate) gtol: f64,
}

pub(crate) fn write_provenance(
    dir: &Path,
    command_line: &[String],
    hashes: Hashes,
    files: &[String],
    s: &Summary,
) -> Result<(), CliError> {
    let part = provenance::Dce {
        input_shape_xyzt: s.shape,
        settings: &s.settings,
        inputs_sha256: hashes,
        mask_voxels: s.voxels,
        converged_voxels: s.converged,
        medians: Pairs::of(&s.medians),
    };
    Record::new("osipy dce", command_line, s.device, files, &s.timings, part).write(dir)
}

pub(crate) fn write_report(
    dir: &Path,
    o: &DceOptions,
    command_line: &[String],
    s: &Summary,
    f: &DceFit,
    files: &[String],
) -> Result<(), CliError> {
    let mut r = String::new();
    let _ = writeln!(r, "# osipy dce: {} fit\n", o.model.name());
    let _ = writeln!(
        r,
        "osipy {} · command: `{}` · device: {}\n",
        env!("CARGO_PKG_VERSION"),
        command_line.join(" "),
        s.device
    );
    let _ = writeln!(
        r,
        "Input `{}` ({}), {}x{}x{} voxels x {} frames; time axis from {}; AIF: {}; {} voxels fitted, {} converged ({:.1}%).\n",
        o.input.display(),
        s.input_format,
        s.shape[0],
        s.shape[1],
        s.shape[2],
        s.shape[3],
        s.times_source,
        s.aif_source,
        s.voxels,
        s.converged,
        100.0 * s.converged as f64 / s.voxels.max(1) as f64
    );
    let _ = writeln!(
        r,
        "## Parameters (median over the mask)\n\n| parameter | median |\n|---|---|"
    );
    for (n, v) in &s.medians {
        let _ = writeln!(r, "| {n} | {v:.5} |");
    }
    let _ = writeln!(r, "\n## Fit statuses\n\n| status | voxels |\n|---|---|");
    let status = &f.quality[3].1;
    for st in osipy_kernels::fit::FitStatus::ALL {
        let n = status
            .iter()
            .filter(|v| osipy_kernels::fit::FitStatus::from_code(**v as u32) == Some(st))
            .count();
        if n > 0 {
            let _ = writeln!(r, "| {} | {n} |", st);
        }
    }
    let _ = writeln!(r, "\n## Timings\n\n| stage | s |\n|---|---|");
    for (k, v) in &s.timings {
        let _ = writeln!(r, "| {k} | {v:.3} |");
    }
    let _ = writeln!(r, "\n## Figures\n");
    for name in &f.names {
        let _ = writeln!(r, "![{name}](fig_{name}.png)\n");
    }
    let _ = writeln!(
        r,
        "![R²](fig_r2.png)\n\n![AIF](fig_aif.png)\n\n![Voxel fits](fig_voxel_fits.png)\n"
    );
    let _ = writeln!(r, "## Files\n");
    for f in files {
        let _ = writeln!(r, "- `{f}`");
    }
    let path = dir.join("report.md");
    std::fs::write(&path, r).map_err(|e| io_err(&path, "write", e))
}
