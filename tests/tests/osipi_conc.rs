//! Signal to concentration (`osipy::conc`) against the OSIPI code collection's SI2Conc data
//! (`tests/data/osipi/test/SI_to_Conc`, atol 1e-5 + rtol 1e-5) and the inline reference values
//! of OSIPI's `osipi` package tests (`tests/data/pyosipi`, atol 1e-7); the degree sine and
//! cosine against correctly rounded values; impossible signals; argument errors; Cpu =
//! Emulator bit for bit.

mod common;

use common::assert_bits_eq;
use ndarray::{Array1, Array2, ArrayD, IxDyn};
use osipy::conc::kernels;
use osipy::conc::spgr::{self, sin_cos_deg, spgr_signal};
use osipy::conc::{baseline, r1_to_conc, signal_to_r1, Baseline, SignalToConc, Spgr, VoxelValue};
use osipy::Error;
use osipy_kernels::{Device, XpArray};
use osipy_tests::osipi::{close, data_dir, read, Row};

/// SI2Conc tolerance (`SI2Conc_data.py`): atol 1e-5 mM + rtol 1e-5.
const CONC_ATOL: f64 = 1e-5;
const CONC_RTOL: f64 = 1e-5;
/// `osipi` package tests: `assert_allclose(truth, value, rtol=0, atol=1e-7)`.
const PY_ATOL: f64 = 1e-7;

/// One SI2Conc case.
struct Case {
    label: String,
    fa: f64,
    tr: f64,
    t10: f64,
    n_base: usize,
    r1: f64,
    s: Vec<f64>,
    conc: Vec<f64>,
}

/// The case label (the reader drops the file's UTF-8 byte order mark).
fn label(row: &Row) -> String {
    row.text("label").unwrap().to_string()
}

fn si2conc() -> Vec<Case> {
    let path = data_dir().join("test/SI_to_Conc/data/SI2Conc_data.csv");
    read(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|row| Case {
            label: label(row),
            fa: row.num("FA").unwrap(),
            tr: row.num("TR").unwrap(),
            t10: row.num("T1base").unwrap(),
            n_base: row.num("numbaselinepts").unwrap() as usize,
            r1: row.num("r1").unwrap(),
            s: row.vec("s").unwrap(),
            conc: row.vec("conc").unwrap(),
        })
        .collect()
}

fn conversion(c: &Case) -> SignalToConc<'static> {
    SignalToConc::spgr(
        Spgr {
            flip_angle: c.fa,
            tr: c.tr,
        },
        c.t10,
        c.r1,
        Baseline::skip_first(c.n_base),
    )
}

fn on(d: Device, a: ArrayD<f64>) -> XpArray<f64> {
    XpArray::from_host(a).to_device(&d).unwrap()
}

fn host2(a: XpArray<f64>) -> Array2<f64> {
    a.into_host().unwrap().into_dimensionality().unwrap()
}

fn row(v: &[f64]) -> Array2<f64> {
    Array2::from_shape_vec((1, v.len()), v.to_vec()).unwrap()
}

/// OSIPI SI2Conc: baseline = mean of samples 1..numbaselinepts-1 (sample 0 skipped, as the
/// code collection's implementations do); sample 0 of the concentration is not compared.
#[test]
fn osipi_si2conc_within_tolerance() {
    let cases = si2conc();
    assert_eq!(cases.len(), 5);
    let mut pass = 0;
    let mut samples = 0;
    for c in &cases {
        assert_eq!(c.s.len(), c.conc.len());
        let got = conversion(c)
            .concentration(&row(&c.s))
            .unwrap()
            .into_host()
            .unwrap();
        let mut ok = true;
        for k in 1..c.s.len() {
            samples += 1;
            let (g, w) = (got[[0, k]], c.conc[k]);
            assert!(
                close(g, w, CONC_ATOL, CONC_RTOL),
                "{} sample {k}: C {g} mM, reference {w} mM",
                c.label
            );
            ok &= close(g, w, CONC_ATOL, CONC_RTOL);
        }
        pass += usize::from(ok);
    }
    println!(
        "SI2Conc: {pass}/{} cases pass ({samples} samples, sample 0 not compared)",
        cases.len()
    );
}

