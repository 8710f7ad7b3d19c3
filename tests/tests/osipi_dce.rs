//! The DCE models of `osipy::dce` against the OSIPI DCE reference suite
//! (`tests/data/osipi/test/DCEmodels`, files, checksums and tolerances in its PROVENANCE.md),
//! and the models' own properties: derived Jacobians against central differences, exactness
//! of the convolution, the delay models at delay 0, the data-driven starts, Cpu = Emulator.
//!
//! # The OSIPI suites
//!
//! Every case of: QIBA v11 Tofts (`dce_DRO_data_tofts.csv`), the Bosca & Jackson extended
//! Tofts DRO (`dce_DRO_data_extended_tofts.csv`), Patlak, 2CXM and 2CUM (`*_delay_0.csv`
//! fitted with the plain models, `*_delay_5.csv` with the delay models), and the delay
//! variants the OSIPI tests build in memory for Tofts and extended Tofts (tissue curve
//! shifted right by 10 resp. 5 samples, zero-padded, reference delay increased by `t[10]`
//! resp. `t[5]`, fitted with the delay models). Tolerances as OSIPI, numpy semantics
//! (`|got - ref| <= atol + rtol |ref|`): Ktrans and PS atol 0.005 /min + rtol 0.1; ve atol
//! 0.05; vp atol 0.025; Fp atol 5 ml/100ml/min + rtol 0.1; delay atol 1 s.
//!
//! The arterial input (`ca` in the Tofts files, `cp_aif` in the others) is used as the
//! **plasma** curve, without a haematocrit correction (the reference-data README describes
//! no haematocrit step in the OSIPI loaders, whose code is not in the snapshot). The data
//! agree: `cp_aif` peaks at 10.47 mM, the Parker population AIF's blood peak (about 6.07 mM)
//! divided by `1 - 0.42`, so it is already plasma; and the QIBA Tofts `ca` (converted from
//! the DRO's vascular signal with Hct 0.45 when the file was made) gives the DRO's Ktrans to
//! 0.2 % at high SNR, whereas dividing it by `1 - 0.45` once more scales Ktrans by 0.55
//! (`tofts_aif_is_already_plasma` checks both).
//!
//! Fit set-up: the OSIPI defaults (start Ktrans/PS 0.6, ve 0.2, vp 0.01, Fp 20, delay 0;
//! bounds as in `osipy::dce`), plus data-driven starts: the linear least-squares form of each
//! model (`osipy::dce::*_init`), solved for a grid of delays from -10 to 10 s in steps of
//! 0.5 s for the delay models; for the two-compartment models also a small grid of
//! `(Fp, PS)` starts around it (see `starts`). Every start is fitted (bounded
//! Levenberg-Marquardt, at most 200 steps) and the lowest chi2 kept per case. (The
//! linear-form start alone reaches the same minima; the other starts guard against a local
//! one.)
//!
//! One case is a known failure: `2cxm_delay case_8_delayed` (Fp 5, PS 0.15, ve 0.2, vp
//! 0.02, delay 5 s). Its least-squares minimum has PS = 0.128 /min, 0.002 outside the
//! tolerance (PS in [0.130, 0.170]); every start converges there, and its chi2 (5.592e-4)
//! is below the chi2 of the reference parameters (5.728e-4), so it is the minimum of these
//! noisy data, not a failure to find it (with the delay held at the true 5 s, PS = 0.136
//! passes). The Python osipy marks all 2CXM cases as expected failures; this test marks only
//! this case, strictly: it asserts the case still fails only in PS and that the fit's chi2
//! is below the reference's, so a change that makes it pass or fail differently is seen.

mod common;

use common::assert_bits_eq;
use ndarray::{Array2, ArrayD, IxDyn};
use osipy::dce;
use osipy_kernels::fit::{FitResult, FitStatus, LevenbergMarquardt};
use osipy_kernels::{Device, XpArray};
use osipy_tests::osipi;

type Kr<T> = osipy_kernels::Result<T>;
type Xp = XpArray<f64>;
/// `launch` of a model: t, cp, parameter columns, prediction.
type PredictFn = fn(&Xp, &Xp, &[Xp], &mut Xp) -> Kr<()>;
/// `jacobian::launch` of a model: t, cp, parameter columns, prediction, Jacobian.
type JacobianFn = fn(&Xp, &Xp, &[Xp], &mut Xp, &mut Xp) -> Kr<()>;
/// A fit: t, cp, data, initial values, settings.
type FitFn = fn(&Xp, &Xp, &Xp, Xp, LevenbergMarquardt) -> Kr<FitResult>;

/// One model (a plain model or its delay variant) behind one interface.
struct Kernels {
    name: &'static str,
    params: &'static [&'static str],
    init: &'static [f64],
    predict: PredictFn,
    jacobian: JacobianFn,
    fit: FitFn,
}

/// The second derivatives of a piecewise-linear plasma curve (zeros like `cp`, on its device):
/// the OSIPI reference curves are made with the AIF linear between samples.
fn lin(cp: &Xp) -> Xp {
    let host = ArrayD::<f64>::zeros(IxDyn(cp.shape()));
    XpArray::from_host(host)
        .to_device(&cp.placement())
        .expect("zeros on the plasma curve's device")
}

/// Calls `f(t, cp, cp2 = 0, c[0], .., c[P-1], outputs..)`.
macro_rules! call_cols {
    ($f:path, $t:expr, $cp:expr, $c:expr, 2, $($o:expr),+) => {
        $f($t, $cp, &lin($cp), &$c[0], &$c[1], $($o),+)
    };
    ($f:path, $t:expr, $cp:expr, $c:expr, 3, $($o:expr),+) => {
        $f($t, $cp, &lin($cp), &$c[0], &$c[1], &$c[2], $($o),+)
    };
    ($f:path, $t:expr, $cp:expr, $c:expr, 4, $($o:expr),+) => {
        $f($t, $cp, &lin($cp), &$c[0], &$c[1], &$c[2], &$c[3], $($o),+)
    };
    ($f:path, $t:expr, $cp:expr, $c:expr, 5, $($o:expr),+) => {
        $f($t, $cp, &lin($cp), &$c[0], &$c[1], &$c[2], &$c[3], &$c[4], $($o),+)
    };
}

