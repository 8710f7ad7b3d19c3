//! DCE-MRI pharmacokinetic models, fitted per voxel by the fitter that `#[xp_kernel(model)]`
//! generates.
//!
//! | model | parameters (order of `PARAMS`) | with a delay | initial values |
//! |---|---|---|---|
//! | [`tofts`][to] | ktrans /min, ve | [`tofts_delay`][tod] | [`tofts_init`][toi] |
//! | [`extended_tofts`][et] | ktrans /min, ve, vp | [`extended_tofts_delay`][etd] | [`extended_tofts_init`][eti] |
//! | [`patlak`][pa] | ps /min, vp | [`patlak_delay`][pad] | [`patlak_init`][pai] |
//! | [`two_cxm`][cx] | fp ml/100ml/min, ps /min, ve, vp | [`two_cxm_delay`][cxd] | [`two_cxm_init`][cxi] |
//! | [`two_cum`][cu] | fp ml/100ml/min, ps /min, vp | [`two_cum_delay`][cud] | [`two_cum_init`][cui] |
//!
//! [to]: fn@tofts
//! [tod]: fn@tofts_delay
//! [toi]: fn@tofts_init
//! [et]: fn@extended_tofts
//! [etd]: fn@extended_tofts_delay
//! [eti]: fn@extended_tofts_init
//! [pa]: fn@patlak
//! [pad]: fn@patlak_delay
//! [pai]: fn@patlak_init
//! [cx]: fn@two_cxm
//! [cxd]: fn@two_cxm_delay
//! [cxi]: fn@two_cxm_init
//! [cu]: fn@two_cum
//! [cud]: fn@two_cum_delay
//! [cui]: fn@two_cum_init
//!
//! The delay models add `delay` (s) as their last parameter. The `*_init` kernels compute
//! data-driven initial values per voxel ([`init`](mod@init)).
//!
//! # Conventions
//!
//! - `t`: sample times in **seconds**, increasing, any spacing (not assumed uniform); rates
//!   are per **minute**, so the models convert the intervals to minutes.
//! - `cp`: the **plasma** concentration of the arterial input (mM) at `t`, the same row for
//!   every voxel. A blood curve (an AIF measured in a vessel, most population AIFs) must be
//!   converted first: [`plasma_from_blood`] divides by `1 - Hct`. Passing blood where plasma
//!   is meant overestimates `Ktrans`, `PS`, `Fp` and `vp` by the factor `1 / (1 - Hct)`.
//! - `cp2`: the second derivatives (mM/s²) of the plasma curve at `t`, which say how it runs
//!   between the samples (see [`convolution`](mod@convolution)): zeros for straight lines (the
//!   OSIPI convention), the moments of the natural cubic spline through the samples
//!   ([`spline_moments`]) for a smooth curve. [`plasma_curvature`] gives either from an
//!   [`AifInterpolation`].
//! - `ct`: the tissue concentration (mM) at `t`, one row per voxel; `t`, `cp`, `cp2` and `ct`
//!   have the same length.
//! - The convolutions with the arterial input are exact for the piecewise-cubic curve of
//!   `cp` and `cp2` (piecewise linear when `cp2 = 0`): a recursive exponential convolution
//!   ([`exp_conv_cubic`](fn@convolution::exp_conv_cubic)) with coefficients computed once per
//!   run of equal intervals, on any grid; no rectangle rule, no FFT. Integrals of `cp` are
//!   exact for the same curve ([`plasma_area`](fn@convolution::plasma_area)).
//! - Delays: the curve shifted right by `delay` (0 before the first sample), evaluated at the
//!   sample times with its second derivative, see [`delay`](mod@delay).
//!
//! # Defaults
//!
//! Starts and bounds follow the OSIPI DCE test set-up: start Ktrans/PS 0.6 /min, ve 0.2,
//! vp 0.01, Fp 20 ml/100ml/min, delay 0 s; bounds Ktrans/PS [0, 5] /min, ve [0, 1],
//! vp [0, 1], Fp [0, 200] ml/100ml/min, delay [-10, 10] s; except that a parameter that
//! divides has a strictly positive lower bound: `ve >= 1e-4` (Tofts models: `kep = Ktrans /
//! ve`; 2CXM), `vp >= 1e-4` in the two-compartment models (their plasma rate is
//! `(Fp + PS) / vp`) and `Fp >= 1e-3` ml/100ml/min there (`E = PS / (Fp + PS)` and the 2CXM
//! rates need `Fp > 0` when `PS = 0`). `vp` keeps its lower bound 0 in the extended Tofts and
//! Patlak models, where it does not divide.
//!
//! # Fitting
//!
//! ```
//! use ndarray::Array2;
//! use osipy::dce::{self, tofts};
//!
//! // A non-uniform grid (s) and a plasma curve (mM).
//! let t: Vec<f64> = (0..60).map(|i| 2.0 * i as f64 + 0.02 * (i * i) as f64).collect();
//! let bolus = |s: f64| if s < 10.0 { 0.0 } else { 5.0 * (s - 10.0) / 60.0 * (-(s - 10.0) / 40.0).exp() };
//! let cp: Vec<f64> = t.iter().map(|&s| bolus(s)).collect();
//! // The curve between samples: straight lines (or AifInterpolation::Spline).
//! let cp2 = dce::plasma_curvature(&t, &cp, dce::AifInterpolation::Linear)?;
//! // Two voxels of data made by the model itself.
//! let mut ct = Array2::<f64>::zeros((2, t.len()));
//! tofts::launch(&t, &cp, &cp2, &[0.25, 0.1], &[0.3, 0.5], &mut ct)?;
//!
//! // Data-driven starts (linearised Tofts), then the non-linear fit.
//! let (ktrans0, ve0, _delay, _rss) = dce::tofts_init::launch(&t, &cp, &ct, &[0.0][..])?;
//! let init = dce::stack_params(&[&ktrans0, &ve0])?;
//! let fit = tofts::fitter(&t, &cp, &cp2).init(init).fit(&ct)?;
//! let p = fit.params.to_host()?;
//! assert!((p[[0, 0]] - 0.25).abs() < 1e-6 && (p[[1, 1]] - 0.5).abs() < 1e-6);
//! # Ok::<(), osipy::Error>(())
//! ```

