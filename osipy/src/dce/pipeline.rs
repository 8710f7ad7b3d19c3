//! The DCE volume pipeline: a model chosen at run time ([`Model`]) fitted to every voxel of a
//! concentration series ([`VolumeFit`]), with named maps out.

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use osipy_kernels::fit::{FitResult, FitStatus, FitValues, LevenbergMarquardt};
use osipy_kernels::{Device, XpArray};

use super::{plasma_curvature, stack_params, AifInterpolation};
use crate::volume::{
    chunks, default_chunk, host_f64, MapKind, Maps, MapsBuilder, Progress, Run, Series, Voxels,
};
use crate::{Error, Result};

/// A pharmacokinetic model of [`VolumeFit`]: each of the five models, without or with a
/// fitted arterial delay (the delay models add `delay`, s, as their last parameter).
///
/// Parsed from the names the `osipy dce` command uses (`tofts`, `extended_tofts` (also
/// `extended-tofts`, `etofts`), `patlak`, `2cxm`, `2cum`), each with `_delay` for the delay
/// variant (`extended_tofts_delay`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// Standard Tofts: ktrans (/min), ve.
    Tofts,
    /// Tofts with a fitted delay.
    ToftsDelay,
    /// Extended Tofts: ktrans (/min), ve, vp.
    ExtendedTofts,
    /// Extended Tofts with a fitted delay.
    ExtendedToftsDelay,
    /// Patlak: ps (/min), vp.
    Patlak,
    /// Patlak with a fitted delay.
    PatlakDelay,
    /// Two-compartment exchange: fp (ml/100ml/min), ps (/min), ve, vp.
    TwoCxm,
    /// Two-compartment exchange with a fitted delay.
    TwoCxmDelay,
    /// Two-compartment uptake: fp (ml/100ml/min), ps (/min), vp.
    TwoCum,
    /// Two-compartment uptake with a fitted delay.
    TwoCumDelay,
}

impl Model {
    /// Every model, each without then with a delay.
    pub const ALL: [Model; 10] = [
        Model::Tofts,
        Model::ToftsDelay,
        Model::ExtendedTofts,
        Model::ExtendedToftsDelay,
        Model::Patlak,
        Model::PatlakDelay,
        Model::TwoCxm,
        Model::TwoCxmDelay,
        Model::TwoCum,
        Model::TwoCumDelay,
    ];

