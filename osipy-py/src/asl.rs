//! ASL: CBF from ΔM (single PLD) and CBF with ATT (multi-PLD, the Buxton fit) through
//! `osipy::asl::Perfusion`, and the M0 calibration steps.

use ndarray::ArrayD;
use numpy::PyArrayDyn;
use osipy::asl::{self, Labelling, M0Source, Perfusion, Quantification, Reference};
use pyo3::prelude::*;

use crate::convert::{finite_vector, floats, mask as to_mask, to_numpy};
use crate::dce::{maps_out, MapOut};
use crate::errors::{invalid, IntoPy};
use crate::run::{detached, RunOptions};

fn parse_labelling(name: &str) -> PyResult<Labelling> {
    name.parse::<Labelling>().map_err(|_| {
        invalid(
            "labeling_scheme",
            "'pcasl', 'casl' or 'pasl'",
            format!("'{name}'"),
        )
    })
}

/// CBF (and ATT with several PLDs) of every voxel from ΔM: `delta_m` (voxel axes, then one
/// volume per entry of `plds`), `plds` and `tau` in s; M0 as a map of the voxel shape
/// (`m0`) or one value (`m0_value`). Returns the maps and the mask.
#[pyfunction]
#[pyo3(signature = (delta_m, labeling_scheme, plds, tau, m0=None, m0_value=None, m0_tr=None,
    m0_scale=1.0, alpha=None, t1_blood=None, t1_tissue=None, lambda_=None, field_strength=3.0,
    bs_efficiency=1.0, mask=None, threads=None, progress_callback=None))]
#[allow(clippy::too_many_arguments)]
fn asl_perfusion<'py>(
    py: Python<'py>,
    delta_m: &Bound<'py, PyAny>,
    labeling_scheme: &str,
    plds: &Bound<'py, PyAny>,
    tau: f64,
    m0: Option<&Bound<'py, PyAny>>,
    m0_value: Option<f64>,
    m0_tr: Option<f64>,
    m0_scale: f64,
    alpha: Option<f64>,
    t1_blood: Option<f64>,
    t1_tissue: Option<f64>,
    lambda_: Option<f64>,
    field_strength: f64,
    bs_efficiency: f64,
    mask: Option<&Bound<'py, PyAny>>,
    threads: Option<i64>,
    progress_callback: Option<Bound<'py, PyAny>>,
) -> PyResult<(Vec<MapOut<'py>>, Bound<'py, PyArrayDyn<bool>>)> {
    let labelling = parse_labelling(labeling_scheme)?;
    let dm = floats(delta_m, "delta_m")?;
    let p = finite_vector(plds, "plds")?;
    let shape = dm.shape();
    let vshape = shape[..shape.len().saturating_sub(1)].to_vec();
    let m0_map = m0.map(|m| floats(m, "m0")).transpose()?;
    if let Some(m) = &m0_map {
        if m.shape() != vshape {
            return Err(invalid(
                "m0",
                format!("an M0 map of the voxel shape {vshape:?}"),
                format!("shape {:?}", m.shape()),
            ));
        }
    }
    if m0_map.is_some() == m0_value.is_some() {
        return Err(invalid("m0", "an M0 map or one M0 value", "both or neither"));
    }
    let mask = mask.map(|m| to_mask(m, "mask", &vshape)).transpose()?;
    let d = Quantification::default();
    let q = Quantification {
        alpha,
        bs_efficiency,
        t1_blood,
        field_strength,
        t1_tissue: t1_tissue.unwrap_or(d.t1_tissue),
        lambda: lambda_.unwrap_or(d.lambda),
    };
    let opts = RunOptions::new(threads, progress_callback)?;
    let view = dm.view();
    let m0_view = m0_map.as_ref().map(|m| m.view());
    let maps = detached(py, &opts, |reporter| {
        let source = match (&m0_view, m0_value) {
            (Some(v), _) => M0Source::Map(v.view()),
            (None, Some(v)) => M0Source::Value(v),
            (None, None) => M0Source::Series,
        };
        let mut f = Perfusion::new(labelling, p.clone(), tau)
            .m0(source)
            .m0_scale(m0_scale)
            .quantification(q);
        if let Some(tr) = m0_tr {
            f = f.m0_tr(tr);
        }
        if let Some(m) = &mask {
            f = f.mask(m);
        }
        f.progress(reporter.callback()).fit(&view)
    })?;
    let m = to_numpy(py, maps.mask.clone());
    Ok((maps_out(py, maps), m))
}

/// M0 corrected for saturation at a short TR, voxel by voxel: `scale m0 / (1 - exp(-tr /
/// t1))` (`tr`, `t1` in s; no correction for a `tr` that is not finite and positive).
#[pyfunction]
#[pyo3(signature = (m0, tr, t1, scale=1.0))]
fn asl_m0_correct<'py>(
    py: Python<'py>,
    m0: &Bound<'py, PyAny>,
    tr: f64,
    t1: f64,
    scale: f64,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    let m = floats(m0, "m0")?;
    let view = m.view();
    let out: ArrayD<f64> = py.detach(|| view.mapv(|v| asl::kernels::m0_correct(v, tr, t1, scale)));
    Ok(to_numpy(py, out))
}

/// One M0 value from a reference region (`osipy::asl::m0_reference`): the region's mean M0
/// corrected for saturation (`tr`, s) and T2* decay (`te`, s), times `lambda_ / lambda_ref`.
#[pyfunction]
#[pyo3(signature = (m0, region, lambda_ref, t1_ref, t2star_ref, tr, te, lambda_=asl::LAMBDA))]
#[allow(clippy::too_many_arguments)]
fn asl_m0_reference(
    py: Python<'_>,
    m0: &Bound<'_, PyAny>,
    region: &Bound<'_, PyAny>,
    lambda_ref: f64,
    t1_ref: f64,
    t2star_ref: f64,
    tr: f64,
    te: f64,
    lambda_: f64,
) -> PyResult<f64> {
    let m = floats(m0, "m0")?;
    let r = to_mask(region, "region", &m.shape())?;
    let reference = Reference {
        lambda: lambda_ref,
        t1: t1_ref,
        t2star: t2star_ref,
    };
    let view = m.view();
    py.detach(|| asl::m0_reference(&view, &r.view(), reference, tr, te, lambda_))
        .py()
}

/// Adds the ASL functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(asl_perfusion, m)?)?;
    m.add_function(wrap_pyfunction!(asl_m0_correct, m)?)?;
    m.add_function(wrap_pyfunction!(asl_m0_reference, m)?)?;
    Ok(())
}
