//! The ASL volume pipeline: subtraction, M0 calibration and CBF (single PLD) or CBF and ATT
//! (multi-PLD, the Buxton model fitted) for every voxel, with named maps out.

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use osipy_kernels::fit::{FitStatus, LevenbergMarquardt};
use osipy_kernels::{Device, XpArray};

use super::kernels::{
    buxton_pasl, buxton_pcasl, buxton_pcasl_arterial, buxton_start, combine, m0_correct, single_pld,
};
use super::{keep_pairs, AslStatus, Context, Labelling, Quantification, Subtraction};
use crate::volume::{
    chunks, default_chunk, host_f64, MapKind, Maps, MapsBuilder, Progress, Run, Series, Voxels,
};
use crate::{Error, Result};

const FN: &str = "asl::Perfusion::fit";

/// Where the M0 of every voxel comes from.
#[derive(Debug, Clone)]
pub enum M0Source<'a> {
    /// An M0 image of the series' voxel shape (a separate M0 scan), voxel by voxel.
    Map(ArrayViewD<'a, f64>),
    /// One value for every voxel (for example from [`m0_reference`](super::m0_reference)).
    Value(f64),
    /// The mean of the series' own `m0scan` volumes (its [`Context`]).
    Series,
}

/// CBF (and, with several PLDs, ATT) of every voxel of an ASL series: the per-voxel part of
/// an ASL analysis.
///
/// The series is `x, y, z, volumes` (or any number of voxel axes) in host memory. With a
/// [`Context`] its volumes are control, label, m0scan, deltam, ..., subtracted by
/// [`Perfusion::subtraction`]; without one every volume is a ΔM. The ΔM volumes are averaged
/// per distinct PLD: one PLD gives single-PLD CBF by the white paper's equations, several the
/// Buxton fit of CBF and ATT (from a data-driven start). Every voxel is computed alone, so the
/// maps do not depend on the chunk size, the thread count or the device.
///
/// The maps: `cbf` (ml/100 g/min), `att` (s, multi-PLD), `m0` (the calibrated M0, a.u.),
/// `status` ([`AslStatus`] codes); multi-PLD adds `r2`, `chi2` (a.u.²) and `iterations`.
///
/// ```
/// use ndarray::Array4;
/// use osipy::asl::{self, Labelling};
///
/// // ΔM of CBF 60 ml/100 g/min at PLD 1.8 s after 1.8 s of PCASL, M0 1000 (3 T).
/// let (alpha, t1b, lambda, m0) = (0.85, 1.65, 0.9, 1000.0);
/// let dm = 60.0 / 6000.0 * 2.0 * alpha * t1b * m0 / lambda * (-1.8f64 / t1b).exp()
///     * (1.0 - (-1.8f64 / t1b).exp());
/// let series = Array4::from_elem((2, 2, 1, 1), dm);
/// let maps = asl::Perfusion::new(Labelling::Pcasl, [1.8], 1.8)
///     .m0(asl::M0Source::Value(m0))
///     .fit(&series)?;
/// assert!((maps.get("cbf").unwrap()[[1, 1, 0]] - 60.0).abs() < 1e-9);
/// # Ok::<(), osipy::Error>(())
/// ```
#[derive(Debug)]
pub struct Perfusion<'a> {
    setup: Setup<'a>,
    run: Run<'a>,
}

#[derive(Debug)]
struct Setup<'a> {
    labelling: Labelling,
    plds: Vec<f64>,
    tau: f64,
    context: Option<Context>,
    subtraction: Subtraction,
    reject: Option<f64>,
    m0: Option<M0Source<'a>>,
    m0_tr: f64,
    m0_scale: f64,
    quant: Quantification,
    slice_timing: Vec<f64>,
    settings: LevenbergMarquardt,
    arterial: bool,
    mask: Option<ArrayViewD<'a, bool>>,
}

