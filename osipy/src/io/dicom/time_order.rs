//! Which attribute orders the frames of each slice into volumes, and which gives their times.
//!
//! For a time series the candidates are, in this order: acquisition time, content time,
//! TriggerTime, temporal position, frame time (legacy multi-frame) and InstanceNumber. The first
//! that every frame has and that is different for all frames of each slice orders them: a time
//! that is the same on every frame (a series start time written on each) is passed over for one
//! that varies. TriggerTime is absent on the first frame of many dynamic series (its value is 0):
//! where some frames of a series have one, a frame without takes 0.

use std::path::Path;

use super::diffusion::B_VALUE_TAGS;
use super::frames::Frame;
use super::{DicomError, TimeSource, VolumeOrder};

/// Indices into [`Frame::keys`].
pub(super) const ACQUISITION: usize = 0;
pub(super) const CONTENT: usize = 1;
pub(super) const TRIGGER: usize = 2;
pub(super) const TEMPORAL: usize = 3;
pub(super) const FRAME_TIME: usize = 4;
pub(super) const INSTANCE: usize = 5;

/// A key that can order the frames of a slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    /// One of [`Frame::keys`].
    Time(usize),
    /// FlipAngle (degrees).
    Flip,
    /// InversionTime (s).
    Inversion,
    /// Diffusion b-value (s/mm²); frames of equal b keep the order they were acquired in.
    BValue,
}

impl Key {
    pub fn value(self, f: &Frame) -> Option<f64> {
        match self {
            Key::Time(k) => f.keys[k],
            Key::Flip => f.flip,
            Key::Inversion => f.ti_ms.map(|v| v / 1000.0),
            Key::BValue => f.b.map(|b| b.0),
        }
    }

    /// The attribute, as in the error messages.
    pub fn name(self) -> &'static str {
        match self {
            Key::Time(ACQUISITION) => "AcquisitionTime",
            Key::Time(CONTENT) => "ContentTime",
            Key::Time(TRIGGER) => "TriggerTime",
            Key::Time(TEMPORAL) => "TemporalPositionIdentifier",
            Key::Time(FRAME_TIME) => "FrameTime",
            Key::Time(_) => "InstanceNumber",
            Key::Flip => "FlipAngle (0018,1314)",
            Key::Inversion => "InversionTime (0018,0082)",
            Key::BValue => "DiffusionBValue (0018,9087)",
        }
    }

    /// What two frames share when the key cannot tell them apart.
    fn what(self) -> &'static str {
        match self {
            Key::Time(_) => "time",
            Key::Flip => "flip angle",
            Key::Inversion => "inversion time",
            Key::BValue => "b-value",
        }
    }
}

/// Gives a frame without TriggerTime the value 0 where other frames of the series have one;
/// returns how many frames took it.
pub(super) fn fill_trigger(frames: &mut [Frame]) -> usize {
    if !frames.iter().any(|f| f.keys[TRIGGER].is_some()) {
        return 0;
    }
    let mut n = 0;
    for f in frames.iter_mut().filter(|f| f.keys[TRIGGER].is_none()) {
        f.keys[TRIGGER] = Some(0.0);
        n += 1;
    }
    n
}

