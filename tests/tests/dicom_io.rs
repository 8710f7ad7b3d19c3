//! DICOM input (`osipy::io::dicom`): single-frame series of 3 slices x 4 times with shuffled
//! file names, per-file rescale slope and intercept, an oblique-free sagittal geometry and times
//! that cross an hour boundary, in Implicit VR Little Endian, Explicit VR Little Endian and
//! Explicit VR Big Endian; 8-, 16- (12 stored, signed) and 32-bit samples in both byte orders; an
//! enhanced multi-frame file (2 slices x 3 times, frames shuffled, per-frame functional groups)
//! and a legacy multi-frame file (FrameTime); every error once.
//!
//! The files are written byte by byte here from DICOM PS3.5 / PS3.10 (preamble, `DICM`, File
//! Meta group in Explicit VR Little Endian, then the data set in the file's transfer syntax), so
//! the reader (dicom-rs) is checked against an encoder that shares no code with it.

use std::path::{Path, PathBuf};

use osipy::io::dicom::{self, DicomError, ReadOptions, TimeSource, VolumeKey, VolumeOrder};

const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
const JPEG_LS: &str = "1.2.840.10008.1.2.4.80";
const MR_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.4";
const ENHANCED_MR_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.4.1";

/// A fresh, empty directory in the system temp dir, unique to this test and process.
fn tmp_dir(test: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(&format!("osipy-dicom-{test}-"))
        .tempdir()
        .unwrap()
        .keep()
}

/// A value of a data element.
#[derive(Clone)]
enum V {
    /// A string value (padded to even length with a space, or NUL for UI).
    S(String),
    /// US values.
    Us(Vec<u16>),
    /// OB bytes.
    Ob(Vec<u8>),
    /// OW words.
    Ow(Vec<u16>),
    /// A sequence of items.
    Sq(Vec<Vec<El>>),
}

/// A data element: tag, VR, value.
#[derive(Clone)]
struct El(u16, u16, &'static str, V);

fn s(g: u16, e: u16, vr: &'static str, v: impl Into<String>) -> El {
    El(g, e, vr, V::S(v.into()))
}

fn us(g: u16, e: u16, v: u16) -> El {
    El(g, e, "US", V::Us(vec![v]))
}

fn sq(g: u16, e: u16, items: Vec<Vec<El>>) -> El {
    El(g, e, "SQ", V::Sq(items))
}

/// Encodes a data set (sorted by tag) in Explicit or Implicit VR, little or big endian.
fn encode(els: &[El], explicit: bool, be: bool) -> Vec<u8> {
    let u16b = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut els = els.to_vec();
    els.sort_by_key(|e| (e.0, e.1));
    let mut out = Vec::new();
    for El(g, e, vr, v) in &els {
        let mut val: Vec<u8> = match v {
            V::S(x) => {
                let mut b = x.as_bytes().to_vec();
                if b.len() % 2 == 1 {
                    b.push(if *vr == "UI" { 0 } else { b' ' });
                }
                b
            }
            V::Us(x) | V::Ow(x) => x.iter().flat_map(|w| u16b(*w)).collect(),
            V::Ob(x) => x.clone(),
            V::Sq(items) => {
                let mut b = Vec::new();
                for it in items {
                    let body = encode(it, explicit, be);
                    b.extend_from_slice(&u16b(0xFFFE));
                    b.extend_from_slice(&u16b(0xE000));
                    b.extend_from_slice(&u32b(body.len() as u32));
                    b.extend_from_slice(&body);
                }
                b
            }
        };
        if val.len() % 2 == 1 {
            val.push(0);
        }
        out.extend_from_slice(&u16b(*g));
        out.extend_from_slice(&u16b(*e));
        if explicit {
            out.extend_from_slice(vr.as_bytes());
            if ["OB", "OW", "SQ", "UN", "UT", "OF", "OD", "OL"].contains(vr) {
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&u32b(val.len() as u32));
            } else {
                out.extend_from_slice(&u16b(val.len() as u16));
            }
        } else {
            out.extend_from_slice(&u32b(val.len() as u32));
        }
        out.extend_from_slice(&val);
    }
    out
}

/// A DICOM Part 10 file: preamble, `DICM`, File Meta group, data set in `ts`.
fn part10(ts: &str, sop_class: &str, dataset: &[El]) -> Vec<u8> {
    let meta = encode(
        &[
            El(0x0002, 0x0001, "OB", V::Ob(vec![0, 1])),
            s(0x0002, 0x0002, "UI", sop_class),
            s(0x0002, 0x0003, "UI", "1.2.3.4.5.6.7"),
            s(0x0002, 0x0010, "UI", ts),
            s(0x0002, 0x0012, "UI", "1.2.3.4"),
        ],
        true,
        false,
    );
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    // (0002,0000) FileMetaInformationGroupLength, UL.
    out.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0]);
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    let (explicit, be) = match ts {
        IMPLICIT_LE => (false, false),
        EXPLICIT_BE => (true, true),
        _ => (true, false),
    };
    out.extend_from_slice(&encode(dataset, explicit, be));
    out
}

/// Pixel data element for 16-bit samples (OW).
fn ow(words: Vec<u16>) -> El {
    El(0x7FE0, 0x0010, "OW", V::Ow(words))
}

/// Image pixel module attributes.
fn pixel_module(rows: u16, cols: u16, bits: u16, stored: u16, signed: bool) -> Vec<El> {
    vec![
        us(0x0028, 0x0002, 1),
        s(0x0028, 0x0004, "CS", "MONOCHROME2"),
        us(0x0028, 0x0010, rows),
        us(0x0028, 0x0011, cols),
        us(0x0028, 0x0100, bits),
        us(0x0028, 0x0101, stored),
        us(0x0028, 0x0102, stored - 1),
        us(0x0028, 0x0103, signed as u16),
    ]
}

const ROWS: usize = 3;
const COLS: usize = 4;
const NZ: usize = 3;
const NT: usize = 4;

/// The stored value of pixel (column c, row r) at physical slice p and time j.
fn stored(c: usize, r: usize, p: usize, j: usize) -> u16 {
    (1000 * j + 100 * p + 10 * r + c) as u16
}

fn slope(p: usize, j: usize) -> f64 {
    0.5 + 0.25 * j as f64 + 0.125 * p as f64
}

fn intercept(p: usize, _j: usize) -> f64 {
    -10.0 + p as f64
}

/// Seconds since midnight to a TM value `HHMMSS.FFFFFF`.
fn tm(t: f64) -> String {
    let h = (t / 3600.0).floor();
    let m = ((t - 3600.0 * h) / 60.0).floor();
    let sec = t - 3600.0 * h - 60.0 * m;
    format!("{:02}{:02}{:09.6}", h as u32, m as u32, sec)
}

/// The data set of the single-frame file at physical slice p (x = 10 + 2.5 p mm, sagittal) and
/// time j (AcquisitionTime 09:59:58 + 7.5 j + 0.5 p s).
fn single_frame(p: usize, j: usize, series: &str) -> Vec<El> {
    let mut ds = vec![
        s(0x0008, 0x0016, "UI", MR_STORAGE),
        s(0x0008, 0x0018, "UI", format!("1.2.3.9.{p}.{j}")),
        s(0x0008, 0x0022, "DA", "20240131"),
        s(
            0x0008,
            0x0032,
            "TM",
            tm(35998.0 + 7.5 * j as f64 + 0.5 * p as f64),
        ),
        s(0x0008, 0x0033, "TM", "120000"),
        s(0x0008, 0x0060, "CS", "MR"),
        s(0x0008, 0x103E, "LO", "dce"),
        s(0x0018, 0x0080, "DS", "4.5"),
        s(0x0018, 0x0081, "DS", "1.2"),
        s(0x0018, 0x0087, "DS", "3"),
        s(0x0018, 0x1314, "DS", "15"),
        s(0x0020, 0x000E, "UI", series),
        s(0x0020, 0x0011, "IS", "7"),
        s(
            0x0020,
            0x0032,
            "DS",
            format!("{}\\-20\\30", 10.0 + 2.5 * p as f64),
        ),
        s(0x0020, 0x0037, "DS", "0\\1\\0\\0\\0\\-1"),
        s(0x0020, 0x0100, "IS", format!("{}", j + 1)),
        s(0x0028, 0x0030, "DS", "0.8\\0.6"),
        s(0x0028, 0x1052, "DS", format!("{}", intercept(p, j))),
        s(0x0028, 0x1053, "DS", format!("{}", slope(p, j))),
    ];
    ds.extend(pixel_module(ROWS as u16, COLS as u16, 16, 16, false));
    let mut px = Vec::new();
    for r in 0..ROWS {
        for c in 0..COLS {
            px.push(stored(c, r, p, j));
        }
    }
    ds.push(ow(px));
    ds
}

