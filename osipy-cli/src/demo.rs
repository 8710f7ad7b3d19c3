//! `osipy demo`: a synthetic 4-D DCE phantom, fitted with the extended Tofts model, written
//! with its truth, quality maps, figures, a provenance record and a report.
//!
//! The output folder is built in a hidden sibling folder and renamed into place at the end, so
//! a failed run leaves no partial output; an existing non-empty folder is replaced only with
//! `--force`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use ndarray::Array3;
use osipy_kernels::fit::{FitStatus, LevenbergMarquardt};
use osipy_kernels::Device;
use serde_json::json;

pub use super::demo_args::{DemoOptions, Modality, Size};
use super::demo_figures::figures;
use super::outdir::{begin, io_err, write_map};
use super::phantom::{self, Phantom, PhantomSettings};
use super::progress::Progress;
use super::report::{write_provenance, write_report};
use super::sha256::sha256_file;
use super::CliError;
use osipy::dce;
use osipy::io::nifti::{self, OutputType};

/// Accuracy of one fitted parameter against the truth, over the voxels of the mask.
#[derive(Debug, Clone, PartialEq)]
pub struct Accuracy {
    /// Parameter name.
    pub name: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// Median of `|fit - truth| / truth`.
    pub median_rel_error: f64,
    /// 90th percentile of `|fit - truth| / truth`.
    pub p90_rel_error: f64,
    /// Voxels with a finite fit.
    pub finite: usize,
}

/// What `osipy demo` measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The output folder.
    pub out: PathBuf,
    /// Voxels in the mask.
    pub voxels: usize,
    /// Per-parameter accuracy.
    pub accuracy: Vec<Accuracy>,
    /// Fraction of the mask's voxels whose fit converged.
    pub converged_fraction: f64,
    /// Status counts over the mask.
    pub status_counts: Vec<(FitStatus, usize)>,
    /// Stage timings (s), in order, the last being the total.
    pub timings: Vec<(&'static str, f64)>,
}

impl Summary {
    /// A plain-text summary for the terminal.
    pub fn render(&self, device: Device) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "osipy demo: {} voxels fitted on {device}; output in {}",
            self.voxels,
            self.out.display()
        );
        let _ = writeln!(
            s,
            "accuracy against the truth (relative error |fit - true| / true, mask voxels):"
        );
        for a in &self.accuracy {
            let _ = writeln!(
                s,
                "  {:<7} median {:>8.3}%  90th percentile {:>8.3}%  ({} finite)",
                a.name,
                100.0 * a.median_rel_error,
                100.0 * a.p90_rel_error,
                a.finite
            );
        }
        let _ = writeln!(
            s,
            "converged: {:.2}% of the mask",
            100.0 * self.converged_fraction
        );
        let _ = write!(s, "timings:");
        for (name, t) in &self.timings {
            let _ = write!(s, " {name} {t:.2} s;");
        }
        s.push('\n');
        s
    }
}

/// Numbered stage lines (`osipy demo: [k/6] ...`) and the fit's progress, on stderr through
/// the commands' shared reporter (nothing with `quiet`).
struct Stages {
    progress: Progress<std::io::Stderr>,
    stages: usize,
    done: usize,
}

impl Stages {
    fn stage(&mut self, what: &str) {
        self.done += 1;
        let line = format!("[{}/{}] {what}", self.done, self.stages);
        self.progress.stage(&line);
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos - pos.floor());
    if i + 1 < sorted.len() {
        sorted[i] + f * (sorted[i + 1] - sorted[i])
    } else {
        sorted[i]
    }
}

fn accuracy(
    name: &'static str,
    unit: &'static str,
    fit: &Array3<f64>,
    truth: &Array3<f64>,
    mask: &Array3<bool>,
) -> Accuracy {
    let mut e: Vec<f64> = fit
        .iter()
        .zip(truth)
        .zip(mask)
        .filter(|((f, _), m)| **m && f.is_finite())
        .map(|((f, t), _)| ((f - t) / t).abs())
        .collect();
    e.sort_by(f64::total_cmp);
    Accuracy {
        name,
        unit,
        median_rel_error: quantile(&e, 0.5),
        p90_rel_error: quantile(&e, 0.9),
        finite: e.len(),
    }
}

