"""A DCE cohort on a batch cluster with Dask and dask-jobqueue (an example; not run by the tests).

Every subject's 4-D concentration series is opened lazily (nibabel's array proxy: nothing is
read until a block is computed), split into blocks of whole voxel rows, and fitted block by
block on the cluster's workers by the same Rust code as an in-memory call, so the maps are
the same bit for bit. Each worker needs this package installed (`pip install ./osipy-py`)
in the Python environment the job script activates.

Run on the cluster's login node:

    pip install ./osipy-py dask-jobqueue nibabel
    python osipy-py/examples/dask_jobqueue_cohort.py /data/cohort /data/maps

Adjust `SLURMCluster` to the site (queue, account, memory, walltime), or use `PBSCluster`,
`SGECluster`, `LSFCluster`, `HTCondorCluster` with the same arguments; `dask_kubernetes`
plays the same role on Kubernetes, `distributed.LocalCluster` on a laptop.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dask
import dask.array as da
import nibabel as nib
import numpy as np
from dask.distributed import Client
from dask_jobqueue import SLURMCluster

import osipy_rs
from osipy_rs.common.aif import ParkerAIF


def main(cohort: Path, out: Path) -> None:
    # One job = one worker process with 8 cores: dask runs one block per worker thread
    # group, osipy_rs uses `threads=` cores inside each block.
    cluster = SLURMCluster(
        queue="compute",
        cores=8,
        processes=1,
        memory="16GB",
        walltime="02:00:00",
        job_extra_directives=["--job-name=osipy-rs"],
    )
    cluster.scale(jobs=10)  # or cluster.adapt(minimum_jobs=1, maximum_jobs=50)
    client = Client(cluster)
    print(client.dashboard_link)

    time = np.arange(80) * 4.0  # s, the protocol's frame times
    aif = ParkerAIF()(time).concentration  # or aif="auto": detected in a global pass first
    out.mkdir(parents=True, exist_ok=True)
    for subject in sorted(cohort.glob("sub-*")):
        img = nib.load(subject / "dce_concentration.nii.gz")
        # Voxel axes in blocks of 32 x 32 x all slices, the time axis whole.
        conc = da.from_array(img.dataobj, chunks=(32, 32, -1, -1))
        result = osipy_rs.fit_model("extended_tofts", conc, aif, time, threads=8)
        names = list(result.parameter_maps)
        # Compute every map of a subject together: each block is fitted once.
        maps = dask.compute(*[result.parameter_maps[n].values for n in names], result.quality_mask)
        for name, values in zip(names + ["quality_mask"], maps):
            nib.save(
                nib.Nifti1Image(np.asarray(values, dtype=np.float32), img.affine),
                out / f"{subject.name}_{name}.nii.gz",
            )
        print(subject.name, "done")
    client.close()
    cluster.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
