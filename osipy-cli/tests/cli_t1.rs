//! End to end: the `osipy` binary's `t1` command on small noise-free phantoms (6x6x2 voxels):
//! variable flip angle SPGR (4 angles, known T1 and S0) as a 4-D NIfTI, as 3-D volumes with a
//! BIDS sidecar and as `.npy`, with and without a B1 map; a Look-Locker series; each input
//! error once (exit code, one-line message naming the flag or file, no output folder).

mod common;

use common::{osipy, osipy_ok, scratch, write_npy};
use std::path::Path;

use ndarray::{Array3, Array4, ArrayD};
use osipy::io::nifti::{self, OutputType};
use osipy_cli::phantom::geometry;

const DIMS: [usize; 3] = [6, 6, 2];
const FA: [f64; 4] = [2.0, 5.0, 12.0, 20.0];
const TR: f64 = 0.005;
const VOXEL: [f64; 3] = [1.5, 2.0, 4.0];

/// True T1 (s) and S0 (a.u.) with smooth gradients.
fn truth() -> (Array3<f64>, Array3<f64>) {
    let [nx, ny, nz] = DIMS;
    let t1 = Array3::from_shape_fn((nx, ny, nz), |(x, y, z)| {
        0.4 + 0.25 * x as f64 + 0.1 * y as f64 + 0.3 * z as f64
    });
    let s0 = Array3::from_shape_fn((nx, ny, nz), |(x, y, _)| {
        800.0 + 40.0 * y as f64 + 10.0 * x as f64
    });
    (t1, s0)
}

fn b1_map() -> Array3<f64> {
    let [nx, ny, nz] = DIMS;
    Array3::from_shape_fn((nx, ny, nz), |(x, y, _)| 0.8 + 0.08 * x as f64 - 0.02 * y as f64)
}

/// SPGR signal at the actual angles `b1 * FA`.
fn vfa_signal(b1: Option<&Array3<f64>>) -> Array4<f64> {
    let (t1, s0) = truth();
    let [nx, ny, nz] = DIMS;
    Array4::from_shape_fn((nx, ny, nz, FA.len()), |(x, y, z, k)| {
        let a = FA[k].to_radians() * b1.map_or(1.0, |m| m[[x, y, z]]);
        let e = (-TR / t1[[x, y, z]]).exp();
        s0[[x, y, z]] * a.sin() * (1.0 - e) / (1.0 - a.cos() * e)
    })
}

fn write<D: ndarray::Dimension>(path: &Path, data: &ndarray::Array<f64, D>) {
    let frames = if data.ndim() == 4 { data.shape()[3] } else { 1 };
    let like = geometry(DIMS, frames, VOXEL, 1.0);
    nifti::write(path, data, Some(&like), OutputType::Float64).unwrap_or_else(|e| panic!("{e}"));
}

