//! Our side of `benches/compare_osipy.sh asl`: quantifies the data set that
//! `benches/compare_osipy/asl_data_and_peer.py` wrote (and the Python osipy fitted) with
//! [`osipy::asl::Perfusion`], and prints the side-by-side table.
//!
//! ```text
//! cargo run --release -p osipy-benches --bin compare_asl -- [--reps N] [--threads N] DIR
//! ```
//!
//! `DIR` holds `plds_s.npy` (6 PLDs, s), `dm.npy` (voxels x PLDs), `m0.npy` (voxels),
//! `truth.npy` (voxels x 2: CBF ml/100 g/min, ATT s), `dm_single.npy` (voxels, PLD 1.8 s),
//! `summary.txt` (`key value` lines: `voxels`, and the peer's `peer_wall_s`,
//! `peer_single_wall_s`) and, when the peer ran, `osipy_cbf.npy`, `osipy_att_s.npy` and
//! `osipy_cbf_single.npy`.
//!
//! Ours: `Perfusion::new(Pcasl, plds, 1.8)` with the M0 map, blood T1 1.65 s, tissue T1 1.33 s
//! (α 0.85, λ 0.9 by default), the data-driven start and the default
//! [`LevenbergMarquardt`](osipy_kernels::fit::LevenbergMarquardt) settings, on the CPU with
//! `--threads N` (default: rayon's). Timed: the wall time of `fit` with the data in memory,
//! after one untimed warm-up; the median of `--reps` runs (default 5).
//!
//! Accuracy, for both alike: the median over all voxels of `|p - p_true| / p_true` (a
//! non-finite estimate counts as an infinite error). The last line printed is
//! `min_speedup <X>`: peer wall time / our wall time of the multi-PLD fit (`NaN` without a
//! peer time).

use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::Instant;

use ndarray::{Array1, Array2};
use osipy::asl::{AslStatus, Labelling, M0Source, Perfusion, Quantification};
use osipy::npy;