/// The same cases through the pieces: baseline, R1 with a given baseline, R1 to C.
#[test]
fn osipi_si2conc_through_r1_matches_the_fused_kernel() {
    for c in si2conc() {
        let s = row(&c.s);
        let base = baseline(&s, Baseline::skip_first(c.n_base)).unwrap();
        let mean: f64 = c.s[1..c.n_base].iter().sum::<f64>() / (c.n_base - 1) as f64;
        assert_eq!(base.to_host().unwrap()[0], mean);
        let acq = Spgr {
            flip_angle: c.fa,
            tr: c.tr,
        };
        let r1 = signal_to_r1(&s, &base, c.t10, acq, 1.0).unwrap();
        let conc = r1_to_conc(&r1, c.t10, c.r1).unwrap().into_host().unwrap();
        let fused = conversion(&c).concentration(&s).unwrap().into_host().unwrap();
        let via = conversion(&c).r1(&s).unwrap();
        assert_bits_eq(
            via.to_host().unwrap().iter(),
            r1.to_host().unwrap().iter(),
            &c.label,
        );
        for k in 1..c.s.len() {
            assert!(
                close(conc[[0, k]], c.conc[k], CONC_ATOL, CONC_RTOL),
                "{} sample {k}",
                c.label
            );
            assert!(
                (conc[[0, k]] - fused[[0, k]]).abs() <= 1e-12,
                "{} sample {k}",
                c.label
            );
        }
    }
}

/// Cpu = Emulator bit for bit: every conc kernel on the SI2Conc cases (as one batch of
/// voxels with per-voxel T10 and B1 maps where the kernel takes them).
#[test]
fn conc_cpu_and_emulator_agree_bit_for_bit() {
    let cases = si2conc();
    let n = cases[0].s.len();
    let s = Array2::from_shape_fn((cases.len(), n), |(v, k)| cases[v].s[k]).into_dyn();
    let t10 = Array1::from_iter(cases.iter().map(|c| c.t10)).into_dyn();
    let b1 = Array1::from(vec![1.0, 0.8, 1.2, 1.0, 0.0]).into_dyn();
    let run = |d: Device| -> Vec<ArrayD<f64>> {
        let (s, t10, b1) = (on(d, s.clone()), on(d, t10.clone()), on(d, b1.clone()));
        let acq = Spgr {
            flip_angle: 20.0,
            tr: 0.002,
        };
        let window = Baseline::skip_first(4);
        let spgr = SignalToConc::spgr(acq, &t10, 4.5, window).b1(&b1);
        let lin = SignalToConc::linear(&t10, 4.5, window);
        let base = baseline(&s, window).unwrap();
        let r1 = signal_to_r1(&s, &base, &t10, acq, &b1).unwrap();
        let sig = spgr_signal::launch(&t10, &base, 13.0, 0.003).unwrap();
        // Angles over several turns, negative ones and non-finite ones.
        let angles = on(
            d,
            ArrayD::from_shape_fn(IxDyn(&[64]), |i| -700.0 + 23.7 * i[0] as f64),
        );
        let (sn, cs) = sin_cos_deg::launch(&angles).unwrap();
        let mut direct = on(d, ArrayD::zeros(IxDyn(&[cases.len(), n])));
        kernels::r1_to_conc::launch(&s, &b1, 2.0, &mut direct).unwrap();
        // The scalar building blocks on their own, with edge values.
        let x = on(
            d,
            ArrayD::from_shape_fn(IxDyn(&[64]), |i| -0.8 + 0.025 * i[0] as f64),
        );
        let y = on(
            d,
            ArrayD::from_shape_fn(IxDyn(&[64]), |i| 1e-17 * (i[0] as f64 - 30.0)),
        );
        let scale = on(
            d,
            ArrayD::from_shape_fn(IxDyn(&[64]), |i| [1.0, 0.0, -1.0, f64::NAN, 1.7][i[0] % 5]),
        );
        let ca = kernels::actual_cos::launch(&angles, &scale).unwrap();
        let ks = spgr::kernel_sin::launch(&x, &y).unwrap();
        let kc = spgr::kernel_cos::launch(&x, &y).unwrap();
        let sig_sc = spgr::spgr_signal_sc::launch(&angles, &x, &sn, &cs, &y).unwrap();
        let smax = spgr::spgr_max_signal::launch(&angles, &scale, &ca, &x).unwrap();
        let r1s = spgr::spgr_r1::launch(&x, &scale, &cs, &angles).unwrap();
        vec![
            spgr.concentration(&s).unwrap().to_host().unwrap(),
            spgr.r1(&s).unwrap().to_host().unwrap(),
            lin.concentration(&s).unwrap().to_host().unwrap(),
            base.to_host().unwrap(),
            r1.to_host().unwrap(),
            r1_to_conc(&r1, &t10, 3.4).unwrap().to_host().unwrap(),
            sig.to_host().unwrap(),
            sn.to_host().unwrap(),
            cs.to_host().unwrap(),
            direct.to_host().unwrap(),
            ca.to_host().unwrap(),
            ks.to_host().unwrap(),
            kc.to_host().unwrap(),
            sig_sc.to_host().unwrap(),
            smax.to_host().unwrap(),
            r1s.to_host().unwrap(),
        ]
    };
    let (c, e) = (run(Device::Cpu), run(Device::Emulator));
    for (i, (x, y)) in c.iter().zip(&e).enumerate() {
        assert_bits_eq(x.iter(), y.iter(), &format!("output {i}"));
    }
}

