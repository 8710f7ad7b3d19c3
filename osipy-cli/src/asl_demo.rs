//! `osipy demo asl`: a synthetic BIDS ASL phantom (grey and white matter and a region of late
//! arrival, known CBF and ATT), written as BIDS files and analysed by `osipy asl` twice:
//! multi-PLD and single-PLD.
//!
//! The phantom: M0 1000 in the head and 0 outside; grey matter (the outer ring; CBF 60
//! ml/100 g/min, ATT 1.0 s), white matter (CBF 25, ATT 1.4 s) and a late-arrival region (a
//! block in the centre; CBF 45, ATT 2.0 s). 3 T (blood T1 1.65 s), α 0.85, λ 0.9, tissue T1
//! 1.33 s.
//!
//! - `bids/sub-demo_acq-multipld_asl.nii.gz`: PCASL, τ 1.8 s, PLDs 0.25, 0.5, 1.0, 1.5, 2.0,
//!   2.5 s, two control/label pairs each; a 2-D multi-slice readout (`SliceTiming` 0.04 s per
//!   slice, added to the PLDs); ΔM from the Buxton model; a separate M0 scan at TR 6 s
//!   (`*_m0scan.nii.gz`, its signal `M0 (1 - e^{-6/1.33})`, which the short-TR correction
//!   undoes).
//! - `bids/sub-demo_acq-singlepld_asl.nii.gz`: PCASL, τ 1.8 s, PLD 1.8 s, an m0scan volume
//!   first (`M0Type` Included) and four pairs; ΔM from the white paper's single-compartment
//!   model (the one its equation inverts).
//!
//! Gaussian noise of SD `--noise` percent of M0 on every volume (0.02: 0.2 a.u.).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{Array3, Array4};
use osipy::asl::kernels as k;
use osipy::io::nifti::{self, OutputType};
use osipy_kernels::Device;
use serde_json::json;

use super::asl_args::AslOptions;
use super::demo_args::DemoOptions;
use super::outdir::{begin, io_err};
use super::phantom::{geometry, Gaussian};
use super::progress::Progress;
use super::values::{DeviceArg, RunArgs};
use super::CliError;

/// Region names of the ASL phantom (1 grey matter, 2 white matter, 3 late arrival).
pub const REGIONS: [&str; 4] = ["background", "grey matter", "white matter", "late arrival"];
/// `(CBF ml/100 g/min, ATT s)` of grey matter, white matter and the late-arrival region.
pub const TRUTH: [(f64, f64); 3] = [(60.0, 1.0), (25.0, 1.4), (45.0, 2.0)];
const M0: f64 = 1000.0;
const TAU: f64 = 1.8;
const PLDS: [f64; 6] = [0.25, 0.5, 1.0, 1.5, 2.0, 2.5];
const SINGLE_PLD: f64 = 1.8;
const SLICE_DT: f64 = 0.04;
const M0_TR: f64 = 6.0;
const T1B: f64 = 1.65;
const T1T: f64 = 1.33;
const ALPHA: f64 = 0.85;
const LAMBDA: f64 = 0.9;

/// Accuracy of one map in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionAccuracy {
    /// `multi-PLD` or `single-PLD`.
    pub run: &'static str,
    /// Map name.
    pub map: &'static str,
    /// Region name.
    pub region: &'static str,
    /// Truth.
    pub truth: f64,
    /// Median of the map over the region.
    pub median: f64,
}

/// What `osipy demo asl` measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The output folder.
    pub out: PathBuf,
    /// Voxels in the head.
    pub voxels: usize,
    /// Median per map and region against the truth.
    pub accuracy: Vec<RegionAccuracy>,
    /// Seconds per stage.
    pub timings: Vec<(&'static str, f64)>,
}

