//! DSC: signal to ΔR2* (`signal_to_delta_r2`), perfusion maps (`compute_perfusion_maps`,
//! deconvolvers), leakage correction (`correct_leakage`), the whole analysis with an automatic
//! AIF (`osipy::dsc::Analysis`), and the cross-voxel steps of a Dask run split into per-block
//! parts and a global selection, each computed as the library computes it.

use std::ops::Range;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use numpy::PyArrayDyn;
use osipy::dsc::{
    self, leakage, AifSource, Analysis, Conversion, Deconvolution, Leakage, Method, Perfusion, Relaxivity,
};
use osipy::volume::Voxels;
use osipy_kernels::XpArray;
use pyo3::prelude::*;

use crate::convert::{finite_vector, floats, mask as to_mask, to_numpy, vec_to_numpy, Floats};
use crate::dce::{maps_out, MapOut};
use crate::errors::{invalid, IntoPy};
use crate::run::{detached, RunOptions};

type Array<'py> = Bound<'py, PyArrayDyn<f64>>;

fn parse_method(name: &str) -> PyResult<Method> {
    name.parse::<Method>().map_err(|_| {
        invalid(
            "method",
            "one of 'sSVD', 'cSVD', 'oSVD', 'tikhonov'",
            format!("'{name}'"),
        )
    })
}

fn parse_leakage(name: &str) -> PyResult<Leakage> {
    name.parse::<Leakage>().map_err(|_| {
        invalid(
            "leakage",
            "one of 'none', 'bsw', 'bidirectional'",
            format!("'{name}'"),
        )
    })
}

fn deconvolution(
    method: &str,
    threshold: Option<f64>,
    oscillation_index: Option<f64>,
    lambda: Option<f64>,
) -> PyResult<Deconvolution> {
    let mut d = Deconvolution::new(parse_method(method)?);
    if let Some(t) = threshold {
        d = d.with_threshold(t);
    }
    if let Some(oi) = oscillation_index {
        d = d.with_oscillation_index(oi);
    }
    if let Some(l) = lambda {
        d = d.with_lambda(l);
    }
    Ok(d)
}

fn relaxivity(pair: Option<(f64, f64)>) -> Relaxivity {
    pair.map(|(linear, quadratic)| Relaxivity { linear, quadratic })
        .unwrap_or_default()
}

fn frames(pair: Option<(usize, usize)>) -> Option<Range<usize>> {
    pair.map(|(a, b)| a..b)
}

/// The voxel shape of a series (every axis but the last).
fn voxel_shape(f: &Floats<'_>) -> Vec<usize> {
    let s = f.shape();
    s[..s.len().saturating_sub(1)].to_vec()
}

/// `te` (s), baseline frames and tissue relation as a conversion, or none without `te`.
fn conversion(
    te: Option<f64>,
    baseline: Option<(usize, usize)>,
    tissue: Option<(f64, f64)>,
    arterial: Option<(f64, f64)>,
) -> PyResult<Option<Conversion>> {
    match (te, baseline) {
        (None, _) => Ok(None),
        (Some(te), Some((a, b))) => {
            let mut c = Conversion::new(te, a..b);
            c.tissue = relaxivity(tissue);
            c.arterial = relaxivity(arterial);
            Ok(Some(c))
        }
        (Some(_), None) => Err(invalid(
            "baseline",
            "baseline frames (start, end) with te",
            "none",
        )),
    }
}

/// ΔR2(*) (or concentration with the relation `k1 C + k2 C²`) of every voxel from DSC signal:
/// `S0` the mean of frames `start..end`, `-ln(S / S0) / te` (`te` in s). Returns the curves and
/// `S0`.
#[pyfunction]
#[pyo3(signature = (signal, te, baseline_start, baseline_end, k1=1.0, k2=0.0, threads=None,
    progress_callback=None))]
