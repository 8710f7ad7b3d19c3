//! DCE signal to concentration (`osipy::conc::SignalToConc`), in the library's units (T10 in
//! s, TR in s, flip angle in degrees, relaxivity in /s/mM); the Python layer converts from the
//! Python osipy's milliseconds.

use ndarray::ArrayD;
use numpy::PyArrayDyn;
use osipy::conc::{Baseline, SignalToConc, Spgr, VoxelValue};
use pyo3::prelude::*;

use crate::convert::{floats, to_numpy, Floats};
use crate::errors::invalid;

/// A per-voxel value: a number, or a map of the signal's voxel shape.
enum PerVoxel<'py> {
    Uniform(f64),
    Map(Floats<'py>),
}

fn per_voxel<'py>(obj: &Bound<'py, PyAny>, arg: &str, vshape: &[usize]) -> PyResult<PerVoxel<'py>> {
    let f = floats(obj, arg)?;
    let shape = f.shape();
    if shape.is_empty() {
        let v = f.view().iter().copied().next().unwrap_or(f64::NAN);
        return Ok(PerVoxel::Uniform(v));
    }
    if shape != vshape {
        return Err(invalid(
            arg,
            format!("a number or a map of the voxel shape {vshape:?}"),
            format!("shape {shape:?}"),
        ));
    }
    Ok(PerVoxel::Map(f))
}

impl PerVoxel<'_> {
    fn value(&self) -> VoxelValue<'_> {
        match self {
            PerVoxel::Uniform(v) => VoxelValue::Uniform(*v),
            PerVoxel::Map(f) => VoxelValue::map(f.view()),
        }
    }
}

/// Concentration curves (mM) of `signal` (voxel axes, then time): `method` `spgr` or `linear`,
/// `t10` (s; a number or a map), `relaxivity` (/s/mM), the baseline window
/// `baseline_start..baseline_end`, `flip_angle` (degrees) and `tr` (s) for SPGR, `b1` (a scale
/// or a map) and a known `s0` (a number or a map) optionally.
#[pyfunction]
#[pyo3(signature = (signal, t10, relaxivity, baseline_start, baseline_end, method="spgr",
    flip_angle=f64::NAN, tr=f64::NAN, b1=None, s0=None, threads=None))]
#[allow(clippy::too_many_arguments)]
fn dce_signal_to_concentration<'py>(
    py: Python<'py>,
    signal: &Bound<'py, PyAny>,
    t10: &Bound<'py, PyAny>,
    relaxivity: f64,
    baseline_start: usize,
    baseline_end: usize,
    method: &str,
    flip_angle: f64,
    tr: f64,
    b1: Option<&Bound<'py, PyAny>>,
    s0: Option<&Bound<'py, PyAny>>,
    threads: Option<i64>,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    let s = floats(signal, "signal")?;
    let shape = s.shape();
    if shape.is_empty() {
        return Err(invalid("signal", "voxel axes then time", "a 0-D array"));
    }
    let vshape = &shape[..shape.len() - 1];
    let t10 = per_voxel(t10, "t1_map", vshape)?;
    let b1 = b1.map(|b| per_voxel(b, "b1_map", vshape)).transpose()?;
    let s0 = s0.map(|b| per_voxel(b, "s0", vshape)).transpose()?;
    let baseline = Baseline::range(baseline_start, baseline_end);
    let mut conv = match method {
        "spgr" => SignalToConc::spgr(Spgr { flip_angle, tr }, t10.value(), relaxivity, baseline),
        "linear" => SignalToConc::linear(t10.value(), relaxivity, baseline),
        other => return Err(invalid("method", "'spgr' or 'linear'", format!("'{other}'"))),
    };
    if let Some(b) = &b1 {
        conv = conv.b1(b.value());
    }
    if let Some(v) = &s0 {
        conv = conv.s0(v.value());
    }
    let opts = crate::run::RunOptions::new(threads, None)?;
    let view = s.view();
    let out: ArrayD<f64> =
        crate::run::detached(py, &opts, |_| Ok(conv.concentration(&view)?.into_host()?))?;
    Ok(to_numpy(py, out))
}

/// Adds the signal-to-concentration functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dce_signal_to_concentration, m)?)?;
    Ok(())
}