impl Summary {
    /// A plain-text summary for the terminal.
    pub fn render(&self, device: Device) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "osipy demo asl: {} voxels mapped on {device}; output in {}",
            self.voxels,
            self.out.display()
        );
        let _ = writeln!(s, "medians against the truth (ml/100g/min, s):");
        for a in &self.accuracy {
            let _ = writeln!(
                s,
                "  {:<10} {:<4} {:<13} median {:>8.3}  truth {:>8.3}  ({:+.2}%)",
                a.run,
                a.map,
                a.region,
                a.median,
                a.truth,
                100.0 * (a.median / a.truth - 1.0)
            );
        }
        let _ = write!(s, "timings:");
        for (name, t) in &self.timings {
            let _ = write!(s, " {name} {t:.2} s;");
        }
        s.push('\n');
        s
    }
}

/// Region labels: head a disc in x, y; grey matter its outer ring, white matter inside, the
/// late-arrival block in the centre.
fn regions(dims: [usize; 3]) -> Array3<u8> {
    let [nx, ny, nz] = dims;
    Array3::from_shape_fn((nx, ny, nz), |(x, y, _)| {
        let u = (x as f64 + 0.5) / nx as f64 * 2.0 - 1.0;
        let v = (y as f64 + 0.5) / ny as f64 * 2.0 - 1.0;
        let r = (u * u + v * v).sqrt();
        if r > 0.95 {
            0
        } else if u.abs() < 0.25 && v.abs() < 0.25 {
            3
        } else if r > 0.7 {
            1
        } else {
            2
        }
    })
}

fn write4(dir: &Path, name: &str, a: &Array4<f64>, dims: [usize; 3]) -> Result<(), CliError> {
    let geom = geometry(dims, a.dim().3, [3.0, 3.0, 5.0], 1.0);
    nifti::write(dir.join(name), a, Some(&geom), OutputType::Float64).map_err(osipy::Error::from)?;
    Ok(())
}

fn write_text(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| io_err(path, "write", e))
}

