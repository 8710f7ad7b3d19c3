#!/usr/bin/env python3
"""Writes the bad-input catalogue: one small file per case (deterministic; no numpy needed).

Run from this folder: python3 make.py
"""
import gzip
import os
import struct

os.makedirs("nifti", exist_ok=True)
for d in ("npy", "csv", "yaml", "args"):
    os.makedirs(d, exist_ok=True)


def write(path, data):
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def n1(dims=(2, 2, 1, 4), datatype=16, bitpix=32, vox=352.0, pixdim=(1, 1, 1, 1, 1, 1, 1, 1),
       slope=1.0, inter=0.0, magic=b"n+1\0", sizeof=348, qform=0, sform=0, quatern=(0, 0, 0),
       srow=((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0)), units=10):
    h = bytearray(352)
    struct.pack_into("<i", h, 0, sizeof)
    d = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    struct.pack_into("<8h", h, 40, *d[:8])
    struct.pack_into("<hh", h, 70, datatype, bitpix)
    struct.pack_into("<8f", h, 76, *pixdim)
    struct.pack_into("<fff", h, 108, vox, slope, inter)
    h[123] = units
    struct.pack_into("<hh", h, 252, qform, sform)
    struct.pack_into("<3f", h, 256, *quatern)
    struct.pack_into("<12f", h, 280, *[v for r in srow for v in r])
    h[344:348] = magic
    return bytes(h)


def n2(dims=(2, 2, 1, 4), datatype=16, bitpix=32, vox=544):
    h = bytearray(544)
    struct.pack_into("<i", h, 0, 540)
    h[4:12] = b"n+2\0\r\n\x1a\n"
    struct.pack_into("<hh", h, 12, datatype, bitpix)
    d = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    struct.pack_into("<8q", h, 16, *d[:8])
    struct.pack_into("<8d", h, 104, *([1.0] * 8))
    struct.pack_into("<q", h, 168, vox)
    struct.pack_into("<dd", h, 176, 1.0, 0.0)
    struct.pack_into("<i", h, 500, 10)
    return bytes(h)


data16 = struct.pack("<16f", *[float(i) for i in range(16)])
good = n1() + data16
write("good.nii", good)  # a valid 2 x 2 x 1 x 4 float32 series, 1 s per frame (for csv cases)

N = "nifti/"
write(N + "empty.nii", b"")
write(N + "short-header.nii", good[:100])
write(N + "bad-sizeof-hdr.nii", n1(sizeof=349) + data16)
write(N + "bad-magic.nii", n1(magic=b"xyz\0") + data16)
write(N + "pair-magic.nii", n1(magic=b"ni1\0") + data16)
write(N + "dim0-zero.nii", n1(dims=()) + data16)
h = bytearray(n1())
struct.pack_into("<h", h, 40, 8)
write(N + "dim0-eight.nii", bytes(h) + data16)
write(N + "negative-dim.nii", n1(dims=(2, -2, 1, 4)) + data16)
write(N + "zero-dim.nii", n1(dims=(2, 0, 1, 4)) + data16)
write(N + "complex-datatype.nii", n1(datatype=32, bitpix=64) + data16)
write(N + "unknown-datatype.nii", n1(datatype=3, bitpix=8) + data16)
write(N + "vox-offset-small.nii", n1(vox=100.0) + data16)
write(N + "vox-offset-nan.nii", n1(vox=float("nan")) + data16)
write(N + "vox-offset-huge.nii", n1(vox=1e30) + data16)
write(N + "truncated-data.nii", good[:-5])
write(N + "huge-dims.nii", n1(dims=(32767, 32767, 32767, 32767), datatype=64, bitpix=64) + data16)
write(N + "huge-dims.nii.gz", gz(n1(dims=(32767, 32767, 32767, 32767), datatype=64, bitpix=64) + data16))
write(N + "corrupt-gzip.nii.gz", gz(good)[:60])
write(N + "pixdim-nan.nii", n1(pixdim=(1, float("nan"), 1, 1, 1, 1, 1, 1)) + data16)
write(N + "pixdim-inf.nii", n1(pixdim=(1, 1, 1, float("inf"), 1, 1, 1, 1)) + data16)
write(N + "time-step-nan.nii", n1(pixdim=(1, 1, 1, 1, float("nan"), 1, 1, 1)) + data16)
write(N + "scl-slope-inf.nii", n1(slope=float("inf")) + data16)
write(N + "scl-inter-inf.nii", n1(inter=float("-inf")) + data16)
write(N + "srow-nan.nii", n1(sform=1, srow=((1, 0, 0, float("nan")), (0, 1, 0, 0), (0, 0, 1, 0))) + data16)
write(N + "quatern-inf.nii", n1(qform=1, quatern=(0, float("inf"), 0)) + data16)
write(N + "nifti2-huge-dims.nii", n2(dims=(1 << 40, 1 << 40, 1, 4)) + data16)
write(N + "nifti2-negative-vox-offset.nii", n2(vox=-8) + data16)
write(N + "three-d.nii", n1(dims=(2, 2, 4)) + data16)

