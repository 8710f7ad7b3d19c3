//! The IVIM volume pipeline: a diffusion series and its b-values in, named maps out.

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use osipy_kernels::fit::{FitResult, LevenbergMarquardt};
use osipy_kernels::{Device, XpArray};

use super::{kernels, Acquisition, Bounds, IvimStatus, Method, Rician, BAYES_NODES, B_THRESHOLD};
use crate::volume::{
    chunks, default_chunk, host_f64, MapKind, Maps, MapsBuilder, Progress, Run, Series, Voxels,
};
use crate::{Error, Result};

const FUNCTION: &str = "ivim::Fit::fit";

/// IVIM maps of every voxel of a diffusion series: the per-voxel part of an IVIM analysis.
///
/// The series is `x, y, z, volumes` (or any number of voxel axes), one volume per entry of
/// the b-values (several directions of one b-value and several b = 0 volumes are combined,
/// see [`Acquisition`]), in host memory or on a device. Voxels are computed in chunks with a
/// progress callback after each; every voxel is alone, so the maps do not depend on the chunk
/// size, the thread count, the mask or the device.
///
/// The maps: `d`, `dstar` (mm²/s), `f`, `s0` (the input's units), `fdstar` (f·D*, mm²/s),
/// `status` ([`IvimStatus`] codes); the Bayesian method adds the posterior SDs `d_sd`,
/// `dstar_sd`, `f_sd`, `s0_sd` (its `fdstar` is the posterior mean of the product); the full
/// fit adds `r2`, `chi2` (of the samples divided by the b = 0 mean), `iterations` and
/// `at_bound` (bit `a` set when parameter `a` of `[s0, f, d, dstar]` ended on a bound).
/// Outside the mask every map is NaN and the status is `Masked` (7).
///
/// ```
/// use ndarray::Array2;
/// use osipy::ivim;
///
/// let b = [0.0, 10.0, 20.0, 50.0, 100.0, 200.0, 400.0, 600.0, 800.0, 1000.0];
/// let s = |b: f64| 500.0 * (0.1 * (-b * 0.03f64).exp() + 0.9 * (-b * 1.2e-3f64).exp());
/// let signal = Array2::from_shape_fn((4, b.len()), |(_, k)| s(b[k]));
/// let maps = ivim::Fit::new("full".parse()?, b).fit(&signal)?;
/// assert!((maps.get("d").unwrap()[2] - 1.2e-3).abs() < 1e-9);
/// assert!((maps.get("s0").unwrap()[0] - 500.0).abs() < 1e-6);
/// # Ok::<(), osipy::Error>(())
/// ```
#[derive(Debug)]
pub struct Fit<'a> {
    setup: Setup<'a>,
    run: Run<'a>,
}

#[derive(Debug)]
struct Setup<'a> {
    method: Method,
    b: Vec<f64>,
    vectors: Option<Vec<[f64; 3]>>,
    threshold: f64,
    steps: u32,
    bounds: Bounds,
    rician: Rician,
    nodes: u32,
    normalise: bool,
    settings: LevenbergMarquardt,
    mask: Option<ArrayViewD<'a, bool>>,
}