/// Writes the BIDS phantom into `bids` (see the module documentation).
fn write_phantom(bids: &Path, dims: [usize; 3], noise: f64, seed: u64) -> Result<Array3<u8>, CliError> {
    std::fs::create_dir_all(bids).map_err(|e| io_err(bids, "create", e))?;
    let [nx, ny, nz] = dims;
    let reg = regions(dims);
    let mut g = Gaussian::new(seed);
    let sd = noise / 100.0 * M0;
    // Multi-PLD: per voxel the ΔM at each PLD (with its slice's delay).
    let reps = 2;
    let nv = PLDS.len() * reps * 2;
    let mut multi = Array4::<f64>::zeros((nx, ny, nz, nv));
    let mut single = Array4::<f64>::zeros((nx, ny, nz, 9));
    let mut dm = [0.0; PLDS.len()];
    for ((x, y, z), r) in reg.indexed_iter() {
        if *r == 0 {
            continue;
        }
        let (cbf, att) = TRUTH[*r as usize - 1];
        k::buxton_pcasl(
            &PLDS,
            M0,
            SLICE_DT * z as f64,
            TAU,
            T1B,
            T1T,
            ALPHA,
            LAMBDA,
            cbf,
            att,
            &mut dm,
        );
        let mut j = 0;
        for _ in 0..reps {
            for d in dm {
                multi[[x, y, z, j]] = M0 + sd * g.sample();
                multi[[x, y, z, j + 1]] = M0 - d + sd * g.sample();
                j += 2;
            }
        }
        // Single PLD: the white paper's model, ΔM = 2 α M0 f T1b e^{-PLD/T1b} (1 - e^{-τ/T1b}) / λ.
        let f = cbf / 6000.0;
        let d = 2.0 * ALPHA * M0 / LAMBDA * f * T1B * (-SINGLE_PLD / T1B).exp() * (1.0 - (-TAU / T1B).exp());
        single[[x, y, z, 0]] = M0 + sd * g.sample();
        for p in 0..4 {
            single[[x, y, z, 1 + 2 * p]] = M0 + sd * g.sample();
            single[[x, y, z, 2 + 2 * p]] = M0 - d + sd * g.sample();
        }
    }
    let m0scan = Array4::from_shape_fn((nx, ny, nz, 1), |(x, y, z, _)| {
        if reg[[x, y, z]] == 0 {
            0.0
        } else {
            M0 * (1.0 - (-M0_TR / T1T).exp())
        }
    });
    let stem = |acq: &str, suffix: &str| bids.join(format!("sub-demo_acq-{acq}_{suffix}"));
    write4(bids, "sub-demo_acq-multipld_asl.nii.gz", &multi, dims)?;
    write4(bids, "sub-demo_acq-multipld_m0scan.nii.gz", &m0scan, dims)?;
    write4(bids, "sub-demo_acq-singlepld_asl.nii.gz", &single, dims)?;
    let mut ctx = String::from("volume_type\n");
    let mut plds = Vec::new();
    for _ in 0..reps {
        for p in PLDS {
            ctx.push_str("control\nlabel\n");
            plds.extend([p, p]);
        }
    }
    write_text(&stem("multipld", "aslcontext.tsv"), &ctx)?;
    let slice_timing: Vec<f64> = (0..nz).map(|z| SLICE_DT * z as f64).collect();
    let sc = json!({
        "ArterialSpinLabelingType": "PCASL",
        "PostLabelingDelay": plds,
        "LabelingDuration": TAU,
        "M0Type": "Separate",
        "BackgroundSuppression": false,
        "MagneticFieldStrength": 3,
        "MRAcquisitionType": "2D",
        "SliceTiming": slice_timing,
        "RepetitionTimePreparation": 4.5,
    });
    super::outdir::write_json(bids, "sub-demo_acq-multipld_asl.json", &sc)?;
    super::outdir::write_json(
        bids,
        "sub-demo_acq-multipld_m0scan.json",
        &json!({"RepetitionTimePreparation": M0_TR, "IntendedFor": "perf/sub-demo_acq-multipld_asl.nii.gz"}),
    )?;
    write_text(
        &stem("singlepld", "aslcontext.tsv"),
        "volume_type\nm0scan\ncontrol\nlabel\ncontrol\nlabel\ncontrol\nlabel\ncontrol\nlabel\n",
    )?;
    super::outdir::write_json(
        bids,
        "sub-demo_acq-singlepld_asl.json",
        &json!({
            "ArterialSpinLabelingType": "PCASL",
            "PostLabelingDelay": SINGLE_PLD,
            "LabelingDuration": TAU,
            "M0Type": "Included",
            "BackgroundSuppression": false,
            "MagneticFieldStrength": 3,
            "MRAcquisitionType": "3D",
        }),
    )?;
    Ok(reg)
}