// ---- the osipi package's inline reference values ----

/// A JSON value (the subset the reference file uses).
#[derive(Debug, Clone)]
enum Json {
    Null,
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(kv) => {
                &kv.iter()
                    .find(|(k, _)| k == key)
                    .unwrap_or_else(|| panic!("no key {key}"))
                    .1
            }
            _ => panic!("not an object looking up {key}"),
        }
    }

    fn at(&self, i: usize) -> &Json {
        match self {
            Json::Arr(a) => &a[i],
            _ => panic!("not an array"),
        }
    }

    fn num(&self) -> f64 {
        match self {
            Json::Num(x) => *x,
            other => panic!("not a number: {other:?}"),
        }
    }

    fn nums(&self) -> Vec<f64> {
        match self {
            Json::Arr(a) => a.iter().map(Json::num).collect(),
            other => panic!("not an array: {other:?}"),
        }
    }
}

/// A small recursive-descent JSON parser (objects, arrays, numbers, strings without escapes
/// other than `\"` and `\\`, null), enough for the reference file.
struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.b[self.i] {
            b'{' => {
                self.i += 1;
                let mut kv = Vec::new();
                loop {
                    self.ws();
                    if self.b[self.i] == b'}' {
                        self.i += 1;
                        return Json::Obj(kv);
                    }
                    let Json::Str(k) = self.value() else {
                        panic!("key at {}", self.i)
                    };
                    self.ws();
                    assert_eq!(self.b[self.i], b':');
                    self.i += 1;
                    kv.push((k, self.value()));
                    self.ws();
                    if self.b[self.i] == b',' {
                        self.i += 1;
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                loop {
                    self.ws();
                    if self.b[self.i] == b']' {
                        self.i += 1;
                        return Json::Arr(a);
                    }
                    a.push(self.value());
                    self.ws();
                    if self.b[self.i] == b',' {
                        self.i += 1;
                    }
                }
            }
            b'"' => {
                self.i += 1;
                let mut s = Vec::new();
                while self.b[self.i] != b'"' {
                    if self.b[self.i] == b'\\' {
                        self.i += 1;
                    }
                    s.push(self.b[self.i]);
                    self.i += 1;
                }
                self.i += 1;
                Json::Str(String::from_utf8(s).unwrap())
            }
            b'n' => {
                self.i += 4;
                Json::Null
            }
            _ => {
                let start = self.i;
                while self.i < self.b.len() && b"+-0123456789.eE".contains(&self.b[self.i]) {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.b[start..self.i]).unwrap();
                Json::Num(t.parse().unwrap_or_else(|_| panic!("number `{t}` at {start}")))
            }
        }
    }
}

fn pyosipi() -> Json {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/pyosipi/inline_test_reference_values.json");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json = Parser { b: &text, i: 0 }.value();
    assert!(!matches!(json.get("note"), Json::Null));
    json.get("files").clone()
}

fn assert_close_all(got: &[f64], want: &[f64], atol: f64, what: &str) -> usize {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w, atol, 0.0), "{what} [{k}]: got {g}, truth {w}");
    }
    got.len()
}

