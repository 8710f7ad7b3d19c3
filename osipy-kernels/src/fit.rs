//! Fitting models: settings, initial values and bounds, results and statuses.
//!
//! A function marked `#[xp_kernel(model)]` with `#[param]` on its fitted `f64` arguments and one
//! output row (the prediction) gets, besides its `launch`:
//!
//! - `model::fitter(inputs..)`: binds the model's other inputs (uniform rows such as the time
//!   axis and the AIF, per-voxel maps) and returns a `model::Fitter`, configured with
//!   [`LevenbergMarquardt`] settings, initial values, bounds and weights ([`FitValues`]:
//!   shared or per voxel), whose `fit(data)` / `fit_masked(data, mask)` return a
//!   [`FitResult`] placed where the data lives;
//! - `model::jacobian::launch(..)`: the model's prediction and its derivative rows
//!   (`jacobian[k * P + a] = d pred[k] / d p_a`), derived by the macro;
//! - `model::fit::launch(..)`: the fit kernel itself; `model::fit::PTX` its module;
//! - `model::PARAMS`, `INIT`, `LOWER`, `UPPER`.
//!
//! # The algorithm
//!
//! One bounded Levenberg-Marquardt per voxel, fused with the model: each sample's residual
//! `r_k = y_k - f_k` and derivative row `J_k` go straight into `chi2 = sum w r^2`,
//! `g = Jᵀ W r` and `H = Jᵀ W J` (the predicted curve is never stored; a GPU thread holds
//! O(P²) state). Two iterations ([`Driver`]) are generated for the CPU and PTX from the same
//! tokens and chosen per fit ([`LevenbergMarquardt::driver`]); both start from the clamped
//! initial values and share steps 1 to 4:
//!
//! 1. `chi2 == 0`: converged ([`FitStatus::ConvergedCost`]).
//! 2. A parameter at a bound whose gradient points outwards is fixed for this step. The
//!    scaled gradient `max |g_a| / sqrt(H_aa chi2)` over the free parameters at most `gtol`:
//!    [`FitStatus::ConvergedGradient`]. After `max_iterations` steps:
//!    [`FitStatus::MaxIterations`].
//! 3. Solve `(H + lambda D) delta = g` by Cholesky (fixed parameters: identity rows), where
//!    `D` is the largest `diag H` seen so far (MINPACK's scaling: a parameter that loses its
//!    influence at a bound keeps its damping). A failed factorisation raises `lambda`; beyond
//!    1e16 the voxel is [`FitStatus::Singular`].
//! 4. The trial point is `p + delta` clamped into the bounds (parameters never leave their
//!    bounds). If no parameter moves more than `xtol (|p_a| + xtol)`:
//!    [`FitStatus::ConvergedStep`].
//!
//! [`Driver::Classic`] (the driver of earlier versions) then takes a trial point of lower cost
//! (`lambda *= lambda_down`, at least 1e-15), and a relative cost decrease of at most `ftol` is
//! [`FitStatus::ConvergedCost`]; otherwise `lambda *= lambda_up`, and beyond 1e16 (no damped
//! step lowers the cost) the voxel is [`FitStatus::ConvergedStep`].
//!
//! [`Driver::Adaptive`] (the default) differs in four ways:
//!
//! - *Active set*: after step 3, a parameter on a bound whose step points out of the bounds is
//!   fixed too and the step solved again (at most P times), so a step is never clamped to
//!   nothing while the projected gradient is not zero.
//! - *Held parameters*: a parameter that has had no influence at any point so far (its `D` is
//!   0; an IVIM `D*` while `f = 0`) is fixed instead of making the system singular; it is freed
//!   once it gains influence. If it never does, the voxel ends [`FitStatus::Singular`] (as with
//!   the classic driver, which cannot solve the step) with the other parameters fitted.
//! - *Damping from the gain ratio* (Nielsen's update): with `rho` the actual cost decrease over
//!   the decrease `2 s.g - s.H.s` the linear model predicts for the step `s` taken, an accepted
//!   step multiplies `lambda` by `max(lambda_down, 1 - (2 rho - 1)^3)` (a good step lowers it
//!   up to tenfold, a poor one raises it); a rejected step (or a failed factorisation)
//!   multiplies it by `nu` and doubles `nu`, which starts at `lambda_up` and restarts at
//!   `max(lambda_up / 2, 2)` after an accepted step.
//! - *Predicted convergence*: after an accepted step, a next step that stays inside the bounds
//!   and whose predicted decrease is at most `ftol chi2` ends the fit
//!   ([`FitStatus::ConvergedCost`]) without evaluating the model there.
//!
//! # Parameters on a log scale
//!
//! A parameter marked `#[param(.., log)]` (its lower bound at least 0) is stepped in `ln p`
//! while it is positive: its column of `J` is scaled by `p` and a step `d` moves it to
//! `p exp(d)`, so it never crosses zero and changes by factors rather than increments. For a
//! positive parameter that spans decades along the valley of equally good fits, such as the
//! amplitude `A` of a gamma variate `A (t - t0)^alpha exp(-(t - t0) / beta)` (which trades
//! against `alpha`), the Gauss-Newton model stays accurate over much longer steps: the
//! `fit_bench` gamma variates take 11.5 steps on average instead of 28 with the adaptive
//! driver (14.6 instead of 53 with the classic one). Both drivers honour it;
//! the parameter keeps its bounds and its value is reported on its own scale.
//!
//! # Statuses at the end
//!
//! A fit that stops on the cost or the step ([`FitStatus::ConvergedCost`],
//! [`FitStatus::ConvergedStep`]) with a parameter on a bound whose gradient points into the
//! bounds, scaled as in step 2 by more than `max(gtol, sqrt(ftol))` (moving it alone would
//! lower the cost by more than `ftol chi2`), is [`FitStatus::StalledAtBound`]: not converged.
//! `R2 = 1 - chi2 / sum w (y - ybar)^2` (weighted mean `ybar`; NaN for constant data).
//! A masked voxel, one with a non-finite sample, one whose bounds are crossed or initial value
//! NaN, or one whose model is not finite at the start gets its status and NaN parameters,
//! chi2 and R2; its neighbours are unaffected.

