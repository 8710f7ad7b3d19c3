//! The headers inside compressed Pixel Data, checked before a decoder sees them: a decoder
//! allocates what a stream header declares and writes it into a buffer sized from Rows and
//! Columns, so a stream that disagrees with the DICOM attributes is refused here, in one line.
//!
//! - JPEG (baseline, extended, lossless): every frame header (SOF) after a start of image must
//!   declare Rows x Columns, one component, and a precision that fits BitsAllocated (8 bits for
//!   BitsAllocated 8, 9 to 16 for 16).
//! - JPEG 2000: every codestream's image and tile size (SIZ) must declare Rows x Columns, one
//!   component without subsampling, at most [`MAX_J2K_TILES`] tiles.
//! - RLE: every frame's fragment holds the 64-byte RLE header with one segment per byte of a
//!   sample, and segment offsets inside the fragment, in order.

/// The most JPEG 2000 tiles per frame.
pub(super) const MAX_J2K_TILES: u64 = 4096;

/// Which family of codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Codec {
    Jpeg,
    Jpeg2000,
    Rle,
}

impl Codec {
    pub fn of(uid: &str) -> Option<Codec> {
        match uid {
            super::JPEG_BASELINE | super::JPEG_EXTENDED | super::JPEG_LOSSLESS | super::JPEG_LOSSLESS_SV1 => {
                Some(Codec::Jpeg)
            }
            super::JPEG_2000_LOSSLESS | super::JPEG_2000 => Some(Codec::Jpeg2000),
            super::RLE_LOSSLESS => Some(Codec::Rle),
            _ => None,
        }
    }
}

/// What the DICOM attributes say a frame is.
pub(super) struct Expected {
    pub rows: u64,
    pub cols: u64,
    pub bits_allocated: u64,
    pub frames: usize,
}

/// Checks the stream headers of `fragments`; the error says what was found (for "found ...").
pub(super) fn check(codec: Codec, fragments: &[Vec<u8>], want: &Expected) -> Result<(), String> {
    match codec {
        Codec::Rle => check_rle(fragments, want),
        Codec::Jpeg => check_jpeg(&fragments.concat(), want),
        Codec::Jpeg2000 => check_j2k(&fragments.concat(), want),
    }
}

fn be16(b: &[u8], p: usize) -> Option<u64> {
    Some(u16::from_be_bytes([*b.get(p)?, *b.get(p + 1)?]) as u64)
}

fn be32(b: &[u8], p: usize) -> Option<u64> {
    Some(u32::from_be_bytes([*b.get(p)?, *b.get(p + 1)?, *b.get(p + 2)?, *b.get(p + 3)?]) as u64)
}

fn check_rle(fragments: &[Vec<u8>], want: &Expected) -> Result<(), String> {
    let segments = want.bits_allocated / 8;
    // The decoder reads one frame from every fragment, so every fragment is checked.
    if fragments.len() != want.frames {
        return Err(format!(
            "{} RLE fragments for {} frames (RLE Lossless holds one fragment per frame)",
            fragments.len(),
            want.frames
        ));
    }
    for (i, f) in fragments.iter().enumerate() {
        if f.len() < 64 {
            return Err(format!(
                "an RLE fragment of {} bytes for frame {i} (the header alone takes 64)",
                f.len()
            ));
        }
        let n = u32::from_le_bytes([f[0], f[1], f[2], f[3]]) as u64;
        if n != segments {
            return Err(format!(
                "an RLE header of {n} segments for frame {i} (BitsAllocated {} needs {segments})",
                want.bits_allocated
            ));
        }
        let mut offsets = Vec::with_capacity(n as usize + 1);
        let mut last = 64;
        for s in 0..n as usize {
            let k = 4 + 4 * s;
            let off = u32::from_le_bytes([f[k], f[k + 1], f[k + 2], f[k + 3]]) as u64;
            if off < last || off > f.len() as u64 {
                return Err(format!(
                    "RLE segment {s} of frame {i} at offset {off} (expected {last} to {} in order)",
                    f.len()
                ));
            }
            offsets.push(off as usize);
            last = off;
        }
        offsets.push(f.len());
        let pixels = want.rows * want.cols;
        for (s, w) in offsets.windows(2).enumerate() {
            let got = packbits_len(&f[w[0]..w[1]], pixels);
            if got < pixels {
                return Err(format!(
                    "RLE segment {s} of frame {i} decoding to {got} bytes (expected {pixels}, Rows x Columns)"
                ));
            }
        }
    }
    Ok(())
}

