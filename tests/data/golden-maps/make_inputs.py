"""Makes the inputs of the golden-map runs (README.md beside this file). Pure Python, fixed seed.

dce_conc.nii.gz is not made here: it is `phantom_conc.nii.gz` of `osipy demo --size small`
(seed 42, noise 0.02 mM), cut to its first 8 x 8 x 2 voxels by this script's `cut_dce`.
"""
import gzip
import math
import random
import struct
import sys


def write_npy(path, shape, values):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }" % (
        "".join("%d, " % n for n in shape))
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%dd" % len(values), *values))


def t1_vfa():
    """VFA SPGR signal, 8 x 8 x 3 voxels x 4 flip angles, TR 5 ms, Gaussian noise."""
    rng = random.Random(20261206)
    fas = [2.0, 5.0, 10.0, 15.0]
    tr = 0.005
    nx, ny, nz = 8, 8, 3
    vals = []
    for x in range(nx):
        for y in range(ny):
            for z in range(nz):
                t1 = 0.5 + 0.1 * x + 0.05 * y + 0.2 * z
                s0 = 1000.0 + 20.0 * y
                e = math.exp(-tr / t1)
                for fa in fas:
                    a = math.radians(fa)
                    s = s0 * math.sin(a) * (1 - e) / (1 - e * math.cos(a))
                    vals.append(s + rng.gauss(0.0, 2.0))
    # One voxel that cannot be fitted (all zero): outside the default mask.
    for k in range(4):
        vals[k] = 0.0
    write_npy("t1_vfa.npy", (nx, ny, nz, 4), vals)


def cut_dce(src):
    """The first 8 x 8 x 2 voxels of a NIfTI-1 float32 4-D series, kept as NIfTI-1 float32."""
    raw = gzip.open(src).read()
    dims = struct.unpack("<8h", raw[40:56])
    nx, ny, nz, nt = dims[1:5]
    off = int(struct.unpack("<f", raw[108:112])[0])
    data = raw[off:]
    cx, cy, cz = 8, 8, 2
    hdr = bytearray(raw[:off])
    hdr[40:56] = struct.pack("<8h", 4, cx, cy, cz, nt, 1, 1, 1)
    out = bytearray()
    # NIfTI is x fastest: index = x + nx*(y + ny*(z + nz*t)).
    for t in range(nt):
        for z in range(cz):
            for y in range(cy):
                start = 4 * (nx * (y + ny * (z + nz * t)))
                out += data[start:start + 4 * cx]
    with gzip.GzipFile("dce_conc.nii.gz", "wb", mtime=0) as f:
        f.write(bytes(hdr) + bytes(out))


if __name__ == "__main__":
    t1_vfa()
    if len(sys.argv) > 1:
        cut_dce(sys.argv[1])
