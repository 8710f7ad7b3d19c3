//! Our side of `benches/compare_osipy.sh dce`: fits the data sets that
//! `benches/compare_osipy/dce_data_and_peer.py` wrote (and the Python osipy fitted) with this
//! crate's Tofts and extended Tofts models, and prints the side-by-side table.
//!
//! ```text
//! cargo run --release -p osipy-benches --bin compare_fit -- [--reps N] [--threads N] [--aif-interp I] DIR...
//! ```
//!
//! Each `DIR` holds `time_s.npy` (samples, s), `aif_mM.npy` (samples, the plasma curve, mM),
//! `conc_mM.npy` (voxels x samples, mM), `truth_params.npy` (voxels x P: Ktrans /min, ve[, vp]),
//! `summary.txt` (`key value` lines: `model`, `voxels`, and the peer's `peer_wall_s`) and, when the
//! peer ran, `osipy_params.npy` (voxels x P) and `osipy_converged.npy` (voxels, bool).
//!
//! Ours: `model::fitter(&t, &cp, &cp2).fit(&data)` with the model's default initial values, bounds and
//! [`LevenbergMarquardt`] settings, on the CPU with rayon's global pool (`--threads N` sizes it;
//! default: rayon's default). Timed: the wall time of that call with the data already in memory,
//! after one untimed warm-up fit of at most 1,000 voxels; the median of `--reps` fits (default 5
//! up to 100,000 voxels, 3 above).
//!
//! The AIF between its samples (`--aif-interp`): `linear` (`cp2 = 0`, as the peer), `spline`
//! (the natural cubic spline through the same samples, [`osipy::dce::spline_moments`]), or
//! `both` (default): one row each. Both see the same samples as the peer.
//!
//! Accuracy, for both fitters alike: per parameter, the median over all voxels of
//! `|p - p_true| / p_true` (a non-finite estimate counts as an infinite error); converged:
//! ours, the fraction of voxels whose status is 1, 2 or 3 (`FitStatus::is_converged`); the
//! peer's, the fraction its LM flagged converged.
//!
//! The last line printed is `min_speedup <X>`: the smallest ratio peer wall time / our wall time
//! in the table (`NaN` when no row has a peer time).

use osipy::npy;

use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::Instant;

use ndarray::Array2;
use osipy::dce::{extended_tofts, plasma_curvature, tofts, AifInterpolation};
use osipy_kernels::fit::{FitResult, FitStatus, LevenbergMarquardt};

/// Where the fitted models come from, for the report.
const MODELS_FROM: &str = "osipy::dce::{tofts, extended_tofts}";

const USAGE: &str = "\
usage: compare_fit [--reps N] [--threads N] [--aif-interp linear|spline|both] DIR...

  DIR           a folder written by benches/compare_osipy/dce_data_and_peer.py
  --reps N      timed fits per data set; the median is reported (default 5 up to 100,000
                voxels, 3 above)
  --threads N   rayon threads (default: rayon's default, RAYON_NUM_THREADS or all cores)
  --aif-interp I  the AIF between samples: linear, spline (natural cubic) or both (default;
                one row each)
  --help        this text";

struct Args {
    reps: Option<usize>,
    interps: Vec<AifInterpolation>,
    threads: Option<usize>,
    dirs: Vec<PathBuf>,
}

fn usage_error(msg: &str) -> ! {
    eprintln!("compare_fit: {msg}\n\n{USAGE}");
    exit(2)
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Args {
    let mut args = Args {
        reps: None,
        interps: vec![AifInterpolation::Linear, AifInterpolation::Spline],
        threads: None,
        dirs: Vec::new(),
    };
    while let Some(a) = it.next() {
        let mut count = |flag: &str| -> usize {
            let v = it
                .next()
                .unwrap_or_else(|| usage_error(&format!("{flag} needs a value")));
            match v.parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => usage_error(&format!("{flag} expects an integer >= 1, got '{v}'")),
            }
        };
        match a.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                exit(0);
            }
            "--reps" => args.reps = Some(count("--reps")),
            "--threads" => args.threads = Some(count("--threads")),
            "--aif-interp" => {
                let v = it
                    .next()
                    .unwrap_or_else(|| usage_error("--aif-interp needs a value"));
                args.interps = match v.as_str() {
                    "linear" => vec![AifInterpolation::Linear],
                    "spline" => vec![AifInterpolation::Spline],
                    "both" => vec![AifInterpolation::Linear, AifInterpolation::Spline],
                    _ => usage_error(&format!("--aif-interp expects linear, spline or both, got '{v}'")),
                };
            }
            s if s.starts_with('-') => usage_error(&format!("unknown argument '{s}'")),
            _ => args.dirs.push(PathBuf::from(a)),
        }
    }
    if args.dirs.is_empty() {
        usage_error("no data folder given");
    }
    args
}