use ndarray::{ArrayD, IxDyn};

use crate::{Device, Error, IntoXpRef, Result, XpArray, XpRef};

/// Per-voxel outcome of a fit (`FitResult::status` holds the codes).
///
/// The codes are stable (maps and files written by one version are read by the next):
///
/// | code | status | `Display` |
/// |---:|---|---|
/// | 1 | [`ConvergedCost`](FitStatus::ConvergedCost) | `converged (cost)` |
/// | 2 | [`ConvergedStep`](FitStatus::ConvergedStep) | `converged (step)` |
/// | 3 | [`ConvergedGradient`](FitStatus::ConvergedGradient) | `converged (gradient)` |
/// | 4 | [`MaxIterations`](FitStatus::MaxIterations) | `iteration limit` |
/// | 5 | [`NonFiniteData`](FitStatus::NonFiniteData) | `non-finite data` |
/// | 6 | [`Singular`](FitStatus::Singular) | `singular` |
/// | 7 | [`Masked`](FitStatus::Masked) | `masked` |
/// | 8 | [`InvalidStart`](FitStatus::InvalidStart) | `invalid start` |
/// | 9 | [`NonFiniteModel`](FitStatus::NonFiniteModel) | `non-finite model` |
/// | 10 | [`StalledAtBound`](FitStatus::StalledAtBound) | `stalled at a bound` |
///
/// ```
/// use osipy_kernels::fit::FitStatus;
/// assert_eq!(FitStatus::from_code(4), Some(FitStatus::MaxIterations));
/// assert_eq!(FitStatus::MaxIterations.to_string(), "iteration limit");
/// assert_eq!(FitStatus::MaxIterations.code(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum FitStatus {
    /// Converged: the relative cost decrease of a step was at most `ftol` (with
    /// [`Driver::Adaptive`] also: predicted for the next step), or the cost is 0.
    ConvergedCost = 1,
    /// Converged: the step was at most `xtol` relative to the parameters (or no damped step
    /// lowers the cost any more).
    ConvergedStep = 2,
    /// Converged: the scaled gradient is at most `gtol`.
    ConvergedGradient = 3,
    /// The iteration limit was reached; the parameters are the best found.
    MaxIterations = 4,
    /// The data had a NaN or infinite sample; parameters are NaN.
    NonFiniteData = 5,
    /// A parameter without influence: the damped normal equations could not be solved
    /// ([`Driver::Classic`]), or a parameter that had to be held had no influence at any point
    /// the fit visited ([`Driver::Adaptive`], which fits the others); the parameters are the
    /// last accepted ones.
    Singular = 6,
    /// Masked out; parameters are NaN.
    Masked = 7,
    /// A lower bound above the upper bound, a NaN bound or a NaN initial value; parameters are
    /// NaN.
    InvalidStart = 8,
    /// The model is not finite at the initial values; parameters are NaN.
    NonFiniteModel = 9,
    /// Stopped on the cost or the step with a parameter on a bound whose gradient points into
    /// the bounds (scaled gradient above `max(gtol, sqrt(ftol))`): moving it inwards would lower
    /// the cost by more than `ftol`, so the point is not a minimum within the bounds. Not
    /// converged; the parameters are the last accepted ones.
    StalledAtBound = 10,
}

