//! Exact-value tests of every supported instruction family.
#![allow(clippy::neg_cmp_op_on_partial_ord)] // deliberate: the reference for unordered compares

mod common;

use common::*;
use osipy_kernels::emulator::{GlobalMemory, LaunchConfig, Module, Param};

const F64_SPECIALS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    1.5,
    -2.5,
    3.0,
    0.1,
    1.0 / 3.0,
    1e308,
    -1e308,
    f64::MAX,
    f64::MIN_POSITIVE,
    5e-324,
    -5e-324,
    2.0e-310,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

fn f32_specials() -> Vec<f32> {
    vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        1.5,
        -2.5,
        0.1,
        1e38,
        -1e38,
        f32::MAX,
        f32::MIN_POSITIVE,
        1e-45,
        -1e-45,
        1e-40,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ]
}

fn pairs64() -> (Vec<u64>, Vec<(f64, f64)>) {
    let mut bits = Vec::new();
    let mut vals = Vec::new();
    for &a in F64_SPECIALS {
        for &b in F64_SPECIALS {
            bits.extend([a.to_bits(), b.to_bits()]);
            vals.push((a, b));
        }
    }
    (bits, vals)
}

fn pairs32() -> (Vec<u64>, Vec<(f32, f32)>) {
    let mut bits = Vec::new();
    let mut vals = Vec::new();
    for a in f32_specials() {
        for b in f32_specials() {
            bits.extend([a.to_bits() as u64, b.to_bits() as u64]);
            vals.push((a, b));
        }
    }
    (bits, vals)
}

fn ref_min(a: f64, b: f64, max: bool) -> f64 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => f64::from_bits(0x7fff_ffff_ffff_ffff),
        (true, false) => b,
        (false, true) => a,
        _ if a == b => {
            if a.is_sign_negative() != max {
                a
            } else {
                b
            }
        }
        _ => {
            if (a < b) != max {
                a
            } else {
                b
            }
        }
    }
}

#[test]
fn axpy_1000_items_bounds_checked() {
    let m = Module::parse(&format!("{HEADER}{AXPY}")).unwrap();
    let n = 1000usize;
    let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.25 - 3.0).collect();
    let y: Vec<f64> = (0..n).map(|i| (i as f64).sqrt()).collect();
    let mut mem = GlobalMemory::new();
    let (xa, ya) = (mem.alloc(n * 8, 8).unwrap(), mem.alloc(n * 8, 8).unwrap());
    mem.write_f64s(xa, &x).unwrap();
    mem.write_f64s(ya, &y).unwrap();
    let a = 1.0 / 3.0;
    let stats = m
        .launch(
            "axpy",
            LaunchConfig::linear(4, 256),
            &[
                Param::U64(xa),
                Param::U64(ya),
                Param::F64(a),
                Param::U32(n as u32),
            ],
            &mut mem,
        )
        .unwrap();
    assert_eq!(stats.threads, 1024);
    let out = mem.read_f64s(ya, n).unwrap();
    for i in 0..n {
        assert_eq!(out[i].to_bits(), a.mul_add(x[i], y[i]).to_bits(), "item {i}");
    }
}

#[test]
fn f64_binary_ops_match_rust_bit_for_bit() {
    let (bits, vals) = pairs64();
    type F = fn(f64, f64) -> f64;
    let cases: &[(&str, F)] = &[
        ("add.rn.f64 %d, %a, %b;", |a, b| a + b),
        ("add.f64 %d, %a, %b;", |a, b| a + b),
        ("sub.rn.f64 %d, %a, %b;", |a, b| a - b),
        ("mul.rn.f64 %d, %a, %b;", |a, b| a * b),
        ("mul.f64 %d, %a, %b;", |a, b| a * b),
        ("div.rn.f64 %d, %a, %b;", |a, b| a / b),
        ("min.f64 %d, %a, %b;", |a, b| ref_min(a, b, false)),
        ("max.f64 %d, %a, %b;", |a, b| ref_min(a, b, true)),
        ("copysign.f64 %d, %a, %b;", |a, b| b.copysign(a)),
    ];
    for (body, f) in cases {
        let out = op(body, &bits);
        for (k, &(a, b)) in vals.iter().enumerate() {
            let want = f(a, b);
            let ok = out[k] == want.to_bits()
                || (want.is_nan() && f64::from_bits(out[k]).is_nan() && !body.starts_with("m"));
            assert!(
                ok,
                "{body} a={a:e} b={b:e}: got {:e} ({:#x}) want {want:e}",
                f64::from_bits(out[k]),
                out[k]
            );
        }
    }
}

