"""Shared parts, at the Python osipy's module paths: ``osipy_rs.common.aif`` (population and
detected arterial input functions), ``osipy_rs.common.io`` (NIfTI and DICOM readers),
``osipy_rs.common.dataset`` (``PerfusionDataset``) and ``osipy_rs.common.types``."""