impl<'a> Perfusion<'a> {
    crate::volume::run_setters!('a);

    /// A quantification for `labelling` with the post-labelling delays `plds` (s; one for all
    /// volumes or one per volume; for PASL the inversion times TI) and `tau`, the labelling
    /// duration (PCASL/CASL) or the bolus cut-off time TI1 (PASL), in s.
    pub fn new(labelling: Labelling, plds: impl Into<Vec<f64>>, tau: f64) -> Self {
        Perfusion {
            setup: Setup {
                labelling,
                plds: plds.into(),
                tau,
                context: None,
                subtraction: Subtraction::default(),
                reject: None,
                m0: None,
                m0_tr: f64::NAN,
                m0_scale: 1.0,
                quant: Quantification::default(),
                slice_timing: Vec::new(),
                settings: LevenbergMarquardt::default(),
                arterial: false,
                mask: None,
            },
            run: Run::default(),
        }
    }

    /// The volume types of the series (default: every volume a ΔM).
    pub fn context(mut self, context: Context) -> Self {
        self.setup.context = Some(context);
        self
    }

    /// How control and label volumes are subtracted (default pairwise).
    pub fn subtraction(mut self, s: Subtraction) -> Self {
        self.setup.subtraction = s;
        self
    }

    /// Rejects outlier differences by [`keep_pairs`] with `k` scaled MADs (default: none;
    /// [`OUTLIER_MADS`](super::OUTLIER_MADS) is 3).
    pub fn reject_outliers(mut self, k: f64) -> Self {
        self.setup.reject = Some(k);
        self
    }

    /// The M0 (required unless the context has m0scan volumes, which are then the default).
    pub fn m0(mut self, m0: M0Source<'a>) -> Self {
        self.setup.m0 = Some(m0);
        self
    }

    /// The repetition time of the M0 scan (s): an M0 at short TR is corrected by
    /// `1 / (1 - exp(-TR / T1tissue))` (default: none, a fully relaxed M0).
    pub fn m0_tr(mut self, tr: f64) -> Self {
        self.setup.m0_tr = tr;
        self
    }

    /// A scale of the M0 image against the ASL volumes (different receiver gains, BIDS
    /// `M0Scale`; default 1).
    pub fn m0_scale(mut self, scale: f64) -> Self {
        self.setup.m0_scale = scale;
        self
    }

    /// The physiological constants (default [`Quantification::default`]).
    pub fn quantification(mut self, q: Quantification) -> Self {
        self.setup.quant = q;
        self
    }

    /// The acquisition time of each slice after the first (s, BIDS `SliceTiming`, one per
    /// slice along the third voxel axis): added to the PLD of that slice's voxels.
    pub fn slice_timing(mut self, t: impl Into<Vec<f64>>) -> Self {
        self.setup.slice_timing = t.into();
        self
    }

    /// The solver settings of the multi-PLD fit (default
    /// [`LevenbergMarquardt::default`]).
    pub fn settings(mut self, settings: LevenbergMarquardt) -> Self {
        self.setup.settings = settings;
        self
    }

    /// Multi-PLD PCASL/CASL: fits an arterial macrovascular component too
    /// ([`buxton_pcasl_arterial`](fn@super::kernels::buxton_pcasl_arterial): maps `abv`, the
    /// arterial blood volume in % of the voxel, and `atta`, the arterial arrival in s). Needs
    /// PLDs shorter than the arterial arrival. Default off.
    pub fn arterial(mut self, on: bool) -> Self {
        self.setup.arterial = on;
        self
    }

    /// ΔM of every voxel, one volume per distinct PLD (voxel axes, then the PLDs), with those
    /// PLDs (s): the subtraction of [`Perfusion::fit`] without the quantification (outlier
    /// rejection included).
    pub fn delta_m<'s>(&self, series: impl Into<Series<'s>>) -> Result<(ArrayD<f64>, Vec<f64>)> {
        let series = series.into();
        let rows = host_rows(&series)?;
        let (items, nv) = series.split_shape(FN, "series")?;
        let plan = self.setup.plan(nv, &items)?;
        let voxels = Voxels::new(FN, &items, None)?;
        let keep = self.setup.keep(&rows, nv, &plan, &voxels)?;
        let w = plan.weights.rows(keep.as_deref());
        let np = plan.weights.plds.len();
        let mut out = Vec::with_capacity(voxels.selected.len() * np);
        for range in chunks(voxels.selected.len(), 65536) {
            let part = voxels.gather(&rows, nv, range.clone())?;
            let mut o = ArrayD::<f64>::zeros(IxDyn(&[range.len(), w.len() / nv]));
            combine::launch(&w, &part, &mut o)?;
            for r in o.outer_iter() {
                out.extend(r.iter().take(np).copied());
            }
        }
        let mut shape = items.clone();
        shape.push(np);
        let a = ArrayD::from_shape_vec(IxDyn(&shape), out)
            .map_err(|e| invalid("series", "a ΔM array", e.to_string()))?;
        Ok((a, plan.weights.plds.clone()))
    }