impl<'a> Fit<'a> {
    crate::volume::run_setters!('a);

    /// An IVIM mapping with `method`: one b-value (s/mm²) per volume of the series.
    pub fn new(method: Method, b_values: impl Into<Vec<f64>>) -> Self {
        Fit {
            setup: Setup {
                method,
                b: b_values.into(),
                vectors: None,
                threshold: B_THRESHOLD,
                steps: 3,
                bounds: Bounds::default(),
                rician: Rician::None,
                nodes: BAYES_NODES,
                normalise: true,
                settings: LevenbergMarquardt::new().max_iterations(200),
                mask: None,
            },
            run: Run::default(),
        }
    }

    /// The b-vectors (one per volume), checked against the b-values.
    pub fn vectors(mut self, vectors: impl Into<Vec<[f64; 3]>>) -> Self {
        self.setup.vectors = Some(vectors.into());
        self
    }

    /// The b-value (s/mm²) from which the segmented fit takes D (default [`B_THRESHOLD`]).
    pub fn threshold(mut self, b: f64) -> Self {
        self.setup.threshold = b;
        self
    }

    /// Steps of the segmented fit, 2 or 3 (default 3; see [`kernels::ivim_segmented`](fn@kernels::ivim_segmented)).
    pub fn steps(mut self, steps: u32) -> Self {
        self.setup.steps = steps;
        self
    }

    /// The parameter bounds (default [`Bounds::default`]).
    pub fn bounds(mut self, bounds: Bounds) -> Self {
        self.setup.bounds = bounds;
        self
    }

    /// The handling of the Rician noise floor (default none).
    pub fn rician(mut self, rician: Rician) -> Self {
        self.setup.rician = rician;
        self
    }

    /// Quadrature nodes per axis of the Bayesian posterior (1 to 64; default [`BAYES_NODES`]).
    pub fn nodes(mut self, nodes: u32) -> Self {
        self.setup.nodes = nodes;
        self
    }

    /// Whether each voxel's samples are divided by its mean b = 0 signal before the fits
    /// (default true; the S0 bounds are then relative to it). With false the S0 bounds are in
    /// the input's units.
    pub fn normalise(mut self, normalise: bool) -> Self {
        self.setup.normalise = normalise;
        self
    }

    /// The full fit's solver settings (default: 200 iterations, otherwise
    /// [`LevenbergMarquardt::new`]).
    pub fn settings(mut self, settings: LevenbergMarquardt) -> Self {
        self.setup.settings = settings;
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.setup.method
    }

    /// Maps every voxel of the mask of `signal` (voxel axes, then one value per volume).
    /// Errors (nothing is computed): b-values that are not valid ([`Acquisition::new`]),
    /// volumes and b-values of different counts, b-vectors that do not match, a threshold
    /// with fewer than two b-values at or above it, bad bounds or settings, a mask of another
    /// shape or selecting nothing, a device that cannot be used. Per-voxel failures are
    /// statuses in the maps.
    pub fn fit<'s>(mut self, signal: impl Into<Series<'s>>) -> Result<Maps> {
        let signal = signal.into();
        let s = &self.setup;
        let acq = Acquisition::new(FUNCTION, &s.b)?;
        if let Some(v) = &s.vectors {
            acq.check_vectors(FUNCTION, v)?;
        }
        let (items, nv) = signal.split_shape(FUNCTION, "signal")?;
        if nv != s.b.len() {
            return Err(Error::Invalid {
                function: FUNCTION,
                arg: "signal",
                expected: format!("{} volumes (one per b-value)", s.b.len()),
                found: format!("shape {:?}", signal.shape()),
            });
        }
        let above = acq.b.iter().filter(|b| **b >= s.threshold).count();
        if !(s.threshold.is_finite() && s.threshold > 0.0) || above < 2 {
            return Err(Error::Invalid {
                function: FUNCTION,
                arg: "threshold",
                expected: "a b-value > 0 with at least two b-values at or above it".into(),
                found: format!("{} ({above} b-values at or above)", s.threshold),
            });
        }
        if !(s.steps == 2 || s.steps == 3) {
            return Err(Error::Invalid {
                function: FUNCTION,
                arg: "steps",
                expected: "2 or 3".into(),
                found: format!("{}", s.steps),
            });
        }
        if !(1..=64).contains(&s.nodes) {
            return Err(Error::Invalid {
                function: FUNCTION,
                arg: "nodes",
                expected: "1 to 64 nodes per axis".into(),
                found: format!("{}", s.nodes),
            });
        }
        let sigma = s.rician.sigma();
        if !(sigma.is_finite() && sigma >= 0.0) {
            return Err(Error::Invalid {
                function: FUNCTION,
                arg: "rician",
                expected: "a noise SD >= 0".into(),
                found: format!("{sigma}"),
            });
        }
        s.bounds.check(FUNCTION)?;
        s.settings.validate("ivim::ivim::fit")?;
        let voxels = Voxels::new_nonempty(FUNCTION, &items, s.mask.as_ref())?;
        self.run.run(FUNCTION, |device, chunk, progress| {
            s.map_voxels(&signal, nv, &acq, &voxels, device, chunk, progress)
        })
    }
}

/// `(name, unit, kind, values)` of one chunk, in output order.
type Column = (&'static str, &'static str, MapKind, Vec<f64>);

fn row(v: &[f64], dev: &Device) -> Result<XpArray<f64>> {
    let a = ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).map_err(shape_err)?;
    Ok(XpArray::from_host(a).to_device(dev)?)
}

fn zeros(shape: &[usize], dev: &Device) -> Result<XpArray<f64>> {
    Ok(XpArray::from_host(ArrayD::zeros(IxDyn(shape))).to_device(dev)?)
}

fn shape_err(e: ndarray::ShapeError) -> Error {
    Error::Invalid {
        function: FUNCTION,
        arg: "signal",
        expected: "voxels x volumes".into(),
        found: e.to_string(),
    }
}

