//! End to end: the progress of the `osipy` binary's `dce` and `t1` fits on stderr. Stderr is
//! a pipe here, so the reporter writes plain lines (no `\r` redraws, no escape codes), the
//! last at 100 %; `--quiet` leaves stderr (and stdout) empty and the maps unchanged. Inputs
//! above 4,096 voxels are fitted in several chunks: their maps are compared with the library
//! fitting every voxel in one launch (exactly, after the maps' float32 rounding): DCE (Tofts),
//! VFA (nonlinear, with a B1 map) and Look-Locker.

mod common;

use common::{osipy_ok, scratch, write_npy};
use std::path::Path;

use ndarray::{Array2, Array3, ArrayD};
use osipy::conc::VoxelValue;
use osipy::io::nifti;
use osipy::t1::{Vfa, VfaFit};
use osipy_kernels::XpArray;

fn read_map(dir: &Path, name: &str) -> ArrayD<f64> {
    nifti::read(dir.join(name))
        .unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
        .data
}

/// The `.nii.gz` maps of two output folders hold the same values, bit for bit.
fn same_maps(a: &Path, b: &Path) -> usize {
    let mut names: Vec<String> = std::fs::read_dir(a)
        .unwrap_or_else(|e| panic!("{}: {e}", a.display()))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".nii.gz"))
        .collect();
    names.sort();
    for n in &names {
        let (x, y) = (read_map(a, n), read_map(b, n));
        assert_eq!(x.shape(), y.shape(), "{n}");
        for (i, (p, q)) in x.iter().zip(&y).enumerate() {
            assert!(p.to_bits() == q.to_bits(), "{n} voxel {i}: {p} vs {q}");
        }
    }
    names.len()
}

/// A fitted value as the maps store it (float32); NaN stays NaN.
fn stored(v: f64) -> f64 {
    f64::from(v as f32)
}

fn check_map(dir: &Path, name: &str, want: &[f64]) {
    let got = read_map(dir, name);
    assert_eq!(got.len(), want.len(), "{name}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let w = stored(*w);
        assert!(
            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
            "{name} voxel {i}: map {g}, one-launch fit {w}"
        );
    }
}

/// The progress lines (`osipy CMD: fitting N/TOTAL voxels (P%), ...`) of a run's stderr,
/// checked: plain lines only, increasing, the last at 100 %.
fn progress_lines(stderr: &[u8], cmd: &str, total: usize) -> Vec<String> {
    let err = String::from_utf8(stderr.to_vec()).expect("utf-8 stderr");
    assert!(
        !err.contains('\r') && !err.contains('\x1b'),
        "redraws on a pipe: {err:?}"
    );
    let prefix = format!("osipy {cmd}: fitting ");
    let lines: Vec<String> = err
        .lines()
        .filter(|l| {
            l.strip_prefix(&prefix)
                .and_then(|r| r.split_once('/'))
                .is_some_and(|(d, _)| d.parse::<usize>().is_ok())
        })
        .map(str::to_string)
        .collect();
    let mut last = 0;
    for l in &lines {
        let done: usize = l[prefix.len()..]
            .split('/')
            .next()
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| panic!("{l}"));
        assert!(done > last && done <= total, "{err}");
        assert!(
            l.contains(&format!("/{total} voxels (")) && l.contains(" voxels/s, "),
            "{l}"
        );
        last = done;
    }
    let end = lines.last().unwrap_or_else(|| panic!("no progress line: {err}"));
    assert!(
        end.starts_with(&format!("{prefix}{total}/{total} voxels (100.0%), ")) && end.contains(", in "),
        "{err}"
    );
    // The other stages still have their lines.
    assert!(err.starts_with(&format!("osipy {cmd}: reading ")), "{err}");
    assert!(err.contains(&format!("osipy {cmd}: writing the maps")), "{err}");
    lines
}

