//! End to end: the `osipy` binary's `dce` command on a small noise-free extended Tofts
//! phantom (8x8x2 voxels x 60 frames, Parker AIF) written as NIfTI with a BIDS sidecar and as
//! `.npy`: maps against the truth, every output file, and each input error once (exit code,
//! one-line message naming the flag or file, no output folder).

mod common;

use common::{osipy, scratch, write_npy};
use std::path::Path;

use ndarray::{Array2, Array3, Array4};
use osipy::io::nifti::{self, OutputType};
use osipy_cli::phantom::geometry;

const DIMS: [usize; 3] = [8, 8, 2];
const NT: usize = 60;
const DT: f64 = 5.0;
const AIF_DELAY: f64 = 20.0;

struct Truth {
    conc: Array4<f64>,
    params: [Array3<f64>; 3],
}

/// Noise-free extended Tofts curves with smooth parameter gradients.
fn phantom() -> Truth {
    phantom_with(osipy::dce::AifInterpolation::Linear)
}

/// [`phantom`] with the AIF taken between its samples as `how` says.
fn phantom_with(how: osipy::dce::AifInterpolation) -> Truth {
    let t: Vec<f64> = (0..NT).map(|i| i as f64 * DT).collect();
    let cb = osipy::aif::parker(&t, AIF_DELAY).expect("parker");
    let cp = osipy::dce::plasma_from_blood(&cb, 0.42).expect("plasma");
    let [nx, ny, nz] = DIMS;
    let k = Array3::from_shape_fn((nx, ny, nz), |(x, _, z)| 0.05 + 0.03 * x as f64 + 0.02 * z as f64);
    let e = Array3::from_shape_fn((nx, ny, nz), |(_, y, _)| 0.15 + 0.04 * y as f64);
    let v = Array3::from_shape_fn((nx, ny, nz), |(x, y, _)| 0.02 + 0.005 * ((x + y) % 5) as f64);
    let n = nx * ny * nz;
    let flat = |a: &Array3<f64>| a.iter().copied().collect::<Vec<f64>>();
    let mut ct = Array2::<f64>::zeros((n, NT));
    let cp2 = osipy::dce::plasma_curvature(&t, &cp, how).expect("curvature");
    osipy::dce::extended_tofts::launch(&t, &cp, &cp2, &flat(&k), &flat(&e), &flat(&v), &mut ct)
        .expect("model");
    let conc = ct.into_shape_with_order((nx, ny, nz, NT)).expect("shape");
    Truth {
        conc,
        params: [k, e, v],
    }
}

fn write_nifti(path: &Path, data: &Array4<f64>) {
    let like = geometry(DIMS, NT, [1.5, 1.5, 4.0], DT);
    nifti::write(path, data, Some(&like), OutputType::Float64).unwrap_or_else(|e| panic!("{e}"));
}

