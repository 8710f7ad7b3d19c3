//! The math library's forms agree bit for bit on random and edge arguments: the scalar
//! functions, their lane forms (W = 2, 4, 8; also compiled for AVX2 and FMA where the CPU
//! has them) and the PTX of the math kernels run on the emulator.

use ndarray::{ArrayD, IxDyn};
use osipy_kernels::math::{f32 as m32, f64 as m64};
use osipy_kernels::{Device, XpArray};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Arguments where the algorithms change behaviour: zeros, infinities, NaN, subnormals,
/// the overflow and underflow thresholds, integers (odd and even), powers of two and ten.
fn edges() -> Vec<f64> {
    let mut v = vec![
        0.0,
        1.0,
        2.0,
        3.0,
        0.5,
        10.0,
        1e22,
        1e-300,
        1e300,
        f64::INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE * 0.5,
        f64::from_bits(1),
        f64::from_bits(0x000F_FFFF_FFFF_FFFF),
        f64::MAX,
        f64::EPSILON,
        1.0 - f64::EPSILON / 2.0,
        1.0 + f64::EPSILON,
        std::f64::consts::SQRT_2,
        std::f64::consts::FRAC_1_SQRT_2,
        std::f64::consts::LN_2 / 2.0,
        709.782712893384,
        709.7827128933841,
        709.79,
        710.0,
        -708.3964185322641,
        -708.4,
        -745.1332191019411,
        -745.1332191019412,
        -745.2,
        -746.0,
        1023.0,
        1023.999,
        1024.0,
        1025.0,
        -1022.0,
        -1074.0,
        -1074.5,
        -1075.0,
        -1076.0,
        -1080.0,
        -1081.0,
        9007199254740991.0,
        9007199254740992.0,
        1e19,
        0.1,
        1.5,
        2.5,
        127.0,
        -150.0,
    ];
    let neg: Vec<f64> = v.iter().map(|x| -x).collect();
    v.extend(neg);
    v
}

/// Edge arguments, then random bit patterns (any double, NaN payloads included) and
/// random values in the functions' working ranges.
fn args(seed: u64, n: usize) -> Vec<f64> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let mut v = edges();
    for i in 0..n {
        v.push(match i % 4 {
            0 => f64::from_bits(r.random::<u64>()),
            1 => r.random_range(-750.0..750.0),
            2 => r.random_range(-1100.0..1100.0),
            _ => 2f64.powf(r.random_range(-1074.0..1024.0)),
        });
    }
    v
}

/// Random exponents for `powf`: small, integral, huge and special.
fn exps(seed: u64, n: usize) -> Vec<f64> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| match i % 4 {
            0 => f64::from_bits(r.random::<u64>()),
            1 => r.random_range(-40.0..40.0),
            2 => r.random_range(-60.0f64..60.0).round(),
            _ => r.random_range(-2000.0..2000.0),
        })
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

fn same32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits()
}