/// Which of the two models a data set is for.
#[derive(Clone, Copy, PartialEq)]
enum Model {
    Tofts,
    ExtendedTofts,
}

impl Model {
    fn parse(s: &str) -> Option<Model> {
        match s {
            "tofts" => Some(Model::Tofts),
            "extended_tofts" => Some(Model::ExtendedTofts),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Model::Tofts => "tofts",
            Model::ExtendedTofts => "extended_tofts",
        }
    }

    fn params(self) -> usize {
        match self {
            Model::Tofts => 2,
            Model::ExtendedTofts => 3,
        }
    }

    /// Our fit of `data` (voxels x samples) with the model's defaults.
    fn fit(self, t: &[f64], cp: &[f64], cp2: &[f64], data: &Array2<f64>) -> osipy_kernels::Result<FitResult> {
        match self {
            Model::Tofts => tofts::fitter(t, cp, cp2).fit(data),
            Model::ExtendedTofts => extended_tofts::fitter(t, cp, cp2).fit(data),
        }
    }

    /// Default (initial values, lower, upper) of the model, for the report.
    fn defaults(self) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        match self {
            Model::Tofts => (tofts::INIT.to_vec(), tofts::LOWER.to_vec(), tofts::UPPER.to_vec()),
            Model::ExtendedTofts => (
                extended_tofts::INIT.to_vec(),
                extended_tofts::LOWER.to_vec(),
                extended_tofts::UPPER.to_vec(),
            ),
        }
    }
}

/// One data set, as written by the Python script.
struct DataSet {
    model: Model,
    t: Vec<f64>,
    cp: Vec<f64>,
    data: Array2<f64>,
    truth: Vec<f64>,
    peer_wall_s: Option<f64>,
    peer_params: Option<Vec<f64>>,
    peer_converged: Option<Vec<bool>>,
    peer_evals: Option<String>,
}

fn summary_value<'a>(summary: &'a str, key: &str) -> Option<&'a str> {
    summary.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then_some(v.trim())
    })
}

fn load(dir: &Path) -> Result<DataSet, String> {
    let summary_path = dir.join("summary.txt");
    let summary = std::fs::read_to_string(&summary_path)
        .map_err(|e| format!("{}: cannot read the file: {e}", summary_path.display()))?;
    let field = |key: &str| {
        summary_value(&summary, key).ok_or_else(|| format!("{}: no '{key}' line", summary_path.display()))
    };
    let model_s = field("model")?;
    let model = Model::parse(model_s).ok_or_else(|| {
        format!(
            "{}: model: expected tofts or extended_tofts, found '{model_s}'",
            summary_path.display()
        )
    })?;
    let p = model.params();

    let (ts, t) = npy::read_f64(&dir.join("time_s.npy")).map_err(|e| e.to_string())?;
    let (cs, cp) = npy::read_f64(&dir.join("aif_mM.npy")).map_err(|e| e.to_string())?;
    let (ds, data) = npy::read_f64(&dir.join("conc_mM.npy")).map_err(|e| e.to_string())?;
    let (trs, truth) = npy::read_f64(&dir.join("truth_params.npy")).map_err(|e| e.to_string())?;
    let shape_err = |file: &str, expected: String, found: &[usize]| {
        format!(
            "{}: expected shape {expected}, found {found:?}",
            dir.join(file).display()
        )
    };
    if ts.len() != 1 || ts[0] < 2 {
        return Err(shape_err("time_s.npy", "[samples >= 2]".into(), &ts));
    }
    let n_t = ts[0];
    if cs != [n_t] {
        return Err(shape_err("aif_mM.npy", format!("[{n_t}]"), &cs));
    }
    if ds.len() != 2 || ds[1] != n_t || ds[0] == 0 {
        return Err(shape_err("conc_mM.npy", format!("[voxels >= 1, {n_t}]"), &ds));
    }
    let n = ds[0];
    if trs != [n, p] {
        return Err(shape_err("truth_params.npy", format!("[{n}, {p}]"), &trs));
    }
    let data = Array2::from_shape_vec((n, n_t), data).map_err(|e| e.to_string())?;

    let peer_wall_s = match summary_value(&summary, "peer_wall_s") {
        None => None,
        Some(v) => Some(v.parse::<f64>().map_err(|_| {
            format!(
                "{}: peer_wall_s: expected a number, found '{v}'",
                summary_path.display()
            )
        })?),
    };
    let (peer_params, peer_converged) = if peer_wall_s.is_some() {
        let (ps, params) = npy::read_f64(&dir.join("osipy_params.npy")).map_err(|e| e.to_string())?;
        if ps != [n, p] {
            return Err(shape_err("osipy_params.npy", format!("[{n}, {p}]"), &ps));
        }
        let conv_path = dir.join("osipy_converged.npy");
        let conv = if conv_path.exists() {
            let (cs, conv) = npy::read_bool(&conv_path).map_err(|e| e.to_string())?;
            if cs != [n] {
                return Err(shape_err("osipy_converged.npy", format!("[{n}]"), &cs));
            }
            Some(conv)
        } else {
            None
        };
        (Some(params), conv)
    } else {
        (None, None)
    };
    Ok(DataSet {
        model,
        t,
        cp,
        data,
        truth,
        peer_wall_s,
        peer_params,
        peer_converged,
        peer_evals: summary_value(&summary, "peer_evals_per_voxel").map(str::to_string),
    })
}