/// `S_to_R1_SPGR` and `S_to_C_via_R1_SPGR` (S_baseline = S[0], R10 = 1/1.4 /s, TR 2 ms, FA
/// 13°, r1 4.5 /s/mM), `R1_to_C_linear_relaxivity`, `signal_SPGR`, and `signal_linear`
/// inverted by the linear method (exact for a signal proportional to R1).
#[test]
fn pyosipi_inline_values() {
    let files = pyosipi();
    let conc_tests = files.get("tests/test_signal_to_concentration.py");
    let mut counts = Vec::new();

    let t = conc_tests.get("test_S_to_R1_SPGR");
    let s = t.get("S").at(0).nums();
    let (tr, fa) = (t.get("TR").at(0).num(), t.get("a").at(0).num());
    let acq = Spgr { flip_angle: fa, tr };
    let r1 = signal_to_r1(&row(&s), s[0], 1.4, acq, 1.0)
        .unwrap()
        .into_host()
        .unwrap();
    let n = assert_close_all(
        r1.as_slice().unwrap(),
        &t.get("R1_truth").at(0).nums(),
        PY_ATOL,
        "S_to_R1_SPGR",
    );
    counts.push(("S_to_R1_SPGR", n));

    let t = conc_tests.get("test_S_to_C_via_R1_SPGR");
    let s = t.get("S").at(0).nums();
    let r1 = t.get("r1").at(0).num();
    let conv = SignalToConc::spgr(
        Spgr {
            flip_angle: t.get("a").at(0).num(),
            tr: t.get("TR").at(0).num(),
        },
        1.4,
        r1,
        Baseline::first(1),
    );
    let c = conv.concentration(&row(&s)).unwrap().into_host().unwrap();
    let n = assert_close_all(
        c.as_slice().unwrap(),
        &t.get("C_truth").at(0).nums(),
        PY_ATOL,
        "S_to_C_via_R1_SPGR",
    );
    counts.push(("S_to_C_via_R1_SPGR", n));

    let t = conc_tests.get("test_R1_to_C_linear_relaxivity");
    let r1s = t.get("R1").at(0).nums();
    let t10 = 1.0 / t.get("R10").at(0).num();
    let c = r1_to_conc(&row(&r1s), t10, t.get("r1").at(0).num())
        .unwrap()
        .into_host()
        .unwrap();
    let n = assert_close_all(
        c.as_slice().unwrap(),
        &t.get("C_truth").at(0).nums(),
        PY_ATOL,
        "R1_to_C_linear_relaxivity",
    );
    counts.push(("R1_to_C_linear_relaxivity", n));

    let sig_tests = files.get("tests/test_signal.py");
    let t = sig_tests.get("test_signal_SPGR");
    let mut n = 0;
    for case in 0..2 {
        let r1s = match t.get("R1").at(case) {
            Json::Num(x) => vec![*x],
            arr => arr.nums(),
        };
        let want = match t.get("S_truth").at(case) {
            Json::Num(x) => vec![*x],
            arr => arr.nums(),
        };
        let s0 = vec![t.get("S0").at(case).num(); r1s.len()];
        let (tr, fa) = (t.get("TR").at(case).num(), t.get("a").at(case).num());
        let got = spgr_signal::launch(&s0, &r1s, fa, tr)
            .unwrap()
            .into_host()
            .unwrap();
        n += assert_close_all(got.as_slice().unwrap(), &want, PY_ATOL, "signal_SPGR");
    }
    counts.push(("signal_SPGR", n));

    // signal_linear: S = k R1. With the baseline at R10 = 1.5 /s (sample 1), the linear
    // conversion gives (R1 - R10) / r1 exactly.
    let t = sig_tests.get("test_signal_linear");
    let r1s = t.get("R1").at(1).nums();
    let s = t.get("S_truth").at(1).nums();
    let r10 = r1s[1];
    let lin = SignalToConc::linear(1.0 / r10, 4.5, Baseline::range(1, 2));
    let c = lin.concentration(&row(&s)).unwrap().into_host().unwrap();
    let want: Vec<f64> = r1s.iter().map(|r| (r - r10) / 4.5).collect();
    let n = assert_close_all(
        c.as_slice().unwrap(),
        &want,
        PY_ATOL,
        "signal_linear via the linear method",
    );
    counts.push(("signal_linear (linear method)", n));

    for (name, n) in counts {
        println!("pyosipi {name}: {n}/{n} values within atol {PY_ATOL}");
    }
}

// ---- SPGR building blocks ----

