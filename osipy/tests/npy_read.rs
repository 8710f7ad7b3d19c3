//! NumPy input (`osipy::npy`): arrays written with ndarray-npy (f32, f64, integers, bool; C and
//! Fortran order; `.npz` stored and deflated), masks, and one test per bound.

use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::{array, ArrayD, IxDyn};
use ndarray_npy::WriteNpyExt;
use osipy::npy::{self, NpyError};

fn tmp_dir(test: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(&format!("osipy-npy-{test}-"))
        .tempdir()
        .unwrap()
        .keep()
}

fn npy_bytes<A: ndarray_npy::WritableElement, D: ndarray::Dimension>(a: &ndarray::Array<A, D>) -> Vec<u8> {
    let mut out = Vec::new();
    a.write_npy(&mut out).unwrap();
    out
}

fn msg(e: &NpyError, path: &Path) -> String {
    let m = e.to_string();
    assert!(!m.contains('\n'), "not one line: {m}");
    assert!(
        m.starts_with(&path.display().to_string()),
        "does not name {}: {m}",
        path.display()
    );
    m
}

#[test]
fn f32_f64_and_integer_arrays_read_as_f64_in_c_order() {
    let p = Path::new("a.npy");
    let want = array![[1.5, -2.0, 3.25], [4.0, 5.0, 6.0]].into_dyn();
    assert_eq!(npy::parse(p, &npy_bytes(&want.mapv(|v| v as f32))).unwrap(), want);
    assert_eq!(npy::parse(p, &npy_bytes(&want)).unwrap(), want);
    let ints = array![[1i16, -2], [300, 4]];
    assert_eq!(
        npy::parse(p, &npy_bytes(&ints)).unwrap(),
        array![[1.0, -2.0], [300.0, 4.0]].into_dyn()
    );
    let u = array![7u64, 1 << 40];
    assert_eq!(
        npy::parse(p, &npy_bytes(&u)).unwrap(),
        array![7.0, (1u64 << 40) as f64].into_dyn()
    );
}

#[test]
fn fortran_order_is_returned_in_c_order() {
    let c = ArrayD::from_shape_fn(IxDyn(&[2, 3, 4]), |i| (100 * i[0] + 10 * i[1] + i[2]) as f64);
    // The transpose's transpose: the same logical array stored in Fortran order.
    let f = c
        .clone()
        .reversed_axes()
        .as_standard_layout()
        .into_owned()
        .reversed_axes();
    let bytes = npy_bytes(&f);
    assert!(String::from_utf8_lossy(&bytes[..128]).contains("'fortran_order': True"));
    let got = npy::parse(Path::new("f.npy"), &bytes).unwrap();
    assert_eq!(got, c);
    assert!(got.is_standard_layout());
    assert_eq!(got[[1, 2, 3]], 123.0);
}

#[test]
fn integer_and_bool_masks_are_nonzero_in() {
    let dir = tmp_dir("mask");
    let p = dir.join("mask.npy");
    std::fs::write(&p, npy_bytes(&array![[0u8, 3], [1, 0]])).unwrap();
    assert_eq!(
        npy::read_mask(&p).unwrap(),
        array![[false, true], [true, false]].into_dyn()
    );
    std::fs::write(&p, npy_bytes(&array![true, false, true])).unwrap();
    assert_eq!(npy::read_bool(&p).unwrap(), (vec![3], vec![true, false, true]));
    std::fs::write(&p, npy_bytes(&array![0i32, -5])).unwrap();
    assert_eq!(npy::read_mask(&p).unwrap(), array![false, true].into_dyn());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An `.npz` archive of `(name, .npy bytes)`, stored or deflated.
fn npz(path: &Path, members: &[(&str, Vec<u8>)], deflate: bool) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in members {
        w.start_file(format!("{name}.npy"), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn npz_members_by_name_or_the_only_one() {
    let dir = tmp_dir("npz");
    let a = array![1.0, 2.0, 3.0];
    let b = array![[1i32, 2], [3, 4]];
    for deflate in [false, true] {
        let p = dir.join(format!("two-{deflate}.npz"));
        npz(&p, &[("conc", npy_bytes(&a)), ("mask", npy_bytes(&b))], deflate);
        let named = PathBuf::from(format!("{}:mask", p.display()));
        assert!(npy::is_numpy(&named));
        assert_eq!(npy::archive_of(&named), p);
        assert_eq!(npy::read(&named).unwrap(), b.mapv(f64::from).into_dyn());
        let err = npy::read(&p).unwrap_err();
        assert!(msg(&err, &p)
            .contains("expected one array, or one named as FILE.npz:NAME, found 2 arrays: conc, mask"));
        let missing = PathBuf::from(format!("{}:t1", p.display()));
        assert!(msg(&npy::read(&missing).unwrap_err(), &p)
            .contains("expected an array named 't1', found conc, mask"));
    }
    let p = dir.join("one.npz");
    npz(&p, &[("only", npy_bytes(&a))], true);
    assert_eq!(npy::read(&p).unwrap(), a.into_dyn());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A version-1.0 `.npy` file of header dict `dict` (padded as NumPy pads) and `data`.
fn raw_npy(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.as_bytes().to_vec();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out
}

#[test]
fn declared_shapes_beyond_the_file_are_refused_before_allocation() {
    let p = Path::new("big.npy");
    let data: Vec<u8> = [1.0f64, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let huge = raw_npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999), }",
        &data,
    );
    let m = msg(&npy::parse(p, &huge).unwrap_err(), p);
    assert!(
        m.ends_with("truncated data: expected 79999999998400000000016 bytes, found 16")
            || m.contains("fits in memory"),
        "{m}"
    );
    let over = raw_npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
        &data,
    );
    let m = msg(&npy::parse(p, &over).unwrap_err(), p);
    assert!(
        m.contains("expected a shape whose size fits in memory, found [4294967296, 4294967296, 4294967296]"),
        "{m}"
    );
    // Data one byte short and one byte long.
    let good = npy_bytes(&array![1.0f64, 2.0]);
    assert_eq!(npy::parse(p, &good).unwrap(), array![1.0, 2.0].into_dyn());
    let m = msg(&npy::parse(p, &good[..good.len() - 1]).unwrap_err(), p);
    assert!(m.ends_with("truncated data: expected 16 bytes, found 15"), "{m}");
    let mut long = good.clone();
    long.push(0);
    let m = msg(&npy::parse(p, &long).unwrap_err(), p);
    assert!(
        m.ends_with("bytes after the data: expected 16 bytes, found 17"),
        "{m}"
    );
    // A version-2 header length of 4 GiB in a small file.
    let mut v2 = good.clone();
    v2[6] = 2;
    v2.splice(8..10, [0xff, 0xff, 0xff, 0xff]);
    let m = msg(&npy::parse(p, &v2).unwrap_err(), p);
    assert!(
        m.contains("expected a header of at most 10000 bytes, found 4294967295 bytes"),
        "{m}"
    );
}

#[test]
fn unsupported_dtypes_are_named_with_control_characters_escaped() {
    let p = Path::new("c.npy");
    let bytes = raw_npy(
        "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
        &[0; 8],
    );
    let m = msg(&npy::parse(p, &bytes).unwrap_err(), p);
    assert!(m.ends_with("found '<c8'"), "{m}");
    let bytes = raw_npy(
        "{'descr': '\x1b[31m', 'fortran_order': False, 'shape': (1,), }",
        &[0; 8],
    );
    let m = msg(&npy::parse(p, &bytes).unwrap_err(), p);
    assert!(m.ends_with("found '\\u{1b}[31m'"), "{m}");
}
