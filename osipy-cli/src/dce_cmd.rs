//! `osipy dce`: fits a pharmacokinetic model to a 4-D DCE-MRI series read from NIfTI, DICOM
//! or `.npy`, and writes the parameter maps, quality maps, figures, a provenance record and a
//! report (see `--help`).

use std::path::Path;
use std::time::Instant;

use ndarray::{Array3, Array4, Ix3, Ix4};
use osipy_kernels::fit::LevenbergMarquardt;
use osipy_kernels::Device;

pub use super::dce_args::{DceOptions, Kind, Model};
use super::dce_input::{check_times, default_sidecar, read_curve, read_input, sidecar_times};
use super::dce_out::{figures, write_provenance, write_report, Curves, DceSettings, FitSettings};
use super::inputs::{hash_file, is_nifti, is_npy, read_map3, rt, sidecar_number};
use super::outdir::{begin, io_err, write_map};
use super::CliError;
use osipy::aif::{detect_aif, AifCompartment, AifDetectOptions, PopulationAif};
use osipy::conc::{Baseline, SignalToConc, Spgr};
use osipy::dce;

/// The fitted maps, `[x, y, z]` each (NaN outside the mask).
pub(crate) struct DceFit {
    pub(crate) names: Vec<&'static str>,
    pub(crate) params: Vec<Array3<f64>>,
    pub(crate) quality: Vec<(&'static str, Array3<f64>)>,
}

/// Fits the voxels of `mask` with the library pipeline [`dce::VolumeFit`] (chunks of
/// `chunk` voxels, each reported to `progress`).
#[allow(clippy::too_many_arguments)]
pub(super) fn fit<W: std::io::Write + Send>(
    o: &DceOptions,
    dev: Device,
    t: &[f64],
    cp: &[f64],
    conc: &Array4<f64>,
    mask: &Array3<bool>,
    lm: LevenbergMarquardt,
    progress: &mut super::progress::Progress<W>,
) -> Result<DceFit, CliError> {
    let (nx, ny, nz, _) = conc.dim();
    let model = o.model.with_delay(o.fit_delay);
    progress.start("fitting", mask.iter().filter(|m| **m).count());
    let mut last = 0;
    let mut fit = dce::VolumeFit::new(model, t, cp)
        .interpolation(o.aif_interp)
        .mask(mask)
        .settings(lm)
        .device(dev)
        .progress(|done, _| {
            progress.advance(done - last);
            last = done;
        });
    if let Some(n) = o.run.threads {
        fit = fit.threads(n);
    }
    let maps = fit.fit(conc)?;
    let map3 = |name: &str| -> Result<Array3<f64>, CliError> {
        maps.get(name)
            .ok_or_else(|| rt(format!("fit result: no map `{name}`")))?
            .clone()
            .into_shape_with_order((nx, ny, nz))
            .map_err(|e| rt(format!("fit result shape: {e}")))
    };
    let names: Vec<&'static str> = model.params().to_vec();
    let params = names.iter().map(|n| map3(n)).collect::<Result<Vec<_>, _>>()?;
    let quality = ["r2", "chi2", "iterations", "status", "at_bound"]
        .into_iter()
        .map(|n| Ok((n, map3(n)?)))
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(DceFit {
        names,
        params,
        quality,
    })
}

/// What `osipy dce` did, for the terminal, the report and the provenance.
pub(crate) struct Summary {
    pub(crate) device: Device,
    pub(crate) input_format: &'static str,
    pub(crate) shape: [usize; 4],
    pub(crate) times_source: String,
    pub(crate) aif_source: String,
    /// How the mask was chosen, one sentence.
    pub(crate) mask_rule: String,
    pub(crate) voxels: usize,
    pub(crate) converged: usize,
    pub(crate) medians: Vec<(String, f64)>,
    pub(crate) settings: DceSettings,
    pub(crate) timings: Vec<(&'static str, f64)>,
}

/// A stage line on stderr (`osipy dce: what`; nothing with `--quiet`).
fn stage(o: &DceOptions, what: &str) {
    super::progress::Progress::stderr("osipy dce", o.run.quiet).stage(what);
}

/// The `--s0` map (a file), checked to be finite and > 0 in the mask; `None` for a number
/// (checked here) or no `--s0`.
fn read_s0(
    o: &DceOptions,
    mask: &Array3<bool>,
    xyz: [usize; 3],
    hashes: &mut super::inputs::Hashes,
) -> Result<Option<Array3<f64>>, CliError> {
    let Some(v) = &o.s0 else {
        return Ok(None);
    };
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(None),
        Ok(_) => Err(CliError::Usage(format!(
            "--s0: expected an S0 > 0 (a.u.) or a map file, found `{v}`"
        ))),
        Err(_) => {
            let m = read_map3("--s0", Path::new(v), xyz, hashes)?;
            let bad = m
                .indexed_iter()
                .find(|(i, x)| mask[*i] && (x.is_nan() || x.is_infinite() || **x <= 0.0));
            if let Some(((x, y, z), val)) = bad {
                return Err(rt(format!(
                    "--s0 {v}: expected finite values > 0 in the mask, found {val} at voxel ({x}, {y}, {z})"
                )));
            }
            Ok(Some(m))
        }
    }
}

/// Runs `osipy dce` (see `--help`); `command_line` is recorded in the provenance. Prints the
/// summary unless `--quiet`.
pub fn run(o: &DceOptions, command_line: &[String]) -> Result<(), CliError> {
    super::inputs::set_max_decoded(o.run.max_decoded);
    let t_total = Instant::now();
    let device = o.run.device.resolve()?;
    let tmp = begin(&o.run.out, o.run.force)?;
    let mut timings = Vec::new();

    stage(o, &format!("reading {}", o.input.display()));
    let t0 = Instant::now();
    if o.series.is_some() && (is_npy(&o.input) || is_nifti(&o.input)) {
        return Err(CliError::Usage(format!(
            "--series: only for a DICOM input, found --input {}",
            o.input.display()
        )));
    }
    let mut inp = read_input(&o.input, o.series.as_deref())?;
    let (nx, ny, nz, nt) = inp.data.dim();
    if nt < 3 {
        return Err(rt(format!(
            "--input {}: expected at least 3 time points, found {nt}",
            o.input.display()
        )));
    }
    if !inp.data.iter().any(|v| v.is_finite()) {
        return Err(rt(format!(
            "--input {}: every value is NaN or infinite",
            o.input.display()
        )));
    }
    if let Some(c) = &o.run.config {
        hash_file(c, &mut inp.hashes)?;
    }
    let sidecar_path = o.sidecar.clone().or_else(|| default_sidecar(&o.input));
    let (sidecar_path, sidecar) = super::inputs::read_sidecar(sidecar_path, &mut inp.hashes)?;
    let sc_file = sidecar_path.clone().unwrap_or_default();

    // Time axis.
    let sc_times = sidecar_times(&sidecar, &sc_file)?;
    let (t, times_source) = match (&o.times, sc_times, &inp.file_times) {
        (Some(v), _, _) => (check_times(v, nt, "--times")?, "--times".to_string()),
        (None, _, _) if o.dt.is_some() => {
            let d = o.dt.unwrap_or(1.0);
            ((0..nt).map(|i| i as f64 * d).collect(), format!("--dt {d}"))
        }
        (None, Some((v, src)), _) => (check_times(&v, nt, &src)?, src),
        (None, None, Some((v, src))) => (check_times(v, nt, src)?, (*src).to_string()),
        (None, None, None) => {
            return Err(rt(format!(
                "--input {}: no time axis: expected --times, --dt, a sidecar with FrameTimesStart or VolumeTiming, DICOM frame times or a NIfTI time step",
                o.input.display()
            )))
        }
    };

    // Mask.
    let xyz = [nx, ny, nz];
    let (mask, background) = super::background::resolve(
        o.mask.as_deref(),
        |p| Ok(read_map3("--mask", p, xyz, &mut inp.hashes)?.mapv(|v| v != 0.0 && v.is_finite())),
        || {
            osipy::volume::default_mask(&inp.data.view().into_dyn())
                .into_dimensionality::<Ix3>()
                .unwrap_or_else(|_| Array3::from_elem((nx, ny, nz), false))
        },
        || match o.kind {
            Kind::Signal => (
                super::background::frame_mean(&inp.data, 0..o.baseline),
                format!(
                    "the mean of the first {} frames of the signal (the baseline, --baseline)",
                    o.baseline
                ),
            ),
            Kind::Concentration => (
                super::background::frame_mean(&inp.data, 0..nt),
                "the mean concentration over all frames (a concentration input has no baseline signal)"
                    .to_string(),
            ),
        },
    )?;
    let mask_rule = super::background::describe(
        o.mask.as_deref(),
        background.as_ref(),
        "a finite, not all-zero curve",
    );
    let voxels = mask.iter().filter(|m| **m).count();
    if voxels == 0 {
        return Err(rt(format!(
            "{}: the mask selects no voxel",
            o.mask.as_ref().map_or_else(
                || "--input (default mask: finite, not all-zero curves above Otsu's threshold)".to_string(),
                |p| format!("--mask {}", p.display())
            )
        )));
    }

    // Signal to concentration.
    let flip = o
        .flip_angle_deg
        .map(Ok)
        .or_else(|| sidecar_number(&sidecar, "FlipAngle", &sc_file).transpose())
        .transpose()?
        .or(inp.flip_angle_deg);
    let tr = match o.tr_s {
        Some(v) => Some(v),
        None => match sidecar_number(&sidecar, "RepetitionTimeExcitation", &sc_file)? {
            Some(v) => Some(v),
            None => sidecar_number(&sidecar, "RepetitionTime", &sc_file)?.or(inp.tr_s),
        },
    };
    let relax = match o.relaxivity {
        Some(v) => Some(v),
        None => sidecar_number(&sidecar, "ContrastAgentRelaxivity", &sc_file)?,
    };
    if o.s0.is_some() && o.kind == Kind::Concentration {
        return Err(CliError::Usage(
            "--s0: only for --kind signal, found --kind concentration".to_string(),
        ));
    }
    let conc: Array4<f64> = match o.kind {
        Kind::Concentration => inp.data.clone(),
        Kind::Signal => {
            let mut missing = Vec::new();
            if flip.is_none() {
                missing.push("--flip-angle (or sidecar FlipAngle, DICOM FlipAngle)");
            }
            if tr.is_none() {
                missing
                    .push("--tr (or sidecar RepetitionTimeExcitation/RepetitionTime, DICOM RepetitionTime)");
            }
            if relax.is_none() {
                missing.push("--relaxivity (or sidecar ContrastAgentRelaxivity)");
            }
            if o.t1.is_none() {
                missing.push("--t1");
            }
            if !missing.is_empty() {
                return Err(CliError::Usage(format!(
                    "--kind signal: missing {}",
                    missing.join(", ")
                )));
            }
            if o.s0.is_none() && o.baseline >= nt {
                return Err(CliError::Usage(format!(
                    "--baseline: expected fewer than {nt} frames, found {}",
                    o.baseline
                )));
            }
            let acq = Spgr {
                flip_angle: flip.unwrap_or(f64::NAN),
                tr: tr.unwrap_or(f64::NAN),
            };
            let t1s = o.t1.clone().unwrap_or_default();
            let t1map = match t1s.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => None,
                Ok(_) => {
                    return Err(CliError::Usage(format!(
                        "--t1: expected a T1 > 0 s or a map file, found `{t1s}`"
                    )))
                }
                Err(_) => Some(read_map3("--t1", Path::new(&t1s), xyz, &mut inp.hashes)?),
            };
            let s0map = read_s0(o, &mask, xyz, &mut inp.hashes)?;
            let conv = match &t1map {
                None => SignalToConc::spgr(
                    acq,
                    t1s.trim().parse::<f64>().unwrap_or(f64::NAN),
                    relax.unwrap_or(f64::NAN),
                    Baseline::first(o.baseline),
                ),
                Some(m) => SignalToConc::spgr(acq, m, relax.unwrap_or(f64::NAN), Baseline::first(o.baseline)),
            };
            let conv = match (&s0map, &o.s0) {
                (Some(m), _) => conv.s0(m),
                (None, Some(v)) => conv.s0(v.trim().parse::<f64>().unwrap_or(f64::NAN)),
                (None, None) => conv,
            };
            conv.concentration(&inp.data)?
                .into_host()?
                .into_dimensionality::<Ix4>()
                .map_err(|e| rt(format!("concentration shape: {e}")))?
        }
    };
    timings.push(("read", t0.elapsed().as_secs_f64()));