/// Runs `osipy demo asl`: writes the phantom, analyses it with `osipy asl` and returns the
/// accuracy per region.
pub fn run(o: &DemoOptions, command_line: &[String]) -> Result<Summary, CliError> {
    let t_total = Instant::now();
    o.device.check_available()?;
    let tmp = begin(&o.out, o.force)?;
    let mut progress = Progress::stderr("osipy demo", o.quiet);
    let mut timings: Vec<(&'static str, f64)> = Vec::new();
    progress.stage("[1/3] writing the BIDS ASL phantom");
    let t0 = Instant::now();
    let dims = o.size.dims();
    let dir = tmp.path.clone();
    let bids = dir.join("bids").join("sub-demo").join("perf");
    let reg = write_phantom(&bids, dims, o.noise_mm, o.seed)?;
    timings.push(("phantom", t0.elapsed().as_secs_f64()));

    let mut accuracy = Vec::new();
    for (i, (acq, run, name)) in [
        ("multipld", "multi-PLD", "multi-pld"),
        ("singlepld", "single-PLD", "single-pld"),
    ]
    .into_iter()
    .enumerate()
    {
        progress.stage(&format!("[{}/3] osipy asl on the {run} series", i + 2));
        let t0 = Instant::now();
        let out = dir.join(name);
        let input = bids.join(format!("sub-demo_acq-{acq}_asl.nii.gz"));
        let opts = AslOptions {
            input: input.clone(),
            context: None,
            sidecar: None,
            m0: None,
            mask: None,
            labelling: None,
            pld: None,
            tau: None,
            field: None,
            no_slice_timing: false,
            m0_tr: None,
            subtraction: osipy::asl::Subtraction::Pairwise,
            reject_outliers: None,
            m0_reference: None,
            m0_region: None,
            alpha: None,
            bs_efficiency: None,
            t1_blood: None,
            t1_tissue: T1T,
            lambda: LAMBDA,
            arterial: false,
            run: RunArgs {
                out: out.clone(),
                force: false,
                device: DeviceArg::Is(o.device),
                threads: o.threads,
                fit_driver: o.fit_driver,
                quiet: true,
                config: None,
                dump_defaults: false,
                max_decoded: None,
            },
        };
        let mut cl = command_line.to_vec();
        cl.push(format!(
            "(osipy asl --input {} --out {})",
            input.display(),
            out.display()
        ));
        super::asl_cmd::run(&opts, &cl)?;
        timings.push((
            if i == 0 { "multi-PLD" } else { "single-PLD" },
            t0.elapsed().as_secs_f64(),
        ));
        let maps: &[&'static str] = if i == 0 { &["cbf", "att"] } else { &["cbf"] };
        for &map in maps {
            let img = nifti::read(out.join(format!("{map}.nii.gz"))).map_err(osipy::Error::from)?;
            for (r, region) in REGIONS.iter().enumerate().skip(1) {
                let mut v: Vec<f64> = img
                    .data
                    .iter()
                    .zip(reg.iter())
                    .filter(|(x, g)| **g as usize == r && x.is_finite())
                    .map(|(x, _)| *x)
                    .collect();
                let truth = if map == "cbf" {
                    TRUTH[r - 1].0
                } else {
                    TRUTH[r - 1].1
                };
                accuracy.push(RegionAccuracy {
                    run,
                    map,
                    region,
                    truth,
                    median: super::figure::median(&mut v),
                });
            }
        }
    }
    timings.push(("total", t_total.elapsed().as_secs_f64()));
    let voxels = reg.iter().filter(|r| **r > 0).count();
    let mut report = String::from("# osipy demo asl\n\nA synthetic BIDS ASL phantom (`bids/`) analysed by `osipy asl`: `multi-pld/` and `single-pld/` hold each run's maps, figures, provenance and report.\n\n| run | map | region | truth | median |\n|---|---|---|---|---|\n");
    for a in &accuracy {
        let _ = writeln!(
            report,
            "| {} | {} | {} | {} | {:.4} |",
            a.run, a.map, a.region, a.truth, a.median
        );
    }
    super::report_html::write_reports(&dir, &report)?;
    super::outdir::write_json(
        &dir,
        "truth.json",
        &json!({
            "regions": REGIONS, "cbf_ml_per_100g_min": TRUTH.iter().map(|t| t.0).collect::<Vec<_>>(),
            "att_s": TRUTH.iter().map(|t| t.1).collect::<Vec<_>>(), "m0": M0, "seed": o.seed,
            "noise_percent_of_m0": o.noise_mm, "size": o.size.name(),
        }),
    )?;
    let geom = geometry(dims, 1, [3.0, 3.0, 5.0], 1.0);
    nifti::write(
        dir.join("regions.nii.gz"),
        &reg.mapv(f64::from),
        Some(&geom),
        OutputType::Float32,
    )
    .map_err(osipy::Error::from)?;
    tmp.commit()?;
    Ok(Summary {
        out: o.out.clone(),
        voxels,
        accuracy,
        timings,
    })
}
