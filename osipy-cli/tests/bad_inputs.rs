//! The bad-input catalogue (`tests/bad-inputs/`, listed in its README): each file through the
//! `osipy` command, which must exit with the expected code and a first line of stderr that is
//! the one-line message, naming the file (or argument), what was expected and what was found,
//! with no control characters and no output folder left behind.

mod common;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{scratch, BIN};

/// Exit codes of the command.
const RUNTIME: i32 = 1;
const USAGE: i32 = 2;

fn catalogue() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs")
}

/// Runs `osipy` in the catalogue folder with `args` (`OUT` is a fresh output folder, `IN` the
/// valid series `good.nii`, `IN_TXT` a text file) and checks the exit code and the first line
/// of stderr against `want` (contained in the line).
fn check(case: &str, args: Vec<OsString>, code: i32, want: &str) {
    let dir = scratch(&case.replace(['/', '.'], "-"));
    let out = dir.join("out");
    let txt = dir.join("input.txt");
    std::fs::write(&txt, "not an image").unwrap();
    let args: Vec<OsString> = args
        .into_iter()
        .map(|a| match a.to_str() {
            Some("OUT") => out.clone().into_os_string(),
            Some("IN") => "good.nii".into(),
            Some("IN_TXT") => txt.clone().into_os_string(),
            _ => a,
        })
        .collect();
    let r = Command::new(BIN)
        .args(&args)
        .current_dir(catalogue())
        .output()
        .unwrap_or_else(|e| panic!("running {BIN}: {e}"));
    let stderr = String::from_utf8_lossy(&r.stderr);
    let first = stderr.lines().next().unwrap_or("");
    assert_eq!(r.status.code(), Some(code), "{case}: exit code; stderr: {stderr}");
    assert!(first.starts_with("osipy: "), "{case}: {first:?}");
    assert!(first.contains(want), "{case}: {first:?} lacks {want:?}");
    assert!(
        !first.chars().any(char::is_control),
        "{case}: control characters in {first:?}"
    );
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    assert!(!out.exists(), "{case}: an output folder was left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// `(file, expected message)` of the NIfTI cases, all runtime errors of `osipy dce --input`.
const NIFTI: &[(&str, &str)] = &[
    ("empty.nii", "empty.nii: not a supported NIfTI file: expected sizeof_hdr 348 (NIfTI-1) or 540 (NIfTI-2) in either byte order, found a file of 0 bytes"),
    ("short-header.nii", "short-header.nii: truncated header: expected at least 348 bytes, found 100"),
    ("bad-sizeof-hdr.nii", "found sizeof_hdr 349"),
    ("bad-magic.nii", "expected magic \"n+1\" (NIfTI-1), found magic \"xyz\\0\""),
    ("pair-magic.nii", ".hdr/.img pairs are not supported, found magic \"ni1\\0\""),
    ("dim0-zero.nii", "invalid header field `dim[0]`: expected 1 to 7 axes, found 0"),
    ("dim0-eight.nii", "invalid header field `dim[0]`: expected 1 to 7 axes, found 8"),
    ("negative-dim.nii", "invalid header field `dim`: expected dim[2] >= 1, found -2"),
    ("zero-dim.nii", "invalid header field `dim`: expected dim[2] >= 1, found 0"),
    ("complex-datatype.nii", "unsupported datatype 32 (complex64): expected uint8, int8"),
    ("unknown-datatype.nii", "unsupported datatype 3 (not a NIfTI datatype)"),
    ("vox-offset-small.nii", "invalid header field `vox_offset`: expected at least the header size 348, found 100"),
    ("vox-offset-nan.nii", "invalid header field `vox_offset`: expected at least the header size 348, found -1"),
    ("vox-offset-huge.nii", "invalid header field `dim`: expected an image of at most 17179869184 bytes"),
    ("truncated-data.nii", "truncated data: expected at least 416 bytes, found 411"),
    ("huge-dims.nii", "found [32767, 32767, 32767, 32767] declaring 9222246188486492520 bytes"),
    ("huge-dims.nii.gz", "found [32767, 32767, 32767, 32767] declaring 9222246188486492520 bytes"),
    ("corrupt-gzip.nii.gz", "cannot decompress: expected a complete gzip stream, found"),
    ("pixdim-nan.nii", "invalid header field `pixdim`: expected a finite number in pixdim[1], found NaN"),
    ("pixdim-inf.nii", "invalid header field `pixdim`: expected a finite number in pixdim[3], found inf"),
    ("time-step-nan.nii", "invalid header field `pixdim`: expected a finite number in pixdim[4], found NaN"),
    ("scl-slope-inf.nii", "invalid header field `scl_slope`: expected a finite number (or NaN: unscaled), found inf"),
    ("scl-inter-inf.nii", "invalid header field `scl_inter`: expected a finite number (or NaN: unscaled), found -inf"),
    ("srow-nan.nii", "invalid header field `srow_x`: expected a finite number in srow_x[3], found NaN"),
    ("quatern-inf.nii", "invalid header field `quatern_c`: expected a finite number, found inf"),
    ("nifti2-huge-dims.nii", "invalid header field `dim`: expected an image whose size fits in memory, found [1099511627776, 1099511627776, 1, 4]"),
    ("nifti2-negative-vox-offset.nii", "invalid header field `vox_offset`: expected at least the header size 540, found -8"),
    ("three-d.nii", "expected a 4-D series [x, y, z, t], found shape [2, 2, 4]"),
];

/// The NumPy cases, runtime errors of `osipy dce --input`.
const NPY: &[(&str, &str)] = &[
    (
        "empty.npy",
        "not a supported .npy file: expected the magic string \"\\x93NUMPY\", found \"\"",
    ),
    (
        "bad-magic.npy",
        "expected the magic string \"\\x93NUMPY\", found \"\\x93NUMPZ\"",
    ),
    (
        "version-9.npy",
        "expected format version 1.0, 2.0 or 3.0, found 9.0",
    ),
    (
        "header-length-4gib.npy",
        "expected a header of at most 10000 bytes, found 4294967295 bytes",
    ),
    (
        "truncated-header.npy",
        "truncated header: expected 128 bytes, found 40",
    ),
    (
        "malformed-dict.npy",
        "expected a header dict of 'descr', 'fortran_order' and 'shape', found expected ')' at byte 61",
    ),
    ("missing-shape.npy", "found no 'shape' key"),
    (
        "complex-dtype.npy",
        "expected dtype float32, float64, a signed or unsigned integer or bool, found '<c16'",
    ),
    (
        "structured-dtype.npy",
        "expected a simple dtype such as '<f8', found [('a', '<f8')]",
    ),
    (
        "huge-shape.npy",
        "expected a shape whose size fits in memory, found [4294967296, 4294967296, 4294967296, 4]",
    ),
    (
        "negative-shape.npy",
        "expected a non-negative integer in 'shape' at byte 54, found \"-2\"",
    ),
    (
        "truncated-data.npy",
        "truncated data: expected 128 bytes, found 125",
    ),
    (
        "extra-bytes.npy",
        "bytes after the data: expected 128 bytes, found 131",
    ),
    ("control-chars-dtype.npy", "found '\\u{1b}[31m'"),
    (
        "two-d.npy",
        "expected a 4-D series [x, y, z, t], found shape [4, 4]",
    ),
    (
        "not-a-zip.npz",
        "not a usable .npz archive: expected a ZIP archive, found",
    ),
];

/// The CSV cases, runtime errors of `osipy dce --input good.nii --aif FILE`.
const CSV: &[(&str, &str)] = &[
    (
        "aif-text.csv",
        "line 3: expected a finite number in column 1, found `three`",
    ),
    (
        "aif-too-few.csv",
        "expected 4 finite values (one per frame), found 3 values",
    ),
    (
        "aif-nan.csv",
        "line 2: expected a finite number in column 1, found `nan`",
    ),
    (
        "aif-two-columns.csv",
        "expected one column (or a header naming a plasma_mM or blood_mM column), found 2 columns",
    ),
    ("aif-unknown-header.csv", "found `time,signal`"),
    (
        "aif-empty.csv",
        "expected 4 finite values (one per frame), found 0 values",
    ),
    (
        "aif-not-utf8.csv",
        "expected UTF-8 text (CSV), found a byte 0xff that is not UTF-8 at offset 4",
    ),
    (
        "aif-control-chars.csv",
        "line 3: expected a finite number in column 1, found `\\u{1b}[2J`",
    ),
];

/// The YAML cases, usage errors of `osipy dce --config FILE`.
const YAML: &[(&str, &str)] = &[
    (
        "alias-bomb.yaml",
        "expected at most 100000 values and 4194304 bytes of text once aliases are expanded, found more",
    ),
    (
        "not-a-mapping.yaml",
        "expected a mapping of settings (key: value), found a list",
    ),
    (
        "unknown-key.yaml",
        "unknown key `colour` for osipy dce; expected one of: input,",
    ),
    ("two-documents.yaml", "expected one YAML document, found 2"),
    (
        "syntax-error.yaml",
        "expected YAML, found a syntax error: did not find expected ',' or ']'",
    ),
    ("not-utf8.yaml", "expected UTF-8 text (YAML)"),
    ("tagged.yaml", "tagged values (!tag) are not settings"),
    (
        "bad-value.yaml",
        "key `threads`: expected a number of threads >= 1, found `many`",
    ),
    (
        "deep-nesting.yaml",
        "expected YAML, found a syntax error: recursion limit exceeded",
    ),
    (
        "control-chars-key.yaml",
        "unknown key `col\\u{1b}[31mour` for osipy dce",
    ),
    (
        "switch-not-bool.yaml",
        "key `quiet`: expected true or false, found a number",
    ),
    (
        "duplicate-key.yaml",
        "expected YAML, found a syntax error: duplicate key `threads`",
    ),
];

/// The argument cases: `(file, exit code, expected message)`.
const ARGS: &[(&str, i32, &str)] = &[
    ("non-utf8-input.args", RUNTIME, "--input in\u{fffd}\u{fffd}.nii: no such file or folder"),
    ("non-utf8-config.args", USAGE, "--config c\u{fffd}.yaml: no such file"),
    (
        "non-utf8-flag-value.args",
        USAGE,
        "expected UTF-8 text in the values of flags that take text (paths may be any bytes), found non-UTF-8 bytes in: --threads `\\xff`",
    ),
    ("missing-input.args", RUNTIME, "--input does-not-exist.nii: no such file or folder"),
    ("unknown-flag.args", USAGE, "dce: unknown argument `--colour`"),
    ("unknown-extension.args", RUNTIME, "expected a .nii, .nii.gz, .npy file or DICOM; read as DICOM:"),
];

#[test]
fn nifti_cases() {
    for (file, want) in NIFTI {
        let f = format!("nifti/{file}");
        let args = os(&["dce", "--input", &f, "--out", "OUT", "--quiet"]);
        check(&f, args.clone(), RUNTIME, &format!("--input {f}: "));
        check(&f, args, RUNTIME, want);
    }
}

#[test]
fn npy_cases() {
    for (file, want) in NPY {
        let f = format!("npy/{file}");
        check(
            &f,
            os(&["dce", "--input", &f, "--out", "OUT", "--quiet"]),
            RUNTIME,
            &format!("--input {f}"),
        );
        check(
            &f,
            os(&["dce", "--input", &f, "--out", "OUT", "--quiet"]),
            RUNTIME,
            want,
        );
    }
}

#[test]
fn csv_cases() {
    for (file, want) in CSV {
        let f = format!("csv/{file}");
        let args = os(&["dce", "--input", "IN", "--aif", &f, "--out", "OUT", "--quiet"]);
        check(&f, args.clone(), RUNTIME, &format!("--aif {f}"));
        check(&f, args, RUNTIME, want);
    }
}

#[test]
fn yaml_cases() {
    for (file, want) in YAML {
        let f = format!("yaml/{file}");
        let args = os(&["dce", "--config", &f, "--out", "OUT", "--quiet"]);
        check(&f, args.clone(), USAGE, &format!("--config {f}: "));
        check(&f, args, USAGE, want);
    }
}

#[test]
fn yaml_file_over_the_size_cap() {
    let dir = scratch("yaml-cap");
    let f = dir.join("big.yaml");
    std::fs::write(&f, "# padding\n".repeat(110_000)).unwrap();
    let args = vec!["dce".into(), "--config".into(), f.clone().into_os_string()];
    check(
        "yaml/big",
        args,
        USAGE,
        "expected a configuration of at most 1048576 bytes, found a larger file",
    );
}

/// The arguments of an `.args` file: one a line, `\xNN` for a raw byte.
fn args_file(path: &Path) -> Vec<OsString> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| {
            let mut bytes = Vec::new();
            let b = l.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i..].starts_with(b"\\x") && i + 4 <= b.len() {
                    bytes.push(u8::from_str_radix(&l[i + 2..i + 4], 16).unwrap());
                    i += 4;
                } else {
                    bytes.push(b[i]);
                    i += 1;
                }
            }
            OsString::from_vec(bytes)
        })
        .collect()
}