#[allow(clippy::too_many_arguments)]
fn dsc_signal_to_conc<'py>(
    py: Python<'py>,
    signal: &Bound<'py, PyAny>,
    te: f64,
    baseline_start: usize,
    baseline_end: usize,
    k1: f64,
    k2: f64,
    threads: Option<i64>,
    progress_callback: Option<Bound<'py, PyAny>>,
) -> PyResult<(Array<'py>, Array<'py>)> {
    let s = floats(signal, "signal")?;
    let shape = s.shape();
    let Some(&nt) = shape.last() else {
        return Err(invalid(
            "signal",
            "voxel axes then time",
            format!("shape {shape:?}"),
        ));
    };
    let mut c = Conversion::new(te, baseline_start..baseline_end);
    c.tissue = Relaxivity {
        linear: k1,
        quadratic: k2,
    };
    c.check(nt).py()?;
    let opts = RunOptions::new(threads, progress_callback)?;
    let view = s.view();
    let (conc, s0) = detached(py, &opts, |reporter| {
        reporter.report(0, 1);
        let a = XpArray::from_host(view.as_standard_layout().into_owned());
        let mut out = XpArray::from_host(ArrayD::<f64>::zeros(IxDyn(&shape)));
        let s0 = dsc::kernels::signal_to_conc::launch(
            &a,
            c.baseline.start,
            c.baseline.end,
            c.te,
            k1,
            k2,
            &mut out,
        )?;
        reporter.report(1, 1);
        Ok((out.into_host()?, s0.into_host()?))
    })?;
    Ok((to_numpy(py, conc), to_numpy(py, s0)))
}

/// DSC perfusion maps of every voxel (`osipy::dsc::Perfusion`): a concentration series (or,
/// with `te` and `baseline`, a signal series) and an arterial concentration curve.
#[pyfunction]
#[pyo3(signature = (series, aif, time, method="osvd", threshold=None, oscillation_index=None,
    lambda_=None, density=dsc::DENSITY, kh=dsc::KH, leakage="none", leakage_reference=None,
    te=None, baseline=None, tissue=None, first_pass=false, mask=None, threads=None,
    progress_callback=None))]
#[allow(clippy::too_many_arguments)]
fn dsc_perfusion<'py>(
    py: Python<'py>,
    series: &Bound<'py, PyAny>,
    aif: &Bound<'py, PyAny>,
    time: &Bound<'py, PyAny>,
    method: &str,
    threshold: Option<f64>,
    oscillation_index: Option<f64>,
    lambda_: Option<f64>,
    density: f64,
    kh: f64,
    leakage: &str,
    leakage_reference: Option<&Bound<'py, PyAny>>,
    te: Option<f64>,
    baseline: Option<(usize, usize)>,
    tissue: Option<(f64, f64)>,
    first_pass: bool,
    mask: Option<&Bound<'py, PyAny>>,
    threads: Option<i64>,
    progress_callback: Option<Bound<'py, PyAny>>,
) -> PyResult<(Vec<MapOut<'py>>, Bound<'py, PyArrayDyn<bool>>)> {
    let d = deconvolution(method, threshold, oscillation_index, lambda_)?;
    let leak = parse_leakage(leakage)?;
    let s = floats(series, "series")?;
    let ca = finite_vector(aif, "aif")?;
    let t = finite_vector(time, "time")?;
    let reference = leakage_reference
        .map(|r| finite_vector(r, "leakage_reference"))
        .transpose()?;
    let conv = conversion(te, baseline, tissue, None)?;
    let mask = mask.map(|m| to_mask(m, "mask", &voxel_shape(&s))).transpose()?;
    let opts = RunOptions::new(threads, progress_callback)?;
    let view = s.view();
    let maps = detached(py, &opts, |reporter| {
        let mut p = Perfusion::new(d.method, &t, &ca)
            .deconvolution(d)
            .factors(density, kh)
            .leakage(leak)
            .first_pass(first_pass);
        if let Some(r) = &reference {
            p = p.leakage_reference(r);
        }
        if let Some(c) = conv.clone() {
            p = p.signal(c);
        }
        if let Some(m) = &mask {
            p = p.mask(m);
        }
        p.progress(reporter.callback()).fit(&view)
    })?;
    let m = to_numpy(py, maps.mask.clone());
    Ok((maps_out(py, maps), m))
}

