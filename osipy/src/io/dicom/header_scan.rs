//! The element headers of a file, walked before the parser sees it: every declared length is
//! checked against the bytes that remain, so that no header can make the parser allocate more
//! than the file holds.
//!
//! The walk covers the File Meta group (Explicit VR Little Endian, read up to its group length
//! as the parser does), then the data set in its transfer syntax: Explicit or Implicit VR, little
//! or big endian, sequences and items of defined and undefined length (an Explicit VR `UN` of
//! undefined length holds Implicit VR Little Endian, PS3.5 6.2.2), and encapsulated Pixel Data
//! (fragments of defined length). Implicit VR sequences of defined length are recognised through
//! the standard dictionary, as the parser does. Nesting deeper than [`MAX_DEPTH`] is refused.
//! Messages are one line and never quote the bytes of a header beyond its tag.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// Sequences nested deeper than this are refused (real files nest a handful of levels).
pub(super) const MAX_DEPTH: usize = 64;

/// The undefined length `FFFFFFFFH`.
const UNDEFINED: u32 = u32::MAX;

/// How a data set is encoded, and whether its pixel data are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Syntax {
    /// Explicit VR.
    pub explicit: bool,
    /// Big endian.
    pub big_endian: bool,
    /// Encapsulated (compressed) pixel data.
    pub compressed: bool,
}

impl Syntax {
    const IMPLICIT_LE: Syntax = Syntax {
        explicit: false,
        big_endian: false,
        compressed: false,
    };

    /// The transfer syntaxes this reader decodes: the three native ones, JPEG Baseline and
    /// Extended, JPEG Lossless (both), JPEG 2000 (lossless and not) and RLE Lossless.
    pub fn of(uid: &str) -> Option<Syntax> {
        let native = |explicit, big_endian| Syntax {
            explicit,
            big_endian,
            compressed: false,
        };
        match uid {
            super::IMPLICIT_VR_LITTLE_ENDIAN => Some(native(false, false)),
            super::EXPLICIT_VR_LITTLE_ENDIAN => Some(native(true, false)),
            super::EXPLICIT_VR_BIG_ENDIAN => Some(native(true, true)),
            super::JPEG_BASELINE
            | super::JPEG_EXTENDED
            | super::JPEG_LOSSLESS
            | super::JPEG_LOSSLESS_SV1
            | super::JPEG_2000_LOSSLESS
            | super::JPEG_2000
            | super::RLE_LOSSLESS => Some(Syntax {
                explicit: true,
                big_endian: false,
                compressed: true,
            }),
            _ => None,
        }
    }
}

/// The VRs whose Explicit VR header has a 2-byte length (PS3.5 7.1.2); every other VR, an
/// unknown one included (read as UN), has 2 reserved bytes and a 4-byte length.
fn short_length(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"AE"
            | b"AS"
            | b"AT"
            | b"CS"
            | b"DA"
            | b"DS"
            | b"DT"
            | b"FL"
            | b"FD"
            | b"IS"
            | b"LO"
            | b"LT"
            | b"PN"
            | b"SH"
            | b"SL"
            | b"SS"
            | b"ST"
            | b"TM"
            | b"UI"
            | b"UL"
            | b"US"
    )
}

/// Checks the File Meta group; returns where the data set starts.
pub(super) fn scan_meta(b: &[u8]) -> Result<usize, String> {
    let w = Walk { b };
    let le = Syntax {
        explicit: true,
        big_endian: false,
        compressed: false,
    };
    let mut pos = 132;
    let first = w.header(pos, b.len(), le)?;
    if first.tag != (0x0002, 0x0000) || first.len != 4 {
        return Err(format!(
            "{} of length {} at byte {pos} where the File Meta group length (0002,0000) of length 4 belongs",
            tag_text(first.tag),
            length_text(first.len)
        ));
    }
    let end = w.value_end(pos, &first, b.len(), false)?;
    let v = pos + first.size;
    let group_length = u32::from_le_bytes([b[v], b[v + 1], b[v + 2], b[v + 3]]) as usize;
    pos = end;
    let start = pos;
    while pos - start < group_length {
        let h = w.header(pos, b.len(), le)?;
        if h.len == UNDEFINED {
            return Err(format!(
                "File Meta element {} at byte {pos} of undefined length",
                tag_text(h.tag)
            ));
        }
        pos = w.value_end(pos, &h, b.len(), false)?;
    }
    Ok(pos)
}

/// Checks the element headers of the data set that starts at `start`.
pub(super) fn scan_dataset(b: &[u8], start: usize, syntax: Syntax) -> Result<(), String> {
    Walk { b }.dataset(start, Some(b.len()), syntax, 0).map(|_| ())
}

/// One element header.
struct Header {
    tag: (u16, u16),
    /// The VR of an Explicit VR header.
    vr: Option<[u8; 2]>,
    len: u32,
    /// Bytes of the header.
    size: usize,
}

