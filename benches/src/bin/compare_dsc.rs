//! Our side of `benches/compare_osipy.sh dsc`: computes the DSC perfusion maps of the data set
//! that `benches/compare_osipy/dsc_data_and_peer.py` wrote (and the Python osipy mapped) with
//! this crate's [`osipy::dsc::Perfusion`], and prints the side-by-side table.
//!
//! ```text
//! cargo run --release -p osipy-benches --bin compare_dsc -- [--methods ssvd,csvd,osvd] [--reps N] [--threads N]
//!     [--discretisation linear|rectangle] DIR
//! ```
//!
//! `DIR` holds `time_s.npy` (frames, s), `aif_mM.npy` (frames, the arterial concentration, mM),
//! `conc_mM.npy` (voxels x frames, mM), `truth_params.npy` (voxels x 3: CBF ml/100 g/min,
//! CBV ml/100 g, MTT s), `summary.txt` (`key value` lines: `voxels`, `density`, `kh`,
//! `svd_threshold`, `oscillation_index` and, per method the peer ran, `peer_wall_s_<method>`,
//! the median of its timed calls, and `peer_walls_s_<method>`, each of them) and then
//! `osipy_<method>_params.npy` (voxels x 3, as the truth).
//!
//! Ours: `Perfusion::new(method, &t, &aif).deconvolution(d).factors(density, kh).fit(&conc)`
//! with `d` = `Deconvolution::new(method)` and, for sSVD and cSVD, `.with_threshold(svd_threshold)`
//! (oSVD: `.with_oscillation_index(oscillation_index)`) and `.with_discretisation(d)` (default
//! the library's, [`Discretisation::Linear`]; `rectangle` is the peer's rule), on the CPU with
//! rayon's global pool
//! (`--threads N` sizes it; default: rayon's default). Timed: the wall time of that call (the
//! AIF's factorisation and every map included) with the data already in memory, after one
//! untimed warm-up call on at most 1,000 voxels; the median of `--reps` calls (default 3).
//!
//! Accuracy, for both tools alike: per map, the median over all voxels of
//! `|p - p_true| / p_true` (a non-finite estimate counts as an infinite error). The last
//! column says whether each of ours is no larger than the peer's, a difference below 1e-9 of
//! the peer's error counting as a tie (both tools compute CBV by the same trapezoid rule, and
//! their medians differ by rounding alone).
//!
//! The last two lines printed are `osvd_speedup <X>` (peer wall time / our wall time for oSVD;
//! `NaN` when oSVD did not run or has no peer time) and `min_speedup <X>` (the smallest
//! speedup in the table; `NaN` when no row has a peer time).

use osipy::npy;

use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::Instant;

use ndarray::{s, Array2};
use osipy::dsc::{Deconvolution, Discretisation, DscStatus, Method, Perfusion};

