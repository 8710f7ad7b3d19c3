"""Shared fixtures: the Rust library's own results, computed by the `py-reference` binary of
the workspace (built by `scripts/test.sh`, or here with cargo when it is absent)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _reference_binary() -> Path:
    path = os.environ.get("OSIPY_PY_REFERENCE")
    if path:
        return Path(path)
    subprocess.run(
        ["cargo", "build", "--quiet", "-p", "osipy-tests", "--bin", "py-reference"],
        cwd=ROOT,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "py-reference"


@pytest.fixture(scope="session")
def reference_binary() -> Path:
    return _reference_binary()


@pytest.fixture
def reference(reference_binary, tmp_path):
    """``reference(case, inputs, **args)``: runs the Rust library on ``inputs`` (name ->
    array, written as float64 .npy; bool arrays as masks) and returns its outputs by name."""

    counter = [0]

    def run(case: str, inputs: dict, **args) -> dict:
        counter[0] += 1
        d = tmp_path / f"{case}-{counter[0]}"
        d.mkdir()
        for name, a in inputs.items():
            a = np.asarray(a)
            np.save(d / f"{name}.npy", a if a.dtype == bool else np.ascontiguousarray(a, dtype=np.float64))
        lines = []
        for k, v in args.items():
            if isinstance(v, (list, tuple, np.ndarray)):
                v = ",".join(repr(float(x)) for x in v)
            lines.append(f"{k}={v}")
        (d / "args.txt").write_text("\n".join(lines) + "\n")
        subprocess.run([str(reference_binary), case, str(d)], check=True)
        return {p.stem[4:]: np.load(p) for p in d.glob("out_*.npy")}

    return run


def assert_same(a, b, name=""):
    """Bit for bit: same shape, and equal values with NaN where NaN."""
    a = np.asarray(a)
    b = np.asarray(b)
    assert a.shape == b.shape, f"{name}: shape {a.shape} != {b.shape}"
    np.testing.assert_array_equal(a, b, err_msg=name, strict=False)
    assert (np.isnan(a) == np.isnan(b)).all(), name