#[test]
fn f64_unary_and_fma_match_rust() {
    let bits: Vec<u64> = F64_SPECIALS.iter().map(|x| x.to_bits()).collect();
    type F = fn(f64) -> f64;
    let cases: &[(&str, F)] = &[
        ("sqrt.rn.f64 %d, %a;", f64::sqrt),
        ("rcp.rn.f64 %d, %a;", |a| 1.0 / a),
        ("neg.f64 %d, %a;", |a| -a),
        ("abs.f64 %d, %a;", f64::abs),
    ];
    for (body, f) in cases {
        let out = op(body, &bits);
        for (k, &a) in F64_SPECIALS.iter().enumerate() {
            let want = f(a);
            assert!(
                out[k] == want.to_bits() || (want.is_nan() && f64::from_bits(out[k]).is_nan()),
                "{body} {a:e}"
            );
        }
    }
    // sqrt(-0) = -0, sqrt(-1) = NaN, neg NaN keeps payload bits
    assert_eq!(
        op("sqrt.rn.f64 %d, %a;", &[(-0.0f64).to_bits()])[0],
        (-0.0f64).to_bits()
    );
    assert_eq!(
        op("neg.f64 %d, %a;", &[0x7ff8_0000_0000_1234])[0],
        0xfff8_0000_0000_1234
    );
    let mut tri = Vec::new();
    let mut vals = Vec::new();
    for &a in F64_SPECIALS {
        for &b in F64_SPECIALS {
            for &c in &[0.0, -0.0, 1.0, -1e308, 5e-324, f64::INFINITY, f64::NAN, 0.1] {
                tri.extend([a.to_bits(), b.to_bits(), f64::to_bits(c)]);
                vals.push((a, b, c));
            }
        }
    }
    let out = op("fma.rn.f64 %d, %a, %b, %c;", &tri);
    for (k, &(a, b, c)) in vals.iter().enumerate() {
        let want = a.mul_add(b, c);
        assert!(
            out[k] == want.to_bits() || (want.is_nan() && f64::from_bits(out[k]).is_nan()),
            "fma {a:e} {b:e} {c:e}"
        );
    }
    // a case where fused and unfused differ
    let (a, b, c) = (1.0 + f64::EPSILON, 1.0 - f64::EPSILON, -1.0);
    let r = op(
        "fma.rn.f64 %d, %a, %b, %c;",
        &[a.to_bits(), b.to_bits(), f64::to_bits(c)],
    );
    assert_eq!(f64::from_bits(r[0]), a.mul_add(b, c));
    assert_ne!(f64::from_bits(r[0]), a * b + c);
}

#[test]
fn f32_ops_match_rust_with_canonical_nan() {
    let (bits, vals) = pairs32();
    type F = fn(f32, f32) -> f32;
    let cases: &[(&str, F)] = &[
        ("add.rn.f32 %d, %a, %b;", |a, b| a + b),
        ("sub.rn.f32 %d, %a, %b;", |a, b| a - b),
        ("mul.rn.f32 %d, %a, %b;", |a, b| a * b),
        ("div.rn.f32 %d, %a, %b;", |a, b| a / b),
        ("min.f32 %d, %a, %b;", |a, b| {
            ref_min(a as f64, b as f64, false) as f32
        }),
        ("max.f32 %d, %a, %b;", |a, b| {
            ref_min(a as f64, b as f64, true) as f32
        }),
    ];
    for (body, f) in cases {
        let out = op(body, &bits);
        for (k, &(a, b)) in vals.iter().enumerate() {
            let want = f(a, b);
            let want = if want.is_nan() {
                0x7fff_ffff
            } else {
                want.to_bits() as u64
            };
            assert_eq!(out[k], want, "{body} a={a:e} b={b:e}");
        }
    }
    let one: Vec<u64> = f32_specials().iter().map(|x| x.to_bits() as u64).collect();
    let out = op("sqrt.rn.f32 %d, %a;", &one);
    for (k, a) in f32_specials().into_iter().enumerate() {
        let w = a.sqrt();
        assert_eq!(
            out[k],
            if w.is_nan() {
                0x7fff_ffff
            } else {
                w.to_bits() as u64
            }
        );
    }
    // ftz flushes subnormal inputs and outputs, keeping the sign
    let r = op(
        "add.rn.ftz.f32 %d, %a, %b;",
        &[
            1e-40f32.to_bits() as u64,
            0,
            (-1e-40f32).to_bits() as u64,
            (-0.0f32).to_bits() as u64,
        ],
    );
    assert_eq!(r, vec![0, 0x8000_0000]);
    let r = op("add.rn.f32 %d, %a, %b;", &[1e-40f32.to_bits() as u64, 0]);
    assert_eq!(r, vec![1e-40f32.to_bits() as u64]);
}

