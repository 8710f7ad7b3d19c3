//! `osipy demo ivim`: a synthetic diffusion phantom with known maps (four tissues of the OSIPI
//! IVIM code collection's `generic.json`, with smooth gradients of D and f across each), fitted
//! by the library (`osipy::ivim::Fit`) and written with its truth, figures, a provenance record
//! and a report.
//!
//! The phantom: the 18 b-values of `generic.json` (s/mm²), one direction each and two b = 0
//! volumes; S0 1000 inside an ellipse, 0 outside. The ellipse's quadrants are liver (D 1.5e-3,
//! f 0.11, D* 0.1), spleen (1.3e-3, 0.2, 0.03), kidney cortex (2.12e-3, 0.097, 0.02) and
//! pancreas (1.3e-3, 0.15, 0.01); D and f vary by ±20 % along x and y inside each. Rician
//! noise of SD `--noise` times S0 (0.02: SNR 50).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use ndarray::{Array3, Array4};
use osipy::io::nifti::{self, OutputType};
use osipy::ivim::{self, Acquisition, Method};
use osipy_kernels::Device;
use serde_json::json;

use super::demo_args::DemoOptions;
use super::outdir::{begin, io_err, write_map};
use super::phantom::{geometry, Gaussian};
use super::progress::Progress;
use super::provenance;
use super::CliError;

/// The b-values of the phantom (s/mm²): two b = 0 volumes, then the other 17 of
/// `generic.json`.
pub const B: [f64; 19] = [
    0.0, 0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 250.0, 350.0, 400.0, 550.0, 700.0,
    850.0, 1000.0,
];
/// Tissues `(name, D mm²/s, f, D* mm²/s)` of the four quadrants.
pub const TISSUES: [(&str, f64, f64, f64); 4] = [
    ("liver", 1.5e-3, 0.11, 0.1),
    ("spleen", 1.3e-3, 0.2, 0.03),
    ("kidney cortex", 2.12e-3, 0.097, 0.02),
    ("pancreas", 1.3e-3, 0.15, 0.01),
];
const S0: f64 = 1000.0;

/// Median relative error of one map against the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Accuracy {
    /// Map name.
    pub map: &'static str,
    /// Median of |fitted - true| / true over the mask.
    pub median_rel_error: f64,
}

/// What `osipy demo ivim` measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The output folder.
    pub out: PathBuf,
    /// Voxels in the mask.
    pub voxels: usize,
    /// The method.
    pub method: Method,
    /// Per map.
    pub accuracy: Vec<Accuracy>,
    /// Stage timings (s).
    pub timings: Vec<(&'static str, f64)>,
}

impl Summary {
    /// A plain-text summary for the terminal.
    pub fn render(&self, device: Device) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "osipy demo ivim: {} voxels fitted ({}) on {device}; output in {}",
            self.voxels,
            self.method,
            self.out.display()
        );
        let _ = writeln!(s, "median relative errors against the truth:");
        for a in &self.accuracy {
            let _ = writeln!(s, "  {:<6} {:.4}", a.map, a.median_rel_error);
        }
        let _ = write!(s, "timings:");
        for (name, t) in &self.timings {
            let _ = write!(s, " {name} {t:.2} s;");
        }
        s.push('\n');
        s
    }
}

/// The phantom: signal `[x, y, z, volume]` and the true maps `[s0, f, d, dstar]`.
struct Phantom {
    signal: Array4<f64>,
    truth: [Array3<f64>; 4],
    mask: Array3<bool>,
}