    /// The name (`extended_tofts`, `extended_tofts_delay`, `2cxm`, ..).
    pub fn name(self) -> &'static str {
        match self {
            Model::Tofts => "tofts",
            Model::ToftsDelay => "tofts_delay",
            Model::ExtendedTofts => "extended_tofts",
            Model::ExtendedToftsDelay => "extended_tofts_delay",
            Model::Patlak => "patlak",
            Model::PatlakDelay => "patlak_delay",
            Model::TwoCxm => "2cxm",
            Model::TwoCxmDelay => "2cxm_delay",
            Model::TwoCum => "2cum",
            Model::TwoCumDelay => "2cum_delay",
        }
    }

    /// Whether the arterial delay is fitted.
    pub fn has_delay(self) -> bool {
        self != self.without_delay()
    }

    /// The model without a delay.
    pub fn without_delay(self) -> Model {
        match self {
            Model::Tofts | Model::ToftsDelay => Model::Tofts,
            Model::ExtendedTofts | Model::ExtendedToftsDelay => Model::ExtendedTofts,
            Model::Patlak | Model::PatlakDelay => Model::Patlak,
            Model::TwoCxm | Model::TwoCxmDelay => Model::TwoCxm,
            Model::TwoCum | Model::TwoCumDelay => Model::TwoCum,
        }
    }

    /// The model with (`true`) or without a fitted delay.
    pub fn with_delay(self, delay: bool) -> Model {
        match (self.without_delay(), delay) {
            (m, false) => m,
            (Model::Tofts, true) => Model::ToftsDelay,
            (Model::ExtendedTofts, true) => Model::ExtendedToftsDelay,
            (Model::Patlak, true) => Model::PatlakDelay,
            (Model::TwoCxm, true) => Model::TwoCxmDelay,
            (_, true) => Model::TwoCumDelay,
        }
    }

    /// The fitted parameters, in order (the kernel's `PARAMS`).
    pub fn params(self) -> &'static [&'static str] {
        match self {
            Model::Tofts => &super::tofts::PARAMS,
            Model::ToftsDelay => &super::tofts_delay::PARAMS,
            Model::ExtendedTofts => &super::extended_tofts::PARAMS,
            Model::ExtendedToftsDelay => &super::extended_tofts_delay::PARAMS,
            Model::Patlak => &super::patlak::PARAMS,
            Model::PatlakDelay => &super::patlak_delay::PARAMS,
            Model::TwoCxm => &super::two_cxm::PARAMS,
            Model::TwoCxmDelay => &super::two_cxm_delay::PARAMS,
            Model::TwoCum => &super::two_cum::PARAMS,
            Model::TwoCumDelay => &super::two_cum_delay::PARAMS,
        }
    }

    /// The default lower and upper bounds of the parameters (the kernel's `LOWER`, `UPPER`).
    pub fn bounds(self) -> (&'static [f64], &'static [f64]) {
        match self {
            Model::Tofts => (&super::tofts::LOWER, &super::tofts::UPPER),
            Model::ToftsDelay => (&super::tofts_delay::LOWER, &super::tofts_delay::UPPER),
            Model::ExtendedTofts => (&super::extended_tofts::LOWER, &super::extended_tofts::UPPER),
            Model::ExtendedToftsDelay => (
                &super::extended_tofts_delay::LOWER,
                &super::extended_tofts_delay::UPPER,
            ),
            Model::Patlak => (&super::patlak::LOWER, &super::patlak::UPPER),
            Model::PatlakDelay => (&super::patlak_delay::LOWER, &super::patlak_delay::UPPER),
            Model::TwoCxm => (&super::two_cxm::LOWER, &super::two_cxm::UPPER),
            Model::TwoCxmDelay => (&super::two_cxm_delay::LOWER, &super::two_cxm_delay::UPPER),
            Model::TwoCum => (&super::two_cum::LOWER, &super::two_cum::UPPER),
            Model::TwoCumDelay => (&super::two_cum_delay::LOWER, &super::two_cum_delay::UPPER),
        }
    }

    /// The unit of parameter `name` (`/min`, `ml/100ml/min`, `fraction`, `s`).
    pub fn unit(name: &str) -> &'static str {
        match name {
            "ktrans" | "ps" => "/min",
            "fp" => "ml/100ml/min",
            "delay" => "s",
            _ => "fraction",
        }
    }

    /// The tissue curve (mM) of parameters `q` (in [`Model::params`] order) on `t`, for the
    /// plasma curve `cp` (mM) with second derivatives `cp2` (mM/s²).
    pub fn curve(self, t: &[f64], cp: &[f64], cp2: &[f64], q: &[f64]) -> Result<Vec<f64>> {
        let np = self.params().len();
        if q.len() != np {
            return Err(Error::Invalid {
                function: "Model::curve",
                arg: "q",
                expected: format!("{np} parameters ({})", self.params().join(", ")),
                found: format!("{} values", q.len()),
            });
        }
        let mut out = ndarray::Array2::<f64>::zeros((1, t.len()));
        let p = |i: usize| [q[i]];
        match self {
            Model::Tofts => super::tofts::launch(t, cp, cp2, &p(0), &p(1), &mut out)?,
            Model::ToftsDelay => super::tofts_delay::launch(t, cp, cp2, &p(0), &p(1), &p(2), &mut out)?,
            Model::ExtendedTofts => super::extended_tofts::launch(t, cp, cp2, &p(0), &p(1), &p(2), &mut out)?,
            Model::ExtendedToftsDelay => {
                super::extended_tofts_delay::launch(t, cp, cp2, &p(0), &p(1), &p(2), &p(3), &mut out)?
            }
            Model::Patlak => super::patlak::launch(t, cp, cp2, &p(0), &p(1), &mut out)?,
            Model::PatlakDelay => super::patlak_delay::launch(t, cp, cp2, &p(0), &p(1), &p(2), &mut out)?,
            Model::TwoCxm => super::two_cxm::launch(t, cp, cp2, &p(0), &p(1), &p(2), &p(3), &mut out)?,
            Model::TwoCxmDelay => {
                super::two_cxm_delay::launch(t, cp, cp2, &p(0), &p(1), &p(2), &p(3), &p(4), &mut out)?
            }
            Model::TwoCum => super::two_cum::launch(t, cp, cp2, &p(0), &p(1), &p(2), &mut out)?,
            Model::TwoCumDelay => {
                super::two_cum_delay::launch(t, cp, cp2, &p(0), &p(1), &p(2), &p(3), &mut out)?
            }
        }
        Ok(out.row(0).to_vec())
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Model {
    type Err = Error;

    fn from_str(s: &str) -> Result<Model> {
        let (base, delay) = match s.strip_suffix("_delay") {
            Some(b) => (b, true),
            None => (s, false),
        };
        let m = match base {
            "tofts" => Model::Tofts,
            "extended_tofts" | "extended-tofts" | "etofts" => Model::ExtendedTofts,
            "patlak" => Model::Patlak,
            "2cxm" => Model::TwoCxm,
            "2cum" => Model::TwoCum,
            _ => {
                return Err(Error::Invalid {
                    function: "Model::from_str",
                    arg: "model",
                    expected: "tofts, extended_tofts, patlak, 2cxm or 2cum (with _delay for a fitted delay)"
                        .into(),
                    found: format!("`{s}`"),
                })
            }
        };
        Ok(m.with_delay(delay))
    }
}

/// Where the fit of each voxel starts.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Start {
    /// The model's `*_init` kernel: a linear least-squares fit of the voxel's own curve
    /// (with a delay: the best of a grid of delays, [`VolumeFit::delay_grid`]), clamped into
    /// the bounds. The default.
    #[default]
    DataDriven,
    /// The same values for every voxel (one per parameter).
    Shared(Vec<f64>),
    /// One row per voxel: an array of the series' voxel shape and one more axis of length P.
    PerVoxel(ArrayD<f64>),
}

