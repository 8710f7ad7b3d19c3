//! The seed corpus: valid small files of each kind, written here, and the bad-input catalogue.

use std::path::{Path, PathBuf};

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use ndarray::{Array, ArrayD, Dimension, IxDyn};
use ndarray_npy::WriteNpyExt;
use osipy::io::nifti::{self, OutputType};

use crate::Target;

/// The bad-input catalogue of the command's tests.
pub fn catalogue() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../osipy-cli/tests/bad-inputs")
}

/// The corpus of `target`: generated valid files, then the catalogue's files of that kind in
/// name order (so a seed and an index always mean the same input).
pub fn load(target: Target) -> Vec<Vec<u8>> {
    let mut out = match target {
        Target::Nifti => nifti_files(),
        Target::Npy => npy_files(),
        Target::Config => config_files(),
        Target::Dicom => dicom_files(),
    };
    let kinds: &[&str] = match target {
        Target::Nifti => &["nifti"],
        Target::Npy => &["npy"],
        Target::Config => &["yaml"],
        Target::Dicom => &[],
    };
    for kind in kinds {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(catalogue().join(kind))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        paths.sort();
        out.extend(paths.iter().filter_map(|p| std::fs::read(p).ok()));
    }
    if target == Target::Nifti {
        if let Ok(b) = std::fs::read(catalogue().join("good.nii")) {
            out.push(b);
        }
    }
    if target == Target::Dicom {
        // The compressed test series (JPEG, JPEG Lossless, JPEG 2000, RLE) and the DICOM
        // cases of the catalogue, one folder per case.
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/dicom/compressed");
        for root in [data, catalogue().join("dicom")] {
            let mut paths = Vec::new();
            files_under(&root, &mut paths);
            paths.sort();
            out.extend(paths.iter().filter_map(|p| std::fs::read(p).ok()));
        }
    }
    out
}

/// The `.dcm` files under `dir`, at any depth.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.extension().is_some_and(|x| x == "dcm") {
            out.push(p);
        }
    }
}

fn image(shape: &[usize]) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(shape), |i| {
        i.slice().iter().fold(0.0, |v, &k| v * 10.0 + k as f64) - 3.5
    })
}

fn nifti_files() -> Vec<Vec<u8>> {
    let Ok(tmp) = tempfile::tempdir() else {
        return Vec::new();
    };
    let dir = tmp.path();
    let mut out = Vec::new();
    for (name, shape, t) in [
        ("a.nii", &[3, 2, 2][..], OutputType::Float32),
        ("b.nii", &[2, 2, 1, 5][..], OutputType::Float64),
        ("c.nii.gz", &[2, 3, 2, 3][..], OutputType::Float32),
    ] {
        let p = dir.join(name);
        if nifti::write(&p, &image(shape), None, t).is_ok() {
            if let Ok(b) = std::fs::read(&p) {
                out.push(b);
            }
        }
    }
    out
}

fn npy<A: ndarray_npy::WritableElement, D: ndarray::Dimension>(a: &Array<A, D>) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = a.write_npy(&mut out);
    out
}

fn npy_files() -> Vec<Vec<u8>> {
    let a = image(&[2, 2, 1, 4]);
    vec![
        npy(&a),
        npy(&a.mapv(|v| v as f32).reversed_axes()),
        npy(&a.mapv(|v| v as i16)),
        npy(&a.mapv(|v| (v > 0.0) as u8)),
        npy(&a.mapv(|v| v > 0.0)),
        npy(&ndarray::arr0(1.5f64)),
    ]
}

fn config_files() -> Vec<Vec<u8>> {
    [
        "input: conc.nii.gz\nout: out\nmodel: extended_tofts\nthreads: 2\nquiet: true\n",
        "times: [0, 2.5, 5, 7.5]\nflip_angle: 15\ntr: 0.005\ndelay: false\naif: parker\n",
        "base: &b 2\nthreads: *b\n",
        "# comment\nhct: 0.42\nrelaxivity: 4.5\nbaseline: 3\nforce: true\ndevice: cpu\n",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// One single-frame 4 x 4 MR image (Explicit VR Little Endian, 16-bit), as the DICOM tests
/// write them.
fn dicom_files() -> Vec<Vec<u8>> {
    let el = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v.to_string()));
    let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    let obj = InMemDicomObject::from_element_iter([
        el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
        el(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4.5.1"),
        el(tags::MODALITY, VR::CS, "MR"),
        el(tags::ACQUISITION_TIME, VR::TM, "120000.000000"),
        el(tags::REPETITION_TIME, VR::DS, "5"),
        el(tags::FLIP_ANGLE, VR::DS, "15"),
        el(tags::SLICE_THICKNESS, VR::DS, "4"),
        el(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.4.5"),
        el(tags::SERIES_NUMBER, VR::IS, "1"),
        el(tags::IMAGE_POSITION_PATIENT, VR::DS, "30\\20\\-10"),
        el(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0"),
        el(tags::PIXEL_SPACING, VR::DS, "1.5\\1.5"),
        el(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        el(tags::RESCALE_INTERCEPT, VR::DS, "0"),
        el(tags::RESCALE_SLOPE, VR::DS, "1"),
        us(tags::SAMPLES_PER_PIXEL, 1),
        us(tags::ROWS, 4),
        us(tags::COLUMNS, 4),
        us(tags::BITS_ALLOCATED, 16),
        us(tags::BITS_STORED, 16),
        us(tags::HIGH_BIT, 15),
        us(tags::PIXEL_REPRESENTATION, 0),
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::U16((0..16u16).collect()),
        ),
    ]);
    let mut out = Vec::new();
    if let Ok(file) = obj.with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1")) {
        let mut bytes = Vec::new();
        if file.write_all(&mut bytes).is_ok() {
            out.push(bytes);
        }
    }
    out
}
