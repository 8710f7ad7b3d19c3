//! Attribute values of a data set, and where the attributes of one frame are found (the
//! functional groups of an enhanced file, else the top level).

use dicom_core::Tag;
use dicom_object::mem::{InMemDicomObject, InMemElement};

/// A string attribute, trimmed; `None` when absent or empty.
pub(super) fn str_of(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?;
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!s.is_empty()).then(|| s.to_string())
}

/// A finite number.
pub(super) fn f64_of(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    let e = obj.get(tag)?;
    e.to_float64().ok().filter(|v| v.is_finite())
}

/// Finite numbers, at least one.
pub(super) fn multi_f64_of(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let v = obj.get(tag)?.to_multi_float64().ok()?;
    (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
}

/// An integer.
pub(super) fn int_of(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.get(tag)?.to_int::<i64>().ok()
}

/// The first item of a sequence.
pub(super) fn item(obj: &InMemDicomObject, seq: Tag) -> Option<&InMemDicomObject> {
    obj.get(seq)?.items()?.first()
}

/// Where the attributes of one frame are found: the per-frame functional group item, the shared
/// one, and the top level.
pub(super) struct Scope<'a> {
    pub per_frame: Option<&'a InMemDicomObject>,
    pub shared: Option<&'a InMemDicomObject>,
    pub top: &'a InMemDicomObject,
}

impl<'a> Scope<'a> {
    /// The attribute `tag` inside the functional group `seq` (per-frame first, then shared),
    /// else at the top level.
    pub fn find(&self, seq: Tag, tag: Tag) -> Option<&'a InMemElement> {
        for g in [self.per_frame, self.shared].into_iter().flatten() {
            if let Some(e) = item(g, seq).and_then(|i| i.get(tag)) {
                return Some(e);
            }
        }
        self.top.get(tag)
    }

    pub fn f64(&self, seq: Tag, tag: Tag) -> Option<f64> {
        self.find(seq, tag)?.to_float64().ok().filter(|v| v.is_finite())
    }

    pub fn multi(&self, seq: Tag, tag: Tag) -> Option<Vec<f64>> {
        let v = self.find(seq, tag)?.to_multi_float64().ok()?;
        (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
    }

    pub fn string(&self, seq: Tag, tag: Tag) -> Option<String> {
        let s = self.find(seq, tag)?.to_str().ok()?;
        let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        (!s.is_empty()).then(|| s.to_string())
    }
}
