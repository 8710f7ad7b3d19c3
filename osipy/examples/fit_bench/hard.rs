//! The models table: the gamma variate and IVIM (data-driven starts; IVIM also from the shared
//! start) and extended Tofts, each fitted by every driver, in one process.

use ndarray::{ArrayD, IxDyn};
use osipy_kernels::fit::{FitResult, FitStatus, LevenbergMarquardt};
use osipy_kernels::{Device, Error, XpArray};

use crate::report::{median, time_median};
use crate::{gamma, ivim};

/// One row of the table.
pub struct Row {
    /// Model (and start).
    pub model: String,
    /// Driver.
    pub driver: String,
    /// Voxels fitted.
    pub voxels: usize,
    /// Median seconds (start kernel and fit).
    pub secs: f64,
    /// Fraction of voxels with a converged status.
    pub converged: f64,
    /// Mean iterations.
    pub mean_iters: f64,
    /// Median chi2.
    pub median_chi2: f64,
    /// Mean chi2.
    pub mean_chi2: f64,
    /// Median |relative error| per parameter, with the parameter names.
    pub errors: Vec<(&'static str, f64)>,
    /// Voxels per status code, codes with none left out.
    pub counts: Vec<(u32, usize)>,
}

impl Row {
    /// Voxels per second.
    pub fn vps(&self) -> f64 {
        self.voxels as f64 / self.secs
    }
}

fn err(e: Error) -> String {
    e.to_string()
}

/// `a` on `dev`.
pub fn place(a: ArrayD<f64>, dev: &Device) -> Result<XpArray<f64>, String> {
    let a = XpArray::from_host(a);
    if *dev == Device::Cpu {
        Ok(a)
    } else {
        a.to_device(dev).map_err(err)
    }
}

/// Fills a row from a result.
pub fn summarize<const P: usize>(
    model: &str,
    driver: &str,
    secs: f64,
    res: &FitResult,
    truth: &[[f64; P]],
    names: &'static [&'static str],
) -> Result<Row, String> {
    let p = res.params.to_host().map_err(err)?;
    let p = p.as_slice().unwrap_or(&[]);
    let status: Vec<u32> = res.status.to_host().map_err(err)?.iter().copied().collect();
    let iters = res.iterations.to_host().map_err(err)?;
    let mut chi2: Vec<f64> = res.chi2.to_host().map_err(err)?.iter().copied().collect();
    let voxels = status.len();
    let ok = status
        .iter()
        .filter(|c| FitStatus::from_code(**c).is_some_and(FitStatus::is_converged))
        .count();
    let mut counts = std::collections::BTreeMap::new();
    for c in &status {
        *counts.entry(*c).or_insert(0usize) += 1;
    }
    let np = names.len();
    let errors = (0..np)
        .map(|a| {
            let mut e: Vec<f64> = truth
                .iter()
                .enumerate()
                .map(|(v, t)| {
                    let x = p[v * np + a];
                    if x.is_nan() {
                        f64::INFINITY
                    } else {
                        (x - t[a]).abs() / t[a].abs()
                    }
                })
                .collect();
            (names[a], median(&mut e))
        })
        .collect();
    let mean_chi2 = chi2.iter().sum::<f64>() / voxels.max(1) as f64;
    Ok(Row {
        model: model.to_string(),
        driver: driver.to_string(),
        voxels,
        secs,
        converged: ok as f64 / voxels.max(1) as f64,
        mean_iters: iters.iter().map(|&i| f64::from(i)).sum::<f64>() / voxels.max(1) as f64,
        median_chi2: median(&mut chi2),
        mean_chi2,
        errors,
        counts: counts.into_iter().collect(),
    })
}

/// The gamma variate with data-driven starts (the start kernel is timed with the fit).
pub fn gamma_row(
    data: &gamma::Data,
    lm: LevenbergMarquardt,
    log_a: bool,
    dev: &Device,
    reps: usize,
) -> Result<Row, String> {
    let voxels = data.truth.len();
    let n = gamma::SAMPLES;
    let y = place(
        ArrayD::from_shape_vec(IxDyn(&[voxels, n]), data.y.clone()).map_err(|e| e.to_string())?,
        dev,
    )?;
    let t = place(
        ArrayD::from_shape_vec(IxDyn(&[n]), data.t.clone()).map_err(|e| e.to_string())?,
        dev,
    )?;
    let run = || -> Result<FitResult, String> {
        let mut cut = place(ArrayD::zeros(IxDyn(&[voxels, n])), dev)?;
        let mut start = place(ArrayD::zeros(IxDyn(&[voxels, 4])), dev)?;
        let t_end = gamma::gamma_start::launch(&t, &y, &mut cut, &mut start).map_err(err)?;
        if log_a {
            gamma::gamma_variate::fitter(&t, &t_end)
                .settings(lm)
                .init(start)
                .fit(&cut)
        } else {
            gamma::gamma_variate_linear::fitter(&t, &t_end)
                .settings(lm)
                .init(start)
                .fit(&cut)
        }
        .map_err(err)
    };
    let (secs, res) = time_median(reps, run);
    let res = res?;
    let model = if log_a {
        "gamma variate"
    } else {
        "gamma variate, A on a linear scale"
    };
    summarize(model, lm.driver.name(), secs, &res, &data.truth, &gamma::NAMES)
}

/// IVIM with data-driven starts, or from the shared start.
pub fn ivim_row(
    data: &ivim::Data,
    lm: LevenbergMarquardt,
    shared: bool,
    dev: &Device,
    reps: usize,
) -> Result<Row, String> {
    let voxels = data.truth.len();
    let n = ivim::B_VALUES.len();
    let y = place(
        ArrayD::from_shape_vec(IxDyn(&[voxels, n]), data.y.clone()).map_err(|e| e.to_string())?,
        dev,
    )?;
    let b = place(
        ArrayD::from_shape_vec(IxDyn(&[n]), ivim::B_VALUES.to_vec()).map_err(|e| e.to_string())?,
        dev,
    )?;
    let run = || -> Result<FitResult, String> {
        let fitter = ivim::ivim::fitter(&b).settings(lm);
        if shared {
            return fitter.init(ivim::SHARED_START).fit(&y).map_err(err);
        }
        let mut start = place(ArrayD::zeros(IxDyn(&[voxels, 4])), dev)?;
        ivim::ivim_start::launch(&b, &y, &mut start).map_err(err)?;
        fitter.init(start).fit(&y).map_err(err)
    };
    let (secs, res) = time_median(reps, run);
    let res = res?;
    let model = if shared { "IVIM, shared start" } else { "IVIM" };
    summarize(model, lm.driver.name(), secs, &res, &data.truth, &ivim::NAMES)
}

/// The table, in Markdown.
pub fn table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| model | driver | voxels | median s | voxels/s | converged | mean iterations | median chi2 | mean chi2 | median rel. error | statuses |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n",
    );
    for r in rows {
        let errs: Vec<String> = r.errors.iter().map(|(n, e)| format!("{n} {e:.2e}")).collect();
        let counts: Vec<String> = r.counts.iter().map(|(c, k)| format!("{c}: {k}")).collect();
        s += &format!(
            "| {} | {} | {} | {:.4} | {:.0} | {:.2}% | {:.2} | {:.6e} | {:.6e} | {} | {} |\n",
            r.model,
            r.driver,
            r.voxels,
            r.secs,
            r.vps(),
            100.0 * r.converged,
            r.mean_iters,
            r.median_chi2,
            r.mean_chi2,
            errs.join(", "),
            counts.join(", ")
        );
    }
    s
}
