//! The DSC volume pipelines: [`Perfusion`] (a concentration or signal series and an AIF in,
//! perfusion maps out) and [`Analysis`] (the whole chain from a signal series, the
//! cross-voxel steps included).

use std::ops::Range;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use osipy_kernels::fit::LevenbergMarquardt;
use osipy_kernels::{Device, XpArray};

use super::{gamma, kernels, leakage, Conversion, Deconvolution, DscStatus, Factors, Method, Selection};
use crate::volume::{
    chunks, default_chunk, host_f64, MapKind, Maps, MapsBuilder, Progress, Run, Series, Voxels,
};
use crate::{Error, Result};

/// Leakage correction of [`Perfusion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Leakage {
    /// None.
    #[default]
    None,
    /// Boxerman-Schmainda-Weisskoff ([`leakage::bsw()`]): maps `k1`, `k2` (/s) and
    /// `cbv_uncorrected`; `cbv` and every map after it from the corrected curves.
    Bsw,
    /// The bidirectional extension ([`leakage::bidirectional()`]): adds `kep` (/s).
    Bidirectional,
}

impl std::str::FromStr for Leakage {
    type Err = Error;

    fn from_str(s: &str) -> Result<Leakage> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Leakage::None),
            "bsw" => Ok(Leakage::Bsw),
            "bidirectional" => Ok(Leakage::Bidirectional),
            _ => Err(Error::Invalid {
                function: "dsc::Leakage::from_str",
                arg: "leakage",
                expected: "none, bsw or bidirectional".into(),
                found: format!("`{s}`"),
            }),
        }
    }
}

/// DSC perfusion maps of every voxel of a series: the per-voxel part of a DSC analysis.
///
/// The series is `x, y, z, frames` (or any number of voxel axes) of concentration (default)
/// or, with [`signal`](Perfusion::signal), of DSC signal converted voxel by voxel; the AIF is
/// a concentration curve of the same frames; the frames are evenly spaced (an uneven time
/// axis is refused). The AIF is factorised once ([`Deconvolution::factorise`]); the voxels
/// are computed in chunks, each alone, so the maps do not depend on the chunk size or the
/// thread count.
///
/// Maps: `cbf` (ml/100 g/min), `cbv` (ml/100 g), `mtt` (s), `ttp` (s), `tmax` (s); with
/// [`first_pass`](Perfusion::first_pass) `cbv` is the gamma-variate first-pass volume and
/// `cbv_whole` the whole-series one; with leakage correction `k1`, `k2` (/s), `kep` (/s,
/// bidirectional) and `cbv_uncorrected`; from signal `s0` (a.u.); the quality maps `r2` (the
/// fraction of the curve's variance the deconvolution explains), `status`
/// ([`DscStatus`]) and for oSVD `components` (the singular components kept). Outside the
/// mask the maps are NaN and the status `Masked` (7).
///
/// ```
/// use ndarray::Array2;
/// use osipy::dsc;
///
/// // An AIF and 3 voxels with CBF 60 ml/100 g/min and MTT 4 s (exponential residue), 1 s frames.
/// let t: Vec<f64> = (0..60).map(|k| k as f64).collect();
/// let aif: Vec<f64> = t.iter().map(|&x| if x > 5.0 { (x - 5.0).powi(3) * (-(x - 5.0) / 1.5).exp() } else { 0.0 }).collect();
/// let f = 60.0 / 6000.0; // /s
/// let mut conc = Array2::zeros((3, 60));
/// for k in 0..60 {
///     let c: f64 = (0..=k).map(|j| aif[j] * f * (-((k - j) as f64) / 4.0).exp()).sum();
///     for v in 0..3 { conc[[v, k]] = c; }
/// }
/// let maps = dsc::Perfusion::new(dsc::Method::Csvd, &t, &aif).factors(1.0, 1.0).fit(&conc)?;
/// // CBV = 100 F sum_k exp(-k / 4) (the discrete residue's area) = 4.52 ml/100 ml.
/// assert!((maps.get("cbv").unwrap()[[0]] - 100.0 * f / (1.0 - (-0.25f64).exp())).abs() < 0.05);
/// assert!(maps.get("cbf").unwrap()[[0]] > 40.0);
/// assert_eq!(maps.map("cbf").unwrap().unit, "ml/100g/min");
/// # Ok::<(), osipy::Error>(())
/// ```
#[derive(Debug)]
pub struct Perfusion<'a> {
    setup: Setup<'a>,
    run: Run<'a>,
}

