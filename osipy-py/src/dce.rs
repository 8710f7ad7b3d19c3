//! DCE: model fitting (`fit_model`).

use numpy::PyArrayDyn;
use osipy::dce::{AifInterpolation, Model, VolumeFit};
use pyo3::prelude::*;

use crate::convert::{finite_vector, floats, mask, to_numpy};
use crate::errors::invalid;
use crate::run::{detached, RunOptions};

/// One map for Python: name, unit, whether it is a parameter (else a quality map), values.
pub type MapOut<'py> = (String, String, bool, Bound<'py, PyArrayDyn<f64>>);

/// The maps of a pipeline as `[(name, unit, is_parameter, values)]`, the mask last as
/// `("mask", "", false, 0/1 values)` is not included: the mask comes back separately.
pub fn maps_out(py: Python<'_>, maps: osipy::volume::Maps) -> Vec<MapOut<'_>> {
    maps.maps
        .into_iter()
        .map(|m| {
            (
                m.name.to_string(),
                m.unit.to_string(),
                m.kind == osipy::volume::MapKind::Parameter,
                to_numpy(py, m.data),
            )
        })
        .collect()
}

fn parse_model(name: &str, fit_delay: bool) -> PyResult<Model> {
    let base = Model::ALL
        .iter()
        .copied()
        .find(|m| m.name() == name.to_ascii_lowercase().replace('-', "_"))
        .ok_or_else(|| {
            let names: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
            invalid(
                "model_name",
                format!("one of {}", names.join(", ")),
                format!("'{name}'"),
            )
        })?;
    Ok(if fit_delay { base.with_delay(true) } else { base })
}

/// Fits a DCE model voxel by voxel: `concentration` (mM; voxel axes, then time), `aif` (mM, one
/// value per time), `time` (s). Returns the maps and the mask.
#[pyfunction]
#[pyo3(signature = (model_name, concentration, aif, time, mask=None, lower=None, upper=None,
    fit_delay=false, interpolation="linear", threads=None, progress_callback=None))]
#[allow(clippy::too_many_arguments)]
fn dce_fit_model<'py>(
    py: Python<'py>,
    model_name: &str,
    concentration: &Bound<'py, PyAny>,
    aif: &Bound<'py, PyAny>,
    time: &Bound<'py, PyAny>,
    mask: Option<&Bound<'py, PyAny>>,
    lower: Option<Vec<f64>>,
    upper: Option<Vec<f64>>,
    fit_delay: bool,
    interpolation: &str,
    threads: Option<i64>,
    progress_callback: Option<Bound<'py, PyAny>>,
) -> PyResult<(Vec<MapOut<'py>>, Bound<'py, PyArrayDyn<bool>>)> {
    let model = parse_model(model_name, fit_delay)?;
    let conc = floats(concentration, "concentration")?;
    let cp = finite_vector(aif, "aif")?;
    let t = finite_vector(time, "time")?;
    let shape = conc.shape();
    let voxel_shape = &shape[..shape.len().saturating_sub(1)];
    let mask = mask.map(|m| self::mask(m, "mask", voxel_shape)).transpose()?;
    let how = match interpolation {
        "linear" => AifInterpolation::Linear,
        "spline" => AifInterpolation::Spline,
        other => {
            return Err(invalid(
                "interpolation",
                "'linear' or 'spline'",
                format!("'{other}'"),
            ))
        }
    };
    let opts = RunOptions::new(threads, progress_callback)?;
    let view = conc.view();
    let maps = detached(py, &opts, |reporter| {
        let mut fit = VolumeFit::new(model, &t, &cp).interpolation(how);
        if lower.is_some() || upper.is_some() {
            let (l, u) = model.bounds();
            fit = fit.bounds(
                lower.clone().unwrap_or(l.to_vec()),
                upper.clone().unwrap_or(u.to_vec()),
            );
        }
        if let Some(m) = &mask {
            fit = fit.mask(m);
        }
        fit.progress(reporter.callback()).fit(&view)
    })?;
    let m = to_numpy(py, maps.mask.clone());
    Ok((maps_out(py, maps), m))
}

/// The parameters of a model (the library's names) and their default lower and upper bounds.
#[pyfunction]
#[pyo3(signature = (model_name, fit_delay=false))]
fn dce_model_bounds(model_name: &str, fit_delay: bool) -> PyResult<(Vec<&'static str>, Vec<f64>, Vec<f64>)> {
    let model = parse_model(model_name, fit_delay)?;
    let (l, u) = model.bounds();
    Ok((model.params().to_vec(), l.to_vec(), u.to_vec()))
}

/// The units of a model's parameters (the library's: `/min`, `ml/100ml/min`, `fraction`,
/// `s`), in parameter order.
#[pyfunction]
#[pyo3(signature = (model_name, fit_delay=false))]
fn dce_model_units(model_name: &str, fit_delay: bool) -> PyResult<Vec<&'static str>> {
    let model = parse_model(model_name, fit_delay)?;
    Ok(model.params().iter().map(|p| Model::unit(p)).collect())
}

/// The forward model: the tissue curve (mM) of one voxel's parameters `params` (the library's
/// order and units) on `time` (s) for the plasma curve `aif` (mM), `Model::curve`.
#[pyfunction]
#[pyo3(signature = (model_name, time, aif, params, fit_delay=false, interpolation="linear"))]
fn dce_model_curve<'py>(
    py: Python<'py>,
    model_name: &str,
    time: &Bound<'py, PyAny>,
    aif: &Bound<'py, PyAny>,
    params: &Bound<'py, PyAny>,
    fit_delay: bool,
    interpolation: &str,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    let model = parse_model(model_name, fit_delay)?;
    let t = finite_vector(time, "t")?;
    let cp = finite_vector(aif, "aif")?;
    let q = crate::convert::vector(params, "params")?;
    if cp.len() != t.len() {
        return Err(invalid(
            "aif",
            format!("{} values (one per time point of `t`)", t.len()),
            cp.len(),
        ));
    }
    let how = parse_interpolation(interpolation)?;
    let curve = py.detach(|| {
        let cp2 = osipy::dce::plasma_curvature(&t, &cp, how)?;
        model.curve(&t, &cp, &cp2, &q)
    });
    let curve = curve.map_err(crate::errors::to_py)?;
    Ok(crate::convert::vec_to_numpy(py, curve))
}

fn parse_interpolation(name: &str) -> PyResult<AifInterpolation> {
    match name {
        "linear" => Ok(AifInterpolation::Linear),
        "spline" => Ok(AifInterpolation::Spline),
        other => Err(invalid(
            "interpolation",
            "'linear' or 'spline'",
            format!("'{other}'"),
        )),
    }
}

/// Adds the DCE functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dce_fit_model, m)?)?;
    m.add_function(wrap_pyfunction!(dce_model_bounds, m)?)?;
    m.add_function(wrap_pyfunction!(dce_model_units, m)?)?;
    m.add_function(wrap_pyfunction!(dce_model_curve, m)?)?;
    Ok(())
}