fn build(dims: [usize; 3], noise: f64, seed: u64) -> Phantom {
    let [nx, ny, nz] = dims;
    let mut truth = [
        Array3::zeros((nx, ny, nz)),
        Array3::zeros((nx, ny, nz)),
        Array3::zeros((nx, ny, nz)),
        Array3::zeros((nx, ny, nz)),
    ];
    let mut mask = Array3::from_elem((nx, ny, nz), false);
    let mut signal = Array4::zeros((nx, ny, nz, B.len()));
    let mut g = Gaussian::new(seed);
    for x in 0..nx {
        for y in 0..ny {
            let u = (x as f64 + 0.5) / nx as f64 * 2.0 - 1.0;
            let v = (y as f64 + 0.5) / ny as f64 * 2.0 - 1.0;
            if u * u / 0.9 + v * v / 0.8 > 1.0 {
                continue;
            }
            let q = usize::from(u >= 0.0) + 2 * usize::from(v >= 0.0);
            let (_, d, f, ds) = TISSUES[q];
            // Smooth gradients inside the quadrant: +-20 % of D along x, of f along y.
            let (fu, fv) = (u.abs() * 2.0 - 1.0, v.abs() * 2.0 - 1.0);
            let (d, f) = (
                d * (1.0 + 0.2 * fu.clamp(-1.0, 1.0)),
                f * (1.0 + 0.2 * fv.clamp(-1.0, 1.0)),
            );
            for z in 0..nz {
                mask[[x, y, z]] = true;
                for (a, val) in [S0, f, d, ds].iter().enumerate() {
                    truth[a][[x, y, z]] = *val;
                }
                for (k, b) in B.iter().enumerate() {
                    let s = S0 * (f * (-b * ds).exp() + (1.0 - f) * (-b * d).exp());
                    signal[[x, y, z, k]] = if noise > 0.0 {
                        let (re, im) = (s + noise * S0 * g.sample(), noise * S0 * g.sample());
                        (re * re + im * im).sqrt()
                    } else {
                        s
                    };
                }
            }
        }
    }
    Phantom { signal, truth, mask }
}

