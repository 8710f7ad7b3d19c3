//! The T1 volume pipeline: a method chosen at run time ([`Method`]) applied to every voxel of
//! a VFA or Look-Locker series ([`VolumeFit`]), with named maps out.

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayBase, ArrayViewD, Data, Dimension, IxDyn};
use osipy_kernels::{Device, XpArray};

use super::{look_locker, vfa_linear, vfa_nonlinear, vfa_two_angle, LookLocker, T1Status, Vfa, VfaFit};
use crate::conc::VoxelValue;
use crate::volume::{
    chunks, default_chunk, host_f64, MapKind, Maps, MapsBuilder, Progress, Run, Series, Voxels,
};
use crate::{Error, Result};

/// A T1 mapping method of [`VolumeFit`].
///
/// Parsed from the names the `osipy t1` command uses: `nonlinear`, `linear`, `two-angle`
/// (`two_angle`), `look-locker` (`look_locker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// VFA: the SPGR signal fitted over S0 and R1 ([`vfa_nonlinear`]).
    Nonlinear,
    /// VFA: linear DESPOT1 over all angles ([`vfa_linear`]).
    Linear,
    /// VFA: DESPOT1 through the first and the last angle ([`vfa_two_angle`]).
    TwoAngle,
    /// Look-Locker inversion recovery ([`look_locker()`]).
    LookLocker,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 4] = [
        Method::Nonlinear,
        Method::Linear,
        Method::TwoAngle,
        Method::LookLocker,
    ];

    /// The name (`nonlinear`, `linear`, `two-angle`, `look-locker`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Nonlinear => "nonlinear",
            Method::Linear => "linear",
            Method::TwoAngle => "two-angle",
            Method::LookLocker => "look-locker",
        }
    }

    /// Whether it is a variable flip angle method.
    pub fn is_vfa(self) -> bool {
        self != Method::LookLocker
    }

    /// Whether it fits (and so has the quality maps r2, chi2 and iterations).
    pub fn is_fit(self) -> bool {
        matches!(self, Method::Nonlinear | Method::LookLocker)
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
            "nonlinear" => Ok(Method::Nonlinear),
            "linear" => Ok(Method::Linear),
            "two-angle" | "two_angle" => Ok(Method::TwoAngle),
            "look-locker" | "look_locker" => Ok(Method::LookLocker),
            _ => Err(Error::Invalid {
                function: "Method::from_str",
                arg: "method",
                expected: "nonlinear, linear, two-angle or look-locker".into(),
                found: format!("`{s}`"),
            }),
        }
    }
}

/// T1 mapping of every voxel of a series: the per-voxel part of a T1 analysis, from a VFA or
/// Look-Locker series to named maps.
///
/// The series is `x, y, z, volumes` (or any number of voxel axes), one volume per flip angle
/// (VFA) or per readout time after the inversion (Look-Locker), in host memory or on a
/// device. Voxels are computed in chunks with a progress callback after each; every voxel is
/// alone, so the maps do not depend on the chunk size or the thread count.
///
/// The maps: `t1` (s), `r1` (/s), `s0` (a.u.), `status` ([`T1Status`] codes); Look-Locker
/// adds `t1_star` (s), `a` and `b` (a.u.); the fitted methods (nonlinear, Look-Locker) add
/// `r2`, `chi2` (a.u.²) and `iterations`. Outside the mask every map is NaN and the status is
/// `Masked` (7).
///
/// ```
/// use ndarray::Array4;
/// use osipy::t1;
///
/// // 3 x 3 x 1 voxels of SPGR signal: S0 = 1000, T1 = 1 s, TR = 5 ms.
/// let (fa, tr) = ([2.0, 10.0, 20.0], 0.005);
/// let e = (-tr / 1.0f64).exp();
/// let spgr = |a: f64| 1000.0 * a.to_radians().sin() * (1.0 - e) / (1.0 - a.to_radians().cos() * e);
/// let signal = Array4::from_shape_fn((3, 3, 1, 3), |(_, _, _, k)| spgr(fa[k]));
///
/// let maps = t1::VolumeFit::vfa("nonlinear".parse()?, fa, tr).fit(&signal)?;
/// assert!((maps.get("t1").unwrap()[[2, 1, 0]] - 1.0).abs() < 1e-9);
/// assert_eq!(maps.map("r1").unwrap().unit, "/s");
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
    method: Method,
    flip_angles: Vec<f64>,
    tr: f64,
    b1: Option<ArrayViewD<'a, f64>>,
    times: Vec<f64>,
    magnitude: bool,
    fit: VfaFit,
    mask: Option<ArrayViewD<'a, bool>>,
}

