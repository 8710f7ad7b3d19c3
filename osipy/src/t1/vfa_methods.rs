//! The variable-flip-angle methods: acquisition, checks, launches.

use osipy_kernels::fit::{FitResult, FitValues, LevenbergMarquardt};
use osipy_kernels::{IntoXpRef, XpArray, XpRef};

use super::{check_bounds, vfa, T1Map};
use crate::conc::arrays::{curves_shape, invalid, positive, row, voxel_map, zeros, Held};
use crate::conc::VoxelValue;
use crate::Result;

/// Nominal flip angles (degrees): one row for every voxel, or a row per voxel.
#[derive(Debug)]
pub enum FlipAngles<'a> {
    /// The same angles for every voxel, one per sample.
    Uniform(Vec<f64>),
    /// One row per voxel: an array of the data's shape, on the data's device.
    Map(XpRef<'a, f64>),
}

impl<'a> FlipAngles<'a> {
    /// Angles per voxel (an array of the data's shape).
    pub fn map(m: impl IntoXpRef<'a, f64>) -> Self {
        FlipAngles::Map(m.into_xp_ref())
    }
}

impl From<Vec<f64>> for FlipAngles<'_> {
    fn from(v: Vec<f64>) -> Self {
        FlipAngles::Uniform(v)
    }
}

impl From<&[f64]> for FlipAngles<'_> {
    fn from(v: &[f64]) -> Self {
        FlipAngles::Uniform(v.to_vec())
    }
}

impl<const N: usize> From<[f64; N]> for FlipAngles<'_> {
    fn from(v: [f64; N]) -> Self {
        FlipAngles::Uniform(v.to_vec())
    }
}

/// A variable-flip-angle SPGR acquisition.
#[derive(Debug)]
pub struct Vfa<'a> {
    /// Nominal flip angles (degrees).
    pub flip_angles: FlipAngles<'a>,
    /// Repetition time (s), the same for every angle.
    pub tr: f64,
    /// B1 scale of the flip angles (actual / nominal), uniform or per voxel; 1 when not
    /// corrected.
    pub b1: VoxelValue<'a>,
}

impl<'a> Vfa<'a> {
    /// An acquisition with flip angles `flip_angles` (degrees) and `tr` (s), without B1
    /// correction.
    pub fn new(flip_angles: impl Into<FlipAngles<'a>>, tr: f64) -> Self {
        Vfa {
            flip_angles: flip_angles.into(),
            tr,
            b1: VoxelValue::Uniform(1.0),
        }
    }

    /// Corrects the flip angles with a B1 map (or a uniform scale).
    pub fn b1(mut self, b1: impl Into<VoxelValue<'a>>) -> Self {
        self.b1 = b1.into();
        self
    }
}

/// The checked inputs of a VFA method, placed on the data's device.
struct VfaArgs<'s, 'a> {
    signal: XpRef<'s, f64>,
    items: Vec<usize>,
    n: usize,
    fa: Angles<'a>,
    b1: Held<'a>,
}

enum Angles<'a> {
    Uniform(XpArray<f64>),
    Map(XpRef<'a, f64>),
}

impl<'s, 'a> VfaArgs<'s, 'a> {
    fn new(function: &'static str, signal: XpRef<'s, f64>, acq: &'a Vfa<'_>, min_n: usize) -> Result<Self> {
        let (items, n) = curves_shape(function, "signal", signal.shape())?;
        if n < min_n {
            return Err(invalid(
                function,
                "signal",
                format!("at least {min_n} samples (flip angles) per voxel"),
                format!("{n}"),
            ));
        }
        positive(function, "tr", acq.tr, "s")?;
        let dev = signal.placement();
        let fa = match &acq.flip_angles {
            FlipAngles::Uniform(v) => {
                if v.len() != n {
                    return Err(invalid(
                        function,
                        "flip_angles",
                        format!("{n} flip angles (one per sample of the signal)"),
                        format!("{}", v.len()),
                    ));
                }
                if let Some(a) = v.iter().find(|a| !(**a > 0.0 && **a < 180.0)) {
                    return Err(invalid(
                        function,
                        "flip_angles",
                        "angles in (0, 180) degrees",
                        a.to_string(),
                    ));
                }
                Angles::Uniform(row(v, dev)?)
            }
            FlipAngles::Map(m) => {
                if m.shape() != signal.shape() {
                    return Err(invalid(
                        function,
                        "flip_angles",
                        format!("a map of the signal's shape {:?}", signal.shape()),
                        format!("shape {:?}", m.shape()),
                    ));
                }
                if m.placement() != dev {
                    return Err(invalid(
                        function,
                        "flip_angles",
                        format!("a map on {dev} (where the signal is)"),
                        format!("a map on {}", m.placement()),
                    ));
                }
                Angles::Map(m.into_xp_ref())
            }
        };
        let b1 = voxel_map(function, "b1", &acq.b1, &items, dev, |v| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err("a finite scale > 0".to_string())
            }
        })?;
        Ok(VfaArgs {
            signal,
            items,
            n,
            fa,
            b1,
        })
    }

    fn pair(&self, function: &'static str, i: usize, j: usize) -> Result<()> {
        if i < self.n && j < self.n && i != j {
            Ok(())
        } else {
            Err(invalid(
                function,
                "angles",
                format!("two different sample indices below {}", self.n),
                format!("({i}, {j})"),
            ))
        }
    }
}

type Maps = (XpArray<f64>, XpArray<f64>, XpArray<f64>, XpArray<u32>);

fn t1_map((s0, r1, t1, status): Maps, fit: Option<FitResult>) -> T1Map {
    T1Map {
        r1,
        t1,
        s0,
        status,
        fit,
    }
}