const USAGE: &str = "\
usage: compare_asl [--reps N] [--threads N] DIR

  DIR           a folder written by benches/compare_osipy/asl_data_and_peer.py
  --reps N      timed runs; the median is reported (default 5)
  --threads N   worker threads (default: rayon's default, RAYON_NUM_THREADS or all cores)
  --help        this text";

fn fail(msg: &str) -> ! {
    eprintln!("compare_asl: {msg}\n\n{USAGE}");
    exit(2)
}

fn read(dir: &Path, name: &str) -> Result<(Vec<usize>, Vec<f64>), String> {
    npy::read_f64(&dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
}

fn summary(dir: &Path, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("summary.txt")).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// Median of `|p / truth - 1|` (non-finite: infinite).
fn median_rel(p: &[f64], truth: &[f64]) -> f64 {
    let mut e: Vec<f64> = p
        .iter()
        .zip(truth)
        .map(|(p, t)| {
            if p.is_finite() {
                (p / t - 1.0).abs()
            } else {
                f64::INFINITY
            }
        })
        .collect();
    e.sort_by(f64::total_cmp);
    e.get(e.len() / 2).copied().unwrap_or(f64::NAN)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run() -> Result<(), String> {
    let mut reps = 5usize;
    let mut threads: Option<usize> = None;
    let mut dir: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--reps" => {
                reps = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n >= 1)
                    .unwrap_or_else(|| fail("--reps expects an integer >= 1"))
            }
            "--threads" => {
                threads = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .filter(|n| *n >= 1)
                        .unwrap_or_else(|| fail("--threads expects an integer >= 1")),
                )
            }
            s if s.starts_with('-') => fail(&format!("unknown argument `{s}`")),
            s => dir = Some(PathBuf::from(s)),
        }
    }
    let dir = dir.unwrap_or_else(|| fail("expected a data folder"));
    let (_, plds) = read(&dir, "plds_s.npy")?;
    let (shape, dm) = read(&dir, "dm.npy")?;
    let n = shape[0];
    if shape != [n, plds.len()] {
        return Err(format!(
            "dm.npy: expected voxels x {} PLDs, found {shape:?}",
            plds.len()
        ));
    }
    let dm = Array2::from_shape_vec((n, plds.len()), dm).map_err(|e| e.to_string())?;
    let m0 = Array1::from(read(&dir, "m0.npy")?.1).into_dyn();
    let truth = read(&dir, "truth.npy")?.1;
    let (cbf_t, att_t): (Vec<f64>, Vec<f64>) = truth.chunks(2).map(|c| (c[0], c[1])).unzip();
    let single = Array2::from_shape_vec((n, 1), read(&dir, "dm_single.npy")?.1).map_err(|e| e.to_string())?;
    let q = Quantification {
        t1_blood: Some(1.65),
        t1_tissue: 1.33,
        ..Default::default()
    };
    let fit = |data: &Array2<f64>, plds: Vec<f64>| {
        let mut p = Perfusion::new(Labelling::Pcasl, plds, 1.8)
            .m0(M0Source::Map(m0.view()))
            .quantification(q);
        if let Some(t) = threads {
            p = p.threads(t);
        }
        p.fit(data).map_err(|e| e.to_string())
    };
    let time = |data: &Array2<f64>, plds: &[f64]| -> Result<(f64, osipy::volume::Maps), String> {
        let mut walls = Vec::new();
        let mut last = fit(data, plds.to_vec())?; // warm-up
        for _ in 0..reps {
            let t0 = Instant::now();
            last = fit(data, plds.to_vec())?;
            walls.push(t0.elapsed().as_secs_f64());
        }
        Ok((median(walls), last))
    };
    let (wall, maps) = time(&dm, &plds)?;
    let (wall1, maps1) = time(&single, &[1.8])?;
    let flat = |m: &osipy::volume::Maps, k: &str| -> Vec<f64> {
        m.get(k).map(|a| a.iter().copied().collect()).unwrap_or_default()
    };
    let (cbf, att, status) = (flat(&maps, "cbf"), flat(&maps, "att"), flat(&maps, "status"));
    let iters = median(flat(&maps, "iterations"));
    let ok = status
        .iter()
        .filter(|s| **s == f64::from(AslStatus::Ok.code()))
        .count() as f64
        / n as f64;
    let peer = summary(&dir, "peer_wall_s");
    let peer1 = summary(&dir, "peer_single_wall_s");
    let peer_cbf = read(&dir, "osipy_cbf.npy").ok().map(|r| r.1);
    let peer_att = read(&dir, "osipy_att_s.npy").ok().map(|r| r.1);
    let peer_cbf1 = read(&dir, "osipy_cbf_single.npy").ok().map(|r| r.1);
    let fmt = |x: Option<f64>, d: usize| x.map_or("-".to_string(), |v| format!("{v:.d$}"));
    let threads_used = threads.unwrap_or_else(rayon::current_num_threads);
    println!(
        "# ours: osipy::asl::Perfusion (Buxton PCASL fit, grid start, LevenbergMarquardt defaults) on {threads_used} threads; median of {reps} runs"
    );
    println!("# ours: median iterations {iters}");
    println!();
    println!("| fit | voxels | osipy s | ours s | osipy voxels/s | ours voxels/s | speedup | CBF err osipy / ours | ATT err osipy / ours | ours ok |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let speed = peer.map(|p| p / wall);
    println!(
        "| multi-PLD (6 PLDs) | {n} | {} | {wall:.3} | {} | {:.0} | {} | {} / {:.4} | {} / {:.4} | {:.4} |",
        fmt(peer, 3),
        fmt(peer.map(|p| n as f64 / p), 0),
        n as f64 / wall,
        fmt(speed, 2),
        fmt(peer_cbf.as_ref().map(|p| median_rel(p, &cbf_t)), 4),
        median_rel(&cbf, &cbf_t),
        fmt(peer_att.as_ref().map(|p| median_rel(p, &att_t)), 4),
        median_rel(&att, &att_t),
        ok
    );
    let cbf1 = flat(&maps1, "cbf");
    println!(
        "| single-PLD (1.8 s) | {n} | {} | {wall1:.4} | {} | {:.0} | {} | {} / {:.4} | - | - |",
        fmt(peer1, 4),
        fmt(peer1.map(|p| n as f64 / p), 0),
        n as f64 / wall1,
        fmt(peer1.map(|p| p / wall1), 2),
        fmt(peer_cbf1.as_ref().map(|p| median_rel(p, &cbf_t)), 4),
        median_rel(&cbf1, &cbf_t),
    );
    println!();
    println!(
        "min_speedup {}",
        speed.map_or("NaN".to_string(), |s| format!("{s:.2}"))
    );
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("compare_asl: {e}");
        exit(1);
    }
}