#[derive(Debug)]
struct Setup<'a> {
    deconvolution: Deconvolution,
    times: Vec<f64>,
    aif: Vec<f64>,
    density: f64,
    kh: f64,
    leakage: Leakage,
    reference: Option<Vec<f64>>,
    conversion: Option<Conversion>,
    first_pass: bool,
    settings: LevenbergMarquardt,
    mask: Option<ArrayViewD<'a, bool>>,
}

impl<'a> Perfusion<'a> {
    crate::volume::run_setters!('a);

    /// Perfusion by `method` (default settings, [`Deconvolution::new`]) for frames at
    /// `times` (s) and the arterial concentration `aif` (one value per frame).
    pub fn new(method: Method, times: &[f64], aif: &[f64]) -> Self {
        Perfusion {
            setup: Setup {
                deconvolution: Deconvolution::new(method),
                times: times.to_vec(),
                aif: aif.to_vec(),
                density: super::DENSITY,
                kh: super::KH,
                leakage: Leakage::None,
                reference: None,
                conversion: None,
                first_pass: false,
                settings: LevenbergMarquardt::default(),
                mask: None,
            },
            run: Run::default(),
        }
    }

    /// The deconvolution and its settings.
    pub fn deconvolution(mut self, d: Deconvolution) -> Self {
        self.setup.deconvolution = d;
        self
    }

    /// Brain density `rho` (g/ml, default [`DENSITY`](super::DENSITY)) and haematocrit
    /// correction `kh` (default [`KH`](super::KH)); `(1, 1)` gives ml/100 ml.
    pub fn factors(mut self, density: f64, kh: f64) -> Self {
        self.setup.density = density;
        self.setup.kh = kh;
        self
    }

    /// Leakage correction (default none).
    pub fn leakage(mut self, leakage: Leakage) -> Self {
        self.setup.leakage = leakage;
        self
    }

    /// The leakage reference curve (non-leaking tissue, in the series' unit after
    /// conversion); default: [`leakage::reference_curve`] of the mask's curves.
    pub fn leakage_reference(mut self, reference: &[f64]) -> Self {
        self.setup.reference = Some(reference.to_vec());
        self
    }

    /// The series is DSC signal, converted voxel by voxel with `conversion` (tissue relation).
    pub fn signal(mut self, conversion: Conversion) -> Self {
        self.setup.conversion = Some(conversion);
        self
    }

    /// Recirculation removal: `cbv` from gamma-variate fits of the first passes of the tissue
    /// curves and of the AIF ([`gamma`]); `mtt` follows it.
    pub fn first_pass(mut self, on: bool) -> Self {
        self.setup.first_pass = on;
        self
    }

    /// The gamma-variate fits' solver settings (default
    /// [`LevenbergMarquardt::default`]).
    pub fn settings(mut self, settings: LevenbergMarquardt) -> Self {
        self.setup.settings = settings;
        self
    }

    /// Maps every voxel of the mask of `series` (voxel axes, then frames). Errors (nothing is
    /// computed): frames that do not match the times or the AIF, uneven times, an AIF the
    /// deconvolution cannot use (flat, all zero, not finite), bad factors or settings, a mask
    /// of another shape or that selects nothing, a device that cannot be used. Per-voxel
    /// failures are statuses.
    pub fn fit<'s>(mut self, series: impl Into<Series<'s>>) -> Result<Maps> {
        let series = series.into();
        let s = &self.setup;
        let (items, nt) = series.split_shape("dsc::Perfusion::fit", "series")?;
        let f = s.prepare(nt)?;
        let voxels = Voxels::new_nonempty("dsc::Perfusion::fit", &items, s.mask.as_ref())?;
        let reference = s.reference(&series, &voxels, nt, f.dt)?;
        let aif_fp = if s.first_pass {
            Some(s.aif_first_pass(&f)?)
        } else {
            None
        };
        let ctx = Context {
            f,
            reference,
            aif_first_pass: aif_fp,
        };
        self.run.run("dsc::Perfusion::fit", |device, chunk, progress| {
            s.map_voxels(&series, nt, &voxels, &ctx, device, chunk, progress)
        })
    }
}

struct Context {
    f: Factors,
    reference: Option<(Vec<f64>, Vec<f64>)>,
    aif_first_pass: Option<f64>,
}

/// `(name, unit, kind, values)` of one chunk, in output order.
type Column = (&'static str, &'static str, MapKind, Vec<f64>);