/// Sorts the frames of every slice by the first candidate key of `order` that tells them
/// apart; returns the key (`None` for one frame per slice).
pub(super) fn order_slices(
    folder: &Path,
    slices: &mut [Vec<Frame>],
    order: VolumeOrder,
    dist: &dyn Fn(&Frame) -> f64,
    frame_name: &dyn Fn(&Frame) -> String,
) -> Result<Option<Key>, DicomError> {
    let nt = slices[0].len();
    if nt < 2 {
        return Ok(None);
    }
    if order == VolumeOrder::BValue {
        return order_by_b(folder, slices, dist, frame_name).map(Some);
    }
    let candidates: &[Key] = match order {
        VolumeOrder::Time => &[
            Key::Time(ACQUISITION),
            Key::Time(CONTENT),
            Key::Time(TRIGGER),
            Key::Time(TEMPORAL),
            Key::Time(FRAME_TIME),
            Key::Time(INSTANCE),
        ],
        VolumeOrder::FlipAngle => &[Key::Flip],
        VolumeOrder::InversionTime => &[Key::Inversion, Key::Time(TRIGGER)],
        VolumeOrder::BValue => &[Key::BValue],
    };
    let chosen = candidates.iter().copied().find(|key| {
        slices.iter().all(|s| {
            let mut v: Vec<f64> = Vec::with_capacity(nt);
            for f in s {
                match key.value(f) {
                    Some(x) => v.push(x),
                    None => return false,
                }
            }
            v.sort_by(f64::total_cmp);
            v.windows(2).all(|w| w[1] > w[0])
        })
    });
    let Some(key) = chosen else {
        return Err(unordered(folder, slices, order, candidates, frame_name));
    };
    for s in slices.iter_mut() {
        s.sort_by(|a, b| {
            key.value(a)
                .unwrap_or(0.0)
                .total_cmp(&key.value(b).unwrap_or(0.0))
        });
    }
    // A flip angle is a setting, not a timing: every slice must have the same ones.
    if key == Key::Flip {
        let angles = |s: &[Frame]| -> Vec<f64> { s.iter().map(|f| f.flip.unwrap_or(f64::NAN)).collect() };
        let want = angles(&slices[0]);
        if let Some(s) = slices.iter().find(|s| angles(s) != want) {
            return Err(DicomError::Layout {
                path: folder.to_path_buf(),
                expected: format!(
                    "the same flip angles at every slice position ({want:?} degrees at {:.3} mm)",
                    dist(&slices[0][0])
                ),
                found: format!(
                    "{:?} degrees at {:.3} mm (e.g. {})",
                    angles(s),
                    dist(&s[0]),
                    frame_name(&s[0])
                ),
            });
        }
    }
    Ok(Some(key))
}

/// Sorts the frames of every slice by increasing b-value, frames of equal b (gradient
/// directions, repetitions) by InstanceNumber, else acquisition time, else their place in the
/// files; every frame needs a b-value and every slice the same list.
fn order_by_b(
    folder: &Path,
    slices: &mut [Vec<Frame>],
    dist: &dyn Fn(&Frame) -> f64,
    frame_name: &dyn Fn(&Frame) -> String,
) -> Result<Key, DicomError> {
    if let Some(f) = slices.iter().flatten().find(|f| f.b.is_none()) {
        return Err(DicomError::Layout {
            path: folder.to_path_buf(),
            expected: format!("a diffusion b-value in every frame ({})", B_VALUE_TAGS.join(", ")),
            found: format!("a frame without any: {}", frame_name(f)),
        });
    }
    let then = |f: &Frame| (f.keys[INSTANCE], f.keys[ACQUISITION], f.image, f.index);
    for s in slices.iter_mut() {
        s.sort_by(|a, b| {
            let (ba, bb) = (
                Key::BValue.value(a).unwrap_or(0.0),
                Key::BValue.value(b).unwrap_or(0.0),
            );
            let (ta, tb) = (then(a), then(b));
            ba.total_cmp(&bb)
                .then(ta.0.unwrap_or(0.0).total_cmp(&tb.0.unwrap_or(0.0)))
                .then(ta.1.unwrap_or(0.0).total_cmp(&tb.1.unwrap_or(0.0)))
                .then((ta.2, ta.3).cmp(&(tb.2, tb.3)))
        });
    }
    let bs = |s: &[Frame]| -> Vec<f64> {
        s.iter()
            .map(|f| Key::BValue.value(f).unwrap_or(f64::NAN))
            .collect()
    };
    let want = bs(&slices[0]);
    if let Some(s) = slices.iter().find(|s| bs(s) != want) {
        return Err(DicomError::Layout {
            path: folder.to_path_buf(),
            expected: format!(
                "the same b-values at every slice position ({want:?} s/mm² at {:.3} mm)",
                dist(&slices[0][0])
            ),
            found: format!(
                "{:?} s/mm² at {:.3} mm (e.g. {})",
                bs(s),
                dist(&s[0]),
                frame_name(&s[0])
            ),
        });
    }
    Ok(Key::BValue)
}