/// Median over voxels of `|est - truth| / truth` for parameter `a` of `p` (rows of `p`
/// values); a non-finite ratio counts as infinite.
fn median_rel_error(est: &[f64], truth: &[f64], p: usize, a: usize) -> f64 {
    let mut rel: Vec<f64> = est
        .chunks_exact(p)
        .zip(truth.chunks_exact(p))
        .map(|(e, t)| {
            let r = (e[a] - t[a]).abs() / t[a].abs();
            if r.is_finite() {
                r
            } else {
                f64::INFINITY
            }
        })
        .collect();
    if rel.is_empty() {
        return f64::NAN;
    }
    rel.sort_unstable_by(f64::total_cmp);
    let m = rel.len() / 2;
    if rel.len() % 2 == 1 {
        rel[m]
    } else {
        0.5 * (rel[m - 1] + rel[m])
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.3}%", 100.0 * v)
    } else {
        format!("{v}")
    }
}

/// One row of the table.
struct Row {
    cells: Vec<String>,
    speedup: Option<f64>,
}

fn compare(
    ds: &DataSet,
    dir: &Path,
    reps_opt: Option<usize>,
    interp: AifInterpolation,
) -> Result<Row, String> {
    let cp2 = plasma_curvature(&ds.t, &ds.cp, interp).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (n, n_t) = ds.data.dim();
    let p = ds.model.params();
    let reps = reps_opt.unwrap_or(if n <= 100_000 { 5 } else { 3 });
    let err = |e: osipy_kernels::Error| format!("{}: our fit failed: {e}", dir.display());

    // Warm-up (first use of the thread pool, page faults of the outputs), not timed.
    let warm = ds.data.slice(ndarray::s![..n.min(1000), ..]).to_owned();
    ds.model.fit(&ds.t, &ds.cp, &cp2, &warm).map_err(err)?;
    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let start = Instant::now();
        let res = ds.model.fit(&ds.t, &ds.cp, &cp2, &ds.data).map_err(err)?;
        times.push(start.elapsed().as_secs_f64());
        last = Some(res);
    }
    let res = last.ok_or("no repetition ran")?;
    let wall = median(times);
    let params = res.params.to_host().map_err(err)?;
    let params: Vec<f64> = params.iter().copied().collect();
    let status = res.statuses().map_err(err)?;
    let iters = res.iterations.to_host().map_err(err)?;
    let converged = status
        .iter()
        .filter(|s| s.is_some_and(FitStatus::is_converged))
        .count() as f64
        / n as f64;
    let counts: Vec<String> = res
        .status_counts()
        .map_err(err)?
        .iter()
        .filter(|(_, c)| *c > 0)
        .map(|(s, c)| format!("{s:?} {c}"))
        .collect();
    let mean_iters = iters.iter().map(|&i| f64::from(i)).sum::<f64>() / n as f64;
    println!(
        "# {} ({} AIF) N={n} x {n_t}: ours median of {reps} fits {wall:.4} s; mean iterations {mean_iters:.2}; \
         statuses {{{}}}; peer evaluations/voxel {}",
        ds.model.name(),
        interp.name(),
        counts.join(", "),
        ds.peer_evals.as_deref().unwrap_or("n/a")
    );

    let rate = |w: f64| format!("{:.0}", n as f64 / w);
    let speedup = ds.peer_wall_s.map(|pw| pw / wall);
    let mut cells = vec![
        ds.model.name().to_string(),
        interp.name().to_string(),
        n.to_string(),
        ds.peer_wall_s.map_or("n/a".into(), |w| format!("{w:.3}")),
        ds.peer_wall_s.map_or("n/a".into(), rate),
        format!("{wall:.4}"),
        rate(wall),
        speedup.map_or("n/a".into(), |s| format!("{s:.1}")),
    ];
    let mut all_le = true;
    for a in 0..3 {
        if a >= p {
            cells.push("-".into());
            continue;
        }
        let ours = median_rel_error(&params, &ds.truth, p, a);
        match &ds.peer_params {
            Some(pp) => {
                let peer = median_rel_error(pp, &ds.truth, p, a);
                all_le &= ours <= peer;
                cells.push(format!("{} / {}", pct(peer), pct(ours)));
            }
            None => {
                all_le = false;
                cells.push(format!("n/a / {}", pct(ours)));
            }
        }
    }
    let peer_conv = ds.peer_converged.as_ref().map_or("n/a".into(), |c| {
        format!("{:.4}", c.iter().filter(|&&b| b).count() as f64 / c.len() as f64)
    });
    cells.push(format!("{peer_conv} / {converged:.4}"));
    cells.push(if ds.peer_params.is_none() {
        "n/a".into()
    } else if all_le {
        "yes".into()
    } else {
        "no".into()
    });
    Ok(Row { cells, speedup })
}

