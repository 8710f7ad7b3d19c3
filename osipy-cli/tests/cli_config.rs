//! End to end: YAML configuration files of `osipy dce` and `osipy t1` through the built binary.
//! `--dump-defaults` prints a file that, with its input and output filled in, gives the same
//! maps as the flags; flags override the file; a bad setting in the file is a usage error (exit
//! 2) that names the file and the key, with no output folder.

mod common;

use common::{osipy, scratch};
use std::path::{Path, PathBuf};
use std::process::Output;

use ndarray::{Array2, Array4};
use osipy::io::nifti::{self, OutputType};
use osipy_cli::phantom::geometry;

const DIMS: [usize; 3] = [6, 5, 1];
const NT: usize = 40;
const DT: f64 = 6.0;

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Noise-free extended Tofts concentration, Parker AIF from 12 s, and the truth (ktrans, ve, vp).
fn dce_phantom(dir: &Path) -> (PathBuf, Vec<[f64; 3]>) {
    let t: Vec<f64> = (0..NT).map(|i| i as f64 * DT).collect();
    let cb = osipy::aif::parker(&t, 12.0).expect("parker");
    let cp = osipy::dce::plasma_from_blood(&cb, 0.42).expect("plasma");
    let n = DIMS.iter().product::<usize>();
    let truth: Vec<[f64; 3]> = (0..n)
        .map(|i| {
            let f = i as f64 / n as f64;
            [0.05 + 0.3 * f, 0.1 + 0.4 * (1.0 - f), 0.01 + 0.06 * f]
        })
        .collect();
    let col = |k: usize| truth.iter().map(|p| p[k]).collect::<Vec<f64>>();
    let mut ct = Array2::<f64>::zeros((n, NT));
    osipy::dce::extended_tofts::launch(&t, &cp, &vec![0.0; NT], &col(0), &col(1), &col(2), &mut ct)
        .expect("model");
    let conc: Array4<f64> = ct
        .into_shape_with_order((DIMS[0], DIMS[1], DIMS[2], NT))
        .expect("shape");
    let path = dir.join("conc.nii.gz");
    let like = geometry(DIMS, NT, [2.0, 2.0, 5.0], DT);
    nifti::write(&path, &conc, Some(&like), OutputType::Float64).unwrap_or_else(|e| panic!("{e}"));
    (path, truth)
}

fn map(dir: &Path, name: &str) -> Vec<f64> {
    let img = nifti::read(dir.join(format!("{name}.nii.gz"))).unwrap_or_else(|e| panic!("{name}: {e}"));
    img.data.iter().copied().collect()
}

