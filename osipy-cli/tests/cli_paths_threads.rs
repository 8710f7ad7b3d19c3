//! End to end: file names that are not UTF-8 (input, mask, sidecar, config, `--out`), `--threads`
//! on every command (the maps do not depend on it), and `osipy demo [MODALITY]`.

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{osipy, scratch, BIN};
use ndarray::{Array2, Array4};
use osipy::io::nifti::{self, OutputType};
use osipy_cli::phantom::geometry;

const DIMS: [usize; 3] = [4, 3, 2];
const NT: usize = 30;
const DT: f64 = 5.0;

fn run(args: &[OsString]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {BIN}: {e}"))
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Noise-free extended Tofts concentration written as NIfTI with its time step.
fn dce_input(path: &Path) {
    let t: Vec<f64> = (0..NT).map(|i| i as f64 * DT).collect();
    let cb = osipy::aif::parker(&t, 10.0).expect("parker");
    let cp = osipy::dce::plasma_from_blood(&cb, 0.42).expect("plasma");
    let n: usize = DIMS.iter().product();
    let k: Vec<f64> = (0..n).map(|i| 0.05 + 0.01 * i as f64).collect();
    let e: Vec<f64> = (0..n).map(|i| 0.2 + 0.01 * i as f64).collect();
    let v: Vec<f64> = vec![0.03; n];
    let mut ct = Array2::<f64>::zeros((n, NT));
    osipy::dce::extended_tofts::launch(&t, &cp, &vec![0.0; NT], &k, &e, &v, &mut ct).expect("model");
    let conc: Array4<f64> = ct
        .into_shape_with_order((DIMS[0], DIMS[1], DIMS[2], NT))
        .expect("shape");
    let like = geometry(DIMS, NT, [1.0, 1.0, 1.0], DT);
    nifti::write(path, &conc, Some(&like), OutputType::Float64).unwrap_or_else(|e| panic!("{e}"));
}

fn read_map(path: &Path) -> Vec<u64> {
    nifti::read(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .data
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

/// A name with a byte that is not UTF-8 (Latin-1 `é`), on Unix; plain elsewhere.
#[cfg(unix)]
fn odd(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    let mut name = stem.as_bytes().to_vec();
    name.push(0xe9);
    name.extend_from_slice(ext.as_bytes());
    dir.join(OsString::from_vec(name))
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_work_for_input_mask_sidecar_config_and_out() {
    let dir = scratch("non-utf8");
    let input = odd(&dir, "conc", ".nii.gz");
    assert!(input.to_str().is_none(), "the name is not UTF-8");
    dce_input(&input);
    // A sidecar beside it is found by its (non-UTF-8) name; its times differ from the header's.
    let times: Vec<f64> = (0..NT).map(|i| i as f64 * DT).collect();
    std::fs::write(
        odd(&dir, "conc", ".json"),
        serde_json::json!({ "FrameTimesStart": times }).to_string(),
    )
    .unwrap();
    let mask = odd(&dir, "mask", ".nii.gz");
    let m = ndarray::Array3::from_shape_fn(
        (DIMS[0], DIMS[1], DIMS[2]),
        |(x, ..)| if x > 0 { 1.0 } else { 0.0 },
    );
    nifti::write(
        &mask,
        &m,
        Some(&geometry(DIMS, 1, [1.0; 3], 1.0)),
        OutputType::Float32,
    )
    .unwrap();
    let config = odd(&dir, "run", ".yaml");
    std::fs::write(&config, "model: tofts\nquiet: true\n").unwrap();
    let out = odd(&dir, "out", "");
    let o = run(&[
        "dce".into(),
        "--input".into(),
        input.clone().into(),
        "--mask".into(),
        mask.into(),
        "--config".into(),
        config.into(),
        "--out".into(),
        out.clone().into(),
    ]);
    ok(&o);
    // The model of the config file, the mask, and the sidecar's times.
    assert!(out.join("ktrans.nii.gz").is_file() && !out.join("vp.nii.gz").exists());
    let status = nifti::read(out.join("status.nii.gz")).unwrap().data;
    assert_eq!(status.iter().filter(|s| **s == 7.0).count(), DIMS[1] * DIMS[2]);
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
    assert!(prov["settings"]["times_source"]
        .as_str()
        .unwrap()
        .contains("FrameTimesStart"));
    // t1 with a non-UTF-8 input list (.npy) and output.
    let vfa = odd(&dir, "vfa", ".npy");
    let fa = [3.0, 10.0, 20.0];
    let data: Vec<f64> = (0..6)
        .flat_map(|i| {
            let e = (-0.005 / (0.8 + 0.1 * i as f64)).exp();
            fa.map(|a: f64| 900.0 * a.to_radians().sin() * (1.0 - e) / (1.0 - a.to_radians().cos() * e))
        })
        .collect();
    common::write_npy(&vfa, &[3, 2, 1, 3], &data);
    let t1_out = odd(&dir, "t1", "");
    ok(&run(&[
        "t1".into(),
        "--input".into(),
        vfa.into(),
        "--flip-angles".into(),
        "3,10,20".into(),
        "--tr".into(),
        "0.005".into(),
        "--out".into(),
        t1_out.clone().into(),
        "--quiet".into(),
    ]));
    let t1 = nifti::read(t1_out.join("t1.nii.gz")).unwrap().data;
    assert!((t1[[2, 1, 0]] - 1.3).abs() < 1e-6, "{}", t1[[2, 1, 0]]);
    // An error names the file as it is (lossily shown), exit 1, no output.
    let missing = odd(&dir, "missing", ".nii.gz");
    let o = run(&[
        "dce".into(),
        "--input".into(),
        missing.into(),
        "--out".into(),
        dir.join("x").into(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing\u{fffd}.nii.gz: no such file"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn threads_do_not_change_the_maps_of_any_command() {
    let dir = scratch("threads");
    let input = dir.join("conc.nii.gz");
    dce_input(&input);
    let i = input.to_str().unwrap();
    let mut maps = Vec::new();
    for n in ["1", "2"] {
        let out = dir.join(format!("dce{n}"));
        let o = osipy(&[
            "dce",
            "--input",
            i,
            "--out",
            out.to_str().unwrap(),
            "--threads",
            n,
            "--delay",
            "--quiet",
        ]);
        ok(&o);
        let prov: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
        assert_eq!(prov["settings"]["threads"], n.parse::<u64>().unwrap());
        maps.push(
            ["ktrans", "ve", "vp", "delay", "chi2", "status"]
                .map(|m| read_map(&out.join(format!("{m}.nii.gz")))),
        );
    }
    assert_eq!(maps[0], maps[1]);
    let mut demo = Vec::new();
    for n in ["1", "2"] {
        let out = dir.join(format!("demo{n}"));
        ok(&osipy(&[
            "demo",
            "--size",
            "small",
            "--out",
            out.to_str().unwrap(),
            "--threads",
            n,
            "--quiet",
        ]));
        demo.push(read_map(&out.join("ktrans.nii.gz")));
    }
    assert_eq!(demo[0], demo[1]);
    let out = dir.join("t1");
    let o = osipy(&[
        "t1",
        "--input",
        i,
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("--threads: expected a number of threads >= 1, found `0`"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_names_its_modality() {
    let dir = scratch("demo-modality");
    let out = dir.join("d");
    ok(&osipy(&[
        "demo",
        "dce",
        "--size",
        "small",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]));
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
    assert_eq!(prov["settings"]["modality"], "dce");
    let o = osipy(&["demo", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected dce, dsc, asl or ivim, found `nope`"));
    let o = osipy(&["demo", "--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("[MODALITY]"));
    let _ = std::fs::remove_dir_all(&dir);
}