const USAGE: &str = "\
usage: compare_dsc [--methods ssvd,csvd,osvd] [--reps N] [--threads N]
                   [--discretisation linear|rectangle] DIR

  DIR           a folder written by benches/compare_osipy/dsc_data_and_peer.py
  --methods M   ssvd, csvd, osvd, comma list (default all three)
  --reps N      timed runs per method; the median is reported (default 3)
  --threads N   rayon threads (default: rayon's default, RAYON_NUM_THREADS or all cores)
  --discretisation D  ours' convolution matrix: linear (the library's default) or rectangle
                (the peer's rule)
  --help        this text";

/// The maps compared, in the order of `truth_params.npy`: (our map, the table's name).
const MAPS: [(&str, &str); 3] = [("cbf", "CBF"), ("cbv", "CBV"), ("mtt", "MTT")];

struct Args {
    methods: Vec<Method>,
    reps: usize,
    threads: Option<usize>,
    discretisation: Discretisation,
    dir: PathBuf,
}

fn usage_error(msg: &str) -> ! {
    eprintln!("compare_dsc: {msg}\n\n{USAGE}");
    exit(2)
}

fn parse_method(s: &str) -> Option<Method> {
    match s {
        "ssvd" => Some(Method::Ssvd),
        "csvd" => Some(Method::Csvd),
        "osvd" => Some(Method::Osvd),
        _ => None,
    }
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Args {
    let mut methods = vec![Method::Ssvd, Method::Csvd, Method::Osvd];
    let mut reps = 3;
    let mut threads = None;
    let mut discretisation = Deconvolution::new(Method::Osvd).discretisation;
    let mut dirs = Vec::new();
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
            "--reps" => reps = count("--reps"),
            "--threads" => threads = Some(count("--threads")),
            "--discretisation" => {
                let v = it
                    .next()
                    .unwrap_or_else(|| usage_error("--discretisation needs a value"));
                discretisation = match v.as_str() {
                    "linear" => Discretisation::Linear,
                    "rectangle" => Discretisation::Rectangle,
                    _ => usage_error(&format!(
                        "--discretisation expects linear or rectangle, got '{v}'"
                    )),
                };
            }
            "--methods" => {
                let v = it
                    .next()
                    .unwrap_or_else(|| usage_error("--methods needs a value"));
                methods = v
                    .split(',')
                    .map(|m| {
                        parse_method(m).unwrap_or_else(|| {
                            usage_error(&format!("--methods expects ssvd, csvd and/or osvd, got '{v}'"))
                        })
                    })
                    .collect();
            }
            s if s.starts_with('-') => usage_error(&format!("unknown argument '{s}'")),
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    let dir = match dirs.len() {
        1 => dirs.remove(0),
        0 => usage_error("no data folder given"),
        _ => usage_error("one data folder expected"),
    };
    Args {
        methods,
        reps,
        threads,
        discretisation,
        dir,
    }
}

/// The data set, as written by the Python script.
struct DataSet {
    t: Vec<f64>,
    aif: Vec<f64>,
    conc: Array2<f64>,
    truth: Vec<f64>,
    density: f64,
    kh: f64,
    threshold: f64,
    oscillation_index: f64,
    /// Ours' convolution matrix (set from the arguments).
    discretisation: Discretisation,
    summary: String,
}

fn summary_value<'a>(summary: &'a str, key: &str) -> Option<&'a str> {
    summary.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then_some(v.trim())
    })
}

impl DataSet {
    fn number(&self, dir: &Path, key: &str) -> Result<Option<f64>, String> {
        summary_value(&self.summary, key)
            .map(|v| {
                v.parse::<f64>().map_err(|_| {
                    format!(
                        "{}: {key}: expected a number, found '{v}'",
                        dir.join("summary.txt").display()
                    )
                })
            })
            .transpose()
    }

    /// The peer's maps of `method` (voxels x 3) and its wall time, when it ran.
    fn peer(&self, dir: &Path, method: Method) -> Result<Option<(f64, Vec<f64>)>, String> {
        let Some(wall) = self.number(dir, &format!("peer_wall_s_{}", method.name()))? else {
            return Ok(None);
        };
        let file = format!("osipy_{}_params.npy", method.name());
        let (shape, params) = npy::read_f64(&dir.join(&file)).map_err(|e| e.to_string())?;
        let n = self.conc.nrows();
        if shape != [n, 3] {
            return Err(format!(
                "{}: expected shape [{n}, 3], found {shape:?}",
                dir.join(file).display()
            ));
        }
        Ok(Some((wall, params)))
    }
}

fn load(dir: &Path) -> Result<DataSet, String> {
    let summary_path = dir.join("summary.txt");
    let summary = std::fs::read_to_string(&summary_path)
        .map_err(|e| format!("{}: cannot read the file: {e}", summary_path.display()))?;
    let (ts, t) = npy::read_f64(&dir.join("time_s.npy")).map_err(|e| e.to_string())?;
    let (cs, aif) = npy::read_f64(&dir.join("aif_mM.npy")).map_err(|e| e.to_string())?;
    let (ds, conc) = npy::read_f64(&dir.join("conc_mM.npy")).map_err(|e| e.to_string())?;
    let (trs, truth) = npy::read_f64(&dir.join("truth_params.npy")).map_err(|e| e.to_string())?;
    let shape_err = |file: &str, expected: String, found: &[usize]| {
        format!(
            "{}: expected shape {expected}, found {found:?}",
            dir.join(file).display()
        )
    };
    if ts.len() != 1 || ts[0] < 2 {
        return Err(shape_err("time_s.npy", "[frames >= 2]".into(), &ts));
    }
    let n_t = ts[0];
    if cs != [n_t] {
        return Err(shape_err("aif_mM.npy", format!("[{n_t}]"), &cs));
    }
    if ds.len() != 2 || ds[1] != n_t || ds[0] == 0 {
        return Err(shape_err("conc_mM.npy", format!("[voxels >= 1, {n_t}]"), &ds));
    }
    let n = ds[0];
    if trs != [n, 3] {
        return Err(shape_err("truth_params.npy", format!("[{n}, 3]"), &trs));
    }
    let conc = Array2::from_shape_vec((n, n_t), conc).map_err(|e| e.to_string())?;
    let mut ds = DataSet {
        t,
        aif,
        conc,
        truth,
        density: 0.0,
        kh: 0.0,
        threshold: 0.0,
        oscillation_index: 0.0,
        discretisation: Deconvolution::new(Method::Osvd).discretisation,
        summary,
    };
    let required = |ds: &DataSet, key: &str| {
        ds.number(dir, key)?
            .ok_or_else(|| format!("{}: no '{key}' line", summary_path.display()))
    };
    ds.density = required(&ds, "density")?;
    ds.kh = required(&ds, "kh")?;
    ds.threshold = required(&ds, "svd_threshold")?;
    ds.oscillation_index = required(&ds, "oscillation_index")?;
    Ok(ds)
}