/// What `dsc_analysis` returns: maps, mask, AIF, AIF voxels (flat indices), baseline frames.
type AnalysisOut<'py> = (
    Vec<MapOut<'py>>,
    Bound<'py, PyArrayDyn<bool>>,
    Array<'py>,
    Option<Vec<usize>>,
    (usize, usize),
);

/// The whole DSC analysis (`osipy::dsc::Analysis`): baseline, conversion, AIF (a curve, an
/// arterial signal, a mask or automatic detection of `aif_count` voxels), perfusion maps.
#[pyfunction]
#[pyo3(signature = (signal, time, te, aif=None, aif_signal=None, aif_mask=None, aif_count=10,
    mask=None, baseline=None, method="osvd", threshold=None, oscillation_index=None,
    lambda_=None, density=dsc::DENSITY, kh=dsc::KH, leakage="none", first_pass=false,
    concentration=false, tissue=None, arterial=None, reference_region=None, threads=None,
    progress_callback=None))]
#[allow(clippy::too_many_arguments)]
fn dsc_analysis<'py>(
    py: Python<'py>,
    signal: &Bound<'py, PyAny>,
    time: &Bound<'py, PyAny>,
    te: f64,
    aif: Option<&Bound<'py, PyAny>>,
    aif_signal: Option<&Bound<'py, PyAny>>,
    aif_mask: Option<&Bound<'py, PyAny>>,
    aif_count: usize,
    mask: Option<&Bound<'py, PyAny>>,
    baseline: Option<(usize, usize)>,
    method: &str,
    threshold: Option<f64>,
    oscillation_index: Option<f64>,
    lambda_: Option<f64>,
    density: f64,
    kh: f64,
    leakage: &str,
    first_pass: bool,
    concentration: bool,
    tissue: Option<(f64, f64)>,
    arterial: Option<(f64, f64)>,
    reference_region: Option<&Bound<'py, PyAny>>,
    threads: Option<i64>,
    progress_callback: Option<Bound<'py, PyAny>>,
) -> PyResult<AnalysisOut<'py>> {
    let d = deconvolution(method, threshold, oscillation_index, lambda_)?;
    let leak = parse_leakage(leakage)?;
    let s = floats(signal, "signal")?;
    let t = finite_vector(time, "time")?;
    let vshape = voxel_shape(&s);
    let source = match (aif, aif_signal, aif_mask) {
        (Some(a), None, None) => Src::Curve(finite_vector(a, "aif")?),
        (None, Some(a), None) => Src::Signal(finite_vector(a, "aif_signal")?),
        (None, None, Some(m)) => Src::Mask(to_mask(m, "aif_mask", &vshape)?),
        (None, None, None) => Src::Auto,
        _ => {
            return Err(invalid(
                "aif",
                "one of aif, aif_signal, aif_mask (or none: automatic)",
                "several",
            ))
        }
    };
    let mask = mask.map(|m| to_mask(m, "mask", &vshape)).transpose()?;
    let region = reference_region
        .map(|m| to_mask(m, "reference_region", &vshape))
        .transpose()?;
    let opts = RunOptions::new(threads, progress_callback)?;
    let view = s.view();
    let out = detached(py, &opts, |reporter| {
        let src = match &source {
            Src::Curve(c) => AifSource::Concentration(c.clone()),
            Src::Signal(c) => AifSource::Signal(c.clone()),
            Src::Mask(m) => AifSource::Mask(m.view()),
            Src::Auto => AifSource::Auto(aif_count),
        };
        let mut a = Analysis::new(&t, te)
            .aif(src)
            .deconvolution(d)
            .factors(density, kh)
            .leakage(leak)
            .first_pass(first_pass)
            .relaxivity(relaxivity(tissue), relaxivity(arterial))
            .concentration(concentration);
        if let Some(b) = frames(baseline) {
            a = a.baseline(b);
        }
        if let Some(m) = &mask {
            a = a.mask(m);
        }
        if let Some(r) = &region {
            a = a.reference_region(r.view());
        }
        a.progress(reporter.callback()).run(&view)
    })?;
    let m = to_numpy(py, out.maps.mask.clone());
    let b = (out.baseline.start, out.baseline.end);
    Ok((
        maps_out(py, out.maps),
        m,
        vec_to_numpy(py, out.aif),
        out.aif_voxels,
        b,
    ))
}

