//! The maps of `osipy demo`, one `osipy dce` run (NIfTI input, fitted delay) and one `osipy t1`
//! run, bit for bit as they were before the command became a client of the library pipelines
//! (taken again for the adaptive fit driver; `tests/data/golden-maps/README.md`): the SHA-256 of
//! each decompressed NIfTI file against `tests/data/golden-maps/hashes.txt`.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::{osipy_ok, scratch};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/golden-maps")
}

/// `(file, hash)` of the run `run` in `hashes.txt`.
fn expected(run: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(golden_dir().join("hashes.txt")).expect("hashes.txt");
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (r, f, h) = (it.next()?, it.next()?, it.next()?);
            (r == run).then(|| (f.to_string(), h.to_string()))
        })
        .collect()
}

fn sha256_gunzip(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    common::sha256_hex(&raw)
}

/// Every map the run wrote, and no other, has its golden hash.
fn check(run: &str, out: &Path) {
    let want = expected(run);
    assert!(!want.is_empty(), "no hashes for {run}");
    let mut written: Vec<String> = std::fs::read_dir(out)
        .expect("output folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".nii.gz"))
        .collect();
    written.sort();
    let names: Vec<String> = want.iter().map(|(f, _)| f.clone()).collect();
    assert_eq!(written, names, "{run}: the maps written");
    for (file, hash) in want {
        assert_eq!(sha256_gunzip(&out.join(&file)), hash, "{run}: {file}");
    }
}

#[test]
fn demo_maps_are_the_golden_ones() {
    let dir = scratch("golden-demo");
    let out = dir.join("demo");
    osipy_ok(&["demo", "--out", out.to_str().unwrap(), "--quiet"]);
    check("demo", &out);
}

#[test]
fn dce_maps_with_delay_are_the_golden_ones() {
    let dir = scratch("golden-dce");
    let out = dir.join("dce");
    let input = golden_dir().join("dce_conc.nii.gz");
    osipy_ok(&[
        "dce",
        "--input",
        input.to_str().unwrap(),
        "--delay",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    check("dce", &out);
}

#[test]
fn t1_maps_are_the_golden_ones() {
    let dir = scratch("golden-t1");
    let out = dir.join("t1");
    let input = golden_dir().join("t1_vfa.npy");
    osipy_ok(&[
        "t1",
        "--input",
        input.to_str().unwrap(),
        "--flip-angles",
        "2,5,10,15",
        "--tr",
        "0.005",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    check("t1", &out);
}