fn tag_text((g, e): (u16, u16)) -> String {
    format!("element ({g:04X},{e:04X})")
}

fn length_text(len: u32) -> String {
    if len == UNDEFINED {
        "undefined".into()
    } else {
        len.to_string()
    }
}

struct Walk<'a> {
    b: &'a [u8],
}

impl Walk<'_> {
    fn u16(&self, p: usize, be: bool) -> u16 {
        let v = [self.b[p], self.b[p + 1]];
        if be {
            u16::from_be_bytes(v)
        } else {
            u16::from_le_bytes(v)
        }
    }

    fn u32(&self, p: usize, be: bool) -> u32 {
        let v = [self.b[p], self.b[p + 1], self.b[p + 2], self.b[p + 3]];
        if be {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        }
    }

    /// The header at `pos`, which must end by `limit`.
    fn header(&self, pos: usize, limit: usize, s: Syntax) -> Result<Header, String> {
        let cut = |need: usize| -> Result<(), String> {
            if pos + need > limit {
                Err(format!(
                    "an element header cut short at byte {pos} ({} bytes left, {need} needed)",
                    limit.saturating_sub(pos)
                ))
            } else {
                Ok(())
            }
        };
        cut(8)?;
        let be = s.big_endian;
        let tag = (self.u16(pos, be), self.u16(pos + 2, be));
        if tag.0 == 0xFFFE || !s.explicit {
            return Ok(Header {
                tag,
                vr: None,
                len: self.u32(pos + 4, be),
                size: 8,
            });
        }
        let vr = [self.b[pos + 4], self.b[pos + 5]];
        if short_length(vr) {
            return Ok(Header {
                tag,
                vr: Some(vr),
                len: self.u16(pos + 6, be) as u32,
                size: 8,
            });
        }
        cut(12)?;
        Ok(Header {
            tag,
            vr: Some(vr),
            len: self.u32(pos + 8, be),
            size: 12,
        })
    }

    /// The end of the defined-length value of `h` at `pos`, checked against `limit`.
    fn value_end(&self, pos: usize, h: &Header, limit: usize, nested: bool) -> Result<usize, String> {
        let body = pos + h.size;
        let left = limit.saturating_sub(body);
        if h.len as usize > left {
            return Err(format!(
                "{} at byte {pos} declaring {} bytes with {left} left{}",
                tag_text(h.tag),
                h.len,
                if nested {
                    " in its sequence or item"
                } else {
                    " in the file"
                }
            ));
        }
        Ok(body + h.len as usize)
    }

    fn too_deep(pos: usize, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "sequences nested more than {MAX_DEPTH} deep at byte {pos}"
            ));
        }
        Ok(())
    }

    /// A data set from `pos` to `end`, or up to and including an item delimitation when `end`
    /// is `None`; returns where it ends.
    fn dataset(&self, mut pos: usize, end: Option<usize>, s: Syntax, depth: usize) -> Result<usize, String> {
        Self::too_deep(pos, depth)?;
        let limit = end.unwrap_or(self.b.len());
        loop {
            if end == Some(pos) {
                return Ok(pos);
            }
            if end.is_none() && pos == self.b.len() {
                return Err(format!(
                    "the end of the file at byte {pos} inside an item of undefined length"
                ));
            }
            let h = self.header(pos, limit, s)?;
            if h.tag.0 == 0xFFFE {
                if h.tag == (0xFFFE, 0xE00D) && end.is_none() {
                    return Ok(pos + 8);
                }
                return Err(format!(
                    "{} at byte {pos} where a data element belongs",
                    tag_text(h.tag)
                ));
            }
            let body = pos + h.size;
            pos = if h.len == UNDEFINED {
                if h.tag == (0x7FE0, 0x0010) {
                    self.items(body, None, s, depth + 1, true)?
                } else if !s.explicit || h.vr == Some(*b"SQ") {
                    self.items(body, None, s, depth + 1, false)?
                } else if h.vr == Some(*b"UN") {
                    self.items(body, None, Syntax::IMPLICIT_LE, depth + 1, false)?
                } else {
                    return Err(format!(
                        "{} at byte {pos} of undefined length with VR {}",
                        tag_text(h.tag),
                        String::from_utf8_lossy(&h.vr.unwrap_or(*b"??")).escape_debug()
                    ));
                }
            } else {
                let next = self.value_end(pos, &h, limit, depth > 0)?;
                let sequence = match h.vr {
                    Some(vr) => &vr == b"SQ",
                    None => StandardDataDictionary
                        .by_tag(Tag(h.tag.0, h.tag.1))
                        .is_some_and(|e| e.vr() == VirtualVr::Exact(VR::SQ)),
                };
                if sequence {
                    self.items(body, Some(next), s, depth + 1, false)?;
                }
                next
            };
        }
    }

    /// The items of a sequence (data sets) or of encapsulated pixel data (`fragments`: bytes),
    /// from `pos` to `end`, or up to and including a sequence delimitation when `end` is `None`.
    fn items(
        &self,
        mut pos: usize,
        end: Option<usize>,
        s: Syntax,
        depth: usize,
        fragments: bool,
    ) -> Result<usize, String> {
        Self::too_deep(pos, depth)?;
        let limit = end.unwrap_or(self.b.len());
        loop {
            if end == Some(pos) {
                return Ok(pos);
            }
            if end.is_none() && pos == self.b.len() {
                return Err(format!(
                    "the end of the file at byte {pos} inside a sequence of undefined length"
                ));
            }
            let h = self.header(pos, limit, Syntax { explicit: false, ..s })?;
            match h.tag {
                (0xFFFE, 0xE0DD) if end.is_none() => return Ok(pos + 8),
                (0xFFFE, 0xE000) if h.len == UNDEFINED && !fragments => {
                    pos = self.dataset(pos + 8, None, s, depth + 1)?;
                }
                (0xFFFE, 0xE000) if h.len != UNDEFINED => {
                    let next = self.value_end(pos, &h, limit, true)?;
                    if !fragments {
                        self.dataset(pos + 8, Some(next), s, depth + 1)?;
                    }
                    pos = next;
                }
                other => {
                    return Err(format!(
                        "{} of length {} at byte {pos} where an item (FFFE,E000){} belongs",
                        tag_text(other),
                        length_text(h.len),
                        if fragments { " of defined length" } else { "" }
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta_and(dataset: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 128];
        b.extend_from_slice(b"DICM");
        b.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0, 10, 0, 0, 0]);
        // (0002,0010) UI, 2 bytes.
        b.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I', 2, 0, b'1', 0]);
        b.extend_from_slice(dataset);
        b
    }

    const ELE: Syntax = Syntax {
        explicit: true,
        big_endian: false,
        compressed: false,
    };

    #[test]
    fn meta_group_ends_at_its_group_length() {
        let b = meta_and(&[]);
        assert_eq!(scan_meta(&b), Ok(154));
        // Cut inside the group length's value.
        let err = scan_meta(&b[..142]).unwrap_err();
        assert_eq!(
            err,
            "element (0002,0000) at byte 132 declaring 4 bytes with 2 left in the file"
        );
    }

    #[test]
    fn a_length_past_the_end_is_refused_before_parsing() {
        // (0010,0010) PN, 2-byte length 0x0100 with 2 bytes left.
        let b = meta_and(&[0x10, 0x00, 0x10, 0x00, b'P', b'N', 0x00, 0x01, b'A', b'B']);
        let err = scan_dataset(&b, 154, ELE).unwrap_err();
        assert_eq!(
            err,
            "element (0010,0010) at byte 154 declaring 256 bytes with 2 left in the file"
        );
        // OB with a 4 GB length.
        let b = meta_and(&[0x09, 0x00, 0x10, 0x10, b'O', b'B', 0, 0, 0xFE, 0xFF, 0xFF, 0xFF]);
        let err = scan_dataset(&b, 154, ELE).unwrap_err();
        assert!(err.contains("declaring 4294967294 bytes with 0 left"), "{err}");
    }

    #[test]
    fn items_of_undefined_length_and_nested_lengths() {
        // SQ undefined { item undefined { US 2 bytes } item delim } seq delim, in big endian.
        let mut d = vec![0x00, 0x08, 0x11, 0x40, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
        d.extend_from_slice(&[0xFF, 0xFE, 0xE0, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]);
        d.extend_from_slice(&[0x00, 0x28, 0x00, 0x10, b'U', b'S', 0, 2, 0, 3]);
        d.extend_from_slice(&[0xFF, 0xFE, 0xE0, 0x0D, 0, 0, 0, 0]);
        d.extend_from_slice(&[0xFF, 0xFE, 0xE0, 0xDD, 0, 0, 0, 0]);
        let be = Syntax {
            big_endian: true,
            ..ELE
        };
        assert_eq!(scan_dataset(&meta_and(&d), 154, be), Ok(()));
        // The same with an inner length too long for its item of defined length.
        let mut d = vec![0x00, 0x08, 0x11, 0x40, b'S', b'Q', 0, 0, 0, 0, 0, 18];
        d.extend_from_slice(&[0xFF, 0xFE, 0xE0, 0x00, 0, 0, 0, 10]);
        d.extend_from_slice(&[0x00, 0x28, 0x00, 0x10, b'U', b'S', 0, 4, 0, 3]);
        let err = scan_dataset(&meta_and(&d), 154, be).unwrap_err();
        assert_eq!(
            err,
            "element (0028,0010) at byte 174 declaring 4 bytes with 2 left in its sequence or item"
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut d = Vec::new();
        for _ in 0..100 {
            d.extend_from_slice(&[0x08, 0x00, 0x11, 0x40, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
            d.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let err = scan_dataset(&meta_and(&d), 154, ELE).unwrap_err();
        assert!(err.starts_with("sequences nested more than 64 deep"), "{err}");
    }
}
