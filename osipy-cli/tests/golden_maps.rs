//! The maps of `osipy demo`, two `osipy dce` runs (NIfTI input, fitted delay; the default
//! mask and `--mask all`) and one `osipy t1` run, bit for bit as they were before the command became a client of the library pipelines
//! (taken again for the adaptive fit driver; `tests/data/golden-maps/README.md`): the SHA-256 of
//! each decompressed NIfTI file against `tests/data/golden-maps/hashes.txt`.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::{osipy_ok, scratch};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/golden-maps")
}

/// `(file, hash)` of the run `run` in `file`.
fn expected(file: &str, run: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(golden_dir().join(file)).expect(file);
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

/// Every map the run wrote, and no other, has its golden hash in `file`.
fn check(file: &str, run: &str, out: &Path) {
    let want = expected(file, run);
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

/// Runs `args` (plus `--out`) with each driver and checks both hash sets.
fn both_drivers(run: &str, args: &[&str]) {
    for (driver, file) in [("classic", "hashes_classic.txt"), ("adaptive", "hashes.txt")] {
        let dir = scratch(&format!("golden-{run}-{driver}"));
        let out = dir.join(run);
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--out", out.to_str().unwrap(), "--quiet", "--fit-driver", driver]);
        osipy_ok(&a);
        check(file, run, &out);
    }
}

#[test]
fn demo_maps_are_the_golden_ones() {
    both_drivers("demo", &["demo"]);
}

#[test]
fn dce_maps_with_delay_are_the_golden_ones() {
    let input = golden_dir().join("dce_conc.nii.gz");
    both_drivers("dce", &["dce", "--input", input.to_str().unwrap(), "--delay"]);
}

/// `--mask all` keeps every voxel with a finite, not all-zero curve, the default before the
/// background mask: the maps are the old default run's, bit for bit.
#[test]
fn dce_maps_with_mask_all_are_the_old_default_ones() {
    let input = golden_dir().join("dce_conc.nii.gz");
    both_drivers(
        "dce-mask-all",
        &[
            "dce",
            "--input",
            input.to_str().unwrap(),
            "--delay",
            "--mask",
            "all",
        ],
    );
}

#[test]
fn t1_maps_are_the_golden_ones() {
    let input = golden_dir().join("t1_vfa.npy");
    both_drivers(
        "t1",
        &[
            "t1",
            "--input",
            input.to_str().unwrap(),
            "--flip-angles",
            "2,5,10,15",
            "--tr",
            "0.005",
        ],
    );
}