fn read(out: &Path, name: &str) -> ArrayD<f64> {
    nifti::read(out.join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .data
}

/// T1, R1 and S0 of every voxel within `tol` relative of the truth, status 1 everywhere.
fn check(out: &Path, t1: &Array3<f64>, s0: &Array3<f64>, tol: f64) {
    let (t, r, s, st) = (
        read(out, "t1.nii.gz"),
        read(out, "r1.nii.gz"),
        read(out, "s0.nii.gz"),
        read(out, "status.nii.gz"),
    );
    assert_eq!(t.shape(), &DIMS[..]);
    for ((i, want), got) in t1.indexed_iter().zip(t.iter()) {
        let p = [i.0, i.1, i.2];
        assert!((got - want).abs() <= tol * want, "T1 at {p:?}: {got} vs {want}");
        let r1 = r[&p[..]];
        assert!(
            (r1 * want - 1.0).abs() <= tol,
            "R1 at {p:?}: {r1} vs {}",
            1.0 / want
        );
        let (sg, sw) = (s[&p[..]], s0[[p[0], p[1], p[2]]]);
        assert!((sg - sw).abs() <= tol * sw, "S0 at {p:?}: {sg} vs {sw}");
        assert_eq!(st[&p[..]], 1.0, "status at {p:?}");
    }
}

#[test]
fn vfa_nifti_nonlinear_and_linear_recover_t1() {
    let dir = scratch("vfa");
    let input = dir.join("vfa.nii.gz");
    write(&input, &vfa_signal(None));
    let (t1, s0) = truth();
    let inp = input.to_str().unwrap_or_default();
    let out = dir.join("nl");
    let o = out.to_str().unwrap_or_default();
    osipy_ok(&[
        "t1",
        "--input",
        inp,
        "--flip-angles",
        "2,5,12,20",
        "--tr",
        "0.005",
        "--out",
        o,
        "--quiet",
    ]);
    check(&out, &t1, &s0, 1e-4);
    for f in [
        "t1.nii.gz",
        "r1.nii.gz",
        "s0.nii.gz",
        "status.nii.gz",
        "r2.nii.gz",
        "chi2.nii.gz",
        "iterations.nii.gz",
        "mask.nii.gz",
        "fig_t1.png",
        "fig_s0.png",
        "provenance.json",
        "report.md",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let img = nifti::read(out.join("t1.nii.gz")).unwrap_or_else(|e| panic!("{e}"));
    let like = nifti::read(&input).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(img.affine, like.affine, "the input's affine");
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("provenance.json: {e}"));
    assert_eq!(prov["settings"]["method"], "nonlinear");
    assert_eq!(prov["mask_voxels"], 72);
    assert_eq!(prov["inputs_sha256"].as_object().map(|m| m.len()), Some(1));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap_or_default();
    assert!(report.contains("![T1 (s)](fig_t1.png)"), "{report}");

    // Existing output without --force: exit 3; with --force: replaced.
    let r = osipy(&[
        "t1",
        "--input",
        inp,
        "--flip-angles",
        "2,5,12,20",
        "--tr",
        "0.005",
        "--out",
        o,
        "--method",
        "linear",
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(3));
    osipy_ok(&[
        "t1",
        "--input",
        inp,
        "--flip-angles",
        "2,5,12,20",
        "--tr",
        "0.005",
        "--out",
        o,
        "--method",
        "linear",
        "--force",
        "--quiet",
    ]);
    check(&out, &t1, &s0, 1e-4);
    assert!(!out.join("r2.nii.gz").exists(), "linear has no fit quality maps");

    let out2 = dir.join("two");
    osipy_ok(&[
        "t1",
        "--input",
        inp,
        "--flip-angles",
        "2,5,12,20",
        "--tr",
        "0.005",
        "--out",
        out2.to_str().unwrap_or_default(),
        "--method",
        "two-angle",
        "--quiet",
    ]);
    check(&out2, &t1, &s0, 1e-4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn vfa_with_b1_map_volumes_sidecar_and_mask() {
    let dir = scratch("b1");
    let b1 = b1_map();
    let sig = vfa_signal(Some(&b1));
    let (t1, s0) = truth();
    let mut names = Vec::new();
    for k in 0..FA.len() {
        let p = dir.join(format!("fa{k}.nii"));
        write(&p, &sig.index_axis(ndarray::Axis(3), k).to_owned());
        names.push(p.display().to_string());
    }
    let sc = dir.join("vfa.json");
    std::fs::write(&sc, r#"{"FlipAngle": [2, 5, 12, 20], "RepetitionTime": 0.005}"#).unwrap_or_default();
    let b1p = dir.join("b1.nii.gz");
    write(&b1p, &b1);
    let inputs = names.join(",");
    let out = dir.join("out");
    osipy_ok(&[
        "t1",
        "--input",
        &inputs,
        "--sidecar",
        sc.to_str().unwrap_or_default(),
        "--b1",
        b1p.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    check(&out, &t1, &s0, 1e-4);

    // Without B1 the fit is biased; a mask limits the fit to its voxels.
    let mask = Array3::from_shape_fn((6, 6, 2), |(x, _, _)| if x < 3 { 1.0 } else { 0.0 });
    let mp = dir.join("mask.npy");
    write_npy(&mp, &DIMS, &mask.iter().copied().collect::<Vec<_>>());
    let out2 = dir.join("nob1");
    osipy_ok(&[
        "t1",
        "--input",
        &inputs,
        "--sidecar",
        sc.to_str().unwrap_or_default(),
        "--mask",
        mp.to_str().unwrap_or_default(),
        "--out",
        out2.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    let t = read(&out2, "t1.nii.gz");
    let st = read(&out2, "status.nii.gz");
    assert!(t[[0, 0, 0]].is_finite() && (t[[0, 0, 0]] / t1[[0, 0, 0]] - 1.0).abs() > 0.05);
    assert!(t[[4, 0, 0]].is_nan());
    assert_eq!(st[[4, 0, 0]], 7.0, "masked");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn npy_input_linear() {
    let dir = scratch("npy");
    let sig = vfa_signal(None);
    let p = dir.join("vfa.npy");
    write_npy(&p, sig.shape(), &sig.iter().copied().collect::<Vec<_>>());
    let out = dir.join("out");
    osipy_ok(&[
        "t1",
        "--input",
        p.to_str().unwrap_or_default(),
        "--flip-angles",
        "2,5,12,20",
        "--tr=0.005",
        "--method",
        "linear",
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    let (t1, s0) = truth();
    check(&out, &t1, &s0, 1e-4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn look_locker_recovers_t1() {
    let dir = scratch("ll");
    let times = [0.05, 0.15, 0.3, 0.5, 0.8, 1.2, 1.8, 2.6, 3.6, 5.0];
    let (t1, m0) = truth();
    let [nx, ny, nz] = DIMS;
    // a = 0.6 M0, b = a + M0: T1 = T1* (b / a - 1) gives T1* = 0.6 T1.
    let sig = Array4::from_shape_fn((nx, ny, nz, times.len()), |(x, y, z, k)| {
        let (t, m) = (t1[[x, y, z]], m0[[x, y, z]]);
        let a = 0.6 * m;
        a - (a + m) * (-times[k] / (0.6 * t)).exp()
    });
    let p = dir.join("ll.nii.gz");
    write(&p, &sig);
    let ts_list = times.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",");
    let out = dir.join("out");
    osipy_ok(&[
        "t1",
        "--input",
        p.to_str().unwrap_or_default(),
        "--method",
        "look-locker",
        "--times",
        &ts_list,
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    check(&out, &t1, &m0, 1e-4);
    let ts = read(&out, "t1_star.nii.gz");
    assert!((ts[[1, 2, 1]] / (0.6 * t1[[1, 2, 1]]) - 1.0).abs() < 1e-4);

    // Magnitude images of the same series.
    let p = dir.join("ll_mag.nii.gz");
    write(&p, &sig.mapv(f64::abs));
    let out = dir.join("mag");
    osipy_ok(&[
        "t1",
        "--input",
        p.to_str().unwrap_or_default(),
        "--method",
        "look-locker",
        "--magnitude",
        "--times",
        &ts_list,
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    check(&out, &t1, &m0, 1e-4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn emulator_matches_cpu_on_two_voxels() {
    let dir = scratch("emu");
    let p = dir.join("vfa.nii.gz");
    write(&p, &vfa_signal(None));
    let mask = Array3::from_shape_fn(
        (6, 6, 2),
        |(x, y, z)| if x == 1 && y < 2 && z == 0 { 1.0 } else { 0.0 },
    );
    let mp = dir.join("mask.nii.gz");
    write(&mp, &mask);
    let mut maps = Vec::new();
    for dev in ["cpu", "emulator"] {
        let out = dir.join(dev);
        osipy_ok(&[
            "t1",
            "--input",
            p.to_str().unwrap_or_default(),
            "--flip-angles",
            "2,5,12,20",
            "--tr",
            "0.005",
            "--mask",
            mp.to_str().unwrap_or_default(),
            "--device",
            dev,
            "--out",
            out.to_str().unwrap_or_default(),
            "--quiet",
        ]);
        maps.push(["t1.nii.gz", "s0.nii.gz", "status.nii.gz", "iterations.nii.gz"].map(|f| read(&out, f)));
    }
    for (c, e) in maps[0].iter().zip(&maps[1]) {
        for (a, b) in c.iter().zip(e) {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{a} vs {b}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn fails(dir: &Path, args: &[&str], code: i32, needle: &str) {
    let out = dir.join("out");
    let mut all = args.to_vec();
    let o = out.display().to_string();
    all.extend(["--out", &o, "--quiet"]);
    let r = osipy(&all);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(code), "{args:?}: {err}");
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("osipy: ") && first.contains(needle),
        "{args:?}: `{first}` lacks `{needle}`"
    );
    assert!(!out.exists(), "{args:?} left {}", out.display());
    let left: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.iter().all(|n| !n.to_string_lossy().starts_with(".out")),
        "temporary folder left: {left:?}"
    );
}

#[test]
fn errors_name_the_flag_and_leave_no_output() {
    let dir = scratch("err");
    let p = dir.join("vfa.nii.gz");
    write(&p, &vfa_signal(None));
    let inp = p.to_str().unwrap_or_default();
    let vol = dir.join("vol.nii.gz");
    write(&vol, &truth().0);
    let bad = dir.join("bad.nii.gz");
    write(&bad, &Array3::<f64>::zeros((5, 6, 2)));
    let missing = dir.join("missing.nii.gz");
    let fa = ["--flip-angles", "2,5,12,20", "--tr", "0.005"];
    let with = |extra: &[&'static str], input: &str| {
        let mut v = vec!["t1".to_string(), "--input".into(), input.to_string()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |v: Vec<String>, code: i32, needle: &str| {
        let r: Vec<&str> = v.iter().map(String::as_str).collect();
        fails(&dir, &r, code, needle);
    };
    run(with(&fa, missing.to_str().unwrap_or_default()), 1, "--input");
    run(
        with(&fa, vol.to_str().unwrap_or_default()),
        1,
        "expected a 4-D image",
    );
    run(
        with(&["--flip-angles", "2,5,12", "--tr", "0.005"], inp),
        1,
        "expected 4 flip angles",
    );
    let mut v = with(&fa, inp);
    v.extend(["--mask".into(), bad.display().to_string()]);
    run(v, 1, "--mask");
    let mut v = with(&fa, inp);
    v.extend(["--b1".into(), bad.display().to_string()]);
    run(v, 1, "--b1");
    run(
        with(&["--flip-angles", "2,5,12,20", "--tr", "0"], inp),
        2,
        "--tr: expected a repetition time > 0 s",
    );
    run(
        with(
            &["--flip-angles", "2,5,12,20", "--tr", "0.005", "--method", "fancy"],
            inp,
        ),
        2,
        "--method",
    );
    run(with(&["--tr", "0.005"], inp), 2, "--flip-angles");
    run(
        with(&["--method", "look-locker", "--times", "0.1,0.2"], inp),
        1,
        "expected 4 times",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