    // Arterial input.
    let t0 = Instant::now();
    let aif_delay = o.aif_delay_s;
    let (cb_or_cp, plasma_given, aif_source): (Vec<f64>, bool, String) = if let Ok(m) =
        o.aif.parse::<PopulationAif>()
    {
        let c = m.evaluate(&t, aif_delay)?;
        (
            c,
            m.compartment() == AifCompartment::Plasma,
            format!(
                "population {} ({}), delay {aif_delay} s; {}",
                m.name(),
                if m.compartment() == AifCompartment::Plasma {
                    "plasma"
                } else {
                    "blood"
                },
                m.reference()
            ),
        )
    } else if o.aif == "auto" {
        let d = detect_aif(&t, &conc, &mask, &AifDetectOptions::default())?;
        (
            d.aif,
            false,
            format!(
                "auto: detect_aif, mean of {} voxels of {} candidates (blood)",
                d.voxels.len(),
                d.candidates
            ),
        )
    } else if let Some(p) = o.aif.strip_prefix("mask:") {
        let am = read_map3("--aif mask:", Path::new(p), xyz, &mut inp.hashes)?;
        let am = am.mapv(|v| v != 0.0 && v.is_finite()).into_dyn();
        let n = am.iter().filter(|v| **v).count();
        if n == 0 {
            return Err(rt(format!("--aif mask:{p}: the mask selects no voxel")));
        }
        let c = osipy::aif::mean_curve(&conc.view().into_dyn(), &am.view()).map_err(|_| {
            rt(format!(
                "--aif mask:{p}: the mean curve of the arterial voxels is not finite"
            ))
        })?;
        (c, false, format!("mean of {n} voxels of {p} (blood)"))
    } else {
        let p = Path::new(&o.aif);
        let is_file_spec = is_npy(p) || p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_file_spec {
            return Err(CliError::Usage(format!(
                "--aif: expected parker, georgiou, mcgrath, weinmann, fritz-hansen, auto, mask:FILE, FILE.csv or FILE.npy, found `{}`",
                o.aif
            )));
        }
        let (v, plasma) = read_curve(p, nt, &mut inp.hashes)?;
        let what = if plasma { "plasma" } else { "blood" };
        (v, plasma, format!("file {} ({what})", p.display()))
    };
    let cp = if plasma_given {
        cb_or_cp.clone()
    } else {
        dce::plasma_from_blood(&cb_or_cp, o.hct)?
    };
    let cp2 = dce::plasma_curvature(&t, &cp, o.aif_interp)?;
    timings.push(("aif", t0.elapsed().as_secs_f64()));