pub mod convolution;
pub mod delay;
pub mod init;
pub mod models;
mod pipeline;

pub use delay::*;
pub use init::{extended_tofts_init, patlak_init, tofts_init, two_cum_init, two_cxm_init};
pub use models::*;
pub use pipeline::{default_delay_grid, Model, Start, VolumeFit};

use ndarray::{ArrayD, IxDyn};
use osipy_kernels::{Device, XpArray};

use crate::{Error, Result};

/// The plasma concentration of a blood concentration curve: `cp = cb / (1 - hct)` (mM), the
/// contrast agent being confined to the plasma.
///
/// `cb`: blood concentration (mM); `hct`: haematocrit (fraction in `[0, 1)`, typically 0.42
/// to 0.45 in large vessels). A haematocrit outside `[0, 1)` (or NaN) is
/// [`Error::Invalid`].
pub fn plasma_from_blood(cb: &[f64], hct: f64) -> Result<Vec<f64>> {
    if !(0.0..1.0).contains(&hct) {
        return Err(Error::Invalid {
            function: "plasma_from_blood",
            arg: "hct",
            expected: "a haematocrit in [0, 1)".to_string(),
            found: hct.to_string(),
        });
    }
    let s = 1.0 - hct;
    Ok(cb.iter().map(|c| c / s).collect())
}

/// How the plasma curve runs between its samples: the second derivatives `cp2` every model
/// takes next to `cp` ([`plasma_curvature`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AifInterpolation {
    /// Straight lines between the samples (`cp2 = 0`). The OSIPI reference values are made
    /// this way; the default.
    #[default]
    Linear,
    /// The natural cubic spline through the samples ([`spline_moments`]): closer to a smooth
    /// arterial curve sampled coarsely (a bolus peak between samples), which lowers the bias of
    /// `Ktrans` and `vp` when the frames are several seconds apart.
    Spline,
}

impl AifInterpolation {
    /// The name (`linear`, `spline`).
    pub fn name(self) -> &'static str {
        match self {
            AifInterpolation::Linear => "linear",
            AifInterpolation::Spline => "spline",
        }
    }
}

/// The row `cp2` of second derivatives (mM/s²) at the samples that the models take next to
/// `cp`: zeros for [`AifInterpolation::Linear`], [`spline_moments`] for
/// [`AifInterpolation::Spline`]. Errors as [`spline_moments`] (for both, so a bad curve is
/// found whichever is asked for).
pub fn plasma_curvature(t: &[f64], cp: &[f64], how: AifInterpolation) -> Result<Vec<f64>> {
    check_plasma_curve("plasma_curvature", t, cp)?;
    Ok(match how {
        AifInterpolation::Linear => vec![0.0; t.len()],
        AifInterpolation::Spline => natural_spline_moments(t, cp),
    })
}

/// The second derivatives (mM/s²) at the samples of the natural cubic spline through
/// `(t, cp)` (`t` in seconds, strictly increasing, any spacing; zero second derivative at both
/// ends): the solution of the tridiagonal system
/// `h_{i-1} M_{i-1} + 2 (h_{i-1} + h_i) M_i + h_i M_{i+1} = 6 ((cp_{i+1} - cp_i) / h_i - (cp_i - cp_{i-1}) / h_{i-1})`,
/// `M_0 = M_{n-1} = 0` (Thomas algorithm; the system is diagonally dominant). Fewer than three
/// samples give zeros. `t` and `cp` of different lengths, a `t` that does not increase
/// strictly, or a non-finite value is [`Error::Invalid`].
pub fn spline_moments(t: &[f64], cp: &[f64]) -> Result<Vec<f64>> {
    check_plasma_curve("spline_moments", t, cp)?;
    Ok(natural_spline_moments(t, cp))
}