impl FitStatus {
    /// Every status, in code order.
    pub const ALL: [FitStatus; 10] = [
        FitStatus::ConvergedCost,
        FitStatus::ConvergedStep,
        FitStatus::ConvergedGradient,
        FitStatus::MaxIterations,
        FitStatus::NonFiniteData,
        FitStatus::Singular,
        FitStatus::Masked,
        FitStatus::InvalidStart,
        FitStatus::NonFiniteModel,
        FitStatus::StalledAtBound,
    ];

    /// The status of a code, if it is one.
    pub fn from_code(code: u32) -> Option<FitStatus> {
        FitStatus::ALL.iter().copied().find(|s| *s as u32 == code)
    }

    /// The stable code (the value in `FitResult::status` and in status maps).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// A few words for people (the `Display` text).
    pub fn name(self) -> &'static str {
        match self {
            FitStatus::ConvergedCost => "converged (cost)",
            FitStatus::ConvergedStep => "converged (step)",
            FitStatus::ConvergedGradient => "converged (gradient)",
            FitStatus::MaxIterations => "iteration limit",
            FitStatus::NonFiniteData => "non-finite data",
            FitStatus::Singular => "singular",
            FitStatus::Masked => "masked",
            FitStatus::InvalidStart => "invalid start",
            FitStatus::NonFiniteModel => "non-finite model",
            FitStatus::StalledAtBound => "stalled at a bound",
        }
    }

    /// Whether the fit converged (by any criterion; [`StalledAtBound`](FitStatus::StalledAtBound)
    /// is not converged).
    pub fn is_converged(self) -> bool {
        matches!(
            self,
            FitStatus::ConvergedCost | FitStatus::ConvergedStep | FitStatus::ConvergedGradient
        )
    }
}

impl std::fmt::Display for FitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The iteration of the fit (see the [module docs](self)); both are generated for the CPU and
/// PTX from the same tokens, and chosen per fit with [`LevenbergMarquardt::driver`].
///
/// ```
/// use osipy_kernels::fit::{Driver, LevenbergMarquardt};
/// let classic = LevenbergMarquardt::new().driver(Driver::Classic);
/// assert_eq!(LevenbergMarquardt::default().driver, Driver::Adaptive);
/// assert_eq!(classic.driver.to_string(), "classic");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Driver {
    /// Damping adapted to the gain ratio of each step (Nielsen's update), an active set for the
    /// bounds (a parameter on a bound whose step points out is held and the step solved again),
    /// parameters without influence held until they gain some, and a stop on the predicted
    /// decrease. The default.
    #[default]
    Adaptive,
    /// The driver of earlier versions: damping times `lambda_down` after an accepted step and
    /// `lambda_up` after a rejected one, steps clamped into the bounds.
    Classic,
}

