//! Arterial input functions: population models (`osipy::aif::PopulationAif`) and automatic
//! detection (`osipy::aif::detect_aif`), the latter also in two steps (per-voxel features of a
//! block, then the selection over the whole volume) for Dask.

use ndarray::{Array3, ArrayD, IxDyn};
use numpy::PyArrayDyn;
use osipy::aif::detect::{check_options, rank, AifFeatures};
use osipy::aif::features::aif_curve_features;
use osipy::aif::{detect_aif, AifDetectOptions, PopulationAif};
use pyo3::prelude::*;

use crate::convert::{finite_vector, floats, mask, to_numpy, vec_to_numpy};
use crate::errors::{invalid, IntoPy};

/// A voxel's (x, y, z) index.
type Voxel = (usize, usize, usize);

/// What `aif_detect` returns: the AIF, the selected voxels, their scores, the candidate count
/// and the feature maps.
type Detection<'py> = (
    Bound<'py, PyArrayDyn<f64>>,
    Vec<Voxel>,
    Vec<f64>,
    usize,
    FeatureMaps<'py>,
);

/// The six feature maps, in the order (peak, ttp, fwhm, auc, roughness, score).
type FeatureMaps<'py> = Vec<Bound<'py, PyArrayDyn<f64>>>;

/// The concentration (mM; blood for Parker, Georgiou and McGrath, plasma for Weinmann and
/// Fritz-Hansen) of population model `name` at `time` (s) for a bolus delayed by `delay` (s),
/// with the model's compartment and reference.
#[pyfunction]
#[pyo3(signature = (name, time, delay=0.0))]
fn aif_population<'py>(
    py: Python<'py>,
    name: &str,
    time: &Bound<'py, PyAny>,
    delay: f64,
) -> PyResult<(Bound<'py, PyArrayDyn<f64>>, &'static str, &'static str)> {
    let model: PopulationAif = name.parse().map_err(|_| {
        invalid(
            "aif_type",
            "one of parker, georgiou, mcgrath, weinmann, fritz_hansen",
            format!("'{name}'"),
        )
    })?;
    if !delay.is_finite() {
        return Err(invalid("delay", "a finite delay in seconds", delay));
    }
    let t = crate::convert::vector(time, "t")?;
    let c = py.detach(|| model.evaluate(&t, delay)).py()?;
    let compartment = match model.compartment() {
        osipy::aif::AifCompartment::Blood => "blood",
        osipy::aif::AifCompartment::Plasma => "plasma",
    };
    Ok((vec_to_numpy(py, c), compartment, model.reference()))
}

fn options(
    n_voxels: usize,
    baseline_points: usize,
    auc_keep: f64,
    roughness_discard: f64,
    min_relative_peak: f64,
) -> PyResult<AifDetectOptions> {
    let o = AifDetectOptions {
        n_voxels,
        baseline_points,
        auc_keep,
        roughness_discard,
        min_relative_peak,
    };
    check_options(&o).py()?;
    Ok(o)
}

fn features_out(py: Python<'_>, f: AifFeatures) -> FeatureMaps<'_> {
    [f.peak, f.ttp, f.fwhm, f.auc, f.roughness, f.score]
        .into_iter()
        .map(|a| to_numpy(py, a.into_dyn()))
        .collect()
}

/// Automatic AIF detection in `concentration` (mM, x, y, z, t) within `mask` (x, y, z) with
/// sample times `time` (s): the AIF, the selected voxels, their scores, the candidate count and
/// the feature maps.
#[pyfunction]
#[pyo3(signature = (concentration, time, mask=None, n_voxels=5, baseline_points=3, auc_keep=0.10,
    roughness_discard=0.25, min_relative_peak=0.5))]
#[allow(clippy::too_many_arguments)]
fn aif_detect<'py>(
    py: Python<'py>,
    concentration: &Bound<'py, PyAny>,
    time: &Bound<'py, PyAny>,
    mask: Option<&Bound<'py, PyAny>>,
    n_voxels: usize,
    baseline_points: usize,
    auc_keep: f64,
    roughness_discard: f64,
    min_relative_peak: f64,
) -> PyResult<Detection<'py>> {
    let opts = options(
        n_voxels,
        baseline_points,
        auc_keep,
        roughness_discard,
        min_relative_peak,
    )?;
    let conc = crate::convert::floats_nd(concentration, "concentration", 4)?;
    let t = finite_vector(time, "time")?;
    let shape = conc.shape();
    let m = match mask {
        Some(m) => self::mask(m, "mask", &shape[..3])?,
        None => ArrayD::from_elem(IxDyn(&shape[..3]), true),
    };
    let view = conc.view();
    let d = py.detach(|| detect_aif(&t, &view, &m, &opts)).py()?;
    let voxels = d.voxels.iter().map(|q| (q[0], q[1], q[2])).collect();
    Ok((
        vec_to_numpy(py, d.aif),
        voxels,
        d.scores,
        d.candidates,
        features_out(py, d.features),
    ))
}