#[test]
fn argument_cases() {
    for (file, code, want) in ARGS {
        let args = args_file(&catalogue().join("args").join(file));
        check(&format!("args/{file}"), args, *code, want);
    }
}

#[test]
fn the_readme_lists_every_case() {
    let readme = std::fs::read_to_string(catalogue().join("README.md")).unwrap();
    let mut n = 0;
    for kind in ["nifti", "npy", "csv", "yaml", "args"] {
        for e in std::fs::read_dir(catalogue().join(kind)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                readme.contains(&format!("`{kind}/{name}`")),
                "README lacks {kind}/{name}"
            );
            n += 1;
        }
    }
    assert_eq!(n, NIFTI.len() + NPY.len() + CSV.len() + YAML.len() + ARGS.len());
    assert!(n >= 45);
}

/// A NaN `scl_slope` is read unscaled, as the NIfTI standard's readers do: the run succeeds,
/// and the warning is printed and kept in the provenance record.
#[test]
fn a_nan_scl_slope_is_a_warning_in_the_log_and_the_provenance() {
    let dir = scratch("nan-scl-slope");
    let mut bytes = std::fs::read(catalogue().join("good.nii")).unwrap();
    bytes[112..116].copy_from_slice(&f32::NAN.to_le_bytes());
    let input = dir.join("nan-slope.nii");
    std::fs::write(&input, bytes).unwrap();
    let out = dir.join("out");
    let r = Command::new(BIN)
        .arg("dce")
        .arg("--input")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{stderr}");
    let note = format!("{}: scl_slope is NaN: image read unscaled", input.display());
    assert_eq!(stderr.trim_end(), format!("osipy: warning: {note}"));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
    assert_eq!(record["reader_notes"], serde_json::json!([note]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--max-decoded` caps what one input may decode to: a .nii.gz or compressed DICOM pixel data
/// over it are refused before they are decompressed, naming the cap; under it they read.
#[test]
fn max_decoded_caps_what_an_input_may_decode_to() {
    use std::io::Write;
    let dir = scratch("max-decoded");
    let input = dir.join("good.nii.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(catalogue().join("good.nii")).unwrap())
        .unwrap();
    std::fs::write(&input, gz.finish().unwrap()).unwrap();
    let rle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/dicom/compressed/rle");
    let run = |input: &Path, cap: &str, out: &str| {
        Command::new(BIN)
            .arg("dce")
            .arg("--input")
            .arg(input)
            .args(["--max-decoded", cap, "--quiet", "--out"])
            .arg(dir.join(out))
            .output()
            .unwrap()
    };
    let r = run(&input, "100", "a");
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(RUNTIME), "{err}");
    assert!(err.contains("expected an image of at most 100 bytes"), "{err}");
    assert!(
        err.trim_end().ends_with(" (raise the cap with --max-decoded)"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let r = run(&input, "1KiB", "b");
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let r = run(&rle, "100", "c");
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(RUNTIME), "{err}");
    assert!(
        err.contains("expected at most 100 decoded bytes (ReadOptions::max_decoded_bytes)"),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with(" (raise the cap with --max-decoded)"),
        "{err}"
    );
    let r = run(&input, "0", "d");
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(USAGE), "{err}");
    assert!(err.contains("expected a size of at least 1 byte"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
