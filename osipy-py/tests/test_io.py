"""Readers: NIfTI and DICOM series as the Rust library reads them; file errors as
FileNotFoundError / ValueError carrying the library's message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import osipy_rs
from conftest import ROOT, assert_same

DICOM = ROOT / "tests" / "data" / "dicom" / "compressed" / "source16"
BAD_DICOM = ROOT / "osipy-cli" / "tests" / "bad-inputs" / "dicom" / "truncated-header"


def test_load_nifti_is_the_librarys(reference, tmp_path):
    data = np.random.default_rng(41).normal(size=(4, 3, 2, 5))
    path = tmp_path / "series.nii.gz"
    reference("io_write_nifti", {"data": data}, path=str(path))
    ds = osipy_rs.load_nifti(path)
    ref = reference("io_load_nifti", {}, path=str(path))
    assert isinstance(ds, osipy_rs.PerfusionDataset)
    assert_same(ds.data, ref["data"])
    assert_same(ds.data, data)
    assert_same(ds.affine, ref["affine"])
    assert ds.time_points.shape == (5,)
    assert ds.source_format == "nifti" and ds.modality == osipy_rs.Modality.DCE
    assert ds.metadata["dim"] == [4, 3, 2, 5]
    assert osipy_rs.load_nifti(str(path)).shape == (4, 3, 2, 5)


def test_missing_file_is_file_not_found_with_the_librarys_message(tmp_path):
    missing = tmp_path / "nope.nii"
    with pytest.raises(FileNotFoundError, match="nope.nii: file not found"):
        osipy_rs.load_nifti(missing)
    with pytest.raises(FileNotFoundError, match="not found"):
        osipy_rs.load_dicom_series(tmp_path / "no-folder")


def test_bad_content_is_a_value_error(tmp_path):
    p = tmp_path / "bad.nii"
    p.write_bytes(b"not a nifti file" * 40)
    with pytest.raises(ValueError, match="bad.nii"):
        osipy_rs.load_nifti(p)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no DICOM images"):
        osipy_rs.load_dicom_series(empty)
    with pytest.raises(ValueError):
        osipy_rs.load_dicom_series(BAD_DICOM)


def test_a_folder_is_an_os_error_for_nifti(tmp_path):
    with pytest.raises(OSError):
        osipy_rs.load_nifti(tmp_path)


def test_load_dicom_series_is_the_librarys(reference):
    ds = osipy_rs.load_dicom_series(DICOM)
    ref = reference("io_load_dicom", {}, path=str(DICOM))
    data = ref["data"]
    if data.shape[-1] == 1:
        data = data[..., 0]
    assert_same(ds.data, data)
    assert_same(ds.affine, ref["affine"])
    if ds.data.ndim == 4:
        assert_same(ds.time_points, ref["times"])
    assert ds.source_format == "dicom"
    assert ds.metadata["files"]