/// A Tofts series `[nx, ny, 1, nt]` (mM) with smooth parameter gradients, Parker AIF arriving
/// at 20 s, 5-s frames; with its truth.
fn tofts_series(nx: usize, ny: usize, nt: usize) -> (Vec<f64>, Array3<f64>, Array3<f64>) {
    let t: Vec<f64> = (0..nt).map(|i| i as f64 * 5.0).collect();
    let cb = osipy::aif::parker(&t, 20.0).expect("parker");
    let cp = osipy::dce::plasma_from_blood(&cb, 0.42).expect("plasma");
    let k = Array3::from_shape_fn((nx, ny, 1), |(x, y, _)| {
        0.03 + 0.15 * x as f64 / nx as f64 + 0.05 * y as f64 / ny as f64
    });
    let e = Array3::from_shape_fn((nx, ny, 1), |(x, y, _)| {
        0.1 + 0.3 * y as f64 / ny as f64 + 0.01 * (x % 3) as f64
    });
    let flat = |a: &Array3<f64>| a.iter().copied().collect::<Vec<f64>>();
    let mut ct = Array2::<f64>::zeros((nx * ny, nt));
    osipy::dce::tofts::launch(&t, &cp, &vec![0.0; cp.len()], &flat(&k), &flat(&e), &mut ct).expect("model");
    (ct.iter().copied().collect(), k, e)
}

