//! IVIM: the bi-exponential fit of every voxel (`fit_ivim`) through `osipy::ivim::Fit`.

use numpy::PyArrayDyn;
use osipy::ivim::{Bounds, Fit, Method, Rician};
use osipy_kernels::fit::LevenbergMarquardt;
use pyo3::prelude::*;

use crate::convert::{finite_vector, floats, mask as to_mask, to_numpy};
use crate::dce::{maps_out, MapOut};
use crate::errors::invalid;
use crate::run::{detached, RunOptions};

fn parse_method(name: &str) -> PyResult<Method> {
    name.parse::<Method>().map_err(|_| {
        invalid(
            "method",
            "one of 'segmented', 'full', 'bayesian'",
            format!("'{name}'"),
        )
    })
}

fn four(v: Option<Vec<f64>>, arg: &str, default: [f64; 4]) -> PyResult<[f64; 4]> {
    match v {
        None => Ok(default),
        Some(v) => <[f64; 4]>::try_from(v.as_slice())
            .map_err(|_| invalid(arg, "4 values (s0, f, d, dstar)", format!("{} values", v.len()))),
    }
}

/// Fits IVIM in every voxel: `signal` (voxel axes, then one volume per b-value), `b_values`
/// (s/mm²). `lower`/`upper`: bounds of `[s0, f, d, dstar]` (S0 relative to the voxel's b = 0
/// mean). Returns the maps and the mask.
#[pyfunction]
#[pyo3(signature = (signal, b_values, method="segmented", mask=None, b_threshold=None,
    lower=None, upper=None, max_iterations=None, steps=3, normalise=true, rician="none",
    sigma=0.0, nodes=None, threads=None, progress_callback=None))]
#[allow(clippy::too_many_arguments)]
fn ivim_fit<'py>(
    py: Python<'py>,
    signal: &Bound<'py, PyAny>,
    b_values: &Bound<'py, PyAny>,
    method: &str,
    mask: Option<&Bound<'py, PyAny>>,
    b_threshold: Option<f64>,
    lower: Option<Vec<f64>>,
    upper: Option<Vec<f64>>,
    max_iterations: Option<u32>,
    steps: u32,
    normalise: bool,
    rician: &str,
    sigma: f64,
    nodes: Option<u32>,
    threads: Option<i64>,
    progress_callback: Option<Bound<'py, PyAny>>,
) -> PyResult<(Vec<MapOut<'py>>, Bound<'py, PyArrayDyn<bool>>)> {
    let method = parse_method(method)?;
    let s = floats(signal, "signal")?;
    let b = finite_vector(b_values, "b_values")?;
    let shape = s.shape();
    let vshape = &shape[..shape.len().saturating_sub(1)];
    let mask = mask.map(|m| to_mask(m, "mask", vshape)).transpose()?;
    let d = Bounds::default();
    let bounds = Bounds {
        lower: four(lower, "lower", d.lower)?,
        upper: four(upper, "upper", d.upper)?,
    };
    let rician = match rician {
        "none" => Rician::None,
        "correction" => Rician::Correction { sigma },
        "floor" => Rician::Floor { sigma },
        other => {
            return Err(invalid(
                "rician",
                "'none', 'correction' or 'floor'",
                format!("'{other}'"),
            ))
        }
    };
    let opts = RunOptions::new(threads, progress_callback)?;
    let view = s.view();
    let maps = detached(py, &opts, |reporter| {
        let mut f = Fit::new(method, b.clone())
            .bounds(bounds)
            .steps(steps)
            .normalise(normalise)
            .rician(rician);
        if let Some(t) = b_threshold {
            f = f.threshold(t);
        }
        if let Some(n) = max_iterations {
            f = f.settings(LevenbergMarquardt::new().max_iterations(n));
        }
        if let Some(n) = nodes {
            f = f.nodes(n);
        }
        if let Some(m) = &mask {
            f = f.mask(m);
        }
        f.progress(reporter.callback()).fit(&view)
    })?;
    let m = to_numpy(py, maps.mask.clone());
    Ok((maps_out(py, maps), m))
}

/// Adds the IVIM functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ivim_fit, m)?)?;
    Ok(())
}
