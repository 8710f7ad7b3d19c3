#!/usr/bin/env python3
"""Writes the small DICOM files of the DICOM tests, deterministically, from DICOM PS3.5/PS3.10
(preamble, `DICM`, File Meta group in Explicit VR Little Endian, then the data set).

    python3 tests/data/dicom/generate.py

writes
- tests/data/dicom/compressed/source16/ and source8/: the uncompressed sources of the compressed
  series (see compressed/README.md for the gdcmconv commands that compress them);
- osipy-cli/tests/bad-inputs/dicom/<case>/: one folder per bad input of
  osipy-cli/tests/bad_inputs_dicom.rs (compressed cases from the committed compressed files).

Python 3 standard library only.
"""

import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
BAD = os.path.join(ROOT, "osipy-cli", "tests", "bad-inputs", "dicom")

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_LS = "1.2.840.10008.1.2.4.80"
RLE = "1.2.840.10008.1.2.5"
MR = "1.2.840.10008.5.1.4.1.1.4"

LONG_VR = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
UNDEFINED = 0xFFFFFFFF


def value_bytes(vr, v, be):
    """The value of an element: str, bytes, list of ints (US/OW) or list of items (SQ)."""
    if isinstance(v, bytes):
        b = v
    elif isinstance(v, str):
        b = v.encode("latin-1")
        if len(b) % 2:
            b += b"\0" if vr == "UI" else b" "
    elif vr in ("US", "OW"):
        b = b"".join(struct.pack(">H" if be else "<H", x) for x in v)
    else:
        raise ValueError(vr)
    if len(b) % 2:
        b += b"\0"
    return b


def element(g, e, vr, v, explicit=True, be=False, length=None):
    """One element; `length` overrides the declared length (UNDEFINED, or a lie)."""
    if vr == "SQ":
        body = b""
        for item in v:
            inner = dataset(item, explicit, be)
            body += struct.pack(">HHI" if be else "<HHI", 0xFFFE, 0xE000, len(inner)) + inner
    else:
        body = value_bytes(vr, v, be)
    n = len(body) if length is None else length
    u16 = ">H" if be else "<H"
    u32 = ">I" if be else "<I"
    head = struct.pack(u16, g) + struct.pack(u16, e)
    if explicit:
        head += vr.encode()
        if vr in LONG_VR:
            head += b"\0\0" + struct.pack(u32, n)
        else:
            head += struct.pack(u16, n)
    else:
        head += struct.pack(u32, n)
    return head + body


def dataset(els, explicit=True, be=False):
    out = b""
    for el in sorted(els, key=lambda x: (x[0], x[1])):
        g, e, vr, v = el[:4]
        out += element(g, e, vr, v, explicit, be)
    return out


def part10(ts, els, raw_tail=b""):
    """A Part 10 file of data set `els` (sorted) in transfer syntax `ts`, then `raw_tail`."""
    meta = dataset(
        [
            (0x0002, 0x0001, "OB", b"\0\1"),
            (0x0002, 0x0002, "UI", MR),
            (0x0002, 0x0003, "UI", "1.2.826.0.1.3680043.9.7.99.1"),
            (0x0002, 0x0010, "UI", ts),
            (0x0002, 0x0012, "UI", "1.2.826.0.1.3680043.9.7.99"),
        ]
    )
    out = b"\0" * 128 + b"DICM"
    out += b"\x02\x00\x00\x00UL\x04\x00" + struct.pack("<I", len(meta)) + meta
    explicit = ts != IMPLICIT_LE
    be = ts == EXPLICIT_BE
    return out + dataset(els, explicit, be) + raw_tail


