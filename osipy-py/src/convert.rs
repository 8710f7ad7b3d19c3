//! NumPy arrays in and out.
//!
//! In: an argument may be any NumPy array of float64 (borrowed as it is, in any layout:
//! C, Fortran, strided or reversed), float32, integer or bool (converted to a new float64
//! array), or anything `numpy.asarray` turns into one (a list, a scalar). Object, string,
//! complex and other arrays are a `ValueError` naming the argument. Out: owned arrays handed to
//! NumPy without a copy.

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use numpy::{
    PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyAnyMethods;

use crate::errors::invalid;

/// A float64 array taken from Python: borrowed from a float64 NumPy array, or converted.
pub enum Floats<'py> {
    /// A float64 array, read in place (any strides).
    Borrowed(PyReadonlyArrayDyn<'py, f64>),
    /// A converted copy.
    Owned(ArrayD<f64>),
}

impl Floats<'_> {
    /// The values, in the array's own layout.
    pub fn view(&self) -> ArrayViewD<'_, f64> {
        match self {
            Floats::Borrowed(a) => a.as_array(),
            Floats::Owned(a) => a.view(),
        }
    }

    /// The shape.
    pub fn shape(&self) -> Vec<usize> {
        self.view().shape().to_vec()
    }
}

/// The NumPy array behind `obj` (`numpy.asarray(obj)` when it is not one).
fn as_ndarray<'py>(obj: &Bound<'py, PyAny>, arg: &str) -> PyResult<Bound<'py, PyUntypedArray>> {
    if let Ok(a) = obj.cast::<PyUntypedArray>() {
        return Ok(a.clone());
    }
    let py = obj.py();
    let np = py.import("numpy")?;
    let a = np
        .call_method1("asarray", (obj,))
        .map_err(|e| invalid(arg, "an array of numbers", format!("{} ({e})", type_name(obj))))?;
    a.cast_into::<PyUntypedArray>()
        .map_err(|_| invalid(arg, "an array of numbers", type_name(obj)))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| format!("an object of type {n}"))
        .unwrap_or_else(|_| "an object".into())
}

/// A float array from `obj` (argument `arg`): float64 borrowed, float32, integers and bools
/// converted.
pub fn floats<'py>(obj: &Bound<'py, PyAny>, arg: &str) -> PyResult<Floats<'py>> {
    let a = as_ndarray(obj, arg)?;
    let kind = a.dtype().kind();
    let item = a.dtype().itemsize();
    if kind == b'f' && item == 8 && is_aligned(&a)? {
        // A native-endian, aligned float64 array borrows; a byte-swapped or unaligned one (a
        // buffer at an odd offset: `np.frombuffer`, a memory map, an unpickled block) is
        // converted below.
        if let Ok(f) = a.cast::<PyArrayDyn<f64>>() {
            return Ok(Floats::Borrowed(f.readonly()));
        }
    }
    if !matches!(kind, b'f' | b'i' | b'u' | b'b') || (kind == b'f' && item > 8) {
        return Err(invalid(
            arg,
            "an array of float32 or float64 (or integers)",
            format!("dtype {}", dtype_str(&a)),
        ));
    }
    let converted = a.call_method1("astype", ("float64",))?;
    let f = converted.cast::<PyArrayDyn<f64>>().map_err(|_| {
        invalid(
            arg,
            "an array convertible to float64",
            format!("dtype {}", dtype_str(&a)),
        )
    })?;
    Ok(Floats::Owned(f.readonly().as_array().to_owned()))
}

/// Whether the array's data are aligned for its type (NumPy's `flags.aligned`).
fn is_aligned(a: &Bound<'_, PyUntypedArray>) -> PyResult<bool> {
    a.getattr("flags")?.getattr("aligned")?.extract::<bool>()
}

/// A float array of `ndim` dimensions (`arg` named in the error otherwise).
pub fn floats_nd<'py>(obj: &Bound<'py, PyAny>, arg: &str, ndim: usize) -> PyResult<Floats<'py>> {
    let f = floats(obj, arg)?;
    let shape = f.shape();
    if shape.len() != ndim {
        return Err(invalid(
            arg,
            format!("a {ndim}-D array"),
            format!("shape {shape:?}"),
        ));
    }
    Ok(f)
}

/// A 1-D float vector (`arg` named in the error otherwise); a 0-D value is refused.
pub fn vector(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<Vec<f64>> {
    Ok(floats_nd(obj, arg, 1)?.view().iter().copied().collect())
}

/// A 1-D float vector whose values are all finite.
pub fn finite_vector(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<Vec<f64>> {
    let v = vector(obj, arg)?;
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(invalid(arg, "finite values", format!("{} at index {i}", v[i])));
    }
    Ok(v)
}

/// A boolean mask (bool, or integers where non-zero is true) of the given shape.
pub fn mask(obj: &Bound<'_, PyAny>, arg: &str, shape: &[usize]) -> PyResult<ArrayD<bool>> {
    let a = as_ndarray(obj, arg)?;
    let kind = a.dtype().kind();
    if !matches!(kind, b'b' | b'i' | b'u') {
        return Err(invalid(arg, "a boolean mask", format!("dtype {}", dtype_str(&a))));
    }
    let found: Vec<usize> = a.shape().to_vec();
    if found != shape {
        return Err(invalid(
            arg,
            format!("a mask of shape {shape:?}"),
            format!("shape {found:?}"),
        ));
    }
    let b = a.call_method1("astype", ("bool",))?;
    let b = b
        .cast::<PyArrayDyn<bool>>()
        .map_err(|_| invalid(arg, "a boolean mask", format!("dtype {}", dtype_str(&a))))?;
    Ok(b.readonly().as_array().to_owned())
}

fn dtype_str(a: &Bound<'_, PyUntypedArray>) -> String {
    a.dtype()
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// An owned array as a NumPy array (no copy).
pub fn to_numpy<'py, T: numpy::Element>(py: Python<'py>, a: ArrayD<T>) -> Bound<'py, PyArrayDyn<T>> {
    PyArrayDyn::from_owned_array(py, a)
}

/// A vector as a 1-D NumPy array.
pub fn vec_to_numpy(py: Python<'_>, v: Vec<f64>) -> Bound<'_, PyArrayDyn<f64>> {
    let n = v.len();
    to_numpy(
        py,
        ArrayD::from_shape_vec(IxDyn(&[n]), v).expect("a vector is a 1-D array"),
    )
}
