//! Assembly of one series: frames checked against the first, grouped into slices along the
//! normal, ordered into volumes, placed into `[x, y, z, t]` and rescaled.

use std::path::Path;

use ndarray::Array4;

use super::frames::{Frame, Image};
use super::geometry::{cross, dot, ras_affine};
use super::pixels::decode;
use super::time_order::{self, Key, TRIGGER};
use super::{DicomError, DicomSeries, VolumeKey, VolumeOrder, SLICE_TOLERANCE_MM};

/// The common value of an optional per-frame quantity, with a note when frames disagree.
fn common(
    frames: &[Frame],
    get: impl Fn(&Frame) -> Option<f64>,
    name: &str,
    folder: &Path,
    notes: &mut Vec<String>,
) -> Option<f64> {
    let first = get(&frames[0]);
    if frames.iter().any(|f| get(f) != first) {
        notes.push(format!(
            "{}: {name} differs between frames; not reported",
            folder.display()
        ));
        return None;
    }
    first
}

/// Arranges the frames of one series into `[x, y, z, t]`.
pub(super) fn assemble(
    folder: &Path,
    mut images: Vec<Image>,
    mut notes: Vec<String>,
    order: VolumeOrder,
) -> Result<DicomSeries, DicomError> {
    images.sort_by(|a, b| a.path.cmp(&b.path));
    let (rows, cols) = (images[0].rows, images[0].cols);
    let first_path = images[0].path.clone();
    let ref_frame = images[0].frames[0].clone();
    let mut frames: Vec<Frame> = Vec::new();
    for (i, img) in images.iter_mut().enumerate() {
        if (img.rows, img.cols) != (rows, cols) {
            return Err(DicomError::Inconsistent {
                path: img.path.clone(),
                first: first_path,
                what: "image size (Rows x Columns)",
                expected: format!("{rows} x {cols}"),
                found: format!("{} x {}", img.rows, img.cols),
            });
        }
        for f in &mut img.frames {
            f.image = i;
            if f.iop
                .iter()
                .zip(&ref_frame.iop)
                .any(|(a, b)| (a - b).abs() > 1e-4)
            {
                return Err(DicomError::Inconsistent {
                    path: img.path.clone(),
                    first: first_path,
                    what: "ImageOrientationPatient",
                    expected: format!("{:?}", ref_frame.iop),
                    found: format!("{:?}", f.iop),
                });
            }
            if f.spacing
                .iter()
                .zip(&ref_frame.spacing)
                .any(|(a, b)| (a - b).abs() > 1e-4 * b.abs().max(1.0))
            {
                return Err(DicomError::Inconsistent {
                    path: img.path.clone(),
                    first: first_path,
                    what: "PixelSpacing",
                    expected: format!("{:?}", ref_frame.spacing),
                    found: format!("{:?}", f.spacing),
                });
            }
            frames.push(f.clone());
        }
    }
    let filled = time_order::fill_trigger(&mut frames);
    if filled > 0 {
        notes.push(format!(
            "{}: TriggerTime (0018,1060) absent in {filled} of {} frames, taken as 0 ms",
            folder.display(),
            frames.len()
        ));
    }
    let row_dir = [ref_frame.iop[0], ref_frame.iop[1], ref_frame.iop[2]];
    let col_dir = [ref_frame.iop[3], ref_frame.iop[4], ref_frame.iop[5]];
    let normal = cross(row_dir, col_dir);

    // Slices: sort by distance along the normal, split at gaps.
    let dist = |f: &Frame| dot(normal, f.ipp);
    frames.sort_by(|a, b| dist(a).total_cmp(&dist(b)));
    let mut slices: Vec<Vec<Frame>> = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for f in frames {
        let d = dist(&f);
        if d - last > SLICE_TOLERANCE_MM || slices.is_empty() {
            slices.push(Vec::new());
        }
        last = d;
        if let Some(s) = slices.last_mut() {
            s.push(f);
        }
    }
    let nz = slices.len();
    let nt = slices[0].len();
    let frame_name = |f: &Frame| {
        if images[f.image].frames.len() > 1 {
            format!("{} frame {}", images[f.image].path.display(), f.index + 1)
        } else {
            images[f.image].path.display().to_string()
        }
    };
    for s in &slices {
        if s.len() != nt {
            return Err(DicomError::Layout {
                path: folder.to_path_buf(),
                expected: format!(
                    "the same number of frames at every slice position ({nt} at {:.3} mm)",
                    dist(&slices[0][0])
                ),
                found: format!(
                    "{} at {:.3} mm (e.g. {})",
                    s.len(),
                    dist(&s[0]),
                    frame_name(&s[0])
                ),
            });
        }
    }

    let chosen = time_order::order_slices(folder, &mut slices, order, &dist, &frame_name)?;
    let volume_key = match chosen {
        Some(Key::Flip) => VolumeKey::FlipAngle,
        Some(Key::Inversion) => VolumeKey::InversionTime,
        Some(Key::BValue) => VolumeKey::BValue,
        Some(Key::Time(TRIGGER)) if order == VolumeOrder::InversionTime => VolumeKey::TriggerTime,
        _ => VolumeKey::Time,
    };
    let time = time_order::times(
        &slices,
        chosen,
        order,
        images[0].temporal_resolution_ms.map(|ms| ms / 1000.0),
    );

    // Acquisition values of each volume.
    let per_volume = |get: &dyn Fn(&Frame) -> Option<f64>, divisor: f64| -> Vec<Option<f64>> {
        (0..nt)
            .map(|j| {
                let v = get(&slices[0][j]);
                slices
                    .iter()
                    .all(|s| get(&s[j]) == v)
                    .then_some(v)
                    .flatten()
                    .map(|x| x / divisor)
            })
            .collect()
    };
    let volume_flip_angles_deg = per_volume(&|f| f.flip, 1.0);
    let volume_repetition_times_s = per_volume(&|f| f.tr_ms, 1000.0);
    let volume_inversion_times_s = per_volume(&|f| f.ti_ms, 1000.0);
    let volume_trigger_times_s = per_volume(&|f| f.keys[TRIGGER], 1.0);
    let volume_b_values = per_volume(&|f| f.b.map(|b| b.0), 1.0);
    let volume_b_vectors: Vec<Option<[f64; 3]>> = (0..nt)
        .map(|j| {
            let v = slices[0][j].b_vector;
            slices.iter().all(|s| s[j].b_vector == v).then_some(v).flatten()
        })
        .collect();
    let b_value_source = slices[0][0]
        .b
        .map(|b| b.1)
        .filter(|src| slices.iter().flatten().all(|f| f.b.map(|b| b.1) == Some(*src)));
    if order == VolumeOrder::InversionTime {
        let (name, v) = match volume_key {
            VolumeKey::TriggerTime => ("TriggerTime", &volume_trigger_times_s),
            _ => ("InversionTime", &volume_inversion_times_s),
        };
        if let Some(j) = v.iter().position(Option::is_none) {
            notes.push(format!(
                "{}: {name} differs between the slices of volume {j} (slice-dependent timing); not reported per volume",
                folder.display()
            ));
        }
    }

    // Geometry.
    let p0 = slices[0][0].ipp;
    let step = if nz > 1 {
        let pl = slices[nz - 1][0].ipp;
        let d = (nz - 1) as f64;
        [(pl[0] - p0[0]) / d, (pl[1] - p0[1]) / d, (pl[2] - p0[2]) / d]
    } else {
        let g = images[0].slice_gap_mm.unwrap_or(1.0);
        [normal[0] * g, normal[1] * g, normal[2] * g]
    };
    if nz > 2 {
        let mean = (dist(&slices[nz - 1][0]) - dist(&slices[0][0])) / (nz - 1) as f64;
        let irregular = slices
            .windows(2)
            .any(|w| ((dist(&w[1][0]) - dist(&w[0][0])) - mean).abs() > 0.01 * mean);
        if irregular {
            notes.push(format!(
                "{}: irregular slice spacing (mean {mean:.4} mm); the affine uses the mean",
                folder.display()
            ));
        }
    }
    let (rs, cs) = (ref_frame.spacing[0], ref_frame.spacing[1]);
    let affine = ras_affine(row_dir, col_dir, ref_frame.spacing, step, p0);
    let slice_step = dot(step, step).sqrt();

    // Pixels.
    let mut data = Array4::<f64>::zeros((cols, rows, nz, nt));
    let mut where_: Vec<Vec<(usize, usize, usize)>> = images
        .iter()
        .map(|i| Vec::with_capacity(i.frames.len()))
        .collect();
    for (k, s) in slices.iter().enumerate() {
        for (j, f) in s.iter().enumerate() {
            where_[f.image].push((f.index, k, j));
        }
    }
    // `data` is in standard (C) layout: (c, r, k, j) is at ((c * rows + r) * nz + k) * nt + j.
    let out = data.as_slice_mut().ok_or_else(|| DicomError::Layout {
        path: folder.to_path_buf(),
        expected: "a contiguous output array".into(),
        found: "a non-contiguous one".into(),
    })?;
    for (i, img) in images.iter().enumerate() {
        let raw = decode(img)?;
        let npx = rows * cols;
        for &(idx, k, j) in &where_[i] {
            let (slope, intercept) = (img.frames[idx].slope, img.frames[idx].intercept);
            let frame = &raw[idx * npx..(idx + 1) * npx];
            for r in 0..rows {
                for c in 0..cols {
                    out[((c * rows + r) * nz + k) * nt + j] = frame[r * cols + c] as f64 * slope + intercept;
                }
            }
        }
    }

    let all: Vec<Frame> = slices.into_iter().flatten().collect();
    let flip_angle_deg = if volume_key == VolumeKey::FlipAngle {
        None
    } else {
        common(&all, |f| f.flip, "FlipAngle", folder, &mut notes)
    };
    let repetition_time_s =
        common(&all, |f| f.tr_ms, "RepetitionTime", folder, &mut notes).map(|v| v / 1000.0);
    let echo_time_s = common(&all, |f| f.te_ms, "EchoTime", folder, &mut notes).map(|v| v / 1000.0);
    let field = images[0].field_t;
    let field_strength_t = if images.iter().all(|i| i.field_t == field) {
        field
    } else {
        notes.push(format!(
            "{}: MagneticFieldStrength differs between files; not reported",
            folder.display()
        ));
        None
    };

    Ok(DicomSeries {
        data,
        affine,
        times_s: time.volumes_s,
        slice_times_s: time.frames_s,
        time_source: time.source,
        volume_key,
        volume_flip_angles_deg,
        volume_repetition_times_s,
        volume_inversion_times_s,
        volume_trigger_times_s,
        volume_b_values,
        volume_b_vectors,
        b_value_source,
        voxel_size_mm: [cs, rs, slice_step],
        flip_angle_deg,
        repetition_time_s,
        echo_time_s,
        field_strength_t,
        series_uid: images[0].series_uid.clone(),
        series_description: images[0].series_description.clone(),
        series_number: images[0].series_number,
        files: images.iter().map(|i| i.path.clone()).collect(),
        notes,
    })
}