/// `t` and `cp` of one length, finite, `t` strictly increasing; else [`Error::Invalid`]
/// naming `function` and the argument.
fn check_plasma_curve(function: &'static str, t: &[f64], cp: &[f64]) -> Result<()> {
    let bad = |arg: &'static str, expected: &str, found: String| Error::Invalid {
        function,
        arg,
        expected: expected.to_string(),
        found,
    };
    let n = t.len();
    if cp.len() != n {
        return Err(bad(
            "cp",
            &format!("one value per sample time ({n})"),
            format!("{} values", cp.len()),
        ));
    }
    if let Some(i) = t.iter().position(|v| !v.is_finite()) {
        return Err(bad("t", "finite times (s)", format!("t[{i}] = {}", t[i])));
    }
    if let Some(i) = cp.iter().position(|v| !v.is_finite()) {
        return Err(bad(
            "cp",
            "finite concentrations (mM)",
            format!("cp[{i}] = {}", cp[i]),
        ));
    }
    if let Some(i) = (1..n).find(|&i| t[i] <= t[i - 1]) {
        return Err(bad(
            "t",
            "strictly increasing times",
            format!("t[{}] = {} then t[{i}] = {}", i - 1, t[i - 1], t[i]),
        ));
    }
    Ok(())
}

/// [`spline_moments`] of a curve that [`check_plasma_curve`] accepted.
fn natural_spline_moments(t: &[f64], cp: &[f64]) -> Vec<f64> {
    let n = t.len();
    let mut m = vec![0.0; n];
    if n < 3 {
        return m;
    }
    // Forward sweep over the unknowns M_1 .. M_{n-2}.
    let k = n - 2;
    let mut diag = vec![0.0; k];
    let mut rhs = vec![0.0; k];
    for r in 0..k {
        let i = r + 1;
        let (h0, h1) = (t[i] - t[i - 1], t[i + 1] - t[i]);
        diag[r] = 2.0 * (h0 + h1);
        rhs[r] = 6.0 * ((cp[i + 1] - cp[i]) / h1 - (cp[i] - cp[i - 1]) / h0);
        if r > 0 {
            // Sub-diagonal h0 eliminated with the previous row's super-diagonal h0 as well.
            let w = h0 / diag[r - 1];
            diag[r] -= w * h0;
            rhs[r] -= w * rhs[r - 1];
        }
    }
    for r in (0..k).rev() {
        let i = r + 1;
        let sup = if r + 1 < k {
            (t[i + 1] - t[i]) * m[i + 1]
        } else {
            0.0
        };
        m[i] = (rhs[r] - sup) / diag[r];
    }
    m
}

/// Stacks per-voxel columns (each of the item shape, as the `*_init` kernels return them)
/// into the items x P table that `fitter(..).init(values)` (and `lower` / `upper`) take, on
/// the device of the columns (device columns are stacked through host memory).
///
/// Every column must have the same shape and live on the same device, and there must be at
/// least one; otherwise [`Error::Invalid`] names the column.
pub fn stack_params(columns: &[&XpArray<f64>]) -> Result<XpArray<f64>> {
    let Some(first) = columns.first() else {
        return Err(Error::Invalid {
            function: "stack_params",
            arg: "columns",
            expected: "at least one column".to_string(),
            found: "none".to_string(),
        });
    };
    let shape = first.shape().to_vec();
    let device = first.placement();
    for (i, c) in columns.iter().enumerate() {
        if c.shape() != shape.as_slice() {
            return Err(Error::Invalid {
                function: "stack_params",
                arg: "columns",
                expected: format!("every column of shape {shape:?} (as column 0)"),
                found: format!("column {i} of shape {:?}", c.shape()),
            });
        }
        if c.placement() != device {
            return Err(Error::Invalid {
                function: "stack_params",
                arg: "columns",
                expected: format!("every column on {device:?} (as column 0)"),
                found: format!("column {i} on {:?}", c.placement()),
            });
        }
    }
    let p = columns.len();
    let items: usize = shape.iter().product();
    let mut out = vec![0.0; items * p];
    for (a, c) in columns.iter().enumerate() {
        let h = c.to_host()?;
        for (i, v) in h.iter().enumerate() {
            out[i * p + a] = *v;
        }
    }
    let mut out_shape = shape;
    out_shape.push(p);
    let table = ArrayD::from_shape_vec(IxDyn(&out_shape), out).map_err(|e| Error::Invalid {
        function: "stack_params",
        arg: "columns",
        expected: "columns that form an items x P table".to_string(),
        found: e.to_string(),
    })?;
    let table = XpArray::from_host(table);
    if device == Device::Cpu {
        Ok(table)
    } else {
        Ok(table.to_device(&device)?)
    }
}