/// The fitted maps, `[x, y, z]` each (NaN outside the mask).
pub(crate) struct Fitted {
    /// Ktrans (/min), ve, vp.
    pub(crate) params: [Array3<f64>; 3],
    /// Coefficient of determination.
    pub(crate) r2: Array3<f64>,
    /// Sum of squared residuals (mM^2).
    pub(crate) chi2: Array3<f64>,
    /// Steps taken.
    pub(crate) iterations: Array3<f64>,
    /// `FitStatus` codes.
    pub(crate) status: Array3<f64>,
    /// Bit `a` set when parameter `a` ended on a bound.
    pub(crate) at_bound: Array3<f64>,
}

/// Fits the phantom's mask with the library pipeline [`dce::VolumeFit`] on `dev`
/// (data-driven starts, then the bounded Levenberg-Marquardt fit).
fn fit(
    p: &Phantom,
    dev: Device,
    settings: &LevenbergMarquardt,
    threads: Option<usize>,
    progress: &mut Progress<std::io::Stderr>,
) -> Result<Fitted, CliError> {
    let (nx, ny, nz) = p.mask.dim();
    progress.start("fitting", p.mask.iter().filter(|m| **m).count());
    let mut last = 0;
    // The phantom's curves are made with the piecewise-linear AIF (the default).
    let mut pipeline = dce::VolumeFit::new(dce::Model::ExtendedTofts, &p.t, &p.cp)
        .mask(&p.mask)
        .settings(*settings)
        .device(dev)
        .progress(|done, _| {
            progress.advance(done - last);
            last = done;
        });
    if let Some(n) = threads {
        pipeline = pipeline.threads(n);
    }
    let maps = pipeline.fit(&p.conc)?;
    let map3 = |name: &str| -> Result<Array3<f64>, CliError> {
        maps.get(name)
            .ok_or_else(|| CliError::Runtime(format!("fit result: no map `{name}`")))?
            .clone()
            .into_shape_with_order((nx, ny, nz))
            .map_err(|e| CliError::Runtime(format!("fit result shape: {e}")))
    };
    Ok(Fitted {
        params: [map3("ktrans")?, map3("ve")?, map3("vp")?],
        r2: map3("r2")?,
        chi2: map3("chi2")?,
        iterations: map3("iterations")?,
        status: map3("status")?,
        at_bound: map3("at_bound")?,
    })
}

