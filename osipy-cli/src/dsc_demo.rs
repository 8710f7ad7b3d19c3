//! `osipy demo dsc`: a synthetic DSC phantom (grey and white matter, a lesion with contrast
//! leakage, an artery with partial volume and a venous sinus; known CBF, CBV, MTT), analysed
//! by the library's whole DSC chain (`osipy::dsc::Analysis`: baseline detection, automatic
//! AIF and VOF, oSVD, BSW leakage correction) and written with its truth, figures, a
//! provenance record and a report.
//!
//! The phantom, in the DRO's convention (density and haematocrit factors 1, so ml/100 ml):
//! frames every 1.5 s for 90 s, TE 30 ms, S0 1000 in the head and 0 outside. The AIF is a
//! gamma variate (arrival 12 s, alpha 3, beta 1.5 s, peak 8 mM) with a slow recirculation
//! tail; each tissue voxel's concentration is `CBF/6000 (AIF ⊛ R)` on a 10 ms grid, `R` the
//! residue of a gamma distribution of transit times (shape 3, mean MTT);
//! ΔR2* is 100 /s/mM times the tissue concentration and 7 /s/mM times the arterial one (the
//! ratio of the OSIPI DSC DRO's κ). Regions (every slice): grey matter (the outer ring; CBF
//! 60, CBV 4), white matter (CBF 25, CBV 2), a lesion (CBF 70, CBV 5.5; T1 leakage subtracts
//! `K2 ∫ΔR2*_GM`, K2 = 0.006 /s), an artery (2 x 2 voxels, 70 % arterial blood, 30 % white
//! matter) and a sinus (2 x 2 voxels of venous blood: the AIF 4 s later, dispersed). Gaussian
//! noise of SD `--noise` times S0.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use ndarray::{s, Array3, Array4};
use osipy::dsc::{self, AifSource, Deconvolution, Leakage, Method, Relaxivity, VofSource};
use osipy::io::nifti::{self, OutputType};
use osipy_kernels::Device;
use serde_json::json;

use super::demo_args::DemoOptions;
use super::figure::{self, Canvas, Series, PALETTE};
use super::outdir::{begin, io_err, write_map};
use super::phantom::{geometry, Gaussian};
use super::progress::Progress;
use super::provenance;
use super::CliError;

/// Region labels of the DSC phantom.
pub const REGIONS: [&str; 6] = [
    "background",
    "grey matter",
    "white matter",
    "lesion",
    "artery",
    "sinus",
];
/// `(CBF ml/100 ml/min, CBV ml/100 ml)` of grey matter, white matter and the lesion.
pub const TRUTH: [(f64, f64); 3] = [(60.0, 4.0), (25.0, 2.0), (70.0, 5.5)];
/// Frame interval (s), frames, echo time (s), S0.
const DT: f64 = 1.5;
const FRAMES: usize = 60;
const TE: f64 = 0.03;
const S0: f64 = 1000.0;
/// Relaxivities (/s/mM): tissue and arterial.
const KAPPA_TISSUE: f64 = 100.0;
const KAPPA_ARTERIAL: f64 = 7.0;
/// Leakage of the lesion (/s) and the arterial partial volume.
const K2: f64 = 0.006;
const ARTERY_FRACTION: f64 = 0.7;

/// Accuracy of one map in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionAccuracy {
    /// Map name.
    pub map: &'static str,
    /// Region name.
    pub region: &'static str,
    /// Truth.
    pub truth: f64,
    /// Median of the map over the region.
    pub median: f64,
}

/// What `osipy demo dsc` measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The output folder.
    pub out: PathBuf,
    /// Voxels in the mask.
    pub voxels: usize,
    /// Median per map and region against the truth.
    pub accuracy: Vec<RegionAccuracy>,
    /// The automatic AIF's voxels inside the artery.
    pub aif_in_artery: usize,
    /// The automatic AIF's voxels.
    pub aif_voxels: usize,
    /// Venous output scaling factor.
    pub vof_scale: Option<f64>,
    /// Stage timings (s), the last being the total.
    pub timings: Vec<(&'static str, f64)>,
}

