//! End to end: the `osipy` binary's `dce` and `t1` commands on DICOM input written by dicom-rs
//! (`InMemDicomObject` + `FileMetaTableBuilder`, Explicit VR Little Endian, one single-frame
//! file per slice and volume, 32-bit samples with RescaleSlope/Intercept so that quantisation
//! stays far below the tolerances): small noise-free phantoms (8x8x2 voxels) as an SPGR signal
//! and as a concentration series (times, flip angle and TR from the header), as a
//! variable-flip-angle acquisition of one series per flip angle in sub-folders and as a
//! Look-Locker series ordered by InversionTime; and bad DICOM input (a truncated file, a folder
//! without DICOM images, two series mixed, flags that disagree with the header): exit code 1,
//! one line naming the file or folder, no output folder.

mod common;

use common::{osipy, osipy_ok, scratch};
use std::path::Path;

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use ndarray::{Array2, Array3, Array4};
use osipy::io::nifti;

const DIMS: [usize; 3] = [8, 8, 2];
/// PixelSpacing (row spacing = column spacing) and slice step, mm.
const SPACING: f64 = 1.5;
const STEP: f64 = 4.0;
/// The output affine (RAS+) of the series below: columns along -x, rows along -y (LPS to RAS),
/// slices along +z from z = -10 mm.
const AFFINE: [[f64; 4]; 4] = [
    [-SPACING, 0.0, 0.0, -30.0],
    [0.0, -SPACING, 0.0, -20.0],
    [0.0, 0.0, STEP, -10.0],
    [0.0, 0.0, 0.0, 1.0],
];

/// What varies between the files of a series.
#[derive(Clone)]
struct Frame {
    series_uid: String,
    series_number: i32,
    /// Slice index `z`.
    z: usize,
    /// AcquisitionTime, seconds after midnight.
    time_s: f64,
    flip_deg: f64,
    tr_ms: f64,
    inversion_ms: Option<f64>,
    /// TriggerTime (ms), written where not 0; with one, AcquisitionTime and ContentTime are the
    /// series start on every file (as scanners write a dynamic series).
    trigger_ms: Option<f64>,
    /// Values stored as `round((v - intercept) / slope)` in 32 unsigned bits.
    slope: f64,
    intercept: f64,
}

/// Seconds after midnight as a TM value `HHMMSS.FFFFFF`.
fn tm(t: f64) -> String {
    let h = (t / 3600.0).floor();
    let m = ((t - 3600.0 * h) / 60.0).floor();
    format!("{:02}{:02}{:09.6}", h as u32, m as u32, t - 3600.0 * h - 60.0 * m)
}