impl Driver {
    /// Its name: `adaptive` or `classic`.
    pub fn name(self) -> &'static str {
        match self {
            Driver::Adaptive => "adaptive",
            Driver::Classic => "classic",
        }
    }
}

impl std::fmt::Display for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings of the bounded Levenberg-Marquardt fit. Built with the setters; checked when a
/// fit starts (a nonsense setting is [`Error::InvalidSetting`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevenbergMarquardt {
    /// Most steps per voxel (1 to 1,000,000; default 100).
    pub max_iterations: u32,
    /// Relative cost decrease that counts as converged (finite, >= 0; default 1e-10).
    pub ftol: f64,
    /// Relative step that counts as converged (finite, >= 0; default 1e-10).
    pub xtol: f64,
    /// Scaled gradient that counts as converged (finite, >= 0; default 1e-10).
    pub gtol: f64,
    /// Initial damping (finite, > 0; default 1e-3).
    pub lambda0: f64,
    /// Damping factor after a rejected step (finite, > 1; default 10); with
    /// [`Driver::Adaptive`] the first factor of a run of rejections.
    pub lambda_up: f64,
    /// Damping factor after an accepted step (in (0, 1); default 0.1); with
    /// [`Driver::Adaptive`] the smallest one.
    pub lambda_down: f64,
    /// The iteration (default [`Driver::Adaptive`]).
    pub driver: Driver,
}

impl Default for LevenbergMarquardt {
    fn default() -> Self {
        LevenbergMarquardt {
            max_iterations: 100,
            ftol: 1e-10,
            xtol: 1e-10,
            gtol: 1e-10,
            lambda0: 1e-3,
            lambda_up: 10.0,
            lambda_down: 0.1,
            driver: Driver::Adaptive,
        }
    }
}

impl LevenbergMarquardt {
    /// The default settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the iteration limit.
    pub fn max_iterations(mut self, n: u32) -> Self {
        self.max_iterations = n;
        self
    }

    /// Sets the cost tolerance.
    pub fn ftol(mut self, v: f64) -> Self {
        self.ftol = v;
        self
    }

    /// Sets the step tolerance.
    pub fn xtol(mut self, v: f64) -> Self {
        self.xtol = v;
        self
    }

    /// Sets the gradient tolerance.
    pub fn gtol(mut self, v: f64) -> Self {
        self.gtol = v;
        self
    }

    /// Sets the initial damping.
    pub fn lambda0(mut self, v: f64) -> Self {
        self.lambda0 = v;
        self
    }

    /// Sets the damping factor after a rejected step.
    pub fn lambda_up(mut self, v: f64) -> Self {
        self.lambda_up = v;
        self
    }

    /// Sets the damping factor after an accepted step.
    pub fn lambda_down(mut self, v: f64) -> Self {
        self.lambda_down = v;
        self
    }

    /// Chooses the iteration.
    pub fn driver(mut self, driver: Driver) -> Self {
        self.driver = driver;
        self
    }

