//! The diffusion b-value of a frame: the standard attribute, else a vendor's private one.
//!
//! A private attribute is found through its private creator: a vendor reserves a block of its
//! group by writing its creator string at `(gggg,00xx)`, and its elements then live at
//! `(gggg,xxee)`. Scanners use the block `xx = 10`, but a file edited by other software may
//! hold the creator in another block, and another vendor's data may sit in block 10. The
//! element is read from the block whose creator is the vendor's; a file without any creator in
//! that group (some anonymisers remove them) is read at the conventional block 10.

use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::{InMemDicomObject, InMemElement};

use super::attributes::Scope;

/// The standard and vendor attributes of the diffusion b-value, in the order they are looked for.
pub const B_VALUE_TAGS: [&str; 4] = [
    "DiffusionBValue (0018,9087)",
    "Siemens (0019,100C)",
    "GE (0043,1039)",
    "Philips (2001,1003)",
];

/// How a vendor's b-value attribute is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// IS or DS: text (Siemens, GE).
    Text,
    /// FL: a 4-byte float (Philips); in an implicit-VR file, whose private attributes come
    /// without a VR, the 4 bytes are little endian.
    Float32,
}

/// A vendor's private b-value attribute: group, private creator, element within its block,
/// encoding, and the name in [`B_VALUE_TAGS`].
struct Private {
    group: u16,
    creator: &'static str,
    element: u16,
    encoding: Encoding,
    name: &'static str,
}

const PRIVATE: [Private; 3] = [
    Private {
        group: 0x0019,
        creator: "SIEMENS MR HEADER",
        element: 0x0C,
        encoding: Encoding::Text,
        name: B_VALUE_TAGS[1],
    },
    Private {
        group: 0x0043,
        creator: "GEMS_PARM_01",
        element: 0x39,
        encoding: Encoding::Text,
        name: B_VALUE_TAGS[2],
    },
    Private {
        group: 0x2001,
        creator: "Philips Imaging DD 001",
        element: 0x03,
        encoding: Encoding::Float32,
        name: B_VALUE_TAGS[3],
    },
];

/// GE writes some b-values with 10⁹ added (`1000000800` for b = 800); the value is taken
/// modulo 10⁹.
const GE_OFFSET: f64 = 1e9;

/// The diffusion b-value of a frame and the attribute it came from: DiffusionBValue (MR
/// Diffusion functional group in enhanced files), else the Siemens, GE or Philips private
/// attribute of the vendor's block.
pub(super) fn b_value(scope: &Scope) -> Option<(f64, &'static str)> {
    if let Some(v) = scope.f64(tags::MR_DIFFUSION_SEQUENCE, tags::DIFFUSION_B_VALUE) {
        return Some((v, B_VALUE_TAGS[0]));
    }
    PRIVATE.iter().find_map(|p| {
        let e = private_element(scope.top, p)?;
        let v = number(e, p.encoding)?;
        let v = if p.name == B_VALUE_TAGS[2] && v >= GE_OFFSET {
            v % GE_OFFSET
        } else {
            v
        };
        Some((v, p.name))
    })
}

/// The element of `p` in the block its creator reserved (see the module's documentation).
fn private_element<'a>(obj: &'a InMemDicomObject, p: &Private) -> Option<&'a InMemElement> {
    let mut any_creator = false;
    for block in 0x10u16..=0xFF {
        let Some(e) = obj.get(Tag(p.group, block)) else {
            continue;
        };
        any_creator = true;
        if creator_of(e).is_some_and(|c| c.eq_ignore_ascii_case(p.creator)) {
            return obj.get(Tag(p.group, (block << 8) | p.element));
        }
    }
    if any_creator {
        None
    } else {
        obj.get(Tag(p.group, 0x1000 | p.element))
    }
}

/// A private creator's string, trimmed of spaces and NULs.
fn creator_of(e: &InMemElement) -> Option<String> {
    let bytes = e.to_bytes().ok()?;
    let s = String::from_utf8_lossy(&bytes);
    Some(
        s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .to_string(),
    )
}

/// The first number of a private element: its text when its VR is unknown (private attributes
/// of implicit-VR files come as bytes; Siemens writes numbers as text), a little-endian 4-byte
/// float for an FL attribute without its VR, else its numeric value.
fn number(e: &InMemElement, encoding: Encoding) -> Option<f64> {
    let text = || {
        let bytes = e.to_bytes().ok()?;
        let text = String::from_utf8_lossy(&bytes);
        text.split(['\\', '\0'])
            .map(str::trim)
            .find(|t| !t.is_empty())?
            .parse::<f64>()
            .ok()
    };
    let v = if matches!(e.vr(), VR::UN | VR::OB) {
        match encoding {
            Encoding::Text => text(),
            Encoding::Float32 => {
                let bytes = e.to_bytes().ok()?;
                let b: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
                (bytes.len() == 4).then(|| f32::from_le_bytes(b) as f64)
            }
        }
    } else {
        e.to_multi_float64()
            .ok()
            .and_then(|v| v.first().copied())
            .or_else(text)
    };
    v.filter(|x| x.is_finite())
}