/// Median over voxels of `|est - truth| / truth` for column `a` of 3 (rows of 3 values); a
/// non-finite ratio counts as infinite.
fn median_rel_error(est: &[f64], truth: &[f64], a: usize) -> f64 {
    let rel: Vec<f64> = est
        .chunks_exact(3)
        .zip(truth.chunks_exact(3))
        .map(|(e, t)| {
            let r = (e[a] - t[a]).abs() / t[a].abs();
            if r.is_finite() {
                r
            } else {
                f64::INFINITY
            }
        })
        .collect();
    median(rel)
}

/// The median (`NaN` of nothing).
fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// Whether our error `ours` is no larger than the peer's `peer`, a difference below 1e-9 of
/// the peer's counting as a tie (the same formula summed in another order, as CBV: the
/// trapezoid rule in both tools, equal to about 1e-16).
fn no_larger(ours: f64, peer: f64) -> bool {
    ours <= peer || (peer.is_finite() && ours - peer <= 1e-9 * peer.abs())
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.2}%", 100.0 * v)
    } else {
        format!("{v}")
    }
}

/// Our deconvolution of `method` with the data set's thresholds.
fn deconvolution(ds: &DataSet, method: Method) -> Deconvolution {
    let d = Deconvolution::new(method).with_discretisation(ds.discretisation);
    match method {
        Method::Osvd => d.with_oscillation_index(ds.oscillation_index),
        _ => d.with_threshold(ds.threshold),
    }
}

/// Our maps of one run.
struct OurMaps {
    /// Voxels x 3: CBF, CBV, MTT.
    params: Vec<f64>,
    /// The status codes.
    status: Vec<f64>,
    /// oSVD: the components kept per voxel (empty for the other methods).
    components: Vec<f64>,
}

/// Our maps of `conc` (voxels x frames) by `method`.
fn ours(ds: &DataSet, method: Method, conc: &Array2<f64>) -> Result<OurMaps, String> {
    let maps = Perfusion::new(method, &ds.t, &ds.aif)
        .deconvolution(deconvolution(ds, method))
        .factors(ds.density, ds.kh)
        .fit(conc)
        .map_err(|e| format!("our {} failed: {e}", method.name()))?;
    let column = |name: &str| -> Result<Vec<f64>, String> {
        maps.get(name)
            .map(|m| m.iter().copied().collect())
            .ok_or_else(|| format!("our {} gave no '{name}' map", method.name()))
    };
    let cols = MAPS
        .iter()
        .map(|(name, _)| column(name))
        .collect::<Result<Vec<_>, _>>()?;
    let n = conc.nrows();
    let mut params = Vec::with_capacity(3 * n);
    for i in 0..n {
        params.extend(cols.iter().map(|c| c[i]));
    }
    Ok(OurMaps {
        params,
        status: column("status")?,
        components: if method == Method::Osvd {
            column("components")?
        } else {
            Vec::new()
        },
    })
}

/// One row of the table.
struct Row {
    cells: Vec<String>,
    method: Method,
    speedup: Option<f64>,
}