    /// Checks every setting.
    pub fn validate(&self, kernel: &'static str) -> Result<()> {
        let bad = |setting: &'static str, expected: &str, found: String| {
            Err(Error::InvalidSetting {
                kernel,
                setting,
                expected: expected.to_string(),
                found,
            })
        };
        if !(1..=1_000_000).contains(&self.max_iterations) {
            return bad("max_iterations", "1 to 1000000", self.max_iterations.to_string());
        }
        for (name, v) in [("ftol", self.ftol), ("xtol", self.xtol), ("gtol", self.gtol)] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, "a finite value >= 0", v.to_string());
            }
        }
        if !(self.lambda0.is_finite() && self.lambda0 > 0.0) {
            return bad("lambda0", "a finite value > 0", self.lambda0.to_string());
        }
        if !(self.lambda_up.is_finite() && self.lambda_up > 1.0) {
            return bad("lambda_up", "a finite value > 1", self.lambda_up.to_string());
        }
        if !(self.lambda_down > 0.0 && self.lambda_down < 1.0) {
            return bad("lambda_down", "a value in (0, 1)", self.lambda_down.to_string());
        }
        Ok(())
    }

    fn config(&self) -> Vec<f64> {
        vec![
            f64::from(self.max_iterations),
            self.ftol,
            self.xtol,
            self.gtol,
            self.lambda0,
            self.lambda_up,
            self.lambda_down,
            match self.driver {
                Driver::Classic => 0.0,
                Driver::Adaptive => 1.0,
            },
        ]
    }
}

/// Initial values or bounds: one set shared by every voxel, or one per voxel.
#[derive(Debug, Clone, PartialEq)]
pub enum FitValues {
    /// The same `P` values for every voxel.
    Shared(Vec<f64>),
    /// An array of shape items x `P` (where the data lives), for example from another kernel.
    PerVoxel(XpArray<f64>),
}

impl<const N: usize> From<[f64; N]> for FitValues {
    fn from(v: [f64; N]) -> Self {
        FitValues::Shared(v.to_vec())
    }
}

impl From<&[f64]> for FitValues {
    fn from(v: &[f64]) -> Self {
        FitValues::Shared(v.to_vec())
    }
}

impl From<Vec<f64>> for FitValues {
    fn from(v: Vec<f64>) -> Self {
        FitValues::Shared(v)
    }
}

impl From<XpArray<f64>> for FitValues {
    fn from(v: XpArray<f64>) -> Self {
        FitValues::PerVoxel(v)
    }
}

impl<D: ndarray::Dimension> From<ndarray::Array<f64, D>> for FitValues {
    fn from(v: ndarray::Array<f64, D>) -> Self {
        FitValues::PerVoxel(XpArray::from_host(v.into_dyn()))
    }
}

/// Everything about a fit except the model's inputs and the data.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// The model's name, for errors.
    pub model: &'static str,
    /// Names of the fitted parameters.
    pub params: &'static [&'static str],
    /// Solver settings.
    pub settings: LevenbergMarquardt,
    /// Initial values.
    pub init: FitValues,
    /// Lower bounds (`-inf` for none).
    pub lower: FitValues,
    /// Upper bounds (`inf` for none).
    pub upper: FitValues,
    /// Per-sample weights (`None`: all 1).
    pub weights: Option<Vec<f64>>,
}

impl FitOptions {
    /// Options with the model's defaults.
    pub fn new(
        model: &'static str,
        params: &'static [&'static str],
        init: &[f64],
        lower: &[f64],
        upper: &[f64],
    ) -> Self {
        FitOptions {
            model,
            params,
            settings: LevenbergMarquardt::default(),
            init: FitValues::Shared(init.to_vec()),
            lower: FitValues::Shared(lower.to_vec()),
            upper: FitValues::Shared(upper.to_vec()),
            weights: None,
        }
    }
}

/// The result of a fit, every array where the data was.
#[derive(Debug, Clone, PartialEq)]
pub struct FitResult {
    /// Names of the parameters (the last axis of `params`).
    pub names: &'static [&'static str],
    /// Fitted parameters, items x P (NaN where the voxel was not fitted).
    pub params: XpArray<f64>,
    /// `sum w (y - f)^2` at the fitted parameters.
    pub chi2: XpArray<f64>,
    /// Coefficient of determination.
    pub r2: XpArray<f64>,
    /// Steps taken.
    pub iterations: XpArray<u32>,
    /// [`FitStatus`] codes.
    pub status: XpArray<u32>,
    /// Bit `a` set when parameter `a` ended on a bound.
    pub at_bound: XpArray<u32>,
}

