//! IVIM (intravoxel incoherent motion): the bi-exponential diffusion signal
//! `S(b) = S0 (f e^{-b D*} + (1 - f) e^{-b D})` fitted in every voxel of a diffusion series.
//!
//! Units: b in s/mm², D and D* in mm²/s, f a fraction, S0 in the input's units.
//!
//! - Per voxel (each an `#[xp_kernel]`, so CPU, emulator and CUDA run one body):
//!   [`kernels::ivim_prepare`](fn@kernels::ivim_prepare) (directions combined by their
//!   geometric mean, the b = 0 volumes averaged and every sample divided by that mean, the
//!   Rician correction), the segmented fits [`kernels::ivim_segmented`](fn@kernels::ivim_segmented)
//!   (two- and three-step), the fit models [`kernels::ivim`](fn@kernels::ivim) and
//!   [`kernels::ivim_floor`](fn@kernels::ivim_floor) (bounded Levenberg-Marquardt, started from
//!   the segmented result) and the Bayesian posterior [`kernels::ivim_bayes`](fn@kernels::ivim_bayes)
//!   (deterministic quadrature: no sampling, so results depend neither on chunks, mask nor
//!   device).
//! - Once per acquisition, on the host: [`Acquisition`] checks the b-values (and b-vectors)
//!   and groups the volumes by b-value.
//! - The pipeline [`Fit`]: a series in, named maps out.
//!
//! # Methods
//!
//! - [`Method::Segmented`]: D from the log-linear fit of the samples at `b >=`
//!   [`B_THRESHOLD`] (200 s/mm², as the Python osipy), then with [`Fit::steps`] 3 (default)
//!   S0 from b = 0, f from the line's intercept and D* alone; with 2, S0, f and D* together
//!   with D fixed.
//! - [`Method::Full`]: all four parameters by bounded Levenberg-Marquardt from the segmented
//!   result (three steps, with D* from the log-linear slope of the low-b residual, without the
//!   Gauss-Newton refinement the fit does better: it halves the fit's time for 0.8 more
//!   iterations on average).
//! - [`Method::Bayesian`]: posterior means and standard deviations under fixed priors (f and
//!   D uniform on their bounds, D* log-uniform on its bounds, S0 flat and the noise SD
//!   Jeffreys, both marginalised analytically), by quadrature on a grid around the full
//!   fit's result (see [`kernels::ivim_bayes`](fn@kernels::ivim_bayes)).
//!
//! # Bounds
//!
//! [`Bounds::default`]: S0 [0.5, 1.5] relative to the voxel's mean b = 0 signal, f [0, 1], D
//! [0, 5e-3] mm²/s, D* [5e-3, 0.2] mm²/s (the OSIPI IVIM code collection's fit bounds; D*
//! above D, so the two compartments never swap).
//!
//! # Rician noise
//!
//! Magnitude images have a noise floor, which flattens the high-b tail (D too low). With
//! [`Rician::Correction`] every sample is corrected before the fits, `sqrt(max(M² - 2 sigma²,
//! (M / 10)²))` (the expected squared magnitude is `A² + 2 sigma²`); with [`Rician::Floor`] the
//! full fit's model is `sqrt(S(b)² + 2 sigma²)` ([`kernels::ivim_floor`](fn@kernels::ivim_floor))
//! and the segmented start and the Bayesian posterior use the corrected samples. `sigma` is the
//! noise SD of each channel, in the input's units.
//!
//! # Statuses
//!
//! | code | status | |
//! |---|---|---|
//! | 1 | [`Ok`](IvimStatus::Ok) | `ok` |
//! | 2 | [`NotConverged`](IvimStatus::NotConverged) | `not converged`: the full fit reached its iteration limit, met a singular system (a parameter without influence, as D* where f = 0) or stalled at a bound (its best parameters are kept) |
//! | 3 | [`Failed`](IvimStatus::Failed) | `failed`: the fit could not be computed (NaN maps) |
//! | 4 | [`NonFiniteData`](IvimStatus::NonFiniteData) | `non-finite data`: a NaN or infinite sample |
//! | 5 | [`NonPositiveSignal`](IvimStatus::NonPositiveSignal) | `non-positive signal`: a sample zero or negative |
//! | 7 | [`Masked`](IvimStatus::Masked) | `masked` |

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

mod bayes;
pub mod kernels;
mod pipeline;
mod segmented;

pub use pipeline::Fit;

/// The default b-value threshold (s/mm²) above which the segmented fit takes D from the
/// log-linear slope (the Python osipy's `b_threshold`).
pub const B_THRESHOLD: f64 = 200.0;
/// The default number of quadrature nodes per axis of the Bayesian posterior.
pub const BAYES_NODES: u32 = 15;
/// b-values closer than this (s/mm²) are one b-value whose volumes are combined.
pub const B_TOLERANCE: f64 = 0.5;