/// `sin_cos_deg` against correctly rounded values (mpmath, 300 bits, of the f64 argument in
/// degrees): within 1 ulp; multiples of 90° exact; non-finite arguments NaN.
#[test]
fn sin_cos_deg_is_accurate() {
    let refs: [(f64, f64, f64); 14] = [
        (13.0, 0.224951054343865, 0.9743700647852352),
        (15.0, 0.25881904510252074, 0.9659258262890683),
        (0.001, 1.74532925190572e-05, 0.9999999998476913),
        (89.999, 0.9999999998476913, 1.7453292519140536e-05),
        (90.001, 0.9999999998476913, -1.7453292519140536e-05),
        (
            45.0,
            std::f64::consts::FRAC_1_SQRT_2,
            std::f64::consts::FRAC_1_SQRT_2,
        ),
        (44.99999999, 0.7071067810631341, 0.707106781309961),
        (-30.0, -0.5, 0.8660254037844386),
        (200.5, -0.3502073812594675, -0.9366721892483976),
        (359.9, -0.0017453283658987056, 0.9999984769132877),
        (1000000.3, -0.9838850379333963, 0.17880221511714925),
        (0.1, 0.001745328365898309, 0.9999984769132877),
        (2.0, 0.03489949670250097, 0.9993908270190958),
        (179.99, 0.00017453292431317805, -0.9999999847691291),
    ];
    let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs();
    for (x, s, c) in refs {
        let (gs, gc) = sin_cos_deg(x);
        assert!(ulps(gs, s) <= 1, "sin({x}°) = {gs}, want {s}");
        assert!(ulps(gc, c) <= 1, "cos({x}°) = {gc}, want {c}");
    }
    let quarters: [(f64, f64, f64); 6] = [
        (0.0, 0.0, 1.0),
        (90.0, 1.0, 0.0),
        (180.0, 0.0, -1.0),
        (270.0, -1.0, 0.0),
        (-90.0, -1.0, 0.0),
        (720.0 + 90.0, 1.0, 0.0),
    ];
    for (x, s, c) in quarters {
        let (gs, gc) = sin_cos_deg(x);
        assert!(gs == s && gc == c, "{x}°: ({gs}, {gc})");
    }
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let (s, c) = sin_cos_deg(x);
        assert!(s.is_nan() && c.is_nan());
    }
    // Against the standard library on a sweep (its rounded radian argument adds an error of
    // about 1.1e-16 times the angle in radians): the agreement and the identity hold.
    for i in 0..20000 {
        let x = -1000.0 + 0.1 * i as f64 + 1e-3;
        let (s, c) = sin_cos_deg(x);
        let r = x.to_radians();
        let tol = 2.5e-16 * (1.0 + r.abs());
        assert!((s - r.sin()).abs() < tol && (c - r.cos()).abs() < tol, "{x}");
        assert!((s * s + c * c - 1.0).abs() < 4e-16, "{x}");
    }
}

/// The SPGR inversion: R1 of a simulated signal comes back; a signal at or beyond the
/// maximum is NaN for that sample only; an invalid voxel input is a NaN row; no panic.
#[test]
fn impossible_signals_are_nan_samples() {
    let (fa, tr, t10) = (25.0, 0.004, 1.2);
    let r1_true = [1.0 / t10, 2.0, 5.0, 20.0, 100.0];
    let s0 = vec![1000.0; r1_true.len()];
    let s = spgr_signal::launch(&s0, &r1_true, fa, tr)
        .unwrap()
        .into_host()
        .unwrap();
    let smax = 1000.0 * sin_cos_deg(fa).0;
    let mut curve: Vec<f64> = s.iter().copied().collect();
    curve.extend([smax, smax * 1.5, f64::NAN, -3.0, 2.0 * s[0]]);
    let acq = Spgr { flip_angle: fa, tr };
    let r1 = signal_to_r1(&row(&curve), s[0], t10, acq, 1.0)
        .unwrap()
        .into_host()
        .unwrap();
    for (k, want) in r1_true.iter().enumerate() {
        assert!(
            (r1[[0, k]] / want - 1.0).abs() < 1e-9,
            "sample {k}: {} vs {want}",
            r1[[0, k]]
        );
    }
    assert!(r1[[0, 5]].is_nan(), "at the maximum");
    assert!(r1[[0, 6]].is_nan(), "beyond the maximum");
    assert!(r1[[0, 7]].is_nan(), "NaN sample");
    assert!(
        r1[[0, 8]] < 0.0 && r1[[0, 8]].is_finite(),
        "negative sample: a finite R1 below 0"
    );
    assert!(r1[[0, 9]].is_finite() && r1[[0, 9]] > r1_true[0]);
    // Per-voxel inputs that cannot calibrate a voxel: NaN rows, neighbours untouched.
    let s4 = Array2::from_shape_fn((5, curve.len()), |(_, k)| curve[k]);
    let t10_map = Array1::from(vec![t10, 0.0, -1.0, f64::INFINITY, t10]);
    let b1_map = Array1::from(vec![1.0, 1.0, 1.0, 1.0, 8.0]);
    let r1 = host2(signal_to_r1(&s4, s[0], &t10_map, acq, &b1_map).unwrap());
    assert!((r1[[0, 1]] / 2.0 - 1.0).abs() < 1e-9);
    for v in 1..5 {
        assert!(r1.row(v).iter().all(|x| x.is_nan()), "voxel {v}");
    }
    let conv = SignalToConc::spgr(acq, &t10_map, 4.5, Baseline::first(1));
    let c = host2(conv.concentration(&s4).unwrap());
    assert!((c[[0, 1]] - (2.0 - 1.0 / t10) / 4.5).abs() < 1e-9);
    assert!(c[[0, 6]].is_nan() && c.row(1).iter().all(|x| x.is_nan()));
    // The linear method: a zero baseline is a NaN row.
    let mut z = s4.clone();
    z[[2, 0]] = 0.0;
    let c = host2(
        SignalToConc::linear(t10, 4.5, Baseline::first(1))
            .concentration(&z)
            .unwrap(),
    );
    assert!(c.row(2).iter().all(|x| x.is_nan()) && c[[0, 1]].is_finite());
}