impl FitResult {
    /// The item axes (the shape of `chi2`, `status`, ..; `params` adds the parameter axis).
    pub fn item_shape(&self) -> &[usize] {
        self.chi2.shape()
    }

    /// The position of parameter `name` in [`FitResult::names`] (the last axis of `params`).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    /// The parameters as one 2-D array on the host: items (all item axes flattened, in C
    /// order) x P, columns in the order of [`FitResult::names`].
    pub fn params_2d(&self) -> Result<ndarray::Array2<f64>> {
        let p = self.names.len();
        let host = self.params.to_host()?;
        let n = host.len().checked_div(p).unwrap_or(0);
        let flat: Vec<f64> = host.iter().copied().collect();
        ndarray::Array2::from_shape_vec((n, p), flat).map_err(|e| Error::Shape {
            kernel: "FitResult::params_2d",
            arg: "params",
            expected: format!("items x {p}"),
            found: e.to_string(),
        })
    }

    /// Parameter `name` of every item, on the host, of the item shape (`fit.param("ktrans")`).
    /// A name that is not a fitted parameter is [`Error::Shape`] naming the parameters.
    pub fn param(&self, name: &str) -> Result<ArrayD<f64>> {
        let Some(a) = self.index_of(name) else {
            return Err(Error::Shape {
                kernel: "FitResult::param",
                arg: "name",
                expected: format!("one of the fitted parameters {:?}", self.names),
                found: format!("`{name}`"),
            });
        };
        let all = self.params_2d()?;
        let col: Vec<f64> = all.column(a).to_vec();
        ArrayD::from_shape_vec(IxDyn(self.item_shape()), col).map_err(|e| Error::Shape {
            kernel: "FitResult::param",
            arg: "params",
            expected: format!("items of shape {:?}", self.item_shape()),
            found: e.to_string(),
        })
    }

    /// The statuses as [`FitStatus`] values (copied to the host).
    pub fn statuses(&self) -> Result<Vec<Option<FitStatus>>> {
        Ok(self
            .status
            .to_host()?
            .iter()
            .map(|c| FitStatus::from_code(*c))
            .collect())
    }

    /// How many voxels ended with each status (copied to the host).
    pub fn status_counts(&self) -> Result<Vec<(FitStatus, usize)>> {
        let s = self.status.to_host()?;
        Ok(FitStatus::ALL
            .iter()
            .map(|st| (*st, s.iter().filter(|c| **c == *st as u32).count()))
            .collect())
    }
}

/// Inputs of the fit kernel besides the model's own. Not a public API.
#[doc(hidden)]
pub struct FitInputs<'a> {
    pub weights: XpRef<'a, f64>,
    pub init: XpRef<'a, f64>,
    pub lower: XpRef<'a, f64>,
    pub upper: XpRef<'a, f64>,
    pub mask: XpRef<'a, bool>,
    pub config: XpRef<'a, f64>,
}

/// Outputs of the fit kernel. Not a public API.
#[doc(hidden)]
pub struct FitOutputs {
    pub params: XpArray<f64>,
    pub chi2: XpArray<f64>,
    pub r2: XpArray<f64>,
    pub iterations: XpArray<u32>,
    pub status: XpArray<u32>,
    pub at_bound: XpArray<u32>,
}

/// The arrays of one fit, validated and placed where the data lives. Not a public API.
#[doc(hidden)]
pub struct FitPrep {
    names: &'static [&'static str],
    weights: XpArray<f64>,
    init: XpArray<f64>,
    lower: XpArray<f64>,
    upper: XpArray<f64>,
    mask: Option<XpArray<bool>>,
    config: XpArray<f64>,
    outs: FitOutputs,
}

fn place<T: crate::Element>(a: ArrayD<T>, device: Device) -> Result<XpArray<T>> {
    let a = XpArray::from_host(a);
    if device == Device::Cpu {
        Ok(a)
    } else {
        a.to_device(&device)
    }
}