/// Linear VFA T1 (DESPOT1) of every voxel of `signal` (voxels x angles, a.u.).
pub fn vfa_linear<'d>(signal: impl IntoXpRef<'d, f64>, acq: &Vfa<'_>) -> Result<T1Map> {
    const F: &str = "t1::vfa_linear";
    let a = VfaArgs::new(F, signal.into_xp_ref(), acq, 2)?;
    let b1 = a.b1.xp();
    let maps = match &a.fa {
        Angles::Uniform(fa) => vfa::vfa_linear::launch(&a.signal, fa, acq.tr, &b1)?,
        Angles::Map(fa) => vfa::vfa_linear_map::launch(&a.signal, fa, acq.tr, &b1)?,
    };
    Ok(t1_map(maps, None))
}

/// Two-flip-angle T1 of every voxel from the samples `i` and `j` of `signal` (voxels x angles;
/// the OSIPI tests use the first and the last angle).
pub fn vfa_two_angle<'d>(
    signal: impl IntoXpRef<'d, f64>,
    acq: &Vfa<'_>,
    i: usize,
    j: usize,
) -> Result<T1Map> {
    const F: &str = "t1::vfa_two_angle";
    let a = VfaArgs::new(F, signal.into_xp_ref(), acq, 2)?;
    a.pair(F, i, j)?;
    let b1 = a.b1.xp();
    let maps = match &a.fa {
        Angles::Uniform(fa) => vfa::vfa_two_angle::launch(&a.signal, fa, i, j, acq.tr, &b1)?,
        Angles::Map(fa) => vfa::vfa_two_angle_map::launch(&a.signal, fa, i, j, acq.tr, &b1)?,
    };
    Ok(t1_map(maps, None))
}

/// Where the nonlinear VFA fit starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VfaStart {
    /// Per voxel from DESPOT1 (clamped into the bounds by the fitter); where DESPOT1 has no
    /// solution, `R1 = fallback_r1` (/s) and the S0 that fits best at that rate.
    Linear {
        /// R1 (/s) for voxels without a DESPOT1 solution.
        fallback_r1: f64,
    },
    /// The same start for every voxel.
    Shared {
        /// S0 (a.u.).
        s0: f64,
        /// R1 (/s).
        r1: f64,
    },
}

/// Settings of [`vfa_nonlinear`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VfaFit {
    /// Solver settings.
    pub settings: LevenbergMarquardt,
    /// The start.
    pub start: VfaStart,
    /// Bounds of S0 (a.u.); default `[0, inf)`.
    pub s0_bounds: (f64, f64),
    /// Bounds of R1 (/s); default `[1e-3, 1e3]` (T1 from 1 ms to 1000 s).
    pub r1_bounds: (f64, f64),
}

impl Default for VfaFit {
    fn default() -> Self {
        VfaFit {
            settings: LevenbergMarquardt::default(),
            start: VfaStart::Linear { fallback_r1: 1.0 },
            s0_bounds: (0.0, f64::INFINITY),
            r1_bounds: (1e-3, 1e3),
        }
    }
}

/// Nonlinear VFA T1 of every voxel of `signal` (voxels x angles, a.u.): the SPGR signal fitted
/// over S0 and R1 by the generated Levenberg-Marquardt fitter, with the B1 map of `acq` if
/// any. `T1Map::fit` holds the fit's own result.
pub fn vfa_nonlinear<'d>(signal: impl IntoXpRef<'d, f64>, acq: &Vfa<'_>, fit: &VfaFit) -> Result<T1Map> {
    const F: &str = "t1::vfa_nonlinear";
    let a = VfaArgs::new(F, signal.into_xp_ref(), acq, 2)?;
    check_bounds(F, "s0_bounds", fit.s0_bounds)?;
    check_bounds(F, "r1_bounds", fit.r1_bounds)?;
    let dev = a.signal.placement();
    let b1 = a.b1.xp();
    let init: FitValues = match fit.start {
        VfaStart::Shared { s0, r1 } => {
            if s0.is_nan() || r1.is_nan() {
                return Err(invalid(
                    F,
                    "start",
                    "a start that is a number",
                    format!("s0 {s0}, r1 {r1}"),
                ));
            }
            FitValues::Shared(vec![s0, r1])
        }
        VfaStart::Linear { fallback_r1 } => {
            positive(F, "fallback_r1", fallback_r1, "/s")?;
            let mut shape = a.items.clone();
            shape.push(2);
            let mut init = zeros(&shape, dev)?;
            match &a.fa {
                Angles::Uniform(fa) => {
                    vfa::vfa_start::launch(&a.signal, fa, acq.tr, &b1, fallback_r1, &mut init)?
                }
                Angles::Map(fa) => {
                    vfa::vfa_start_map::launch(&a.signal, fa, acq.tr, &b1, fallback_r1, &mut init)?
                }
            }
            FitValues::PerVoxel(init)
        }
    };
    let lower = vec![fit.s0_bounds.0, fit.r1_bounds.0];
    let upper = vec![fit.s0_bounds.1, fit.r1_bounds.1];
    let result = match &a.fa {
        Angles::Uniform(fa) => vfa::spgr_vfa::fitter(fa, acq.tr, &b1)
            .settings(fit.settings)
            .init(init)
            .lower(lower)
            .upper(upper)
            .fit(&a.signal)?,
        Angles::Map(fa) => vfa::spgr_vfa_map::fitter(fa, acq.tr, &b1)
            .settings(fit.settings)
            .init(init)
            .lower(lower)
            .upper(upper)
            .fit(&a.signal)?,
    };
    let maps = vfa::vfa_finish::launch(&result.params, &result.status)?;
    Ok(t1_map(maps, Some(result)))
}