fn row(v: &[f64], dev: &Device) -> Result<XpArray<f64>> {
    let a = ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).map_err(|e| Error::Invalid {
        function: "dsc::Perfusion::fit",
        arg: "row",
        expected: "a row".into(),
        found: e.to_string(),
    })?;
    Ok(XpArray::from_host(a).to_device(dev)?)
}

fn zeros(shape: &[usize], dev: &Device) -> Result<XpArray<f64>> {
    Ok(XpArray::from_host(ArrayD::zeros(IxDyn(shape))).to_device(dev)?)
}

impl Setup<'_> {
    fn prepare(&self, nt: usize) -> Result<Factors> {
        if self.times.len() != nt || self.aif.len() != nt {
            return Err(Error::Invalid {
                function: "dsc::Perfusion::fit",
                arg: if self.times.len() != nt { "times" } else { "aif" },
                expected: format!("one value per frame of the series ({nt})"),
                found: format!("{} times and {} AIF samples", self.times.len(), self.aif.len()),
            });
        }
        if !(self.density > 0.0 && self.density.is_finite() && self.kh > 0.0 && self.kh.is_finite()) {
            return Err(Error::Invalid {
                function: "dsc::Perfusion::factors",
                arg: "density",
                expected: "a density and a haematocrit factor > 0".into(),
                found: format!("{} and {}", self.density, self.kh),
            });
        }
        if let Some(c) = &self.conversion {
            c.check(nt)?;
        }
        let dt = super::uniform_interval(&self.times)?;
        self.deconvolution.factorise(&self.aif, dt)
    }

    /// The leakage reference and its running integral, when leakage correction is on.
    fn reference(
        &self,
        series: &Series<'_>,
        voxels: &Voxels,
        nt: usize,
        dt: f64,
    ) -> Result<Option<(Vec<f64>, Vec<f64>)>> {
        if self.leakage == Leakage::None {
            return Ok(None);
        }
        let r = match (&self.reference, series) {
            (Some(r), _) => {
                if r.len() != nt || !r.iter().all(|v| v.is_finite()) {
                    return Err(Error::Invalid {
                        function: "dsc::Perfusion::leakage_reference",
                        arg: "reference",
                        expected: format!("{nt} finite values"),
                        found: format!("{} values", r.len()),
                    });
                }
                r.clone()
            }
            (None, Series::Host(rows)) => {
                let n = voxels.selected.len();
                let mut g = voxels.gather(rows, nt, 0..n)?;
                if let Some(c) = &self.conversion {
                    for mut r in g.axis_iter_mut(Axis(0)) {
                        let v = c.curve(&r.iter().copied().collect::<Vec<f64>>(), false);
                        r.iter_mut().zip(v).for_each(|(a, b)| *a = b);
                    }
                }
                let all = Voxels::new("dsc::Perfusion::fit", &[n], None)?;
                leakage::reference_curve(&g.view(), &all)?
            }
            (None, Series::Device(_)) => {
                return Err(Error::Invalid {
                    function: "dsc::Perfusion::fit",
                    arg: "leakage_reference",
                    expected: "a reference curve for a series on a device (leakage_reference)".into(),
                    found: "none".into(),
                })
            }
        };
        let int = leakage::cumulative(&r, dt);
        Ok(Some((r, int)))
    }

    /// The area of the AIF's fitted first pass (mM s).
    fn aif_first_pass(&self, f: &Factors) -> Result<f64> {
        let t = ArrayD::from_shape_vec(IxDyn(&[self.times.len()]), self.times.clone()).map_err(shape_err)?;
        let y = ArrayD::from_shape_vec(IxDyn(&[1, self.aif.len()]), self.aif.clone()).map_err(shape_err)?;
        let mut cut = ArrayD::zeros(IxDyn(&[1, self.aif.len()]));
        let mut start = ArrayD::zeros(IxDyn(&[1, 4]));
        let t_end = gamma::gamma_start::launch(&t, &y, &mut cut, &mut start)?;
        let r = gamma::gamma_variate::fitter(&t, &t_end)
            .settings(self.settings)
            .init(XpArray::from_host(start))
            .fit(&cut)?;
        let p = host_f64(&r.params)?;
        let area = gamma::gamma_area(p[0], p[2], p[3]);
        if !(area > 0.0 && area.is_finite()) {
            return Err(Error::Invalid {
                function: "dsc::Perfusion::first_pass",
                arg: "aif",
                expected: "an AIF whose first pass a gamma variate fits".into(),
                found: format!("fitted area {area} (dt {} s)", f.dt),
            });
        }
        Ok(area)
    }

    #[allow(clippy::too_many_arguments)]
    fn map_voxels(
        &self,
        series: &Series<'_>,
        nt: usize,
        voxels: &Voxels,
        ctx: &Context,
        device: Device,
        chunk: Option<usize>,
        progress: &mut Progress<'_>,
    ) -> Result<Maps> {
        let dev = match series {
            Series::Device(a) => a.placement(),
            Series::Host(_) => device,
        };
        dev.check_available()?;
        let total = voxels.selected.len();
        let mut maps = MapsBuilder::new(voxels.clone());
        let masked = f64::from(DscStatus::Masked.code());
        let fill = |name: &str| if name == "status" { masked } else { f64::NAN };
        progress.report(0, total);
        match series {
            Series::Device(a) => {
                // Every voxel in one launch where the series lives, then the mask applied.
                let n_all = voxels.len_all();
                let part = if a.shape() == [n_all, nt] {
                    (*a).clone()
                } else {
                    let h = a
                        .to_host()?
                        .into_shape_with_order(IxDyn(&[n_all, nt]))
                        .map_err(shape_err)?;
                    XpArray::from_host(h).to_device(&dev)?
                };
                let got = self.chunk_maps(&part, ctx, &mut None)?;
                for (name, unit, kind, v) in got {
                    let c = maps.column(name, unit, kind, fill(name));
                    let sel: Vec<f64> = voxels.selected.iter().map(|&i| v[i]).collect();
                    maps.put(c, 0..total, &sel)?;
                }
                progress.report(total, total);
            }
            Series::Host(rows) => {
                let chunk = chunk.unwrap_or_else(|| default_chunk(total, dev));
                // The residues' scratch rows, kept from chunk to chunk (a fresh block each time
                // would be mapped and faulted in again by the allocator).
                let mut scratch = None;
                for range in chunks(total, chunk) {
                    let part = XpArray::from_host(voxels.gather(rows, nt, range.clone())?).to_device(&dev)?;
                    for (name, unit, kind, v) in self.chunk_maps(&part, ctx, &mut scratch)? {
                        let c = maps.column(name, unit, kind, fill(name));
                        maps.put(c, range.clone(), &v)?;
                    }
                    progress.report(range.end, total);
                }
            }
        }
        maps.finish()
    }

    /// The maps of the voxels `part` (voxels x frames, on the device), in output order.
    fn chunk_maps(
        &self,
        part: &XpArray<f64>,
        ctx: &Context,
        scratch: &mut Option<XpArray<f64>>,
    ) -> Result<Vec<Column>> {
        let f = &ctx.f;
        let dev = part.placement();
        let n = part.shape()[0];
        let p = MapKind::Parameter;
        let q = MapKind::Quality;
        let mut before: Vec<Column> = Vec::new();
        let mut after: Vec<Column> = Vec::new();
        let conc = match &self.conversion {
            Some(c) => {
                let mut out = zeros(part.shape(), &dev)?;
                let s0 = kernels::signal_to_conc::launch(
                    part,
                    c.baseline.start,
                    c.baseline.end,
                    c.te,
                    c.tissue.linear,
                    c.tissue.quadratic,
                    &mut out,
                )?;
                after.push(("s0", "a.u.", p, host_f64(&s0)?));
                out
            }
            None => part.clone(),
        };
        let scale = self.kh / self.density;
        let cbv_scale = 100.0 * scale / f.aif_area;
        let cbf_scale = 6000.0 * scale;
        let conc = match (&ctx.reference, self.leakage) {
            (Some((r, int)), Leakage::Bsw | Leakage::Bidirectional) => {
                let (rr, ri) = (row(r, &dev)?, row(int, &dev)?);
                let mut corrected = zeros(conc.shape(), &dev)?;
                if self.leakage == Leakage::Bsw {
                    let (k1, k2) = leakage::bsw::launch(&conc, &rr, &ri, &mut corrected)?;
                    after.push(("k1", "", p, host_f64(&k1)?));
                    after.push(("k2", "/s", p, host_f64(&k2)?));
                } else {
                    let (k1, k2, kep) =
                        leakage::bidirectional::launch(&conc, &rr, &ri, f.dt, &mut corrected)?;
                    after.push(("k1", "", p, host_f64(&k1)?));
                    after.push(("k2", "/s", p, host_f64(&k2)?));
                    after.push(("kep", "/s", p, host_f64(&kep)?));
                }
                let (area, _, _) = kernels::curve_summary::launch(&conc, f.dt)?;
                let unc: Vec<f64> = host_f64(&area)?.iter().map(|a| cbv_scale * a).collect();
                after.push(("cbv_uncorrected", "ml/100g", p, unc));
                corrected
            }
            _ => conc,
        };
        let mut residue = match scratch.take() {
            Some(r) if r.shape() == [n, f.l] && r.placement() == dev => r,
            _ => zeros(&[n, f.l], &dev)?,
        };
        let (cbf, cbv, mtt, ttp, tmax, r2, status, comps) = if f.deconvolution.method == Method::Osvd {
            let (cbf, cbv, mtt, ttp, tmax, r2, status, k) = kernels::deconvolve_osvd::launch(
                &conc,
                &row(&f.u, &dev)?,
                &row(&f.s, &dev)?,
                &row(&f.v, &dev)?,
                f.s_min,
                f.deconvolution.oscillation_index,
                f.dt,
                cbv_scale,
                cbf_scale,
                &mut residue,
            )?;
            (cbf, cbv, mtt, ttp, tmax, r2, status, Some(k))
        } else {
            let (cbf, cbv, mtt, ttp, tmax, r2, status) = kernels::deconvolve_filtered::launch(
                &conc,
                &row(&f.u, &dev)?,
                &row(&f.s, &dev)?,
                &row(&f.v, &dev)?,
                &row(&f.gain, &dev)?,
                f.dt,
                cbv_scale,
                cbf_scale,
                &mut residue,
            )?;
            (cbf, cbv, mtt, ttp, tmax, r2, status, None)
        };
        *scratch = Some(residue);
        let cbf = host_f64(&cbf)?;
        let mut cbv = host_f64(&cbv)?;
        let mut mtt = host_f64(&mtt)?;
        let mut status = host_f64(&status)?;
        if let Some(aif_area) = ctx.aif_first_pass {
            let t = row(&self.times, &dev)?;
            let mut cut = zeros(conc.shape(), &dev)?;
            let mut start = zeros(&[n, 4], &dev)?;
            let t_end = gamma::gamma_start::launch(&t, &conc, &mut cut, &mut start)?;
            let r = gamma::gamma_variate::fitter(&t, &t_end)
                .settings(self.settings)
                .init(start)
                .fit(&cut)?;
            let pr = host_f64(&r.params)?;
            let fp_scale = 100.0 * scale / aif_area;
            let whole = std::mem::take(&mut cbv);
            for j in 0..n {
                let area = gamma::gamma_area(pr[4 * j], pr[4 * j + 2], pr[4 * j + 3]);
                let v = fp_scale * area;
                cbv.push(v);
                mtt[j] = if cbf[j] > 0.0 && v > 0.0 {
                    60.0 * v / cbf[j]
                } else {
                    f64::NAN
                };
                if status[j] == f64::from(DscStatus::Ok.code()) && (v.is_nan() || v <= 0.0) {
                    status[j] = f64::from(DscStatus::NoVolume.code());
                }
            }
            before.push(("cbv_whole", "ml/100g", p, whole));
            after.push(("gamma_status", "code", q, host_f64(&r.status)?));
        }
        let mut got: Vec<Column> = vec![
            ("cbf", "ml/100g/min", p, cbf),
            ("cbv", "ml/100g", p, cbv),
            ("mtt", "s", p, mtt),
            ("ttp", "s", p, host_f64(&ttp)?),
            ("tmax", "s", p, host_f64(&tmax)?),
        ];
        got.extend(before);
        got.extend(after);
        got.push(("r2", "", q, host_f64(&r2)?));
        got.push(("status", "code", q, status));
        if let Some(k) = comps {
            got.push(("components", "", q, host_f64(&k)?));
        }
        if let Some((name, _, _, v)) = got.iter().find(|c| c.3.len() != n) {
            return Err(Error::Invalid {
                function: "dsc::Perfusion::fit",
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
        function: "dsc::Perfusion::fit",
        arg: "series",
        expected: "voxels x frames".into(),
        found: e.to_string(),
    }
}

/// The conversion of arterial curves: the series' baseline, ended before the arterial bolus
/// arrives when the baseline was detected (arteries fill a frame or two before the tissue).
fn arterial_conversion(c: &Conversion, arterial_signal: &[f64], given: bool) -> Conversion {
    let mut own = c.clone();
    if !given {
        if let Ok(b) = super::detect_baseline(arterial_signal) {
            own.baseline.end = own.baseline.end.min(b.end).max(own.baseline.start + 1);
        }
    }
    own
}

/// Where [`Analysis`] takes its AIF from.
#[derive(Debug, Clone)]
pub enum AifSource<'a> {
    /// An arterial concentration curve (one value per frame).
    Concentration(Vec<f64>),
    /// An arterial signal curve, converted with the arterial relation and the series' baseline
    /// frames.
    Signal(Vec<f64>),
    /// The voxels of an arterial mask ([`aif_curve`](super::aif_curve)).
    Mask(ArrayViewD<'a, bool>),
    /// Automatic detection of this many voxels ([`detect_aif`](super::detect_aif)).
    Auto(usize),
}

/// Where [`Analysis`] takes its venous output function from, for partial-volume scaling of the
/// AIF ([`vof_scale`](super::vof_scale)).
#[derive(Debug, Clone)]
pub enum VofSource<'a> {
    /// No scaling.
    None,
    /// The voxels of a venous mask.
    Mask(ArrayViewD<'a, bool>),
    /// Automatic detection of this many voxels ([`detect_vof`](super::detect_vof)).
    Auto(usize),
}

/// The whole DSC analysis of a signal series in one call: baseline, concentration, AIF (with
/// optional venous output scaling), perfusion maps, optional normalisation to a reference
/// region (maps `rcbv`, `rcbf`).
///
/// ```
/// use ndarray::Array2;
/// use osipy::dsc;
///
/// // 5 voxels of signal: S0 = 100, TE = 30 ms, one arterial voxel (voxel 0), 1.5 s frames.
/// let t: Vec<f64> = (0..50).map(|k| 1.5 * k as f64).collect();
/// let gv = |x: f64, t0: f64, h: f64| if x > t0 { h * ((x - t0) / 4.0).powi(3) * (3.0 - 3.0 * (x - t0) / 4.0).exp() } else { 0.0 };
/// let signal = Array2::from_shape_fn((5, 50), |(v, k)| {
///     let r = if v == 0 { gv(t[k], 12.0, 40.0) } else { gv(t[k], 13.5, 4.0) };
///     100.0 * (-r * 0.03).exp()
/// });
/// let out = dsc::Analysis::new(&t, 0.03).aif(dsc::AifSource::Auto(1)).run(&signal.view().into_dyn())?;
/// assert_eq!(out.aif_voxels, Some(vec![0]));
/// assert!(out.maps.get("cbf").unwrap()[[3]] > 0.0);
/// # Ok::<(), osipy::Error>(())
/// ```
#[derive(Debug)]
pub struct Analysis<'a> {
    setup: AnalysisSetup<'a>,
    run: Run<'a>,
}

#[derive(Debug)]
struct AnalysisSetup<'a> {
    times: Vec<f64>,
    te: f64,
    echo: super::Echo,
    baseline: Option<Range<usize>>,
    tissue: super::Relaxivity,
    arterial: super::Relaxivity,
    aif: AifSource<'a>,
    vof: VofSource<'a>,
    deconvolution: Deconvolution,
    density: f64,
    kh: f64,
    leakage: Leakage,
    first_pass: bool,
    settings: LevenbergMarquardt,
    reference_region: Option<ArrayViewD<'a, bool>>,
    concentration: bool,
    mask: Option<ArrayViewD<'a, bool>>,
}