enum Src {
    Curve(Vec<f64>),
    Signal(Vec<f64>),
    Mask(ArrayD<bool>),
    Auto,
}

/// Leakage correction of every voxel's curve (`osipy::dsc::leakage`): against `reference` (or
/// the library's reference curve of the mask's voxels). Returns the corrected curves, `k1`,
/// `k2`, `kep` (NaN for BSW) and the reference; outside the mask NaN.
#[pyfunction]
#[pyo3(signature = (curves, time, mask=None, method="bsw", reference=None, threads=None,
    progress_callback=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn dsc_correct_leakage<'py>(
    py: Python<'py>,
    curves: &Bound<'py, PyAny>,
    time: &Bound<'py, PyAny>,
    mask: Option<&Bound<'py, PyAny>>,
    method: &str,
    reference: Option<&Bound<'py, PyAny>>,
    threads: Option<i64>,
    progress_callback: Option<Bound<'py, PyAny>>,
) -> PyResult<(Array<'py>, Array<'py>, Array<'py>, Array<'py>, Array<'py>)> {
    let leak = parse_leakage(method)?;
    if leak == Leakage::None {
        return Err(invalid("method", "'bsw' or 'bidirectional'", "'none'"));
    }
    let c = floats(curves, "curves")?;
    let t = finite_vector(time, "time")?;
    let vshape = voxel_shape(&c);
    let full_shape = c.shape();
    let nt = *full_shape.last().unwrap_or(&0);
    if t.len() != nt {
        return Err(invalid(
            "time",
            format!("one time per frame ({nt})"),
            format!("{} times", t.len()),
        ));
    }
    let reference = reference.map(|r| finite_vector(r, "reference")).transpose()?;
    if let Some(r) = &reference {
        if r.len() != nt {
            return Err(invalid(
                "reference",
                format!("{nt} values"),
                format!("{} values", r.len()),
            ));
        }
    }
    let mask = mask.map(|m| to_mask(m, "mask", &vshape)).transpose()?;
    let opts = RunOptions::new(threads, progress_callback)?;
    let view = c.view();
    let (corr, k1, k2, kep, r) = detached(py, &opts, |reporter| {
        reporter.report(0, 1);
        let dt = dsc::uniform_interval(&t)?;
        let voxels = Voxels::new_nonempty(
            "dsc::correct_leakage",
            &vshape,
            mask.as_ref().map(|m| m.view()).as_ref(),
        )?;
        let r = match &reference {
            Some(r) => r.clone(),
            None => leakage::reference_curve(&view, &voxels)?,
        };
        let int = leakage::cumulative(&r, dt);
        let n = voxels.selected.len();
        let rows = XpArray::from_host(voxels.gather(&view, nt, 0..n)?);
        let row = |v: &[f64]| {
            XpArray::from_host(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).expect("a row"))
        };
        let (rr, ri) = (row(&r), row(&int));
        let mut out = XpArray::from_host(ArrayD::<f64>::zeros(IxDyn(&[n, nt])));
        let (k1, k2, kep) = if leak == Leakage::Bsw {
            let (k1, k2) = leakage::bsw::launch(&rows, &rr, &ri, &mut out)?;
            (k1.into_host()?, k2.into_host()?, None)
        } else {
            let (k1, k2, kep) = leakage::bidirectional::launch(&rows, &rr, &ri, dt, &mut out)?;
            (k1.into_host()?, k2.into_host()?, Some(kep.into_host()?))
        };
        let out = out.into_host()?;
        reporter.report(1, 1);
        let total = voxels.len_all();
        let mut corr = vec![f64::NAN; total * nt];
        let (mut m1, mut m2, mut m3) = (
            vec![f64::NAN; total],
            vec![f64::NAN; total],
            vec![f64::NAN; total],
        );
        for (j, &i) in voxels.selected.iter().enumerate() {
            corr[i * nt..(i + 1) * nt]
                .iter_mut()
                .zip(out.index_axis(Axis(0), j))
                .for_each(|(a, b)| *a = *b);
            m1[i] = k1[[j]];
            m2[i] = k2[[j]];
            if let Some(k) = &kep {
                m3[i] = k[[j]];
            }
        }
        let shaped = |v: Vec<f64>, shape: &[usize]| {
            ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| osipy::Error::Invalid {
                function: "dsc::correct_leakage",
                arg: "curves",
                expected: format!("shape {shape:?}"),
                found: e.to_string(),
            })
        };
        Ok((
            shaped(corr, &full_shape)?,
            shaped(m1, &vshape)?,
            shaped(m2, &vshape)?,
            shaped(m3, &vshape)?,
            r,
        ))
    })?;
    Ok((
        to_numpy(py, corr),
        to_numpy(py, k1),
        to_numpy(py, k2),
        to_numpy(py, kep),
        vec_to_numpy(py, r),
    ))
}