/// Argument errors name the function and the argument; nothing panics and nothing runs.
#[test]
fn bad_arguments_are_invalid_errors() {
    let s = Array2::<f64>::ones((3, 10));
    let arg_of = |e: Error| match e {
        Error::Invalid { function, arg, .. } => format!("{function}:{arg}"),
        other => panic!("expected Invalid, got {other:?}"),
    };
    let acq = Spgr {
        flip_angle: 15.0,
        tr: 0.003,
    };
    let f = "conc::SignalToConc::concentration";
    let conv = |fa: f64, tr: f64, t10: VoxelValue<'static>, r1: f64, w: Baseline| {
        SignalToConc::spgr(Spgr { flip_angle: fa, tr }, t10, r1, w).concentration(&s)
    };
    let w = Baseline::first(3);
    assert_eq!(
        arg_of(conv(0.0, 0.003, 1.0.into(), 4.5, w).unwrap_err()),
        format!("{f}:flip_angle")
    );
    assert_eq!(
        arg_of(conv(15.0, f64::NAN, 1.0.into(), 4.5, w).unwrap_err()),
        format!("{f}:tr")
    );
    assert_eq!(
        arg_of(conv(15.0, 0.003, (-1.0).into(), 4.5, w).unwrap_err()),
        format!("{f}:t10")
    );
    assert_eq!(
        arg_of(conv(15.0, 0.003, 1.0.into(), 0.0, w).unwrap_err()),
        format!("{f}:relaxivity")
    );
    let empty = Baseline::range(2, 2);
    assert_eq!(
        arg_of(conv(15.0, 0.003, 1.0.into(), 4.5, empty).unwrap_err()),
        format!("{f}:baseline")
    );
    let past = Baseline::first(11);
    assert_eq!(
        arg_of(conv(15.0, 0.003, 1.0.into(), 4.5, past).unwrap_err()),
        format!("{f}:baseline")
    );
    let wrong = Array1::<f64>::ones(4);
    let e = SignalToConc::spgr(acq, &wrong, 4.5, w)
        .concentration(&s)
        .unwrap_err();
    assert_eq!(arg_of(e), format!("{f}:t10"));
    let e = SignalToConc::spgr(acq, 1.0, 4.5, w)
        .b1(&wrong)
        .concentration(&s)
        .unwrap_err();
    assert_eq!(arg_of(e), format!("{f}:b1"));
    let emu = on(Device::Emulator, Array1::<f64>::ones(3).into_dyn());
    let e = SignalToConc::spgr(acq, &emu, 4.5, w)
        .concentration(&s)
        .unwrap_err();
    assert_eq!(arg_of(e), format!("{f}:t10"));
    let e = SignalToConc::linear(1.0, 4.5, w).r1(&s).unwrap_err();
    assert_eq!(arg_of(e), "conc::SignalToConc::r1:method");
    let e = signal_to_r1(&s, 0.0, 1.0, acq, 1.0).unwrap_err();
    assert_eq!(arg_of(e), "conc::signal_to_r1:s_baseline");
    let e = baseline(&ndarray::arr0(1.0), w).unwrap_err();
    assert_eq!(arg_of(e), "conc::baseline:signal");
    let e = r1_to_conc(&s, 1.0, f64::INFINITY).unwrap_err();
    assert_eq!(arg_of(e), "conc::r1_to_conc:relaxivity");
}