/// The dumped defaults with some keys given values (the lines `key: ...` replaced).
fn edited_defaults(cmd: &str, set: &[(&str, String)]) -> String {
    let o = osipy(&[cmd, "--dump-defaults"]);
    ok(&o);
    let text = String::from_utf8(o.stdout).expect("utf-8");
    let mut out = String::new();
    for line in text.lines() {
        let key = line.split(':').next().unwrap_or("");
        match set.iter().find(|(k, _)| *k == key) {
            Some((k, v)) => out.push_str(&format!("{k}: {v}\n")),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for (k, _) in set {
        assert!(
            out.contains(&format!("\n{k}: ")),
            "key {k} not in the dumped defaults"
        );
    }
    out
}

#[test]
fn dce_config_gives_the_maps_of_the_flags_and_flags_override_it() {
    let dir = scratch("dce");
    let (input, truth) = dce_phantom(&dir);
    let input_s = input.to_str().unwrap();
    let by_flags = dir.join("by-flags");
    ok(&osipy(&[
        "dce",
        "--input",
        input_s,
        "--out",
        by_flags.to_str().unwrap(),
        "--model",
        "extended_tofts",
        "--aif-delay",
        "12",
        "--quiet",
    ]));
    let by_file = dir.join("by-file");
    let cfg = dir.join("dce.yaml");
    let text = edited_defaults(
        "dce",
        &[
            ("input", input.display().to_string()),
            ("out", by_file.display().to_string()),
            ("aif_delay", "12".into()),
            ("quiet", "true".into()),
        ],
    );
    std::fs::write(&cfg, text).unwrap();
    ok(&osipy(&["dce", "--config", cfg.to_str().unwrap()]));
    // The provenance names the file and its SHA-256 among the inputs.
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(by_file.join("provenance.json")).unwrap()).unwrap();
    let text = prov.to_string();
    assert!(
        text.contains(&format!("\"config\":\"{}\"", cfg.display())),
        "{text}"
    );
    let cfg_hash = osipy_cli::sha256::sha256_hex(&std::fs::read(&cfg).unwrap());
    assert!(
        text.contains(&format!("\"{}\":\"{cfg_hash}\"", cfg.display())),
        "{text}"
    );
    for name in [
        "ktrans",
        "ve",
        "vp",
        "r2",
        "chi2",
        "iterations",
        "status",
        "at_bound",
    ] {
        assert_eq!(map(&by_flags, name), map(&by_file, name), "{name}");
    }
    let k = map(&by_file, "ktrans");
    for (i, p) in truth.iter().enumerate() {
        assert!(
            ((k[i] - p[0]) / p[0]).abs() < 1e-3,
            "voxel {i}: {} vs {}",
            k[i],
            p[0]
        );
    }
    // The command line overrides the file: another model and folder.
    let patlak = dir.join("patlak");
    ok(&osipy(&[
        "dce",
        "--config",
        cfg.to_str().unwrap(),
        "--model",
        "patlak",
        "--out",
        patlak.to_str().unwrap(),
    ]));
    assert!(patlak.join("ps.nii.gz").is_file() && patlak.join("vp.nii.gz").is_file());
    assert!(!patlak.join("ve.nii.gz").exists(), "patlak has no ve map");
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(patlak.join("provenance.json")).unwrap()).unwrap();
    let s = prov.to_string();
    assert!(s.contains("\"patlak\""), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_setting_in_the_file_is_a_usage_error_naming_the_key() {
    let dir = scratch("bad");
    let (input, _) = dce_phantom(&dir);
    let out = dir.join("out");
    let cases: [(&str, &str); 5] = [
        (
            "hct: 1.5\n",
            "key `hct`: expected a haematocrit in [0, 1), found `1.5`",
        ),
        ("modle: tofts\n", "unknown key `modle` for osipy dce"),
        (
            "force: maybe\n",
            "key `force`: expected true or false, found text",
        ),
        (
            "times: [0, 6, oops]\n",
            "key `times`: expected comma-separated times in seconds, found `oops`",
        ),
        ("model: [tofts\n", "expected YAML, found a syntax error"),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let cfg = dir.join(format!("bad{i}.yaml"));
        std::fs::write(&cfg, format!("input: {}\n{body}", input.display())).unwrap();
        let o = osipy(&[
            "dce",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{body}");
        let err = String::from_utf8_lossy(&o.stderr);
        let first = err.lines().next().unwrap_or("");
        assert!(
            first.starts_with(&format!("osipy: --config {}: ", cfg.display())) && first.contains(want),
            "{body}: {err}"
        );
        assert!(!out.exists(), "{body}: output folder written");
    }
    let missing = dir.join("missing.yaml");
    let o = osipy(&["t1", "--config", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(&format!("--config {}: no such file", missing.display()))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn t1_config_with_lists() {
    let dir = scratch("t1");
    let angles = [2.0f64, 5.0, 10.0, 15.0];
    let tr = 0.005;
    let n = 12;
    let t1: Vec<f64> = (0..n).map(|i| 0.4 + 0.15 * i as f64).collect();
    let mut data = Vec::with_capacity(n * angles.len());
    for &t in &t1 {
        let e = (-tr / t).exp();
        for a in angles {
            let a = a.to_radians();
            data.push(1000.0 * a.sin() * (1.0 - e) / (1.0 - a.cos() * e));
        }
    }
    let arr = Array4::from_shape_vec((4, 3, 1, angles.len()), data).unwrap();
    let input = dir.join("vfa.nii.gz");
    let like = geometry([4, 3, 1], angles.len(), [1.0, 1.0, 1.0], 1.0);
    nifti::write(&input, &arr, Some(&like), OutputType::Float64).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("out");
    let cfg = dir.join("t1.yaml");
    let text = edited_defaults(
        "t1",
        &[
            ("input", format!("[{}]", input.display())),
            ("out", out.display().to_string()),
            ("flip_angles", "[2, 5, 10, 15]".into()),
            ("tr", tr.to_string()),
            ("quiet", "true".into()),
        ],
    );
    std::fs::write(&cfg, text).unwrap();
    ok(&osipy(&["t1", "--config", cfg.to_str().unwrap()]));
    let got = map(&out, "t1");
    for (g, t) in got.iter().zip(&t1) {
        assert!(((g - t) / t).abs() < 1e-6, "{g} vs {t}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