#[test]
fn setp_float_compares_with_unordered_semantics() {
    let (bits, vals) = pairs64();
    type F = fn(f64, f64) -> bool;
    let un = |a: f64, b: f64| a.is_nan() || b.is_nan();
    let cases: Vec<(&str, F)> = vec![
        ("eq", |a, b| a == b),
        ("ne", |a, b| !(a.is_nan() || b.is_nan()) && a != b),
        ("lt", |a, b| a < b),
        ("le", |a, b| a <= b),
        ("gt", |a, b| a > b),
        ("ge", |a, b| a >= b),
        ("equ", |a, b| a.is_nan() || b.is_nan() || a == b),
        ("neu", |a, b| a != b),
        ("ltu", |a, b| !(a >= b)),
        ("leu", |a, b| !(a > b)),
        ("gtu", |a, b| !(a <= b)),
        ("geu", |a, b| !(a < b)),
        ("num", |a, b| !(a.is_nan() || b.is_nan())),
        ("nan", |a, b| a.is_nan() || b.is_nan()),
    ];
    for (c, f) in &cases {
        let out = op(
            &format!("setp.{c}.f64 %q, %a, %b;\n    selp.u32 %d, 1, 0, %q;"),
            &bits,
        );
        for (k, &(a, b)) in vals.iter().enumerate() {
            assert_eq!(out[k] == 1, f(a, b), "setp.{c} {a} {b}");
        }
    }
    let _ = un;
    // f32 too, NaN against NaN
    let nan = f32::NAN.to_bits() as u64;
    assert_eq!(
        op("setp.ne.f32 %q, %a, %b;\n    selp.u32 %d, 1, 0, %q;", &[nan, nan]),
        vec![0]
    );
    assert_eq!(
        op(
            "setp.neu.f32 %q, %a, %b;\n    selp.u32 %d, 1, 0, %q;",
            &[nan, nan]
        ),
        vec![1]
    );
    assert_eq!(
        op(
            "setp.eq.f32 %q, %a, %b;\n    selp.u32 %d, 1, 0, %q;",
            &[0, 0x8000_0000]
        ),
        vec![1]
    );
    // %p|%q form: second predicate is the complement
    let r = op(
        "setp.gt.f64 %q|%q2, %a, %b;\n    selp.u32 %d, 1, 0, %q2;",
        &[2f64.to_bits(), 1f64.to_bits(), 1f64.to_bits(), 2f64.to_bits()],
    );
    assert_eq!(r, vec![0, 1]);
    // setp.lt.and with a NaN-check predicate
    let b = "setp.num.f64 %q2, %a, %a;\n    setp.lt.and.f64 %q, %a, %b, %q2;\n    selp.u32 %d, 1, 0, %q;";
    assert_eq!(
        op(
            b,
            &[1f64.to_bits(), 2f64.to_bits(), 3f64.to_bits(), 2f64.to_bits()]
        ),
        vec![1, 0]
    );
}

#[test]
fn testp_classes() {
    let vals = [0.0, 1.0, 5e-324, f64::INFINITY, f64::NAN, -2.0e-310];
    let bits: Vec<u64> = vals.iter().map(|v| v.to_bits()).collect();
    let t = |k: &str| {
        op(
            &format!("testp.{k}.f64 %q, %a;\n    selp.u32 %d, 1, 0, %q;"),
            &bits,
        )
    };
    assert_eq!(t("finite"), vec![1, 1, 1, 0, 0, 1]);
    assert_eq!(t("infinite"), vec![0, 0, 0, 1, 0, 0]);
    assert_eq!(t("number"), vec![1, 1, 1, 1, 0, 1]);
    assert_eq!(t("notanumber"), vec![0, 0, 0, 0, 1, 0]);
    assert_eq!(t("normal"), vec![0, 1, 0, 0, 0, 0]);
    assert_eq!(t("subnormal"), vec![0, 0, 1, 0, 0, 1]);
    let f = [1e-40f32.to_bits() as u64, 1f32.to_bits() as u64];
    assert_eq!(
        op("testp.subnormal.f32 %q, %a;\n    selp.u32 %d, 1, 0, %q;", &f),
        vec![1, 0]
    );
}

fn b(x: f64) -> u64 {
    x.to_bits()
}