// ---- Cross-voxel steps of a Dask run: per-block parts and the global selections ----------

/// The rows of a block (voxels x frames, flat order), optionally converted with the tissue
/// relation of `conv`.
fn block_rows(block: &ArrayViewD<'_, f64>, conv: Option<&Conversion>) -> (ArrayD<f64>, usize) {
    let shape = block.shape();
    let nt = *shape.last().unwrap_or(&0);
    let n = shape[..shape.len().saturating_sub(1)].iter().product::<usize>();
    let mut rows = block
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(&[n, nt]))
        .expect("a standard-layout array reshapes");
    if let Some(c) = conv {
        for mut r in rows.axis_iter_mut(Axis(0)) {
            let v = c.curve(&r.iter().copied().collect::<Vec<f64>>(), false);
            r.iter_mut().zip(v).for_each(|(a, b)| *a = b);
        }
    }
    (rows, nt)
}

fn block_mask(mask: Option<&Bound<'_, PyAny>>, vshape: &[usize]) -> PyResult<Vec<bool>> {
    let n: usize = vshape.iter().product();
    match mask {
        Some(m) => Ok(to_mask(m, "mask", vshape)?.iter().copied().collect()),
        None => Ok(vec![true; n]),
    }
}

/// One step of a running sum over the voxels in flat order: adds each finite value of the
/// block's masked rows (converted when `te` is given) to `sums` and counts it in `counts`
/// (per frame), as the library's mean curves do.
#[pyfunction]
#[pyo3(signature = (block, mask, sums, counts, te=None, baseline=None, tissue=None))]
#[allow(clippy::too_many_arguments)]
fn dsc_fold_sums<'py>(
    py: Python<'py>,
    block: &Bound<'py, PyAny>,
    mask: Option<&Bound<'py, PyAny>>,
    sums: Vec<f64>,
    counts: Vec<f64>,
    te: Option<f64>,
    baseline: Option<(usize, usize)>,
    tissue: Option<(f64, f64)>,
) -> PyResult<(Array<'py>, Array<'py>)> {
    let b = floats(block, "block")?;
    let conv = conversion(te, baseline, tissue, None)?;
    let m = block_mask(mask, &voxel_shape(&b))?;
    let nt = *b.shape().last().unwrap_or(&0);
    if sums.len() != nt || counts.len() != nt {
        return Err(invalid("sums", format!("{nt} values"), sums.len()));
    }
    let view = b.view();
    let (sums, counts) = py.detach(|| {
        let (rows, _) = block_rows(&view, conv.as_ref());
        let (mut sums, mut counts) = (sums, counts);
        for (r, _) in rows.axis_iter(Axis(0)).zip(&m).filter(|(_, k)| **k) {
            for (k, &v) in r.iter().enumerate() {
                if v.is_finite() {
                    sums[k] += v;
                    counts[k] += 1.0;
                }
            }
        }
        (sums, counts)
    });
    Ok((vec_to_numpy(py, sums), vec_to_numpy(py, counts)))
}