/// How many bytes a PackBits segment decodes to, counting up to `enough`.
fn packbits_len(seg: &[u8], enough: u64) -> u64 {
    let (mut p, mut out) = (0, 0u64);
    while p < seg.len() && out < enough {
        let h = seg[p] as i8;
        p += 1;
        if h >= 0 {
            let n = (h as usize + 1).min(seg.len() - p);
            out += n as u64;
            p += n;
        } else if h != -128 {
            if p >= seg.len() {
                break;
            }
            out += (1 - h as i64) as u64;
            p += 1;
        }
    }
    out
}

/// A JPEG start of frame marker (not DHT C4, JPG C8, DAC CC).
fn is_sof(m: u8) -> bool {
    (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC)
}

fn check_jpeg(b: &[u8], want: &Expected) -> Result<(), String> {
    let mut streams = 0;
    let mut p = 0;
    while p + 1 < b.len() {
        if b[p] != 0xFF || b[p + 1] != 0xD8 {
            p += 1;
            continue;
        }
        streams += 1;
        let soi = p;
        p += 2;
        // Marker segments up to the frame header.
        loop {
            while b.get(p) == Some(&0xFF) && b.get(p + 1) == Some(&0xFF) {
                p += 1;
            }
            let (Some(&0xFF), Some(&m)) = (b.get(p), b.get(p + 1)) else {
                return Err(format!(
                    "a JPEG stream at byte {soi} without a frame header (SOF)"
                ));
            };
            if m == 0xDA || m == 0xD9 || m == 0xD8 {
                return Err(format!(
                    "a JPEG stream at byte {soi} without a frame header (SOF)"
                ));
            }
            let Some(len) = be16(b, p + 2) else {
                return Err(format!("a JPEG stream at byte {soi} cut inside a marker segment"));
            };
            if is_sof(m) {
                let (Some(&precision), Some(y), Some(x), Some(&nf)) =
                    (b.get(p + 4), be16(b, p + 5), be16(b, p + 7), b.get(p + 9))
                else {
                    return Err(format!("a JPEG stream at byte {soi} cut inside its frame header"));
                };
                let fits = match want.bits_allocated {
                    8 => (2..=8).contains(&precision),
                    16 => (2..=16).contains(&precision),
                    _ => false,
                };
                if (y, x) != (want.rows, want.cols) || nf != 1 || !fits {
                    return Err(format!(
                        "a JPEG frame header at byte {p} of {y} x {x} pixels, {nf} components, {precision} bits"));
                }
                p += 2 + len as usize;
                break;
            }
            if len < 2 {
                return Err(format!("a JPEG marker segment at byte {p} of length {len}"));
            }
            p += 2 + len as usize;
        }
    }
    if streams == 0 {
        return Err("no JPEG stream (start of image FFD8) in the fragments".into());
    }
    Ok(())
}