#[test]
fn dce_reports_progress_and_quiet_changes_nothing() {
    let dir = scratch("dce-small");
    let (nx, ny, nt) = (10, 8, 40);
    let (data, k, _) = tofts_series(nx, ny, nt);
    let input = dir.join("conc.npy");
    write_npy(&input, &[nx, ny, 1, nt], &data);
    let (i, loud, quiet) = (input.to_str().unwrap(), dir.join("loud"), dir.join("quiet"));
    let common = [
        "dce",
        "--input",
        i,
        "--dt",
        "5",
        "--aif-delay",
        "20",
        "--model",
        "tofts",
        "--device",
        "cpu",
    ];
    let r = osipy_ok(&[&common[..], &["--out", loud.to_str().unwrap()]].concat());
    let lines = progress_lines(&r.stderr, "dce", nx * ny);
    // One chunk (80 voxels): one line.
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(String::from_utf8_lossy(&r.stdout).contains("80 voxels fitted"));
    let q = osipy_ok(&[&common[..], &["--out", quiet.to_str().unwrap(), "--quiet"]].concat());
    assert!(q.stderr.is_empty(), "{}", String::from_utf8_lossy(&q.stderr));
    assert!(q.stdout.is_empty(), "{}", String::from_utf8_lossy(&q.stdout));
    assert_eq!(same_maps(&loud, &quiet), 8);
    // The fit is right, not only repeatable.
    let kt = read_map(&loud, "ktrans.nii.gz");
    for (g, w) in kt.iter().zip(&k) {
        assert!((g - w).abs() <= 1e-4 * w, "ktrans {g} vs {w}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dce_in_chunks_matches_one_launch() {
    let dir = scratch("dce-chunks");
    // 4,608 voxels: two chunks (4,096 and 512) on the CPU.
    let (nx, ny, nt) = (72, 64, 24);
    let (data, _, _) = tofts_series(nx, ny, nt);
    let input = dir.join("conc.npy");
    write_npy(&input, &[nx, ny, 1, nt], &data);
    let out = dir.join("out");
    let r = osipy_ok(&[
        "dce",
        "--input",
        input.to_str().unwrap(),
        "--dt",
        "5",
        "--aif-delay",
        "20",
        "--model",
        "tofts",
        "--out",
        out.to_str().unwrap(),
    ]);
    let lines = progress_lines(&r.stderr, "dce", nx * ny);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("osipy dce: fitting 4096/4608 voxels (88.9%), "),
        "{lines:?}"
    );

    // The library on every voxel at once, as the command did before chunking.
    let t: Vec<f64> = (0..nt).map(|i| i as f64 * 5.0).collect();
    let cb = osipy::aif::parker(&t, 20.0).expect("parker");
    let cp = osipy::dce::plasma_from_blood(&cb, 0.42).expect("plasma");
    let ct = XpArray::from_host(ArrayD::from_shape_vec(vec![nx * ny, nt], data).expect("shape"));
    let (a, b, _, _) = osipy::dce::tofts_init::launch(&t, &cp, &ct, &[0.0][..]).expect("init");
    let init = osipy::dce::stack_params(&[&a, &b]).expect("stack");
    let f = osipy::dce::tofts::fitter(&t, &cp, &vec![0.0; cp.len()])
        .init(init)
        .fit(&ct)
        .expect("fit");
    let p = f
        .params
        .to_host()
        .expect("host")
        .into_dimensionality::<ndarray::Ix2>()
        .expect("2-D");
    check_map(&out, "ktrans.nii.gz", &p.column(0).to_vec());
    check_map(&out, "ve.nii.gz", &p.column(1).to_vec());
    let host = |a: &XpArray<f64>| a.to_host().expect("host").iter().copied().collect::<Vec<f64>>();
    let host_u = |a: &XpArray<u32>| {
        a.to_host()
            .expect("host")
            .iter()
            .map(|v| f64::from(*v))
            .collect::<Vec<f64>>()
    };
    check_map(&out, "r2.nii.gz", &host(&f.r2));
    check_map(&out, "chi2.nii.gz", &host(&f.chi2));
    check_map(&out, "iterations.nii.gz", &host_u(&f.iterations));
    check_map(&out, "status.nii.gz", &host_u(&f.status));
    check_map(&out, "at_bound.nii.gz", &host_u(&f.at_bound));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn t1_in_chunks_reports_progress_and_matches_one_launch() {
    let dir = scratch("t1-chunks");
    // 9,216 voxels: three chunks (4,096, 4,096, 1,024) on the CPU.
    let (nx, ny) = (96, 96);
    let n = nx * ny;
    let fa: [f64; 4] = [2.0, 5.0, 12.0, 20.0];
    let tr = 0.005;
    let b1: Vec<f64> = (0..n).map(|i| 0.8 + 0.4 * (i % nx) as f64 / nx as f64).collect();
    let mut sig = Vec::with_capacity(n * fa.len());
    for (i, b) in b1.iter().enumerate() {
        let t1 = 0.3 + 2.5 * (i / nx) as f64 / ny as f64;
        let s0 = 900.0 + 200.0 * (i % 7) as f64;
        let e = (-tr / t1).exp();
        for (k, a) in fa.iter().enumerate() {
            let a = a.to_radians() * b;
            // A small deterministic ripple so the fit iterates.
            let ripple = 1.0 + 0.002 * (((i * 7 + k * 13) % 17) as f64 - 8.0) / 8.0;
            sig.push(s0 * a.sin() * (1.0 - e) / (1.0 - a.cos() * e) * ripple);
        }
    }
    let (input, b1_path) = (dir.join("vfa.npy"), dir.join("b1.npy"));
    write_npy(&input, &[nx, ny, 1, fa.len()], &sig);
    write_npy(&b1_path, &[nx, ny, 1], &b1);
    let (loud, quiet) = (dir.join("loud"), dir.join("quiet"));
    let common = [
        "t1",
        "--input",
        input.to_str().unwrap(),
        "--b1",
        b1_path.to_str().unwrap(),
        "--flip-angles",
        "2,5,12,20",
        "--tr",
        "0.005",
        "--method",
        "nonlinear",
    ];
    let r = osipy_ok(&[&common[..], &["--out", loud.to_str().unwrap()]].concat());
    let lines = progress_lines(&r.stderr, "t1", n);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("osipy t1: fitting 4096/9216 voxels (44.4%), "),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("osipy t1: fitting 8192/9216 voxels (88.9%), "),
        "{lines:?}"
    );
    let q = osipy_ok(&[&common[..], &["--out", quiet.to_str().unwrap(), "--quiet"]].concat());
    assert!(q.stderr.is_empty(), "{}", String::from_utf8_lossy(&q.stderr));
    assert!(q.stdout.is_empty(), "{}", String::from_utf8_lossy(&q.stdout));
    assert_eq!(same_maps(&loud, &quiet), 8);

    // The library on every voxel at once.
    let s = XpArray::from_host(ArrayD::from_shape_vec(vec![n, fa.len()], sig).expect("shape"));
    let b = XpArray::from_host(ArrayD::from_shape_vec(vec![n], b1).expect("shape"));
    let vfa = Vfa::new(fa.to_vec(), tr).b1(VoxelValue::from(&b));
    let m = osipy::t1::vfa_nonlinear(&s, &vfa, &VfaFit::default()).expect("fit");
    let host = |a: &XpArray<f64>| a.to_host().expect("host").iter().copied().collect::<Vec<f64>>();
    let host_u = |a: &XpArray<u32>| {
        a.to_host()
            .expect("host")
            .iter()
            .map(|v| f64::from(*v))
            .collect::<Vec<f64>>()
    };
    check_map(&loud, "t1.nii.gz", &host(&m.t1));
    check_map(&loud, "r1.nii.gz", &host(&m.r1));
    check_map(&loud, "s0.nii.gz", &host(&m.s0));
    check_map(&loud, "status.nii.gz", &host_u(&m.status));
    let fit = m.fit.as_ref().expect("nonlinear fit");
    check_map(&loud, "r2.nii.gz", &host(&fit.r2));
    check_map(&loud, "chi2.nii.gz", &host(&fit.chi2));
    check_map(&loud, "iterations.nii.gz", &host_u(&fit.iterations));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn look_locker_in_chunks_matches_one_launch() {
    let dir = scratch("ll-chunks");
    // 4,800 voxels: two chunks (4,096 and 704) on the CPU; magnitude data.
    let (nx, ny) = (80, 60);
    let n = nx * ny;
    let times: [f64; 10] = [0.05, 0.15, 0.3, 0.5, 0.8, 1.2, 1.8, 2.6, 3.6, 5.0];
    let mut sig = Vec::with_capacity(n * times.len());
    for i in 0..n {
        let t1 = 0.4 + 2.0 * (i % nx) as f64 / nx as f64;
        let m = 500.0 + 300.0 * (i / nx) as f64 / ny as f64;
        // a = 0.6 M0, b = a + M0; a small deterministic ripple so the fit iterates.
        let a = 0.6 * m;
        for (k, t) in times.iter().enumerate() {
            let ripple = 0.5 * (((i * 5 + k * 11) % 13) as f64 - 6.0) / 6.0;
            sig.push((a - (a + m) * (-t / (0.6 * t1)).exp() + ripple).abs());
        }
    }
    let input = dir.join("ll.npy");
    write_npy(&input, &[nx, ny, 1, times.len()], &sig);
    let ts_list = times.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",");
    let out = dir.join("out");
    let r = osipy_ok(&[
        "t1",
        "--input",
        input.to_str().unwrap(),
        "--method",
        "look-locker",
        "--magnitude",
        "--times",
        &ts_list,
        "--out",
        out.to_str().unwrap(),
    ]);
    let lines = progress_lines(&r.stderr, "t1", n);
    assert_eq!(lines.len(), 2, "{lines:?}");

    let s = XpArray::from_host(ArrayD::from_shape_vec(vec![n, times.len()], sig).expect("shape"));
    let m =
        osipy::t1::look_locker(&s, &osipy::t1::LookLocker::new(times.to_vec()).magnitude(true)).expect("fit");
    let host = |a: &XpArray<f64>| a.to_host().expect("host").iter().copied().collect::<Vec<f64>>();
    let host_u = |a: &XpArray<u32>| {
        a.to_host()
            .expect("host")
            .iter()
            .map(|v| f64::from(*v))
            .collect::<Vec<f64>>()
    };
    let (a, b) = (host(&m.a), host(&m.b));
    check_map(&out, "t1.nii.gz", &host(&m.t1));
    check_map(&out, "t1_star.nii.gz", &host(&m.t1_star));
    check_map(&out, "a.nii.gz", &a);
    check_map(&out, "b.nii.gz", &b);
    check_map(
        &out,
        "s0.nii.gz",
        &a.iter().zip(&b).map(|(a, b)| b - a).collect::<Vec<_>>(),
    );
    check_map(&out, "status.nii.gz", &host_u(&m.status));
    check_map(&out, "chi2.nii.gz", &host(&m.fit.chi2));
    check_map(&out, "iterations.nii.gz", &host_u(&m.fit.iterations));
    let _ = std::fs::remove_dir_all(&dir);
}