#[test]
fn cvt_float_to_int_rounding_and_saturation() {
    let xs = [
        2.5,
        -2.5,
        -0.5,
        0.5,
        1.5,
        -1.7,
        1e300,
        -1e300,
        f64::NAN,
        f64::INFINITY,
        2147483647.5,
        -2147483648.9,
    ];
    let bits: Vec<u64> = xs.iter().map(|&x| b(x)).collect();
    let s32 = |r: &str| -> Vec<i32> {
        op(&format!("cvt.{r}.s32.f64 %d, %a;"), &bits)
            .iter()
            .map(|&v| v as u32 as i32)
            .collect()
    };
    let max = i32::MAX;
    let min = i32::MIN;
    assert_eq!(s32("rni"), vec![2, -2, 0, 0, 2, -2, max, min, 0, max, max, min]);
    assert_eq!(s32("rzi"), vec![2, -2, 0, 0, 1, -1, max, min, 0, max, max, min]);
    assert_eq!(s32("rmi"), vec![2, -3, -1, 0, 1, -2, max, min, 0, max, max, min]);
    assert_eq!(s32("rpi"), vec![3, -2, 0, 1, 2, -1, max, min, 0, max, max, min]);
    let u32s: Vec<u64> = op("cvt.rni.u32.f64 %d, %a;", &bits);
    assert_eq!(
        u32s,
        vec![
            2,
            0,
            0,
            0,
            2,
            0,
            u32::MAX as u64,
            0,
            0,
            u32::MAX as u64,
            2147483648,
            0
        ]
    );
    assert_eq!(
        op(
            "cvt.rzi.u64.f64 %d, %a;",
            &[b(1e300), b(-1.0), b(1.8446744073709552e19)]
        ),
        vec![u64::MAX, 0, u64::MAX]
    );
    assert_eq!(
        op("cvt.rzi.s64.f64 %d, %a;", &[b(-1e300), b(-3.9)]),
        vec![i64::MIN as u64, (-3i64) as u64]
    );
    // narrow destinations saturate to their own range; s16 lives in a .s16 register
    assert_eq!(
        op("cvt.rzi.s16.f64 %d, %a;", &[b(40000.0), b(-40000.0), b(-7.9)]),
        vec![0x7fff, 0x8000, 0xfff9]
    );
    assert_eq!(
        op("cvt.rzi.u8.f64 %d, %a;", &[b(300.0), b(-3.0), b(200.9)]),
        vec![255, 0, 200]
    );
    // f32 source
    let f = |x: f32| x.to_bits() as u64;
    assert_eq!(
        op("cvt.rni.s32.f32 %d, %a;", &[f(-2.5), f(3.5), f(f32::NAN)]),
        vec![(-2i32) as u32 as u64, 4, 0]
    );
}

#[test]
fn cvt_float_to_float_rounding() {
    let xs = [2.5, -0.5, 0.5, 3.5, -2.5, -1.2, f64::NAN, -0.0, 1e300];
    let bits: Vec<u64> = xs.iter().map(|&x| b(x)).collect();
    let g = |r: &str| -> Vec<f64> {
        op(&format!("cvt.{r}.f64.f64 %d, %a;"), &bits)
            .iter()
            .map(|&v| f64::from_bits(v))
            .collect()
    };
    let rni = g("rni");
    assert_eq!(rni[0], 2.0);
    assert_eq!(rni[1].to_bits(), (-0.0f64).to_bits(), "-0.5 rni -> -0");
    assert_eq!(rni[2].to_bits(), 0.0f64.to_bits());
    assert_eq!(rni[3], 4.0);
    assert_eq!(rni[4], -2.0);
    assert!(rni[6].is_nan());
    assert_eq!(rni[7].to_bits(), (-0.0f64).to_bits());
    assert_eq!(g("rzi")[5], -1.0);
    assert_eq!(g("rmi")[5], -2.0);
    assert_eq!(g("rpi")[5], -1.0);
    assert_eq!(g("rpi")[1].to_bits(), (-0.0f64).to_bits());
    // f64 -> f32 with all four IEEE roundings
    let v = [0.1, -0.1, 1e300, -1e300, 1e-50, f64::NAN, 3.0];
    let vb: Vec<u64> = v.iter().map(|&x| b(x)).collect();
    let h = |r: &str| -> Vec<u32> {
        op(&format!("cvt.{r}.f32.f64 %d, %a;"), &vb)
            .iter()
            .map(|&x| x as u32)
            .collect()
    };
    let rn = h("rn");
    let rz = h("rz");
    let rm = h("rm");
    let rp = h("rp");
    assert_eq!(rn[0], 0.1f32.to_bits());
    assert!(f32::from_bits(rz[0]) as f64 <= 0.1 && f32::from_bits(rp[0]) as f64 >= 0.1);
    assert_eq!(f32::from_bits(rp[0]), f32::from_bits(rz[0]).next_up());
    assert_eq!(rm[1], rn[1].max(rm[1])); // -0.1 rounded down is more negative
    assert!((f32::from_bits(rm[1]) as f64) < -0.1 && (f32::from_bits(rz[1]) as f64) > -0.1);
    assert_eq!(f32::from_bits(rn[2]), f32::INFINITY);
    assert_eq!(f32::from_bits(rz[2]), f32::MAX);
    assert_eq!(f32::from_bits(rm[2]), f32::MAX);
    assert_eq!(f32::from_bits(rp[3]), f32::MIN);
    assert_eq!(f32::from_bits(rm[3]), f32::NEG_INFINITY);
    assert_eq!(rn[4], 0);
    assert_eq!(rp[4], 1, "smallest subnormal");
    assert_eq!(rn[5], 0x7fff_ffff);
    assert_eq!(f32::from_bits(rz[6]), 3.0);
    // f32 -> f64 is exact
    let r = op(
        "cvt.f64.f32 %d, %a;",
        &[0.1f32.to_bits() as u64, 1e-45f32.to_bits() as u64],
    );
    assert_eq!(r, vec![b(0.1f32 as f64), b(1e-45f32 as f64)]);
}