def image(rows, cols, z, t, pixels, bits=16, stored=None, extra=(), drop=(), series="1.2.826.0.1.3680043.9.7.99.2"):
    """A single-frame MR image at slice z (IPP z = 4 z mm) and time t (AcquisitionTime 10:00:00
    + 5 t s); `pixels` a list of ints in row order, or bytes."""
    stored = bits if stored is None else stored
    els = [
        (0x0008, 0x0016, "UI", MR),
        (0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.9.7.99.3.%d.%d" % (z, t)),
        (0x0008, 0x0032, "TM", "1000%02d" % (5 * t)),
        (0x0008, 0x0060, "CS", "MR"),
        (0x0018, 0x0080, "DS", "4"),
        (0x0018, 0x1314, "DS", "20"),
        (0x0020, 0x000E, "UI", series),
        (0x0020, 0x0013, "IS", str(1 + z + 10 * t)),
        (0x0020, 0x0032, "DS", "-20\\-30\\%d" % (4 * z)),
        (0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0"),
        (0x0028, 0x0002, "US", [1]),
        (0x0028, 0x0004, "CS", "MONOCHROME2"),
        (0x0028, 0x0010, "US", [rows]),
        (0x0028, 0x0011, "US", [cols]),
        (0x0028, 0x0030, "DS", "1.5\\1.25"),
        (0x0028, 0x0100, "US", [bits]),
        (0x0028, 0x0101, "US", [stored]),
        (0x0028, 0x0102, "US", [stored - 1]),
        (0x0028, 0x0103, "US", [0]),
    ]
    if isinstance(pixels, bytes):
        els.append((0x7FE0, 0x0010, "OB", pixels))
    elif bits == 8:
        els.append((0x7FE0, 0x0010, "OB", bytes(pixels)))
    else:
        els.append((0x7FE0, 0x0010, "OW", pixels))
    els = [e for e in els if (e[0], e[1]) not in drop]
    replaced = {(e[0], e[1]) for e in extra}
    return [e for e in els if (e[0], e[1]) not in replaced] + list(extra)


def sample16(x, y, z, t):
    """A 12-bit value with edges and texture (lossless codecs must keep every bit)."""
    return (37 * x + 53 * y + 211 * z + 97 * t + (x * y * 13) % 17 + 1000 * ((x + y + t) % 3)) % 4096


def sample8(x, y, z, t):
    """A smooth 8-bit value (a lossy JPEG stays close to it)."""
    return 60 + 6 * x + 4 * y + 12 * z + 10 * t


N = 16  # rows = columns
NZ, NT = 2, 3


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def sources():
    for name, bits, sample in (("source16", 16, sample16), ("source8", 8, sample8)):
        d = os.path.join(HERE, "compressed", name)
        shutil.rmtree(d, ignore_errors=True)
        for z in range(NZ):
            for t in range(NT):
                px = [sample(x, y, z, t) for y in range(N) for x in range(N)]
                stored = 12 if bits == 16 else 8
                els = image(N, N, z, t, px, bits=bits, stored=stored)
                write(os.path.join(d, "z%d_t%d.dcm" % (z, t)), part10(EXPLICIT_LE, els))


def fragments(frames):
    """Encapsulated Pixel Data: an empty Basic Offset Table, one fragment per frame, the
    sequence delimitation."""
    out = struct.pack("<HHI", 0xFFFE, 0xE000, 0)
    for f in frames:
        if len(f) % 2:
            f += b"\0"
        out += struct.pack("<HHI", 0xFFFE, 0xE000, len(f)) + f
    return out + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


def encapsulated_pixel_header():
    """(7FE0,0010) OB of undefined length."""
    return struct.pack("<HH", 0x7FE0, 0x0010) + b"OB\0\0" + struct.pack("<I", UNDEFINED)


def compressed(ts, els, frames):
    """A file in compressed syntax `ts` whose Pixel Data are `frames` (bytes each)."""
    els = [e for e in els if (e[0], e[1]) != (0x7FE0, 0x0010)]
    return part10(ts, els, encapsulated_pixel_header() + fragments(frames))


def bad_inputs():
    # The case folders are rewritten; README.md stays.
    for name in os.listdir(BAD) if os.path.isdir(BAD) else []:
        if os.path.isdir(os.path.join(BAD, name)):
            shutil.rmtree(os.path.join(BAD, name))
    px = [sample16(x, y, 0, 0) for y in range(N) for x in range(N)]
    good = lambda z=0, t=0, **kw: part10(EXPLICIT_LE, image(N, N, z, t, px, **kw))

    def case(name, files):
        for fname, data in files.items():
            write(os.path.join(BAD, name, fname), data)

    full = good()
    # A file cut inside its Pixel Data.
    case("truncated-file", {"cut.dcm": full[: len(full) - 300]})
    # A file cut inside an element header.
    meta_end = 132 + 12 + struct.unpack("<I", full[140:144])[0]
    case("truncated-header", {"cut.dcm": full[: meta_end + 5]})
    # Not DICOM: the magic is wrong.
    case("wrong-magic", {"image.dcm": full[:128] + b"DICX" + full[132:]})
    # An element declaring 4 GB: refused before the parser allocates it.
    huge = part10(EXPLICIT_LE, image(N, N, 0, 0, px)) + b""
    tail = struct.pack("<HH", 0x0009, 0x1010) + b"OB\0\0" + struct.pack("<I", 0xFFFFFFF0) + b"\0" * 16
    els = image(N, N, 0, 0, px, drop=[(0x7FE0, 0x0010)])
    case("huge-element-length", {"huge.dcm": part10(EXPLICIT_LE, els, tail)})
    # The same in Explicit VR Big Endian, inside a sequence item.
    be_item = [(0x0008, 0x1150, "UI", MR)]
    sq = element(0x0008, 0x1140, "SQ", [be_item], True, True)
    lie = bytearray(sq)
    # Inner (0008,1150) UI length (2 bytes after 'UI') set to 0xFFF0.
    k = lie.index(b"UI") + 2
    lie[k : k + 2] = struct.pack(">H", 0xFFF0)
    els = image(N, N, 0, 0, px)
    body = dataset([e for e in els if e[0] < 0x0008 or (e[0], e[1]) < (0x0008, 0x1140)], True, True)
    rest = dataset([e for e in els if (e[0], e[1]) > (0x0008, 0x1140)], True, True)
    raw = part10(EXPLICIT_BE, []) + body + bytes(lie) + rest
    case("item-length-past-its-sequence", {"nested.dcm": raw})
    # Sequences nested 100 deep.
    nest = b""
    for _ in range(100):
        nest += struct.pack("<HH", 0x0008, 0x1140) + b"SQ\0\0" + struct.pack("<I", UNDEFINED)
        nest += struct.pack("<HHI", 0xFFFE, 0xE000, UNDEFINED)
    case("deep-nesting", {"deep.dcm": part10(EXPLICIT_LE, [], nest)})
    # An OB element (not Pixel Data) of undefined length.
    undef = struct.pack("<HH", 0x0009, 0x1010) + b"OB\0\0" + struct.pack("<I", UNDEFINED) + b"\0" * 8
    case("undefined-length-not-a-sequence", {"undef.dcm": part10(EXPLICIT_LE, [], undef)})
    # NumberOfFrames beyond any allocation (native Pixel Data of one frame).
    case(
        "huge-number-of-frames",
        {"frames.dcm": good(extra=[(0x0028, 0x0008, "IS", "99999999999")])},
    )
    # NumberOfFrames that is not a number.
    case("bad-number-of-frames", {"frames.dcm": good(extra=[(0x0028, 0x0008, "IS", "-3")])})
    # Rows x Columns of 65535 x 65535 with 512 bytes of pixels.
    case(
        "huge-rows-columns",
        {"big.dcm": good(extra=[(0x0028, 0x0010, "US", [65535]), (0x0028, 0x0011, "US", [65535])])},
    )
    # Pixel Data shorter than Rows x Columns.
    case("truncated-pixel-data", {"short.dcm": part10(EXPLICIT_LE, image(N, N, 0, 0, px[:100]))})
    # AcquisitionDateTime with a non-ASCII byte, on two frames at one slice: no panic, and no
    # time to tell them apart.
    dt = [(0x0008, 0x002A, "DT", "2024013\xe9100000"), (0x0008, 0x0032, "TM", "100000")]
    case(
        "non-ascii-datetime",
        {"a.dcm": good(extra=dt, drop=[(0x0020, 0x0013)]), "b.dcm": good(extra=dt, drop=[(0x0020, 0x0013)])},
    )
    # Required attributes missing.
    case("missing-image-position", {"nopos.dcm": good(drop=[(0x0020, 0x0032)])})
    case("missing-rows", {"norows.dcm": good(drop=[(0x0028, 0x0010)])})
    case("missing-series-uid", {"nouid.dcm": good(drop=[(0x0020, 0x000E)])})
    case("missing-pixel-representation", {"norep.dcm": good(drop=[(0x0028, 0x0103)])})
    # Unusable values.
    case("bits-allocated-12", {"bits.dcm": good(extra=[(0x0028, 0x0100, "US", [12])])})
    case("colour-image", {"rgb.dcm": good(extra=[(0x0028, 0x0002, "US", [3])])})
    case(
        "bad-orientation",
        {"iop.dcm": good(extra=[(0x0020, 0x0037, "DS", "1\\0\\0\\0\\0\\0")])},
    )
    # Two files of one series with different sizes.
    small = part10(EXPLICIT_LE, image(N, 8, 1, 0, px[: N * 8]))
    case("inconsistent-sizes", {"a.dcm": full, "b.dcm": small})
    # Two slices with different numbers of frames.
    case("uneven-slices", {"a.dcm": good(0, 0), "b.dcm": good(0, 1), "c.dcm": good(1, 0)})
    # Unsupported transfer syntax.
    case("jpeg-ls", {"jpegls.dcm": part10(JPEG_LS, image(N, N, 0, 0, px))})
    # Compressed: decoded size over the cap (65535 x 65535 x 1000 frames of 16 bits).
    big = image(
        N,
        N,
        0,
        0,
        px,
        extra=[
            (0x0028, 0x0010, "US", [65535]),
            (0x0028, 0x0011, "US", [65535]),
            (0x0028, 0x0008, "IS", "1000"),
        ],
    )
    case("compressed-over-cap", {"rle.dcm": compressed(RLE, big, [b"\0" * 64])})
    # Compressed: more frames than fragments.
    many = image(N, N, 0, 0, px, extra=[(0x0028, 0x0008, "IS", "5")])
    case("compressed-frames-without-fragments", {"rle.dcm": compressed(RLE, many, [b"\0" * 64])})
    # Compressed: a JPEG stream that is not JPEG.
    bits8 = image(N, N, 0, 0, bytes(N * N), bits=8)
    case("corrupt-jpeg", {"jpeg.dcm": compressed(JPEG_BASELINE, bits8, [b"\xff\xd8not a jpeg stream\xff\xd9"])})
    # JPEG: a frame header of 65535 x 65535 pixels in a 16 x 16 image.
    sof = b"\xff\xd8\xff\xc0\x00\x0b\x08\xff\xff\xff\xff\x01\x01\x11\x00\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\xff\xd9"
    case("jpeg-frame-larger-than-image", {"jpeg.dcm": compressed(JPEG_BASELINE, bits8, [sof])})
    # JPEG: a frame header that matches, then no Huffman tables: the decoder's own error.
    sof16 = sof.replace(b"\xff\xff\xff\xff", b"\x00\x10\x00\x10")
    case("jpeg-without-tables", {"jpeg.dcm": compressed(JPEG_BASELINE, bits8, [sof16])})
    # RLE: a header claiming 4294967295 segments.
    rle_header = struct.pack("<I", 0xFFFFFFFF) + b"\0" * 60
    case("rle-header-segments", {"rle.dcm": compressed(RLE, image(N, N, 0, 0, px), [rle_header])})
    # RLE: two segments whose runs decode to 3 bytes each, not 16 x 16.
    short_rle = struct.pack("<3I", 2, 64, 66) + b"\0" * 52 + b"\xfe\x07\xfe\x07"
    case("rle-segment-too-short", {"rle.dcm": compressed(RLE, image(N, N, 0, 0, px), [short_rle])})
    # JPEG 2000: a codestream of 1073741824 x 16 pixels in a 16 x 16 image.
    siz = b"\xff\x4f\xff\x51" + struct.pack(">HH", 41, 0)
    siz += struct.pack(">8I", 1 << 30, 16, 0, 0, 16, 16, 0, 0) + struct.pack(">H", 1) + b"\x0f\x01\x01"
    case("j2k-larger-than-image", {"j2k.dcm": compressed("1.2.840.10008.1.2.4.90", image(N, N, 0, 0, px), [siz + b"\xff\xd9"])})
    # A compressed syntax with native Pixel Data.
    case("compressed-syntax-native-pixels", {"jpeg.dcm": part10(JPEG_BASELINE, bits8)})


if __name__ == "__main__":
    what = sys.argv[1:] or ["sources", "bad"]
    if "sources" in what:
        sources()
    if "bad" in what:
        bad_inputs()