    // Fit.
    stage(
        o,
        &format!(
            "fitting {voxels} voxels ({}{}) on {device}",
            o.model.name(),
            if o.fit_delay { " with delay" } else { "" }
        ),
    );
    let t0 = Instant::now();
    let lm = LevenbergMarquardt::default().driver(o.run.fit_driver);
    let mut progress = super::progress::Progress::stderr("osipy dce", o.run.quiet);
    let f = fit(o, device, &t, &cp, &conc, &mask, lm, &mut progress)?;
    timings.push(("fit", t0.elapsed().as_secs_f64()));

    // Outputs.
    stage(o, "writing the maps, figures, provenance and report");
    let t0 = Instant::now();
    let dir = tmp.path.clone();
    let mut files = Vec::new();
    let mut write_map = |name: String, map: &Array3<f64>| write_map(&dir, &name, map, &inp.like, &mut files);
    for (name, map) in f.names.iter().zip(&f.params) {
        write_map(format!("{name}.nii.gz"), map)?;
    }
    for (name, map) in &f.quality {
        write_map(format!("{name}.nii.gz"), map)?;
    }
    write_map("mask.nii.gz".into(), &mask.mapv(|m| if m { 1.0 } else { 0.0 }))?;
    let mut csv = String::from("time_s,aif_input_mM,plasma_mM\n");
    for i in 0..nt {
        csv.push_str(&format!("{},{},{}\n", t[i], cb_or_cp[i], cp[i]));
    }
    let aif_path = dir.join("aif.csv");
    std::fs::write(&aif_path, csv).map_err(|e| io_err(&aif_path, "write", e))?;
    files.push("aif.csv".into());
    let curves = Curves {
        t: &t,
        cp: &cp,
        cp2: &cp2,
        conc: &conc,
        mask: &mask,
        affine: super::figure::known_affine(inp.format, &inp.like),
    };
    figures(&dir, o, &curves, &f, &mut files)?;
    timings.push(("write", t0.elapsed().as_secs_f64()));