#[test]
fn cvt_int_to_float_rounding() {
    let big = (1i64 << 53) + 1; // not representable in f64
    let vals = [big, -big, 3, i64::MAX, i64::MIN];
    let bits: Vec<u64> = vals.iter().map(|&v| v as u64).collect();
    let g = |r: &str| -> Vec<f64> {
        op(&format!("cvt.{r}.f64.s64 %d, %a;"), &bits)
            .iter()
            .map(|&v| f64::from_bits(v))
            .collect()
    };
    let p53 = (1u64 << 53) as f64;
    assert_eq!(g("rn")[0], p53);
    assert_eq!(g("rz")[0], p53);
    assert_eq!(g("rm")[0], p53);
    assert_eq!(g("rp")[0], p53 + 2.0);
    assert_eq!(g("rz")[1], -p53);
    assert_eq!(g("rm")[1], -p53 - 2.0);
    assert_eq!(g("rn")[2], 3.0);
    assert_eq!(g("rn")[3], 9223372036854775808.0);
    assert_eq!(g("rz")[3], 9223372036854774784.0);
    assert_eq!(g("rn")[4], -9223372036854775808.0);
    assert_eq!(
        op("cvt.rn.f64.u64 %d, %a;", &[u64::MAX]),
        vec![b(18446744073709551616.0)]
    );
    assert_eq!(
        op("cvt.rz.f64.u64 %d, %a;", &[u64::MAX]),
        vec![b(18446744073709549568.0)]
    );
    let s = |v: i32| v as u32 as u64;
    let r = op("cvt.rz.f32.s32 %d, %a;", &[s(16777217), s(-16777217)]);
    assert_eq!(
        r,
        vec![16777216f32.to_bits() as u64, (-16777216f32).to_bits() as u64]
    );
    let r = op("cvt.rp.f32.s32 %d, %a;", &[s(16777217)]);
    assert_eq!(r, vec![16777218f32.to_bits() as u64]);
    assert_eq!(op("cvt.rn.f64.s32 %d, %a;", &[s(-5)]), vec![b(-5.0)]);
}

#[test]
fn cvt_int_to_int() {
    let m1 = 0xffff_ffffu64;
    assert_eq!(op("cvt.s64.s32 %d, %a;", &[m1, 7]), vec![u64::MAX, 7]);
    assert_eq!(op("cvt.u64.u32 %d, %a;", &[m1]), vec![m1]);
    assert_eq!(op("cvt.s32.s64 %d, %a;", &[0x1_2345_6789]), vec![0x2345_6789]);
    assert_eq!(op("cvt.u32.u64 %d, %a;", &[u64::MAX]), vec![m1]);
    assert_eq!(op("cvt.s16.s32 %d, %a;", &[0x1_8001]), vec![0x8001]);
    assert_eq!(op("cvt.u8.s32 %d, %a;", &[0x1ff]), vec![0xff]);
    assert_eq!(
        op("cvt.s8.s32 %d, %a;", &[0x180]),
        vec![0x80],
        "stored as one byte"
    );
    assert_eq!(
        op("cvt.sat.s8.s32 %d, %a;", &[1000, (-1000i32) as u32 as u64, 5]),
        vec![127, 0x80, 5]
    );
    assert_eq!(
        op("cvt.sat.u32.s64 %d, %a;", &[u64::MAX, 1 << 40, 9]),
        vec![0, m1, 9]
    );
}