/// The delays (s) the data-driven start of a delay model tries: -10 to 10 s in steps of 1 s.
pub fn default_delay_grid() -> Vec<f64> {
    (-10..=10).map(f64::from).collect()
}

/// A fit of a DCE model to every voxel of a concentration series: the per-voxel part of a DCE
/// analysis, from concentrations to named parameter and quality maps.
///
/// Set up with the model, the time axis and the **plasma** curve (convert a blood AIF with
/// [`plasma_from_blood`](super::plasma_from_blood); find one with
/// [`detect_aif`](crate::aif::detect_aif) or [`mean_curve`](crate::aif::mean_curve)), then
/// options, then [`VolumeFit::fit`]. The series is `x, y, z, t` (or any number of voxel axes,
/// `items x t` alike), in host memory or on a device. Voxels are fitted in chunks (each a launch
/// of the model's start kernel and of its fit) with a progress callback after each; every voxel
/// is fitted alone, so the maps do not depend on the chunk size, the thread count or the device
/// chosen for the CPU (the emulator gives the CPU's bits).
///
/// The maps: one per parameter (`ktrans`, `ve`, `vp`, `ps`, `fp`, `delay`, with units), then
/// the quality maps `r2`, `chi2` (mM²), `iterations`, `status` ([`FitStatus`] codes) and
/// `at_bound` (bit `a` set when parameter `a` ended on a bound). Outside the mask: NaN
/// parameters, r2 and chi2, 0 iterations, status `Masked` (7), no bound bits.
///
/// ```
/// use ndarray::Array4;
/// use osipy::{aif, dce};
///
/// let t: Vec<f64> = (0..60).map(|i| 4.0 * i as f64).collect();
/// let cp = dce::plasma_from_blood(&aif::parker(&t, 20.0)?, 0.42)?;
/// // A 4 x 4 x 2 volume of extended Tofts curves (here made with the model itself).
/// let curve = dce::Model::ExtendedTofts.curve(&t, &cp, &vec![0.0; 60], &[0.2, 0.3, 0.05])?;
/// let conc = Array4::from_shape_fn((4, 4, 2, 60), |(_, _, _, k)| curve[k]);
///
/// let maps = dce::VolumeFit::new("extended_tofts".parse()?, &t, &cp).fit(&conc)?;
/// let ktrans = maps.get("ktrans").unwrap(); // 4 x 4 x 2, /min
/// assert!((ktrans[[1, 2, 0]] - 0.2).abs() < 1e-6);
/// assert_eq!(maps.map("ktrans").unwrap().unit, "/min");
/// let status = maps.get("status").unwrap()[[0, 0, 1]] as u32; // a FitStatus code
/// assert!(osipy_kernels::fit::FitStatus::from_code(status).is_some_and(|s| s.is_converged()));
/// # Ok::<(), osipy::Error>(())
/// ```
#[derive(Debug)]
pub struct VolumeFit<'a> {
    setup: Setup<'a>,
    run: Run<'a>,
}

