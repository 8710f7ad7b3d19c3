//! Input checks and array placement shared by [`crate::conc`] and [`crate::t1`].

use ndarray::{ArrayD, IxDyn};
use osipy_kernels::{Device, Element, IntoXpRef, XpArray, XpRef};

use super::VoxelValue;
use crate::{Error, Result};

/// An `Error::Invalid`.
pub(crate) fn invalid(
    function: &'static str,
    arg: &'static str,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> Error {
    Error::Invalid {
        function,
        arg,
        expected: expected.into(),
        found: found.into(),
    }
}

/// The item axes and the row length of a curves array (items x samples).
pub(crate) fn curves_shape(
    function: &'static str,
    arg: &'static str,
    shape: &[usize],
) -> Result<(Vec<usize>, usize)> {
    match shape.split_last() {
        Some((n, items)) => Ok((items.to_vec(), *n)),
        None => Err(invalid(
            function,
            arg,
            "an array of voxels x samples (at least 1-D: the last axis is the row)",
            "a 0-d array",
        )),
    }
}

/// Checks that a scalar is finite and positive.
pub(crate) fn positive(function: &'static str, arg: &'static str, v: f64, unit: &str) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            function,
            arg,
            format!("a finite value > 0 ({unit})"),
            v.to_string(),
        ))
    }
}

/// A host array placed on `device`.
pub(crate) fn place<T: Element>(a: ArrayD<T>, device: Device) -> Result<XpArray<T>> {
    let a = XpArray::from_host(a);
    if device == Device::Cpu {
        Ok(a)
    } else {
        Ok(a.to_device(&device)?)
    }
}

/// A zero-filled array of `shape` on `device`.
pub(crate) fn zeros(shape: &[usize], device: Device) -> Result<XpArray<f64>> {
    place(ArrayD::zeros(IxDyn(shape)), device)
}

/// A per-voxel input ready to launch: borrowed from the caller, or made here (a uniform
/// value broadcast to the voxels, on the data's device).
pub(crate) enum Held<'a> {
    Borrowed(XpRef<'a, f64>),
    Owned(XpArray<f64>),
}

impl Held<'_> {
    /// The array as a launch argument.
    pub(crate) fn xp(&self) -> XpRef<'_, f64> {
        match self {
            Held::Borrowed(r) => r.into_xp_ref(),
            Held::Owned(a) => a.into_xp_ref(),
        }
    }
}

/// A uniform row (flip angles, times) placed on `device`.
pub(crate) fn row(v: &[f64], device: Device) -> Result<XpArray<f64>> {
    place(
        ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap_or_default(),
        device,
    )
}

/// A [`VoxelValue`] as an array of the voxels' shape on `device`: a map is checked (shape,
/// placement); a uniform value is checked with `uniform_ok` and broadcast.
pub(crate) fn voxel_map<'a>(
    function: &'static str,
    arg: &'static str,
    v: &'a VoxelValue<'_>,
    items: &[usize],
    device: Device,
    uniform_ok: impl Fn(f64) -> std::result::Result<(), String>,
) -> Result<Held<'a>> {
    match v {
        VoxelValue::Uniform(x) => {
            uniform_ok(*x).map_err(|expected| invalid(function, arg, expected, x.to_string()))?;
            Ok(Held::Owned(place(ArrayD::from_elem(IxDyn(items), *x), device)?))
        }
        VoxelValue::Map(m) => {
            if m.shape() != items {
                return Err(invalid(
                    function,
                    arg,
                    format!("a map of shape {items:?} (the data's voxel axes)"),
                    format!("shape {:?}", m.shape()),
                ));
            }
            if m.placement() != device {
                return Err(invalid(
                    function,
                    arg,
                    format!("a map on {} (where the data is)", device),
                    format!("a map on {}", m.placement()),
                ));
            }
            Ok(Held::Borrowed(m.into_xp_ref()))
        }
    }
}