#[test]
fn integer_arithmetic() {
    let s = |v: i32| v as u32 as u64;
    assert_eq!(
        op("div.s32 %d, %a, %b;", &[s(-7), 2, s(i32::MIN), s(-1)]),
        vec![s(-3), s(i32::MIN)]
    );
    assert_eq!(op("rem.s32 %d, %a, %b;", &[s(-7), 2, 7, s(-3)]), vec![s(-1), 1]);
    assert_eq!(op("div.u32 %d, %a, %b;", &[s(-7), 2]), vec![0x7fff_fffc]);
    assert_eq!(op("rem.u64 %d, %a, %b;", &[u64::MAX, 10]), vec![5]);
    assert_eq!(
        op("div.s64 %d, %a, %b;", &[(-9i64) as u64, 4]),
        vec![(-2i64) as u64]
    );
    assert_eq!(
        op("mul.hi.s32 %d, %a, %b;", &[s(-2), 3, s(i32::MAX), s(i32::MAX)]),
        vec![m(-1), 0x3fff_ffff]
    );
    assert_eq!(op("mul.hi.u32 %d, %a, %b;", &[s(-1), s(-1)]), vec![0xffff_fffe]);
    assert_eq!(
        op("mul.hi.u64 %d, %a, %b;", &[u64::MAX, u64::MAX]),
        vec![u64::MAX - 1]
    );
    assert_eq!(op("mul.hi.s64 %d, %a, %b;", &[(-1i64) as u64, 5]), vec![u64::MAX]);
    assert_eq!(op("mul.lo.s32 %d, %a, %b;", &[0x10000, 0x10001]), vec![0x10000]);
    assert_eq!(
        op("mul.wide.s32 %d, %a, %b;", &[s(-3), s(i32::MAX)]),
        vec![(-3i64 * i32::MAX as i64) as u64]
    );
    assert_eq!(
        op("mul.wide.u32 %d, %a, %b;", &[s(-1), s(-1)]),
        vec![0xffff_fffe_0000_0001]
    );
    assert_eq!(op("mad.lo.s32 %d, %a, %b, %c;", &[s(-3), 5, 20]), vec![5]);
    assert_eq!(op("mad.lo.u64 %d, %a, %b, %c;", &[u64::MAX, 2, 5]), vec![3]);
    assert_eq!(op("add.u32 %d, %a, %b;", &[s(-1), 2]), vec![1]);
    assert_eq!(op("sub.s64 %d, %a, %b;", &[0, 1]), vec![u64::MAX]);
    assert_eq!(op("min.s32 %d, %a, %b;", &[s(-1), 1]), vec![s(-1)]);
    assert_eq!(op("min.u32 %d, %a, %b;", &[s(-1), 1]), vec![1]);
    assert_eq!(op("max.s64 %d, %a, %b;", &[u64::MAX, 1]), vec![1]);
    assert_eq!(op("max.u64 %d, %a, %b;", &[u64::MAX, 1]), vec![u64::MAX]);
    assert_eq!(op("neg.s32 %d, %a;", &[s(i32::MIN), 5]), vec![s(i32::MIN), s(-5)]);
    assert_eq!(op("abs.s32 %d, %a;", &[s(i32::MIN), s(-5)]), vec![s(i32::MIN), 5]);
    assert_eq!(op("abs.s64 %d, %a;", &[(-5i64) as u64]), vec![5]);
    assert_eq!(op("neg.s64 %d, %a;", &[1]), vec![u64::MAX]);
}

fn m(v: i32) -> u64 {
    v as u32 as u64
}

#[test]
fn bit_ops_and_shifts_clamp() {
    assert_eq!(op("and.b32 %d, %a, %b;", &[0xff0, 0x0ff]), vec![0x0f0]);
    assert_eq!(op("or.b64 %d, %a, %b;", &[1 << 40, 1]), vec![(1 << 40) | 1]);
    assert_eq!(op("xor.b32 %d, %a, %b;", &[0xf0f0, 0xffff]), vec![0x0f0f]);
    assert_eq!(op("not.b32 %d, %a;", &[0]), vec![0xffff_ffff]);
    assert_eq!(op("not.b64 %d, %a;", &[0]), vec![u64::MAX]);
    assert_eq!(op("brev.b32 %d, %a;", &[1]), vec![0x8000_0000]);
    assert_eq!(op("brev.b64 %d, %a;", &[1]), vec![1 << 63]);
    assert_eq!(op("clz.b32 %d, %a;", &[0, 1, 0x8000_0000]), vec![32, 31, 0]);
    assert_eq!(op("clz.b64 %d, %a;", &[0, 1]), vec![64, 63]);
    assert_eq!(op("popc.b64 %d, %a;", &[u64::MAX]), vec![64]);
    assert_eq!(op("popc.b32 %d, %a;", &[0xf0f0]), vec![8]);
    let neg = 0x8000_0000u64;
    assert_eq!(
        op("shl.b32 %d, %a, %b;", &[1, 31, 1, 32, 1, 1000]),
        vec![neg, 0, 0]
    );
    assert_eq!(
        op("shr.u32 %d, %a, %b;", &[neg, 31, neg, 32, neg, 99]),
        vec![1, 0, 0]
    );
    assert_eq!(op("shr.b32 %d, %a, %b;", &[neg, 33]), vec![0]);
    assert_eq!(
        op(
            "shr.s32 %d, %a, %b;",
            &[neg, 4, neg, 32, neg, 1000, 0x4000_0000, 40]
        ),
        vec![0xf800_0000, 0xffff_ffff, 0xffff_ffff, 0]
    );
    let big = 1u64 << 63;
    assert_eq!(
        op(
            "cvt.u32.u64 %r1, %b;\n    shl.b64 %d, %a, %r1;",
            &[1, 63, 1, 64, 1, 0xffff_ffff]
        ),
        vec![big, 0, 0]
    );
    assert_eq!(
        op(
            "cvt.u32.u64 %r1, %b;\n    shr.s64 %d, %a, %r1;",
            &[big, 63, big, 64, big, 200]
        ),
        vec![u64::MAX; 3]
    );
    assert_eq!(
        op(
            "cvt.u32.u64 %r1, %b;\n    shr.u64 %d, %a, %r1;",
            &[big, 63, big, 64]
        ),
        vec![1, 0]
    );
}

