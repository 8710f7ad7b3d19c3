//! End to end: the `osipy` binary's `dsc` command and `osipy demo dsc`.
//!
//! - The OSIPI DSC DRO in its NIfTI form (`tests/data/osipi/history_69c5d84`, 14 signal series
//!   of 2 x 2 x 1 voxels x 161 frames, `aif.nii` an arterial signal with its own κ) through the
//!   command from signal, with the DRO's values (TE 29 ms, TR 1.243 s, κ tissue 106.8595,
//!   κ arterial 7.0281, density and kH 1), against the code collection's tolerances (CBV atol
//!   1 + rtol 0.1, CBF atol 15 + rtol 0.1): grey matter voxel (0, 0) with CBV 4 and the file's
//!   CBF, white matter voxels (1, 0) and (1, 1) with CBV 2 and half of it.
//! - The demo phantom against its truth; every output file; provenance.
//! - Input errors: exit code, one line naming the flag or file, no output folder.

mod common;

use common::{osipy, osipy_ok, scratch, write_npy};
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use osipy::io::nifti;

fn dro_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/osipi/history_69c5d84/test/DSCmodels/data")
}

fn read(out: &Path, name: &str) -> ArrayD<f64> {
    nifti::read(out.join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .data
}

fn close(got: f64, want: f64, atol: f64, rtol: f64) -> bool {
    (got - want).abs() <= atol + rtol * want.abs()
}

/// `(passed, failures)` over the 14 series x 3 voxels for `method`.
fn dro(method: &str) -> (usize, Vec<String>) {
    let dir = scratch(&format!("dro-{method}"));
    let data = dro_dir();
    let aif = data.join("aif.nii");
    let mut passed = 0;
    let mut failures = Vec::new();
    for lambda in [1, 5] {
        for cbf in [10, 20, 30, 40, 50, 60, 70] {
            let name = format!(
                "St_disp_0_exponential_lvl_high_delay_0_lvl_high_resfunc_gamma_dist_lambda_{lambda}_cbf_{cbf}.nii"
            );
            let out = dir.join(format!("{lambda}_{cbf}"));
            let input = data.join(&name);
            osipy_ok(&[
                "dsc",
                "--input",
                input.to_str().unwrap_or_default(),
                "--aif",
                aif.to_str().unwrap_or_default(),
                "--te",
                "0.029",
                "--tr",
                "1.243",
                "--kappa-tissue",
                "106.8595",
                "--kappa-arterial",
                "7.0281",
                "--density",
                "1",
                "--kh",
                "1",
                "--method",
                method,
                "--out",
                out.to_str().unwrap_or_default(),
                "--quiet",
            ]);
            let (f, v) = (read(&out, "cbf.nii.gz"), read(&out, "cbv.nii.gz"));
            let cbf = f64::from(cbf);
            for (x, y, want_v, want_f) in [(0, 0, 4.0, cbf), (1, 0, 2.0, cbf / 2.0), (1, 1, 2.0, cbf / 2.0)] {
                let (gf, gv) = (f[[x, y, 0]], v[[x, y, 0]]);
                if close(gv, want_v, 1.0, 0.1) && close(gf, want_f, 15.0, 0.1) {
                    passed += 1;
                } else {
                    failures.push(format!(
                        "lambda {lambda} cbf {cbf} voxel ({x}, {y}): CBV {gv:.3} (want {want_v}) CBF {gf:.2} (want {want_f})"
                    ));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    (passed, failures)
}

/// The only cases out of tolerance are grey-matter CBV of the exponential residues (lambda 1)
/// at high flow: there the curves' own area ratio (CBV needs no deconvolution) is 5.3-5.8
/// against the stated 4, whatever the method.
fn check_dro(method: &str) {
    let (passed, failures) = dro(method);
    println!("{method}: {passed}/42\n{}", failures.join("\n"));
    assert!(passed >= 38, "{method}: {passed}/42\n{}", failures.join("\n"));
    for f in &failures {
        assert!(
            f.starts_with("lambda 1") && f.contains("voxel (0, 0)"),
            "{method}: {f}"
        );
    }
}

#[test]
fn osipi_dro_nifti_osvd() {
    check_dro("osvd");
}

#[test]
fn osipi_dro_nifti_csvd() {
    check_dro("csvd");
}

#[test]
fn demo_dsc_recovers_the_phantom() {
    let dir = scratch("demo");
    let out = dir.join("demo");
    let r = osipy_ok(&[
        "demo",
        "dsc",
        "--size",
        "small",
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("AIF: 4 voxels, 4 in the artery"), "{text}");
    for f in [
        "phantom_signal.nii.gz",
        "regions.nii.gz",
        "truth_cbf.nii.gz",
        "cbf.nii.gz",
        "cbv.nii.gz",
        "mtt.nii.gz",
        "ttp.nii.gz",
        "tmax.nii.gz",
        "k2.nii.gz",
        "cbv_uncorrected.nii.gz",
        "r2.nii.gz",
        "status.nii.gz",
        "components.nii.gz",
        "mask.nii.gz",
        "aif.csv",
        "fig_cbf.png",
        "fig_aif.png",
        "provenance.json",
        "report.md",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // Medians per region against the truth: CBV within 10 % (the lesion's after BSW
    // correction), CBF within 35 % (oSVD's truncation, the documented bias).
    let regions = read(&out, "regions.nii.gz");
    let (cbf, cbv) = (read(&out, "cbf.nii.gz"), read(&out, "cbv.nii.gz"));
    let med = |m: &ArrayD<f64>, r: f64| {
        let mut v: Vec<f64> = m
            .iter()
            .zip(regions.iter())
            .filter(|(x, rr)| **rr == r && x.is_finite())
            .map(|(x, _)| *x)
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (r, f, v, tol_v) in [
        (1.0, 60.0, 4.0, 0.1),
        (2.0, 25.0, 2.0, 0.1),
        (3.0, 70.0, 5.5, 0.1),
    ] {
        let (gf, gv) = (med(&cbf, r), med(&cbv, r));
        assert!((gv / v - 1.0).abs() < tol_v, "region {r}: cbv {gv} vs {v}");
        assert!((gf / f - 1.0).abs() < 0.35, "region {r}: cbf {gf} vs {f}");
    }
    // BSW: the lesion leaks (K2 well above the normal tissue's), and its corrected CBV is
    // closer to the truth than the uncorrected one.
    let k2 = read(&out, "k2.nii.gz");
    assert!(
        med(&k2, 3.0) > 3.0 * med(&k2, 1.0).abs().max(med(&k2, 2.0).abs()),
        "k2 {} {} {}",
        med(&k2, 3.0),
        med(&k2, 1.0),
        med(&k2, 2.0)
    );
    let unc = read(&out, "cbv_uncorrected.nii.gz");
    assert!((med(&cbv, 3.0) - 5.5).abs() < (med(&unc, 3.0) - 5.5).abs());
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(prov["analysis"]["method"], "osvd");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concentration_npy_with_a_concentration_aif() {
    // 2 x 1 x 1 voxels of concentration and the AIF as a one-column CSV, frames 1 s apart.
    let dir = scratch("npy");
    let nt = 60;
    let aif: Vec<f64> = (0..nt)
        .map(|k| {
            let s = k as f64 - 8.0;
            if s > 0.0 {
                5.0 * (s / 4.0).powi(3) * (3.0 - 3.0 * s / 4.0).exp()
            } else {
                0.0
            }
        })
        .collect();
    let f = 50.0 / 6000.0;
    let mut data = Vec::new();
    for scale in [1.0, 0.5] {
        for k in 0..nt {
            let c: f64 = (0..=k)
                .map(|j| aif[j] * f * scale * (-((k - j) as f64) / 4.0).exp())
                .sum();
            data.push(c);
        }
    }
    let input = dir.join("conc.npy");
    write_npy(&input, &[2, 1, 1, nt], &data);
    let aif_path = dir.join("aif.csv");
    let text: String = aif.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(&aif_path, text).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("out");
    osipy_ok(&[
        "dsc",
        "--input",
        input.to_str().unwrap_or_default(),
        "--input-kind",
        "concentration",
        "--aif",
        aif_path.to_str().unwrap_or_default(),
        "--tr",
        "1",
        "--method",
        "ssvd",
        "--density",
        "1",
        "--kh",
        "1",
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    let cbv = read(&out, "cbv.nii.gz");
    // CBV = F MTT (the rectangle sum of the data) = 50 / 6000 x 4 s ... in ml/100 ml: 100 F
    // sum(exp(-k/4)) = about 3.5 for the first voxel, half for the second.
    assert!((cbv[[1, 0, 0]] / cbv[[0, 0, 0]] - 0.5).abs() < 1e-9);
    assert!(cbv[[0, 0, 0]] > 3.0 && cbv[[0, 0, 0]] < 3.8, "{}", cbv[[0, 0, 0]]);
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
}

#[test]
fn errors_name_the_flag_and_leave_no_output() {
    let dir = scratch("err");
    let data = dro_dir();
    let input =
        data.join("St_disp_0_exponential_lvl_high_delay_0_lvl_high_resfunc_gamma_dist_lambda_5_cbf_30.nii");
    let inp = input.to_str().unwrap_or_default();
    let aif = data.join("aif.nii");
    let aif_s = aif.to_str().unwrap_or_default();
    // TE in milliseconds: a usage error with the hint.
    fails(
        &dir,
        &["dsc", "--input", inp, "--te", "29", "--tr", "1.243"],
        2,
        "milliseconds?",
    );
    // No TE at all for a signal input.
    fails(&dir, &["dsc", "--input", inp, "--tr", "1.243"], 1, "--te");
    // Uneven frame times.
    let mut times: Vec<String> = (0..161).map(|k| format!("{}", 1.243 * k as f64)).collect();
    times[50] = "62.5".into();
    let t = times.join(",");
    fails(
        &dir,
        &["dsc", "--input", inp, "--te", "0.029", "--times", &t],
        1,
        "evenly spaced",
    );
    // A flat AIF file.
    let flat = dir.join("flat.csv");
    std::fs::write(&flat, "0\n".repeat(161)).unwrap_or_else(|e| panic!("{e}"));
    fails(
        &dir,
        &[
            "dsc",
            "--input",
            inp,
            "--te",
            "0.029",
            "--tr",
            "1.243",
            "--aif",
            flat.to_str().unwrap_or_default(),
            "--aif-kind",
            "concentration",
        ],
        1,
        "aif",
    );
    // An AIF of the wrong length.
    let short = dir.join("short.csv");
    std::fs::write(&short, "1\n".repeat(100)).unwrap_or_else(|e| panic!("{e}"));
    fails(
        &dir,
        &[
            "dsc",
            "--input",
            inp,
            "--te",
            "0.029",
            "--tr",
            "1.243",
            "--aif",
            short.to_str().unwrap_or_default(),
        ],
        1,
        "expected 161 finite values",
    );
    // A bad method and a bad leakage name.
    fails(
        &dir,
        &["dsc", "--input", inp, "--te", "0.029", "--method", "fft"],
        2,
        "--method",
    );
    fails(
        &dir,
        &["dsc", "--input", inp, "--te", "0.029", "--leakage", "yes"],
        2,
        "--leakage",
    );
    // A missing input.
    fails(
        &dir,
        &[
            "dsc",
            "--input",
            "/nonexistent/x.nii",
            "--te",
            "0.029",
            "--tr",
            "1",
        ],
        1,
        "--input",
    );
    // A threshold out of range.
    fails(
        &dir,
        &[
            "dsc",
            "--input",
            inp,
            "--te",
            "0.029",
            "--aif",
            aif_s,
            "--threshold",
            "2",
        ],
        2,
        "--threshold",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
