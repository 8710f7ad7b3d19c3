//! Our side of `benches/compare_osipy.sh ivim`: fits the data folder written by
//! `compare_osipy/ivim_data_and_peer.py` (`b.npy`, `signal.npy`, `truth.npy`) with
//! `osipy::ivim::Fit` (segmented, full, Bayesian), times each (median of `--reps`), and prints
//! the table against the peers' fits recorded there (`peers.txt`, `<peer>_<method>.npy`):
//! wall time, voxels/s, the speedup over the Python osipy's segmented fit, and the median
//! relative errors of D, D* and f against the truth. Ours run with our default bounds and again
//! with the Python osipy's (its D* upper bound, 0.1 mm²/s, is also the top of the data's
//! range). The last line is `min_speedup <X>`, the smaller speedup of our segmented and full
//! fits (default bounds).
//!
//! Usage: `compare_ivim [--threads N] [--reps N] DIR`

use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::Array2;
use osipy::ivim::{self, Method};

fn load(path: &Path) -> Result<(Vec<usize>, Vec<f64>), String> {
    osipy::npy::read_f64(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Median relative errors of `[d, dstar, f]` (`est`: voxels x [d, dstar, f]) against `truth`
/// (voxels x [s0, f, d, dstar]) over the first `n` voxels.
fn errors(est: &[f64], truth: &[f64], n: usize) -> [f64; 3] {
    let col = |c: usize, t: usize| -> f64 {
        median(
            (0..n)
                .map(|i| {
                    let e = est[i * 3 + c];
                    let w = truth[i * 4 + t];
                    if e.is_finite() {
                        ((e - w) / w).abs()
                    } else {
                        f64::INFINITY
                    }
                })
                .collect(),
        )
    };
    [col(0, 2), col(1, 3), col(2, 1)]
}

struct Row {
    who: String,
    voxels: usize,
    wall: f64,
    err: [f64; 3],
}

fn main() {
    if let Err(e) = run() {
        eprintln!("compare_ivim: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut threads: Option<usize> = None;
    let mut reps = 3usize;
    let mut dir: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => {
                threads = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--threads needs an integer")?,
                )
            }
            "--reps" => {
                reps = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--reps needs an integer")?
            }
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.ok_or("usage: compare_ivim [--threads N] [--reps N] DIR")?;
    let (_, b) = load(&dir.join("b.npy"))?;
    let (shape, signal) = load(&dir.join("signal.npy"))?;
    let (_, truth) = load(&dir.join("truth.npy"))?;
    let n = shape[0];
    let y = Array2::from_shape_vec((n, b.len()), signal).map_err(|e| e.to_string())?;
    let mut rows: Vec<Row> = Vec::new();
    let peers = std::fs::read_to_string(dir.join("peers.txt")).unwrap_or_default();
    for line in peers.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 4 {
            continue;
        }
        let nv: usize = f[2]
            .parse()
            .map_err(|_| format!("peers.txt: bad line `{line}`"))?;
        let wall: f64 = f[3]
            .parse()
            .map_err(|_| format!("peers.txt: bad line `{line}`"))?;
        let (_, est) = load(&dir.join(format!("{}_{}.npy", f[0], f[1])))?;
        rows.push(Row {
            who: format!("{} {}", f[0], f[1]),
            voxels: nv,
            wall,
            err: errors(&est, &truth, nv),
        });
    }
    let mut ours: Vec<(Method, f64)> = Vec::new();
    // The Python osipy's bounds (`IVIMBiexponentialModel.get_bounds`: D [1e-4, 5e-3], D* [2e-3,
    // 0.1], f [0, 0.7]; D* kept above D's upper bound here, as ours always is).
    let peer_bounds = ivim::Bounds {
        lower: [0.5, 0.0, 1.0e-4, 5.0e-3],
        upper: [1.5, 0.7, 5.0e-3, 0.1],
    };
    for (method, name, bounds) in [
        (Method::Segmented, "segmented", None),
        (Method::Full, "full", None),
        (Method::Bayesian, "bayesian", None),
        (Method::Segmented, "segmented (osipy's bounds)", Some(peer_bounds)),
        (Method::Full, "full (osipy's bounds)", Some(peer_bounds)),
        (Method::Bayesian, "bayesian (osipy's bounds)", Some(peer_bounds)),
    ] {
        let fit = || {
            let mut f = ivim::Fit::new(method, b.clone());
            if let Some(bd) = bounds {
                f = f.bounds(bd);
            }
            if let Some(t) = threads {
                f = f.threads(t);
            }
            f.fit(&y)
        };
        let _ = fit().map_err(|e| e.to_string())?; // warm-up
        let mut walls = Vec::new();
        let mut maps = None;
        for _ in 0..reps.max(1) {
            let t0 = Instant::now();
            maps = Some(fit().map_err(|e| e.to_string())?);
            walls.push(t0.elapsed().as_secs_f64());
        }
        let wall = median(walls);
        let maps = maps.ok_or("no fit")?;
        let g = |k: &str| {
            maps.get(k)
                .map(|a| a.iter().copied().collect::<Vec<f64>>())
                .unwrap_or_default()
        };
        let (d, ds, f) = (g("d"), g("dstar"), g("f"));
        let it = g("iterations");
        if !it.is_empty() {
            let st = g("status");
            eprintln!(
                "# ours {name}: mean iterations {:.2}, ok {:.4}, not converged {:.4}",
                it.iter().sum::<f64>() / it.len() as f64,
                st.iter().filter(|s| **s == 1.0).count() as f64 / st.len() as f64,
                st.iter().filter(|s| **s == 2.0).count() as f64 / st.len() as f64
            );
        }
        let est: Vec<f64> = (0..n).flat_map(|i| [d[i], ds[i], f[i]]).collect();
        rows.push(Row {
            who: format!("ours {name}"),
            voxels: n,
            wall,
            err: errors(&est, &truth, n),
        });
        if bounds.is_none() {
            ours.push((method, wall));
        }
    }
    let reference = rows
        .iter()
        .find(|r| r.who == "osipy segmented")
        .map(|r| r.voxels as f64 / r.wall);
    println!(
        "| fit | voxels | wall s | voxels/s | speedup vs osipy segmented | D median rel. error | D* | f |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let vps = r.voxels as f64 / r.wall;
        let sp = reference.map_or("-".to_string(), |v| format!("{:.1}", vps / v));
        println!(
            "| {} | {} | {:.3} | {:.0} | {sp} | {:.4} | {:.4} | {:.4} |",
            r.who, r.voxels, r.wall, vps, r.err[0], r.err[1], r.err[2]
        );
    }
    let min_speedup = reference.map_or(f64::NAN, |v| {
        ours.iter()
            .filter(|(m, _)| *m != Method::Bayesian)
            .map(|(_, w)| n as f64 / w / v)
            .fold(f64::INFINITY, f64::min)
    });
    println!("min_speedup {min_speedup:.2}");
    Ok(())
}