#[test]
fn predicates_selp_and_reinterpretation() {
    let s = |v: i32| v as u32 as u64;
    // q = (a<0 && b>0); q2 = !q || q = true; q = q ^ q2 = !q
    let body = "setp.lt.s32 %q, %a, 0;\n    setp.gt.s32 %q2, %b, 0;\n    and.pred %q, %q, %q2;\n    not.pred %q2, %q;\n    or.pred %q2, %q2, %q;\n    xor.pred %q, %q, %q2;\n    selp.u32 %d, 1, 0, %q;";
    assert_eq!(op(body, &[s(-1), 1, 1, 1, s(-1), s(-1)]), vec![0, 1, 1]);
    let r = op(
        "setp.lt.f64 %q, %a, %b;\n    selp.f64 %d, %a, %b, %q;",
        &[b(1.0), b(2.0), b(3.0), b(f64::NAN)],
    );
    assert_eq!(r[0], b(1.0));
    assert!(f64::from_bits(r[1]).is_nan());
    assert_eq!(op("mov.b64 %d, %a;", &[b(-0.0)]), vec![1 << 63]);
    assert_eq!(op("mov.b64 %d, %a;", &[0x3ff0_0000_0000_0000]), vec![b(1.0)]);
}

#[test]
fn local_array_loop() {
    let m = Module::parse(&format!("{HEADER}{LOCAL_LOOP}")).unwrap();
    let mut mem = GlobalMemory::new();
    let xs = [1.0, -0.3, 7.25, 1e-300];
    let x = mem.alloc(32, 8).unwrap();
    let out = mem.alloc(32, 8).unwrap();
    mem.write_f64s(x, &xs).unwrap();
    m.launch(
        "local_loop",
        LaunchConfig::linear(1, 4),
        &[Param::U64(x), Param::U64(out)],
        &mut mem,
    )
    .unwrap();
    let got = mem.read_f64s(out, 4).unwrap();
    for (i, &xv) in xs.iter().enumerate() {
        let a: Vec<f64> = (1..=8).map(|k| xv * k as f64).collect();
        let mut acc = 0.0f64;
        for k in (0..8).rev() {
            acc = acc.mul_add(0.5, a[k]);
        }
        acc += a[1];
        assert_eq!(got[i].to_bits(), acc.to_bits(), "thread {i}");
    }
}

#[test]
fn func_calls_with_abi() {
    let m = Module::parse(&format!("{HEADER}{CALLS}")).unwrap();
    let mut mem = GlobalMemory::new();
    let pairs = [(3.0, 4.0), (1e200, 1e200), (-0.0, 0.0), (f64::NAN, 1.0)];
    let inp = mem.alloc(64, 8).unwrap();
    let out = mem.alloc(32, 8).unwrap();
    let out2 = mem.alloc(32, 8).unwrap();
    mem.write_f64s(inp, &pairs.iter().flat_map(|&(a, b)| [a, b]).collect::<Vec<_>>())
        .unwrap();
    m.launch(
        "calls",
        LaunchConfig::linear(1, 4),
        &[Param::U64(inp), Param::U64(out), Param::U64(out2)],
        &mut mem,
    )
    .unwrap();
    let got = mem.read_f64s(out, 4).unwrap();
    let got2 = mem.read_f64s(out2, 4).unwrap();
    for (i, &(a, bb)) in pairs.iter().enumerate() {
        let want = a.mul_add(a, bb * bb).sqrt();
        assert!(
            got[i].to_bits() == want.to_bits() || (want.is_nan() && got[i].is_nan()),
            "{i}"
        );
        assert!(got2[i].to_bits() == (want + want).to_bits() || want.is_nan());
    }
    assert_eq!(got[0], 5.0);
    assert_eq!(got[1], f64::INFINITY);
}