/// The error when no candidate orders the frames: a frame without the first key, else two
/// frames it cannot tell apart.
fn unordered(
    folder: &Path,
    slices: &[Vec<Frame>],
    order: VolumeOrder,
    candidates: &[Key],
    frame_name: &dyn Fn(&Frame) -> String,
) -> DicomError {
    let nt = slices[0].len();
    let first = candidates[0];
    let without = slices.iter().flatten().find(|f| first.value(f).is_none());
    let found = match without.filter(|_| order != VolumeOrder::Time) {
        Some(f) => format!("a frame without {}: {}", first.name(), frame_name(f)),
        None => {
            let (a, b) = slices
                .iter()
                .find_map(|s| {
                    (0..s.len()).find_map(|a| {
                        (a + 1..s.len())
                            .find(|&b| first.value(&s[a]) == first.value(&s[b]))
                            .map(|b| (&s[a], &s[b]))
                    })
                })
                .unwrap_or((&slices[0][0], &slices[0][1]));
            format!(
                "frames at the same slice and {}, e.g. {} and {}",
                first.what(),
                frame_name(a),
                frame_name(b)
            )
        }
    };
    let names: Vec<&str> = candidates.iter().map(|k| k.name()).collect();
    let names = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    };
    DicomError::Layout {
        path: folder.to_path_buf(),
        expected: format!("{nt} frames per slice with distinct {names}"),
        found,
    }
}

/// The time axis of ordered slices.
pub(super) struct Times {
    pub source: TimeSource,
    /// Start of each volume.
    pub volumes_s: Vec<f64>,
    /// Every frame, `[z][t]`.
    pub frames_s: Vec<Vec<f64>>,
}

/// The times: the ordering key of a time series; else the first time attribute (acquisition
/// to frame time) that every frame has and that varies, else the first every frame has.
pub(super) fn times(
    slices: &[Vec<Frame>],
    chosen: Option<Key>,
    order: VolumeOrder,
    temporal_resolution_s: Option<f64>,
) -> Times {
    let nt = slices[0].len();
    let all = || slices.iter().flatten();
    let time_key = match chosen {
        Some(Key::Time(k)) if order == VolumeOrder::Time => Some(k),
        _ if nt == 1 => None,
        _ => {
            let present = |k: usize| all().all(|f| f.keys[k].is_some());
            let varies = |k: usize| all().any(|f| f.keys[k] != slices[0][0].keys[k]);
            (ACQUISITION..INSTANCE)
                .find(|&k| present(k) && varies(k))
                .or_else(|| (ACQUISITION..INSTANCE).find(|&k| present(k)))
        }
    };
    let source = match time_key {
        None if nt == 1 => TimeSource::Single,
        None => TimeSource::Absent,
        Some(ACQUISITION) => TimeSource::Acquisition,
        Some(CONTENT) => TimeSource::Content,
        Some(TRIGGER) => TimeSource::Trigger,
        Some(TEMPORAL) => TimeSource::TemporalPosition {
            resolution_s: temporal_resolution_s,
        },
        Some(FRAME_TIME) => TimeSource::FrameTime,
        Some(_) => TimeSource::InstanceNumber {
            resolution_s: temporal_resolution_s,
        },
    };
    let time_of = |f: &Frame, j: usize| -> f64 {
        match time_key {
            None => 0.0,
            Some(TEMPORAL) => f.keys[TEMPORAL].unwrap_or(0.0) * temporal_resolution_s.unwrap_or(1.0),
            Some(INSTANCE) => j as f64 * temporal_resolution_s.unwrap_or(1.0),
            Some(k) => f.keys[k].unwrap_or(0.0),
        }
    };
    let mut volumes_s: Vec<f64> = (0..nt)
        .map(|j| {
            slices
                .iter()
                .map(|s| time_of(&s[j], j))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let origin = volumes_s[0];
    for v in &mut volumes_s {
        *v -= origin;
    }
    let frames_s = slices
        .iter()
        .map(|s| {
            s.iter()
                .enumerate()
                .map(|(j, f)| time_of(f, j) - origin)
                .collect()
        })
        .collect();
    Times {
        source,
        volumes_s,
        frames_s,
    }
}