fn sidecar(path: &Path) {
    let times: Vec<f64> = (0..NT).map(|i| i as f64 * DT).collect();
    let text =
        serde_json::json!({"FrameTimesStart": times, "FlipAngle": 20.0, "RepetitionTimeExcitation": 0.004});
    std::fs::write(path, text.to_string()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn check_maps(out: &Path, truth: &Truth, tol: f64) {
    for (k, name) in ["ktrans", "ve", "vp"].iter().enumerate() {
        let m = nifti::read(out.join(format!("{name}.nii.gz"))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.shape()[..3], DIMS[..]);
        let mut worst = 0.0f64;
        for (f, t) in m.data.iter().zip(truth.params[k].iter()) {
            worst = worst.max(((f - t) / t).abs());
        }
        assert!(worst < tol, "{name}: worst relative error {worst}");
    }
}

const FILES: [&str; 18] = [
    "ktrans.nii.gz",
    "ve.nii.gz",
    "vp.nii.gz",
    "r2.nii.gz",
    "chi2.nii.gz",
    "iterations.nii.gz",
    "status.nii.gz",
    "at_bound.nii.gz",
    "mask.nii.gz",
    "aif.csv",
    "fig_ktrans.png",
    "fig_ve.png",
    "fig_vp.png",
    "fig_r2.png",
    "fig_aif.png",
    "fig_voxel_fits.png",
    "provenance.json",
    "report.md",
];

#[test]
fn nifti_with_sidecar_recovers_the_truth() {
    let dir = scratch("nifti");
    let truth = phantom();
    let input = dir.join("conc.nii.gz");
    write_nifti(&input, &truth.conc);
    sidecar(&dir.join("conc.json"));
    let out = dir.join("out");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    let r = osipy(&[
        "dce",
        "--input",
        i,
        "--out",
        o,
        "--aif",
        "parker",
        "--aif-delay",
        "20",
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    for f in FILES {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    check_maps(&out, &truth, 5e-3);
    let input_img = nifti::read(&input).unwrap_or_else(|e| panic!("{e}"));
    let k = nifti::read(out.join("ktrans.nii.gz")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(k.affine, input_img.affine);
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
    assert!(prov["settings"]["times_source"]
        .as_str()
        .unwrap()
        .contains("FrameTimesStart"));
    assert_eq!(prov["settings"]["model"], "extended_tofts");
    assert_eq!(prov["inputs_sha256"].as_object().unwrap().len(), 2);
    assert_eq!(prov["mask_voxels"], 128);
    // The folder is protected, and --force replaces it.
    let r = osipy(&["dce", "--input", i, "--out", o, "--quiet"]);
    assert_eq!(r.status.code(), Some(3));
    let r = osipy(&[
        "dce", "--input", i, "--out", o, "--quiet", "--force", "--model", "tofts", "--dt", "5",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(out.join("ktrans.nii.gz").is_file() && !out.join("vp.nii.gz").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn npy_input_with_dt() {
    let dir = scratch("npy");
    let truth = phantom();
    let input = dir.join("conc.npy");
    write_npy(&input, truth.conc.shape(), truth.conc.as_slice().unwrap());
    let out = dir.join("out");
    let r = osipy(&[
        "dce",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--dt",
        "5",
        "--aif-delay",
        "20",
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    check_maps(&out, &truth, 5e-3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `args` (with `--out` appended), expects exit `code`, a message containing `needle`,
/// and no output folder.
#[test]
fn spline_aif_recovers_a_spline_phantom() {
    // Curves made with the spline AIF: recovered with --aif-interp spline, and recorded.
    let dir = scratch("spline");
    let truth = phantom_with(osipy::dce::AifInterpolation::Spline);
    let input = dir.join("conc.npy");
    write_npy(&input, truth.conc.shape(), truth.conc.as_slice().unwrap());
    let out = dir.join("out");
    let r = osipy(&[
        "dce",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--dt",
        "5",
        "--aif-delay",
        "20",
        "--aif-interp",
        "spline",
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    check_maps(&out, &truth, 1e-3);
    let prov = std::fs::read_to_string(out.join("provenance.json")).unwrap();
    assert!(
        prov.contains("\"aif_interpolation\": \"spline\"")
            || prov.contains("\"aif_interpolation\":\"spline\""),
        "{prov}"
    );
    // The same data read with straight lines between the AIF samples fit less well.
    let lin = dir.join("linear");
    let r = osipy(&[
        "dce",
        "--input",
        input.to_str().unwrap(),
        "--out",
        lin.to_str().unwrap(),
        "--dt",
        "5",
        "--aif-delay",
        "20",
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let chi2 = |d: &Path| -> f64 {
        let m = nifti::read(d.join("chi2.nii.gz")).unwrap_or_else(|e| panic!("{e}"));
        m.data.iter().sum()
    };
    assert!(
        chi2(&out) < 1e-3 * chi2(&lin),
        "spline {} vs linear {}",
        chi2(&out),
        chi2(&lin)
    );
    let r = osipy(&["dce", "--input", "x.npy", "--out", "o", "--aif-interp", "cubic"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("--aif-interp: expected linear or spline, found `cubic`")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn fails(dir: &Path, args: &[&str], code: i32, needle: &str) {
    let out = dir.join("out");
    let mut all: Vec<&str> = vec!["dce"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().unwrap(), "--quiet"]);
    let r = osipy(&all);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: expected `{needle}` in {err}");
    assert!(err.starts_with("osipy: "), "{err}");
    assert!(!out.exists(), "{args:?}: output folder left behind");
}

#[test]
fn errors_name_the_flag_and_leave_no_output() {
    let dir = scratch("errors");
    let truth = phantom();
    let good = dir.join("conc.nii.gz");
    write_nifti(&good, &truth.conc);
    let g = good.to_str().unwrap();
    // Missing file.
    let missing = dir.join("nope.nii.gz");
    fails(&dir, &["--input", missing.to_str().unwrap()], 1, "no such file");
    // Wrong dimensionality.
    let three = dir.join("three.nii.gz");
    nifti::write(&three, &truth.params[0], None, OutputType::Float32).unwrap();
    fails(
        &dir,
        &["--input", three.to_str().unwrap()],
        1,
        "expected a 4-D series",
    );
    // Mask shape mismatch.
    let mask = dir.join("mask.nii.gz");
    nifti::write(&mask, &Array3::<f64>::ones((4, 4, 2)), None, OutputType::Float32).unwrap();
    fails(
        &dir,
        &["--input", g, "--mask", mask.to_str().unwrap()],
        1,
        "--mask",
    );
    // Time axis length mismatch, non-monotonic times.
    fails(&dir, &["--input", g, "--times", "0,1,2"], 1, "expected 60 times");
    let mut times: Vec<String> = (0..NT).map(|i| (i as f64 * DT).to_string()).collect();
    times.swap(3, 4);
    fails(
        &dir,
        &["--input", g, "--times", &times.join(",")],
        1,
        "strictly increasing",
    );
    // Truncated input.
    let bytes = std::fs::read(&good).unwrap();
    let trunc = dir.join("trunc.nii.gz");
    std::fs::write(&trunc, &bytes[..bytes.len() / 2]).unwrap();
    fails(&dir, &["--input", trunc.to_str().unwrap()], 1, "--input");
    // All-NaN data.
    let nan = dir.join("nan.nii.gz");
    write_nifti(&nan, &Array4::from_elem((8, 8, 2, NT), f64::NAN));
    fails(&dir, &["--input", nan.to_str().unwrap()], 1, "NaN");
    // Unknown model and AIF.
    fails(&dir, &["--input", g, "--model", "tofu"], 2, "--model");
    fails(&dir, &["--input", g, "--aif", "banana"], 2, "--aif");
    // Signal input without its acquisition settings.
    fails(&dir, &["--input", g, "--kind", "signal"], 2, "--flip-angle");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spgr_signal_with_sidecar_settings() {
    let dir = scratch("signal");
    let truth = phantom();
    let (fa, tr, t10, r1) = (20f64.to_radians(), 0.004, 1.4, 4.5);
    let signal = truth.conc.mapv(|c| {
        let e = (-tr * (1.0 / t10 + r1 * c)).exp();
        1000.0 * fa.sin() * (1.0 - e) / (1.0 - fa.cos() * e)
    });
    let input = dir.join("signal.nii.gz");
    write_nifti(&input, &signal);
    sidecar(&dir.join("signal.json"));
    let out = dir.join("out");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    let r = osipy(&[
        "dce",
        "--input",
        i,
        "--out",
        o,
        "--kind",
        "signal",
        "--t1",
        "1.4",
        "--relaxivity",
        "4.5",
        // Parker's curve is already non-zero at its arrival time (frame 4).
        "--baseline",
        "4",
        "--aif-delay",
        "20",
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    check_maps(&out, &truth, 5e-3);
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
    assert_eq!(prov["settings"]["flip_angle_deg"], 20.0);
    assert_eq!(prov["settings"]["tr_s"], 0.004);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn csv_aif_and_fitted_delay() {
    let dir = scratch("csvaif");
    let truth = phantom();
    let input = dir.join("conc.nii.gz");
    write_nifti(&input, &truth.conc);
    // The measured (blood) AIF as a one-column CSV with a header.
    let t: Vec<f64> = (0..NT).map(|i| i as f64 * DT).collect();
    let cb = osipy::aif::parker(&t, AIF_DELAY).unwrap();
    let csv: String = std::iter::once("aif_mM".to_string())
        .chain(cb.iter().map(|c| c.to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    let aif = dir.join("aif.csv");
    std::fs::write(&aif, csv).unwrap();
    let out = dir.join("out");
    let (i, o, a) = (
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        aif.to_str().unwrap(),
    );
    let r = osipy(&["dce", "--input", i, "--out", o, "--aif", a, "--quiet"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    check_maps(&out, &truth, 5e-3);
    // A population AIF one frame (5 s) early: the delay model finds the 5 s (a whole-frame
    // shift of the sampled curve is exact).
    let out2 = dir.join("out2");
    let r = osipy(&[
        "dce",
        "--input",
        i,
        "--out",
        out2.to_str().unwrap(),
        "--aif-delay",
        "15",
        "--delay",
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let d = nifti::read(out2.join("delay.nii.gz")).unwrap_or_else(|e| panic!("{e}"));
    for v in d.data.iter() {
        assert!((v - 5.0).abs() < 1e-3, "delay {v}");
    }
    check_maps(&out2, &truth, 5e-3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn emulator_matches_cpu_on_two_voxels() {
    let dir = scratch("emulator");
    let truth = phantom();
    let input = dir.join("conc.nii.gz");
    write_nifti(&input, &truth.conc);
    let mut m = Array3::<f64>::zeros((8, 8, 2));
    m[[1, 2, 0]] = 1.0;
    m[[6, 5, 1]] = 1.0;
    let mask = dir.join("mask.nii.gz");
    nifti::write(&mask, &m, None, OutputType::Float32).unwrap();
    let i = input.to_str().unwrap();
    let mut maps = Vec::new();
    for dev in ["cpu", "emulator"] {
        let out = dir.join(dev);
        let r = osipy(&[
            "dce",
            "--input",
            i,
            "--out",
            out.to_str().unwrap(),
            "--mask",
            mask.to_str().unwrap(),
            "--dt",
            "5",
            "--aif-delay",
            "20",
            "--device",
            dev,
            "--quiet",
        ]);
        assert_eq!(
            r.status.code(),
            Some(0),
            "{dev}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        maps.push(std::fs::read(out.join("ktrans.nii.gz")).unwrap());
        maps.push(std::fs::read(out.join("chi2.nii.gz")).unwrap());
    }
    assert_eq!(maps[0], maps[2], "ktrans differs between CPU and emulator");
    assert_eq!(maps[1], maps[3], "chi2 differs between CPU and emulator");
    let _ = std::fs::remove_dir_all(&dir);
}
