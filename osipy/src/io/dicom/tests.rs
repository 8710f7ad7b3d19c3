//! Files written by dicom-rs itself (`InMemDicomObject` + `FileMetaTableBuilder` +
//! `write_to_file`) in the three supported transfer syntaxes; the byte-level encoder of
//! `tests/tests/dicom_io.rs` covers the rest.

use super::*;
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;
use dicom_object::FileMetaTableBuilder;
use std::path::Path;

fn write(dir: &Path, name: &str, ts: &str, z: usize, t: usize, signed: bool) {
    let el = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    let mut obj = InMemDicomObject::from_element_iter([
        el(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.4"),
        el(tags::SOP_INSTANCE_UID, VR::UI, &format!("1.2.3.{z}.{t}")),
        el(
            tags::ACQUISITION_TIME,
            VR::TM,
            &format!("2359{:02}.5", 50 + 5 * t),
        ),
        el(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3"),
        el(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            &format!("0\\0\\{}", -4.0 * z as f64),
        ),
        el(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0"),
        el(tags::PIXEL_SPACING, VR::DS, "2\\3"),
        el(tags::RESCALE_SLOPE, VR::DS, "0.5"),
        el(tags::RESCALE_INTERCEPT, VR::DS, &format!("{}", t)),
        el(tags::FLIP_ANGLE, VR::DS, "20"),
        us(tags::ROWS, 2),
        us(tags::COLUMNS, 3),
        us(tags::BITS_ALLOCATED, 16),
        us(tags::BITS_STORED, 16),
        us(tags::HIGH_BIT, 15),
        us(tags::PIXEL_REPRESENTATION, signed as u16),
    ]);
    let values: Vec<i16> = (0..6)
        .map(|i| (i as i16 - 2) * (1 + z as i16) * (1 + t as i16))
        .collect();
    let px = if signed {
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::I16(values.into_iter().collect()),
        )
    } else {
        let v: Vec<u16> = values.iter().map(|v| (v + 100) as u16).collect();
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::U16(v.into_iter().collect()),
        )
    };
    obj.put(px);
    let file = obj
        .with_meta(FileMetaTableBuilder::new().transfer_syntax(ts))
        .unwrap();
    file.write_to_file(dir.join(name)).unwrap();
}

#[test]
fn files_written_by_dicom_rs() {
    for (n, ts) in [
        IMPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_BIG_ENDIAN,
    ]
    .into_iter()
    .enumerate()
    {
        for signed in [false, true] {
            let dir = tempfile::Builder::new()
                .prefix(&format!("osipy-dicom-unit-{n}-{signed}-"))
                .tempdir()
                .unwrap()
                .keep();
            for (i, (z, t)) in [(1, 1), (0, 0), (1, 0), (0, 1)].into_iter().enumerate() {
                write(&dir, &format!("f{i}"), ts, z, t, signed);
            }
            let ser = read_series(&dir).unwrap();
            assert_eq!(ser.data.shape(), &[3, 2, 2, 2]);
            // Normal +z; z = -4 (file z = 1) comes first.
            for k in 0..2 {
                let z = 1 - k;
                for t in 0..2 {
                    for r in 0..2 {
                        for c in 0..3 {
                            let v = ((r * 3 + c) as f64 - 2.0) * (1 + z) as f64 * (1 + t) as f64;
                            let stored = if signed { v } else { v + 100.0 };
                            let want = stored * 0.5 + t as f64;
                            assert_eq!(ser.data[[c, r, k, t]], want, "{ts} {signed} ({c},{r},{k},{t})");
                        }
                    }
                }
            }
            assert_eq!(ser.times_s, vec![0.0, 5.0]);
            assert_eq!(ser.affine[2], [0.0, 0.0, 4.0, -4.0]);
            assert_eq!(ser.affine[0], [-3.0, 0.0, 0.0, -0.0]);
            assert_eq!(ser.flip_angle_deg, Some(20.0));
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
