//! T1 mapping (`osipy::t1::VolumeFit`): variable flip angle (nonlinear, linear, two-angle) and
//! Look-Locker, in the library's units (TR and times in s, flip angles in degrees, T1 in s);
//! the Python layer converts from the Python osipy's milliseconds.

use numpy::PyArrayDyn;
use osipy::t1::{Method, VolumeFit};
use pyo3::prelude::*;

use crate::convert::{finite_vector, floats, floats_nd, mask, to_numpy};
use crate::dce::{maps_out, MapOut};
use crate::errors::invalid;
use crate::run::{detached, RunOptions};

/// Maps T1 in every voxel of `signal` (voxel axes, then one volume per flip angle or readout
/// time): `method` `nonlinear`, `linear`, `two_angle` (with `flip_angles`, degrees, and `tr`,
/// s) or `look_locker` (with `times`, s). Returns the maps and the mask.
#[pyfunction]
#[pyo3(signature = (method, signal, flip_angles=None, tr=f64::NAN, times=None, b1=None,
    mask=None, magnitude=false, threads=None, progress_callback=None))]
#[allow(clippy::too_many_arguments)]
fn t1_fit<'py>(
    py: Python<'py>,
    method: &str,
    signal: &Bound<'py, PyAny>,
    flip_angles: Option<&Bound<'py, PyAny>>,
    tr: f64,
    times: Option<&Bound<'py, PyAny>>,
    b1: Option<&Bound<'py, PyAny>>,
    mask: Option<&Bound<'py, PyAny>>,
    magnitude: bool,
    threads: Option<i64>,
    progress_callback: Option<Bound<'py, PyAny>>,
) -> PyResult<(Vec<MapOut<'py>>, Bound<'py, PyArrayDyn<bool>>)> {
    let method: Method = method.parse().map_err(|_| {
        invalid(
            "method",
            "'nonlinear', 'linear', 'two_angle' or 'look_locker'",
            format!("'{method}'"),
        )
    })?;
    let s = floats(signal, "signal")?;
    let shape = s.shape();
    if shape.is_empty() {
        return Err(invalid("signal", "voxel axes then volumes", "a 0-D array"));
    }
    let vshape = shape[..shape.len() - 1].to_vec();
    let fa = if method.is_vfa() {
        match flip_angles {
            Some(f) => finite_vector(f, "flip_angles")?,
            None => {
                return Err(invalid(
                    "flip_angles",
                    "one flip angle per volume (degrees)",
                    "None",
                ))
            }
        }
    } else {
        Vec::new()
    };
    let ti = if method.is_vfa() {
        Vec::new()
    } else {
        match times {
            Some(t) => finite_vector(t, "ti_times")?,
            None => return Err(invalid("ti_times", "one time per volume", "None")),
        }
    };
    let b1 = match b1 {
        Some(b) => Some(floats_nd(b, "b1_map", vshape.len())?),
        None => None,
    };
    if let Some(b) = &b1 {
        if b.shape() != vshape {
            return Err(invalid(
                "b1_map",
                format!("a map of the voxel shape {vshape:?}"),
                format!("shape {:?}", b.shape()),
            ));
        }
    }
    let mask = mask.map(|m| self::mask(m, "mask", &vshape)).transpose()?;
    let opts = RunOptions::new(threads, progress_callback)?;
    let view = s.view();
    let b1_view = b1.as_ref().map(|b| b.view());
    let maps = detached(py, &opts, |reporter| {
        let mut fit = if method.is_vfa() {
            VolumeFit::vfa(method, fa.clone(), tr)
        } else {
            VolumeFit::look_locker(ti.clone()).magnitude(magnitude)
        };
        if let Some(b) = &b1_view {
            fit = fit.b1(b);
        }
        if let Some(m) = &mask {
            fit = fit.mask(m);
        }
        fit.progress(reporter.callback()).fit(&view)
    })?;
    let m = to_numpy(py, maps.mask.clone());
    Ok((maps_out(py, maps), m))
}

/// Adds the T1 functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(t1_fit, m)?)?;
    Ok(())
}