/// The outcome of one voxel (the `status` map holds [`IvimStatus::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum IvimStatus {
    /// Every map computed.
    Ok = 1,
    /// The full fit reached its iteration limit, met a singular system or stalled at a bound
    /// (its best parameters are kept).
    NotConverged = 2,
    /// The fit could not be computed.
    Failed = 3,
    /// A sample is NaN or infinite.
    NonFiniteData = 4,
    /// A sample is zero or negative.
    NonPositiveSignal = 5,
    /// Masked out.
    Masked = 7,
}

impl IvimStatus {
    /// Every status, in code order.
    pub const ALL: [IvimStatus; 6] = [
        IvimStatus::Ok,
        IvimStatus::NotConverged,
        IvimStatus::Failed,
        IvimStatus::NonFiniteData,
        IvimStatus::NonPositiveSignal,
        IvimStatus::Masked,
    ];

    /// The status of a code, if it is one.
    pub fn from_code(code: u32) -> Option<IvimStatus> {
        IvimStatus::ALL.iter().copied().find(|s| *s as u32 == code)
    }

    /// The stable code (the value in status maps).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// A few words for people (the `Display` text).
    pub fn name(self) -> &'static str {
        match self {
            IvimStatus::Ok => "ok",
            IvimStatus::NotConverged => "not converged",
            IvimStatus::Failed => "failed",
            IvimStatus::NonFiniteData => "non-finite data",
            IvimStatus::NonPositiveSignal => "non-positive signal",
            IvimStatus::Masked => "masked",
        }
    }
}

impl fmt::Display for IvimStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An IVIM fitting method of [`Fit`] (parsed from `segmented`, `full`, `bayesian`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// D from the high b-values, then f and D* (two or three steps).
    Segmented,
    /// Bounded Levenberg-Marquardt of all four parameters from the segmented result.
    Full,
    /// Posterior means and SDs by quadrature.
    Bayesian,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 3] = [Method::Segmented, Method::Full, Method::Bayesian];

    /// The name (`segmented`, `full`, `bayesian`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Segmented => "segmented",
            Method::Full => "full",
            Method::Bayesian => "bayesian",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = Error;

    fn from_str(s: &str) -> Result<Method> {
        match s {
            "segmented" => Ok(Method::Segmented),
            "full" => Ok(Method::Full),
            "bayesian" | "bayes" => Ok(Method::Bayesian),
            _ => Err(Error::Invalid {
                function: "ivim::Method::from_str",
                arg: "method",
                expected: "segmented, full or bayesian".into(),
                found: format!("`{s}`"),
            }),
        }
    }
}

/// How the Rician noise floor of magnitude images is handled (`sigma`: the noise SD of each
/// channel, in the input's units).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Rician {
    /// Not handled (the samples as they are).
    #[default]
    None,
    /// Every sample corrected: `sqrt(max(M² - 2 sigma², (M / 10)²))`.
    Correction {
        /// Noise SD.
        sigma: f64,
    },
    /// The full fit's model includes the floor, `sqrt(S² + 2 sigma²)`; the segmented start and
    /// the Bayesian posterior use corrected samples.
    Floor {
        /// Noise SD.
        sigma: f64,
    },
}

impl Rician {
    /// The noise SD (0 for [`Rician::None`]).
    pub fn sigma(self) -> f64 {
        match self {
            Rician::None => 0.0,
            Rician::Correction { sigma } | Rician::Floor { sigma } => sigma,
        }
    }
}

/// Bounds of the four parameters: `[s0, f, d, dstar]` (S0 relative to the voxel's mean b = 0
/// signal, D and D* in mm²/s). See the module's documentation for the defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Lower bounds.
    pub lower: [f64; 4],
    /// Upper bounds.
    pub upper: [f64; 4],
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            lower: [0.5, 0.0, 0.0, 5.0e-3],
            upper: [1.5, 1.0, 5.0e-3, 0.2],
        }
    }
}

impl Bounds {
    /// Checks the bounds: finite, lower below upper, D* above 0, f inside [0, 1].
    pub fn check(&self, function: &'static str) -> Result<()> {
        let names = ["s0", "f", "d", "dstar"];
        for (a, name) in names.iter().enumerate() {
            let (l, u) = (self.lower[a], self.upper[a]);
            if !(l.is_finite() && u.is_finite() && l <= u) {
                return Err(Error::Invalid {
                    function,
                    arg: "bounds",
                    expected: format!("finite bounds of {name} with lower <= upper"),
                    found: format!("[{l}, {u}]"),
                });
            }
        }
        if self.lower[3] <= 0.0 || self.lower[1] < 0.0 || self.upper[1] > 1.0 || self.lower[2] < 0.0 {
            return Err(Error::Invalid {
                function,
                arg: "bounds",
                expected: "D* lower bound > 0, f within [0, 1], D lower bound >= 0".into(),
                found: format!("lower {:?}, upper {:?}", self.lower, self.upper),
            });
        }
        Ok(())
    }
}