/// What the maps depend on.
#[derive(Debug)]
struct Setup<'a> {
    model: Model,
    t: Vec<f64>,
    cp: Vec<f64>,
    interpolation: AifInterpolation,
    mask: Option<ArrayViewD<'a, bool>>,
    start: Start,
    lower: Option<Vec<f64>>,
    upper: Option<Vec<f64>>,
    settings: LevenbergMarquardt,
    delay_grid: Vec<f64>,
}

impl<'a> VolumeFit<'a> {
    crate::volume::run_setters!('a);

    /// A fit of `model` on the time axis `t` (s, strictly increasing, any spacing) with the
    /// plasma curve `cp` (mM, one value per time), taken as straight lines between samples
    /// unless [`VolumeFit::interpolation`] says otherwise.
    pub fn new(model: Model, t: &[f64], cp: &[f64]) -> Self {
        VolumeFit {
            setup: Setup {
                model,
                t: t.to_vec(),
                cp: cp.to_vec(),
                interpolation: AifInterpolation::Linear,
                mask: None,
                start: Start::DataDriven,
                lower: None,
                upper: None,
                settings: LevenbergMarquardt::default(),
                delay_grid: default_delay_grid(),
            },
            run: Run::default(),
        }
    }

    /// How the plasma curve runs between its samples (default linear, the OSIPI convention).
    pub fn interpolation(mut self, how: AifInterpolation) -> Self {
        self.setup.interpolation = how;
        self
    }

    /// Where each voxel's fit starts (default [`Start::DataDriven`]).
    pub fn start(mut self, start: Start) -> Self {
        self.setup.start = start;
        self
    }

    /// Bounds shared by every voxel, one per parameter (default [`Model::bounds`]).
    pub fn bounds(mut self, lower: impl Into<Vec<f64>>, upper: impl Into<Vec<f64>>) -> Self {
        self.setup.lower = Some(lower.into());
        self.setup.upper = Some(upper.into());
        self
    }

    /// Solver settings (default [`LevenbergMarquardt::default`]).
    pub fn settings(mut self, settings: LevenbergMarquardt) -> Self {
        self.setup.settings = settings;
        self
    }

    /// The delays (s) tried by the data-driven start of a delay model (default
    /// [`default_delay_grid`]).
    pub fn delay_grid(mut self, delays: impl Into<Vec<f64>>) -> Self {
        self.setup.delay_grid = delays.into();
        self
    }

    /// The model.
    pub fn model(&self) -> Model {
        self.setup.model
    }

    /// Fits every voxel of the mask of `conc` (mM; voxel axes then time). Errors (nothing is
    /// fitted): a time axis, plasma curve, series, mask, start or bounds of the wrong shape or
    /// value, a mask that selects no voxel, a bad setting, a device that cannot be used.
    /// Per-voxel failures are statuses in the maps.
    pub fn fit<'s>(mut self, conc: impl Into<Series<'s>>) -> Result<Maps> {
        let conc = conc.into();
        let s = &self.setup;
        let (items, nt) = conc.split_shape("VolumeFit::fit", "conc")?;
        if s.t.len() != nt || s.cp.len() != nt {
            return Err(Error::Invalid {
                function: "VolumeFit::fit",
                arg: "conc",
                expected: format!(
                    "{} samples per voxel (the time axis has {}, the plasma curve {})",
                    s.t.len(),
                    s.t.len(),
                    s.cp.len()
                ),
                found: format!("shape {:?}", conc.shape()),
            });
        }
        let cp2 = plasma_curvature(&s.t, &s.cp, s.interpolation)?;
        let np = s.model.params().len();
        for (name, v) in [("lower", &s.lower), ("upper", &s.upper)] {
            if let Some(v) = v {
                if v.len() != np {
                    return Err(Error::Invalid {
                        function: "VolumeFit::bounds",
                        arg: name,
                        expected: format!("{np} values ({})", s.model.params().join(", ")),
                        found: format!("{} values", v.len()),
                    });
                }
            }
        }
        match &s.start {
            Start::Shared(v) if v.len() != np => {
                return Err(Error::Invalid {
                    function: "VolumeFit::start",
                    arg: "start",
                    expected: format!("{np} shared values ({})", s.model.params().join(", ")),
                    found: format!("{} values", v.len()),
                })
            }
            Start::PerVoxel(a) if a.shape().split_last() != Some((&np, &items[..])) => {
                return Err(Error::Invalid {
                    function: "VolumeFit::start",
                    arg: "start",
                    expected: format!("an array of shape {items:?} + [{np}] (voxels x parameters)"),
                    found: format!("shape {:?}", a.shape()),
                })
            }
            _ => {}
        }
        if s.model.has_delay() && s.delay_grid.is_empty() {
            return Err(Error::Invalid {
                function: "VolumeFit::delay_grid",
                arg: "delays",
                expected: "at least one delay".into(),
                found: "none".into(),
            });
        }
        s.settings.validate("VolumeFit::settings")?;
        let voxels = Voxels::new_nonempty("VolumeFit::fit", &items, s.mask.as_ref())?;
        self.run.run("VolumeFit::fit", |device, chunk, progress| {
            s.fit_voxels(&conc, nt, &cp2, &voxels, device, chunk, progress)
        })
    }
}

