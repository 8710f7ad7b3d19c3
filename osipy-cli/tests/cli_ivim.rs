//! End to end: the `osipy` binary's `ivim` command and `osipy demo ivim`.
//!
//! - The noise-free demo phantom written by `osipy demo ivim`, fitted again by `osipy ivim`
//!   (the bval file found beside the series) with each method: the full fit recovers the truth
//!   to 1e-5 relative (the series went through float32), the others within a few per cent.
//! - The OSIPI tissues of `generic.json` as a `.npy` series with a bval and a bvec file (two
//!   directions per b-value), every output file and the provenance.
//! - Input errors: exit code, one line naming the flag or file, no output folder.
//! - A DICOM folder (written by dicom-rs, b-values in DiffusionBValue with gradient directions,
//!   the Siemens or the Philips private tag, acquired out of b order): the segmented D map is
//!   bit for bit that of the same data as NIfTI with a bval file; a --bval that disagrees and a
//!   folder without b-values are one-line errors.

mod common;

use common::{osipy, osipy_ok, scratch, write_npy};
use std::path::Path;

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use ndarray::{Array4, ArrayD};
use osipy::io::nifti;

fn read(out: &Path, name: &str) -> ArrayD<f64> {
    nifti::read(out.join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .data
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn demo_then_ivim_recovers_the_phantom() {
    let dir = scratch("ivim-demo");
    let demo = dir.join("demo");
    let o = osipy_ok(&[
        "demo",
        "ivim",
        "--size",
        "small",
        "--noise",
        "0",
        "--out",
        demo.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("osipy demo ivim:") && text.contains("median relative errors"),
        "{text}"
    );
    for f in [
        "dwi.nii.gz",
        "dwi.bval",
        "truth_d.nii.gz",
        "d.nii.gz",
        "dstar.nii.gz",
        "f.nii.gz",
        "s0.nii.gz",
        "fdstar.nii.gz",
        "status.nii.gz",
        "fig_d.png",
        "fig_voxels.png",
        "provenance.json",
        "report.md",
    ] {
        assert!(demo.join(f).exists(), "{f}");
    }
    let truth: Vec<ArrayD<f64>> = ["d", "dstar", "f"]
        .iter()
        .map(|n| read(&demo, &format!("truth_{n}.nii.gz")))
        .collect();
    for (method, tol) in [("full", 1e-5), ("bayesian", 1e-3), ("segmented", 0.05)] {
        let out = dir.join(method);
        osipy_ok(&[
            "ivim",
            "--input",
            demo.join("dwi.nii.gz").to_str().unwrap(),
            "--method",
            method,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        for (i, n) in ["d", "dstar", "f"].iter().enumerate() {
            let got = read(&out, &format!("{n}.nii.gz"));
            let errs: Vec<f64> = got
                .iter()
                .zip(truth[i].iter())
                .filter(|(_, t)| **t > 0.0)
                .map(|(g, t)| ((g - t) / t).abs())
                .collect();
            assert!(
                errs.len() > 500 && errs.iter().all(|e| e.is_finite()),
                "{method} {n}"
            );
            let worst = errs.iter().copied().fold(0.0, f64::max);
            let med = median(errs.clone());
            assert!(med < tol, "{method} {n}: median {med}, worst {worst}");
            if *method == *"full" {
                assert!(worst < tol, "{method} {n}: worst {worst}");
            }
        }
        let prov: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
        assert_eq!(prov["settings"]["method"], *method);
        assert_eq!(prov["settings"]["b_values"].as_array().unwrap().len(), 18);
    }
    assert!(dir.join("bayesian").join("d_sd.nii.gz").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The OSIPI `generic.json` b-values and three tissues' true values `(D, f, D*)`.
const B: [f64; 18] = [
    0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 250.0, 350.0, 400.0, 550.0, 700.0, 850.0,
    1000.0,
];
const TISSUES: [(f64, f64, f64); 3] = [(1.5e-3, 0.11, 0.1), (1.3e-3, 0.2, 0.03), (0.41e-3, 0.178, 0.0289)];

/// A 3 x 1 x 1 series with two directions per b-value (D differing by +-10 % between them)
/// and its bval / bvec files beside it.
fn write_series(dir: &Path) -> std::path::PathBuf {
    let mut b = Vec::new();
    let mut vec = Vec::new();
    for v in B {
        for dirn in 0..2 {
            b.push(v);
            vec.push(if v == 0.0 {
                [0.0, 0.0, 0.0]
            } else if dirn == 0 {
                [1.0, 0.0, 0.0]
            } else {
                [0.0, 1.0, 0.0]
            });
        }
    }
    let mut data = Vec::new();
    for (d, f, ds) in TISSUES {
        for (k, bv) in b.iter().enumerate() {
            let dd = if k % 2 == 0 { d * 0.9 } else { d * 1.1 };
            data.push(700.0 * (f * (-bv * ds).exp() + (1.0 - f) * (-bv * dd).exp()));
        }
    }
    let input = dir.join("dwi.npy");
    write_npy(&input, &[3, 1, 1, b.len()], &data);
    let bval: Vec<String> = b.iter().map(|x| x.to_string()).collect();
    std::fs::write(dir.join("dwi.bval"), bval.join(" ") + "\n").unwrap();
    let rows: Vec<String> = (0..3)
        .map(|a| vec.iter().map(|v| v[a].to_string()).collect::<Vec<_>>().join(" "))
        .collect();
    std::fs::write(dir.join("dwi.bvec"), rows.join("\n") + "\n").unwrap();
    input
}

#[test]
fn npy_with_bval_and_bvec_combines_directions() {
    let dir = scratch("ivim-npy");
    let input = write_series(&dir);
    let out = dir.join("out");
    let o = osipy_ok(&[
        "ivim",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("osipy ivim: 3 voxels (full)"), "{text}");
    let (d, f, ds, s0) = (
        read(&out, "d.nii.gz"),
        read(&out, "f.nii.gz"),
        read(&out, "dstar.nii.gz"),
        read(&out, "s0.nii.gz"),
    );
    for (i, (td, tf, tds)) in TISSUES.iter().enumerate() {
        // The geometric mean of the two directions is the signal of their mean D.
        assert!(((d[[i, 0, 0]] - td) / td).abs() < 1e-5, "{i} d {}", d[[i, 0, 0]]);
        assert!(((f[[i, 0, 0]] - tf) / tf).abs() < 1e-5, "{i} f");
        assert!(((ds[[i, 0, 0]] - tds) / tds).abs() < 1e-4, "{i} dstar");
        assert!(((s0[[i, 0, 0]] - 700.0) / 700.0).abs() < 1e-5, "{i} s0");
    }
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
    assert!(prov["settings"]["bvec"].as_str().unwrap().ends_with("dwi.bvec"));
    assert_eq!(prov["status_counts"]["ok"], 3);
    let csv = std::fs::read_to_string(out.join("bvalues.csv")).unwrap();
    assert!(csv.starts_with("b_s_per_mm2,volumes\n0,2\n1,2\n"), "{csv}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_inputs_are_one_line_errors_naming_the_file() {
    let dir = scratch("ivim-bad");
    let input = write_series(&dir);
    let run = |extra: &[&str], name: &str| {
        let out = dir.join(name);
        let mut args = vec![
            "ivim",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = osipy(&args);
        assert!(!out.exists(), "{name}: output written");
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let bad = |file: &str, text: &str| {
        let p = dir.join(file);
        std::fs::write(&p, text).unwrap();
        p
    };
    // Counts differ.
    let short = bad("short.bval", "0 10 20 30\n");
    let (c, e) = run(&["--bval", short.to_str().unwrap()], "o1");
    assert_eq!(c, Some(1));
    assert!(
        e.contains("--bval")
            && e.contains("short.bval")
            && e.contains("expected 36 b-values")
            && e.contains("found 4"),
        "{e}"
    );
    assert_eq!(e.lines().filter(|l| l.starts_with("osipy:")).count(), 1, "{e}");
    // Negative b.
    let mut vals: Vec<String> = (0..36).map(|k| ((k / 2) * 10).to_string()).collect();
    vals[5] = "-10".into();
    let neg = bad("neg.bval", &vals.join(" "));
    let (_, e) = run(&["--bval", neg.to_str().unwrap()], "o2");
    assert!(e.contains("neg.bval") && e.contains("-10"), "{e}");
    // No b = 0.
    let nob0: Vec<String> = (0..36).map(|k| ((k / 2 + 1) * 10).to_string()).collect();
    let nob0 = bad("nob0.bval", &nob0.join(" "));
    let (_, e) = run(&["--bval", nob0.to_str().unwrap()], "o3");
    assert!(e.contains("nob0.bval") && e.contains("b = 0"), "{e}");
    // bvec of another count.
    let bvec = bad("short.bvec", "1 0 0\n0 1 0\n0 0 1\n");
    let (_, e) = run(&["--bvec", bvec.to_str().unwrap()], "o4");
    assert!(
        e.contains("--bvec") && e.contains("short.bvec") && e.contains("expected 3 rows of 36"),
        "{e}"
    );
    // Not a number.
    let junk = bad("junk.bval", "0 ten\n");
    let (_, e) = run(&["--bval", junk.to_str().unwrap()], "o5");
    assert!(e.contains("junk.bval") && e.contains("`ten`"), "{e}");
    // Missing bval.
    let (_, e) = run(&["--bval", dir.join("none.bval").to_str().unwrap()], "o6");
    assert!(e.contains("none.bval") && e.contains("no such file"), "{e}");
    // Rician without sigma is a usage error.
    let (c, e) = run(&["--rician", "floor"], "o7");
    assert_eq!(c, Some(2));
    assert!(e.contains("--sigma"), "{e}");
    let (c, e) = run(&["--method", "lsq"], "o8");
    assert_eq!(c, Some(2));
    assert!(
        e.contains("--method") && e.contains("segmented, full or bayesian"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_voxels_get_a_status_in_the_maps() {
    let dir = scratch("ivim-voxels");
    let mut data = Vec::new();
    for v in 0..4 {
        for (k, b) in B.iter().enumerate() {
            let s = 500.0 * (0.1 * (-b * 0.05f64).exp() + 0.9 * (-b * 1e-3f64).exp());
            data.push(match (v, k) {
                (1, 3) => f64::NAN,
                (2, 9) => -3.0,
                _ => s,
            });
        }
    }
    let input = dir.join("x.npy");
    write_npy(&input, &[4, 1, 1, B.len()], &data);
    let bval: Vec<String> = B.iter().map(|x| x.to_string()).collect();
    std::fs::write(dir.join("x.bval"), bval.join(" ")).unwrap();
    let mask = dir.join("mask.npy");
    write_npy(&mask, &[4, 1, 1], &[1.0; 4]);
    let out = dir.join("out");
    osipy_ok(&[
        "ivim",
        "--input",
        input.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--method",
        "segmented",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let st = read(&out, "status.nii.gz");
    assert_eq!(st.iter().copied().collect::<Vec<_>>(), vec![1.0, 4.0, 5.0, 1.0]);
    let d = read(&out, "d.nii.gz");
    assert!(d[[1, 0, 0]].is_nan() && d[[2, 0, 0]].is_nan());
    assert_eq!(d[[0, 0, 0]], d[[3, 0, 0]]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A diffusion acquisition in acquisition order: (b-value, gradient direction; `None` at b = 0).
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
/// The acquisition indices of the volumes ordered by b, then by acquisition.
const DWI_ORDER: [usize; 10] = [1, 2, 5, 8, 4, 7, 9, 0, 3, 6];
const DIRECTIONS: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// How the DICOM files store the b-values.
#[derive(Clone, Copy, PartialEq)]
enum BTag {
    /// DiffusionBValue (FD) and DiffusionGradientOrientation.
    Standard,
    /// Siemens (0019,100C) as DS text.
    Siemens,
    /// Philips (2001,1003) as FL.
    Philips,
    /// None.
    Without,
}

/// The integer signal of voxel (x, y, z) at acquisition `j` (4 x 4 x 2 voxels; D differs by
/// direction).
fn dwi_signal(x: usize, y: usize, z: usize, j: usize) -> f64 {
    let (b, d) = DWI[j];
    let dd = (0.6e-3 + 0.1e-3 * (x + 4 * y) as f64 / 4.0) * (1.0 + 0.1 * (d.unwrap_or(1) as f64 - 1.0));
    let f = 0.1 + 0.05 * z as f64;
    (2000.0 * (f * (-b * 0.02).exp() + (1.0 - f) * (-b * dd).exp())).round()
}

/// Writes the series as one single-frame file per slice and acquisition into `dir`.
fn write_dwi_dicom(dir: &Path, tag: BTag) {
    std::fs::create_dir_all(dir).unwrap();
    let el = |tag, vr, v: String| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    for z in 0..2 {
        for (j, (b, d)) in DWI.iter().enumerate() {
            let mut obj = InMemDicomObject::from_element_iter([
                el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.4".into()),
                el(tags::SOP_INSTANCE_UID, VR::UI, format!("1.2.3.800.{z}.{j}")),
                el(tags::MODALITY, VR::CS, "MR".into()),
                el(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.800".into()),
                el(tags::INSTANCE_NUMBER, VR::IS, (j + 1).to_string()),
                el(tags::SLICE_THICKNESS, VR::DS, "4".into()),
                el(tags::IMAGE_POSITION_PATIENT, VR::DS, format!("30\\20\\{}", 4 * z)),
                el(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0".into()),
                el(tags::PIXEL_SPACING, VR::DS, "2\\2".into()),
                el(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2".into()),
                us(tags::SAMPLES_PER_PIXEL, 1),
                us(tags::ROWS, 4),
                us(tags::COLUMNS, 4),
                us(tags::BITS_ALLOCATED, 16),
                us(tags::BITS_STORED, 16),
                us(tags::HIGH_BIT, 15),
                us(tags::PIXEL_REPRESENTATION, 0),
            ]);
            match tag {
                BTag::Standard => {
                    obj.put(DataElement::new(
                        tags::DIFFUSION_B_VALUE,
                        VR::FD,
                        PrimitiveValue::from(*b),
                    ));
                    if let Some(d) = d {
                        obj.put(DataElement::new(
                            tags::DIFFUSION_GRADIENT_ORIENTATION,
                            VR::FD,
                            PrimitiveValue::F64(DIRECTIONS[*d].iter().copied().collect()),
                        ));
                    }
                }
                BTag::Siemens => {
                    obj.put(el(Tag(0x0019, 0x100C), VR::DS, b.to_string()));
                }
                BTag::Philips => {
                    obj.put(DataElement::new(
                        Tag(0x2001, 0x1003),
                        VR::FL,
                        PrimitiveValue::from(*b as f32),
                    ));
                }
                BTag::Without => {}
            }
            let words: Vec<u16> = (0..4)
                .flat_map(|y| (0..4).map(move |x| dwi_signal(x, y, z, j) as u16))
                .collect();
            obj.put(DataElement::new(
                tags::PIXEL_DATA,
                VR::OW,
                PrimitiveValue::U16(words.into_iter().collect()),
            ));
            let file = obj
                .with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
                .unwrap_or_else(|e| panic!("{e}"));
            file.write_to_file(dir.join(format!("IM{z}{j:02}.dcm"))).unwrap();
        }
    }
}

/// The same series as NIfTI, volumes ordered by b, with its bval file.
fn write_dwi_nifti(dir: &Path) -> std::path::PathBuf {
    let data = Array4::from_shape_fn((4, 4, 2, DWI.len()), |(x, y, z, v)| {
        dwi_signal(x, y, z, DWI_ORDER[v])
    });
    let path = dir.join("dwi.nii.gz");
    nifti::write(&path, &data, None, nifti::OutputType::Float64).unwrap();
    let bval: Vec<String> = DWI_ORDER.iter().map(|j| DWI[*j].0.to_string()).collect();
    std::fs::write(dir.join("dwi.bval"), bval.join(" ") + "\n").unwrap();
    path
}

fn ivim_segmented(input: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "ivim",
        "--input",
        input.to_str().unwrap(),
        "--method",
        "segmented",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    osipy_ok(&args);
}

#[test]
fn dicom_folder_with_b_values_in_the_headers_matches_nifti_with_bval() {
    let dir = scratch("ivim-dicom");
    let nii = write_dwi_nifti(&dir);
    ivim_segmented(&nii, &dir.join("out-nii"), &[]);
    let want = read(&dir.join("out-nii"), "d.nii.gz");
    for (tag, name, source) in [
        (BTag::Standard, "std", "DICOM DiffusionBValue (0018,9087)"),
        (BTag::Siemens, "siemens", "DICOM Siemens (0019,100C)"),
        (BTag::Philips, "philips", "DICOM Philips (2001,1003)"),
    ] {
        let folder = dir.join(name);
        write_dwi_dicom(&folder, tag);
        let out = dir.join(format!("out-{name}"));
        ivim_segmented(&folder, &out, &[]);
        let got = read(&out, "d.nii.gz");
        assert_eq!(got.shape(), want.shape());
        for (g, w) in got.iter().zip(want.iter()) {
            assert_eq!(g.to_bits(), w.to_bits(), "{name}: {g} != {w}");
        }
        let prov: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
        assert_eq!(prov["settings"]["b_values_source"], source, "{name}");
        assert_eq!(
            prov["settings"]["b_values"],
            serde_json::json!([0.0, 50.0, 200.0, 800.0])
        );
        let vectors = prov["settings"]["b_vectors_source"].as_str();
        assert_eq!(vectors.is_some(), tag == BTag::Standard, "{name}: {vectors:?}");
    }
    // A --bval that agrees is accepted; one that does not is a one-line error naming both.
    let bval = dir.join("dwi.bval");
    ivim_segmented(
        &dir.join("std"),
        &dir.join("out-bval"),
        &["--bval", bval.to_str().unwrap()],
    );
    let bad = dir.join("bad.bval");
    let mut b: Vec<String> = DWI_ORDER.iter().map(|j| DWI[*j].0.to_string()).collect();
    b[9] = "800.1".into();
    std::fs::write(&bad, b.join(" ")).unwrap();
    let o = osipy(&[
        "ivim",
        "--input",
        dir.join("std").to_str().unwrap(),
        "--bval",
        bad.to_str().unwrap(),
        "--out",
        dir.join("out-bad").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(
        e.contains("bad.bval") && e.contains("800.1") && e.contains("DiffusionBValue (0018,9087)"),
        "{e}"
    );
    assert!(!dir.join("out-bad").exists());
    // Without any b-value attribute: one line naming the attributes looked for.
    write_dwi_dicom(&dir.join("none"), BTag::Without);
    let o = osipy(&[
        "ivim",
        "--input",
        dir.join("none").to_str().unwrap(),
        "--out",
        dir.join("out-none").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    for t in [
        "DiffusionBValue (0018,9087)",
        "Siemens (0019,100C)",
        "GE (0043,1039)",
        "Philips (2001,1003)",
    ] {
        assert!(e.contains(t), "{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