/// The AIF candidates of a block: `(flat index in the block, peak, ttp frame, fwhm, area)` of
/// every masked voxel whose (converted) curve has a positive peak (`osipy::dsc::features`).
#[pyfunction]
#[pyo3(signature = (block, mask=None, te=None, baseline=None, tissue=None))]
fn dsc_block_features<'py>(
    py: Python<'py>,
    block: &Bound<'py, PyAny>,
    mask: Option<&Bound<'py, PyAny>>,
    te: Option<f64>,
    baseline: Option<(usize, usize)>,
    tissue: Option<(f64, f64)>,
) -> PyResult<Array<'py>> {
    let b = floats(block, "block")?;
    let conv = conversion(te, baseline, tissue, None)?;
    let m = block_mask(mask, &voxel_shape(&b))?;
    let view = b.view();
    let out = py.detach(|| {
        let (rows, _) = block_rows(&view, conv.as_ref());
        let mut out = Vec::new();
        for (i, r) in rows.axis_iter(Axis(0)).enumerate() {
            if !m[i] {
                continue;
            }
            let row: Vec<f64> = r.iter().copied().collect();
            if let Some((peak, kp, fwhm, area)) = dsc::features(&row) {
                out.extend([i as f64, peak, kp as f64, fwhm, area]);
            }
        }
        out
    });
    let n = out.len() / 5;
    Ok(to_numpy(
        py,
        ArrayD::from_shape_vec(IxDyn(&[n, 5]), out).expect("5 values per candidate"),
    ))
}

/// The automatic AIF's voxels from every candidate of the volume (rows `(flat index, peak,
/// ttp, fwhm, area)`), chosen as `osipy::dsc::detect_aif` chooses them: returns the chosen
/// flat indices in score order (the order of its mean curve) and sorted.
#[pyfunction]
fn dsc_select_aif(candidates: &Bound<'_, PyAny>, count: usize) -> PyResult<(Vec<usize>, Vec<usize>)> {
    let c = floats(candidates, "candidates")?;
    let v = c.view();
    if v.ndim() != 2 || v.shape()[1] != 5 {
        return Err(invalid(
            "candidates",
            "an (n, 5) array",
            format!("shape {:?}", v.shape()),
        ));
    }
    let mut cand: Vec<(usize, f64, usize, f64, f64)> = v
        .outer_iter()
        .map(|r| (r[0] as usize, r[1], r[2] as usize, r[3], r[4]))
        .collect();
    if cand.is_empty() {
        return Err(invalid(
            "signal",
            "voxels with a finite ΔR curve and a positive peak",
            "none in the mask",
        ));
    }
    let count = count.max(1);
    cand.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let keep = (cand.len().div_ceil(20)).max(count).min(cand.len());
    cand.truncate(keep);
    let first = cand.iter().map(|c| c.2).min().unwrap_or(0);
    let score = |c: &(usize, f64, usize, f64, f64)| c.1 / (c.3 * ((c.2 - first) as f64 + 1.0));
    cand.sort_by(|a, b| score(b).total_cmp(&score(a)).then(a.0.cmp(&b.0)));
    let chosen: Vec<usize> = cand.iter().take(count).map(|c| c.0).collect();
    let mut sorted = chosen.clone();
    sorted.sort_unstable();
    Ok((chosen, sorted))
}

/// The AIF of the chosen voxels' rows (`rows`: voxels x frames) as `osipy::dsc::Analysis`
/// computes it: with `te`, converted with the arterial relation and the baseline ended before
/// the arterial bolus (unless `baseline_given`), rows in flat order; without, the mean of the
/// finite rows in the order given.
#[pyfunction]
#[pyo3(signature = (rows, te=None, baseline=None, tissue=None, arterial=None, baseline_given=false))]
fn dsc_arterial_curve<'py>(
    py: Python<'py>,
    rows: &Bound<'py, PyAny>,
    te: Option<f64>,
    baseline: Option<(usize, usize)>,
    tissue: Option<(f64, f64)>,
    arterial: Option<(f64, f64)>,
    baseline_given: bool,
) -> PyResult<Array<'py>> {
    let r = floats(rows, "rows")?;
    let v = r.view();
    if v.ndim() != 2 {
        return Err(invalid("rows", "a 2-D array", format!("shape {:?}", v.shape())));
    }
    let all = ArrayD::from_elem(IxDyn(&[v.shape()[0]]), true);
    let conv = conversion(te, baseline, tissue, arterial)?;
    let curve = py.detach(|| -> PyResult<Vec<f64>> {
        Ok(match conv {
            Some(c) => {
                let mut own = c.clone();
                if !baseline_given {
                    let mean = dsc::mean_signal(&v, &all.view()).py()?;
                    if let Ok(b) = dsc::detect_baseline(&mean) {
                        own.baseline.end = own.baseline.end.min(b.end).max(own.baseline.start + 1);
                    }
                }
                dsc::aif_curve(&v, &all.view(), Some(&own)).py()?
            }
            None => dsc::aif_curve(&v, &all.view(), None).py()?,
        })
    })?;
    Ok(vec_to_numpy(py, curve))
}