impl Summary {
    /// A plain-text summary for the terminal.
    pub fn render(&self, device: Device) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "osipy demo dsc: {} voxels mapped on {device}; output in {}",
            self.voxels,
            self.out.display()
        );
        let _ = writeln!(
            s,
            "AIF: {} voxels, {} in the artery; venous output scaling x{:.3}",
            self.aif_voxels,
            self.aif_in_artery,
            self.vof_scale.unwrap_or(f64::NAN)
        );
        let _ = writeln!(s, "medians against the truth (ml/100ml, ml/100ml/min, s):");
        for a in &self.accuracy {
            let _ = writeln!(
                s,
                "  {:<4} {:<13} median {:>8.3}  truth {:>8.3}  ({:+.1}%)",
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

fn gamma(x: f64, t0: f64, alpha: f64, beta: f64) -> f64 {
    let s = x - t0;
    if s > 0.0 {
        (s / (alpha * beta)).powf(alpha) * (alpha - s / beta).exp()
    } else {
        0.0
    }
}

/// The arterial concentration (mM) at `x` s: a gamma variate of peak 8 mM and a slow tail.
fn aif_at(x: f64) -> f64 {
    let tail = if x > 12.0 {
        0.6 * (1.0 - (-(x - 12.0) / 15.0).exp())
    } else {
        0.0
    };
    8.0 * gamma(x, 12.0, 3.0, 1.5) + tail
}

/// `F (a ⊛ R)` (F in /s) at the frames, from `a` on the fine grid `h`, for the residue of a
/// gamma distribution of transit times of shape 3 and mean `mtt`:
/// `R(t) = e^{-x} (1 + x + x²/2)`, `x = 3 t / mtt` (Mouridsen et al. 2006; the OSIPI DSC DRO
/// uses shapes 1 and 5).
fn convolve_gamma(fine: &[f64], h: f64, f: f64, mtt: f64) -> Vec<f64> {
    let per = (DT / h).round() as usize;
    let r: Vec<f64> = (0..fine.len())
        .map(|i| {
            let x = 3.0 * i as f64 * h / mtt;
            (-x).exp() * (1.0 + x + 0.5 * x * x)
        })
        .collect();
    (0..FRAMES)
        .map(|k| {
            let i = k * per;
            if i >= fine.len() {
                return 0.0;
            }
            // Trapezoid rule over s in [0, t_i] of a(s) R(t_i - s).
            let mut acc = 0.0;
            for j in 0..=i {
                let w = if j == 0 || j == i { 0.5 } else { 1.0 };
                acc += w * fine[j] * r[i - j];
            }
            f * h * acc
        })
        .collect()
}

/// `F (a ⊛ exp(-t/mtt))` (F in /s) at the frames, from `a` on the fine grid `h`.
fn convolve(fine: &[f64], h: f64, f: f64, mtt: f64) -> Vec<f64> {
    let e = (-h / mtt).exp();
    let per = (DT / h).round() as usize;
    let mut acc = 0.0;
    let mut out = vec![0.0; FRAMES];
    for (i, &v) in fine.iter().enumerate() {
        if i > 0 {
            acc = e * acc + 0.5 * h * (v + e * fine[i - 1]);
        }
        if i % per == 0 && i / per < FRAMES {
            out[i / per] = f * acc;
        }
    }
    out
}

struct Phantom {
    t: Vec<f64>,
    aif: Vec<f64>,
    region: Array3<u8>,
    cbf: Array3<f64>,
    cbv: Array3<f64>,
    mtt: Array3<f64>,
    signal: Array4<f64>,
}

fn build(dims: [usize; 3], noise: f64, seed: u64) -> Phantom {
    let [nx, ny, nz] = dims;
    let h = 0.01;
    let n_fine = ((FRAMES - 1) as f64 * DT / h).round() as usize + 1;
    let fine: Vec<f64> = (0..n_fine).map(|i| aif_at(i as f64 * h)).collect();
    let t: Vec<f64> = (0..FRAMES).map(|k| k as f64 * DT).collect();
    let aif: Vec<f64> = t.iter().map(|&x| aif_at(x)).collect();
    let curves: Vec<Vec<f64>> = TRUTH
        .iter()
        .map(|&(cbf, cbv)| convolve_gamma(&fine, h, cbf / 6000.0, 60.0 * cbv / cbf))
        .collect();
    // The sinus: the AIF 4 s later, dispersed by exp(-t/3 s) (same area).
    let vein = {
        let shifted: Vec<f64> = (0..n_fine).map(|i| aif_at(i as f64 * h - 4.0)).collect();
        convolve(&shifted, h, 1.0 / 3.0, 3.0)
    };
    let gm_dr: Vec<f64> = curves[0].iter().map(|c| KAPPA_TISSUE * c).collect();
    let leak = dsc::leakage::cumulative(&gm_dr, DT);
    let (cx, cy) = ((nx as f64 - 1.0) / 2.0, (ny as f64 - 1.0) / 2.0);
    let (rx, ry) = (0.42 * nx as f64, 0.46 * ny as f64);
    let mut region = Array3::<u8>::zeros((nx, ny, nz));
    for ((x, y, _), r) in region.indexed_iter_mut() {
        let (u, v) = ((x as f64 - cx) / rx, (y as f64 - cy) / ry);
        let d = (u * u + v * v).sqrt();
        let (lu, lv) = (
            (x as f64 - (cx + 0.35 * rx)) / (0.22 * rx),
            (y as f64 - (cy - 0.3 * ry)) / (0.22 * ry),
        );
        *r = if d > 1.0 {
            0
        } else if lu * lu + lv * lv <= 1.0 {
            3
        } else if d > 0.75 {
            1
        } else {
            2
        };
    }
    // The artery near the centre-left, the sinus at the posterior midline (inside the head).
    let ax = (cx - 0.3 * rx).round() as usize;
    let ay = cy.round() as usize;
    let vx = cx.round() as usize;
    let vy = (cy + 0.85 * ry).round() as usize;
    for z in 0..nz {
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            region[[ax + dx, ay + dy, z]] = 4;
            region[[vx + dx, (vy + dy).min(ny - 1), z]] = 5;
        }
    }
    let mut rng = Gaussian::new(seed);
    let nan = Array3::from_elem((nx, ny, nz), f64::NAN);
    let (mut cbf, mut cbv, mut mtt) = (nan.clone(), nan.clone(), nan);
    let mut signal = Array4::<f64>::zeros((nx, ny, nz, FRAMES));
    for ((x, y, z), &r) in region.indexed_iter() {
        let dr: Vec<f64> = match r {
            0 => continue,
            1..=3 => {
                let (f, v) = TRUTH[r as usize - 1];
                cbf[[x, y, z]] = f;
                cbv[[x, y, z]] = v;
                mtt[[x, y, z]] = 60.0 * v / f;
                let c = &curves[r as usize - 1];
                (0..FRAMES)
                    .map(|k| KAPPA_TISSUE * c[k] - if r == 3 { K2 * leak[k] } else { 0.0 })
                    .collect()
            }
            4 => (0..FRAMES)
                .map(|k| {
                    ARTERY_FRACTION * KAPPA_ARTERIAL * aif[k]
                        + (1.0 - ARTERY_FRACTION) * KAPPA_TISSUE * curves[1][k]
                })
                .collect(),
            _ => (0..FRAMES).map(|k| KAPPA_ARTERIAL * vein[k]).collect(),
        };
        for k in 0..FRAMES {
            signal[[x, y, z, k]] = S0 * (-TE * dr[k]).exp() + noise * S0 * rng.sample();
        }
    }
    Phantom {
        t,
        aif,
        region,
        cbf,
        cbv,
        mtt,
        signal,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    figure::median(&mut v)
}

/// Runs `osipy demo dsc`: builds the phantom, analyses it and writes everything into `o.out`.
pub fn run(o: &DemoOptions, command_line: &[String]) -> Result<Summary, CliError> {
    let t_total = Instant::now();
    o.device.check_available()?;
    let tmp = begin(&o.out, o.force)?;
    let mut progress = Progress::stderr("osipy demo", o.quiet);
    let mut timings: Vec<(&'static str, f64)> = Vec::new();
    progress.stage("[1/4] building the DSC phantom");
    let t0 = Instant::now();
    let dims = o.size.dims();
    let p = build(dims, o.noise_mm, o.seed);
    timings.push(("phantom", t0.elapsed().as_secs_f64()));

    progress.stage("[2/4] writing the phantom");
    let t0 = Instant::now();
    let dir = tmp.path.clone();
    let geom = geometry(dims, FRAMES, [3.0, 3.0, 5.0], DT);
    let mut files = Vec::new();
    nifti::write(
        dir.join("phantom_signal.nii.gz"),
        &p.signal,
        Some(&geom),
        OutputType::Float32,
    )
    .map_err(osipy::Error::from)?;
    files.push("phantom_signal.nii.gz".to_string());
    let input = nifti::read(dir.join("phantom_signal.nii.gz")).map_err(osipy::Error::from)?;
    // The analysis reads back what was written (float32), as `osipy dsc` would.
    let signal = input.data.clone();
    write_map(
        &dir,
        "regions.nii.gz",
        &p.region.mapv(f64::from),
        &input,
        &mut files,
    )?;
    write_map(&dir, "truth_cbf.nii.gz", &p.cbf, &input, &mut files)?;
    write_map(&dir, "truth_cbv.nii.gz", &p.cbv, &input, &mut files)?;
    write_map(&dir, "truth_mtt.nii.gz", &p.mtt, &input, &mut files)?;
    timings.push(("write phantom", t0.elapsed().as_secs_f64()));

    progress.stage(&format!("[3/4] oSVD with BSW leakage correction on {}", o.device));
    let t0 = Instant::now();
    let mut started = false;
    let mut last = 0;
    let mut analysis = dsc::Analysis::new(&p.t, TE)
        .relaxivity(
            Relaxivity::linear(KAPPA_TISSUE),
            Relaxivity::linear(KAPPA_ARTERIAL),
        )
        .aif(AifSource::Auto(4))
        .vof(VofSource::Auto(4))
        .deconvolution(Deconvolution::new(Method::Osvd))
        .factors(1.0, 1.0)
        .leakage(Leakage::Bsw)
        .device(o.device)
        .progress(|done, total| {
            if !started {
                progress.start("mapping", total);
                started = true;
            }
            progress.advance(done - last);
            last = done;
        });
    if let Some(n) = o.threads {
        analysis = analysis.threads(n);
    }
    let out = analysis.run(&signal.view())?;
    timings.push(("map", t0.elapsed().as_secs_f64()));

    progress.stage("[4/4] writing the maps, figures, report and provenance");
    let t0 = Instant::now();
    let (nx, ny, nz) = (dims[0], dims[1], dims[2]);
    let mut maps3 = Vec::new();
    for m in &out.maps.maps {
        let a = m
            .data
            .clone()
            .into_shape_with_order((nx, ny, nz))
            .map_err(|e| super::inputs::rt(format!("map {}: {e}", m.name)))?;
        write_map(&dir, &format!("{}.nii.gz", m.name), &a, &input, &mut files)?;
        maps3.push((m.name, a));
    }
    let mask = out
        .mask
        .clone()
        .into_shape_with_order((nx, ny, nz))
        .map_err(|e| super::inputs::rt(format!("mask: {e}")))?;
    write_map(
        &dir,
        "mask.nii.gz",
        &mask.mapv(|m| if m { 1.0 } else { 0.0 }),
        &input,
        &mut files,
    )?;
    let mut csv = String::from("time_s,aif_true_mM,aif_used_mM\n");
    for k in 0..FRAMES {
        let _ = writeln!(csv, "{},{},{}", p.t[k], p.aif[k], out.aif[k]);
    }
    let path = dir.join("aif.csv");
    std::fs::write(&path, csv).map_err(|e| io_err(&path, "write", e))?;
    files.push("aif.csv".into());
    let get = |n: &str| maps3.iter().find(|(m, _)| *m == n).map(|(_, a)| a);
    let view = figure::View::at(nz / 2, nz, Some(&geom.affine));
    let z = view.z;
    for (name, unit, title, truth, hi) in [
        ("cbf", "ml/100ml/min", "CBF (ml/100ml/min)", &p.cbf, 80.0),
        ("cbv", "ml/100ml", "CBV (ml/100ml)", &p.cbv, 7.0),
        ("mtt", "s", "MTT (s)", &p.mtt, 10.0),
    ] {
        let Some(m) = get(name) else { continue };
        let (tr, fit) = (
            truth.slice(s![.., .., z]).to_owned(),
            m.slice(s![.., .., z]).to_owned(),
        );
        let cv = figure::map_figure(
            title,
            &[("truth", &tr), ("fit", &fit)],
            0.0,
            hi,
            unit,
            Some(&view),
        );
        let file = format!("fig_{name}.png");
        cv.save_png(&dir.join(&file))?;
        files.push(file);
    }
    let mut cv = Canvas::new(720, 440);
    figure::plot(
        &mut cv,
        (0, 0, 720, 440),
        &figure::Axes {
            title: "Arterial input function",
            x: "time (s)",
            y: "concentration (mM)",
        },
        &[
            Series {
                x: &p.t,
                y: &p.aif,
                colour: PALETTE[0],
                points: false,
                name: "true",
            },
            Series {
                x: &p.t,
                y: &out.aif,
                colour: PALETTE[1],
                points: true,
                name: "detected, venous-output scaled",
            },
        ],
    );
    cv.save_png(&dir.join("fig_aif.png"))?;
    files.push("fig_aif.png".into());

    let mut accuracy = Vec::new();
    for (r, name) in [(1u8, "grey matter"), (2, "white matter"), (3, "lesion")] {
        let (f, v) = TRUTH[r as usize - 1];
        for (map, truth) in [("cbf", f), ("cbv", v), ("mtt", 60.0 * v / f)] {
            let Some(m) = get(map) else { continue };
            let vals: Vec<f64> = m
                .iter()
                .zip(p.region.iter())
                .filter(|(_, rr)| **rr == r)
                .map(|(x, _)| *x)
                .collect();
            accuracy.push(RegionAccuracy {
                map,
                region: name,
                truth,
                median: median(vals),
            });
        }
    }
    let aif_ids = out.aif_voxels.clone().unwrap_or_default();
    let flat_region: Vec<u8> = p.region.iter().copied().collect();
    let aif_in_artery = aif_ids.iter().filter(|&&i| flat_region[i] == 4).count();
    timings.push(("write", t0.elapsed().as_secs_f64()));
    timings.push(("total", t_total.elapsed().as_secs_f64()));
    files.push("provenance.json".into());
    files.push("report.md".into());
    files.push("report.html".into());
    let summary = Summary {
        out: o.out.clone(),
        voxels: mask.iter().filter(|m| **m).count(),
        accuracy,
        aif_in_artery,
        aif_voxels: aif_ids.len(),
        vof_scale: out.vof_scale,
        timings,
    };
    #[derive(serde::Serialize)]
    struct Accuracy<'a> {
        map: &'a str,
        region: &'a str,
        truth: f64,
        median: f64,
    }
    #[derive(serde::Serialize)]
    struct Part<'a> {
        phantom: serde_json::Value,
        analysis: serde_json::Value,
        accuracy: Vec<Accuracy<'a>>,
    }
    let part = Part {
        phantom: json!({"dims": dims, "frames": FRAMES, "dt_s": DT, "te_s": TE, "s0": S0, "noise_of_s0": o.noise_mm, "seed": o.seed,
                    "kappa_tissue": KAPPA_TISSUE, "kappa_arterial": KAPPA_ARTERIAL, "lesion_k2_per_s": K2,
                    "artery_fraction": ARTERY_FRACTION, "regions": REGIONS,
                    "truth_cbf_cbv": TRUTH.iter().map(|(f, v)| json!([f, v])).collect::<Vec<_>>()}),
        analysis: json!({"method": "osvd", "oscillation_index": dsc::OSVD_OSCILLATION_INDEX, "aif": "automatic, 4 voxels",
                     "vof": "automatic, 4 voxels", "leakage": "bsw", "density": 1.0, "kh": 1.0,
                     "baseline_frames": [out.baseline.start, out.baseline.end], "vof_scale": out.vof_scale}),
        accuracy: summary
            .accuracy
            .iter()
            .map(|a| Accuracy {
                map: a.map,
                region: a.region,
                truth: a.truth,
                median: a.median,
            })
            .collect(),
    };
    provenance::Record::new(
        "osipy demo dsc",
        command_line,
        o.device,
        &files,
        &summary.timings,
        part,
    )
    .write(&dir)?;
    let mut r = String::new();
    let _ = writeln!(r, "# osipy demo dsc\n");
    let _ = writeln!(
        r,
        "osipy {} · command: `{}` · device: {}\n",
        env!("CARGO_PKG_VERSION"),
        command_line.join(" "),
        o.device
    );
    let _ = writeln!(
        r,
        "Phantom: {nx}x{ny}x{nz} voxels x {FRAMES} frames every {DT} s, TE {TE} s, noise SD {} of S0; grey matter, white matter, a lesion with T1 leakage (K2 {K2} /s), an artery ({}% blood) and a sinus. Analysis: baseline frames {}..{} (detected), automatic AIF ({} voxels, {} in the artery), venous output scaling x{:.3}, oSVD, BSW leakage correction, density and kH 1 (ml/100ml).\n",
        o.noise_mm,
        100.0 * ARTERY_FRACTION,
        out.baseline.start,
        out.baseline.end,
        summary.aif_voxels,
        summary.aif_in_artery,
        summary.vof_scale.unwrap_or(f64::NAN)
    );
    let _ = writeln!(
        r,
        "| map | region | truth | median | error |\n|---|---|---|---|---|"
    );
    for a in &summary.accuracy {
        let _ = writeln!(
            r,
            "| {} | {} | {} | {:.3} | {:+.1}% |",
            a.map,
            a.region,
            a.truth,
            a.median,
            100.0 * (a.median / a.truth - 1.0)
        );
    }
    let _ = writeln!(r, "\n## Figures\n");
    for f in ["fig_cbf.png", "fig_cbv.png", "fig_mtt.png", "fig_aif.png"] {
        let _ = writeln!(r, "![{f}]({f})\n");
    }
    let _ = writeln!(r, "## Files\n");
    for f in &files {
        let _ = writeln!(r, "- `{f}`");
    }
    super::report_html::write_reports(&dir, &r)?;
    tmp.commit()?;
    Ok(summary)
}