/// Writes one single-frame MR image of `values[[x, y]]` (x = column, y = row).
fn write_frame(path: &Path, f: &Frame, values: &Array2<f64>) {
    let el = |tag, vr, v: String| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    let [nx, ny, _] = DIMS;
    let sop = format!("{}.{}.{}", f.series_uid, f.z, (f.time_s * 1000.0).round());
    let mut obj = InMemDicomObject::from_element_iter([
        el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.4".into()),
        el(tags::SOP_INSTANCE_UID, VR::UI, sop),
        el(tags::MODALITY, VR::CS, "MR".into()),
        el(tags::ACQUISITION_TIME, VR::TM, tm(f.time_s)),
        el(tags::SERIES_DESCRIPTION, VR::LO, "phantom".into()),
        el(tags::REPETITION_TIME, VR::DS, f.tr_ms.to_string()),
        el(tags::FLIP_ANGLE, VR::DS, f.flip_deg.to_string()),
        el(tags::SLICE_THICKNESS, VR::DS, STEP.to_string()),
        el(tags::SERIES_INSTANCE_UID, VR::UI, f.series_uid.clone()),
        el(tags::SERIES_NUMBER, VR::IS, f.series_number.to_string()),
        // LPS position of voxel (0, 0, z): (30, 20, -10 + 4 z).
        el(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            format!("30\\20\\{}", -10.0 + STEP * f.z as f64),
        ),
        el(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0".into()),
        el(tags::PIXEL_SPACING, VR::DS, format!("{SPACING}\\{SPACING}")),
        el(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2".into()),
        el(tags::RESCALE_INTERCEPT, VR::DS, f.intercept.to_string()),
        el(tags::RESCALE_SLOPE, VR::DS, f.slope.to_string()),
        us(tags::SAMPLES_PER_PIXEL, 1),
        us(tags::ROWS, ny as u16),
        us(tags::COLUMNS, nx as u16),
        us(tags::BITS_ALLOCATED, 32),
        us(tags::BITS_STORED, 32),
        us(tags::HIGH_BIT, 31),
        us(tags::PIXEL_REPRESENTATION, 0),
    ]);
    if let Some(ti) = f.inversion_ms {
        obj.put(el(tags::INVERSION_TIME, VR::DS, ti.to_string()));
    }
    if let Some(ms) = f.trigger_ms {
        obj.put(el(tags::ACQUISITION_TIME, VR::TM, "100000".into()));
        obj.put(el(tags::CONTENT_TIME, VR::TM, "100000".into()));
        if ms != 0.0 {
            obj.put(el(tags::TRIGGER_TIME, VR::DS, ms.to_string()));
        }
    }
    let mut words: Vec<u16> = Vec::with_capacity(2 * nx * ny);
    for y in 0..ny {
        for x in 0..nx {
            let q = ((values[[x, y]] - f.intercept) / f.slope).round();
            assert!((0.0..4.0e9).contains(&q), "value {} does not fit", values[[x, y]]);
            let v = q as u32;
            words.push(v as u16);
            words.push((v >> 16) as u16);
        }
    }
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(words.into_iter().collect()),
    ));
    let file = obj
        .with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .unwrap_or_else(|e| panic!("{e}"));
    file.write_to_file(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Writes volume `data[.., .., .., v]` as one file per slice into `dir`, named `{prefix}_{v}_{z}`.
fn write_volume(dir: &Path, prefix: &str, data: &Array4<f64>, v: usize, f: &Frame) {
    for z in 0..DIMS[2] {
        let slice = data.slice(ndarray::s![.., .., z, v]).to_owned();
        let f = Frame { z, ..f.clone() };
        write_frame(&dir.join(format!("{prefix}_{v:03}_{z}.dcm")), &f, &slice);
    }
}

fn read(out: &Path, name: &str) -> nifti::Nifti {
    nifti::read(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn provenance(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("provenance.json")).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_affine(img: &nifti::Nifti) {
    let close = img
        .affine
        .iter()
        .flatten()
        .zip(AFFINE.iter().flatten())
        .all(|(g, w)| (g - w).abs() < 1e-5);
    assert!(close, "affine {:?}, expected {AFFINE:?}", img.affine);
}

/// The largest relative error of `map` against `truth`.
fn worst(map: &nifti::Nifti, truth: &Array3<f64>) -> f64 {
    assert_eq!(map.shape()[..3], DIMS[..]);
    map.data
        .iter()
        .zip(truth.iter())
        .map(|(g, w)| ((g - w) / w).abs())
        .fold(0.0, f64::max)
}

// DCE: the extended Tofts phantom of cli_dce.rs (60 frames, 5 s apart, Parker AIF at 20 s).

const NT: usize = 60;
const DT: f64 = 5.0;

struct Dce {
    conc: Array4<f64>,
    params: [Array3<f64>; 3],
}

fn dce_phantom() -> Dce {
    let t: Vec<f64> = (0..NT).map(|i| i as f64 * DT).collect();
    let cb = osipy::aif::parker(&t, 20.0).expect("parker");
    let cp = osipy::dce::plasma_from_blood(&cb, 0.42).expect("plasma");
    let [nx, ny, nz] = DIMS;
    let k = Array3::from_shape_fn((nx, ny, nz), |(x, _, z)| 0.05 + 0.03 * x as f64 + 0.02 * z as f64);
    let e = Array3::from_shape_fn((nx, ny, nz), |(_, y, _)| 0.15 + 0.04 * y as f64);
    let v = Array3::from_shape_fn((nx, ny, nz), |(x, y, _)| 0.02 + 0.005 * ((x + y) % 5) as f64);
    let flat = |a: &Array3<f64>| a.iter().copied().collect::<Vec<f64>>();
    let mut ct = Array2::<f64>::zeros((nx * ny * nz, NT));
    osipy::dce::extended_tofts::launch(
        &t,
        &cp,
        &vec![0.0; cp.len()],
        &flat(&k),
        &flat(&e),
        &flat(&v),
        &mut ct,
    )
    .expect("model");
    Dce {
        conc: ct.into_shape_with_order((nx, ny, nz, NT)).expect("shape"),
        params: [k, e, v],
    }
}

/// One series, one file per slice and frame; frame `i` acquired at 10:00:00 + 5 i s (flip
/// angle 20 degrees, TR 4 ms).
fn write_dce(dir: &Path, data: &Array4<f64>, slope: f64, intercept: f64) {
    write_dce_series(dir, "1.2.826.0.1.3680043.9.7.1", data, slope, intercept);
}

fn write_dce_series(dir: &Path, uid: &str, data: &Array4<f64>, slope: f64, intercept: f64) {
    write_dce_timed(dir, uid, data, slope, intercept, false);
}

/// With `trigger`, the frame times as TriggerTime (absent on the first frame, as it is 0).
fn write_dce_timed(dir: &Path, uid: &str, data: &Array4<f64>, slope: f64, intercept: f64, trigger: bool) {
    // File names per series, so two series can share a folder.
    let prefix = format!("dyn{}", uid.rsplit('.').next().unwrap_or_default());
    for i in 0..NT {
        let f = Frame {
            series_uid: uid.into(),
            series_number: 5,
            z: 0,
            time_s: 36000.0 + DT * i as f64,
            flip_deg: 20.0,
            tr_ms: 4.0,
            inversion_ms: None,
            trigger_ms: trigger.then_some(DT * 1000.0 * i as f64),
            slope,
            intercept,
        };
        write_volume(dir, &prefix, data, i, &f);
    }
}

fn check_dce(out: &Path, truth: &Dce) {
    check_dce_from(out, truth, "DICOM frame times (AcquisitionTime)");
}

fn check_dce_from(out: &Path, truth: &Dce, times_source: &str) {
    for (k, name) in ["ktrans", "ve", "vp"].iter().enumerate() {
        let m = read(out, &format!("{name}.nii.gz"));
        let w = worst(&m, &truth.params[k]);
        assert!(w < 5e-3, "{name}: worst relative error {w}");
        assert_affine(&m);
    }
    let prov = provenance(out);
    let s = &prov["settings"];
    assert_eq!(s["times_source"], times_source);
    let times: Vec<f64> = s["times_s"]
        .as_array()
        .expect("times_s")
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect();
    assert_eq!(times.len(), NT);
    for (i, t) in times.iter().enumerate() {
        assert!((t - DT * i as f64).abs() < 1e-6, "time {i}: {t}");
    }
    assert_eq!(
        prov["inputs_sha256"].as_object().map(|m| m.len()),
        Some(NT * DIMS[2])
    );
}

#[test]
fn dce_spgr_signal_takes_times_flip_angle_and_tr_from_dicom() {
    let dir = scratch("dce-signal");
    let truth = dce_phantom();
    let (fa, tr, t10, r1) = (20f64.to_radians(), 0.004, 1.4, 4.5);
    let signal = truth.conc.mapv(|c| {
        let e = (-tr * (1.0 / t10 + r1 * c)).exp();
        1000.0 * fa.sin() * (1.0 - e) / (1.0 - fa.cos() * e)
    });
    let input = dir.join("dicom");
    std::fs::create_dir_all(&input).unwrap_or_else(|e| panic!("{e}"));
    write_dce(&input, &signal, 1e-5, 0.0);
    let out = dir.join("out");
    osipy_ok(&[
        "dce",
        "--input",
        input.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
        "--kind",
        "signal",
        "--t1",
        "1.4",
        "--relaxivity",
        "4.5",
        "--baseline",
        "4",
        "--aif-delay",
        "20",
        "--quiet",
    ]);
    check_dce(&out, &truth);
    let prov = provenance(&out);
    assert_eq!(prov["settings"]["flip_angle_deg"], 20.0);
    assert_eq!(prov["settings"]["tr_s"], 0.004);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dce_picks_one_series_of_a_study_with_series() {
    // A study folder with one sub-folder per series: --series reads the one asked for.
    let dir = scratch("dce-series");
    let truth = dce_phantom();
    let study = dir.join("study");
    let (a, b) = ("1.2.826.0.1.3680043.9.7.51", "1.2.826.0.1.3680043.9.7.52");
    for (sub, uid, scale) in [("s1", a, 1.0), ("s2", b, 3.0)] {
        let folder = study.join(sub);
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{e}"));
        write_dce_series(&folder, uid, &truth.conc.mapv(|c| c * scale), 1e-7, -0.5);
    }
    let out = dir.join("out");
    let run = |uid: &str, out: &Path| {
        osipy(&[
            "dce",
            "--input",
            study.to_str().unwrap_or_default(),
            "--series",
            uid,
            "--out",
            out.to_str().unwrap_or_default(),
            "--aif-delay",
            "20",
            "--quiet",
        ])
    };
    let r = run(a, &out);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    check_dce(&out, &truth);
    assert_eq!(provenance(&out)["settings"]["dicom_series"], a);
    // An unknown series: one line naming the folder and the series present; no output.
    let missing = dir.join("missing");
    let r = run("1.2.3.4", &missing);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("series 1.2.3.4 not found") && err.contains(a) && err.contains(b),
        "{err}"
    );
    assert!(!missing.exists());
    // Both series in one folder without --series: the error says how to pick one.
    let flat = dir.join("flat");
    std::fs::create_dir_all(&flat).unwrap_or_else(|e| panic!("{e}"));
    write_dce_series(&flat, a, &truth.conc, 1e-7, -0.5);
    write_dce_series(&flat, b, &truth.conc, 1e-7, -0.5);
    let r = osipy(&[
        "dce",
        "--input",
        flat.to_str().unwrap_or_default(),
        "--out",
        missing.to_str().unwrap_or_default(),
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("pick one with --series UID"));
    // --series is for DICOM only; a bad UID is a usage error.
    let r = osipy(&[
        "dce",
        "--input",
        "a.nii.gz",
        "--series",
        a,
        "--out",
        missing.to_str().unwrap_or_default(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let r = osipy(&["dce", "--input", "x", "--series", "abc", "--out", "o"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--series: expected a SeriesInstanceUID"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dce_concentration_with_rescale_slope_and_intercept() {
    let dir = scratch("dce-conc");
    let truth = dce_phantom();
    let input = dir.join("dicom");
    std::fs::create_dir_all(&input).unwrap_or_else(|e| panic!("{e}"));
    // Stored = (c + 0.5 mM) / 1e-7 mM.
    write_dce(&input, &truth.conc, 1e-7, -0.5);
    let out = dir.join("out");
    osipy_ok(&[
        "dce",
        "--input",
        input.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
        "--aif-delay",
        "20",
        "--quiet",
    ]);
    check_dce(&out, &truth);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dce_times_from_trigger_time_absent_on_the_first_frame() {
    let dir = scratch("dce-trigger");
    let truth = dce_phantom();
    let input = dir.join("dicom");
    std::fs::create_dir_all(&input).unwrap_or_else(|e| panic!("{e}"));
    write_dce_timed(&input, "1.2.826.0.1.3680043.9.7.3", &truth.conc, 1e-7, -0.5, true);
    let out = dir.join("out");
    osipy_ok(&[
        "dce",
        "--input",
        input.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
        "--aif-delay",
        "20",
        "--quiet",
    ]);
    check_dce_from(&out, &truth, "DICOM frame times (TriggerTime)");
    let _ = std::fs::remove_dir_all(&dir);
}

// T1: the phantom of cli_t1.rs on 8x8x2 voxels.

fn t1_truth() -> (Array3<f64>, Array3<f64>) {
    let [nx, ny, nz] = DIMS;
    let t1 = Array3::from_shape_fn((nx, ny, nz), |(x, y, z)| {
        0.4 + 0.2 * x as f64 + 0.1 * y as f64 + 0.3 * z as f64
    });
    let s0 = Array3::from_shape_fn((nx, ny, nz), |(x, y, _)| {
        800.0 + 40.0 * y as f64 + 10.0 * x as f64
    });
    (t1, s0)
}

const FA: [f64; 4] = [2.0, 5.0, 12.0, 20.0];
const TR_MS: f64 = 5.0;

fn vfa_signal() -> Array4<f64> {
    let (t1, s0) = t1_truth();
    let [nx, ny, nz] = DIMS;
    Array4::from_shape_fn((nx, ny, nz, FA.len()), |(x, y, z, k)| {
        let a = FA[k].to_radians();
        let e = (-TR_MS / 1000.0 / t1[[x, y, z]]).exp();
        s0[[x, y, z]] * a.sin() * (1.0 - e) / (1.0 - a.cos() * e)
    })
}

/// One series per flip angle, in sub-folders `fa{k}` of `dir`, acquired in the order 12, 2,
/// 20, 5 degrees (series numbers 1 to 4), so that the volumes must be sorted by flip angle;
/// `tr_ms[k]` is the RepetitionTime of flip angle `k`.
fn write_vfa(dir: &Path, data: &Array4<f64>, tr_ms: [f64; 4]) {
    for (n, k) in [2, 0, 3, 1].into_iter().enumerate() {
        let sub = dir.join(format!("fa{k}"));
        std::fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{e}"));
        let f = Frame {
            series_uid: format!("1.2.826.0.1.3680043.9.7.2{n}"),
            series_number: n as i32 + 1,
            z: 0,
            time_s: 40000.0 + 60.0 * n as f64,
            flip_deg: FA[k],
            tr_ms: tr_ms[k],
            inversion_ms: None,
            trigger_ms: None,
            slope: 1e-5,
            intercept: 0.0,
        };
        write_volume(&sub, "vfa", data, k, &f);
    }
}

/// T1 and S0 within `tol` relative of the truth and status 1 in every voxel.
fn check_t1(out: &Path, s0_truth: &Array3<f64>, tol: f64) {
    let (t1, _) = t1_truth();
    let m = read(out, "t1.nii.gz");
    let w = worst(&m, &t1);
    assert!(w < tol, "T1: worst relative error {w}");
    let w = worst(&read(out, "s0.nii.gz"), s0_truth);
    assert!(w < tol, "S0: worst relative error {w}");
    assert!(read(out, "status.nii.gz").data.iter().all(|s| *s == 1.0));
    assert_affine(&m);
}

#[test]
fn t1_vfa_from_one_dicom_series_per_flip_angle() {
    let dir = scratch("vfa");
    let input = dir.join("exam");
    write_vfa(&input, &vfa_signal(), [TR_MS; 4]);
    let (_, s0) = t1_truth();
    let (i, out) = (input.to_str().unwrap_or_default(), dir.join("out"));
    osipy_ok(&[
        "t1",
        "--input",
        i,
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    check_t1(&out, &s0, 1e-4);
    let prov = provenance(&out);
    let acq = &prov["settings"]["acquisition"];
    assert_eq!(acq["flip_angles_deg"], serde_json::json!(FA));
    assert!(
        acq["flip_angles_source"]
            .as_str()
            .is_some_and(|s| s.starts_with("DICOM FlipAngle (0018,1314)")),
        "{acq}"
    );
    assert_eq!(acq["tr_s"], 0.005);
    assert!(acq["tr_source"]
        .as_str()
        .is_some_and(|s| s.starts_with("DICOM RepetitionTime")));
    assert_eq!(
        prov["settings"]["input_format"],
        "DICOM (volumes ordered by FlipAngle)"
    );
    assert_eq!(prov["inputs_sha256"].as_object().map(|m| m.len()), Some(8));

    // Flags override the header (the linear method with the same angles and TR).
    let out2 = dir.join("linear");
    osipy_ok(&[
        "t1",
        "--input",
        i,
        "--method",
        "linear",
        "--flip-angles",
        "2,5,12,20",
        "--tr",
        "0.005",
        "--out",
        out2.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    check_t1(&out2, &s0, 1e-4);
    assert_eq!(
        provenance(&out2)["settings"]["acquisition"]["flip_angles_source"],
        "--flip-angles"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn t1_look_locker_from_dicom_inversion_times() {
    let dir = scratch("ll");
    let times_ms = [
        50.0, 150.0, 300.0, 500.0, 800.0, 1200.0, 1800.0, 2600.0, 3600.0, 5000.0,
    ];
    let (t1, m0) = t1_truth();
    let [nx, ny, nz] = DIMS;
    // a = 0.6 M0, b = a + M0: T1 = T1* (b / a - 1) with T1* = 0.6 T1 (signed data).
    let sig = Array4::from_shape_fn((nx, ny, nz, times_ms.len()), |(x, y, z, k)| {
        let (t, m) = (t1[[x, y, z]], m0[[x, y, z]]);
        let a = 0.6 * m;
        a - (a + m) * (-times_ms[k] / 1000.0 / (0.6 * t)).exp()
    });
    let input = dir.join("ll");
    std::fs::create_dir_all(&input).unwrap_or_else(|e| panic!("{e}"));
    // One series; the files of later readouts carry earlier acquisition times (reversed) so
    // that only the inversion time orders them.
    for (k, ti) in times_ms.iter().enumerate() {
        let f = Frame {
            series_uid: "1.2.826.0.1.3680043.9.7.3".into(),
            series_number: 9,
            z: 0,
            time_s: 50000.0 - 10.0 * k as f64,
            flip_deg: 8.0,
            tr_ms: 3.0,
            inversion_ms: Some(*ti),
            trigger_ms: None,
            slope: 1e-5,
            intercept: -3000.0,
        };
        write_volume(&input, "ll", &sig, k, &f);
    }
    let out = dir.join("out");
    osipy_ok(&[
        "t1",
        "--input",
        input.to_str().unwrap_or_default(),
        "--method",
        "look-locker",
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    check_t1(&out, &m0, 1e-4);
    let acq = &provenance(&out)["settings"]["acquisition"];
    let got: Vec<f64> = acq["times_s"]
        .as_array()
        .expect("times_s")
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect();
    for (g, w) in got.iter().zip(times_ms) {
        assert!((g - w / 1000.0).abs() < 1e-12, "{got:?}");
    }
    assert!(acq["times_source"]
        .as_str()
        .is_some_and(|s| s.starts_with("DICOM InversionTime (0018,0082)")));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `osipy args --out DIR/out --quiet`, expects exit code 1 and one line on stderr that
/// contains every `needles`, and no output folder.
fn fails(dir: &Path, args: &[&str], needles: &[&str]) {
    let out = dir.join("out");
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(&["--out", out.to_str().unwrap_or_default(), "--quiet"]);
    let r = osipy(&all);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(err.starts_with("osipy: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: expected `{n}` in {err}");
    }
    assert!(!out.exists(), "{args:?}: output folder left behind");
}

#[test]
fn bad_dicom_input_fails_with_one_line_naming_the_file_or_folder() {
    let dir = scratch("errors");
    let vfa = vfa_signal();

    // A truncated file among good ones.
    let trunc = dir.join("trunc");
    write_vfa(&trunc, &vfa, [TR_MS; 4]);
    let victim = trunc.join("fa1").join("vfa_001_1.dcm");
    let bytes = std::fs::read(&victim).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&victim, &bytes[..bytes.len() - 100]).unwrap_or_else(|e| panic!("{e}"));
    let t = trunc.to_str().unwrap_or_default();
    let v = victim.display().to_string();
    fails(&dir, &["t1", "--input", t], &[&v]);
    // dce reads the files directly in the folder.
    let t_flat = trunc.join("fa1");
    fails(
        &dir,
        &["dce", "--input", t_flat.to_str().unwrap_or_default(), "--dt", "5"],
        &[&v],
    );

    // A folder without DICOM images.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(empty.join("readme.txt"), "no images here").unwrap_or_else(|e| panic!("{e}"));
    let e = empty.to_str().unwrap_or_default();
    let named = format!("--input {e}: {e}: no DICOM images");
    fails(&dir, &["t1", "--input", e], &[&named]);
    fails(&dir, &["dce", "--input", e], &[&named]);

    // Two series mixed: for dce two series in one folder; for t1 two series of the same flip
    // angle.
    let mixed = dir.join("mixed");
    std::fs::create_dir_all(&mixed).unwrap_or_else(|e| panic!("{e}"));
    for (n, uid) in ["1.2.826.0.1.3680043.9.7.41", "1.2.826.0.1.3680043.9.7.42"]
        .into_iter()
        .enumerate()
    {
        let f = Frame {
            series_uid: uid.into(),
            series_number: n as i32 + 1,
            z: 0,
            time_s: 40000.0 + 60.0 * n as f64,
            flip_deg: 12.0,
            tr_ms: TR_MS,
            inversion_ms: None,
            trigger_ms: None,
            slope: 1e-5,
            intercept: 0.0,
        };
        write_volume(&mixed, &format!("s{n}"), &vfa, n, &f);
    }
    let m = mixed.to_str().unwrap_or_default();
    fails(
        &dir,
        &["dce", "--input", m, "--dt", "5"],
        &[m, "more than one series", "1.2.826.0.1.3680043.9.7.42"],
    );
    fails(
        &dir,
        &["t1", "--input", m],
        &[
            m,
            "distinct FlipAngle (0018,1314)",
            "same slice and flip angle",
            "s0_000_0.dcm",
        ],
    );

    // Flags that disagree with the header in count.
    let good = dir.join("good");
    write_vfa(&good, &vfa, [TR_MS; 4]);
    let g = good.to_str().unwrap_or_default();
    fails(
        &dir,
        &["t1", "--input", g, "--flip-angles", "2,5,12"],
        &[
            "--flip-angles: expected 4 flip angles",
            "found 3",
            "the DICOM header tells 4 volumes apart by FlipAngle: [2, 5, 12, 20]",
        ],
    );
    // A VFA acquisition is not a Look-Locker series.
    fails(
        &dir,
        &["t1", "--input", g, "--method", "look-locker"],
        &[g, "distinct InversionTime (0018,0082) or TriggerTime"],
    );
    // A DICOM folder among other inputs.
    let both = format!("{g},{g}");
    fails(
        &dir,
        &["t1", "--input", &both],
        &[g, "a DICOM folder must be the only --input"],
    );
    // Repetition times that differ between the volumes: --tr is needed.
    let trdiff = dir.join("trdiff");
    write_vfa(&trdiff, &vfa, [5.0, 5.0, 6.0, 5.0]);
    let td = trdiff.to_str().unwrap_or_default();
    fails(
        &dir,
        &["t1", "--input", td],
        &[
            &format!("DICOM RepetitionTime (0018,0080) of --input {td}"),
            "expected one repetition time for all volumes, found [0.005, 0.005, 0.006, 0.005] s; give --tr",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}