impl<'a> VolumeFit<'a> {
    crate::volume::run_setters!('a);

    /// A variable flip angle mapping with `method` (a VFA method): nominal flip angles
    /// (degrees, one per volume) and the repetition time `tr` (s).
    pub fn vfa(method: Method, flip_angles: impl Into<Vec<f64>>, tr: f64) -> Self {
        Self::with(Setup {
            method,
            flip_angles: flip_angles.into(),
            tr,
            b1: None,
            times: Vec::new(),
            magnitude: false,
            fit: VfaFit::default(),
            mask: None,
        })
    }

    /// A Look-Locker mapping: readout times after the inversion (s, one per volume).
    pub fn look_locker(times: impl Into<Vec<f64>>) -> Self {
        Self::with(Setup {
            method: Method::LookLocker,
            flip_angles: Vec::new(),
            tr: f64::NAN,
            b1: None,
            times: times.into(),
            magnitude: false,
            fit: VfaFit::default(),
            mask: None,
        })
    }

    fn with(setup: Setup<'a>) -> Self {
        VolumeFit {
            setup,
            run: Run::default(),
        }
    }

    /// Look-Locker: the volumes are magnitude images (default: signed, phase-corrected).
    pub fn magnitude(mut self, magnitude: bool) -> Self {
        self.setup.magnitude = magnitude;
        self
    }

    /// VFA: the B1 scale map (actual / nominal flip angle) of the series' voxel shape.
    pub fn b1<S: Data<Elem = f64>, D: Dimension>(mut self, b1: &'a ArrayBase<S, D>) -> Self {
        self.setup.b1 = Some(b1.view().into_dyn());
        self
    }

    /// The solver settings of the fitted methods (nonlinear VFA and Look-Locker; default
    /// [`LevenbergMarquardt::default`](osipy_kernels::fit::LevenbergMarquardt)).
    pub fn settings(mut self, settings: osipy_kernels::fit::LevenbergMarquardt) -> Self {
        self.setup.fit.settings = settings;
        self
    }

    /// The nonlinear VFA fit's settings (default [`VfaFit::default`]).
    pub fn fit_settings(mut self, fit: VfaFit) -> Self {
        self.setup.fit = fit;
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.setup.method
    }

    /// Maps every voxel of the mask of `signal` (voxel axes, then one value per volume).
    /// Errors (nothing is computed): a series whose volumes do not match the flip angles or
    /// times, a B1 map or mask of another voxel shape, a mask that selects no voxel, bad
    /// acquisition values or settings, a device that cannot be used. Per-voxel failures are
    /// statuses in the maps.
    pub fn fit<'s>(mut self, signal: impl Into<Series<'s>>) -> Result<Maps> {
        let signal = signal.into();
        let s = &self.setup;
        let (items, nv) = signal.split_shape("t1::VolumeFit::fit", "signal")?;
        let (what, n) = if s.method.is_vfa() {
            ("flip angles", s.flip_angles.len())
        } else {
            ("readout times", s.times.len())
        };
        if n != nv {
            return Err(Error::Invalid {
                function: "t1::VolumeFit::fit",
                arg: "signal",
                expected: format!("{n} volumes (one per {what})"),
                found: format!("shape {:?}", signal.shape()),
            });
        }
        if s.method == Method::TwoAngle && nv < 2 {
            return Err(Error::Invalid {
                function: "t1::VolumeFit::fit",
                arg: "flip_angles",
                expected: "at least two flip angles for two-angle".into(),
                found: format!("{nv}"),
            });
        }
        if let Some(b) = &s.b1 {
            if !s.method.is_vfa() {
                return Err(Error::Invalid {
                    function: "t1::VolumeFit::b1",
                    arg: "b1",
                    expected: "a VFA method (B1 scales flip angles)".into(),
                    found: "look-locker".into(),
                });
            }
            if b.shape() != items.as_slice() {
                return Err(Error::Invalid {
                    function: "t1::VolumeFit::b1",
                    arg: "b1",
                    expected: format!("the series' voxel shape {items:?}"),
                    found: format!("shape {:?}", b.shape()),
                });
            }
        }
        let voxels = Voxels::new_nonempty("t1::VolumeFit::fit", &items, s.mask.as_ref())?;
        self.run.run("t1::VolumeFit::fit", |device, chunk, progress| {
            s.map_voxels(&signal, nv, &voxels, device, chunk, progress)
        })
    }
}