/// Runs the demo: builds, fits and writes everything into `o.out` (see `--help`);
/// `command_line` is recorded in the provenance.
pub fn run(o: &DemoOptions, command_line: &[String]) -> Result<Summary, CliError> {
    let t_total = Instant::now();
    o.device.check_available()?;
    let tmp = begin(&o.out, o.force)?;
    let mut progress = Stages {
        progress: Progress::stderr("osipy demo", o.quiet),
        stages: 6,
        done: 0,
    };
    let mut timings: Vec<(&'static str, f64)> = Vec::new();

    progress.stage("building the phantom");
    let t0 = Instant::now();
    let dims = o.size.dims();
    let settings = PhantomSettings {
        dims,
        frames: 80,
        dt_s: 4.0,
        voxel_mm: [1.5, 1.5, 4.0],
        aif_delay_s: 20.0,
        hct: 0.42,
        noise_mm: o.noise_mm,
        seed: o.seed,
    };
    let p = phantom::build(&settings)?;
    timings.push(("phantom", t0.elapsed().as_secs_f64()));

    progress.stage("writing the phantom");
    let t0 = Instant::now();
    let dir = tmp.path.clone();
    let geometry = phantom::geometry(dims, settings.frames, settings.voxel_mm, settings.dt_s);
    let mut files = Vec::new();
    nifti::write(
        dir.join("phantom_conc.nii.gz"),
        &p.conc,
        Some(&geometry),
        OutputType::Float32,
    )
    .map_err(osipy::Error::from)?;
    files.push("phantom_conc.nii.gz".to_string());
    // Every output takes its geometry and header from the input as written.
    let input = nifti::read(dir.join("phantom_conc.nii.gz")).map_err(osipy::Error::from)?;
    write_map(
        &dir,
        "mask.nii.gz",
        &p.mask.mapv(|m| if m { 1.0 } else { 0.0 }),
        &input,
        &mut files,
    )?;
    write_map(
        &dir,
        "regions.nii.gz",
        &p.region.mapv(f64::from),
        &input,
        &mut files,
    )?;
    write_map(&dir, "truth_ktrans.nii.gz", &p.ktrans, &input, &mut files)?;
    write_map(&dir, "truth_ve.nii.gz", &p.ve, &input, &mut files)?;
    write_map(&dir, "truth_vp.nii.gz", &p.vp, &input, &mut files)?;
    let mut csv = String::from("time_s,blood_mM,plasma_mM\n");
    for i in 0..p.t.len() {
        let _ = writeln!(csv, "{},{},{}", p.t[i], p.cb[i], p.cp[i]);
    }
    let aif_path = dir.join("aif.csv");
    std::fs::write(&aif_path, &csv).map_err(|e| io_err(&aif_path, "write", e))?;
    files.push("aif.csv".into());
    let mut hashes = serde_json::Map::new();
    for name in ["phantom_conc.nii.gz", "mask.nii.gz", "aif.csv"] {
        let path = dir.join(name);
        let digest = sha256_file(&path).map_err(|e| io_err(&path, "read back", e))?;
        hashes.insert(name.into(), json!(digest));
    }
    timings.push(("write phantom", t0.elapsed().as_secs_f64()));

    progress.stage(&format!(
        "fitting {} voxels (extended Tofts) on {}",
        p.mask.iter().filter(|m| **m).count(),
        o.device
    ));
    let t0 = Instant::now();
    let lm = LevenbergMarquardt::default().driver(o.fit_driver);
    let f = fit(&p, o.device, &lm, o.threads, &mut progress.progress)?;
    timings.push(("fit", t0.elapsed().as_secs_f64()));

    progress.stage("writing the maps");
    let t0 = Instant::now();
    for (k, name) in ["ktrans", "ve", "vp"].iter().enumerate() {
        write_map(&dir, &format!("{name}.nii.gz"), &f.params[k], &input, &mut files)?;
    }
    for (name, map) in [
        ("r2", &f.r2),
        ("chi2", &f.chi2),
        ("iterations", &f.iterations),
        ("status", &f.status),
        ("at_bound", &f.at_bound),
    ] {
        write_map(&dir, &format!("{name}.nii.gz"), map, &input, &mut files)?;
    }
    timings.push(("write maps", t0.elapsed().as_secs_f64()));

    progress.stage("drawing the figures");
    let t0 = Instant::now();
    figures(&dir, &p, &f, &input.affine, &mut files)?;
    timings.push(("figures", t0.elapsed().as_secs_f64()));

    progress.stage("writing the report and provenance");
    let voxels = p.mask.iter().filter(|m| **m).count();
    let acc = vec![
        accuracy("ktrans", "/min", &f.params[0], &p.ktrans, &p.mask),
        accuracy("ve", "", &f.params[1], &p.ve, &p.mask),
        accuracy("vp", "", &f.params[2], &p.vp, &p.mask),
    ];
    let in_mask: Vec<Option<FitStatus>> = f
        .status
        .iter()
        .zip(&p.mask)
        .filter(|(_, m)| **m)
        .map(|(s, _)| FitStatus::from_code(*s as u32))
        .collect();
    let status_counts: Vec<(FitStatus, usize)> = FitStatus::ALL
        .iter()
        .map(|s| (*s, in_mask.iter().filter(|x| **x == Some(*s)).count()))
        .collect();
    let converged = in_mask
        .iter()
        .filter(|s| s.is_some_and(FitStatus::is_converged))
        .count();
    let converged_fraction = converged as f64 / voxels.max(1) as f64;
    files.push("provenance.json".into());
    files.push("report.md".into());
    files.push("report.html".into());
    timings.push(("total before the report", t_total.elapsed().as_secs_f64()));
    let summary = Summary {
        out: o.out.clone(),
        voxels,
        accuracy: acc,
        converged_fraction,
        status_counts,
        timings,
    };
    write_provenance(&dir, o, command_line, &settings, &lm, hashes, &files, &summary)?;
    write_report(&dir, o, command_line, &settings, &summary, &files)?;
    tmp.commit()?;
    Ok(summary)
}
