"""Dask arrays in, Dask arrays out: the per-voxel part of a pipeline, block by block.

A pipeline's series has voxel axes then one row axis (time, b-value, PLD). With a Dask series
the row axis is put in one chunk (``rechunk``) and the voxel axes keep their chunks; each block
runs through the same Rust call as an in-memory array, and every map comes back as a Dask array
of the voxel shape with the series' voxel chunks. Steps that look across voxels (an automatic
AIF, a whole-brain mean curve, a reference region) are computed first, by the caller, as a
global pass, and reach every block as plain inputs, so each voxel's result does not depend on
the chunking: the maps equal the in-memory call's bit for bit.

Nothing is computed until the maps are: compute them together (``dask.compute(*maps)``), since
every map of a block comes from one call.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np


def is_dask(x: Any) -> bool:
    """Whether ``x`` is a Dask array (without importing Dask when it is not installed)."""
    return type(x).__module__.split(".")[0] == "dask" and hasattr(x, "chunks") and hasattr(x, "dask")


def any_dask(*xs: Any) -> bool:
    """Whether any of ``xs`` is a Dask array."""
    return any(is_dask(x) for x in xs)


def _da():
    try:
        import dask.array as da
    except ImportError as e:  # pragma: no cover - dask is an optional dependency
        raise ImportError("Dask arrays need dask: pip install 'osipy-rs[dask]'") from e
    return da


def series_blocks(series: Any, arg: str):
    """``series`` as a Dask array with its last (row) axis in one chunk."""
    da = _da()
    s = series if is_dask(series) else da.from_array(np.asarray(series))
    if s.ndim < 1:
        raise ValueError(f"argument `{arg}`: expected voxel axes then a row axis, found shape {s.shape}")
    if len(s.chunks[-1]) != 1:
        s = s.rechunk({s.ndim - 1: -1})
    return s


def voxel_blocks(a: Any, series, arg: str):
    """A per-voxel array (a mask or a map of the voxel shape, optionally with trailing axes) as
    a Dask array chunked like the series' voxel axes."""
    da = _da()
    vshape = series.shape[:-1]
    a = a if is_dask(a) else da.from_array(np.asarray(a))
    if tuple(a.shape[: len(vshape)]) != tuple(vshape):
        raise ValueError(f"argument `{arg}`: expected an array of the voxel shape {tuple(vshape)}, found shape {a.shape}")
    chunks = series.chunks[:-1] + tuple((n,) for n in a.shape[len(vshape):])
    return a.rechunk(chunks)


def map_voxels(
    block_fn: Callable[..., dict],
    series: Any,
    names: Sequence[str],
    per_voxel: Sequence[Any] = (),
    dtypes: Optional[dict] = None,
) -> dict:
    """Runs ``block_fn(series_block, *per_voxel_blocks) -> {name: array of the block's voxel
    shape}`` on every block and returns ``{name: Dask array}`` for ``names``.

    ``series`` must come from :func:`series_blocks` and ``per_voxel`` from
    :func:`voxel_blocks` (or be ``None``, passed through as ``None``).
    """
    da = _da()
    names = list(names)
    nd = series.ndim - 1
    present = [p for p in per_voxel if p is not None]

    def run(block, *extra):
        it = iter(extra)
        args = [next(it) if p is not None else None for p in per_voxel]
        out = block_fn(block, *args)
        vshape = block.shape[:-1]
        stacked = np.empty(vshape + (len(names),), dtype=np.float64)
        for k, n in enumerate(names):
            stacked[..., k] = out[n]
        return stacked

    index = tuple(range(nd + 1))
    args = [series, index]
    for p in present:
        args += [p, tuple(range(p.ndim))]
    stacked = da.blockwise(
        run,
        index[:-1] + (nd + 1,),
        *args,
        new_axes={nd + 1: len(names)},
        concatenate=True,
        dtype=np.float64,
        meta=np.empty((0,) * (nd + 1), dtype=np.float64),
    )
    out = {}
    for k, n in enumerate(names):
        m = stacked[..., k]
        if dtypes and n in dtypes:
            m = m.astype(dtypes[n])
        out[n] = m
    return out