fn compare(ds: &DataSet, dir: &Path, method: Method, reps: usize) -> Result<Row, String> {
    let (n, n_t) = ds.conc.dim();
    let dt = (ds.t[n_t - 1] - ds.t[0]) / (n_t - 1) as f64;

    // Warm-up (first use of the thread pool, page faults of the outputs), not timed.
    let warm = ds.conc.slice(s![..n.min(1000), ..]).to_owned();
    ours(ds, method, &warm)?;
    // The AIF's factorisation alone (it is inside every timed call), for the report.
    let start = Instant::now();
    let f = deconvolution(ds, method)
        .factorise(&ds.aif, dt)
        .map_err(|e| format!("our {} factorisation failed: {e}", method.name()))?;
    let factorise_s = start.elapsed().as_secs_f64();

    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let start = Instant::now();
        let res = ours(ds, method, &ds.conc)?;
        times.push(start.elapsed().as_secs_f64());
        last = Some(res);
    }
    let OurMaps {
        params,
        status,
        components: comps,
    } = last.ok_or("no repetition ran")?;
    let wall = median(times.clone());
    let counts: Vec<String> = DscStatus::ALL
        .iter()
        .filter_map(|s| {
            let c = status.iter().filter(|&&v| v == f64::from(s.code())).count();
            (c > 0).then(|| format!("{} {c}", s.name()))
        })
        .collect();
    let comp_note = if comps.is_empty() {
        format!("components kept {}", f.components)
    } else {
        format!(
            "components kept: mean {:.2}, median {}",
            comps.iter().sum::<f64>() / comps.len() as f64,
            median(comps)
        )
    };
    let peer = ds.peer(dir, method)?;
    println!(
        "# {} N={n} x {n_t}: ours {:?} s, median {wall:.4} s; factorisation of the AIF {:.2} ms \
         (inside each call); {comp_note}; statuses {{{}}}",
        method.name(),
        times.iter().map(|t| (t * 1e4).round() / 1e4).collect::<Vec<_>>(),
        factorise_s * 1e3,
        counts.join(", "),
    );
    if let Some((_, pp)) = &peer {
        let bad = pp
            .chunks_exact(3)
            .filter(|r| !r.iter().all(|v| v.is_finite()))
            .count();
        let bias: Vec<String> = MAPS
            .iter()
            .enumerate()
            .map(|(a, (_, name))| {
                let b = |e: &[f64]| {
                    median(
                        e.chunks_exact(3)
                            .zip(ds.truth.chunks_exact(3))
                            .map(|(e, t)| e[a] / t[a] - 1.0)
                            .collect(),
                    )
                };
                format!("{name} {} / {}", pct(b(pp)), pct(b(&params)))
            })
            .collect();
        println!(
            "# {}: osipy {} s; median relative bias osipy / ours: {}; osipy voxels with a non-finite map {bad}",
            method.name(),
            summary_value(&ds.summary, &format!("peer_walls_s_{}", method.name())).unwrap_or("n/a"),
            bias.join(", ")
        );
    }

    let rate = |w: f64| format!("{:.0}", n as f64 / w);
    let speedup = peer.as_ref().map(|(pw, _)| pw / wall);
    let mut cells = vec![
        method.name().to_string(),
        ds.discretisation.name().to_string(),
        match method {
            Method::Osvd => format!("OI {}", ds.oscillation_index),
            _ => format!("threshold {}", ds.threshold),
        },
        n.to_string(),
        peer.as_ref().map_or("n/a".into(), |(w, _)| format!("{w:.3}")),
        peer.as_ref().map_or("n/a".into(), |(w, _)| rate(*w)),
        format!("{wall:.4}"),
        rate(wall),
        speedup.map_or("n/a".into(), |s| format!("{s:.1}")),
    ];
    let mut all_le = peer.is_some();
    for a in 0..MAPS.len() {
        let o = median_rel_error(&params, &ds.truth, a);
        match &peer {
            Some((_, pp)) => {
                let p = median_rel_error(pp, &ds.truth, a);
                all_le &= no_larger(o, p);
                cells.push(format!("{} / {}", pct(p), pct(o)));
            }
            None => cells.push(format!("n/a / {}", pct(o))),
        }
    }
    cells.push(match (&peer, all_le) {
        (None, _) => "n/a".into(),
        (Some(_), true) => "yes".into(),
        (Some(_), false) => "no".into(),
    });
    Ok(Row {
        cells,
        method,
        speedup,
    })
}