/// Writes the 3 x 4 series with file names in a shuffled order; returns the folder.
fn write_series(test: &str, ts: &str) -> PathBuf {
    let dir = tmp_dir(test);
    for p in 0..NZ {
        for j in 0..NT {
            let name = format!("IM{:04}", ((p * NT + j) * 7) % (NZ * NT));
            std::fs::write(
                dir.join(name),
                part10(ts, MR_STORAGE, &single_frame(p, j, "1.2.3.100")),
            )
            .unwrap();
        }
    }
    std::fs::write(dir.join("notes.txt"), "not DICOM").unwrap();
    dir
}

/// Checks that an error message is one line, names the path and contains `parts`.
fn assert_message(err: &DicomError, path: &Path, parts: &[&str]) {
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "not one line: {msg}");
    assert!(
        msg.starts_with(&path.display().to_string()),
        "does not name {}: {msg}",
        path.display()
    );
    for p in parts {
        assert!(msg.contains(p), "{msg:?} lacks {p:?}");
    }
}

fn assert_affine(got: [[f64; 4]; 4], want: [[f64; 4]; 4]) {
    for r in 0..4 {
        for c in 0..4 {
            assert!(
                (got[r][c] - want[r][c]).abs() < 1e-9,
                "affine {got:?} != {want:?}"
            );
        }
    }
}