def run_pipeline(native: Callable, series: Any, series_arg: str, mask: Any = None, mask_arg: str = "mask"):
    """A pipeline's per-voxel call on a Dask series: ``native(series_block, mask_block) ->
    (maps, voxel_mask)`` as the native module returns them (``[(name, unit, is_parameter,
    values)]`` and a bool mask). Returns ``({name: (unit, is_parameter, Dask map)}, Dask bool
    mask)``.

    The map names and the values of voxels outside the mask come from one call on two voxels
    (the first computed, the second masked); a block whose mask selects nothing is filled with
    those values without a call.
    """
    s = series_blocks(series, series_arg)
    m = voxel_blocks(mask, s, mask_arg) if mask is not None else None
    if m is not None and m.dtype != bool:
        m = m.astype(bool)
    probe_series = np.zeros((2, s.shape[-1]), dtype=np.float64)
    probe_maps, _ = native(probe_series, np.array([True, False]))
    names = [n for n, _, _, _ in probe_maps]
    units = {n: (u, p) for n, u, p, _ in probe_maps}
    fill = {n: v[1] for n, _, _, v in probe_maps}
    mask_name = "__voxel_mask__"

    def block_fn(block, block_mask):
        vshape = block.shape[:-1]
        if block_mask is not None and not block_mask.any():
            out = {n: np.full(vshape, fill[n]) for n in names}
            out[mask_name] = np.zeros(vshape)
            return out
        maps, vm = native(block, block_mask)
        out = {n: v for n, _, _, v in maps}
        out[mask_name] = vm.astype(np.float64)
        return out

    maps = map_voxels(block_fn, s, names + [mask_name], per_voxel=[m])
    voxel_mask = maps.pop(mask_name) != 0
    return {n: (units[n][0], units[n][1], maps[n]) for n in names}, voxel_mask


def run_pipeline_with(
    native: Callable,
    series: Any,
    series_arg: str,
    mask: Any = None,
    mask_arg: str = "mask",
    extra: Sequence[tuple[Any, str, Any]] = (),
):
    """:func:`run_pipeline` with more per-voxel inputs: ``extra`` is ``[(value, arg, probe)]``
    where ``value`` is None or a map of the voxel shape (NumPy or Dask; chunked like the
    series) and ``probe`` the value given for it in the probe call on two voxels.
    ``native(series_block, mask_block, *extra_blocks)`` returns ``(maps, voxel_mask)``."""
    s = series_blocks(series, series_arg)
    m = voxel_blocks(mask, s, mask_arg) if mask is not None else None
    if m is not None and m.dtype != bool:
        m = m.astype(bool)
    blocks = [voxel_blocks(v, s, arg) if v is not None else None for v, arg, _ in extra]
    probe_series = np.zeros((2, s.shape[-1]), dtype=np.float64)
    probes = [None if v is None else np.full(2, p, dtype=np.float64) for v, _, p in extra]
    probe_maps, _ = native(probe_series, np.array([True, False]), *probes)
    names = [n for n, _, _, _ in probe_maps]
    units = {n: (u, p) for n, u, p, _ in probe_maps}
    fill = {n: v[1] for n, _, _, v in probe_maps}
    mask_name = "__voxel_mask__"

    def block_fn(block, block_mask, *extra_blocks):
        vshape = block.shape[:-1]
        if block_mask is not None and not block_mask.any():
            out = {n: np.full(vshape, fill[n]) for n in names}
            out[mask_name] = np.zeros(vshape)
            return out
        maps, vm = native(block, block_mask, *extra_blocks)
        out = {n: v for n, _, _, v in maps}
        out[mask_name] = vm.astype(np.float64)
        return out

    maps = map_voxels(block_fn, s, names + [mask_name], per_voxel=[m, *blocks])
    voxel_mask = maps.pop(mask_name) != 0
    return {n: (units[n][0], units[n][1], maps[n]) for n in names}, voxel_mask
