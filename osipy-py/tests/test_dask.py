"""Dask arrays: the same calls on Dask arrays, on a LocalCluster of two worker processes, equal
the in-memory calls bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import osipy_rs  # noqa: E402
from conftest import assert_same  # noqa: E402
from test_dce import phantom  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_fit_model_dask_equals_in_memory(client):
    t, aif, conc = phantom((6, 5, 3), seed=4)
    mask = np.ones(conc.shape[:-1], bool)
    mask[:3, :, 0] = False  # one whole block masked
    expected = osipy_rs.fit_model("extended_tofts", conc, aif, t, mask=mask)
    lazy = da.from_array(conc, chunks=(3, 2, 3, 10))  # time split too: rechunked to one chunk
    got = osipy_rs.fit_model("extended_tofts", lazy, aif, t, mask=mask)
    assert isinstance(got.parameter_maps["Ktrans"].values, da.Array)
    names = ["Ktrans", "ve", "vp"]
    computed = client.compute([got.parameter_maps[n].values for n in names] + [got.quality_mask, got.quality_maps["status"]], sync=True)
    for n, v in zip(names, computed):
        assert_same(v, expected.parameter_maps[n].values, n)
    assert_same(computed[3], expected.quality_mask, "quality_mask")
    assert_same(computed[4], expected.quality_maps["status"], "status")