type Unary = (&'static str, fn(f64) -> f64);

/// An f32 function with its lane form.
type Unary32<const W: usize> = (&'static str, fn(f32) -> f32, fn([f32; W]) -> [f32; W]);

/// An f32 function with its results on the emulator.
type Launched32 = (&'static str, Vec<f32>, fn(f32) -> f32);

const UNARY: [Unary; 5] = [
    ("exp", m64::exp),
    ("exp2", m64::exp2),
    ("ln", m64::ln),
    ("log2", m64::log2),
    ("log10", m64::log10),
];

/// `lanes` of `x` in groups of `W`, against `scalar` lane by lane.
fn check_unary<const W: usize>(
    name: &str,
    x: &[f64],
    scalar: fn(f64) -> f64,
    lanes: fn([f64; W]) -> [f64; W],
) {
    for c in x.chunks_exact(W) {
        let a: [f64; W] = c.try_into().unwrap();
        let r = lanes(a);
        for i in 0..W {
            let s = scalar(a[i]);
            assert!(
                same(r[i], s),
                "{name}_lanes::<{W}>({:e}) = {:e}, scalar {:e}",
                a[i],
                r[i],
                s
            );
        }
    }
}

fn unary_lanes<const W: usize>(name: &str) -> fn([f64; W]) -> [f64; W] {
    match name {
        "exp" => m64::exp_lanes::<W>,
        "exp2" => m64::exp2_lanes::<W>,
        "ln" => m64::ln_lanes::<W>,
        "log2" => m64::log2_lanes::<W>,
        _ => m64::log10_lanes::<W>,
    }
}

fn check_all_unary<const W: usize>(x: &[f64]) {
    for (name, f) in UNARY {
        check_unary::<W>(name, x, f, unary_lanes::<W>(name));
    }
}

/// Every pair of edge arguments, then random pairs.
fn pairs(seed: u64) -> (Vec<f64>, Vec<f64>) {
    let e = edges();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for &a in &e {
        for &b in &e {
            x.push(a);
            y.push(b);
        }
    }
    let xs = args(seed, 8000);
    let ys = exps(seed + 1, xs.len());
    x.extend(xs);
    y.extend(ys);
    (x, y)
}

fn check_pow<const W: usize>(x: &[f64], y: &[f64]) {
    for (cx, cy) in x.chunks_exact(W).zip(y.chunks_exact(W)) {
        let a: [f64; W] = cx.try_into().unwrap();
        let b: [f64; W] = cy.try_into().unwrap();
        let n: [i32; W] = b.map(|v| v as i32);
        let r = m64::powf_lanes(a, b);
        let ri = m64::powi_lanes(a, n);
        for i in 0..W {
            let s = m64::powf(a[i], b[i]);
            assert!(
                same(r[i], s),
                "powf_lanes::<{W}>({:e}, {:e}) = {:e}, scalar {:e}",
                a[i],
                b[i],
                r[i],
                s
            );
            let si = m64::powi(a[i], n[i]);
            assert!(
                same(ri[i], si),
                "powi_lanes::<{W}>({:e}, {}) = {:e}, scalar {:e}",
                a[i],
                n[i],
                ri[i],
                si
            );
        }
    }
}

fn check_f32<const W: usize>(x: &[f64], y: &[f64]) {
    let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let y: Vec<f32> = y.iter().map(|&v| v as f32).collect();
    let unary: [Unary32<W>; 5] = [
        ("exp", m32::exp, m32::exp_lanes::<W>),
        ("exp2", m32::exp2, m32::exp2_lanes::<W>),
        ("ln", m32::ln, m32::ln_lanes::<W>),
        ("log2", m32::log2, m32::log2_lanes::<W>),
        ("log10", m32::log10, m32::log10_lanes::<W>),
    ];
    for (cx, cy) in x.chunks_exact(W).zip(y.chunks_exact(W)) {
        let a: [f32; W] = cx.try_into().unwrap();
        let b: [f32; W] = cy.try_into().unwrap();
        for (name, f, l) in unary {
            let r = l(a);
            for i in 0..W {
                assert!(same32(r[i], f(a[i])), "f32 {name}_lanes::<{W}>({:e})", a[i]);
            }
        }
        let n: [i32; W] = b.map(|v| v as i32);
        let r = m32::powf_lanes(a, b);
        let ri = m32::powi_lanes(a, n);
        for i in 0..W {
            assert!(
                same32(r[i], m32::powf(a[i], b[i])),
                "f32 powf_lanes::<{W}>({:e}, {:e})",
                a[i],
                b[i]
            );
            assert!(
                same32(ri[i], m32::powi(a[i], n[i])),
                "f32 powi_lanes::<{W}>({:e}, {})",
                a[i],
                n[i]
            );
        }
    }
}

#[test]
fn lane_forms_equal_the_scalar_functions_bit_for_bit() {
    let x = args(0x1A4E, 20_000);
    check_all_unary::<2>(&x);
    check_all_unary::<4>(&x);
    check_all_unary::<8>(&x);
    let (px, py) = pairs(0x90F);
    check_pow::<2>(&px, &py);
    check_pow::<4>(&px, &py);
    check_pow::<8>(&px, &py);
    check_f32::<2>(&px, &py);
    check_f32::<4>(&px, &py);
    check_f32::<8>(&px, &py);
}

/// The lane forms compiled for AVX2 and FMA, as a SIMD caller inlines them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn check_avx2(x: &[f64], px: &[f64], py: &[f64]) {
    check_all_unary::<4>(x);
    check_pow::<4>(px, py);
    check_f32::<8>(px, py);
}

#[test]
fn lane_forms_compiled_for_avx2_and_fma_equal_the_scalar_functions() {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        let x = args(0xA7C2, 20_000);
        let (px, py) = pairs(0xA7C3);
        // Safety: the CPU has AVX2 and FMA (checked above).
        unsafe { check_avx2(&x, &px, &py) };
        return;
    }
    println!("skipped: the CPU lacks AVX2 or FMA");
}

fn emu<T: osipy_kernels::Element>(v: &[T]) -> XpArray<T> {
    XpArray::from(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap())
        .to_device(&Device::Emulator)
        .unwrap()
}

fn host<T: osipy_kernels::Element>(a: XpArray<T>) -> Vec<T> {
    a.to_host().unwrap().iter().copied().collect()
}

/// Equal bits, or both NaN (a NaN's payload may differ between the CPU and PTX).
fn agree(a: f64, b: f64) -> bool {
    same(a, b) || (a.is_nan() && b.is_nan())
}

#[test]
fn emulated_math_kernels_equal_the_scalar_functions_bit_for_bit() {
    let x = args(0xE4A1, 3000);
    let ex = emu(&x);
    let launched: [(&str, Vec<f64>); 5] = [
        ("exp", host(m64::exp::launch(&ex).unwrap())),
        ("exp2", host(m64::exp2::launch(&ex).unwrap())),
        ("ln", host(m64::ln::launch(&ex).unwrap())),
        ("log2", host(m64::log2::launch(&ex).unwrap())),
        ("log10", host(m64::log10::launch(&ex).unwrap())),
    ];
    for ((name, got), (_, f)) in launched.iter().zip(UNARY) {
        for (i, &a) in x.iter().enumerate() {
            assert!(
                agree(got[i], f(a)),
                "emulated {name}({a:e}) = {:e}, scalar {:e}",
                got[i],
                f(a)
            );
        }
    }
    let e = edges();
    let (mut px, mut py) = (Vec::new(), Vec::new());
    for &a in &e {
        for &b in &e {
            px.push(a);
            py.push(b);
        }
    }
    px.extend(args(0xE4A2, 1000));
    py.extend(exps(0xE4A3, px.len() - py.len()));
    let n: Vec<i32> = py.iter().map(|&v| v as i32).collect();
    let p = host(m64::powf::launch(&emu(&px), &emu(&py)).unwrap());
    let pi = host(m64::powi::launch(&emu(&px), &emu(&n)).unwrap());
    for i in 0..px.len() {
        let (a, b) = (px[i], py[i]);
        assert!(agree(p[i], m64::powf(a, b)), "emulated powf({a:e}, {b:e})");
        assert!(agree(pi[i], m64::powi(a, n[i])), "emulated powi({a:e}, {})", n[i]);
    }
    let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let exf = emu(&xf);
    let f32s: [Launched32; 5] = [
        ("exp", host(m32::exp::launch(&exf).unwrap()), m32::exp),
        ("exp2", host(m32::exp2::launch(&exf).unwrap()), m32::exp2),
        ("ln", host(m32::ln::launch(&exf).unwrap()), m32::ln),
        ("log2", host(m32::log2::launch(&exf).unwrap()), m32::log2),
        ("log10", host(m32::log10::launch(&exf).unwrap()), m32::log10),
    ];
    for (name, got, f) in &f32s {
        for (i, &a) in xf.iter().enumerate() {
            let s = f(a);
            assert!(
                same32(got[i], s) || (got[i].is_nan() && s.is_nan()),
                "emulated f32 {name}({a:e}) = {:e}, scalar {s:e}",
                got[i]
            );
        }
    }
    let pxf: Vec<f32> = px.iter().map(|&v| v as f32).collect();
    let pyf: Vec<f32> = py.iter().map(|&v| v as f32).collect();
    let p32 = host(m32::powf::launch(&emu(&pxf), &emu(&pyf)).unwrap());
    let pi32 = host(m32::powi::launch(&emu(&pxf), &emu(&n)).unwrap());
    for i in 0..pxf.len() {
        let (a, b) = (pxf[i], pyf[i]);
        let s = m32::powf(a, b);
        assert!(
            same32(p32[i], s) || (p32[i].is_nan() && s.is_nan()),
            "emulated f32 powf({a:e}, {b:e})"
        );
        let si = m32::powi(a, n[i]);
        assert!(
            same32(pi32[i], si) || (pi32[i].is_nan() && si.is_nan()),
            "emulated f32 powi({a:e}, {})",
            n[i]
        );
    }
}