/// `(name, unit, kind, values)` of one chunk, in output order.
type Column = (&'static str, &'static str, MapKind, Vec<f64>);

impl Setup<'_> {
    fn map_voxels(
        &self,
        signal: &Series<'_>,
        nv: usize,
        voxels: &Voxels,
        device: Device,
        chunk: Option<usize>,
        progress: &mut Progress<'_>,
    ) -> Result<Maps> {
        let (dev, rows, all_voxels) = match signal {
            Series::Host(rows) => (device, rows.clone(), None),
            // A device series: every voxel in one launch there, then the mask applied.
            Series::Device(a) => (
                a.placement(),
                ArrayViewD::from_shape(IxDyn(&[0]), &[][..]).map_err(|e| Error::Invalid {
                    function: "t1::VolumeFit::fit",
                    arg: "signal",
                    expected: "a series".into(),
                    found: e.to_string(),
                })?,
                Some(*a),
            ),
        };
        dev.check_available()?;
        let total = voxels.selected.len();
        let mut maps = MapsBuilder::new(voxels.clone());
        let masked = f64::from(T1Status::Masked as u32);
        progress.report(0, total);
        if let Some(a) = all_voxels {
            let n_all = voxels.len_all();
            let part = if a.shape() == [n_all, nv] {
                a.clone()
            } else {
                let h = a
                    .to_host()?
                    .into_shape_with_order(IxDyn(&[n_all, nv]))
                    .map_err(|e| Error::Invalid {
                        function: "t1::VolumeFit::fit",
                        arg: "signal",
                        expected: format!("{n_all} voxels x {nv}"),
                        found: e.to_string(),
                    })?;
                XpArray::from_host(h).to_device(&dev)?
            };
            let b1 = match &self.b1 {
                Some(b) => Some(
                    XpArray::from_host(b.to_shape(IxDyn(&[n_all])).map_err(shape_err)?.to_owned())
                        .to_device(&dev)?,
                ),
                None => None,
            };
            let got = self.chunk_maps(&part, b1.as_ref())?;
            let keep = &voxels.selected;
            for (name, unit, kind, v) in got {
                let fill = if name == "status" { masked } else { f64::NAN };
                let c = maps.column(name, unit, kind, fill);
                let sel: Vec<f64> = keep.iter().map(|&i| v[i]).collect();
                maps.put(c, 0..total, &sel)?;
            }
            progress.report(total, total);
            return maps.finish();
        }
        let chunk = chunk.unwrap_or_else(|| default_chunk(total, dev));
        for range in chunks(total, chunk) {
            let part = XpArray::from_host(voxels.gather(&rows, nv, range.clone())?).to_device(&dev)?;
            let b1 = match &self.b1 {
                Some(b) => {
                    let g =
                        voxels.gather(&b.view().insert_axis(ndarray::Axis(b.ndim())), 1, range.clone())?;
                    let flat = g
                        .into_shape_with_order(IxDyn(&[range.len()]))
                        .map_err(shape_err)?;
                    Some(XpArray::from_host(flat).to_device(&dev)?)
                }
                None => None,
            };
            for (name, unit, kind, v) in self.chunk_maps(&part, b1.as_ref())? {
                let fill = if name == "status" { masked } else { f64::NAN };
                let c = maps.column(name, unit, kind, fill);
                maps.put(c, range.clone(), &v)?;
            }
            progress.report(range.end, total);
        }
        maps.finish()
    }

    /// The maps of the voxels `part` (voxels x volumes, on the fit's device), in output order.
    fn chunk_maps(&self, part: &XpArray<f64>, b1: Option<&XpArray<f64>>) -> Result<Vec<Column>> {
        let p = MapKind::Parameter;
        let q = MapKind::Quality;
        let mut got: Vec<Column> = Vec::new();
        if self.method == Method::LookLocker {
            let ll = LookLocker::new(self.times.clone())
                .magnitude(self.magnitude)
                .settings(self.fit.settings);
            let r = look_locker(part, &ll)?;
            let (a, b) = (host_f64(&r.a)?, host_f64(&r.b)?);
            let s0: Vec<f64> = a.iter().zip(&b).map(|(a, b)| b - a).collect();
            got.push(("t1", "s", p, host_f64(&r.t1)?));
            got.push(("r1", "/s", p, host_f64(&r.r1)?));
            got.push(("s0", "a.u.", p, s0));
            got.push(("status", "code", q, host_f64(&r.status)?));
            got.push(("t1_star", "s", p, host_f64(&r.t1_star)?));
            got.push(("a", "a.u.", p, a));
            got.push(("b", "a.u.", p, b));
            got.push(("r2", "", q, host_f64(&r.fit.r2)?));
            got.push(("chi2", "a.u.^2", q, host_f64(&r.fit.chi2)?));
            got.push(("iterations", "", q, host_f64(&r.fit.iterations)?));
        } else {
            let mut vfa = Vfa::new(self.flip_angles.clone(), self.tr);
            if let Some(b) = b1 {
                vfa = vfa.b1(VoxelValue::from(b));
            }
            let r = match self.method {
                Method::Linear => vfa_linear(part, &vfa)?,
                Method::TwoAngle => vfa_two_angle(part, &vfa, 0, self.flip_angles.len() - 1)?,
                _ => vfa_nonlinear(part, &vfa, &self.fit)?,
            };
            got.push(("t1", "s", p, host_f64(&r.t1)?));
            got.push(("r1", "/s", p, host_f64(&r.r1)?));
            got.push(("s0", "a.u.", p, host_f64(&r.s0)?));
            got.push(("status", "code", q, host_f64(&r.status)?));
            if let Some(f) = &r.fit {
                got.push(("r2", "", q, host_f64(&f.r2)?));
                got.push(("chi2", "a.u.^2", q, host_f64(&f.chi2)?));
                got.push(("iterations", "", q, host_f64(&f.iterations)?));
            }
        }
        let n = part.shape().first().copied().unwrap_or(0);
        if let Some((name, _, _, v)) = got.iter().find(|c| c.3.len() != n) {
            return Err(Error::Invalid {
                function: "t1::VolumeFit::fit",
                arg: name,
                expected: format!("{n} voxels"),
                found: format!("{}", v.len()),
            });
        }
        Ok(got)
    }
}

fn shape_err(e: ndarray::ShapeError) -> Error {
    Error::Invalid {
        function: "t1::VolumeFit::fit",
        arg: "b1",
        expected: "a map of the series' voxel shape".into(),
        found: e.to_string(),
    }
}