P = "npy/"
def npy(descr="'<f8'", fortran="False", shape="(2, 2, 1, 4)", data=None, version=1, header=None):
    d = header if header is not None else "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    pre = 10 if version == 1 else 12
    d += " " * ((64 - (pre + len(d) + 1) % 64) % 64) + "\n"
    out = b"\x93NUMPY" + bytes([version, 0])
    out += struct.pack("<H" if version == 1 else "<I", len(d)) + d.encode("latin-1")
    return out + (data if data is not None else struct.pack("<16d", *range(16)))

write(P + "empty.npy", b"")
write(P + "bad-magic.npy", b"\x93NUMPZ" + npy()[6:])
write(P + "version-9.npy", npy()[:6] + b"\x09\x00" + npy()[8:])
write(P + "header-length-4gib.npy", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{'descr'")
write(P + "truncated-header.npy", npy()[:40])
write(P + "malformed-dict.npy", npy(header="{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 1, 4}"))
write(P + "missing-shape.npy", npy(header="{'descr': '<f8', 'fortran_order': False, }"))
write(P + "complex-dtype.npy", npy(descr="'<c16'"))
write(P + "structured-dtype.npy", npy(descr="[('a', '<f8')]"))
write(P + "huge-shape.npy", npy(shape="(4294967296, 4294967296, 4294967296, 4)"))
write(P + "negative-shape.npy", npy(shape="(2, -2, 1, 4)"))
write(P + "truncated-data.npy", npy()[:-3])
write(P + "extra-bytes.npy", npy() + b"\0\0\0")
write(P + "control-chars-dtype.npy", npy(descr="'\x1b[31m'"))
write(P + "two-d.npy", npy(shape="(4, 4)"))
write(P + "not-a-zip.npz", b"PK\x05\x06 this is not an archive")

C = "csv/"
write(C + "aif-text.csv", "1\n2\nthree\n4\n")
write(C + "aif-too-few.csv", "1\n2\n3\n")
write(C + "aif-nan.csv", "1\nnan\n3\n4\n")
write(C + "aif-two-columns.csv", "1,2\n3,4\n5,6\n7,8\n")
write(C + "aif-unknown-header.csv", "time,signal\n0,1\n1,2\n2,3\n3,4\n")
write(C + "aif-empty.csv", "")
write(C + "aif-not-utf8.csv", b"1\n2\n\xff\xfe\n4\n")
write(C + "aif-control-chars.csv", "1\n2\n\x1b[2J\n4\n")

Y = "yaml/"
write(Y + "alias-bomb.yaml", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
      + "".join('%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' % ((c, c) + (p,) * 9)
                for p, c in zip("abcdefgh", "bcdefghi")))
write(Y + "not-a-mapping.yaml", "- 1\n- 2\n")
write(Y + "unknown-key.yaml", "colour: blue\n")
write(Y + "two-documents.yaml", "threads: 1\n---\nthreads: 2\n")
write(Y + "syntax-error.yaml", "threads: [1, 2\n")
write(Y + "not-utf8.yaml", b"threads: \xff\xfe\n")
write(Y + "tagged.yaml", "threads: !big 3\n")
write(Y + "bad-value.yaml", "threads: many\n")
write(Y + "deep-nesting.yaml", "threads: " + "[" * 300 + "]" * 300 + "\n")
write(Y + "control-chars-key.yaml", '"col\\u001b[31mour": 1\n')
write(Y + "switch-not-bool.yaml", "quiet: 3\n")
write(Y + "duplicate-key.yaml", "threads: 1\nthreads: 2\n")

A = "args/"
# One argument per line after the command; \xNN escapes stand for raw bytes.
write(A + "non-utf8-input.args", "dce\n--input\nin\\xff\\xfe.nii\n--out\nOUT\n--quiet\n")
write(A + "non-utf8-config.args", "dce\n--config\nc\\xff.yaml\n")
write(A + "non-utf8-flag-value.args", "dce\n--input\nIN\n--out\nOUT\n--quiet\n--threads\n\\xff\n")
write(A + "missing-input.args", "dce\n--input\ndoes-not-exist.nii\n--out\nOUT\n--quiet\n")
write(A + "unknown-flag.args", "dce\n--colour\nblue\n")
write(A + "unknown-extension.args", "dce\n--input\nIN_TXT\n--out\nOUT\n--quiet\n")
