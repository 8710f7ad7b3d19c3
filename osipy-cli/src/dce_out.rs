//! Figures, provenance record and report of `osipy dce`.

use std::fmt::Write as _;
use std::path::Path;

use ndarray::{s, Array3, Array4};

use super::dce_cmd::{DceFit, DceOptions, Summary};
use super::figure::{self, Canvas, Series, PALETTE};
use super::inputs::Hashes;
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
    /// Voxel-to-RAS affine of the input (`None`: no geometry).
    pub(crate) affine: Option<&'a [[f64; 4]; 4]>,
}

/// The name of a DCE parameter as the figures print it.
fn display_name(name: &str) -> &str {
    match name {
        "ktrans" => "Ktrans",
        "ps" => "PS",
        "fp" => "Fp",
        other => other,
    }
}

pub(crate) fn figures(
    dir: &Path,
    o: &DceOptions,
    c: &Curves,
    f: &DceFit,
    files: &mut Vec<String>,
) -> Result<(), CliError> {
    let view = figure::View::new(c.mask, c.affine);
    for (name, map) in f.names.iter().zip(&f.params) {
        let unit = osipy::dce::Model::unit(name);
        let title = format!("{} ({}), {} fit", display_name(name), unit, o.model.name());
        figure::slice_figure(dir, name, &title, unit, map, &view, files)?;
    }
    let r2 = f.quality[0].1.slice(s![.., .., view.z]).to_owned();
    let lo = r2
        .iter()
        .filter(|v| v.is_finite())
        .fold(1.0f64, |a, &b| a.min(b))
        .max(-1.0);
    let cv = figure::map_figure(
        "R² of the fit (1 = perfect)",
        &[("", &r2)],
        lo.min(0.999),
        1.0,
        "R² (unitless)",
        Some(&view),
    );
    cv.save_png(&dir.join("fig_r2.png"))?;
    files.push("fig_r2.png".into());

    let mut cv = Canvas::new(720, 440);
    figure::plot(
        &mut cv,
        (0, 0, 720, 440),
        &figure::Axes {
            title: "Arterial input function (plasma)",
            x: "time (s)",
            y: "concentration (mM)",
        },
        &[Series {
            x: c.t,
            y: c.cp,
            colour: PALETTE[1],
            points: false,
            name: "plasma",
        }],
    );
    cv.save_png(&dir.join("fig_aif.png"))?;
    files.push("fig_aif.png".into());

    // Voxels at the 10th, 50th and 90th percentiles of the first parameter (Ktrans, or Fp
    // for the two-compartment models) among the converged fits.
    let status = &f.quality[3].1;
    let converged = |i: [usize; 3]| {
        c.mask[i]
            && osipy_kernels::fit::FitStatus::from_code(status[i] as u32)
                .is_some_and(osipy_kernels::fit::FitStatus::is_converged)
    };
    let main = f.names.first().copied().unwrap_or("ktrans");
    let pick = figure::quantile_voxels(&f.params[0], converged, &figure::VOXEL_PERCENTILES);
    let (pw, ph) = (520i64, 360i64);
    let mut cv = Canvas::new(pw as usize * pick.len().max(1), ph as usize);
    for (i, (v, pct, value)) in pick.iter().enumerate() {
        let data: Vec<f64> = c.conc.slice(s![v[0], v[1], v[2], ..]).to_vec();
        let q: Vec<f64> = f.params.iter().map(|p| p[*v]).collect();
        let fitted = o.model.with_delay(o.fit_delay).curve(c.t, c.cp, c.cp2, &q)?;
        let title = figure::voxel_title(
            *pct,
            display_name(main),
            *value,
            osipy::dce::Model::unit(main),
            *v,
        );
        figure::plot(
            &mut cv,
            (i as i64 * pw, 0, pw, ph),
            &figure::Axes {
                title: &title,
                x: "time (s)",
                y: "concentration (mM)",
            },
            &[
                Series {
                    x: c.t,
                    y: &data,
                    colour: PALETTE[0],
                    points: true,
                    name: "measured",
                },
                Series {
                    x: c.t,
                    y: &fitted,
                    colour: PALETTE[1],
                    points: false,
                    name: "fitted model",
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
    pub(crate) mask: serde_json::Value,
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
    let _ = writeln!(r, "Mask: {}\n", s.mask_rule);
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
        let unit = osipy::dce::Model::unit(name);
        let _ = writeln!(
            r,
            "### {} ({unit})\n\n![{name}](fig_{name}.png)\n",
            display_name(name)
        );
    }
    let main = f.names.first().copied().unwrap_or("ktrans");
    let _ = writeln!(
        r,
        "### R² of the fit\n\n![R²](fig_r2.png)\n\n### Arterial input function (plasma)\n\n![AIF](fig_aif.png)\n\n\
         ### Measured and fitted curves at the 10th, 50th and 90th percentiles of {} among the converged voxels\n\n\
         ![Voxel fits](fig_voxel_fits.png)\n",
        display_name(main)
    );
    let _ = writeln!(r, "## Files\n");
    for f in files {
        let _ = writeln!(r, "- `{f}`");
    }
    super::report_html::write_reports(dir, &r)
}