    let status = &f.quality[3].1;
    let converged = status
        .iter()
        .zip(&mask)
        .filter(|(s, m)| {
            **m && osipy_kernels::fit::FitStatus::from_code(**s as u32)
                .is_some_and(osipy_kernels::fit::FitStatus::is_converged)
        })
        .count();
    let medians = f
        .names
        .iter()
        .zip(&f.params)
        .map(|(n, p)| {
            let mut v: Vec<f64> = p
                .iter()
                .zip(&mask)
                .filter(|(x, m)| **m && x.is_finite())
                .map(|(x, _)| *x)
                .collect();
            v.sort_by(f64::total_cmp);
            ((*n).to_string(), v.get(v.len() / 2).copied().unwrap_or(f64::NAN))
        })
        .collect();
    let settings = DceSettings {
        config: o.run.config.as_ref().map(|p| p.display().to_string()),
        input: o.input.display().to_string(),
        dicom_series: o.series.clone(),
        input_format: inp.format,
        kind: o.kind.name(),
        sidecar: sidecar_path.as_ref().map(|p| p.display().to_string()),
        times_s: t.clone(),
        times_source: times_source.clone(),
        aif: o.aif.clone(),
        aif_source: aif_source.clone(),
        aif_delay_s: aif_delay,
        aif_interpolation: o.aif_interp.name(),
        hematocrit: o.hct,
        mask: super::background::provenance(
            o.mask.as_deref(),
            background.as_ref(),
            "finite, not all-zero curves",
        ),
        model: o.model.name(),
        fit_delay: o.fit_delay,
        t1: o.t1.clone(),
        flip_angle_deg: flip,
        tr_s: tr,
        relaxivity_per_s_per_mM: relax,
        baseline_frames: o.baseline,
        s0: o.s0.clone(),
        s0_source: match (o.kind, &o.s0) {
            (Kind::Signal, Some(_)) => "--s0",
            (Kind::Signal, None) => "baseline frames",
            _ => "not used",
        },
        fit: FitSettings {
            initial_values: "the model's *_init kernel (linear form), clamped into the bounds",
            delay_grid_s: if o.fit_delay {
                (-10..=10).collect()
            } else {
                vec![0]
            },
            driver: lm.driver.name(),
            max_iterations: lm.max_iterations,
            ftol: lm.ftol,
            xtol: lm.xtol,
            gtol: lm.gtol,
        },
        out: o.run.out.display().to_string(),
        force: o.run.force,
        threads: o.run.threads,
    };
    files.push("provenance.json".into());
    files.push("report.md".into());
    files.push("report.html".into());
    timings.push(("total before the report", t_total.elapsed().as_secs_f64()));
    let summary = Summary {
        device,
        input_format: inp.format,
        shape: [nx, ny, nz, nt],
        times_source,
        aif_source,
        mask_rule,
        voxels,
        converged,
        medians,
        settings,
        timings,
    };
    write_provenance(&dir, command_line, inp.hashes.clone(), &files, &summary)?;
    write_report(&dir, o, command_line, &summary, &f, &files)?;
    tmp.commit()?;
    if !o.run.quiet {
        print!("{}", summary.render(&o.run.out));
    }
    Ok(())
}

impl Summary {
    fn render(&self, out: &Path) -> String {
        let mut s = format!(
            "osipy dce: {} voxels fitted on {}; {:.1}% converged; output in {}\nmedians:",
            self.voxels,
            self.device,
            100.0 * self.converged as f64 / self.voxels.max(1) as f64,
            out.display()
        );
        for (n, v) in &self.medians {
            s.push_str(&format!(" {n} {v:.4};"));
        }
        s.push_str("\ntimings:");
        for (n, v) in &self.timings {
            s.push_str(&format!(" {n} {v:.2} s;"));
        }
        s.push('\n');
        s
    }
}