    /// Maps every voxel of the mask of `series` (voxel axes, then one value per volume).
    /// Errors (nothing is computed): a context or PLD list whose length differs from the
    /// volumes, a label without a control, no M0 and no m0scan volumes, an M0 map or mask of
    /// another shape, bad constants or settings, a device that cannot be used. Per-voxel
    /// failures (NaN samples, an M0 that is zero) are statuses in the maps.
    pub fn fit<'s>(mut self, series: impl Into<Series<'s>>) -> Result<Maps> {
        let series = series.into();
        let rows = host_rows(&series)?;
        let (items, nv) = series.split_shape(FN, "series")?;
        let plan = self.setup.plan(nv, &items)?;
        let voxels = Voxels::new_nonempty(FN, &items, self.setup.mask.as_ref())?;
        let keep = self.setup.keep(&rows, nv, &plan, &voxels)?;
        let s = &self.setup;
        self.run.run(FN, |device, chunk, progress| {
            s.map_voxels(
                &rows,
                nv,
                &items,
                &plan,
                keep.as_deref(),
                &voxels,
                device,
                chunk,
                progress,
            )
        })
    }
}

/// The statuses of a fit's voxels: the checks before it (`pre`), else the fit's codes.
fn fit_status(pre: &[Option<AslStatus>], codes: &[f64]) -> Vec<f64> {
    pre.iter()
        .zip(codes)
        .map(|(s, c)| {
            let st = s.unwrap_or_else(|| match FitStatus::from_code(*c as u32) {
                Some(f) if f.is_converged() => AslStatus::Ok,
                Some(FitStatus::MaxIterations) => AslStatus::IterationLimit,
                Some(FitStatus::NonFiniteData) => AslStatus::NonFiniteData,
                _ => AslStatus::NotConverged,
            });
            f64::from(st.code())
        })
        .collect()
}

fn invalid(arg: &'static str, expected: &str, found: String) -> Error {
    Error::Invalid {
        function: FN,
        arg,
        expected: expected.into(),
        found,
    }
}

fn host_rows<'s>(series: &Series<'s>) -> Result<ArrayViewD<'s, f64>> {
    match series {
        Series::Host(a) => Ok(a.clone()),
        Series::Device(_) => Err(invalid(
            "series",
            "a series in host memory (the chunks go to the device)",
            "a device array".into(),
        )),
    }
}

/// What the checks of a run fixed.
struct Plan {
    weights: super::Weights,
    alpha: f64,
    t1b: f64,
}

/// `(name, unit, kind, values)` of one chunk, in output order.
type Column = (&'static str, &'static str, MapKind, Vec<f64>);

fn on(v: &[f64], shape: &[usize], dev: &Device) -> Result<XpArray<f64>> {
    let a = ArrayD::from_shape_vec(IxDyn(shape), v.to_vec())
        .map_err(|e| invalid("row", "a row", e.to_string()))?;
    Ok(XpArray::from_host(a).to_device(dev)?)
}

