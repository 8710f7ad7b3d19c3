//! End to end: the `osipy` binary's `asl` command and `osipy demo asl`.
//!
//! - The demo's BIDS phantom, noise-free, against its truth (multi-PLD CBF and ATT with a
//!   separate M0 scan at short TR and slice timing; single-PLD CBF with an included M0);
//!   every output file; provenance.
//! - A `.npy` ΔM series with every setting from flags, against the white paper's equation.
//! - Input errors: exit code, one line naming the flag, file or key, no output folder.

mod common;

use common::{osipy, osipy_ok, scratch, write_npy};
use std::path::Path;

use ndarray::ArrayD;
use osipy::io::nifti;

fn read(out: &Path, name: &str) -> ArrayD<f64> {
    nifti::read(out.join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .data
}

#[test]
fn demo_asl_recovers_the_phantom_and_writes_every_file() {
    let dir = scratch("demo");
    let out = dir.join("demo");
    let o = out.display().to_string();
    let r = osipy_ok(&["demo", "asl", "--size", "small", "--noise", "0", "--out", &o]);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("osipy demo asl: 720 voxels"), "{text}");
    let regions = read(&out, "regions.nii.gz");
    let truth = [(60.0, 1.0), (25.0, 1.4), (45.0, 2.0)];
    let multi = out.join("multi-pld");
    let single = out.join("single-pld");
    let (cbf, att, status) = (
        read(&multi, "cbf.nii.gz"),
        read(&multi, "att.nii.gz"),
        read(&multi, "status.nii.gz"),
    );
    let cbf1 = read(&single, "cbf.nii.gz");
    let mut n = 0;
    for ((i, r), c) in regions.indexed_iter().zip(cbf.iter()) {
        if *r == 0.0 {
            assert!(c.is_nan());
            continue;
        }
        let (tc, ta) = truth[*r as usize - 1];
        // Maps are float32 files: 1e-6 relative.
        assert!((c / tc - 1.0).abs() < 1e-6, "{i:?}: cbf {c} vs {tc}");
        assert!(
            (att[&i] / ta - 1.0).abs() < 1e-6,
            "{i:?}: att {} vs {ta}",
            att[&i]
        );
        assert!(
            (cbf1[&i] / tc - 1.0).abs() < 1e-6,
            "{i:?}: single cbf {} vs {tc}",
            cbf1[&i]
        );
        assert_eq!(status[&i], 1.0);
        n += 1;
    }
    assert_eq!(n, 720);
    for f in [
        "cbf.nii.gz",
        "att.nii.gz",
        "m0.nii.gz",
        "status.nii.gz",
        "r2.nii.gz",
        "chi2.nii.gz",
        "iterations.nii.gz",
        "mask.nii.gz",
        "fig_cbf.png",
        "fig_att.png",
        "fig_delta_m.png",
        "delta_m.csv",
        "provenance.json",
        "report.md",
    ] {
        assert!(multi.join(f).is_file(), "multi-pld/{f}");
    }
    assert!(!single.join("att.nii.gz").exists());
    // The M0 scan at TR 6 s corrected back to 1000.
    let m0 = read(&multi, "m0.nii.gz");
    assert!((m0[[8, 8, 1]] - 1000.0).abs() < 1e-3, "{}", m0[[8, 8, 1]]);
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(multi.join("provenance.json")).unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(prov["settings"]["labelling"], "PCASL");
    assert_eq!(prov["settings"]["m0_tr_s"], 6.0);
    assert_eq!(prov["settings"]["slice_timing_s"][1], 0.04);
    assert_eq!(prov["status_counts"]["ok"], 720);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn npy_delta_m_with_flags_matches_the_white_paper() {
    let dir = scratch("npy");
    let input = dir.join("dm.npy");
    // 2 x 1 x 1 voxels x 3 repeats of one PLD.
    write_npy(&input, &[2, 1, 1, 3], &[10.0, 10.0, 10.0, 5.0, 5.0, 5.0]);
    let out = dir.join("out");
    osipy_ok(&[
        "asl",
        "--input",
        input.to_str().unwrap_or_default(),
        "--labelling",
        "pasl",
        "--pld",
        "1.8",
        "--tau",
        "0.8",
        "--m0",
        "1000",
        "--t1-blood",
        "1.65",
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    let cbf = read(&out, "cbf.nii.gz");
    // 6000 x 0.9 x 10 x exp(1.8/1.65) / (2 x 0.98 x 0.8 x 1000), computed apart.
    assert!((cbf[[0, 0, 0]] / 102.52351793668906 - 1.0).abs() < 1e-6);
    assert!((cbf[[1, 0, 0]] / (102.52351793668906 / 2.0) - 1.0).abs() < 1e-6);
    // An m0scan volume in the series, acquired at TR 3 s (the series' sidecar), corrected.
    let input = dir.join("sub-2_asl.npy");
    write_npy(&input, &[1, 1, 1, 3], &[800.0, 1000.0, 990.0]);
    std::fs::write(
        dir.join("sub-2_aslcontext.tsv"),
        "volume_type\nm0scan\ncontrol\nlabel\n",
    )
    .unwrap_or_default();
    std::fs::write(
        dir.join("sub-2_asl.json"),
        r#"{"ArterialSpinLabelingType": "PCASL", "PostLabelingDelay": 1.8, "LabelingDuration": 1.8,
            "M0Type": "Included", "RepetitionTimePreparation": 3.0}"#,
    )
    .unwrap_or_default();
    let out = dir.join("out2");
    osipy_ok(&[
        "asl",
        "--input",
        input.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    let m0 = read(&out, "m0.nii.gz")[[0, 0, 0]];
    let want = 800.0 / (1.0 - (-3.0f64 / 1.33).exp());
    assert!((m0 / want - 1.0).abs() < 1e-6, "{m0} vs {want}");
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
fn errors_name_the_file_and_key_and_leave_no_output() {
    let dir = scratch("err");
    let input = dir.join("sub-1_asl.npy");
    write_npy(
        &input,
        &[2, 1, 1, 4],
        &[1000.0, 990.0, 1000.0, 990.0, 1000.0, 992.0, 1000.0, 992.0],
    );
    let inp = input.to_str().unwrap_or_default();
    let ctx = dir.join("sub-1_aslcontext.tsv");
    let sc = dir.join("sub-1_asl.json");
    let base = ["asl", "--input", inp, "--m0", "1000"];
    let with =
        |extra: &[&'static str]| -> Vec<&str> { base.iter().copied().chain(extra.iter().copied()).collect() };
    std::fs::write(&sc, r#"{"ArterialSpinLabelingType": "PCASL", "PostLabelingDelay": [1.8, 1.8, 1.8], "LabelingDuration": 1.8}"#)
        .unwrap_or_default();
    std::fs::write(&ctx, "volume_type\ncontrol\nlabel\ncontrol\nlabel\n").unwrap_or_default();
    // PLD list of the wrong length: the sidecar key.
    fails(
        &dir,
        &with(&[]),
        1,
        "key PostLabelingDelay: expected one value or one per volume (4), found 3",
    );
    std::fs::write(
        &sc,
        r#"{"ArterialSpinLabelingType": "PCASL", "PostLabelingDelay": 1.8, "LabelingDuration": 1.8}"#,
    )
    .unwrap_or_default();
    // Context rows differ from the volumes: the file.
    std::fs::write(&ctx, "volume_type\ncontrol\nlabel\n").unwrap_or_default();
    fails(
        &dir,
        &with(&[]),
        1,
        "sub-1_aslcontext.tsv: expected one row per volume of the series (4), found 2",
    );
    // Unknown volume type.
    std::fs::write(&ctx, "volume_type\ncontrol\nlabel\ncontrol\ntag\n").unwrap_or_default();
    fails(&dir, &with(&[]), 1, "column `volume_type`");
    // Label without control.
    std::fs::write(&ctx, "volume_type\nlabel\nlabel\ncontrol\ncontrol\n").unwrap_or_default();
    fails(&dir, &with(&[]), 1, "control volume next to the label volume 0");
    // Missing M0 with no fallback.
    std::fs::write(&ctx, "volume_type\ncontrol\nlabel\ncontrol\nlabel\n").unwrap_or_default();
    fails(&dir, &["asl", "--input", inp], 1, "no M0: give --m0");
    // Milliseconds for seconds; an unknown labelling.
    fails(&dir, &with(&["--pld", "1800"]), 2, "milliseconds?");
    fails(
        &dir,
        &with(&["--labelling", "fair"]),
        2,
        "expected pcasl, casl or pasl",
    );
    // Works once all is well; a NaN voxel is a status, not an error.
    write_npy(
        &input,
        &[2, 1, 1, 4],
        &[1000.0, 990.0, 1000.0, 990.0, f64::NAN, 992.0, 1000.0, 992.0],
    );
    let out = dir.join("ok");
    osipy_ok(
        &[
            &with(&[])[..],
            &["--out", out.to_str().unwrap_or_default(), "--quiet"],
        ]
        .concat(),
    );
    let st = read(&out, "status.nii.gz");
    assert_eq!(st[[0, 0, 0]], 1.0);
    let cbf = read(&out, "cbf.nii.gz");
    assert!(cbf[[0, 0, 0]] > 0.0 && cbf[[1, 0, 0]].is_nan());
    let _ = std::fs::remove_dir_all(&dir);
}