impl Setup<'_> {
    #[allow(clippy::too_many_arguments)]
    fn fit_voxels(
        &self,
        conc: &Series<'_>,
        nt: usize,
        cp2: &[f64],
        voxels: &Voxels,
        device: Device,
        chunk: Option<usize>,
        progress: &mut Progress<'_>,
    ) -> Result<Maps> {
        let dev = match conc {
            Series::Device(a) => a.placement(),
            Series::Host(_) => device,
        };
        dev.check_available()?;
        let on = |v: &[f64]| -> Result<XpArray<f64>> {
            Ok(XpArray::from_host(
                ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).map_err(|e| Error::Invalid {
                    function: "VolumeFit::fit",
                    arg: "t",
                    expected: "a row".into(),
                    found: e.to_string(),
                })?,
            )
            .to_device(&dev)?)
        };
        let delays = if self.model.has_delay() {
            self.delay_grid.clone()
        } else {
            vec![0.0]
        };
        let ctx = Ctx {
            t: on(&self.t)?,
            cp: on(&self.cp)?,
            cp2: on(cp2)?,
            delays: on(&delays)?,
            lower: self.lower.clone(),
            upper: self.upper.clone(),
            settings: self.settings,
        };
        let np = self.model.params().len();
        // Every map in the order of `column_specs`: column `a < np` is parameter `a`, then
        // r2, chi2, iterations, status, at_bound.
        let builder = |v: Voxels| {
            let mut b = MapsBuilder::new(v);
            for (name, unit, kind, fill) in column_specs(self.model) {
                b.column(name, unit, kind, fill);
            }
            b
        };
        let mut maps = builder(voxels.clone());
        let total = voxels.selected.len();
        progress.report(0, total);
        let store = |maps: &mut MapsBuilder, r: &FitResult, range: std::ops::Range<usize>| -> Result<()> {
            let p = host_f64(&r.params)?;
            let n = range.len();
            if p.len() != n * np {
                return Err(Error::Invalid {
                    function: "VolumeFit::fit",
                    arg: "params",
                    expected: format!("{n} voxels x {np} parameters"),
                    found: format!("{} values", p.len()),
                });
            }
            for a in 0..np {
                let v: Vec<f64> = (0..n).map(|j| p[j * np + a]).collect();
                maps.put(a, range.clone(), &v)?;
            }
            let quality = [
                host_f64(&r.r2)?,
                host_f64(&r.chi2)?,
                host_f64(&r.iterations)?,
                host_f64(&r.status)?,
                host_f64(&r.at_bound)?,
            ];
            for (k, v) in quality.iter().enumerate() {
                maps.put(np + k, range.clone(), v)?;
            }
            Ok(())
        };
        match conc {
            Series::Host(rows) => {
                let chunk = chunk.unwrap_or_else(|| default_chunk(total, dev));
                for range in chunks(total, chunk) {
                    let data = XpArray::from_host(voxels.gather(rows, nt, range.clone())?).to_device(&dev)?;
                    let init = match &self.start {
                        Start::DataDriven => None,
                        Start::Shared(v) => Some(FitValues::Shared(v.clone())),
                        Start::PerVoxel(a) => Some(FitValues::PerVoxel(
                            XpArray::from_host(voxels.gather(&a.view(), np, range.clone())?)
                                .to_device(&dev)?,
                        )),
                    };
                    let r = fit_chunk(self.model, &ctx, &data, init, None)?;
                    store(&mut maps, &r, range.clone())?;
                    progress.report(range.end, total);
                }
            }
            Series::Device(a) => {
                // One launch over every voxel where the series lives; the mask goes there too.
                let n_all = voxels.len_all();
                let data = flat_rows(a, n_all, nt)?;
                let mask = XpArray::from_host(voxels.mask().into_shape_with_order(IxDyn(&[n_all])).map_err(
                    |e| Error::Invalid {
                        function: "VolumeFit::fit",
                        arg: "mask",
                        expected: format!("{n_all} voxels"),
                        found: e.to_string(),
                    },
                )?)
                .to_device(&dev)?;
                let init = match &self.start {
                    Start::DataDriven => None,
                    Start::Shared(v) => Some(FitValues::Shared(v.clone())),
                    Start::PerVoxel(s) => Some(FitValues::PerVoxel(
                        XpArray::from_host(
                            s.to_shape(IxDyn(&[n_all, np]))
                                .map_err(|e| Error::Invalid {
                                    function: "VolumeFit::start",
                                    arg: "start",
                                    expected: format!("{n_all} x {np}"),
                                    found: e.to_string(),
                                })?
                                .to_owned(),
                        )
                        .to_device(&dev)?,
                    )),
                };
                let r = fit_chunk(self.model, &ctx, &data, init, Some(&mask))?;
                // Every voxel came back (the masked ones as the fitter fills them).
                let all = Voxels {
                    shape: voxels.shape.clone(),
                    selected: (0..n_all).collect(),
                };
                let mut full = builder(all);
                store(&mut full, &r, 0..n_all)?;
                let mut done = full.finish()?;
                done.mask = voxels.mask();
                progress.report(total, total);
                return Ok(done);
            }
        }
        maps.finish()
    }
}

