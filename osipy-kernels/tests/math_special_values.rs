//! Table-driven special values (C99 Annex F / IEEE 754) for every function,
//! asserting exact bit patterns (so the sign of zero is checked) or NaN-ness.

use osipy_kernels::math::f32 as m32;
use osipy_kernels::math::f64 as m;

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;
const MIN_SUB: f64 = 5e-324;

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn same32(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn check1(name: &str, f: fn(f64) -> f64, g: fn(f32) -> f32, cases: &[(f64, f64)]) {
    let mut bad = Vec::new();
    for &(x, want) in cases {
        let got = f(x);
        if !same(got, want) {
            bad.push(format!("{name}({x:e}) = {got:e}, want {want:e}"));
        }
        // The f32 version must agree wherever the case is exact in f32.
        let (x32, w32) = (x as f32, want as f32);
        if (x32 as f64 == x || x.is_nan()) && (w32 as f64 == want || want.is_nan()) {
            let got = g(x32);
            if !same32(got, w32) {
                bad.push(format!("f32 {name}({x32:e}) = {got:e}, want {w32:e}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn exp_special() {
    check1(
        "exp",
        m::exp,
        m32::exp,
        &[
            (NAN, NAN),
            (-NAN, NAN),
            (0.0, 1.0),
            (-0.0, 1.0),
            (INF, INF),
            (-INF, 0.0),
            (710.0, INF),
            (1e300, INF),
            (f64::MAX, INF),
            (-746.0, 0.0),
            (-1e300, 0.0),
            (-f64::MAX, 0.0),
            (-745.1332191019412, 0.0),
            (-745.1332191019411, MIN_SUB),
            (-744.4400719213812, MIN_SUB),
            (-743.7469247408213, 1e-323),
            (1e-300, 1.0),
            (-1e-300, 1.0),
            (MIN_SUB, 1.0),
            (1.0, std::f64::consts::E),
            (709.782712893384, 1.7976931348622732e308),
            (709.7827128933841, INF),
        ],
    );
}

#[test]
fn exp2_special() {
    check1(
        "exp2",
        m::exp2,
        m32::exp2,
        &[
            (NAN, NAN),
            (0.0, 1.0),
            (-0.0, 1.0),
            (INF, INF),
            (-INF, 0.0),
            (1024.0, INF),
            (1e300, INF),
            (-1e300, 0.0),
            (1023.0, f64::from_bits(0x7FE0_0000_0000_0000)),
            (-1022.0, f64::MIN_POSITIVE),
            (-1023.0, f64::MIN_POSITIVE / 2.0),
            (-1074.0, MIN_SUB),
            (-1075.0, 0.0), // exact tie, rounds to even
            (-1074.9, MIN_SUB),
            (-1076.0, 0.0),
            (10.0, 1024.0),
            (-3.0, 0.125),
            (0.5, std::f64::consts::SQRT_2),
            (MIN_SUB, 1.0),
            (127.0, 2f64.powi(127)),
            (128.0, 2f64.powi(128)),
            (-149.0, 2f64.powi(-149)),
        ],
    );
    // f32 range edges
    assert_eq!(m32::exp2(128.0), f32::INFINITY);
    assert_eq!(m32::exp2(-149.0).to_bits(), 1);
    assert_eq!(m32::exp2(-150.0).to_bits(), 0); // tie to even
    assert_eq!(m32::exp2(-149.9).to_bits(), 1);
    assert_eq!(m32::exp(89.0), f32::INFINITY);
    assert_eq!(m32::exp(-104.0).to_bits(), 0);
    assert_eq!(m32::exp(-103.0).to_bits(), 1);
}

fn log_cases(one_for: f64, powers: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut v = vec![
        (NAN, NAN),
        (-NAN, NAN),
        (0.0, -INF),
        (-0.0, -INF),
        (-1.0, NAN),
        (-MIN_SUB, NAN),
        (-INF, NAN),
        (INF, INF),
        (1.0, 0.0),
        (one_for, 1.0),
    ];
    v.extend_from_slice(powers);
    v
}

#[test]
fn ln_special() {
    let c = log_cases(std::f64::consts::E, &[(MIN_SUB, -744.4400719213812)]);
    check1("ln", m::ln, m32::ln, &c);
}

#[test]
fn log2_special() {
    let mut p = vec![
        (MIN_SUB, -1074.0),
        (f64::MIN_POSITIVE, -1022.0),
        (f64::MAX, 1024.0),
    ];
    for k in -1074i64..1024 {
        // 2^k built from bits (std's powi flushes below 2^-1022).
        let x = if k >= -1022 {
            f64::from_bits(((k + 1023) as u64) << 52)
        } else {
            f64::from_bits(1u64 << (k + 1074))
        };
        p.push((x, k as f64));
    }
    let c = log_cases(2.0, &p);
    check1("log2", m::log2, m32::log2, &c);
}

#[test]
fn log10_special() {
    let mut p = Vec::new();
    let mut v = 1.0;
    for k in 0..=22 {
        p.push((v, k as f64));
        v *= 10.0;
    }
    let c = log_cases(10.0, &p);
    check1("log10", m::log10, m32::log10, &c);
    assert_eq!(m::log10(1e-5), -5.0);
    assert_eq!(m::log10(1e-300), -300.0);
}

fn check_pow(cases: &[(f64, f64, f64)]) {
    let mut bad = Vec::new();
    for &(x, y, want) in cases {
        let got = m::powf(x, y);
        if !same(got, want) {
            bad.push(format!("powf({x:e}, {y:e}) = {got:e}, want {want:e}"));
        }
        let (x32, y32, w32) = (x as f32, y as f32, want as f32);
        if (x32 as f64 == x || x.is_nan())
            && (y32 as f64 == y || y.is_nan())
            && (w32 as f64 == want || want.is_nan())
        {
            let got = m32::powf(x32, y32);
            if !same32(got, w32) {
                bad.push(format!("f32 powf({x32:e}, {y32:e}) = {got:e}, want {w32:e}"));
            }
        }
        if y == y.trunc() && y.abs() <= 2147483647.0 {
            let n = y as i32;
            let got = m::powi(x, n);
            if !same(got, want) {
                bad.push(format!("powi({x:e}, {n}) = {got:e}, want {want:e}"));
            }
            if (x32 as f64 == x || x.is_nan()) && (w32 as f64 == want || want.is_nan()) {
                let got = m32::powi(x32, n);
                if !same32(got, w32) {
                    bad.push(format!("f32 powi({x32:e}, {n}) = {got:e}, want {w32:e}"));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn pow_special_annex_f() {
    let mut c: Vec<(f64, f64, f64)> = Vec::new();
    // pow(x, ±0) = 1 for any x, even NaN.
    for x in [NAN, -NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5, MIN_SUB] {
        c.push((x, 0.0, 1.0));
        c.push((x, -0.0, 1.0));
    }
    // pow(+1, y) = 1 for any y, even NaN.
    for y in [NAN, INF, -INF, 0.5, -3.0, 1e300, -1e300, MIN_SUB] {
        c.push((1.0, y, 1.0));
    }
    // NaN propagation otherwise.
    for (x, y) in [
        (NAN, 1.0),
        (NAN, -1.0),
        (2.0, NAN),
        (-1.0, NAN),
        (0.0, NAN),
        (INF, NAN),
        (NAN, INF),
    ] {
        c.push((x, y, NAN));
    }
    // pow(±0, y)
    c.extend_from_slice(&[
        (0.0, -3.0, INF),
        (-0.0, -3.0, -INF),
        (0.0, -1.0, INF),
        (-0.0, -1.0, -INF),
        (0.0, -2.0, INF),
        (-0.0, -2.0, INF),
        (-0.0, -0.5, INF),
        (-0.0, -1e300, INF),
        (0.0, -INF, INF),
        (-0.0, -INF, INF),
        (0.0, 3.0, 0.0),
        (-0.0, 3.0, -0.0),
        (-0.0, 1.0, -0.0),
        (-0.0, 2.0, 0.0),
        (-0.0, 0.5, 0.0),
        (-0.0, 1e300, 0.0),
        (0.0, INF, 0.0),
        (-0.0, INF, 0.0),
        (-0.0, 9007199254740991.0, -0.0),
        (-0.0, 9007199254740992.0, 0.0),
    ]);
    // pow(-1, ±inf) = 1; |x| vs 1 with infinite y.
    c.extend_from_slice(&[
        (-1.0, INF, 1.0),
        (-1.0, -INF, 1.0),
        (0.5, -INF, INF),
        (-0.5, -INF, INF),
        (2.0, -INF, 0.0),
        (-2.0, -INF, 0.0),
        (0.5, INF, 0.0),
        (-0.5, INF, 0.0),
        (2.0, INF, INF),
        (-2.0, INF, INF),
        (MIN_SUB, INF, 0.0),
        (f64::MAX, -INF, 0.0),
    ]);
    // pow(-inf, y) and pow(+inf, y)
    c.extend_from_slice(&[
        (-INF, -3.0, -0.0),
        (-INF, -2.0, 0.0),
        (-INF, -0.5, 0.0),
        (-INF, 3.0, -INF),
        (-INF, 2.0, INF),
        (-INF, 0.5, INF),
        (-INF, INF, INF),
        (-INF, -INF, 0.0),
        (INF, -1.0, 0.0),
        (INF, -0.5, 0.0),
        (INF, 0.5, INF),
        (INF, 3.0, INF),
    ]);
    // Negative finite base.
    c.extend_from_slice(&[
        (-2.0, 0.5, NAN),
        (-2.0, -1.5, NAN),
        (-1.0, 0.5, NAN),
        (-MIN_SUB, 1e-300, NAN),
        (-2.0, 3.0, -8.0),
        (-2.0, 2.0, 4.0),
        (-2.0, -1.0, -0.5),
        (-2.0, -2.0, 0.25),
        (-1.0, 9007199254740991.0, -1.0),
        (-1.0, 9007199254740992.0, 1.0),
        (-1.0, 1e300, 1.0),
        (-2.0, 1023.0, -f64::from_bits(0x7FE0_0000_0000_0000)),
        (-2.0, 1025.0, -INF),
        (-2.0, 1024.0, INF),
        (-2.0, -1074.0, MIN_SUB),
        (-2.0, -1073.0, -2.0 * MIN_SUB),
        (-2.0, -1075.0, -0.0), // -2^-1075: tie rounds to -0
        (-2.0, -1077.0, -0.0),
        (-0.5, 1e300, 0.0),
        (-3.0, 5.0, -243.0),
        (-10.0, 307.0, -1e307),
    ]);
    // Overflow, underflow, exact results.
    c.extend_from_slice(&[
        (10.0, 22.0, 1e22),
        (10.0, 400.0, INF),
        (10.0, -400.0, 0.0),
        (2.0, -1074.0, MIN_SUB),
        (2.0, -1075.0, 0.0),
        (0.5, 1074.0, MIN_SUB),
        (2.0, 0.5, std::f64::consts::SQRT_2),
        (4.0, 0.5, 2.0),
        (f64::MAX, 1.0, f64::MAX),
        (f64::MAX, 2.0, INF),
        (MIN_SUB, 1.0, MIN_SUB),
        (MIN_SUB, -1.0, INF),
        (MIN_SUB, 2.0, 0.0),
        (1.0000000000000002, 1e300, INF),
        (0.9999999999999999, 1e300, 0.0),
        (0.9999999999999999, -1e300, INF),
        (3.0, 1.0, 3.0),
        (3.0, -1.0, 1.0 / 3.0),
    ]);
    check_pow(&c);
}

#[test]
fn powi_special() {
    // powi(x, 0) = 1 for any x, even NaN; other rules as pow(x, n as f64).
    for x in [NAN, INF, -INF, 0.0, -0.0, -1.0, 7.0] {
        assert_eq!(m::powi(x, 0), 1.0);
        assert_eq!(m32::powi(x as f32, 0), 1.0);
    }
    assert!(m::powi(NAN, 1).is_nan());
    assert_eq!(m::powi(-0.0, -1).to_bits(), (-INF).to_bits());
    assert_eq!(m::powi(-0.0, 3).to_bits(), (-0.0f64).to_bits());
    assert_eq!(m::powi(-1.0, i32::MAX), -1.0);
    assert_eq!(m::powi(-1.0, i32::MIN), 1.0);
    assert_eq!(m::powi(2.0, i32::MIN), 0.0);
    assert_eq!(m::powi(-2.0, i32::MAX), -INF);
    assert_eq!(m32::powi(-2.0, 127), -(2f32.powi(127)));
    assert_eq!(m32::powi(-2.0, 128), f32::INFINITY);
    assert_eq!(m32::powi(2.0, -149).to_bits(), 1);
    assert_eq!(m32::powi(-2.0, -149).to_bits(), 0x8000_0001);
    assert_eq!(m32::powi(2.0, -150).to_bits(), 0);
}