/// Runs `osipy demo ivim` (the full fit unless `--ivim-method` says otherwise).
pub fn run(o: &DemoOptions, command_line: &[String]) -> Result<Summary, CliError> {
    let t_total = Instant::now();
    o.device.check_available()?;
    let tmp = begin(&o.out, o.force)?;
    let mut progress = Progress::stderr("osipy demo", o.quiet);
    let mut timings: Vec<(&'static str, f64)> = Vec::new();
    progress.stage("[1/3] building the IVIM phantom");
    let t0 = Instant::now();
    let dims = o.size.dims();
    let p = build(dims, o.noise_mm, o.seed);
    timings.push(("phantom", t0.elapsed().as_secs_f64()));

    progress.stage("[2/3] writing the phantom");
    let dir = tmp.path.clone();
    let geom = geometry(dims, B.len(), [2.0, 2.0, 5.0], 1.0);
    let mut files = Vec::new();
    nifti::write(
        dir.join("dwi.nii.gz"),
        &p.signal,
        Some(&geom),
        OutputType::Float32,
    )
    .map_err(osipy::Error::from)?;
    files.push("dwi.nii.gz".to_string());
    let bval: Vec<String> = B.iter().map(|b| b.to_string()).collect();
    let path = dir.join("dwi.bval");
    std::fs::write(&path, bval.join(" ") + "\n").map_err(|e| io_err(&path, "write", e))?;
    files.push("dwi.bval".into());
    let map_geom = geometry(dims, 1, [2.0, 2.0, 5.0], 1.0);
    for (a, name) in ["s0", "f", "d", "dstar"].iter().enumerate() {
        write_map(
            &dir,
            &format!("truth_{name}.nii.gz"),
            &p.truth[a],
            &map_geom,
            &mut files,
        )?;
    }
    // The fit reads back what was written (float32), as `osipy ivim` would.
    let input = nifti::read(dir.join("dwi.nii.gz")).map_err(osipy::Error::from)?;
    let signal = input.data.clone();

    progress.stage("[3/3] fitting");
    let t0 = Instant::now();
    let method = Method::Full;
    let mut bar = Progress::stderr("osipy demo", o.quiet);
    let mut started = false;
    let mut last = 0;
    let mut fit = ivim::Fit::new(method, B.to_vec())
        .settings(
            osipy_kernels::fit::LevenbergMarquardt::new()
                .max_iterations(200)
                .driver(o.fit_driver),
        )
        .mask(&p.mask)
        .device(o.device)
        .progress(|done, total| {
            if !started {
                bar.start("fitting", total);
                started = true;
            }
            bar.advance(done - last);
            last = done;
        });
    if let Some(n) = o.threads {
        fit = fit.threads(n);
    }
    let maps = fit.fit(&signal)?;
    timings.push(("fit", t0.elapsed().as_secs_f64()));

    let data = signal
        .into_dimensionality::<ndarray::Ix4>()
        .map_err(|e| CliError::Runtime(format!("phantom shape: {e}")))?;
    let acq = Acquisition::new("osipy demo ivim", &B)?;
    let sum = super::ivim_cmd::write_maps(
        &dir,
        &maps,
        dims,
        &map_geom,
        Some(&map_geom.affine),
        &data,
        &acq,
        &mut files,
    )?;
    let idx: Vec<[usize; 3]> = p
        .mask
        .indexed_iter()
        .filter(|(_, m)| **m)
        .map(|((x, y, z), _)| [x, y, z])
        .collect();
    let mut accuracy = Vec::new();
    for (a, name) in ["s0", "f", "d", "dstar"].iter().enumerate() {
        let m = maps
            .get(name)
            .ok_or_else(|| CliError::Runtime(format!("no map {name}")))?;
        let mut e: Vec<f64> = idx
            .iter()
            .map(|q| {
                let flat = (q[0] * dims[1] + q[1]) * dims[2] + q[2];
                let got = m.as_slice().map_or(f64::NAN, |s| s[flat]);
                ((got - p.truth[a][*q]) / p.truth[a][*q]).abs()
            })
            .filter(|x| x.is_finite())
            .collect();
        e.sort_by(f64::total_cmp);
        accuracy.push(Accuracy {
            map: name,
            median_rel_error: e.get(e.len() / 2).copied().unwrap_or(f64::NAN),
        });
    }
    timings.push(("total", t_total.elapsed().as_secs_f64()));
    files.push("provenance.json".into());
    files.push("report.md".into());
    files.push("report.html".into());
    #[derive(serde::Serialize)]
    struct Part {
        settings: serde_json::Value,
        mask_voxels: usize,
        median_relative_errors: provenance::Pairs<&'static str, f64>,
    }
    let part = Part {
        settings: json!({"size": o.size.name(), "seed": o.seed, "noise_fraction_of_s0": o.noise_mm,
                     "method": method.name(), "b_values": B, "tissues": TISSUES.iter().map(|t| json!({"name": t.0, "d": t.1, "f": t.2, "dstar": t.3})).collect::<Vec<_>>()}),
        mask_voxels: sum.voxels,
        median_relative_errors: provenance::Pairs(
            accuracy.iter().map(|a| (a.map, a.median_rel_error)).collect(),
        ),
    };
    provenance::Record::new("osipy demo ivim", command_line, o.device, &files, &timings, part).write(&dir)?;
    let mut r = String::new();
    let _ = writeln!(r, "# osipy demo ivim\n");
    let _ = writeln!(
        r,
        "A {}x{}x{} phantom (four tissues of the OSIPI IVIM collection), {} volumes, Rician noise SD {} x S0; {} voxels fitted ({}).\n",
        dims[0], dims[1], dims[2], B.len(), o.noise_mm, sum.voxels, method.name()
    );
    let _ = writeln!(r, "| map | median relative error |\n|---|---|");
    for a in &accuracy {
        let _ = writeln!(r, "| {} | {:.4} |", a.map, a.median_rel_error);
    }
    let _ = writeln!(r, "\n## Figures\n");
    for f in files.iter().filter(|f| f.ends_with(".png")) {
        let _ = writeln!(r, "![{f}]({f})\n");
    }
    let _ = writeln!(r, "## Files\n");
    for f in &files {
        let _ = writeln!(r, "- `{f}`");
    }
    super::report_html::write_reports(&dir, &r)?;
    tmp.commit()?;
    Ok(Summary {
        out: o.out.clone(),
        voxels: sum.voxels,
        method,
        accuracy,
        timings,
    })
}