fn run(args: &Args) -> Result<(), String> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| format!("cannot set up {n} rayon threads: {e}"))?;
    }
    let lm = LevenbergMarquardt::default();
    println!(
        "# ours: osipy (Rust) {}, models {MODELS_FROM}, CPU, {} rayon threads; LevenbergMarquardt \
         defaults (max_iterations {}, ftol {:e}, xtol {:e}, gtol {:e}, lambda0 {:e}); no weights",
        env!("CARGO_PKG_VERSION"),
        rayon::current_num_threads(),
        lm.max_iterations,
        lm.ftol,
        lm.xtol,
        lm.gtol,
        lm.lambda0
    );
    for m in [Model::Tofts, Model::ExtendedTofts] {
        let (init, lo, hi) = m.defaults();
        println!(
            "# ours: {} default init {init:?}, lower {lo:?}, upper {hi:?} (Ktrans /min, ve, vp)",
            m.name()
        );
    }
    let mut rows = Vec::new();
    for dir in &args.dirs {
        let ds = load(dir)?;
        for &interp in &args.interps {
            rows.push(compare(&ds, dir, args.reps, interp)?);
        }
    }
    println!();
    println!(
        "| model | ours: AIF between samples | voxels | osipy wall s | osipy voxels/s | ours wall s | ours voxels/s | speedup \
         | Ktrans median rel. error osipy / ours | ve osipy / ours | vp osipy / ours \
         | converged osipy / ours | ours <= osipy on every error |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in &rows {
        println!("| {} |", r.cells.join(" | "));
    }
    println!();
    let min = rows
        .iter()
        .filter_map(|r| r.speedup)
        .min_by(f64::total_cmp)
        .unwrap_or(f64::NAN);
    println!("min_speedup {min:.1}");
    Ok(())
}

fn main() {
    let args = parse_args(std::env::args_os().skip(1).map(|a| {
        a.into_string()
            .unwrap_or_else(|a| usage_error(&format!("argument {a:?} is not UTF-8")))
    }));
    if let Err(e) = run(&args) {
        eprintln!("compare_fit: {e}");
        exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_rel_error_counts_non_finite_as_infinite() {
        // Two parameters per row; parameter 1 has one NaN estimate of three.
        let est = [1.1, 2.0, 0.9, f64::NAN, 1.0, 2.2];
        let truth = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0];
        assert!((median_rel_error(&est, &truth, 2, 0) - 0.1).abs() < 1e-12);
        assert!((median_rel_error(&est, &truth, 2, 1) - 0.1).abs() < 1e-12);
        let est = [f64::NAN, 0.0, f64::NAN, 0.0];
        assert_eq!(median_rel_error(&est, &truth[..4], 2, 0), f64::INFINITY);
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn summary_lines_are_key_value() {
        let s = "model tofts\nvoxels 10\npeer osipy 0.1.4, numpy 2\n";
        assert_eq!(summary_value(s, "model"), Some("tofts"));
        assert_eq!(summary_value(s, "peer"), Some("osipy 0.1.4, numpy 2"));
        assert_eq!(summary_value(s, "peer_wall_s"), None);
    }
}