/// The acquisition: one b-value per volume, checked, and the volumes grouped by b-value
/// (values within [`B_TOLERANCE`] are one; the group's b-value is their mean), so several
/// directions of one b-value are combined and the b = 0 volumes averaged.
#[derive(Debug, Clone, PartialEq)]
pub struct Acquisition {
    /// The b-value of each volume (s/mm²).
    pub b_volumes: Vec<f64>,
    /// The b-value of each group, increasing (s/mm²); the first is 0.
    pub b: Vec<f64>,
    /// The group of each volume.
    pub group: Vec<usize>,
}

impl Acquisition {
    /// Checks `b` (one per volume, s/mm²): finite, not negative, at least one b = 0 (the
    /// normalisation) and at least four distinct values. Errors name `function`.
    pub fn new(function: &'static str, b: &[f64]) -> Result<Self> {
        if let Some((i, v)) = b.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
            return Err(Error::Invalid {
                function,
                arg: "b_values",
                expected: "finite b-values >= 0 (s/mm²)".into(),
                found: format!("{v} at volume {i}"),
            });
        }
        if !b.contains(&0.0) {
            return Err(Error::Invalid {
                function,
                arg: "b_values",
                expected: "at least one b = 0 volume (the signal is normalised to it)".into(),
                found: format!(
                    "smallest b-value {}",
                    b.iter().copied().fold(f64::INFINITY, f64::min)
                ),
            });
        }
        let mut sorted: Vec<f64> = b.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut groups: Vec<Vec<f64>> = Vec::new();
        for v in sorted {
            match groups.last_mut() {
                Some(g) if v - g[0] <= B_TOLERANCE && (v == 0.0) == (g[0] == 0.0) => g.push(v),
                _ => groups.push(vec![v]),
            }
        }
        if groups.len() < 4 {
            return Err(Error::Invalid {
                function,
                arg: "b_values",
                expected: "at least 4 distinct b-values (4 parameters)".into(),
                found: format!("{}", groups.len()),
            });
        }
        let centre: Vec<f64> = groups
            .iter()
            .map(|g| g.iter().sum::<f64>() / g.len() as f64)
            .collect();
        let group = b
            .iter()
            .map(|v| groups.iter().position(|g| g.iter().any(|x| x == v)).unwrap_or(0))
            .collect();
        Ok(Acquisition {
            b_volumes: b.to_vec(),
            b: centre,
            group,
        })
    }

    /// Checks b-vectors against the b-values: one per volume, each of unit length (or zero for
    /// a b = 0 volume, within 1e-2). Errors name `function` and `b_vectors`.
    pub fn check_vectors(&self, function: &'static str, vectors: &[[f64; 3]]) -> Result<()> {
        if vectors.len() != self.b_volumes.len() {
            return Err(Error::Invalid {
                function,
                arg: "b_vectors",
                expected: format!("one vector per b-value ({})", self.b_volumes.len()),
                found: format!("{} vectors", vectors.len()),
            });
        }
        for (i, (v, b)) in vectors.iter().zip(&self.b_volumes).enumerate() {
            let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            let ok = n.is_finite() && ((n - 1.0).abs() < 1e-2 || (*b == 0.0 && n < 1e-2));
            if !ok {
                return Err(Error::Invalid {
                    function,
                    arg: "b_vectors",
                    expected: "unit vectors (zero allowed at b = 0)".into(),
                    found: format!("length {n} at volume {i} (b = {b})"),
                });
            }
        }
        Ok(())
    }

    /// The index of the b = 0 group (always 0: the groups are sorted).
    pub fn b0_group(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquisition_groups_directions_and_b0() {
        let a = Acquisition::new("t", &[0.0, 1000.0, 1000.2, 0.0, 10.0, 200.0, 1000.0]).unwrap();
        assert_eq!(a.b.len(), 4);
        assert_eq!(a.group, vec![0, 3, 3, 0, 1, 2, 3]);
        assert!((a.b[3] - 1000.0667).abs() < 1e-3);
    }

    #[test]
    fn acquisition_refuses_bad_b_values() {
        assert!(Acquisition::new("t", &[0.0, -1.0, 10.0, 20.0, 30.0]).is_err());
        let e = Acquisition::new("t", &[5.0, 10.0, 20.0, 30.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("b = 0"), "{e}");
        assert!(Acquisition::new("t", &[0.0, 10.0, 10.0, 20.0]).is_err());
        let a = Acquisition::new("t", &[0.0, 10.0, 20.0, 30.0]).unwrap();
        assert!(a.check_vectors("t", &[[0.0; 3]; 3]).is_err());
        assert!(a
            .check_vectors(
                "t",
                &[[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
            )
            .is_ok());
        assert!(a
            .check_vectors(
                "t",
                &[[0.0; 3], [2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
            )
            .is_err());
    }

    #[test]
    fn methods_parse_and_bounds_check() {
        for m in Method::ALL {
            assert_eq!(m.name().parse::<Method>().unwrap(), m);
        }
        assert!("nope".parse::<Method>().is_err());
        assert!(Bounds::default().check("t").is_ok());
        let mut b = Bounds::default();
        b.lower[3] = 0.0;
        assert!(b.check("t").is_err());
        assert_eq!(IvimStatus::from_code(5), Some(IvimStatus::NonPositiveSignal));
    }
}