/// The per-voxel features of AIF detection (the kernel `aif_curve_features`) of a block of
/// `concentration` (voxel axes, then time): six maps of the block's voxel shape, NaN outside
/// `mask`. Each voxel's features depend on its own curve only, so blocks give the whole
/// volume's values.
#[pyfunction]
#[pyo3(signature = (concentration, time, mask=None, baseline_points=3))]
fn aif_features<'py>(
    py: Python<'py>,
    concentration: &Bound<'py, PyAny>,
    time: &Bound<'py, PyAny>,
    mask: Option<&Bound<'py, PyAny>>,
    baseline_points: usize,
) -> PyResult<FeatureMaps<'py>> {
    let conc = floats(concentration, "concentration")?;
    let t = finite_vector(time, "time")?;
    let shape = conc.shape();
    if shape.is_empty() {
        return Err(invalid("concentration", "voxel axes then time", "a 0-D array"));
    }
    let vshape = shape[..shape.len() - 1].to_vec();
    let m = match mask {
        Some(m) => self::mask(m, "mask", &vshape)?,
        None => ArrayD::from_elem(IxDyn(&vshape), true),
    };
    let view = conc.view();
    let out = py
        .detach(|| -> osipy::Result<Vec<ArrayD<f64>>> {
            let f = aif_curve_features::launch(&t, &view, &m, baseline_points)?;
            [f.0, f.1, f.2, f.3, f.4, f.5]
                .into_iter()
                .map(|a| {
                    let v: Vec<f64> = a.into_host()?.into_iter().collect();
                    ArrayD::from_shape_vec(IxDyn(&vshape), v).map_err(|e| osipy::Error::Invalid {
                        function: "aif_features",
                        arg: "concentration",
                        expected: "voxel axes then time".into(),
                        found: e.to_string(),
                    })
                })
                .collect()
        })
        .py()?;
    Ok(out.into_iter().map(|a| to_numpy(py, a)).collect())
}

/// The selection of AIF detection (`osipy::aif::detect::rank`) over the feature maps of the
/// whole volume (x, y, z each): the chosen voxels, best first, and the candidate count.
#[pyfunction]
#[pyo3(signature = (features, n_voxels=5, baseline_points=3, auc_keep=0.10,
    roughness_discard=0.25, min_relative_peak=0.5))]
fn aif_select(
    features: Vec<Bound<'_, PyAny>>,
    n_voxels: usize,
    baseline_points: usize,
    auc_keep: f64,
    roughness_discard: f64,
    min_relative_peak: f64,
) -> PyResult<(Vec<Voxel>, usize)> {
    let opts = options(
        n_voxels,
        baseline_points,
        auc_keep,
        roughness_discard,
        min_relative_peak,
    )?;
    if features.len() != 6 {
        return Err(invalid(
            "features",
            "six maps (peak, ttp, fwhm, auc, roughness, score)",
            features.len(),
        ));
    }
    let mut maps = Vec::with_capacity(6);
    for f in &features {
        let a = crate::convert::floats_nd(f, "features", 3)?.view().to_owned();
        let s = a.shape().to_vec();
        let a3: Array3<f64> = a
            .into_dimensionality()
            .map_err(|_| invalid("features", "3-D maps", format!("shape {s:?}")))?;
        if let Some(first) = maps.first() {
            let first: &Array3<f64> = first;
            if first.shape() != a3.shape() {
                return Err(invalid(
                    "features",
                    format!("maps of one shape {:?}", first.shape()),
                    format!("shape {:?}", a3.shape()),
                ));
            }
        }
        maps.push(a3);
    }
    let mut it = maps.into_iter();
    let mut next = || it.next().expect("six maps");
    let f = AifFeatures {
        peak: next(),
        ttp: next(),
        fwhm: next(),
        auc: next(),
        roughness: next(),
        score: next(),
    };
    let r = rank(&f, &opts);
    Ok((
        r.chosen.iter().map(|q| (q[0], q[1], q[2])).collect(),
        r.candidates,
    ))
}

/// Adds the AIF functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(aif_population, m)?)?;
    m.add_function(wrap_pyfunction!(aif_detect, m)?)?;
    m.add_function(wrap_pyfunction!(aif_features, m)?)?;
    m.add_function(wrap_pyfunction!(aif_select, m)?)?;
    Ok(())
}