fn run(args: &Args) -> Result<(), String> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| format!("cannot set up {n} rayon threads: {e}"))?;
    }
    let mut ds = load(&args.dir)?;
    ds.discretisation = args.discretisation;
    println!(
        "# ours: osipy (Rust) {}, osipy::dsc::Perfusion, CPU, {} rayon threads; factors density {} \
         kH {}; {} discretisation of the convolution (the peer: rectangle); sSVD/cSVD threshold {}, \
         oSVD target oscillation index {} (Wu 2003's definition)",
        env!("CARGO_PKG_VERSION"),
        rayon::current_num_threads(),
        ds.density,
        ds.kh,
        ds.discretisation.name(),
        ds.threshold,
        ds.oscillation_index,
    );
    if let Some(p) = summary_value(&ds.summary, "peer") {
        println!("# peer: {p}");
    }
    let mut rows = Vec::new();
    for &m in &args.methods {
        rows.push(compare(&ds, &args.dir, m, args.reps)?);
    }
    println!();
    println!(
        "| method | ours: discretisation | setting (both) | voxels | osipy wall s | osipy voxels/s | ours wall s | ours voxels/s | speedup \
         | CBF median rel. error osipy / ours | CBV osipy / ours | MTT osipy / ours \
         | ours <= osipy on every error |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in &rows {
        println!("| {} |", r.cells.join(" | "));
    }
    println!();
    let osvd = rows
        .iter()
        .find(|r| r.method == Method::Osvd)
        .and_then(|r| r.speedup)
        .unwrap_or(f64::NAN);
    let min = rows
        .iter()
        .filter_map(|r| r.speedup)
        .min_by(f64::total_cmp)
        .unwrap_or(f64::NAN);
    println!("osvd_speedup {osvd:.1}");
    println!("min_speedup {min:.1}");
    Ok(())
}

fn main() {
    let args = parse_args(std::env::args_os().skip(1).map(|a| {
        a.into_string()
            .unwrap_or_else(|a| usage_error(&format!("argument {a:?} is not UTF-8")))
    }));
    if let Err(e) = run(&args) {
        eprintln!("compare_dsc: {e}");
        exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_rel_error_counts_non_finite_as_infinite() {
        // Rows of three; column 1 has one NaN estimate of three.
        let est = [1.1, 2.0, 3.0, 0.9, f64::NAN, 3.0, 1.0, 2.2, 3.3];
        let truth = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0];
        assert!((median_rel_error(&est, &truth, 0) - 0.1).abs() < 1e-12);
        assert!((median_rel_error(&est, &truth, 1) - 0.1).abs() < 1e-12);
        assert!(median_rel_error(&est, &truth, 2).abs() < 1e-12);
        let est = [f64::NAN, 0.0, 0.0, f64::NAN, 0.0, 0.0];
        assert_eq!(median_rel_error(&est, &truth[..6], 0), f64::INFINITY);
    }

    #[test]
    fn rounding_differences_are_ties() {
        assert!(no_larger(0.013668765221176526, 0.013668765221176344));
        assert!(no_larger(0.1, 0.2));
        assert!(!no_larger(0.1001, 0.1));
        assert!(!no_larger(f64::INFINITY, 0.1));
        assert!(no_larger(f64::INFINITY, f64::INFINITY));
    }

    #[test]
    fn median_of_even_odd_and_empty() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn methods_parse_by_name() {
        assert_eq!(parse_method("ssvd"), Some(Method::Ssvd));
        assert_eq!(parse_method("osvd"), Some(Method::Osvd));
        assert_eq!(parse_method("tikhonov"), None);
        let a = parse_args(
            ["--methods", "osvd,csvd", "--reps", "2", "d"]
                .iter()
                .map(|s| s.to_string()),
        );
        assert_eq!(a.methods, vec![Method::Osvd, Method::Csvd]);
        assert_eq!(a.reps, 2);
        assert_eq!(a.dir, PathBuf::from("d"));
    }

    #[test]
    fn summary_lines_are_key_value() {
        let s = "voxels 10\npeer_wall_s_osvd 1.5\npeer osipy 0.1.4, numpy 2\n";
        assert_eq!(summary_value(s, "peer_wall_s_osvd"), Some("1.5"));
        assert_eq!(summary_value(s, "peer"), Some("osipy 0.1.4, numpy 2"));
        assert_eq!(summary_value(s, "peer_wall_s_ssvd"), None);
    }
}