/// `(name, unit, kind, fill outside the mask)` of every map of `model`, in order.
fn column_specs(model: Model) -> Vec<(&'static str, &'static str, MapKind, f64)> {
    let mut v: Vec<_> = model
        .params()
        .iter()
        .map(|n| (*n, Model::unit(n), MapKind::Parameter, f64::NAN))
        .collect();
    v.extend([
        ("r2", "", MapKind::Quality, f64::NAN),
        ("chi2", "mM^2", MapKind::Quality, f64::NAN),
        ("iterations", "", MapKind::Quality, 0.0),
        (
            "status",
            "code",
            MapKind::Quality,
            f64::from(FitStatus::Masked as u32),
        ),
        ("at_bound", "bits", MapKind::Quality, 0.0),
    ]);
    v
}

/// A device series as voxels x samples on its device.
fn flat_rows(a: &XpArray<f64>, n_all: usize, nt: usize) -> Result<XpArray<f64>> {
    if a.shape() == [n_all, nt] {
        return Ok(a.clone());
    }
    let dev = a.placement();
    let h = a.to_host()?;
    let h = h
        .into_shape_with_order(IxDyn(&[n_all, nt]))
        .map_err(|e| Error::Invalid {
            function: "VolumeFit::fit",
            arg: "conc",
            expected: format!("{n_all} voxels x {nt}"),
            found: e.to_string(),
        })?;
    Ok(XpArray::from_host(h).to_device(&dev)?)
}