impl FitPrep {
    /// Checks the options against the data and makes every array on the data's device.
    pub fn new(opts: &FitOptions, data: &XpRef<'_, f64>, mask: Option<&XpRef<'_, bool>>) -> Result<FitPrep> {
        let kernel = opts.model;
        opts.settings.validate(kernel)?;
        let p = opts.params.len();
        let shape = data.shape();
        if shape.is_empty() {
            return Err(Error::Shape {
                kernel,
                arg: "data",
                expected: "an array of items x samples (at least 1-D)".into(),
                found: "a 0-d array".into(),
            });
        }
        let n = shape[shape.len() - 1];
        let items = &shape[..shape.len() - 1];
        if n == 0 {
            return Err(Error::Shape {
                kernel,
                arg: "data",
                expected: "at least one sample per voxel (the last axis)".into(),
                found: format!("shape {shape:?}"),
            });
        }
        let device = data.placement();
        if let Some(m) = mask {
            if m.shape() != items {
                return Err(Error::Shape {
                    kernel,
                    arg: "mask",
                    expected: format!("shape {items:?} (the data's item axes)"),
                    found: format!("shape {:?}", m.shape()),
                });
            }
        }
        let weights = match &opts.weights {
            None => vec![1.0; n],
            Some(w) => {
                if w.len() != n {
                    return Err(Error::Shape {
                        kernel,
                        arg: "weights",
                        expected: format!("{n} weights (one per sample of the data)"),
                        found: format!("{}", w.len()),
                    });
                }
                if let Some((k, v)) = w.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
                    return Err(Error::InvalidSetting {
                        kernel,
                        setting: "weights",
                        expected: "finite weights >= 0".into(),
                        found: format!("{v} at sample {k}"),
                    });
                }
                w.clone()
            }
        };
        let mut pshape = items.to_vec();
        pshape.push(p);
        let values = |v: &FitValues, what: &'static str| -> Result<XpArray<f64>> {
            match v {
                FitValues::Shared(s) => {
                    if s.len() != p {
                        return Err(Error::Shape {
                            kernel,
                            arg: what,
                            expected: format!("{p} values ({})", opts.params.join(", ")),
                            found: format!("{} values", s.len()),
                        });
                    }
                    let total: usize = items.iter().product();
                    let mut all = Vec::with_capacity(total * p);
                    for _ in 0..total {
                        all.extend_from_slice(s);
                    }
                    let a = ArrayD::from_shape_vec(IxDyn(&pshape), all).map_err(|_| Error::DataLength {
                        context: "fit values",
                        shape: pshape.clone(),
                        expected: total * p,
                        found: 0,
                    })?;
                    place(a, device)
                }
                FitValues::PerVoxel(a) => {
                    if a.shape() != pshape.as_slice() {
                        return Err(Error::Shape {
                            kernel,
                            arg: what,
                            expected: format!(
                                "shape {pshape:?} (the data's item axes, then one value per parameter)"
                            ),
                            found: format!("shape {:?}", a.shape()),
                        });
                    }
                    if a.placement() != device {
                        return Err(Error::MixedPlacement {
                            kernel,
                            arg: what.to_string(),
                            first: "data".into(),
                            expected: device,
                            found: a.placement(),
                        });
                    }
                    Ok(a.clone())
                }
            }
        };
        if let (FitValues::Shared(lo), FitValues::Shared(hi)) = (&opts.lower, &opts.upper) {
            for (a, (l, h)) in lo.iter().zip(hi).enumerate() {
                if !matches!(
                    l.partial_cmp(h),
                    Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                ) {
                    return Err(Error::InvalidSetting {
                        kernel,
                        setting: "lower/upper",
                        expected: format!("lower <= upper for `{}`", opts.params.get(a).unwrap_or(&"?")),
                        found: format!("lower {l}, upper {h}"),
                    });
                }
            }
        }
        if let FitValues::Shared(i) = &opts.init {
            if let Some((a, _)) = i.iter().enumerate().find(|(_, v)| v.is_nan()) {
                return Err(Error::InvalidSetting {
                    kernel,
                    setting: "init",
                    expected: "initial values that are numbers".into(),
                    found: format!("NaN for `{}`", opts.params.get(a).unwrap_or(&"?")),
                });
            }
        }
        let config = opts.settings.config();
        let init = values(&opts.init, "init")?;
        let lower = values(&opts.lower, "lower")?;
        let upper = values(&opts.upper, "upper")?;
        let dev_zeros_f = |s: &[usize]| place(ArrayD::<f64>::zeros(IxDyn(s)), device);
        let dev_zeros_u = |s: &[usize]| place(ArrayD::<u32>::zeros(IxDyn(s)), device);
        let outs = FitOutputs {
            params: dev_zeros_f(&pshape)?,
            chi2: dev_zeros_f(items)?,
            r2: dev_zeros_f(items)?,
            iterations: dev_zeros_u(items)?,
            status: dev_zeros_u(items)?,
            at_bound: dev_zeros_u(items)?,
        };
        let mask = match mask {
            Some(_) => None,
            None => Some(place(ArrayD::from_elem(IxDyn(items), true), device)?),
        };
        Ok(FitPrep {
            names: opts.params,
            weights: place(
                ArrayD::from_shape_vec(IxDyn(&[n]), weights).unwrap_or_default(),
                device,
            )?,
            init,
            lower,
            upper,
            mask,
            config: place(
                ArrayD::from_shape_vec(IxDyn(&[config.len()]), config).unwrap_or_default(),
                device,
            )?,
            outs,
        })
    }

    /// The kernel's inputs (the user's mask, or all true) and outputs.
    pub fn split<'a>(&'a mut self, mask: Option<&'a XpRef<'_, bool>>) -> (FitInputs<'a>, &'a mut FitOutputs) {
        let mask = match (mask, &self.mask) {
            (Some(m), _) => m.into_xp_ref(),
            (None, Some(own)) => own.into_xp_ref(),
            (None, None) => XpRef::Host(ndarray::ArrayView::from(&[] as &[bool]).into_dyn()),
        };
        (
            FitInputs {
                weights: (&self.weights).into_xp_ref(),
                init: (&self.init).into_xp_ref(),
                lower: (&self.lower).into_xp_ref(),
                upper: (&self.upper).into_xp_ref(),
                mask,
                config: (&self.config).into_xp_ref(),
            },
            &mut self.outs,
        )
    }

    /// The result.
    pub fn finish(self) -> FitResult {
        FitResult {
            names: self.names,
            params: self.outs.params,
            chi2: self.outs.chi2,
            r2: self.outs.r2,
            iterations: self.outs.iterations,
            status: self.outs.status,
            at_bound: self.outs.at_bound,
        }
    }
}

/// Checks that the rows of `data` (items x samples) have one sample per element of the
/// uniform row `axis` (shape `axis_shape`) that the prediction of fit kernel `kernel` follows.
/// A 1-D `axis` of another length than the rows is [`Error::Shape`] naming `data`, both
/// lengths, and a transposed array when it looks like one. Other shape errors are left to the
/// launch.
pub fn check_samples(
    kernel: &'static str,
    axis: &str,
    axis_shape: &[usize],
    data_shape: &[usize],
) -> Result<()> {
    let (&[n], Some(&m)) = (axis_shape, data_shape.last()) else {
        return Ok(());
    };
    if n == m {
        return Ok(());
    }
    let hint = if data_shape.len() == 2 && data_shape[0] == n {
        "; it looks transposed: data is items x samples, so transpose it"
    } else {
        ""
    };
    Err(Error::Shape {
        kernel,
        arg: "data",
        expected: format!("rows of {n} samples, the length of `{axis}` (the row the prediction follows)"),
        found: format!("rows of {m} samples (an array of shape {data_shape:?}){hint}"),
    })
}
