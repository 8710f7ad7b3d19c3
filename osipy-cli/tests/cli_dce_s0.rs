//! End to end: `osipy dce --kind signal --s0`: a known S0 (a number or a map) instead of the
//! baseline estimate gives the exact maps where integer-quantised baseline frames bias the
//! estimate; its provenance and its errors.

mod common;

use common::{osipy, write_npy};
use std::path::Path;

use ndarray::{Array2, Array3};

const DIMS: [usize; 3] = [3, 2, 1];
const NT: usize = 40;
const DT: f64 = 5.0;
const FA: f64 = 15.0;
const TR: f64 = 0.005;
const T10: f64 = 1.0;
const R1: f64 = 4.5;
/// Pre-contrast frames: Parker's curve, 20 s late, starts at frame 4.
const BASELINE: usize = 4;

/// Extended Tofts truth (ktrans /min, ve, vp) of voxel `v`.
fn truth(v: usize) -> [f64; 3] {
    [0.1 + 0.02 * v as f64, 0.3, 0.05]
}

/// The SPGR signal of the phantom for the per-voxel S0 `s0` (x-major), its baseline frames
/// rounded to integers as a scanner stores them.
fn signal(s0: &[f64]) -> Vec<f64> {
    let t: Vec<f64> = (0..NT).map(|i| i as f64 * DT).collect();
    let cb = osipy::aif::parker(&t, 20.0).unwrap();
    let cp = osipy::dce::plasma_from_blood(&cb, 0.42).unwrap();
    let cp2 = vec![0.0; NT];
    let n = s0.len();
    let p: Vec<[f64; 3]> = (0..n).map(truth).collect();
    let col = |k: usize| p.iter().map(|q| q[k]).collect::<Vec<f64>>();
    let mut ct = Array2::<f64>::zeros((n, NT));
    osipy::dce::extended_tofts::launch(&t, &cp, &cp2, &col(0), &col(1), &col(2), &mut ct).unwrap();
    let mut out = Vec::new();
    for v in 0..n {
        for k in 0..NT {
            let s = osipy::conc::spgr::spgr_signal(s0[v], 1.0 / T10 + R1 * ct[[v, k]], FA, TR);
            out.push(if k < BASELINE { s.round() } else { s });
        }
    }
    out
}

fn run(dir: &Path, input: &Path, extra: &[&str], name: &str) -> std::process::Output {
    let out = dir.join(name);
    let mut args = vec![
        "dce",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--dt",
        "5",
        "--aif-delay",
        "20",
        "--kind",
        "signal",
        "--t1",
        "1.0",
        "--flip-angle",
        "15",
        "--tr",
        "0.005",
        "--relaxivity",
        "4.5",
        "--baseline",
        "4",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    osipy(&args)
}

/// The largest relative error of the ktrans map in `out` against the truth.
fn ktrans_error(out: &Path) -> f64 {
    let m = osipy::io::nifti::read(out.join("ktrans.nii.gz")).unwrap();
    let m = m.data.into_shape_with_order(DIMS).unwrap();
    let flat: Vec<f64> = m.iter().copied().collect();
    flat.iter()
        .enumerate()
        .map(|(v, k)| ((k - truth(v)[0]) / truth(v)[0]).abs())
        .fold(0.0, f64::max)
}

fn provenance(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap()
}

#[test]
fn a_known_s0_number_gives_exact_maps_where_the_quantised_baseline_biases_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let input = dir.join("signal.npy");
    // S0 615: the baseline signal 20.43 is stored as 20, 2% low.
    write_npy(&input, &[3, 2, 1, NT], &signal(&[615.0; 6]));
    let r = run(dir, &input, &[], "estimated");
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let biased = ktrans_error(&dir.join("estimated"));
    assert!(biased > 0.02, "baseline estimate: ktrans error {biased}");
    let r = run(dir, &input, &["--s0", "615"], "known");
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let exact = ktrans_error(&dir.join("known"));
    assert!(exact < 1e-4, "known S0: ktrans error {exact}");
    let p = provenance(&dir.join("known"));
    assert_eq!(p["settings"]["s0"], "615");
    assert_eq!(p["settings"]["s0_source"], "--s0");
    assert_eq!(
        provenance(&dir.join("estimated"))["settings"]["s0_source"],
        "baseline frames"
    );
}

#[test]
fn a_known_s0_map_gives_each_voxel_exact_maps_and_is_hashed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let s0 = [615.0, 900.0, 1210.0, 700.0, 1500.0, 820.0];
    let input = dir.join("signal.npy");
    write_npy(&input, &[3, 2, 1, NT], &signal(&s0));
    let map = dir.join("s0.npy");
    write_npy(&map, &[3, 2, 1], &s0);
    let m = map.to_str().unwrap();
    let r = run(dir, &input, &["--s0", m], "out");
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let exact = ktrans_error(&dir.join("out"));
    assert!(exact < 1e-4, "known S0 map: ktrans error {exact}");
    let p = provenance(&dir.join("out"));
    assert_eq!(p["settings"]["s0"], m);
    let digest = common::sha256_hex(&std::fs::read(&map).unwrap());
    assert_eq!(p["inputs_sha256"][m], digest.as_str());
}

#[test]
fn s0_errors_name_the_flag_and_what_was_found() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let input = dir.join("signal.npy");
    write_npy(&input, &[3, 2, 1, NT], &signal(&[615.0; 6]));
    let check = |extra: &[&str], code: i32, needle: &str| {
        let r = run(dir, &input, extra, "out");
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(code), "{extra:?}: {err}");
        // The message is one line (a usage error adds a line pointing to --help).
        let first = err.lines().next().unwrap_or_default();
        assert!(first.contains(needle), "{extra:?}: expected `{needle}` in {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            if code == 2 { 2 } else { 1 },
            "{err}"
        );
        assert!(!dir.join("out").exists());
    };
    check(
        &["--s0", "0"],
        2,
        "--s0: expected an S0 > 0 (a.u.) or a map file, found `0`",
    );
    check(&["--s0", "-5"], 2, "found `-5`");
    check(&["--s0", "inf"], 2, "found `inf`");
    let wrong = dir.join("wrong.npy");
    write_npy(&wrong, &[2, 2, 1], &[1.0; 4]);
    let w = wrong.to_str().unwrap();
    check(
        &["--s0", w],
        1,
        &format!("--s0 {w}: expected the input's spatial shape [3, 2, 1], found shape [2, 2, 1]"),
    );
    let mut bad = Array3::<f64>::from_elem((3, 2, 1), 615.0);
    bad[[2, 1, 0]] = f64::NAN;
    let nan = dir.join("nan.npy");
    write_npy(&nan, &[3, 2, 1], bad.as_slice().unwrap());
    let n = nan.to_str().unwrap();
    check(
        &["--s0", n],
        1,
        &format!("--s0 {n}: expected finite values > 0 in the mask, found NaN at voxel (2, 1, 0)"),
    );
    bad[[2, 1, 0]] = -1.0;
    write_npy(&nan, &[3, 2, 1], bad.as_slice().unwrap());
    check(&["--s0", n], 1, "found -1 at voxel (2, 1, 0)");
    // Not for concentration input.
    let out = dir.join("out");
    let r = osipy(&[
        "dce",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--dt",
        "5",
        "--s0",
        "615",
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr)
        .contains("--s0: only for --kind signal, found --kind concentration"));
}