#[test]
fn atomics_record_first_fault() {
    let m = Module::parse(&format!("{HEADER}{ATOMICS}")).unwrap();
    let mut mem = GlobalMemory::new();
    let f = mem.alloc(48, 8).unwrap();
    mem.write_u32s(f, &[i32::MAX as u32, 0, 0, 0, 0, 0, 0xff, 0])
        .unwrap();
    mem.write_u64s(f + 40, &[u64::MAX >> 1]).unwrap();
    let n = 1000u32;
    m.launch(
        "atomics",
        LaunchConfig::linear(8, 128),
        &[Param::U64(f), Param::U32(n)],
        &mut mem,
    )
    .unwrap();
    let w = mem.read_u32s(f, 8).unwrap();
    let hits: Vec<u32> = (0..n).filter(|i| i % 7 == 3).collect();
    assert_eq!(w[0], 3, "atom.min keeps the first faulting item");
    assert_eq!(w[1], hits.len() as u32);
    assert_eq!(w[2], *hits.last().unwrap());
    assert_eq!(w[3], 1);
    assert_eq!(w[4], 3, "cas only succeeds for the first thread");
    assert_eq!(w[5], 42);
    assert_eq!(w[6], 6);
    let q = mem.read_u64s(f + 32, 2).unwrap();
    assert_eq!(q[0], hits.iter().map(|&h| h as u64).sum::<u64>());
    assert_eq!(q[1], 3);
}

#[test]
fn special_registers_3d() {
    let m = Module::parse(&format!("{HEADER}{SPECIAL}")).unwrap();
    let mut mem = GlobalMemory::new();
    let cfg = LaunchConfig {
        grid: (2, 3, 2),
        block: (4, 2, 3),
    };
    let total = 2 * 3 * 2 * 4 * 2 * 3;
    let out = mem.alloc(total * 4, 8).unwrap();
    m.launch("special", cfg, &[Param::U64(out)], &mut mem).unwrap();
    let got = mem.read_u32s(out, total).unwrap();
    let mut k = 0;
    for bz in 0..2 {
        for by in 0..3 {
            for bx in 0..2 {
                for tz in 0..3 {
                    for ty in 0..2 {
                        for tx in 0..4 {
                            assert_eq!(got[k], tx | ty << 4 | tz << 8 | bx << 12 | by << 16 | bz << 20);
                            k += 1;
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn immediates_generic_addressing_and_narrow_types() {
    let m = Module::parse(&format!("{HEADER}{MISC}")).unwrap();
    let mut mem = GlobalMemory::new();
    let out = mem.alloc(56, 8).unwrap();
    m.launch(
        "misc",
        LaunchConfig::linear(1, 1),
        &[Param::U64(out), Param::U8(9)],
        &mut mem,
    )
    .unwrap();
    assert_eq!(mem.read_u64s(out, 1).unwrap()[0], u64::MAX);
    let w = mem.read_u32s(out, 14).unwrap();
    assert_eq!(w[2] as i32, -7);
    assert_eq!(mem.read_f64s(out + 16, 1).unwrap()[0], std::f64::consts::PI);
    assert_eq!(mem.read_f32s(out + 24, 1).unwrap()[0], 3.0);
    assert_eq!(w[7], 9);
    assert_eq!(w[8] as i32, -14);
    assert_eq!(w[9], 9 + 255);
    assert_eq!(w[11] as i32, (-7i32) as u8 as i8 as i32);
    assert_eq!(mem.read_f64s(out + 48, 1).unwrap()[0], -1.0);
}

#[test]
fn throughput_report() {
    let m = Module::parse(&format!("{HEADER}{BENCH}")).unwrap();
    let mut mem = GlobalMemory::new();
    let out = mem.alloc(8, 8).unwrap();
    let n = 2_000_000u32;
    let t = std::time::Instant::now();
    let s = m
        .launch(
            "bench",
            LaunchConfig::linear(1, 1),
            &[Param::U64(out), Param::U32(n)],
            &mut mem,
        )
        .unwrap();
    let dt = t.elapsed().as_secs_f64();
    assert_eq!(s.instructions, 5 * n as u64 + 7);
    println!(
        "{} instructions in {dt:.3}s = {:.1} M instr/s",
        s.instructions,
        s.instructions as f64 / dt / 1e6
    );
    let mut acc = 0.0f64;
    let mut inc = 1.0f64;
    for _ in 0..n {
        acc = acc.mul_add(f64::from_bits(0x3FEFFFFFFFFFFFFF), inc);
        inc += f64::from_bits(0x3CB0000000000000);
    }
    assert_eq!(mem.read_f64s(out, 1).unwrap()[0].to_bits(), acc.to_bits());
}
