//! Helpers shared by the end-to-end tests of the `osipy` binary.

#![allow(dead_code)] // each test file uses some of them

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_osipy");

/// A fresh, empty scratch folder for test `name` of this test file (the folder is named after
/// the test crate, the process and `name`, so parallel tests and files never share one).
pub fn scratch(name: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(&format!("osipy-{}-{name}-", env!("CARGO_CRATE_NAME")))
        .tempdir()
        .unwrap_or_else(|e| panic!("a temporary folder for {name}: {e}"))
        .keep()
}

/// Runs the binary with `args`.
pub fn osipy(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {BIN}: {e}"))
}

/// Runs the binary with `args` and checks that it succeeded.
pub fn osipy_ok(args: &[&str]) -> Output {
    let r = osipy(args);
    assert!(
        r.status.success(),
        "osipy {args:?} failed (exit {:?}): {}",
        r.status.code(),
        String::from_utf8_lossy(&r.stderr)
    );
    r
}

/// Writes `data` (C order, shape `shape`) as a little-endian float64 `.npy` file.
pub fn write_npy(path: &Path, shape: &[usize], data: &[f64]) {
    let dims: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
    let shape_txt = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_txt}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The SHA-256 digest of `data`, as 64 lower-case hexadecimal digits.
pub fn sha256_hex(data: &[u8]) -> String {
    osipy_cli::sha256::sha256_hex(data)
}