/// The model's inputs on the fit's device, and the fit's settings.
struct Ctx {
    t: XpArray<f64>,
    cp: XpArray<f64>,
    cp2: XpArray<f64>,
    delays: XpArray<f64>,
    lower: Option<Vec<f64>>,
    upper: Option<Vec<f64>>,
    settings: LevenbergMarquardt,
}

macro_rules! fit_model {
    ($c:expr, $data:expr, $init:expr, $mask:expr, $m:ident, $start:ident, $delay:literal, ($($p:ident),+)) => {{
        let init: FitValues = match $init {
            Some(v) => v,
            None => {
                let ($($p,)+ d0, _rss) = super::$start::launch(&$c.t, &$c.cp, $data, &$c.delays)?;
                let cols: Vec<&XpArray<f64>> = if $delay { vec![$(&$p,)+ &d0] } else { vec![$(&$p),+] };
                stack_params(&cols)?.into()
            }
        };
        let mut f = super::$m::fitter(&$c.t, &$c.cp, &$c.cp2).settings($c.settings).init(init);
        if let Some(l) = &$c.lower {
            f = f.lower(l.clone());
        }
        if let Some(u) = &$c.upper {
            f = f.upper(u.clone());
        }
        match $mask {
            Some(m) => f.fit_masked($data, m)?,
            None => f.fit($data)?,
        }
    }};
}

/// One launch of the start kernel (unless `init` is given) and one of the fit.
fn fit_chunk(
    model: Model,
    c: &Ctx,
    data: &XpArray<f64>,
    init: Option<FitValues>,
    mask: Option<&XpArray<bool>>,
) -> Result<FitResult> {
    Ok(match model {
        Model::Tofts => fit_model!(c, data, init, mask, tofts, tofts_init, false, (a, b)),
        Model::ToftsDelay => fit_model!(c, data, init, mask, tofts_delay, tofts_init, true, (a, b)),
        Model::ExtendedTofts => {
            fit_model!(
                c,
                data,
                init,
                mask,
                extended_tofts,
                extended_tofts_init,
                false,
                (a, b, e)
            )
        }
        Model::ExtendedToftsDelay => fit_model!(
            c,
            data,
            init,
            mask,
            extended_tofts_delay,
            extended_tofts_init,
            true,
            (a, b, e)
        ),
        Model::Patlak => fit_model!(c, data, init, mask, patlak, patlak_init, false, (a, b)),
        Model::PatlakDelay => fit_model!(c, data, init, mask, patlak_delay, patlak_init, true, (a, b)),
        Model::TwoCxm => fit_model!(c, data, init, mask, two_cxm, two_cxm_init, false, (a, b, e, g)),
        Model::TwoCxmDelay => {
            fit_model!(
                c,
                data,
                init,
                mask,
                two_cxm_delay,
                two_cxm_init,
                true,
                (a, b, e, g)
            )
        }
        Model::TwoCum => fit_model!(c, data, init, mask, two_cum, two_cum_init, false, (a, b, e)),
        Model::TwoCumDelay => fit_model!(c, data, init, mask, two_cum_delay, two_cum_init, true, (a, b, e)),
    })
}