/// What [`Analysis::run`] found besides the maps.
#[derive(Debug, Clone)]
pub struct AnalysisResult {
    /// The maps (with `rcbv`, `rcbf` when a reference region was given).
    pub maps: Maps,
    /// The baseline frames used.
    pub baseline: Range<usize>,
    /// The AIF used (concentration, after venous output scaling).
    pub aif: Vec<f64>,
    /// The voxels of an automatic AIF (flat indices).
    pub aif_voxels: Option<Vec<usize>>,
    /// The venous output scaling factor applied to the AIF.
    pub vof_scale: Option<f64>,
    /// The voxels of an automatic VOF (flat indices).
    pub vof_voxels: Option<Vec<usize>>,
    /// The mask used.
    pub mask: ArrayD<bool>,
}

impl<'a> Analysis<'a> {
    crate::volume::run_setters!('a);

    /// An analysis of frames at `times` (s) with echo time `te` (s); defaults: gradient echo,
    /// baseline detected, relaxivities 1, automatic AIF of 10 voxels, no venous scaling,
    /// oSVD, density [`DENSITY`](super::DENSITY), `kH` [`KH`](super::KH), no leakage
    /// correction, the mask [`signal_mask`](super::signal_mask).
    pub fn new(times: &[f64], te: f64) -> Self {
        Analysis {
            setup: AnalysisSetup {
                times: times.to_vec(),
                te,
                echo: super::Echo::Gradient,
                baseline: None,
                tissue: super::Relaxivity::default(),
                arterial: super::Relaxivity::default(),
                aif: AifSource::Auto(10),
                vof: VofSource::None,
                deconvolution: Deconvolution::new(Method::Osvd),
                density: super::DENSITY,
                kh: super::KH,
                leakage: Leakage::None,
                first_pass: false,
                settings: LevenbergMarquardt::default(),
                reference_region: None,
                concentration: false,
                mask: None,
            },
            run: Run::default(),
        }
    }

    /// Gradient or spin echo (recorded; both give `-ln(S/S0)/TE`).
    pub fn echo(mut self, echo: super::Echo) -> Self {
        self.setup.echo = echo;
        self
    }

    /// The baseline frames (default: [`detect_baseline`](super::detect_baseline) on the mean
    /// signal of the mask).
    pub fn baseline(mut self, frames: Range<usize>) -> Self {
        self.setup.baseline = Some(frames);
        self
    }

    /// The tissue and arterial relations of ΔR to concentration.
    pub fn relaxivity(mut self, tissue: super::Relaxivity, arterial: super::Relaxivity) -> Self {
        self.setup.tissue = tissue;
        self.setup.arterial = arterial;
        self
    }

    /// The AIF's source.
    pub fn aif(mut self, aif: AifSource<'a>) -> Self {
        self.setup.aif = aif;
        self
    }

    /// The venous output function's source (partial-volume scaling of the AIF).
    pub fn vof(mut self, vof: VofSource<'a>) -> Self {
        self.setup.vof = vof;
        self
    }

    /// The deconvolution.
    pub fn deconvolution(mut self, d: Deconvolution) -> Self {
        self.setup.deconvolution = d;
        self
    }

    /// Density and haematocrit factors ([`Perfusion::factors`]).
    pub fn factors(mut self, density: f64, kh: f64) -> Self {
        self.setup.density = density;
        self.setup.kh = kh;
        self
    }

    /// Leakage correction.
    pub fn leakage(mut self, leakage: Leakage) -> Self {
        self.setup.leakage = leakage;
        self
    }

    /// Gamma-variate first-pass CBV ([`Perfusion::first_pass`]).
    pub fn first_pass(mut self, on: bool) -> Self {
        self.setup.first_pass = on;
        self
    }

    /// The gamma-variate fits' solver settings ([`Perfusion::settings`]).
    pub fn settings(mut self, settings: LevenbergMarquardt) -> Self {
        self.setup.settings = settings;
        self
    }

    /// A reference region (for example normal-appearing white matter): adds `rcbv` and `rcbf`,
    /// the maps over their mean there ([`normalise`](super::normalise)).
    pub fn reference_region(mut self, region: ArrayViewD<'a, bool>) -> Self {
        self.setup.reference_region = Some(region);
        self
    }

    /// The series holds concentration (or ΔR2*) rather than signal: no conversion, no
    /// baseline; an [`AifSource::Signal`] is refused.
    pub fn concentration(mut self, on: bool) -> Self {
        self.setup.concentration = on;
        self
    }

    /// Runs the analysis on `signal` (voxel axes, then frames, one frame per time).
    pub fn run(self, signal: &ArrayViewD<'_, f64>) -> Result<AnalysisResult> {
        let Analysis { setup: st, run } = self;
        let shape = signal.shape();
        let Some((&nt, items)) = shape.split_last() else {
            return Err(Error::Invalid {
                function: "dsc::Analysis::run",
                arg: "signal",
                expected: "voxels x frames".into(),
                found: format!("shape {shape:?}"),
            });
        };
        if st.times.len() != nt {
            return Err(Error::Invalid {
                function: "dsc::Analysis::run",
                arg: "times",
                expected: format!("one time per frame of the signal ({nt})"),
                found: format!("{}", st.times.len()),
            });
        }
        let mask = match (&st.mask, st.concentration) {
            (Some(m), _) => m.to_owned(),
            (None, false) => super::signal_mask(signal)?,
            (None, true) => crate::volume::default_mask(signal),
        };
        let voxels = Voxels::new_nonempty("dsc::Analysis::run", items, Some(&mask.view()))?;
        let baseline = match (&st.baseline, st.concentration) {
            (Some(b), _) => b.clone(),
            (None, true) => 0..0,
            (None, false) => {
                let n = voxels.selected.len();
                let g = voxels.gather(signal, nt, 0..n)?;
                let mean: Vec<f64> = (0..nt)
                    .map(|k| {
                        let col = g.index_axis(Axis(1), k);
                        let (s, c) = col
                            .iter()
                            .filter(|v| v.is_finite())
                            .fold((0.0, 0usize), |a, v| (a.0 + v, a.1 + 1));
                        s / c as f64
                    })
                    .collect();
                super::detect_baseline(&mean)?
            }
        };
        let conversion = Conversion {
            te: st.te,
            echo: st.echo,
            baseline: baseline.clone(),
            tissue: st.tissue,
            arterial: st.arterial,
        };
        let conv = if st.concentration {
            None
        } else {
            conversion.check(nt)?;
            Some(&conversion)
        };
        let mut aif_voxels = None;
        let mut aif = match &st.aif {
            AifSource::Concentration(c) => c.clone(),
            AifSource::Signal(s) => {
                let Some(conversion) = conv else {
                    return Err(Error::Invalid {
                        function: "dsc::Analysis::run",
                        arg: "aif",
                        expected: "an AIF concentration for a concentration series".into(),
                        found: "an AIF signal".into(),
                    });
                };
                if s.len() != nt {
                    return Err(Error::Invalid {
                        function: "dsc::Analysis::run",
                        arg: "aif",
                        expected: format!("{nt} samples"),
                        found: format!("{}", s.len()),
                    });
                }
                let own = arterial_conversion(conversion, s, st.baseline.is_some());
                let c = own.curve(s, true);
                if let Some(k) = c.iter().position(|v| !v.is_finite()) {
                    return Err(Error::Invalid {
                        function: "dsc::Analysis::run",
                        arg: "aif",
                        expected: "a positive arterial signal and baseline".into(),
                        found: format!("signal {} at frame {k}", s[k]),
                    });
                }
                c
            }
            AifSource::Mask(m) => {
                let own = match conv {
                    Some(c) => Some(arterial_conversion(
                        c,
                        &super::mean_signal(signal, m)?,
                        st.baseline.is_some(),
                    )),
                    None => None,
                };
                super::aif_curve(signal, m, own.as_ref())?
            }
            AifSource::Auto(count) => {
                let Selection { voxels: v, curve } =
                    super::detect_aif(signal, Some(&mask.view()), conv, *count)?;
                let curve = match conv {
                    Some(c) => {
                        // Converted again with the baseline of the chosen voxels' own signal.
                        let mut m = ArrayD::from_elem(IxDyn(items), false);
                        if let Some(flat) = m.as_slice_mut() {
                            for &i in &v {
                                flat[i] = true;
                            }
                        }
                        let own = arterial_conversion(
                            c,
                            &super::mean_signal(signal, &m.view())?,
                            st.baseline.is_some(),
                        );
                        super::aif_curve(signal, &m.view(), Some(&own))?
                    }
                    None => curve,
                };
                aif_voxels = Some(v);
                curve
            }
        };
        let mut vof_voxels = None;
        let vof = match &st.vof {
            VofSource::None => None,
            VofSource::Mask(m) => Some(super::aif_curve(signal, m, conv)?),
            VofSource::Auto(count) => {
                let ttp = aif
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |b, (k, &v)| if v > b.1 { (k, v) } else { b },
                    )
                    .0;
                let s = super::detect_vof(signal, Some(&mask.view()), conv, *count, ttp)?;
                vof_voxels = Some(s.voxels);
                Some(s.curve)
            }
        };
        let vof_scale = match vof {
            Some(v) => {
                let k = super::vof_scale(&aif, &v)?;
                aif.iter_mut().for_each(|a| *a *= k);
                Some(k)
            }
            None => None,
        };
        let p = Perfusion {
            setup: Setup {
                deconvolution: st.deconvolution,
                times: st.times.clone(),
                aif: aif.clone(),
                density: st.density,
                kh: st.kh,
                leakage: st.leakage,
                reference: None,
                conversion: conv.cloned(),
                first_pass: st.first_pass,
                settings: st.settings,
                mask: Some(mask.view()),
            },
            run,
        };
        let mut maps = p.fit(signal)?;
        if let Some(region) = &st.reference_region {
            for (src, name) in [("cbv", "rcbv"), ("cbf", "rcbf")] {
                let Some(m) = maps.get(src) else { continue };
                let data = super::normalise(m, region)?;
                maps.maps.push(crate::volume::Map {
                    name,
                    unit: "",
                    kind: MapKind::Parameter,
                    data,
                });
            }
        }
        Ok(AnalysisResult {
            maps,
            baseline,
            aif,
            aif_voxels,
            vof_scale,
            vof_voxels,
            mask,
        })
    }
}