/// The ratio of the late mean to the peak of every masked voxel's (converted) curve, as the
/// leakage reference curve selects its voxels (NaN where the curve is not finite or does not
/// rise above 0, or outside the mask).
#[pyfunction]
#[pyo3(signature = (block, mask=None, te=None, baseline=None, tissue=None))]
fn dsc_leakage_ratios<'py>(
    py: Python<'py>,
    block: &Bound<'py, PyAny>,
    mask: Option<&Bound<'py, PyAny>>,
    te: Option<f64>,
    baseline: Option<(usize, usize)>,
    tissue: Option<(f64, f64)>,
) -> PyResult<Array<'py>> {
    let b = floats(block, "block")?;
    let vshape = voxel_shape(&b);
    let conv = conversion(te, baseline, tissue, None)?;
    let m = block_mask(mask, &vshape)?;
    let view = b.view();
    let ratios = py.detach(|| {
        let (rows, _) = block_rows(&view, conv.as_ref());
        rows.axis_iter(Axis(0))
            .zip(&m)
            .map(|(row, &k)| {
                k.then(|| dsc::leakage::late_peak_ratio(row))
                    .flatten()
                    .unwrap_or(f64::NAN)
            })
            .collect::<Vec<f64>>()
    });
    Ok(to_numpy(
        py,
        ArrayD::from_shape_vec(IxDyn(&vshape), ratios).expect("one ratio per voxel"),
    ))
}

/// Which voxels the leakage reference curve averages, from every voxel's ratio in flat order
/// (`dsc_leakage_ratios`): those within two standard deviations of the median ratio.
#[pyfunction]
fn dsc_leakage_keep<'py>(
    py: Python<'py>,
    ratios: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArrayDyn<bool>>> {
    let r = floats(ratios, "ratios")?;
    let shape = r.shape();
    let flat: Vec<f64> = r.view().as_standard_layout().iter().copied().collect();
    let keep = dsc::leakage::non_leaking(&flat).py()?;
    Ok(to_numpy(
        py,
        ArrayD::from_shape_vec(IxDyn(&shape), keep).expect("one flag per voxel"),
    ))
}

/// The default mask of a DSC signal series (`osipy::dsc::signal_mask`).
#[pyfunction]
fn dsc_signal_mask<'py>(
    py: Python<'py>,
    signal: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArrayDyn<bool>>> {
    let s = floats(signal, "signal")?;
    let view = s.view();
    let m = py.detach(|| dsc::signal_mask(&view)).py()?;
    Ok(to_numpy(py, m))
}

/// The baseline frames of a mean signal curve (`osipy::dsc::detect_baseline`).
#[pyfunction]
fn dsc_detect_baseline(mean_signal: &Bound<'_, PyAny>) -> PyResult<(usize, usize)> {
    let m = crate::convert::vector(mean_signal, "mean_signal")?;
    let b = dsc::detect_baseline(&m).py()?;
    Ok((b.start, b.end))
}

/// Adds the DSC functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dsc_signal_to_conc, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_perfusion, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_analysis, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_correct_leakage, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_fold_sums, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_block_features, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_select_aif, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_arterial_curve, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_leakage_ratios, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_leakage_keep, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_signal_mask, m)?)?;
    m.add_function(wrap_pyfunction!(dsc_detect_baseline, m)?)?;
    Ok(())
}