fn check_j2k(b: &[u8], want: &Expected) -> Result<(), String> {
    let mut streams = 0;
    let mut p = 0;
    while p + 3 < b.len() {
        if b[p..p + 4] != [0xFF, 0x4F, 0xFF, 0x51] {
            p += 1;
            continue;
        }
        streams += 1;
        let s = p + 4;
        let field = |k: usize| be32(b, s + 2 + 2 + 4 * k);
        let (
            Some(xsiz),
            Some(ysiz),
            Some(xo),
            Some(yo),
            Some(xt),
            Some(yt),
            Some(xto),
            Some(yto),
            Some(csiz),
        ) = (
            field(0),
            field(1),
            field(2),
            field(3),
            field(4),
            field(5),
            field(6),
            field(7),
            be16(b, s + 36),
        )
        else {
            return Err(format!(
                "a JPEG 2000 codestream at byte {p} cut inside its size header (SIZ)"
            ));
        };
        let (w, h) = (xsiz.saturating_sub(xo), ysiz.saturating_sub(yo));
        let sub = (b.get(s + 39).copied(), b.get(s + 40).copied());
        if (h, w) != (want.rows, want.cols) || csiz != 1 || sub != (Some(1), Some(1)) {
            return Err(format!(
                "a JPEG 2000 codestream at byte {p} of {h} x {w} pixels and {csiz} components, subsampling {} x {}",
                sub.0.unwrap_or(0),
                sub.1.unwrap_or(0)));
        }
        let tiles = |size: u64, origin: u64, tile: u64| -> Option<u64> {
            (tile > 0 && origin <= size).then(|| (size - origin).div_ceil(tile))
        };
        let n = tiles(xsiz, xto, xt).zip(tiles(ysiz, yto, yt)).map(|(a, b)| a * b);
        if n.is_none_or(|n| n > MAX_J2K_TILES) {
            return Err(format!(
                "a JPEG 2000 codestream at byte {p} with tiles of {xt} x {yt} pixels (expected at most {MAX_J2K_TILES} tiles)"
            ));
        }
        p += 4;
    }
    if streams == 0 {
        return Err("no JPEG 2000 codestream (SOC FF4F, SIZ FF51) in the fragments".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WANT: Expected = Expected {
        rows: 16,
        cols: 16,
        bits_allocated: 8,
        frames: 1,
    };

    /// SOI, an APP0 segment, SOF0 of `y` x `x`, SOS.
    fn jpeg(y: u16, x: u16, precision: u8) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xC0, 0, 11, precision];
        b.extend_from_slice(&y.to_be_bytes());
        b.extend_from_slice(&x.to_be_bytes());
        b.extend_from_slice(&[1, 1, 0x11, 0, 0xFF, 0xDA]);
        b
    }

    #[test]
    fn jpeg_frame_headers_must_match_rows_and_columns() {
        assert_eq!(check(Codec::Jpeg, &[jpeg(16, 16, 8)], &WANT), Ok(()));
        let err = check(Codec::Jpeg, &[jpeg(65535, 65535, 8)], &WANT).unwrap_err();
        assert!(
            err.starts_with("a JPEG frame header at byte 8 of 65535 x 65535 pixels"),
            "{err}"
        );
        let err = check(Codec::Jpeg, &[jpeg(16, 16, 12)], &WANT).unwrap_err();
        assert!(err.contains("12 bits"), "{err}");
        let err = check(Codec::Jpeg, &[vec![0xFF, 0xD8, 0xFF, 0xDA]], &WANT).unwrap_err();
        assert_eq!(err, "a JPEG stream at byte 0 without a frame header (SOF)");
        assert!(check(Codec::Jpeg, &[vec![1, 2, 3]], &WANT).is_err());
    }

    #[test]
    fn rle_headers_must_have_their_segments_in_the_fragment() {
        // One segment: 2 runs of 128 bytes = 256 bytes, 16 x 16.
        let mut f = vec![0u8; 68];
        f[0] = 1;
        f[4] = 64;
        f[64] = 0x81;
        f[66] = 0x81;
        assert_eq!(check(Codec::Rle, &[f.clone()], &WANT), Ok(()));
        f[66] = 0x82;
        let err = check(Codec::Rle, &[f.clone()], &WANT).unwrap_err();
        assert!(err.contains("decoding to 255 bytes (expected 256"), "{err}");
        f[0] = 200;
        assert!(check(Codec::Rle, &[f.clone()], &WANT)
            .unwrap_err()
            .contains("200 segments"));
        f[0] = 1;
        f[4] = 0xFF;
        f[5] = 0xFF;
        assert!(check(Codec::Rle, &[f], &WANT)
            .unwrap_err()
            .contains("offset 65535"));
        assert!(check(Codec::Rle, &[vec![0; 68], vec![0xff; 64]], &WANT)
            .unwrap_err()
            .contains("2 RLE fragments for 1 frames"));
        assert!(check(Codec::Rle, &[vec![1, 0, 0]], &WANT)
            .unwrap_err()
            .contains("3 bytes"));
    }

    #[test]
    fn j2k_size_must_match_rows_and_columns() {
        let siz = |w: u32, h: u32, tile: u32| {
            let mut b = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
            for v in [w, h, 0, 0, tile, tile, 0, 0] {
                b.extend_from_slice(&v.to_be_bytes());
            }
            b.extend_from_slice(&[0, 1, 7, 1, 1]);
            b
        };
        assert_eq!(check(Codec::Jpeg2000, &[siz(16, 16, 16)], &WANT), Ok(()));
        assert!(check(Codec::Jpeg2000, &[siz(1 << 30, 16, 16)], &WANT).is_err());
        let err = check(Codec::Jpeg2000, &[siz(16, 16, 0)], &WANT).unwrap_err();
        assert!(err.contains("tiles of 0 x 0 pixels"), "{err}");
    }
}