macro_rules! kernels {
    ($m:ident, $p:tt) => {
        Kernels {
            name: stringify!($m),
            params: &dce::$m::PARAMS,
            init: &dce::$m::INIT,
            predict: |t, cp, c, out| call_cols!(dce::$m::launch, t, cp, c, $p, out).map(|_| ()),
            jacobian: |t, cp, c, out, jac| {
                call_cols!(dce::$m::jacobian::launch, t, cp, c, $p, out, jac).map(|_| ())
            },
            fit: |t, cp, data, init, lm| dce::$m::fitter(t, cp, &lin(cp)).settings(lm).init(init).fit(data),
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Model {
    Tofts,
    ETofts,
    Patlak,
    TwoCxm,
    TwoCum,
}

impl Model {
    const ALL: [Model; 5] = [
        Model::Tofts,
        Model::ETofts,
        Model::Patlak,
        Model::TwoCxm,
        Model::TwoCum,
    ];

    fn kernels(self, delay: bool) -> Kernels {
        match (self, delay) {
            (Model::Tofts, false) => kernels!(tofts, 2),
            (Model::Tofts, true) => kernels!(tofts_delay, 3),
            (Model::ETofts, false) => kernels!(extended_tofts, 3),
            (Model::ETofts, true) => kernels!(extended_tofts_delay, 4),
            (Model::Patlak, false) => kernels!(patlak, 2),
            (Model::Patlak, true) => kernels!(patlak_delay, 3),
            (Model::TwoCxm, false) => kernels!(two_cxm, 4),
            (Model::TwoCxm, true) => kernels!(two_cxm_delay, 5),
            (Model::TwoCum, false) => kernels!(two_cum, 3),
            (Model::TwoCum, true) => kernels!(two_cum_delay, 4),
        }
    }

    /// The data-driven starts of the linear form, items x (P + 1): the plain model's
    /// parameters, then the delay.
    fn linear_starts(
        self,
        t: &XpArray<f64>,
        cp: &XpArray<f64>,
        data: &XpArray<f64>,
        delays: &XpArray<f64>,
    ) -> Array2<f64> {
        let cols: Vec<XpArray<f64>> = match self {
            Model::Tofts => {
                let (a, b, d, _) = ok(dce::tofts_init::launch(t, cp, data, delays));
                vec![a, b, d]
            }
            Model::ETofts => {
                let (a, b, c, d, _) = ok(dce::extended_tofts_init::launch(t, cp, data, delays));
                vec![a, b, c, d]
            }
            Model::Patlak => {
                let (a, b, d, _) = ok(dce::patlak_init::launch(t, cp, data, delays));
                vec![a, b, d]
            }
            Model::TwoCxm => {
                let (a, b, c, e, d, _) = ok(dce::two_cxm_init::launch(t, cp, data, delays));
                vec![a, b, c, e, d]
            }
            Model::TwoCum => {
                let (a, b, c, d, _) = ok(dce::two_cum_init::launch(t, cp, data, delays));
                vec![a, b, c, d]
            }
        };
        let refs: Vec<&XpArray<f64>> = cols.iter().collect();
        let table = ok(ok(dce::stack_params(&refs)).to_host());
        let (items, p) = (table.shape()[0], table.shape()[1]);
        Array2::from_shape_vec((items, p), table.iter().copied().collect()).unwrap()
    }
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn on(device: &Device, a: ArrayD<f64>) -> XpArray<f64> {
    let a = XpArray::from_host(a);
    if *device == Device::Cpu {
        a
    } else {
        ok(a.to_device(device))
    }
}

fn row(device: &Device, v: &[f64]) -> XpArray<f64> {
    on(
        device,
        ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap(),
    )
}

fn table(device: &Device, rows: usize, cols: usize, v: Vec<f64>) -> XpArray<f64> {
    on(device, ArrayD::from_shape_vec(IxDyn(&[rows, cols]), v).unwrap())
}

fn host(a: &XpArray<f64>) -> Vec<f64> {
    ok(a.to_host()).iter().copied().collect()
}

fn host_u(a: &XpArray<u32>) -> Vec<u32> {
    ok(a.to_host()).iter().copied().collect()
}

/// Columns (one per parameter, items long) of an items x P table, on `device`.
fn columns(device: &Device, params: &[Vec<f64>]) -> Vec<XpArray<f64>> {
    let p = params[0].len();
    (0..p)
        .map(|a| row(device, &params.iter().map(|r| r[a]).collect::<Vec<f64>>()))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The reference data.

/// One reference case.
#[derive(Clone, Debug)]
struct Case {
    label: String,
    t: Vec<f64>,
    cp: Vec<f64>,
    ct: Vec<f64>,
    /// Reference values by parameter name (`delay` included).
    refs: Vec<(&'static str, f64)>,
}

impl Case {
    fn reference(&self, param: &str) -> f64 {
        match self.refs.iter().find(|r| r.0 == param) {
            Some(r) => r.1,
            None => panic!("{}: no reference for {param}", self.label),
        }
    }
}

/// numpy tolerances of the OSIPI DCE tests: (atol, rtol).
fn tolerance(param: &str) -> (f64, f64) {
    match param {
        "ktrans" | "ps" => (0.005, 0.1),
        "ve" => (0.05, 0.0),
        "vp" => (0.025, 0.0),
        "fp" => (5.0, 0.1),
        "delay" => (1.0, 0.0),
        _ => panic!("no tolerance for {param}"),
    }
}

/// Reads a file of the suite: the tissue column, the AIF column, and the reference columns
/// as (parameter, column).
fn load(file: &str, tissue: &str, aif: &str, refs: &[(&'static str, &str)]) -> Vec<Case> {
    let path = osipi::data_dir().join("test/DCEmodels/data").join(file);
    let rows = ok(osipi::read(&path));
    rows.iter()
        .map(|r| Case {
            label: ok(r.text("label")).to_string(),
            t: ok(r.vec("t")),
            cp: ok(r.vec(aif)),
            ct: ok(r.vec(tissue)),
            refs: refs.iter().map(|(p, c)| (*p, ok(r.num(c)))).collect(),
        })
        .collect()
}

/// The OSIPI in-memory delay variant: the tissue curve shifted right by `k` samples,
/// zero-padded; the reference delay increased by `t[k]`.
fn shifted(cases: &[Case], k: usize) -> Vec<Case> {
    cases
        .iter()
        .map(|c| {
            let mut ct = vec![0.0; k];
            ct.extend_from_slice(&c.ct[..c.ct.len() - k]);
            let refs = c
                .refs
                .iter()
                .map(|r| if r.0 == "delay" { (r.0, r.1 + c.t[k]) } else { *r })
                .collect();
            Case {
                label: format!("{}_shift{k}", c.label),
                t: c.t.clone(),
                cp: c.cp.clone(),
                ct,
                refs,
            }
        })
        .collect()
}

const TOFTS_REFS: [(&str, &str); 3] = [("ktrans", "Ktrans"), ("ve", "ve"), ("delay", "arterialdelay")];
const ETOFTS_REFS: [(&str, &str); 4] = [
    ("ktrans", "Ktrans"),
    ("ve", "ve"),
    ("vp", "vp"),
    ("delay", "arterialdelay"),
];
const PATLAK_REFS: [(&str, &str); 3] = [("ps", "ps"), ("vp", "vp"), ("delay", "arterial_delay")];
const TWO_CXM_REFS: [(&str, &str); 5] = [
    ("fp", "fp"),
    ("ps", "ps"),
    ("ve", "ve"),
    ("vp", "vp"),
    ("delay", "arterial_delay"),
];
const TWO_CUM_REFS: [(&str, &str); 4] = [
    ("fp", "fp"),
    ("ps", "ps"),
    ("vp", "vp"),
    ("delay", "arterial_delay"),
];

/// One suite: a name, the model, whether the delay model is fitted, and its cases.
struct Suite {
    name: &'static str,
    model: Model,
    delay: bool,
    cases: Vec<Case>,
}

fn suites(model: Model) -> Vec<Suite> {
    let two = |name0, name5, file0, file5, refs: &[(&'static str, &str)]| {
        vec![
            Suite {
                name: name0,
                model,
                delay: false,
                cases: load(file0, "C_t", "cp_aif", refs),
            },
            Suite {
                name: name5,
                model,
                delay: true,
                cases: load(file5, "C_t", "cp_aif", refs),
            },
        ]
    };
    match model {
        Model::Tofts => {
            let cases = load("dce_DRO_data_tofts.csv", "C", "ca", &TOFTS_REFS);
            vec![
                Suite {
                    name: "tofts",
                    model,
                    delay: false,
                    cases: cases.clone(),
                },
                Suite {
                    name: "tofts_delay",
                    model,
                    delay: true,
                    cases: shifted(&cases, 10),
                },
            ]
        }
        Model::ETofts => {
            let cases = load("dce_DRO_data_extended_tofts.csv", "C", "ca", &ETOFTS_REFS);
            vec![
                Suite {
                    name: "extended_tofts",
                    model,
                    delay: false,
                    cases: cases.clone(),
                },
                Suite {
                    name: "extended_tofts_delay",
                    model,
                    delay: true,
                    cases: shifted(&cases, 5),
                },
            ]
        }
        Model::Patlak => two(
            "patlak",
            "patlak_delay",
            "patlak_sd_0.02_delay_0.csv",
            "patlak_sd_0.02_delay_5.csv",
            &PATLAK_REFS,
        ),
        Model::TwoCxm => two(
            "2cxm",
            "2cxm_delay",
            "2cxm_sd_0.001_delay_0.csv",
            "2cxm_sd_0.001_delay_5.csv",
            &TWO_CXM_REFS,
        ),
        Model::TwoCum => two(
            "2cum",
            "2cum_delay",
            "2cum_sd_0.0025_delay_0.csv",
            "2cum_sd_0.0025_delay_5.csv",
            &TWO_CUM_REFS,
        ),
    }
}

/// Known failures (suite, label): see the module docs.
const KNOWN_FAILURES: [(&str, &str); 1] = [("2cxm_delay", "case_8_delayed")];

// ---------------------------------------------------------------------------------------
// Fitting.

/// The delays (s) searched by the data-driven starts of the delay models.
fn delay_grid() -> Vec<f64> {
    (-20..=20).map(|k| 0.5 * f64::from(k)).collect()
}

/// The starts of one case, from its linear-form start `lin` (plain parameters, then delay):
/// the linear-form start, the OSIPI default start (with the linear form's delay), and for the
/// two-compartment models `(Fp, PS)` from {5, 20, 60} x {0.02, 0.2} with the rest from the
/// linear form.
fn starts(model: Model, delay: bool, k: &Kernels, lin: &[f64]) -> Vec<Vec<f64>> {
    let p = k.params.len();
    let from_lin = |v: &mut Vec<f64>| {
        if delay {
            v[p - 1] = lin[lin.len() - 1];
        }
    };
    let mut first: Vec<f64> = lin[..lin.len() - 1].to_vec();
    if delay {
        first.push(lin[lin.len() - 1]);
    }
    let mut default = k.init.to_vec();
    from_lin(&mut default);
    let mut out = vec![first.clone(), default];
    if matches!(model, Model::TwoCxm | Model::TwoCum) {
        for fp in [5.0, 20.0, 60.0] {
            for ps in [0.02, 0.2] {
                let mut v = first.clone();
                v[0] = fp;
                v[1] = ps;
                out.push(v);
            }
        }
    }
    out
}

/// The best fit of each case of a group sharing one time axis and AIF.
struct Fitted {
    params: Vec<Vec<f64>>,
    chi2: Vec<f64>,
    status: Vec<u32>,
    /// Which start won.
    start: Vec<usize>,
    /// Every start's parameters, chi2 and R2, then iterations, statuses and at-bound flags
    /// (for the bitwise comparisons of devices).
    raw: (Vec<f64>, Vec<u32>),
}

/// Fits `cases` (one time axis, one AIF) from all their starts on `device`; `max_iter` and
/// `delays` as given.
fn fit_cases(
    model: Model,
    delay: bool,
    cases: &[&Case],
    device: &Device,
    delays: &[f64],
    max_iter: u32,
) -> Fitted {
    let k = model.kernels(delay);
    let n = cases[0].t.len();
    let t = row(device, &cases[0].t);
    let cp = row(device, &cases[0].cp);
    let y: Vec<f64> = cases.iter().flat_map(|c| c.ct.iter().copied()).collect();
    let data = table(device, cases.len(), n, y);
    let grid = if delay { delays.to_vec() } else { vec![0.0] };
    let lin = model.linear_starts(&t, &cp, &data, &row(device, &grid));
    let per_case: Vec<Vec<Vec<f64>>> = (0..cases.len())
        .map(|i| starts(model, delay, &k, lin.row(i).as_slice().unwrap()))
        .collect();
    let s = per_case[0].len();
    let p = k.params.len();
    let items = cases.len() * s;
    let mut rep = Vec::with_capacity(items * n);
    let mut init = Vec::with_capacity(items * p);
    for (c, st) in cases.iter().zip(&per_case) {
        for v in st {
            rep.extend_from_slice(&c.ct);
            init.extend_from_slice(v);
        }
    }
    let lm = LevenbergMarquardt::new().max_iterations(max_iter);
    let res = ok((k.fit)(
        &t,
        &cp,
        &table(device, items, n, rep),
        table(device, items, p, init),
        lm,
    ));
    let (params, chi2, status) = (host(&res.params), host(&res.chi2), host_u(&res.status));
    let raw = (
        [params.clone(), chi2.clone(), host(&res.r2)].concat(),
        [host_u(&res.iterations), status.clone(), host_u(&res.at_bound)].concat(),
    );
    let mut out = Fitted {
        params: Vec::new(),
        chi2: Vec::new(),
        status: Vec::new(),
        start: Vec::new(),
        raw,
    };
    for i in 0..cases.len() {
        let mut best = i * s;
        for j in i * s..(i + 1) * s {
            if chi2[j] < chi2[best] || chi2[best].is_nan() {
                best = j;
            }
        }
        out.params.push(params[best * p..(best + 1) * p].to_vec());
        out.chi2.push(chi2[best]);
        out.status.push(status[best]);
        out.start.push(best - i * s);
    }
    out
}

/// Fits every case of a suite on the CPU (grouped by AIF), in case order.
fn fit_suite(suite: &Suite) -> Fitted {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, c) in suite.cases.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|g| suite.cases[g[0]].cp == c.cp && suite.cases[g[0]].t == c.t)
        {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let n = suite.cases.len();
    let mut out = Fitted {
        params: vec![Vec::new(); n],
        chi2: vec![0.0; n],
        status: vec![0; n],
        start: vec![0; n],
        raw: (Vec::new(), Vec::new()),
    };
    for g in &groups {
        let cs: Vec<&Case> = g.iter().map(|i| &suite.cases[*i]).collect();
        let f = fit_cases(suite.model, suite.delay, &cs, &Device::Cpu, &delay_grid(), 200);
        for (k, i) in g.iter().enumerate() {
            out.params[*i] = f.params[k].clone();
            out.chi2[*i] = f.chi2[k];
            out.status[*i] = f.status[k];
            out.start[*i] = f.start[k];
        }
    }
    out
}

/// chi2 of the reference parameters of a case under the suite's model.
fn reference_chi2(suite: &Suite, case: &Case) -> f64 {
    let k = suite.model.kernels(suite.delay);
    let dev = Device::Cpu;
    let p: Vec<f64> = k.params.iter().map(|n| case.reference(n)).collect();
    let mut pred = table(&dev, 1, case.t.len(), vec![0.0; case.t.len()]);
    ok((k.predict)(
        &row(&dev, &case.t),
        &row(&dev, &case.cp),
        &columns(&dev, &[p]),
        &mut pred,
    ));
    host(&pred)
        .iter()
        .zip(&case.ct)
        .map(|(f, y)| (y - f) * (y - f))
        .sum()
}

/// Runs the suites of a model: prints every case, the pass count and the worst case of each
/// parameter, and asserts that every case passes except the known failures (which must still
/// fail as documented).
fn check_model(model: Model) {
    for suite in suites(model) {
        let k = model.kernels(suite.delay);
        let fitted = fit_suite(&suite);
        let mut passed = 0;
        let mut failures = Vec::new();
        // Worst |error| / tolerance per parameter, with its case.
        let mut worst: Vec<(f64, String)> = vec![(0.0, String::new()); k.params.len()];
        let mut report = String::new();
        for (i, case) in suite.cases.iter().enumerate() {
            let mut bad = Vec::new();
            let mut line = format!("  {:<28}", case.label);
            for (a, name) in k.params.iter().enumerate() {
                let (got, want) = (fitted.params[i][a], case.reference(name));
                let (atol, rtol) = tolerance(name);
                let ratio = (got - want).abs() / (atol + rtol * want.abs());
                if !osipi::close(got, want, atol, rtol) {
                    bad.push(*name);
                }
                if ratio > worst[a].0 || ratio.is_nan() {
                    worst[a] = (ratio, format!("{} ({got:.4} vs {want:.4})", case.label));
                }
                line += &format!(" {name} {got:.4}/{want:.4}");
            }
            let status = FitStatus::from_code(fitted.status[i]);
            line += &format!(
                " chi2 {:.4e} start {} {status:?}",
                fitted.chi2[i], fitted.start[i]
            );
            report += &line;
            report += if bad.is_empty() { "\n" } else { "  FAIL\n" };
            assert!(
                status.is_some_and(FitStatus::is_converged),
                "{} {}: fit did not converge ({status:?})",
                suite.name,
                case.label
            );
            let known = KNOWN_FAILURES.contains(&(suite.name, case.label.as_str()));
            if known {
                assert_eq!(
                    bad,
                    ["ps"],
                    "{} {}: the known failure changed",
                    suite.name,
                    case.label
                );
                let rc = reference_chi2(&suite, case);
                assert!(
                    fitted.chi2[i] < rc,
                    "{} {}: chi2 {} not below the reference's {rc}: no longer the data's minimum",
                    suite.name,
                    case.label,
                    fitted.chi2[i]
                );
                report += &format!(
                    "    known failure: least-squares minimum outside tolerance \
                     (chi2 {:.4e} < reference {rc:.4e})\n",
                    fitted.chi2[i]
                );
            } else if bad.is_empty() {
                passed += 1;
            } else {
                failures.push(format!("{} ({})", case.label, bad.join(", ")));
            }
        }
        println!("osipi_dce {}:\n{report}", suite.name);
        for (a, name) in k.params.iter().enumerate() {
            println!("  worst {name}: {:.2} of tolerance, {}", worst[a].0, worst[a].1);
        }
        println!("osipi_dce {}: {passed}/{} passed", suite.name, suite.cases.len());
        assert!(
            failures.is_empty(),
            "{}: failed cases: {}",
            suite.name,
            failures.join("; ")
        );
    }
}

#[test]
fn osipi_tofts_cases_pass() {
    check_model(Model::Tofts);
}

#[test]
fn osipi_extended_tofts_cases_pass() {
    check_model(Model::ETofts);
}

#[test]
fn osipi_patlak_cases_pass() {
    check_model(Model::Patlak);
}

#[test]
fn osipi_two_cxm_cases_pass() {
    check_model(Model::TwoCxm);
}

#[test]
fn osipi_two_cum_cases_pass() {
    check_model(Model::TwoCum);
}

#[test]
fn tofts_aif_is_already_plasma() {
    // The QIBA file's `ca` is the plasma curve: used as is, the high-SNR T1 voxel gives the
    // DRO's Ktrans; converted once more from "blood" with the DRO's Hct 0.45 it does not.
    let suite = &suites(Model::Tofts)[0];
    let case = &suite.cases[0];
    assert_eq!(case.label, "test_vox_T1_highSNR");
    let as_is = fit_cases(Model::Tofts, false, &[case], &Device::Cpu, &[0.0], 200);
    let mut twice = case.clone();
    twice.cp = ok(dce::plasma_from_blood(&case.cp, 0.45));
    let again = fit_cases(Model::Tofts, false, &[&twice], &Device::Cpu, &[0.0], 200);
    let k = case.reference("ktrans");
    assert!((as_is.params[0][0] - k).abs() < 0.005 * k, "{:?}", as_is.params);
    assert!(
        (again.params[0][0] / (k * 0.55) - 1.0).abs() < 0.01,
        "{:?}",
        again.params
    );
    // The Patlak, 2CXM and 2CUM files share one `cp_aif`: Parker's blood AIF over 1 - 0.42.
    let cp = &suites(Model::Patlak)[0].cases[0].cp;
    let peak = cp.iter().copied().fold(f64::MIN, f64::max);
    // Parker et al. (MRM 2006) blood curve at its first peak, T1 = 0.17046 min:
    let gauss = |a: f64, s: f64, t0: f64, t: f64| {
        a / (s * (2.0 * std::f64::consts::PI).sqrt()) * (-(t - t0).powi(2) / (2.0 * s * s)).exp()
    };
    let tp = 0.17046;
    let cb = gauss(0.809, 0.0563, 0.17046, tp)
        + gauss(0.330, 0.132, 0.365, tp)
        + 1.050 * (-0.1685 * tp).exp() / (1.0 + (-38.078 * (tp - 0.483)).exp());
    assert!(
        (peak / (cb / (1.0 - 0.42)) - 1.0).abs() < 0.01,
        "peak {peak} vs Parker blood {cb} / 0.58"
    );
}

// ---------------------------------------------------------------------------------------
// Cpu = Emulator.

/// Every `step`-th sample of a case (a shorter curve for the slow emulator).
fn decimated(case: &Case, step: usize) -> Case {
    let pick = |v: &[f64]| v.iter().step_by(step).copied().collect::<Vec<f64>>();
    Case {
        label: case.label.clone(),
        t: pick(&case.t),
        cp: pick(&case.cp),
        ct: pick(&case.ct),
        refs: case.refs.clone(),
    }
}

#[test]
fn osipi_subset_fits_are_the_same_on_cpu_and_emulator() {
    // Two cases per model (one of the plain suite, one of the delay suite), decimated to
    // about 100 samples, with a 3-point delay grid: the data-driven starts, every start's fit,
    // then the model and its Jacobian at the fitted values, bit for bit.
    for model in Model::ALL {
        for (s, suite) in suites(model).iter().enumerate() {
            let full = &suite.cases[(3 * s + 1) % suite.cases.len()];
            let case = decimated(full, full.t.len().div_ceil(100));
            let delays = [0.0, 2.5, 5.0];
            let cpu = fit_cases(model, suite.delay, &[&case], &Device::Cpu, &delays, 200);
            let emu = fit_cases(model, suite.delay, &[&case], &Device::Emulator, &delays, 200);
            let what = format!("{} {}", suite.name, case.label);
            assert_bits_eq(emu.raw.0.iter(), cpu.raw.0.iter(), &what);
            assert_eq!(
                emu.raw.1, cpu.raw.1,
                "{what}: iterations, statuses, at-bound flags"
            );
            let k = model.kernels(suite.delay);
            let n = case.t.len();
            let p = k.params.len();
            let mut outs = Vec::new();
            for dev in [Device::Cpu, Device::Emulator] {
                let (t, cp) = (row(&dev, &case.t), row(&dev, &case.cp));
                let cols = columns(&dev, &cpu.params);
                let mut pred = table(&dev, 1, n, vec![0.0; n]);
                let mut pred2 = table(&dev, 1, n, vec![0.0; n]);
                let mut jac = table(&dev, 1, n * p, vec![0.0; n * p]);
                ok((k.predict)(&t, &cp, &cols, &mut pred));
                ok((k.jacobian)(&t, &cp, &cols, &mut pred2, &mut jac));
                // A weighted fit (the `fit_weighted` kernel), a few steps.
                let w: Vec<f64> = (0..n).map(|i| 1.0 + 0.5 * ((i % 3) as f64)).collect();
                let init = table(&dev, 1, p, k.init.to_vec());
                let data = table(&dev, 1, n, case.ct.clone());
                let wf = ok(weighted_fit(model, suite.delay, &t, &cp, &data, init, w));
                outs.push(
                    [
                        host(&pred),
                        host(&pred2),
                        host(&jac),
                        host(&wf.params),
                        host(&wf.chi2),
                    ]
                    .concat(),
                );
            }
            assert_bits_eq(
                outs[1].iter(),
                outs[0].iter(),
                &format!("{what}: model, Jacobian, weighted fit"),
            );
            assert_bits_eq(
                outs[0][..n].iter(),
                outs[0][n..2 * n].iter(),
                &format!("{what}: Jacobian's prediction"),
            );
        }
    }
}

/// A weighted fit of a few steps from the model's defaults.
fn weighted_fit(
    model: Model,
    delay: bool,
    t: &XpArray<f64>,
    cp: &XpArray<f64>,
    data: &XpArray<f64>,
    init: XpArray<f64>,
    w: Vec<f64>,
) -> Kr<FitResult> {
    let lm = LevenbergMarquardt::new().max_iterations(5);
    match (model, delay) {
        (Model::Tofts, false) => dce::tofts::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
        (Model::Tofts, true) => dce::tofts_delay::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
        (Model::ETofts, false) => dce::extended_tofts::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
        (Model::ETofts, true) => dce::extended_tofts_delay::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
        (Model::Patlak, false) => dce::patlak::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
        (Model::Patlak, true) => dce::patlak_delay::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
        (Model::TwoCxm, false) => dce::two_cxm::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
        (Model::TwoCxm, true) => dce::two_cxm_delay::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
        (Model::TwoCum, false) => dce::two_cum::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
        (Model::TwoCum, true) => dce::two_cum_delay::fitter(t, cp, &lin(cp))
            .settings(lm)
            .init(init)
            .weights(w)
            .fit(data),
    }
}

// ---------------------------------------------------------------------------------------
// The models' own properties, on a non-uniform grid.

/// A non-uniform grid (s, steps from 0.2 to 2.4 s) and a plasma curve on it (mM): a bolus
/// arriving at 10 s, peaking at 5 mM, on a slowly rising tail.
fn nonuniform() -> (Vec<f64>, Vec<f64>) {
    let mut t = vec![0.0];
    for i in 1..90 {
        let dt = 1.2 + 0.8 * (0.7 * f64::from(i)).sin() + 0.2 * f64::from(i % 3);
        t.push(t[i as usize - 1] + dt);
    }
    let cp = t.iter().map(|&s| plasma_curve(s)).collect();
    (t, cp)
}

fn plasma_curve(s: f64) -> f64 {
    let u = s - 10.0;
    if u <= 0.0 {
        0.0
    } else {
        5.0 * (u / 8.0) * (1.0 - u / 8.0).exp() + 0.8 * (1.0 - (-u / 60.0).exp())
    }
}

/// Parameter ranges (inside the bounds) of each model's parameters.
fn range(param: &str) -> (f64, f64) {
    match param {
        "ktrans" => (0.05, 0.8),
        "ve" => (0.1, 0.6),
        "vp" => (0.01, 0.15),
        "ps" => (0.005, 0.3),
        "fp" => (5.0, 80.0),
        "delay" => (-6.0, 6.0),
        _ => panic!("no range for {param}"),
    }
}

/// A deterministic sequence in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The exponential rates (/min) a parameter set convolves with.
fn rates(model: Model, k: &Kernels, p: &[f64]) -> Vec<f64> {
    let get = |n: &str| p[k.params.iter().position(|q| *q == n).unwrap()];
    match model {
        Model::Tofts | Model::ETofts => vec![get("ktrans") / get("ve")],
        Model::Patlak => vec![],
        Model::TwoCum => vec![(get("fp") / 100.0 + get("ps")) / get("vp")],
        Model::TwoCxm => {
            let cpu = Device::Cpu;
            let one = |v: f64| row(&cpu, &[v]);
            let (kp, km, _, _) = ok(dce::models::two_cxm_rates::launch(
                &one(get("fp") / 100.0),
                &one(get("ps")),
                &one(get("ve")),
                &one(get("vp")),
            ));
            vec![host(&kp)[0], host(&km)[0]]
        }
    }
}

/// Random parameter sets away from the branch switch points: no `k dt` within 0.1 % of the
/// series threshold 1e-3, no shifted sample within 1e-3 s of a grid point.
fn random_params(model: Model, delay: bool, t: &[f64], items: usize, seed: u64) -> Vec<Vec<f64>> {
    let k = model.kernels(delay);
    let mut r = Lcg(seed);
    let mut out = Vec::new();
    while out.len() < items {
        let p: Vec<f64> = k
            .params
            .iter()
            .map(|n| {
                let (lo, hi) = range(n);
                lo + (hi - lo) * r.next()
            })
            .collect();
        let near_series = rates(model, &k, &p).iter().any(|kk| {
            t.windows(2)
                .any(|w| ((w[1] - w[0]) / 60.0 * kk / 1e-3 - 1.0).abs() < 1e-3)
        });
        let near_knot = delay && {
            let d = p[p.len() - 1];
            t.iter().any(|ti| t.iter().any(|tj| (ti - d - tj).abs() < 1e-3))
        };
        if !near_series && !near_knot {
            out.push(p);
        }
    }
    out
}

fn predict(k: &Kernels, t: &[f64], cp: &[f64], params: &[Vec<f64>]) -> Vec<f64> {
    let dev = Device::Cpu;
    let n = t.len();
    let mut pred = table(&dev, params.len(), n, vec![0.0; params.len() * n]);
    ok((k.predict)(
        &row(&dev, t),
        &row(&dev, cp),
        &columns(&dev, params),
        &mut pred,
    ));
    host(&pred)
}

#[test]
fn derived_jacobians_match_central_differences() {
    let (t, cp) = nonuniform();
    let n = t.len();
    for model in Model::ALL {
        for delay in [false, true] {
            let k = model.kernels(delay);
            let p = k.params.len();
            let items = 12;
            let params = random_params(model, delay, &t, items, 7 + p as u64);
            let dev = Device::Cpu;
            let mut pred = table(&dev, items, n, vec![0.0; items * n]);
            let mut jac = table(&dev, items, n * p, vec![0.0; items * n * p]);
            ok((k.jacobian)(
                &row(&dev, &t),
                &row(&dev, &cp),
                &columns(&dev, &params),
                &mut pred,
                &mut jac,
            ));
            let jac = host(&jac);
            assert_bits_eq(host(&pred).iter(), predict(&k, &t, &cp, &params).iter(), k.name);
            for a in 0..p {
                let h: Vec<f64> = params.iter().map(|v| 1e-5 * v[a].abs().max(1e-3)).collect();
                let shift = |sign: f64| -> Vec<Vec<f64>> {
                    params
                        .iter()
                        .zip(&h)
                        .map(|(v, hi)| {
                            let mut v = v.clone();
                            v[a] += sign * hi;
                            v
                        })
                        .collect()
                };
                let (up, dn) = (
                    predict(&k, &t, &cp, &shift(1.0)),
                    predict(&k, &t, &cp, &shift(-1.0)),
                );
                for i in 0..items {
                    let fd: Vec<f64> = (0..n)
                        .map(|s| (up[i * n + s] - dn[i * n + s]) / (2.0 * h[i]))
                        .collect();
                    let colmax = fd.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    assert!(
                        colmax > 0.0,
                        "{}: parameter {} has no influence",
                        k.name,
                        k.params[a]
                    );
                    for s in 0..n {
                        let ad = jac[i * n * p + s * p + a];
                        let tol = 1e-6 * fd[s].abs().max(colmax);
                        assert!(
                            (ad - fd[s]).abs() <= tol,
                            "{}: item {i} {:?}, sample {s}, d/d{}: derived {ad:e}, central difference {:e}",
                            k.name,
                            params[i],
                            k.params[a],
                            fd[s]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn delay_models_at_zero_delay_equal_the_plain_models_bit_for_bit() {
    let (t, cp) = nonuniform();
    for model in Model::ALL {
        let plain = model.kernels(false);
        let delayed = model.kernels(true);
        let params = random_params(model, false, &t, 8, 3);
        let with_zero: Vec<Vec<f64>> = params.iter().map(|v| [v.as_slice(), &[0.0]].concat()).collect();
        assert_bits_eq(
            predict(&delayed, &t, &cp, &with_zero).iter(),
            predict(&plain, &t, &cp, &params).iter(),
            delayed.name,
        );
    }
}

/// `integral_0^t cp_lin(s) r(t - s) ds` for the piecewise-linear interpolant `cp_lin` of
/// (`t`, `cp`), by composite Simpson with 200 panels per sample interval (the integrand is
/// smooth inside each), at every sample time.
fn reference_convolution(t: &[f64], cp: &[f64], r: impl Fn(f64) -> f64) -> Vec<f64> {
    let mut out = vec![0.0];
    for i in 1..t.len() {
        let mut total = 0.0;
        for j in 1..=i {
            let (a, b) = (t[j - 1], t[j]);
            let m = 200;
            let h = (b - a) / f64::from(m);
            let f = |s: f64| {
                let c = cp[j - 1] + (cp[j] - cp[j - 1]) * (s - a) / (b - a);
                c * r((t[i] - s) / 60.0)
            };
            let mut sum = f(a) + f(b);
            for q in 1..m {
                sum += if q % 2 == 1 { 4.0 } else { 2.0 } * f(a + h * f64::from(q));
            }
            total += sum * h / 3.0 / 60.0;
        }
        out.push(total);
    }
    out
}

#[test]
fn convolutions_are_exact_for_a_piecewise_linear_plasma_curve() {
    // Reference: the textbook impulse responses (Sourbron & Buckley 2013), computed here
    // independently of the kernels, convolved by quadrature on a non-uniform grid.
    let (t, cp) = nonuniform();
    let close = |got: &[f64], want: &[f64], what: &str| {
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= 1e-10 * scale, "{what}: sample {i}: {g} vs {w}");
        }
    };
    let (ktrans, ve, vp) = (0.3, 0.25, 0.05);
    let kep = ktrans / ve;
    let conv = reference_convolution(&t, &cp, |u| ktrans * (-kep * u).exp());
    close(
        &predict(&Model::Tofts.kernels(false), &t, &cp, &[vec![ktrans, ve]]),
        &conv,
        "tofts",
    );
    let et: Vec<f64> = conv.iter().zip(&cp).map(|(c, p)| c + vp * p).collect();
    close(
        &predict(&Model::ETofts.kernels(false), &t, &cp, &[vec![ktrans, ve, vp]]),
        &et,
        "extended_tofts",
    );
    let ps = 0.12;
    let pat: Vec<f64> = reference_convolution(&t, &cp, |_| ps)
        .iter()
        .zip(&cp)
        .map(|(c, p)| c + vp * p)
        .collect();
    close(
        &predict(&Model::Patlak.kernels(false), &t, &cp, &[vec![ps, vp]]),
        &pat,
        "patlak",
    );
    // 2CXM: k± the roots of k^2 - (a + b) k + f ps / (vp ve), a = (f + ps) / vp, b = ps / ve;
    // R(t) = f (a+ e^{-k+ t} + a- e^{-k- t}), a+ = (f / vp - k-) / (k+ - k-), a- = 1 - a+.
    let (fp, ps2, ve2, vp2): (f64, f64, f64, f64) = (30.0, 0.2, 0.3, 0.06);
    let f = fp / 100.0;
    let (a, b) = ((f + ps2) / vp2, ps2 / ve2);
    let disc = ((a + b) * (a + b) - 4.0 * f * ps2 / (vp2 * ve2)).sqrt();
    let (kp, km) = ((a + b + disc) / 2.0, (a + b - disc) / 2.0);
    let ap = (f / vp2 - km) / (kp - km);
    let cx = reference_convolution(&t, &cp, |u| {
        f * (ap * (-kp * u).exp() + (1.0 - ap) * (-km * u).exp())
    });
    close(
        &predict(&Model::TwoCxm.kernels(false), &t, &cp, &[vec![fp, ps2, ve2, vp2]]),
        &cx,
        "two_cxm",
    );
    // 2CUM: R(t) = f ((1 - E) e^{-t / Tp} + E), E = ps / (f + ps), Tp = vp / (f + ps).
    let e = ps2 / (f + ps2);
    let tp = vp2 / (f + ps2);
    let cu = reference_convolution(&t, &cp, |u| f * ((1.0 - e) * (-u / tp).exp() + e));
    close(
        &predict(&Model::TwoCum.kernels(false), &t, &cp, &[vec![fp, ps2, vp2]]),
        &cu,
        "two_cum",
    );
}

#[test]
fn two_compartment_models_meet_at_their_limits() {
    let (t, cp) = nonuniform();
    let cx = Model::TwoCxm.kernels(false);
    let cu = Model::TwoCum.kernels(false);
    let rel = |a: &[f64], b: &[f64]| {
        let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
    };
    // Without exchange both are one plasma compartment: Fp e^{-t Fp / vp}.
    let d0 = rel(
        &predict(&cx, &t, &cp, &[vec![25.0, 0.0, 0.2, 0.05]]),
        &predict(&cu, &t, &cp, &[vec![25.0, 0.0, 0.05]]),
    );
    assert!(d0 < 1e-14, "ps = 0: {d0:e}");
    // An interstitium too large to fill over the acquisition: the uptake model.
    let d1 = rel(
        &predict(&cx, &t, &cp, &[vec![25.0, 0.1, 1e4, 0.05]]),
        &predict(&cu, &t, &cp, &[vec![25.0, 0.1, 0.05]]),
    );
    assert!(d1 < 1e-5, "ve = 1e4: {d1:e}");
    // An instantaneous exchange with a large plasma flow: extended Tofts with Ktrans = PS.
    let big = predict(&cx, &t, &cp, &[vec![1e5, 0.1, 0.2, 0.05]]);
    let et = predict(&Model::ETofts.kernels(false), &t, &cp, &[vec![0.1, 0.2, 0.05]]);
    let d2 = rel(&big, &et);
    assert!(d2 < 1e-3, "Fp large: {d2:e}");
}

#[test]
fn linear_starts_recover_noise_free_parameters_and_delay() {
    // The linear forms hold exactly for the models; on sampled data they are off by the
    // trapezoid rule's error in the integrals of the tissue curve (under 0.5 % here), and the
    // delay grid (0.5 s steps) holds the true delay.
    let (t, cp) = nonuniform();
    let truth: [(Model, Vec<f64>); 5] = [
        (Model::Tofts, vec![0.25, 0.4]),
        (Model::ETofts, vec![0.25, 0.4, 0.05]),
        (Model::Patlak, vec![0.1, 0.08]),
        (Model::TwoCxm, vec![30.0, 0.15, 0.25, 0.06]),
        (Model::TwoCum, vec![30.0, 0.05, 0.06]),
    ];
    let dev = Device::Cpu;
    for (model, p) in truth {
        for d in [0.0, 3.0] {
            let k = model.kernels(true);
            let ct = predict(&k, &t, &cp, &[[p.as_slice(), &[d]].concat()]);
            let data = table(&dev, 1, t.len(), ct);
            let lin = model.linear_starts(&row(&dev, &t), &row(&dev, &cp), &data, &row(&dev, &delay_grid()));
            let got = lin.row(0).to_vec();
            assert_eq!(got[p.len()], d, "{model:?}: delay");
            // Patlak's linear form is the model itself: exact but for rounding.
            let rtol = if model == Model::Patlak { 1e-10 } else { 0.01 };
            for (a, (g, w)) in got.iter().zip(&p).enumerate() {
                assert!(
                    (g - w).abs() <= rtol * w.abs(),
                    "{model:?} delay {d}: parameter {a}: {g} vs {w}"
                );
            }
        }
    }
}

fn dev_array<T: osipy_kernels::Element>(device: &Device, a: ArrayD<T>) -> XpArray<T> {
    let a = XpArray::from_host(a);
    if *device == Device::Cpu {
        a
    } else {
        ok(a.to_device(device))
    }
}

fn vec_of<T: osipy_kernels::Element>(device: &Device, v: Vec<T>) -> XpArray<T> {
    dev_array(device, ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).unwrap())
}

fn rows_of<T: osipy_kernels::Element>(device: &Device, rows: usize, v: Vec<T>) -> XpArray<T> {
    let cols = v.len() / rows;
    dev_array(device, ArrayD::from_shape_vec(IxDyn(&[rows, cols]), v).unwrap())
}

/// Every helper kernel of `osipy::dce` launched on its own, on `device`, over a few items with
/// edge cases; the outputs as f64 (integers and booleans converted).
fn helper_outputs(device: &Device) -> Vec<f64> {
    let d = device;
    let mut out = Vec::new();
    let f = |a: &XpArray<f64>| host(a);
    // exp_conv_step: both branches, k = 0, the threshold itself.
    let a = vec_of(d, vec![1.0, 0.0, 2.0, -1.0, 3.0, 1.0]);
    let b = vec_of(d, vec![2.0, 1.0, 2.0, 4.0, 0.5, 1.0]);
    let k = vec_of(d, vec![0.0, 1e-3, 0.5, 20.0, 1e4, 0.1]);
    let dt = vec_of(d, vec![0.01, 1.0, 0.002, 0.05, 0.01, 0.01]);
    let (i, e) = ok(dce::convolution::exp_conv_step::launch(&a, &b, &k, &dt));
    out.extend(f(&i).into_iter().chain(f(&e)));
    // interval_from and plasma_at: before, inside, on a knot, after the grid.
    let (t, cp) = nonuniform();
    let items = 5;
    let trows = rows_of(d, items, t.repeat(items));
    let cprows = rows_of(d, items, cp.repeat(items));
    let len = vec_of(d, vec![t.len(); items]);
    let x = vec_of(d, vec![-3.0, 17.3, t[20], 1e6, t[0]]);
    let from = vec_of(d, vec![0usize, 3, 0, 10, 0]);
    let j = ok(dce::convolution::interval_from::launch(&trows, &len, &x, &from));
    out.extend(ok(j.to_host()).iter().map(|v| *v as f64));
    let v = ok(dce::convolution::plasma_at::launch(&trows, &cprows, &len, &x, &j));
    out.extend(f(&v));
    // two_cxm_rates: both sides of a = b, no exchange.
    let one = |v: Vec<f64>| vec_of(d, v);
    let (kp, km, ap, am) = ok(dce::models::two_cxm_rates::launch(
        &one(vec![0.3, 0.05, 0.2, 1.0]),
        &one(vec![0.1, 0.5, 0.0, 0.2]),
        &one(vec![0.2, 0.05, 0.3, 0.9]),
        &one(vec![0.05, 0.1, 0.05, 0.5]),
    ));
    for r in [kp, km, ap, am] {
        out.extend(f(&r));
    }
    // qr_add_row, qr_solve: three rows into 2 x 2 problems, one singular.
    let mut r = rows_of(d, 2, vec![0.0; 32]);
    let mut qty = rows_of(d, 2, vec![0.0; 8]);
    let m = vec_of(d, vec![2usize, 2]);
    for (row, y) in [([1.0, 2.0], 1.0), ([1.0, -1.0], 0.5), ([2.0, 0.5], 2.0)] {
        let mut rr = rows_of(
            d,
            2,
            vec![row[0], row[1], 0.0, 0.0, row[0], 2.0 * row[0], 0.0, 0.0],
        );
        let ss = ok(dce::init::qr_add_row::launch(
            &mut r,
            &mut qty,
            &mut rr,
            &one(vec![y, y]),
            &m,
        ));
        out.extend(f(&ss));
    }
    let mut beta = rows_of(d, 2, vec![0.0; 8]);
    let solved = ok(dce::init::qr_solve::launch(&r, &qty, &m, &mut beta));
    out.extend(ok(solved.to_host()).iter().map(|b| f64::from(u8::from(*b))));
    out.extend(f(&r).into_iter().chain(f(&qty)).chain(f(&beta)));
    // linear_form_fit for every form (and an unknown one), best_linear_form, clamp_or.
    let forms = 6;
    let tissue = predict(
        &Model::TwoCxm.kernels(false),
        &t,
        &cp,
        &[vec![30.0, 0.15, 0.25, 0.06]],
    );
    let trows = rows_of(d, forms, t.repeat(forms));
    let cprows = rows_of(d, forms, cp.repeat(forms));
    let ctrows = rows_of(d, forms, tissue.repeat(forms));
    let form = vec_of(d, vec![0u32, 1, 2, 3, 4, 7]);
    let mut beta = rows_of(d, forms, vec![0.0; 4 * forms]);
    let delay = one(vec![0.0, 1.5, -2.0, 0.0, 3.0, 0.0]);
    let rss = ok(dce::init::linear_form_fit::launch(
        &trows, &cprows, &ctrows, &delay, &form, &mut beta,
    ));
    out.extend(f(&rss).into_iter().chain(f(&beta)));
    let delays = rows_of(d, forms, [-1.0, 0.0, 2.0].repeat(forms));
    let best = ok(dce::init::best_linear_form::launch(
        &trows, &cprows, &ctrows, &delays, &form,
    ));
    for r in [best.0, best.1, best.2, best.3, best.4, best.5] {
        out.extend(f(&r));
    }
    let c = ok(dce::init::clamp_or::launch(
        &one(vec![0.5, -1.0, 9.0, f64::NAN, f64::INFINITY]),
        &one(vec![0.0; 5]),
        &one(vec![1.0; 5]),
        &one(vec![0.25; 5]),
    ));
    out.extend(f(&c));
    out
}

#[test]
fn helper_kernels_are_the_same_on_cpu_and_emulator() {
    let cpu = helper_outputs(&Device::Cpu);
    let emu = helper_outputs(&Device::Emulator);
    assert_bits_eq(emu.iter(), cpu.iter(), "dce helper kernels");
    // Spot values: k = 0 is the trapezoid, the decay factor of k = 0 is 1.
    assert_eq!(cpu[0], 0.01 * 1.5);
    assert_eq!(cpu[6], 1.0);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    // plasma_from_blood: the haematocrit must be in [0, 1).
    assert_eq!(
        ok(dce::plasma_from_blood(&[0.0, 1.1, -0.55], 0.45)),
        vec![0.0, 2.0, -1.0]
    );
    assert_eq!(ok(dce::plasma_from_blood(&[2.0], 0.0)), vec![2.0]);
    for hct in [1.0, -0.1, f64::NAN, 45.0] {
        match dce::plasma_from_blood(&[1.0], hct) {
            Err(osipy::Error::Invalid { function, arg, .. }) => {
                assert_eq!((function, arg), ("plasma_from_blood", "hct"));
            }
            other => panic!("hct {hct}: {other:?}"),
        }
    }
    let msg = dce::plasma_from_blood(&[1.0], 1.0).unwrap_err().to_string();
    assert!(msg.contains("[0, 1)") && msg.contains("found 1"), "{msg}");
    // stack_params: no columns, mismatched shapes.
    let a = row(&Device::Cpu, &[1.0, 2.0]);
    let b = row(&Device::Cpu, &[1.0, 2.0, 3.0]);
    assert!(matches!(
        dce::stack_params(&[]),
        Err(osipy::Error::Invalid {
            function: "stack_params",
            ..
        })
    ));
    let e = dce::stack_params(&[&a, &b]).unwrap_err().to_string();
    assert!(e.contains("column 1 of shape [3]"), "{e}");
    let s = ok(ok(dce::stack_params(&[&a, &a])).to_host());
    assert_eq!(s.shape(), &[2, 2]);
    assert_eq!(s.iter().copied().collect::<Vec<f64>>(), vec![1.0, 1.0, 2.0, 2.0]);
    // A model with a time axis shorter than its output: an error naming the kernel.
    let (t, cp) = nonuniform();
    let mut ct = table(&Device::Cpu, 1, t.len() + 1, vec![0.0; t.len() + 1]);
    let err = (Model::Tofts.kernels(false).predict)(
        &row(&Device::Cpu, &t),
        &row(&Device::Cpu, &cp),
        &columns(&Device::Cpu, &[vec![0.1, 0.2]]),
        &mut ct,
    );
    assert!(
        matches!(err, Err(osipy_kernels::Error::IndexOutOfBounds { .. })),
        "{err:?}"
    );
    // Empty curves: nothing to write, no error; an empty delay grid means no delay.
    let mut empty = table(&Device::Cpu, 1, 0, Vec::new());
    for model in Model::ALL {
        for delay in [false, true] {
            let k = model.kernels(delay);
            ok((k.predict)(
                &row(&Device::Cpu, &[]),
                &row(&Device::Cpu, &[]),
                &columns(&Device::Cpu, &[k.init.to_vec()]),
                &mut empty,
            ));
        }
    }
    let data = table(
        &Device::Cpu,
        1,
        t.len(),
        predict(&Model::Tofts.kernels(false), &t, &cp, &[vec![0.2, 0.3]]),
    );
    let (k0, ve0, d0, _) = ok(dce::tofts_init::launch(&t, &cp, &data, &[0.0_f64; 0][..]));
    assert_eq!(host(&d0), vec![0.0]);
    assert!((host(&k0)[0] - 0.2).abs() < 0.01 && (host(&ve0)[0] - 0.3).abs() < 0.01);
}
