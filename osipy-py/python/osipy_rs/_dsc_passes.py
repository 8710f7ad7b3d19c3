"""The cross-voxel steps of a DSC analysis on Dask arrays, as global passes before the
per-voxel part: the default mask, the baseline's mean curve, the automatic AIF (per-block
candidates through Rust, then the library's selection over all of them), the leakage reference
and the normalisation to a reference region. Mean curves are summed block after block in flat
(C) order, as the library sums them, so every result equals the in-memory call's bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np

from osipy_rs import _dask, _native


def _fold(series: Any, mask: Any, sums: np.ndarray, counts: np.ndarray, lazy: bool = False, **conv: Any):
    """Running sums of the masked rows in flat (C) order, block after block, as the library's
    mean curves sum them (so the result equals theirs bit for bit); with ``lazy`` a delayed
    ``(sums, counts)``."""
    if not _dask.is_dask(series):
        return _native.dsc_fold_sums(series, mask, sums, counts, **conv)
    import dask

    da = _dask._da()
    s = series.rechunk({i: -1 for i in range(1, series.ndim)})
    m = None
    if mask is not None:
        m = mask if _dask.is_dask(mask) else da.from_array(np.asarray(mask, dtype=bool))
        m = m.astype(bool).rechunk((s.chunks[0],) + tuple((n,) for n in m.shape[1:]))
    state = (sums, counts)
    blocks = s.to_delayed().ravel()
    masks = m.to_delayed().ravel() if m is not None else [None] * len(blocks)

    def step(st, block, block_mask):
        return _native.dsc_fold_sums(block, block_mask, st[0], st[1], **conv)

    for b, mb in zip(blocks, masks):
        state = dask.delayed(step)(state, b, mb)
    return state if lazy else dask.compute(state)[0]


def _normalise_dask(values: Any, region: np.ndarray) -> Any:
    """``values`` over their mean in ``region`` (finite values, summed in flat order), as
    ``osipy::dsc::normalise``; lazy: the mean is a delayed global pass over the map."""
    import dask

    da = _dask._da()
    state = _fold(values[..., None], region, np.zeros(1), np.zeros(1), lazy=True)

    def mean_of(st):
        n, mean = st[1][0], st[0][0] / st[1][0] if st[1][0] > 0 else float("nan")
        if not (n > 0 and mean > 0 and np.isfinite(mean)):
            raise ValueError(
                f"argument `reference`: expected a region whose mean value is finite and positive, found {int(n)} finite values, mean {mean}"
            )
        return np.float64(mean)

    mean = da.from_delayed(dask.delayed(mean_of)(state), shape=(), dtype=np.float64)
    return values / mean


def _leakage_reference_dask(series: Any, mask: Any, **conv: Any) -> np.ndarray:
    """The library's leakage reference curve of a Dask series, in two global passes: every
    voxel's late-to-peak ratio (block by block), the selection around the median, then the
    selected curves summed in flat order."""
    s = _dask.series_blocks(series, "delta_r2")
    m = _dask.voxel_blocks(mask, s, "mask").astype(bool) if mask is not None else None
    ratios = _dask.map_voxels(
        lambda b, mb: {"r": _native.dsc_leakage_ratios(b, mb, **conv)}, s, ["r"], per_voxel=[m]
    )["r"].compute()
    keep = _native.dsc_leakage_keep(ratios)
    nt = s.shape[-1]
    sums, counts = _fold(s, keep, np.zeros(nt), np.zeros(nt), **conv)
    return sums / counts


def _analyze_dask(signal, time, te_s, src, mask, aif_count, baseline, method, threshold, oi, density, kh,
                  leakage, first_pass, concentration, reference_region, threads, method_name):
    region = None
    if reference_region is not None:
        region = np.asarray(reference_region.compute() if _dask.is_dask(reference_region) else reference_region)
        if region.shape != tuple(signal.shape[:-1]):
            raise ValueError(
                f"argument `reference_region`: expected a mask of the voxel shape {tuple(signal.shape[:-1])}, found shape {region.shape}"
            )
        region = region.astype(bool)
    if src["aif_mask"] is not None or src["aif_signal"] is not None:
        raise ValueError("argument `aif`: with Dask arrays give 'auto' or an arterial ΔR2* curve")
    da = _dask._da()
    s = _dask.series_blocks(signal, "signal")
    nt = s.shape[-1]
    vshape = s.shape[:-1]
    # 1. The mask: the library's default from the first three frames and a finiteness flag.
    if mask is None:
        if concentration:
            vm = (da.isfinite(s).all(axis=-1) & (s != 0).any(axis=-1)).compute()
        else:
            if nt < 4:
                raise ValueError(f"argument `signal`: expected at least 4 frames, found {nt}")
            flag = da.where(da.isfinite(s).all(axis=-1), 0.0, np.nan)[..., None]
            reduced = da.concatenate([s[..., :3], flag], axis=-1).compute()
            vm = _native.dsc_signal_mask(reduced)
    else:
        vm = np.asarray(mask.compute() if _dask.is_dask(mask) else mask, dtype=bool)
    if not vm.any():
        raise ValueError("argument `mask`: expected a mask that selects voxels, found none")
    # 2. The baseline: detected on the mean signal of the mask (summed in flat order).
    given = baseline is not None
    if concentration:
        base = tuple(baseline) if given else (0, 0)
        conv = {}
    else:
        if given:
            base = tuple(baseline)
        else:
            sums, counts = _fold(s, vm, np.zeros(nt), np.zeros(nt))
            base = _native.dsc_detect_baseline(sums / counts)
        conv = {"te": te_s, "baseline": base}
    # 3. The AIF: candidates block by block, the global selection, the chosen voxels' curves.
    voxels = None
    if src["aif"] is not None:
        aif_curve = np.asarray(src["aif"], dtype=np.float64)
    else:
        m = _dask.voxel_blocks(vm, s, "mask")
        offsets = [np.cumsum((0,) + c[:-1]) for c in s.chunks[:-1]]

        parts = []
        blocks = s.to_delayed()
        mblocks = m.to_delayed()
        import dask

        for idx in np.ndindex(*blocks.shape[:-1]):
            loc = [(int(offsets[a][i]), 0) for a, i in enumerate(idx)]
            b = blocks[idx + (0,)]
            mb = mblocks[idx]
            parts.append(dask.delayed(_block_candidates)(b, mb, loc, vshape, conv))
        cand = np.concatenate(dask.compute(*parts), axis=0) if parts else np.zeros((0, 5))
        cand = cand[np.argsort(cand[:, 0], kind="stable")]
        order, sorted_ids = _native.dsc_select_aif(cand, aif_count)
        ids = sorted_ids if not concentration else order
        idx = np.unravel_index(np.asarray(ids, dtype=np.int64), vshape)
        rows = s.vindex[idx].compute() if len(vshape) else s.compute()[None]
        if concentration:
            aif_curve = _native.dsc_arterial_curve(rows)
        else:
            aif_curve = _native.dsc_arterial_curve(rows, baseline_given=given, **conv)
        voxels = np.asarray(sorted_ids, dtype=np.int64)
    # 4. The leakage reference over the whole mask, then the maps block by block.
    ref = None
    if leakage != "none":
        ref = _leakage_reference_dask(s, vm, **conv)

    def native(series, block_mask):
        return _native.dsc_perfusion(
            series,
            aif_curve,
            time,
            method=method,
            threshold=threshold,
            oscillation_index=oi,
            density=density,
            kh=kh,
            leakage=leakage,
            leakage_reference=ref,
            te=conv.get("te"),
            baseline=conv.get("baseline"),
            first_pass=first_pass,
            mask=block_mask,
            threads=threads,
        )

    from osipy_rs.dsc import DSCAnalysisResult, _perfusion_maps

    by_name, voxel_mask = _dask.run_pipeline(native, s, "signal", vm, "mask")
    if region is not None:
        for src, name in (("cbv", "rcbv"), ("cbf", "rcbf")):
            by_name[name] = ("", True, _normalise_dask(by_name[src][2], region))
    return DSCAnalysisResult(
        perfusion_maps=_perfusion_maps(by_name, voxel_mask, method_name),
        aif=aif_curve,
        aif_voxels=voxels,
        baseline=tuple(base),
        mask=voxel_mask,
    )


def _block_candidates(block, block_mask, loc, vshape, conv):
    """The AIF candidates of one block with their flat indices in the whole volume."""
    c = _native.dsc_block_features(block, block_mask, **conv)
    local = np.unravel_index(c[:, 0].astype(np.int64), block.shape[:-1])
    c[:, 0] = np.ravel_multi_index(tuple(li + lo[0] for li, lo in zip(local, loc)), vshape)
    return c