fn check_single_frame_series(ts: &str, test: &str) {
    let dir = write_series(test, ts);
    let ser = dicom::read_series(&dir).unwrap();
    assert_eq!(ser.data.shape(), &[COLS, ROWS, NZ, NT]);
    // Slices sorted along the normal (-x): slice k is physical slice p = 2 - k.
    for k in 0..NZ {
        let p = NZ - 1 - k;
        for j in 0..NT {
            for r in 0..ROWS {
                for c in 0..COLS {
                    let want = stored(c, r, p, j) as f64 * slope(p, j) + intercept(p, j);
                    assert_eq!(ser.data[[c, r, k, j]], want, "{ts} voxel ({c}, {r}, {k}, {j})");
                }
            }
        }
    }
    assert!(ser.data.is_standard_layout());
    assert_eq!(ser.time_source, TimeSource::Acquisition);
    let want_t = [0.0, 7.5, 15.0, 22.5];
    for (g, w) in ser.times_s.iter().zip(want_t) {
        assert!((g - w).abs() < 1e-6, "{:?}", ser.times_s);
    }
    for k in 0..NZ {
        for j in 0..NT {
            let want = 7.5 * j as f64 + 0.5 * (NZ - 1 - k) as f64;
            assert!(
                (ser.slice_times_s[k][j] - want).abs() < 1e-6,
                "{:?}",
                ser.slice_times_s
            );
        }
    }
    // LPS: columns (0, 1, 0) * 0.6, (0, 0, -1) * 0.8, step (-2.5, 0, 0), origin (15, -20, 30).
    assert_affine(
        ser.affine,
        [
            [0.0, 0.0, 2.5, -15.0],
            [-0.6, 0.0, 0.0, 20.0],
            [0.0, -0.8, 0.0, 30.0],
            [0.0, 0.0, 0.0, 1.0],
        ],
    );
    assert_affine(
        ser.affine_lps(),
        [
            [0.0, 0.0, -2.5, 15.0],
            [0.6, 0.0, 0.0, -20.0],
            [0.0, -0.8, 0.0, 30.0],
            [0.0, 0.0, 0.0, 1.0],
        ],
    );
    assert_eq!(ser.voxel_size_mm, [0.6, 0.8, 2.5]);
    assert_eq!(ser.flip_angle_deg, Some(15.0));
    assert_eq!(ser.repetition_time_s, Some(0.0045));
    assert_eq!(ser.echo_time_s, Some(0.0012));
    assert_eq!(ser.field_strength_t, Some(3.0));
    assert_eq!(ser.series_uid, "1.2.3.100");
    assert_eq!(ser.series_description, "dce");
    assert_eq!(ser.series_number, Some(7));
    assert_eq!(ser.files.len(), NZ * NT);
    assert_eq!(ser.notes.len(), 1, "{:?}", ser.notes);
    assert!(ser.notes[0].contains("notes.txt") && ser.notes[0].contains("not a DICOM"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn single_frame_series_explicit_little_endian() {
    check_single_frame_series(EXPLICIT_LE, "ele");
}

#[test]
fn single_frame_series_explicit_big_endian() {
    check_single_frame_series(EXPLICIT_BE, "ebe");
}

#[test]
fn single_frame_series_implicit_little_endian() {
    check_single_frame_series(IMPLICIT_LE, "ile");
}

#[test]
fn time_falls_back_to_temporal_position_when_acquisition_times_repeat() {
    let dir = tmp_dir("tpos");
    for p in 0..2 {
        for j in 0..3 {
            let mut ds = single_frame(p, j, "1.2.3.100");
            ds.retain(|e| (e.0, e.1) != (0x0008, 0x0032));
            ds.push(s(0x0008, 0x0032, "TM", "101010")); // the same for all
            ds.push(s(0x0020, 0x0110, "DS", "2500")); // TemporalResolution, ms
            std::fs::write(dir.join(format!("f{p}{j}")), part10(EXPLICIT_LE, MR_STORAGE, &ds)).unwrap();
        }
    }
    let ser = dicom::read_series(&dir).unwrap();
    assert_eq!(
        ser.time_source,
        TimeSource::TemporalPosition {
            resolution_s: Some(2.5)
        }
    );
    assert_eq!(ser.times_s, vec![0.0, 2.5, 5.0]);
    assert_eq!(
        ser.data[[1, 2, 0, 2]],
        stored(1, 2, 1, 2) as f64 * slope(1, 2) + intercept(1, 2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One single-frame image, 1 x 1 slice x time, with the given pixel module and pixel element.
fn one_image(dir: &Path, name: &str, ts: &str, pixels: Vec<El>, pixel: El) -> PathBuf {
    let mut ds = single_frame(0, 0, "1.2.3.200");
    ds.retain(|e| e.0 != 0x0028 || [0x0030, 0x1052, 0x1053].contains(&e.1));
    ds.retain(|e| e.0 != 0x7FE0);
    ds.extend(pixels);
    ds.push(pixel);
    let path = dir.join(name);
    std::fs::write(&path, part10(ts, MR_STORAGE, &ds)).unwrap();
    path
}

#[test]
fn sample_formats_in_both_byte_orders() {
    let dir = tmp_dir("formats");
    let (slope0, inter0) = (slope(0, 0), intercept(0, 0));
    for ts in [EXPLICIT_LE, EXPLICIT_BE, IMPLICIT_LE] {
        let be = ts == EXPLICIT_BE;
        // 8-bit unsigned, OB (an odd count of 3 samples, padded).
        let p = one_image(
            &dir,
            "u8",
            ts,
            pixel_module(1, 3, 8, 8, false),
            El(0x7FE0, 0x0010, "OB", V::Ob(vec![0, 7, 255])),
        );
        let ser = dicom::read_series(&p).unwrap();
        let got: Vec<f64> = ser.data.iter().copied().collect();
        assert_eq!(got, [0.0, 7.0, 255.0].map(|v| v * slope0 + inter0), "{ts}");

        // 12 bits stored in 16, signed: sign extension of bit 11; the high nibble is ignored.
        let words = vec![0x0FFF, 0x0800, 0x07FF, 0xF001];
        let p = one_image(&dir, "s12", ts, pixel_module(2, 2, 16, 12, true), ow(words));
        let ser = dicom::read_series(&p).unwrap();
        assert_eq!(ser.data.shape(), &[2, 2, 1, 1]);
        // data[[x, y]]: x = column, y = row.
        let got = [
            ser.data[[0, 0, 0, 0]],
            ser.data[[1, 0, 0, 0]],
            ser.data[[0, 1, 0, 0]],
            ser.data[[1, 1, 0, 0]],
        ];
        assert_eq!(
            got,
            [-1.0, -2048.0, 2047.0, 1.0].map(|v| v * slope0 + inter0),
            "{ts}"
        );

        // 32-bit signed, as OW words in the file's byte order.
        let vals: [i32; 2] = [-100_000, 70_000];
        let mut bytes = Vec::new();
        for v in vals {
            bytes.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
        }
        let words: Vec<u16> = bytes
            .chunks(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        let p = one_image(&dir, "s32", ts, pixel_module(1, 2, 32, 32, true), ow(words));
        let ser = dicom::read_series(&p).unwrap();
        let got: Vec<f64> = ser.data.iter().copied().collect();
        assert_eq!(got, vals.map(|v| v as f64 * slope0 + inter0), "{ts}");
        assert_eq!(ser.time_source, TimeSource::Single);
        assert_eq!(ser.times_s, vec![0.0]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An enhanced MR file: 2 axial slices (z = -5, -2 mm) x 3 times, frames stored in a shuffled
/// order, per-frame position, time, temporal index and rescale.
/// With `temporal_index`, the frames carry TemporalPositionIndex (UL) instead of
/// FrameAcquisitionDateTime.
fn enhanced(ts: &str, temporal_index: bool) -> Vec<u8> {
    enhanced_with(ts, temporal_index, None)
}

/// [`enhanced`], with an MR Diffusion functional group per frame giving time index `j` the
/// b-value `b[j]` when `b` is given.
fn enhanced_with(ts: &str, temporal_index: bool, b: Option<[f64; 3]>) -> Vec<u8> {
    let order = [(1, 2), (0, 0), (1, 0), (0, 2), (1, 1), (0, 1)]; // (slice, time) per frame
    let mut per_frame = Vec::new();
    let mut px = Vec::new();
    for &(p, j) in &order {
        let content = if temporal_index {
            let v = j as u32 + 1;
            let b = if ts == EXPLICIT_BE {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            El(0x0020, 0x9128, "UL", V::Ob(b.to_vec()))
        } else {
            let t = tm(43200.0 + 4.0 * j as f64 + 0.25 * p as f64);
            s(0x0018, 0x9074, "DT", format!("20240131{t}"))
        };
        let mut groups = vec![
            sq(0x0020, 0x9111, vec![vec![content]]),
            sq(
                0x0020,
                0x9113,
                vec![vec![s(
                    0x0020,
                    0x0032,
                    "DS",
                    format!("-100\\-90\\{}", -5.0 + 3.0 * p as f64),
                )]],
            ),
            sq(
                0x0028,
                0x9145,
                vec![vec![
                    s(0x0028, 0x1052, "DS", format!("{}", intercept(p, j))),
                    s(0x0028, 0x1053, "DS", format!("{}", slope(p, j))),
                    s(0x0028, 0x1054, "LO", "US"),
                ]],
            ),
        ];
        if let Some(b) = b {
            let bytes = if ts == EXPLICIT_BE {
                b[j].to_be_bytes()
            } else {
                b[j].to_le_bytes()
            };
            groups.push(sq(
                0x0018,
                0x9117,
                vec![vec![El(0x0018, 0x9087, "FD", V::Ob(bytes.to_vec()))]],
            ));
        }
        per_frame.push(groups);
        for r in 0..ROWS {
            for c in 0..COLS {
                px.push(stored(c, r, p, j));
            }
        }
    }
    let shared = vec![
        sq(
            0x0018,
            0x9112,
            vec![vec![
                s(0x0018, 0x0080, "DS", "3.2"),
                s(0x0018, 0x1314, "DS", "12"),
            ]],
        ),
        sq(
            0x0018,
            0x9114,
            vec![vec![El(
                0x0018,
                0x9082,
                "FD",
                V::Ob(1.5f64.to_le_bytes().to_vec()),
            )]],
        ),
        sq(
            0x0020,
            0x9116,
            vec![vec![s(0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0")]],
        ),
        sq(
            0x0028,
            0x9110,
            vec![vec![
                s(0x0028, 0x0030, "DS", "1.5\\1.25"),
                s(0x0018, 0x0050, "DS", "3"),
            ]],
        ),
    ];
    let mut ds = vec![
        s(0x0008, 0x0016, "UI", ENHANCED_MR_STORAGE),
        s(0x0008, 0x0018, "UI", "1.2.3.300.1"),
        s(0x0008, 0x0060, "CS", "MR"),
        s(0x0018, 0x0087, "DS", "1.5"),
        s(0x0020, 0x000E, "UI", "1.2.3.300"),
        s(0x0028, 0x0008, "IS", "6"),
        sq(0x5200, 0x9229, vec![shared]),
        sq(0x5200, 0x9230, per_frame),
    ];
    // FD EffectiveEchoTime: in big endian the bytes must be big endian too.
    if ts == EXPLICIT_BE {
        if let El(_, _, _, V::Sq(items)) = &mut ds[6] {
            if let El(_, _, _, V::Sq(echo)) = &mut items[0][1] {
                echo[0][0] = El(0x0018, 0x9082, "FD", V::Ob(1.5f64.to_be_bytes().to_vec()));
            }
        }
    }
    ds.extend(pixel_module(ROWS as u16, COLS as u16, 16, 16, false));
    ds.push(ow(px));
    part10(ts, ENHANCED_MR_STORAGE, &ds)
}

#[test]
fn enhanced_multi_frame_file() {
    let dir = tmp_dir("enhanced");
    for ts in [EXPLICIT_LE, EXPLICIT_BE, IMPLICIT_LE] {
        let path = dir.join("enhanced.dcm");
        std::fs::write(&path, enhanced(ts, false)).unwrap();
        let ser = dicom::read_series(&dir).unwrap();
        assert_eq!(ser.data.shape(), &[COLS, ROWS, 2, 3], "{ts}");
        for p in 0..2 {
            for j in 0..3 {
                for r in 0..ROWS {
                    for c in 0..COLS {
                        let want = stored(c, r, p, j) as f64 * slope(p, j) + intercept(p, j);
                        assert_eq!(ser.data[[c, r, p, j]], want, "{ts} ({c}, {r}, {p}, {j})");
                    }
                }
            }
        }
        assert_eq!(ser.time_source, TimeSource::Acquisition);
        for (g, w) in ser.times_s.iter().zip([0.0, 4.0, 8.0]) {
            assert!((g - w).abs() < 1e-6, "{ts} {:?}", ser.times_s);
        }
        assert!((ser.slice_times_s[1][2] - 8.25).abs() < 1e-6);
        // LPS: (1.25, 0, 0), (0, 1.5, 0), (0, 0, 3), origin (-100, -90, -5); RAS negates x, y.
        assert_affine(
            ser.affine,
            [
                [-1.25, 0.0, 0.0, 100.0],
                [0.0, -1.5, 0.0, 90.0],
                [0.0, 0.0, 3.0, -5.0],
                [0.0, 0.0, 0.0, 1.0],
            ],
        );
        assert_eq!(ser.flip_angle_deg, Some(12.0));
        assert_eq!(ser.repetition_time_s, Some(0.0032));
        assert_eq!(ser.echo_time_s, Some(0.0015));
        assert_eq!(ser.field_strength_t, Some(1.5));
        assert!(ser.notes.is_empty(), "{:?}", ser.notes);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn legacy_multi_frame_file_is_a_time_series() {
    let dir = tmp_dir("legacy");
    let mut ds = single_frame(0, 0, "1.2.3.400");
    ds.retain(|e| e.0 != 0x7FE0);
    ds.push(s(0x0028, 0x0008, "IS", "3"));
    ds.push(s(0x0018, 0x1063, "DS", "2000"));
    ds.push(ow((0..3 * ROWS * COLS).map(|v| v as u16).collect()));
    std::fs::write(dir.join("cine"), part10(EXPLICIT_LE, MR_STORAGE, &ds)).unwrap();
    let ser = dicom::read_series(&dir).unwrap();
    assert_eq!(ser.data.shape(), &[COLS, ROWS, 1, 3]);
    assert_eq!(ser.time_source, TimeSource::FrameTime);
    assert_eq!(ser.times_s, vec![0.0, 2.0, 4.0]);
    let want = (2 * ROWS * COLS + COLS + 3) as f64 * slope(0, 0) + intercept(0, 0);
    assert_eq!(ser.data[[3, 1, 0, 2]], want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_missing_folder() {
    let parent = tmp_dir("missing");
    let dir = parent.join("nothing-here");
    let err = dicom::read_series(&dir).unwrap_err();
    assert!(matches!(err, DicomError::Missing { .. }), "{err}");
    assert_message(&err, &dir, &["not found", "expected a folder of DICOM files"]);
    std::fs::remove_dir_all(&parent).unwrap();
}

#[test]
fn error_no_dicom_files() {
    let dir = tmp_dir("empty");
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(&err, &dir, &["no DICOM images", "found 0 files"]);
    std::fs::write(dir.join("a.txt"), "hello").unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            DicomError::NoDicom {
                files: 1,
                dicom: 0,
                ..
            }
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_truncated_file() {
    let dir = tmp_dir("truncated");
    let bytes = part10(EXPLICIT_LE, MR_STORAGE, &single_frame(0, 0, "1.2.3.100"));
    let path = dir.join("cut.dcm");
    std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert!(matches!(err, DicomError::Unreadable { .. }), "{err}");
    assert_message(
        &err,
        &path,
        &["unreadable DICOM", "expected a complete DICOM Part 10 file"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_missing_tag() {
    let dir = tmp_dir("missingtag");
    let mut ds = single_frame(0, 0, "1.2.3.100");
    ds.retain(|e| (e.0, e.1) != (0x0020, 0x0032));
    let path = dir.join("nopos.dcm");
    std::fs::write(&path, part10(IMPLICIT_LE, MR_STORAGE, &ds)).unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(
        &err,
        &path,
        &["missing attribute ImagePositionPatient (0020,0032)", "expected"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_mixed_series_and_picking_one() {
    let dir = tmp_dir("mixed");
    for j in 0..2 {
        std::fs::write(
            dir.join(format!("a{j}")),
            part10(EXPLICIT_LE, MR_STORAGE, &single_frame(0, j, "1.2.3.1")),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("b0"),
        part10(EXPLICIT_LE, MR_STORAGE, &single_frame(0, 0, "1.2.3.2")),
    )
    .unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(
        &err,
        &dir,
        &[
            "more than one series",
            "1.2.3.1 (#7 \"dce\", 2 files)",
            "1.2.3.2 (#7 \"dce\", 1 file)",
        ],
    );

    let pick = ReadOptions {
        series_uid: Some("1.2.3.1".into()),
        ..ReadOptions::default()
    };
    let ser = dicom::read_series_with(&dir, &pick).unwrap();
    assert_eq!(ser.data.shape(), &[COLS, ROWS, 1, 2]);
    assert_eq!(ser.times_s, vec![0.0, 7.5]);
    assert!(
        ser.notes.iter().any(|n| n.contains("1 other series ignored")),
        "{:?}",
        ser.notes
    );

    let none = ReadOptions {
        series_uid: Some("9.9".into()),
        ..ReadOptions::default()
    };
    let err = dicom::read_series_with(&dir, &none).unwrap_err();
    assert_message(&err, &dir, &["series 9.9 not found", "1.2.3.2"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_unsupported_transfer_syntax() {
    let dir = tmp_dir("jpegls");
    let path = dir.join("jpegls.dcm");
    std::fs::write(
        &path,
        part10(JPEG_LS, MR_STORAGE, &single_frame(0, 0, "1.2.3.100")),
    )
    .unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(
        &err,
        &path,
        &[
            "unsupported transfer syntax 1.2.840.10008.1.2.4.80 (JPEG-LS Lossless)",
            "expected Implicit VR Little Endian",
            "JPEG 2000 or RLE Lossless",
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_compressed_transfer_syntax_with_native_pixel_data() {
    let dir = tmp_dir("jpegnative");
    let path = dir.join("jpeg.dcm");
    std::fs::write(
        &path,
        part10(JPEG_BASELINE, MR_STORAGE, &single_frame(0, 0, "1.2.3.100")),
    )
    .unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(
        &err,
        &path,
        &[
            "invalid attribute Pixel Data (7FE0,0010)",
            "expected encapsulated fragments (the transfer syntax is compressed), found native pixel data",
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_inconsistent_shapes() {
    let dir = tmp_dir("shapes");
    std::fs::write(
        dir.join("a"),
        part10(EXPLICIT_LE, MR_STORAGE, &single_frame(0, 0, "1.2.3.100")),
    )
    .unwrap();
    let mut ds = single_frame(1, 0, "1.2.3.100");
    ds.retain(|e| (e.0, e.1) != (0x0028, 0x0011) && e.0 != 0x7FE0);
    ds.push(us(0x0028, 0x0011, 2));
    ds.push(ow(vec![0; 2 * ROWS]));
    let path = dir.join("b");
    std::fs::write(&path, part10(EXPLICIT_LE, MR_STORAGE, &ds)).unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(
        &err,
        &path,
        &["inconsistent image size", "expected 3 x 4", "found 3 x 2"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_frames_that_cannot_be_arranged() {
    let dir = tmp_dir("layout");
    // Two files at the same slice and with the same times: no key orders them.
    for name in ["a", "b"] {
        let mut ds = single_frame(0, 0, "1.2.3.100");
        ds.retain(|e| (e.0, e.1) != (0x0020, 0x0100));
        std::fs::write(dir.join(name), part10(EXPLICIT_LE, MR_STORAGE, &ds)).unwrap();
    }
    let err = dicom::read_series(&dir).unwrap_err();
    let pair = format!("e.g. {} and {}", dir.join("a").display(), dir.join("b").display());
    assert_message(
        &err,
        &dir,
        &["cannot arrange frames", "distinct AcquisitionTime", &pair],
    );
    // A slice with fewer frames than the others.
    std::fs::write(
        dir.join("a"),
        part10(EXPLICIT_LE, MR_STORAGE, &single_frame(0, 0, "1.2.3.100")),
    )
    .unwrap();
    std::fs::write(
        dir.join("b"),
        part10(EXPLICIT_LE, MR_STORAGE, &single_frame(0, 1, "1.2.3.100")),
    )
    .unwrap();
    std::fs::write(
        dir.join("c"),
        part10(EXPLICIT_LE, MR_STORAGE, &single_frame(1, 0, "1.2.3.100")),
    )
    .unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(&err, &dir, &["the same number of frames at every slice position"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_truncated_pixel_data() {
    let dir = tmp_dir("shortpixels");
    let mut ds = single_frame(0, 0, "1.2.3.100");
    ds.retain(|e| e.0 != 0x7FE0);
    ds.push(ow(vec![1; 5]));
    let path = dir.join("short.dcm");
    std::fs::write(&path, part10(EXPLICIT_BE, MR_STORAGE, &ds)).unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(
        &err,
        &path,
        &["truncated Pixel Data", "expected at least 24 bytes, found 10"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dicom_files_without_pixel_data_are_skipped_with_a_note() {
    let dir = tmp_dir("nopixels");
    std::fs::write(
        dir.join("img"),
        part10(EXPLICIT_LE, MR_STORAGE, &single_frame(0, 0, "1.2.3.100")),
    )
    .unwrap();
    let sr = "1.2.840.10008.5.1.4.1.1.88.11";
    let report = vec![s(0x0008, 0x0016, "UI", sr), s(0x0020, 0x000E, "UI", "1.2.3.555")];
    std::fs::write(dir.join("sr"), part10(EXPLICIT_LE, sr, &report)).unwrap();
    let ser = dicom::read_series(&dir).unwrap();
    assert_eq!(ser.data.shape(), &[COLS, ROWS, 1, 1]);
    assert_eq!(ser.notes.len(), 1);
    assert!(
        ser.notes[0].contains("sr: skipped: DICOM without Pixel Data"),
        "{:?}",
        ser.notes
    );

    std::fs::remove_file(dir.join("img")).unwrap();
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(&err, &dir, &["no DICOM images", "found 1 files, 1 of them DICOM"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn enhanced_multi_frame_file_ordered_by_temporal_position_index() {
    let dir = tmp_dir("enhanced-tpi");
    for ts in [EXPLICIT_LE, EXPLICIT_BE, IMPLICIT_LE] {
        std::fs::write(dir.join("enhanced.dcm"), enhanced(ts, true)).unwrap();
        let ser = dicom::read_series(&dir).unwrap();
        assert_eq!(
            ser.time_source,
            TimeSource::TemporalPosition { resolution_s: None }
        );
        // Without TemporalResolution the times count frames.
        assert_eq!(ser.times_s, vec![0.0, 1.0, 2.0], "{ts}");
        for p in 0..2 {
            for j in 0..3 {
                let want = stored(3, 2, p, j) as f64 * slope(p, j) + intercept(p, j);
                assert_eq!(ser.data[[3, 2, p, j]], want, "{ts} ({p}, {j})");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `ds` with element `(g, e)` replaced by (or set to) a string value.
fn set(mut ds: Vec<El>, g: u16, e: u16, vr: &'static str, v: impl Into<String>) -> Vec<El> {
    ds.retain(|x| (x.0, x.1) != (g, e));
    ds.push(s(g, e, vr, v));
    ds
}

/// `ds` without element `(g, e)`.
fn unset(mut ds: Vec<El>, g: u16, e: u16) -> Vec<El> {
    ds.retain(|x| (x.0, x.1) != (g, e));
    ds
}

const FLIPS: [f64; 3] = [3.0, 15.0, 8.0];

/// A VFA acquisition of 2 slices x 3 flip angles (`FLIPS`, acquired in that order, one series
/// per flip angle `1.2.3.50{j}`), written into `dir` (files named so that path order mixes the
/// series) or, with `sub`, into one sub-folder per series.
fn write_vfa(dir: &Path, sub: bool) {
    for (j, fa) in FLIPS.iter().enumerate() {
        let folder = if sub {
            dir.join(format!("series{j}"))
        } else {
            dir.to_path_buf()
        };
        std::fs::create_dir_all(&folder).unwrap();
        for p in 0..2 {
            let ds = set(
                single_frame(p, j, &format!("1.2.3.50{j}")),
                0x0018,
                0x1314,
                "DS",
                fa.to_string(),
            );
            let ds = set(ds, 0x0020, 0x0011, "IS", format!("{}", 10 + j));
            std::fs::write(
                folder.join(format!("IM{p}{j}")),
                part10(EXPLICIT_LE, MR_STORAGE, &ds),
            )
            .unwrap();
        }
    }
}

fn vfa_options(sub_folders: bool) -> ReadOptions {
    ReadOptions {
        order: VolumeOrder::FlipAngle,
        combine_series: true,
        sub_folders,
        ..ReadOptions::default()
    }
}

/// Volumes sorted by flip angle: 3, 8, 15 degrees are acquisition (file) indices 0, 2, 1.
fn check_vfa(ser: &dicom::DicomSeries) {
    assert_eq!(ser.data.shape(), &[COLS, ROWS, 2, 3]);
    assert_eq!(ser.volume_key, VolumeKey::FlipAngle);
    assert_eq!(ser.volume_flip_angles_deg, vec![Some(3.0), Some(8.0), Some(15.0)]);
    assert_eq!(ser.volume_repetition_times_s, vec![Some(0.0045); 3]);
    assert_eq!(ser.volume_inversion_times_s, vec![None; 3]);
    assert_eq!(ser.flip_angle_deg, None);
    assert_eq!(ser.repetition_time_s, Some(0.0045));
    // The times are those of the volumes as ordered: acquired at 0, 7.5 and 15 s.
    assert_eq!(ser.time_source, TimeSource::Acquisition);
    for (g, w) in ser.times_s.iter().zip([0.0, 15.0, 7.5]) {
        assert!((g - w).abs() < 1e-6, "{:?}", ser.times_s);
    }
    for k in 0..2 {
        let p = 1 - k; // slices sorted along -x
        for (v, j) in [0, 2, 1].into_iter().enumerate() {
            let want = stored(2, 1, p, j) as f64 * slope(p, j) + intercept(p, j);
            assert_eq!(ser.data[[2, 1, k, v]], want, "slice {k} volume {v}");
        }
    }
    // Geometry as for a time series.
    assert_affine(
        ser.affine,
        [
            [0.0, 0.0, 2.5, -12.5],
            [-0.6, 0.0, 0.0, 20.0],
            [0.0, -0.8, 0.0, 30.0],
            [0.0, 0.0, 0.0, 1.0],
        ],
    );
    assert!(
        ser.notes
            .iter()
            .any(|n| n.contains("combined 3 series") && n.contains("1.2.3.500 (#10 \"dce\", 2 files)")),
        "{:?}",
        ser.notes
    );
}

#[test]
fn vfa_one_series_per_flip_angle_in_one_folder() {
    let dir = tmp_dir("vfa-flat");
    write_vfa(&dir, false);
    check_vfa(&dicom::read_series_with(&dir, &vfa_options(false)).unwrap());
    // Without combine_series the series are refused, as for a time series.
    let opts = ReadOptions {
        combine_series: false,
        ..vfa_options(false)
    };
    let err = dicom::read_series_with(&dir, &opts).unwrap_err();
    assert!(matches!(err, DicomError::MixedSeries { .. }), "{err}");
    // Picking one series gives one volume.
    let opts = ReadOptions {
        series_uid: Some("1.2.3.501".into()),
        ..vfa_options(false)
    };
    let one = dicom::read_series_with(&dir, &opts).unwrap();
    assert_eq!(one.data.shape(), &[COLS, ROWS, 2, 1]);
    assert_eq!(one.volume_flip_angles_deg, vec![Some(15.0)]);
    assert_eq!(one.flip_angle_deg, Some(15.0));
    assert_eq!(one.time_source, TimeSource::Single);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn vfa_one_sub_folder_per_series() {
    let dir = tmp_dir("vfa-sub");
    write_vfa(&dir, true);
    std::fs::write(dir.join("DICOMDIR.txt"), "index").unwrap();
    let ser = dicom::read_series_with(&dir, &vfa_options(true)).unwrap();
    check_vfa(&ser);
    assert_eq!(ser.files.len(), 6);
    assert!(ser.files[0].starts_with(dir.join("series0")));
    // Without sub_folders the folder holds no DICOM image.
    let err = dicom::read_series_with(&dir, &vfa_options(false)).unwrap_err();
    assert!(matches!(err, DicomError::NoDicom { files: 1, .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn vfa_one_series_without_times() {
    // One series whose files differ only in FlipAngle (no time attribute at all).
    let dir = tmp_dir("vfa-one");
    for (j, fa) in FLIPS.iter().enumerate() {
        for p in 0..2 {
            let mut ds = set(
                single_frame(p, j, "1.2.3.600"),
                0x0018,
                0x1314,
                "DS",
                fa.to_string(),
            );
            for (g, e) in [
                (0x0008, 0x0022),
                (0x0008, 0x0032),
                (0x0008, 0x0033),
                (0x0020, 0x0100),
            ] {
                ds = unset(ds, g, e);
            }
            std::fs::write(dir.join(format!("f{j}{p}")), part10(IMPLICIT_LE, MR_STORAGE, &ds)).unwrap();
        }
    }
    let opts = ReadOptions {
        order: VolumeOrder::FlipAngle,
        ..ReadOptions::default()
    };
    let ser = dicom::read_series_with(&dir, &opts).unwrap();
    assert_eq!(ser.volume_flip_angles_deg, vec![Some(3.0), Some(8.0), Some(15.0)]);
    assert_eq!(ser.time_source, TimeSource::Absent);
    assert_eq!(ser.times_s, vec![0.0; 3]);
    assert!(ser.notes.is_empty(), "{:?}", ser.notes);
    // As a time series the files cannot be ordered.
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(&err, &dir, &["cannot arrange frames", "distinct AcquisitionTime"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_flip_angles_that_cannot_order_the_volumes() {
    let dir = tmp_dir("vfa-errors");
    let opts = vfa_options(false);
    // Two series with the same flip angle.
    for (j, series) in ["1.2.3.71", "1.2.3.72"].into_iter().enumerate() {
        std::fs::write(
            dir.join(format!("s{j}")),
            part10(EXPLICIT_LE, MR_STORAGE, &single_frame(0, j, series)),
        )
        .unwrap();
    }
    let err = dicom::read_series_with(&dir, &opts).unwrap_err();
    let pair = format!(
        "e.g. {} and {}",
        dir.join("s0").display(),
        dir.join("s1").display()
    );
    assert_message(
        &err,
        &dir,
        &[
            "cannot arrange frames",
            "expected 2 frames per slice with distinct FlipAngle (0018,1314)",
            "found frames at the same slice and flip angle",
            &pair,
        ],
    );
    // A frame without FlipAngle.
    std::fs::write(
        dir.join("s1"),
        part10(
            EXPLICIT_LE,
            MR_STORAGE,
            &unset(single_frame(0, 1, "1.2.3.72"), 0x0018, 0x1314),
        ),
    )
    .unwrap();
    let err = dicom::read_series_with(&dir, &opts).unwrap_err();
    let missing = format!(
        "found a frame without FlipAngle (0018,1314): {}",
        dir.join("s1").display()
    );
    assert_message(&err, &dir, &[&missing]);
    // Different flip angles at the two slices.
    std::fs::remove_file(dir.join("s1")).unwrap();
    for (name, p, j, fa) in [("s1", 0, 1, "20"), ("t0", 1, 0, "15"), ("t1", 1, 1, "25")] {
        let ds = set(single_frame(p, j, "1.2.3.71"), 0x0018, 0x1314, "DS", fa);
        std::fs::write(dir.join(name), part10(EXPLICIT_LE, MR_STORAGE, &ds)).unwrap();
    }
    let err = dicom::read_series_with(&dir, &opts).unwrap_err();
    assert_message(
        &err,
        &dir,
        &[
            "the same flip angles at every slice position ([15.0, 25.0] degrees",
            "found [15.0, 20.0] degrees",
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

const TIS: [f64; 4] = [100.0, 400.0, 1200.0, 2500.0];

/// An inversion-recovery acquisition of 2 slices x 4 volumes, one file each, in one series.
/// `ti(p, j)` and `trigger(p, j)` give InversionTime and TriggerTime (ms), `None` to leave out.
fn write_ir(
    dir: &Path,
    ti: impl Fn(usize, usize) -> Option<f64>,
    trigger: impl Fn(usize, usize) -> Option<f64>,
) {
    for j in 0..TIS.len() {
        for p in 0..2 {
            let mut ds = single_frame(p, j, "1.2.3.800");
            if let Some(v) = ti(p, j) {
                ds = set(ds, 0x0018, 0x0082, "DS", v.to_string());
            }
            if let Some(v) = trigger(p, j) {
                ds = set(ds, 0x0018, 0x1060, "DS", v.to_string());
            }
            std::fs::write(
                dir.join(format!("ir{}{p}", 3 - j)),
                part10(EXPLICIT_BE, MR_STORAGE, &ds),
            )
            .unwrap();
        }
    }
}

fn ir_options() -> ReadOptions {
    ReadOptions {
        order: VolumeOrder::InversionTime,
        ..ReadOptions::default()
    }
}

#[test]
fn inversion_recovery_ordered_by_inversion_time() {
    let dir = tmp_dir("ir");
    // Acquired in the order of TIS reversed: volume v has TI = TIS[v] and file index j = 3 - v.
    write_ir(&dir, |_, j| Some(TIS[3 - j]), |_, _| None);
    let ser = dicom::read_series_with(&dir, &ir_options()).unwrap();
    assert_eq!(ser.data.shape(), &[COLS, ROWS, 2, 4]);
    assert_eq!(ser.volume_key, VolumeKey::InversionTime);
    assert_eq!(
        ser.volume_inversion_times_s,
        vec![Some(0.1), Some(0.4), Some(1.2), Some(2.5)]
    );
    assert_eq!(ser.volume_trigger_times_s, vec![None; 4]);
    assert_eq!(ser.volume_flip_angles_deg, vec![Some(15.0); 4]);
    for v in 0..4 {
        let (p, j) = (1, 3 - v);
        let want = stored(0, 2, p, j) as f64 * slope(p, j) + intercept(p, j);
        assert_eq!(ser.data[[0, 2, 0, v]], want, "volume {v}");
    }
    // The acquisition times of the volumes as ordered: the last acquired first.
    assert!((ser.times_s[3] + 22.5).abs() < 1e-6, "{:?}", ser.times_s);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn look_locker_ordered_by_trigger_time_with_one_inversion_time() {
    let dir = tmp_dir("ll");
    write_ir(&dir, |_, _| Some(100.0), |_, j| Some(TIS[3 - j]));
    let ser = dicom::read_series_with(&dir, &ir_options()).unwrap();
    assert_eq!(ser.volume_key, VolumeKey::TriggerTime);
    assert_eq!(
        ser.volume_trigger_times_s,
        vec![Some(0.1), Some(0.4), Some(1.2), Some(2.5)]
    );
    assert_eq!(ser.volume_inversion_times_s, vec![Some(0.1); 4]);
    assert!(ser.notes.is_empty(), "{:?}", ser.notes);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn slice_dependent_inversion_times_are_noted() {
    let dir = tmp_dir("ll-slices");
    write_ir(&dir, |p, j| Some(TIS[3 - j] + 30.0 * p as f64), |_, _| None);
    let ser = dicom::read_series_with(&dir, &ir_options()).unwrap();
    assert_eq!(ser.volume_key, VolumeKey::InversionTime);
    assert_eq!(ser.volume_inversion_times_s, vec![None; 4]);
    assert!(
        ser.notes
            .iter()
            .any(|n| n.contains("InversionTime differs between the slices of volume 0")),
        "{:?}",
        ser.notes
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_inversion_and_trigger_times_that_cannot_order_the_volumes() {
    let dir = tmp_dir("ir-errors");
    write_ir(&dir, |_, _| Some(100.0), |_, _| None);
    let err = dicom::read_series_with(&dir, &ir_options()).unwrap_err();
    assert_message(
        &err,
        &dir,
        &[
            "cannot arrange frames",
            "expected 4 frames per slice with distinct InversionTime (0018,0082) or TriggerTime",
            "found frames at the same slice and inversion time, e.g.",
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let dir = tmp_dir("ir-errors2");
    write_ir(&dir, |_, j| (j > 0).then_some(TIS[j]), |_, _| None);
    let err = dicom::read_series_with(&dir, &ir_options()).unwrap_err();
    assert_message(&err, &dir, &["found a frame without InversionTime (0018,0082): "]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An enhanced MR file of 2 axial slices x 3 volumes, frames shuffled, whose per-frame MR
/// Timing and Related Parameters carry the flip angle `FLIPS[j]` (TR 3.2 ms) and whose per-frame
/// MR Modifier carries InversionTimes `TIS[j]` (FD, ms); no frame time at all.
fn enhanced_t1() -> Vec<u8> {
    let fd = |g, e, v: f64| El(g, e, "FD", V::Ob(v.to_le_bytes().to_vec()));
    let order = [(1, 2), (0, 0), (1, 0), (0, 2), (1, 1), (0, 1)];
    let mut per_frame = Vec::new();
    let mut px = Vec::new();
    for &(p, j) in &order {
        per_frame.push(vec![
            sq(
                0x0018,
                0x9112,
                vec![vec![
                    s(0x0018, 0x0080, "DS", "3.2"),
                    s(0x0018, 0x1314, "DS", FLIPS[j].to_string()),
                ]],
            ),
            sq(0x0018, 0x9115, vec![vec![fd(0x0018, 0x9079, TIS[j])]]),
            sq(
                0x0020,
                0x9113,
                vec![vec![s(
                    0x0020,
                    0x0032,
                    "DS",
                    format!("-100\\-90\\{}", -5.0 + 3.0 * p as f64),
                )]],
            ),
        ]);
        for r in 0..ROWS {
            for c in 0..COLS {
                px.push(stored(c, r, p, j));
            }
        }
    }
    let shared = vec![
        sq(
            0x0020,
            0x9116,
            vec![vec![s(0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0")]],
        ),
        sq(0x0028, 0x9110, vec![vec![s(0x0028, 0x0030, "DS", "1.5\\1.25")]]),
    ];
    let mut ds = vec![
        s(0x0008, 0x0016, "UI", ENHANCED_MR_STORAGE),
        s(0x0008, 0x0018, "UI", "1.2.3.900.1"),
        s(0x0020, 0x000E, "UI", "1.2.3.900"),
        s(0x0028, 0x0008, "IS", "6"),
        sq(0x5200, 0x9229, vec![shared]),
        sq(0x5200, 0x9230, per_frame),
    ];
    ds.extend(pixel_module(ROWS as u16, COLS as u16, 16, 16, false));
    ds.push(ow(px));
    part10(EXPLICIT_LE, ENHANCED_MR_STORAGE, &ds)
}

#[test]
fn enhanced_multi_frame_file_ordered_by_flip_angle_or_inversion_time() {
    let dir = tmp_dir("enhanced-t1");
    std::fs::write(dir.join("t1.dcm"), enhanced_t1()).unwrap();
    let ser = dicom::read_series_with(&dir, &vfa_options(false)).unwrap();
    assert_eq!(ser.data.shape(), &[COLS, ROWS, 2, 3]);
    assert_eq!(ser.volume_key, VolumeKey::FlipAngle);
    assert_eq!(ser.volume_flip_angles_deg, vec![Some(3.0), Some(8.0), Some(15.0)]);
    assert_eq!(ser.volume_repetition_times_s, vec![Some(0.0032); 3]);
    assert_eq!(
        ser.volume_inversion_times_s,
        vec![Some(0.1), Some(1.2), Some(0.4)]
    );
    assert_eq!(ser.time_source, TimeSource::Absent);
    for p in 0..2 {
        for (v, j) in [0, 2, 1].into_iter().enumerate() {
            assert_eq!(ser.data[[1, 2, p, v]], stored(1, 2, p, j) as f64, "({p}, {v})");
        }
    }
    let ser = dicom::read_series_with(&dir, &ir_options()).unwrap();
    assert_eq!(ser.volume_key, VolumeKey::InversionTime);
    assert_eq!(
        ser.volume_inversion_times_s,
        vec![Some(0.1), Some(0.4), Some(1.2)]
    );
    assert_eq!(ser.volume_flip_angles_deg, vec![Some(3.0), Some(15.0), Some(8.0)]);
    assert_eq!(ser.data[[1, 2, 1, 2]], stored(1, 2, 1, 2) as f64);
    // As a time series the frames cannot be ordered.
    let err = dicom::read_series(&dir).unwrap_err();
    assert_message(&err, &dir, &["cannot arrange frames", "distinct AcquisitionTime"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A dynamic series as scanners and converters write it: AcquisitionTime and ContentTime the
/// same on every frame, no TemporalPositionIdentifier, TriggerTime 2500 j ms on time point j
/// except on the first, where it is absent (`first_trigger` false) or 0.
fn write_trigger_series(test: &str, ts: &str, first_trigger: bool) -> PathBuf {
    let dir = tmp_dir(test);
    for p in 0..2 {
        for j in 0..NT {
            let mut ds = unset(single_frame(p, j, "1.2.3.100"), 0x0020, 0x0100);
            ds = set(ds, 0x0008, 0x0032, "TM", "101010");
            if j > 0 || first_trigger {
                ds = set(ds, 0x0018, 0x1060, "DS", format!("{}", 2500 * j));
            }
            let name = format!("IM{:04}", ((p * NT + j) * 5) % (2 * NT));
            std::fs::write(dir.join(name), part10(ts, MR_STORAGE, &ds)).unwrap();
        }
    }
    dir
}

#[test]
fn time_from_trigger_time_absent_on_the_first_frame_in_both_byte_orders() {
    for (ts, name) in [(EXPLICIT_LE, "ele"), (EXPLICIT_BE, "ebe")] {
        for first_trigger in [false, true] {
            let dir = write_trigger_series(&format!("trigger-{name}-{first_trigger}"), ts, first_trigger);
            let ser = dicom::read_series(&dir).unwrap();
            assert_eq!(ser.time_source, TimeSource::Trigger, "{ts} {first_trigger}");
            assert_eq!(ser.times_s, vec![0.0, 2.5, 5.0, 7.5], "{ts} {first_trigger}");
            assert_eq!(ser.slice_times_s, vec![vec![0.0, 2.5, 5.0, 7.5]; 2]);
            assert_eq!(
                ser.volume_trigger_times_s,
                vec![Some(0.0), Some(2.5), Some(5.0), Some(7.5)]
            );
            assert_eq!(ser.data.shape(), &[COLS, ROWS, 2, NT]);
            // Slices along -x: slice k is physical slice p = 1 - k.
            for k in 0..2 {
                let p = 1 - k;
                for j in 0..NT {
                    let want = stored(3, 2, p, j) as f64 * slope(p, j) + intercept(p, j);
                    assert_eq!(ser.data[[3, 2, k, j]], want, "{ts} {first_trigger} ({k}, {j})");
                }
            }
            let noted = ser
                .notes
                .iter()
                .any(|n| n.contains("TriggerTime (0018,1060) absent in 2 of 8 frames, taken as 0 ms"));
            assert_eq!(noted, !first_trigger, "{:?}", ser.notes);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}

#[test]
fn time_falls_back_to_instance_number() {
    let dir = tmp_dir("instance");
    for p in 0..2 {
        for j in 0..3 {
            let mut ds = unset(single_frame(p, j, "1.2.3.100"), 0x0020, 0x0100);
            ds = set(ds, 0x0008, 0x0032, "TM", "101010");
            ds = set(ds, 0x0020, 0x0013, "IS", format!("{}", 10 + 3 * j + p));
            std::fs::write(
                dir.join(format!("f{p}{}", 2 - j)),
                part10(EXPLICIT_BE, MR_STORAGE, &ds),
            )
            .unwrap();
        }
    }
    let ser = dicom::read_series(&dir).unwrap();
    assert_eq!(ser.time_source, TimeSource::InstanceNumber { resolution_s: None });
    assert_eq!(ser.times_s, vec![0.0, 1.0, 2.0]);
    assert_eq!(
        ser.data[[1, 2, 0, 2]],
        stored(1, 2, 1, 2) as f64 * slope(1, 2) + intercept(1, 2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The committed compressed series (`tests/data/dicom/compressed`, README there): 16 x 16
/// pixels, 2 slices x 3 times, one file each, compressed by gdcmconv from the uncompressed
/// sources beside them.
fn compressed_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/dicom/compressed")
        .join(name)
}

#[test]
fn compressed_lossless_series_read_bit_identical_to_their_source() {
    let source = dicom::read_series(&compressed_dir("source16")).unwrap();
    assert_eq!(source.data.shape(), &[16, 16, 2, 3]);
    // The generator's sample16 at (x, y, z, t) = (5, 7, 1, 2).
    // 37 x + 53 y + 211 z + 97 t + (13 x y) % 17 + 1000 ((x + y + t) % 3), modulo 4096.
    let want = 185 + 371 + 211 + 194 + 13 + 2000;
    assert_eq!(source.data[[5, 7, 1, 2]], want as f64);
    assert_eq!(source.times_s, vec![0.0, 5.0, 10.0]);
    for name in ["jpeg-lossless", "rle", "j2k-lossless"] {
        let ser = dicom::read_series(&compressed_dir(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ser.data.shape(), source.data.shape(), "{name}");
        let same = ser
            .data
            .iter()
            .zip(source.data.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "{name}: not bit-identical to its source");
        assert_eq!(ser.times_s, source.times_s, "{name}");
        assert_eq!(ser.affine, source.affine, "{name}");
        assert_eq!(ser.time_source, TimeSource::Acquisition, "{name}");
    }
}

#[test]
fn compressed_jpeg_baseline_series_reads_within_tolerance_of_its_source() {
    let source = dicom::read_series(&compressed_dir("source8")).unwrap();
    let ser = dicom::read_series(&compressed_dir("jpeg-baseline")).unwrap();
    assert_eq!(ser.data.shape(), &[16, 16, 2, 3]);
    assert_eq!(
        source.data[[5, 7, 1, 2]],
        (60 + 6 * 5 + 4 * 7 + 12 + 10 * 2) as f64
    );
    let worst = ser
        .data
        .iter()
        .zip(source.data.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    // Quality 90 on a smooth ramp: 1 grey level when written; 2 allowed.
    assert!(worst <= 2.0, "JPEG baseline differs from its source by {worst}");
    assert_eq!(ser.times_s, source.times_s);
}

/// Lossy JPEG 2000 (1.2.840.10008.1.2.4.91) of 12-bit data: the same values as gdcm's own
/// decoding of the same files (`j2k-lossy-decoded/`), and near its source.
#[test]
fn compressed_lossy_jpeg_2000_reads_as_gdcm_decodes_it() {
    let source = dicom::read_series(&compressed_dir("source16")).unwrap();
    let decoded = dicom::read_series(&compressed_dir("j2k-lossy-decoded")).unwrap();
    let ser = dicom::read_series(&compressed_dir("j2k-lossy")).unwrap();
    assert_eq!(ser.data.shape(), &[16, 16, 2, 3]);
    let worst = |a: &ndarray::Array4<f64>, b: &ndarray::Array4<f64>| {
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    };
    let vs_gdcm = worst(&ser.data, &decoded.data);
    let vs_source = worst(&ser.data, &source.data);
    eprintln!("j2k-lossy: worst {vs_gdcm} against gdcm, {vs_source} against the source");
    assert!(
        vs_gdcm <= 1.0,
        "JPEG 2000 differs from gdcm's decoding by {vs_gdcm}"
    );
    assert!(vs_source > 0.0 && vs_source < 4096.0);
    assert_eq!(ser.times_s, source.times_s);
}

#[test]
fn compressed_pixel_data_over_the_cap_is_refused_before_decoding() {
    let dir = compressed_dir("rle");
    let options = ReadOptions {
        max_decoded_bytes: 511,
        ..ReadOptions::default()
    };
    let err = dicom::read_series_with(&dir, &options).unwrap_err();
    let path = dir.join("z0_t0.dcm");
    assert_message(
        &err,
        &path,
        &[
            "compressed Pixel Data too large: expected at most 511 decoded bytes (ReadOptions::max_decoded_bytes)",
            "found 16 x 16 pixels x 1 frames x 2 bytes = 512",
        ],
    );
    let options = ReadOptions {
        max_decoded_bytes: 512,
        ..ReadOptions::default()
    };
    assert_eq!(
        dicom::read_series_with(&dir, &options).unwrap().data.len(),
        16 * 16 * 6
    );
    assert_eq!(ReadOptions::default().max_decoded_bytes, 4 << 30);
}

/// A diffusion acquisition in acquisition order: (b-value, gradient direction index; `None` at
/// b = 0).
const DWI: [(f64, Option<usize>); 10] = [
    (800.0, Some(0)),
    (0.0, None),
    (50.0, Some(0)),
    (800.0, Some(1)),
    (200.0, Some(0)),
    (50.0, Some(1)),
    (800.0, Some(2)),
    (200.0, Some(1)),
    (50.0, Some(2)),
    (200.0, Some(2)),
];
/// The acquisition indices of the volumes ordered by b, then by acquisition (InstanceNumber).
const DWI_ORDER: [usize; 10] = [1, 2, 5, 8, 4, 7, 9, 0, 3, 6];
const DIRECTIONS: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// How a diffusion series stores its b-values.
#[derive(Clone, Copy)]
enum BTag {
    /// DiffusionBValue (FD) with DiffusionGradientOrientation.
    Standard,
    /// Siemens (0019,100C) as DS text.
    Siemens,
    /// Philips (2001,1003) as FL.
    Philips,
    /// Siemens in block 11 of its creator, with another creator's element at (0019,100C).
    SiemensBlock11,
    /// GE (0043,1039) as IS text, 10⁹ added to the non-zero b-values.
    GeOffset,
    /// (0019,100C) under another vendor's private creator: not a b-value.
    ForeignCreator,
    /// None at all.
    Without,
}

/// Writes the 2-slice diffusion series `DWI`, one file per slice and volume, names shuffled.
fn write_dwi(dir: &Path, ts: &str, tag: BTag) {
    for p in 0..2 {
        for (j, (b, d)) in DWI.iter().enumerate() {
            let mut ds = single_frame(p, j, "1.2.3.700");
            match tag {
                BTag::Standard => {
                    ds.push(El(0x0018, 0x9087, "FD", V::Ob(b.to_le_bytes().to_vec())));
                    if let Some(d) = d {
                        let bytes = DIRECTIONS[*d].iter().flat_map(|x| x.to_le_bytes()).collect();
                        ds.push(El(0x0018, 0x9089, "FD", V::Ob(bytes)));
                    }
                }
                BTag::Siemens => ds.push(s(0x0019, 0x100C, "DS", format!("{b}"))),
                BTag::Philips => ds.push(El(
                    0x2001,
                    0x1003,
                    "FL",
                    V::Ob((*b as f32).to_le_bytes().to_vec()),
                )),
                BTag::SiemensBlock11 => {
                    ds.push(s(0x0019, 0x0010, "LO", "OTHER SOFTWARE"));
                    ds.push(s(0x0019, 0x0011, "LO", "SIEMENS MR HEADER "));
                    ds.push(s(0x0019, 0x100C, "DS", "9999"));
                    ds.push(s(0x0019, 0x110C, "IS", format!("{b}")));
                }
                BTag::GeOffset => {
                    let v = if *b > 0.0 { 1e9 + b } else { 0.0 };
                    ds.push(s(0x0043, 0x0010, "LO", "GEMS_PARM_01"));
                    ds.push(s(0x0043, 0x1039, "IS", format!("{v}\\8\\0\\0")));
                }
                BTag::ForeignCreator => {
                    ds.push(s(0x0019, 0x0010, "LO", "OTHER SOFTWARE"));
                    ds.push(s(0x0019, 0x100C, "DS", format!("{b}")));
                }
                BTag::Without => {}
            }
            let name = format!("IM{:04}", ((p * DWI.len() + j) * 7) % (2 * DWI.len()));
            std::fs::write(dir.join(name), part10(ts, MR_STORAGE, &ds)).unwrap();
        }
    }
}

fn dwi_options() -> ReadOptions {
    ReadOptions {
        order: VolumeOrder::BValue,
        ..ReadOptions::default()
    }
}

/// Volumes ordered by b, equal b by InstanceNumber; the b-values (and directions) per volume.
fn check_dwi(ser: &dicom::DicomSeries, source: &str, vectors: bool) {
    assert_eq!(ser.data.shape(), &[COLS, ROWS, 2, DWI.len()]);
    assert_eq!(ser.volume_key, VolumeKey::BValue);
    assert_eq!(ser.b_value_source, Some(source));
    let want: Vec<Option<f64>> = DWI_ORDER.iter().map(|j| Some(DWI[*j].0)).collect();
    assert_eq!(ser.volume_b_values, want);
    let dirs: Vec<Option<[f64; 3]>> = DWI_ORDER
        .iter()
        .map(|j| DWI[*j].1.filter(|_| vectors).map(|d| DIRECTIONS[d]))
        .collect();
    assert_eq!(ser.volume_b_vectors, dirs);
    for k in 0..2 {
        let p = 1 - k; // slices sorted along -x
        for (v, j) in DWI_ORDER.into_iter().enumerate() {
            let want = stored(2, 1, p, j) as f64 * slope(p, j) + intercept(p, j);
            assert_eq!(ser.data[[2, 1, k, v]], want, "slice {k} volume {v}");
        }
    }
}

#[test]
fn diffusion_series_ordered_by_the_standard_b_value() {
    let dir = tmp_dir("dwi-standard");
    write_dwi(&dir, EXPLICIT_LE, BTag::Standard);
    let ser = dicom::read_series_with(&dir, &dwi_options()).unwrap();
    check_dwi(&ser, "DiffusionBValue (0018,9087)", true);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn diffusion_series_ordered_by_the_siemens_b_value_in_both_vr_styles() {
    for ts in [EXPLICIT_LE, IMPLICIT_LE] {
        let dir = tmp_dir("dwi-siemens");
        write_dwi(&dir, ts, BTag::Siemens);
        let ser = dicom::read_series_with(&dir, &dwi_options()).unwrap();
        check_dwi(&ser, "Siemens (0019,100C)", false);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn diffusion_series_ordered_by_the_philips_b_value_in_both_vr_styles() {
    // Implicit VR: the FL value comes without its VR, as 4 little-endian bytes.
    for ts in [EXPLICIT_LE, IMPLICIT_LE] {
        let dir = tmp_dir("dwi-philips");
        write_dwi(&dir, ts, BTag::Philips);
        let ser = dicom::read_series_with(&dir, &dwi_options()).unwrap();
        check_dwi(&ser, "Philips (2001,1003)", false);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn diffusion_b_value_read_from_the_block_of_its_private_creator() {
    for ts in [EXPLICIT_LE, IMPLICIT_LE] {
        let dir = tmp_dir("dwi-block11");
        write_dwi(&dir, ts, BTag::SiemensBlock11);
        let ser = dicom::read_series_with(&dir, &dwi_options()).unwrap();
        check_dwi(&ser, "Siemens (0019,100C)", false);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn diffusion_ge_b_value_without_its_offset() {
    for ts in [EXPLICIT_LE, IMPLICIT_LE] {
        let dir = tmp_dir("dwi-ge");
        write_dwi(&dir, ts, BTag::GeOffset);
        let ser = dicom::read_series_with(&dir, &dwi_options()).unwrap();
        check_dwi(&ser, "GE (0043,1039)", false);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn error_diffusion_b_value_under_another_private_creator() {
    let dir = tmp_dir("dwi-foreign");
    write_dwi(&dir, EXPLICIT_LE, BTag::ForeignCreator);
    let err = dicom::read_series_with(&dir, &dwi_options()).unwrap_err();
    assert_message(
        &err,
        &dir,
        &["DiffusionBValue (0018,9087)", "Siemens (0019,100C)"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn enhanced_diffusion_file_ordered_by_the_b_value_of_its_functional_groups() {
    // The 3 "times" of the enhanced file become b = 500, 0, 100 (MR Diffusion functional
    // group per frame), in all three transfer syntaxes.
    let b = [500.0, 0.0, 100.0];
    let dir = tmp_dir("enhanced-dwi");
    for ts in [EXPLICIT_LE, EXPLICIT_BE, IMPLICIT_LE] {
        std::fs::write(dir.join("enhanced.dcm"), enhanced_with(ts, false, Some(b))).unwrap();
        let ser = dicom::read_series_with(&dir, &dwi_options()).unwrap();
        assert_eq!(ser.data.shape(), &[COLS, ROWS, 2, 3], "{ts}");
        assert_eq!(ser.volume_key, VolumeKey::BValue, "{ts}");
        assert_eq!(ser.b_value_source, Some("DiffusionBValue (0018,9087)"), "{ts}");
        assert_eq!(
            ser.volume_b_values,
            vec![Some(0.0), Some(100.0), Some(500.0)],
            "{ts}"
        );
        for (v, j) in [1usize, 2, 0].into_iter().enumerate() {
            for p in 0..2 {
                let want = stored(2, 1, p, j) as f64 * slope(p, j) + intercept(p, j);
                assert_eq!(ser.data[[2, 1, p, v]], want, "{ts} slice {p} volume {v}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_diffusion_series_without_b_values() {
    let dir = tmp_dir("dwi-without");
    write_dwi(&dir, EXPLICIT_LE, BTag::Without);
    let err = dicom::read_series_with(&dir, &dwi_options()).unwrap_err();
    assert_message(
        &err,
        &dir,
        &[
            "DiffusionBValue (0018,9087)",
            "Siemens (0019,100C)",
            "GE (0043,1039)",
            "Philips (2001,1003)",
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