/// Uniform rows of a run, on its device.
struct Rows {
    b: XpArray<f64>,
    group: XpArray<f64>,
    lower: XpArray<f64>,
    upper: XpArray<f64>,
}

impl Setup<'_> {
    #[allow(clippy::too_many_arguments)]
    fn map_voxels(
        &self,
        signal: &Series<'_>,
        nv: usize,
        acq: &Acquisition,
        voxels: &Voxels,
        device: Device,
        chunk: Option<usize>,
        progress: &mut Progress<'_>,
    ) -> Result<Maps> {
        // A device series is read back once and fitted chunk by chunk on its device.
        let (dev, owned) = match signal {
            Series::Host(_) => (device, None),
            Series::Device(a) => (a.placement(), Some(a.to_host()?)),
        };
        let rows: ArrayViewD<'_, f64> = match (signal, &owned) {
            (_, Some(h)) => h.view(),
            (Series::Host(r), None) => r.view(),
            (Series::Device(_), None) => unreachable_view()?,
        };
        dev.check_available()?;
        let uniform = Rows {
            b: row(&acq.b, &dev)?,
            group: row(&acq.group.iter().map(|g| *g as f64).collect::<Vec<_>>(), &dev)?,
            lower: row(&self.bounds.lower, &dev)?,
            upper: row(&self.bounds.upper, &dev)?,
        };
        let total = voxels.selected.len();
        let mut maps = MapsBuilder::new(voxels.clone());
        let masked = f64::from(IvimStatus::Masked.code());
        progress.report(0, total);
        let chunk = chunk.unwrap_or_else(|| default_chunk(total, dev));
        for range in chunks(total, chunk) {
            let part = XpArray::from_host(voxels.gather(&rows, nv, range.clone())?).to_device(&dev)?;
            for (name, unit, kind, v) in self.chunk_maps(&part, acq, &uniform, &dev)? {
                let fill = match name {
                    "status" => masked,
                    "iterations" | "at_bound" => 0.0,
                    _ => f64::NAN,
                };
                let c = maps.column(name, unit, kind, fill);
                maps.put(c, range.clone(), &v)?;
            }
            progress.report(range.end, total);
        }
        maps.finish()
    }

    /// The maps of the voxels `part` (voxels x volumes, on `dev`), in output order.
    fn chunk_maps(
        &self,
        part: &XpArray<f64>,
        acq: &Acquisition,
        u: &Rows,
        dev: &Device,
    ) -> Result<Vec<Column>> {
        let n = part.shape()[0];
        let ng = acq.b.len();
        let sigma = self.rician.sigma();
        let b0 = acq.b0_group() as f64;
        // The samples the fits see (corrected unless there is no Rician handling) and, for the
        // noise-floor model, the uncorrected ones.
        let mut y = zeros(&[n, ng], dev)?;
        let mut scale = zeros(&[n], dev)?;
        let correction = if sigma > 0.0 { 2.0 * sigma * sigma } else { 0.0 };
        let prep = kernels::ivim_prepare::launch(
            &u.group,
            b0,
            correction,
            self.normalise,
            part,
            &mut y,
            &mut scale,
        )?;
        let prep = host_f64(&prep)?;
        let scale_h = host_f64(&scale)?;
        let mut p = zeros(&[n, 4], dev)?;
        let seg_status = kernels::ivim_segmented::launch(
            &u.b,
            self.threshold,
            if self.method == Method::Segmented {
                self.steps
            } else {
                1
            },
            &u.lower,
            &u.upper,
            &y,
            &mut p,
        )?;
        let mut status = host_f64(&seg_status)?;
        let mut cols: Vec<Column> = Vec::new();
        let par = MapKind::Parameter;
        let q = MapKind::Quality;
        let mut quality: Vec<Column> = Vec::new();
        let (params, sds) = match self.method {
            Method::Segmented => (host_f64(&p)?, None),
            Method::Full | Method::Bayesian => {
                let r = self.full_fit(part, &y, p, &scale_h, u, dev)?;
                let fit_status: Vec<f64> = host_f64(&r.status)?
                    .iter()
                    .map(|c| match *c as u32 {
                        1..=3 => 1.0,
                        4 | 6 | 10 => 2.0,
                        5 => 4.0,
                        _ => 3.0,
                    })
                    .collect();
                if self.method == Method::Full {
                    status = fit_status;
                    quality.push(("r2", "", q, host_f64(&r.r2)?));
                    quality.push(("chi2", "", q, host_f64(&r.chi2)?));
                    quality.push(("iterations", "", q, host_f64(&r.iterations)?));
                    quality.push(("at_bound", "", q, host_f64(&r.at_bound)?));
                    (host_f64(&r.params)?, None)
                } else {
                    let mut mean = zeros(&[n, 5], dev)?;
                    let mut sd = zeros(&[n, 4], dev)?;
                    let bs = kernels::ivim_bayes::launch(
                        &u.b, &u.lower, &u.upper, self.nodes, &y, &r.params, &mut mean, &mut sd,
                    )?;
                    status = host_f64(&bs)?
                        .iter()
                        .zip(&fit_status)
                        .map(|(b, f)| {
                            if *b == 1.0 {
                                1.0
                            } else if *f == 4.0 {
                                4.0
                            } else {
                                3.0
                            }
                        })
                        .collect();
                    (host_f64(&mean)?, Some(host_f64(&sd)?))
                }
            }
        };
        let width = if sds.is_some() { 5 } else { 4 };
        let ok = |i: usize, st: &[f64]| prep[i] == 1.0 && (st[i] == 1.0 || st[i] == 2.0);
        let final_status: Vec<f64> = (0..n)
            .map(|i| if prep[i] != 1.0 { prep[i] } else { status[i] })
            .collect();
        let pick = |a: usize, mult: bool| -> Vec<f64> {
            (0..n)
                .map(|i| {
                    if ok(i, &final_status) {
                        let v = params[i * width + a];
                        if mult {
                            v * scale_h[i]
                        } else {
                            v
                        }
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        };
        let (s0, f, d, dstar) = (pick(0, true), pick(1, false), pick(2, false), pick(3, false));
        let fdstar: Vec<f64> = if width == 5 {
            pick(4, false)
        } else {
            f.iter().zip(&dstar).map(|(a, b)| a * b).collect()
        };
        cols.push(("d", "mm^2/s", par, d));
        cols.push(("dstar", "mm^2/s", par, dstar));
        cols.push(("f", "", par, f));
        cols.push(("s0", "a.u.", par, s0));
        cols.push(("fdstar", "mm^2/s", par, fdstar));
        if let Some(sd) = sds {
            let sd_of = |a: usize, mult: bool| -> Vec<f64> {
                (0..n)
                    .map(|i| {
                        if ok(i, &final_status) {
                            sd[i * 4 + a] * if mult { scale_h[i] } else { 1.0 }
                        } else {
                            f64::NAN
                        }
                    })
                    .collect()
            };
            cols.push(("d_sd", "mm^2/s", par, sd_of(2, false)));
            cols.push(("dstar_sd", "mm^2/s", par, sd_of(3, false)));
            cols.push(("f_sd", "", par, sd_of(1, false)));
            cols.push(("s0_sd", "a.u.", par, sd_of(0, true)));
        }
        cols.push(("status", "code", q, final_status));
        cols.extend(quality);
        Ok(cols)
    }

    /// The full fit of `y` from the segmented start `start`.
    fn full_fit(
        &self,
        part: &XpArray<f64>,
        y: &XpArray<f64>,
        start: XpArray<f64>,
        scale: &[f64],
        u: &Rows,
        dev: &Device,
    ) -> Result<FitResult> {
        let lower = self.bounds.lower.to_vec();
        let upper = self.bounds.upper.to_vec();
        match self.rician {
            Rician::Floor { sigma } if sigma > 0.0 => {
                // The floor model fits the uncorrected samples.
                let n = part.shape()[0];
                let mut raw = zeros(&[n, u.b.shape()[0]], dev)?;
                let mut sc = zeros(&[n], dev)?;
                kernels::ivim_prepare::launch(&u.group, 0.0, 0.0, self.normalise, part, &mut raw, &mut sc)?;
                let sig: Vec<f64> = scale.iter().map(|s| sigma / s).collect();
                let sig = row(&sig, dev)?;
                Ok(kernels::ivim_floor::fitter(&u.b, &sig)
                    .settings(self.settings)
                    .lower(lower)
                    .upper(upper)
                    .init(start)
                    .fit(&raw)?)
            }
            _ => Ok(kernels::ivim::fitter(&u.b)
                .settings(self.settings)
                .lower(lower)
                .upper(upper)
                .init(start)
                .fit(y)?),
        }
    }
}

fn unreachable_view<'v>() -> Result<ArrayViewD<'v, f64>> {
    Err(Error::Invalid {
        function: FUNCTION,
        arg: "signal",
        expected: "a series".into(),
        found: "none".into(),
    })
}