impl Setup<'_> {
    fn plan(&self, nv: usize, items: &[usize]) -> Result<Plan> {
        let plds = if self.plds.len() == 1 {
            vec![self.plds[0]; nv]
        } else {
            self.plds.clone()
        };
        if plds.len() != nv {
            return Err(invalid(
                "PostLabelingDelay",
                &format!("one value, or one per volume ({nv})"),
                format!("{} values", self.plds.len()),
            ));
        }
        if let Some(p) = plds.iter().find(|p| !(p.is_finite() && **p >= 0.0)) {
            return Err(invalid("PostLabelingDelay", "delays >= 0 s", format!("{p}")));
        }
        if !(self.tau > 0.0 && self.tau.is_finite()) {
            let arg = if self.labelling == Labelling::Pasl {
                "BolusCutOffDelayTime"
            } else {
                "LabelingDuration"
            };
            return Err(invalid(arg, "a duration > 0 s", format!("{}", self.tau)));
        }
        let context = self.context.clone().unwrap_or_else(|| Context::deltam(nv));
        if context.types.len() != nv {
            return Err(invalid(
                "aslcontext",
                &format!("one row per volume of the series ({nv})"),
                format!("{} rows", context.types.len()),
            ));
        }
        let weights = context.weights(&plds, self.subtraction)?;
        match &self.m0 {
            None if weights.m0.is_none() => {
                return Err(invalid(
                    "m0",
                    "an M0 image, an M0 value or m0scan volumes in the series",
                    "none".into(),
                ))
            }
            Some(super::M0Source::Series) if weights.m0.is_none() => {
                return Err(invalid(
                    "m0",
                    "m0scan volumes in the series' context",
                    "none".into(),
                ))
            }
            Some(super::M0Source::Map(m)) if m.shape() != items => {
                return Err(invalid(
                    "m0",
                    &format!("an M0 image of the series' voxel shape {items:?}"),
                    format!("shape {:?}", m.shape()),
                ))
            }
            Some(super::M0Source::Value(v)) if !(*v > 0.0 && v.is_finite()) => {
                return Err(invalid("m0", "an M0 value > 0", format!("{v}")))
            }
            _ => {}
        }
        if !(self.m0_scale > 0.0 && self.m0_scale.is_finite()) {
            return Err(invalid("m0_scale", "a scale > 0", format!("{}", self.m0_scale)));
        }
        if !self.slice_timing.is_empty() && (items.len() < 3 || items[2] != self.slice_timing.len()) {
            return Err(invalid(
                "SliceTiming",
                "one time per slice of the third voxel axis",
                format!("{} times for voxel shape {items:?}", self.slice_timing.len()),
            ));
        }
        if let Some(t) = self.slice_timing.iter().find(|t| !t.is_finite()) {
            return Err(invalid("SliceTiming", "finite times (s)", format!("{t}")));
        }
        if let Some(k) = self.reject {
            if k.is_nan() || k <= 0.0 {
                return Err(invalid(
                    "reject_outliers",
                    "a threshold > 0 (scaled MADs)",
                    format!("{k}"),
                ));
            }
        }
        if self.arterial && self.labelling == Labelling::Pasl {
            return Err(invalid(
                "arterial",
                "PCASL or CASL (the arterial component's model)",
                "PASL".into(),
            ));
        }
        let (alpha, t1b) = self.quant.resolve(self.labelling)?;
        self.settings.validate(FN)?;
        Ok(Plan { weights, alpha, t1b })
    }

    /// The differences kept by the outlier rule (its means over the voxels), if set.
    fn keep(
        &self,
        rows: &ArrayViewD<'_, f64>,
        nv: usize,
        plan: &Plan,
        voxels: &Voxels,
    ) -> Result<Option<Vec<bool>>> {
        let Some(k) = self.reject else {
            return Ok(None);
        };
        let nd = plan.weights.differences.len();
        let w: Vec<f64> = plan.weights.differences.concat();
        let (mut sum, mut n) = (vec![0.0; nd], vec![0usize; nd]);
        for range in chunks(voxels.selected.len(), 65536) {
            let part = voxels.gather(rows, nv, range.clone())?;
            let mut o = ArrayD::<f64>::zeros(IxDyn(&[range.len(), nd]));
            combine::launch(&w, &part, &mut o)?;
            for r in o.outer_iter() {
                for (j, v) in r.iter().enumerate() {
                    if v.is_finite() {
                        sum[j] += v;
                        n[j] += 1;
                    }
                }
            }
        }
        let means: Vec<f64> = sum.iter().zip(&n).map(|(s, n)| s / *n as f64).collect();
        Ok(Some(keep_pairs(&means, &plan.weights.difference_plds, k)))
    }

    #[allow(clippy::too_many_arguments)]
    fn map_voxels(
        &self,
        rows: &ArrayViewD<'_, f64>,
        nv: usize,
        items: &[usize],
        plan: &Plan,
        keep: Option<&[bool]>,
        voxels: &Voxels,
        device: Device,
        chunk: Option<usize>,
        progress: &mut Progress<'_>,
    ) -> Result<Maps> {
        device.check_available()?;
        let total = voxels.selected.len();
        let mut maps = MapsBuilder::new(voxels.clone());
        let masked = f64::from(AslStatus::Masked.code());
        let w = plan.weights.rows(keep);
        let n_out = w.len() / nv;
        let w_dev = on(&w, &[w.len()], &device)?;
        let m0_map = match &self.m0 {
            Some(super::M0Source::Map(m)) => Some(m.view().insert_axis(ndarray::Axis(m.ndim()))),
            _ => None,
        };
        let inner: usize = items.iter().skip(3).product();
        progress.report(0, total);
        let chunk = chunk.unwrap_or_else(|| default_chunk(total, device));
        for range in chunks(total, chunk) {
            let m = range.len();
            let part = XpArray::from_host(voxels.gather(rows, nv, range.clone())?).to_device(&device)?;
            let mut out = XpArray::from_host(ArrayD::<f64>::zeros(IxDyn(&[m, n_out]))).to_device(&device)?;
            combine::launch(&w_dev, &part, &mut out)?;
            let out = out.to_host()?;
            let np = plan.weights.plds.len();
            let raw_m0: Vec<f64> = match (&self.m0, &m0_map) {
                (Some(super::M0Source::Value(v)), _) => vec![*v; m],
                (_, Some(map)) => voxels
                    .gather(&map.view(), 1, range.clone())?
                    .iter()
                    .copied()
                    .collect(),
                _ => out.outer_iter().map(|r| r[np]).collect(),
            };
            let m0 = m0_correct::launch(
                &on(&raw_m0, &[m], &device)?,
                self.m0_tr,
                self.quant.t1_tissue,
                self.m0_scale,
            )?;
            let m0_h = host_f64(&m0)?;
            let offset: Vec<f64> = voxels.selected[range.clone()]
                .iter()
                .map(|&i| {
                    if self.slice_timing.is_empty() {
                        0.0
                    } else {
                        self.slice_timing[(i / inner) % items[2]]
                    }
                })
                .collect();
            let mut dm = Vec::with_capacity(m * np);
            let mut pre = Vec::with_capacity(m);
            for (v, r) in out.outer_iter().enumerate() {
                dm.extend(r.iter().take(np).copied());
                pre.push(if !r.iter().take(np).all(|x| x.is_finite()) {
                    Some(AslStatus::NonFiniteData)
                } else if !(m0_h[v] > 0.0 && m0_h[v].is_finite()) {
                    Some(AslStatus::NoM0)
                } else {
                    None
                });
            }
            let got = self.chunk_maps(plan, &dm, &m0, &m0_h, &offset, &pre, &device)?;
            for (name, unit, kind, v) in got {
                let fill = if name == "status" { masked } else { f64::NAN };
                let c = maps.column(name, unit, kind, fill);
                maps.put(c, range.clone(), &v)?;
            }
            progress.report(range.end, total);
        }
        maps.finish()
    }

    #[allow(clippy::too_many_arguments)]
    fn chunk_maps(
        &self,
        plan: &Plan,
        dm: &[f64],
        m0: &XpArray<f64>,
        m0_h: &[f64],
        offset: &[f64],
        pre: &[Option<AslStatus>],
        dev: &Device,
    ) -> Result<Vec<Column>> {
        let p = MapKind::Parameter;
        let q = MapKind::Quality;
        let m = m0_h.len();
        let plds = &plan.weights.plds;
        let np = plds.len();
        let pasl = u32::from(self.labelling == Labelling::Pasl);
        let (tau, t1b, alpha, lambda, t1t) = (
            self.tau,
            plan.t1b,
            plan.alpha,
            self.quant.lambda,
            self.quant.t1_tissue,
        );
        let nan_where = |v: Vec<f64>| -> Vec<f64> {
            v.into_iter()
                .zip(pre)
                .map(|(x, s)| if s.is_some() { f64::NAN } else { x })
                .collect()
        };
        let mut got: Vec<Column> = Vec::new();
        if np == 1 {
            let pld: Vec<f64> = offset.iter().map(|o| plds[0] + o).collect();
            let cbf = single_pld::launch(
                &on(dm, &[m], dev)?,
                m0,
                &on(&pld, &[m], dev)?,
                tau,
                t1b,
                alpha,
                lambda,
                pasl,
            )?;
            let status: Vec<f64> = pre
                .iter()
                .map(|s| f64::from(s.unwrap_or(AslStatus::Ok).code()))
                .collect();
            got.push(("cbf", "ml/100g/min", p, nan_where(host_f64(&cbf)?)));
            got.push(("m0", "a.u.", p, m0_h.to_vec()));
            got.push(("status", "code", q, status));
            return Ok(got);
        }
        let y = on(dm, &[m, np], dev)?;
        let pl = on(plds, &[np], dev)?;
        let off = on(offset, &[m], dev)?;
        let mut start = XpArray::from_host(ArrayD::<f64>::zeros(IxDyn(&[m, 2]))).to_device(dev)?;
        buxton_start::launch(&pl, &y, m0, &off, tau, t1b, t1t, alpha, lambda, pasl, &mut start)?;
        if self.arterial {
            // Starts on a grid of tissue arrivals (the grid start's and 0.5, 1, 1.5, 2 s) and
            // arterial arrivals (0.5 and 0.8 of it), the lowest chi2 kept per voxel: the
            // arterial bolus makes the cost multimodal in both arrivals.
            let h = start.to_host()?;
            let mut starts: Vec<(Option<f64>, f64)> = vec![(None, 0.5), (None, 0.8)];
            for a in [0.5, 1.0, 1.5, 2.0] {
                starts.push((Some(a), 0.5));
                starts.push((Some(a), 0.8));
            }
            let mut best: Option<osipy_kernels::fit::FitResult> = None;
            let mut best_chi2 = vec![f64::INFINITY; m];
            let mut pick = vec![0usize; m];
            let mut all = Vec::new();
            for (s_i, (att0, frac)) in starts.into_iter().enumerate() {
                let init = ArrayD::from_shape_fn(IxDyn(&[m, 4]), |i| {
                    let a = att0.unwrap_or(h[[i[0], 1]]);
                    match i[1] {
                        0 => h[[i[0], 0]],
                        1 => a,
                        2 => 0.5,
                        _ => frac * a,
                    }
                });
                let init = XpArray::from_host(init).to_device(dev)?;
                let r = buxton_pcasl_arterial::fitter(&pl, m0, &off, tau, t1b, t1t, alpha, lambda)
                    .settings(self.settings)
                    .init(init)
                    .fit(&y)?;
                for (v, c) in host_f64(&r.chi2)?.into_iter().enumerate() {
                    if c < best_chi2[v] {
                        best_chi2[v] = c;
                        pick[v] = s_i;
                    }
                }
                all.push(r.clone());
                best = Some(r);
            }
            let Some(r) = best else {
                return Err(invalid("arterial", "a fit", "none".into()));
            };
            let fields = |f: &dyn Fn(&osipy_kernels::fit::FitResult) -> Result<Vec<f64>>,
                          width: usize|
             -> Result<Vec<f64>> {
                let cols: Vec<Vec<f64>> = all.iter().map(f).collect::<Result<_>>()?;
                Ok((0..m)
                    .flat_map(|v| (0..width).map(move |j| (v, j)))
                    .map(|(v, j)| cols[pick[v]][v * width + j])
                    .collect())
            };
            let params = fields(&|r| host_f64(&r.params), 4)?;
            let status = fields(&|r| host_f64(&r.status), 1)?;
            let r2 = fields(&|r| host_f64(&r.r2), 1)?;
            let chi2 = fields(&|r| host_f64(&r.chi2), 1)?;
            let iterations = fields(&|r| host_f64(&r.iterations), 1)?;
            let _ = r;
            let col = |j: usize| -> Vec<f64> { params.iter().skip(j).step_by(4).copied().collect() };
            got.push(("cbf", "ml/100g/min", p, nan_where(col(0))));
            got.push(("att", "s", p, nan_where(col(1))));
            got.push(("abv", "%", p, nan_where(col(2))));
            got.push(("atta", "s", p, nan_where(col(3))));
            got.push(("m0", "a.u.", p, m0_h.to_vec()));
            got.push(("status", "code", q, fit_status(pre, &status)));
            got.push(("r2", "", q, nan_where(r2)));
            got.push(("chi2", "a.u.^2", q, nan_where(chi2)));
            got.push(("iterations", "", q, iterations));
            return Ok(got);
        }
        let r = if pasl != 0 {
            buxton_pasl::fitter(&pl, m0, &off, tau, t1b, t1t, alpha, lambda)
                .settings(self.settings)
                .init(start)
                .fit(&y)?
        } else {
            buxton_pcasl::fitter(&pl, m0, &off, tau, t1b, t1t, alpha, lambda)
                .settings(self.settings)
                .init(start)
                .fit(&y)?
        };
        let params = host_f64(&r.params)?;
        let status = fit_status(pre, &host_f64(&r.status)?);
        got.push((
            "cbf",
            "ml/100g/min",
            p,
            nan_where(params.iter().step_by(2).copied().collect()),
        ));
        got.push((
            "att",
            "s",
            p,
            nan_where(params.iter().skip(1).step_by(2).copied().collect()),
        ));
        got.push(("m0", "a.u.", p, m0_h.to_vec()));
        got.push(("status", "code", q, status));
        got.push(("r2", "", q, nan_where(host_f64(&r.r2)?)));
        got.push(("chi2", "a.u.^2", q, nan_where(host_f64(&r.chi2)?)));
        got.push(("iterations", "", q, host_f64(&r.iterations)?));
        Ok(got)
    }
}
