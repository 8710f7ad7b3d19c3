//! Every kernel of the corpus gives the same bits on `Cpu` and on `Emulator` (the generated PTX
//! run by the PTX interpreter), on random data with edge values, and the same errors.

mod common;

use common::*;
use ndarray::{Array1, Array2, ArrayD, IxDyn};
use osipy_kernels::{with_cpu_lanes, CpuLanes, Device, Element, Error, XpArray};
use osipy_tests as k;

const DEVICES: [Device; 2] = [Device::Cpu, Device::Emulator];

fn on<T: Element>(d: Device, a: &ArrayD<T>) -> XpArray<T> {
    XpArray::from(a.clone()).to_device(&d).unwrap()
}

fn host<T: Element>(a: XpArray<T>) -> ArrayD<T> {
    a.to_host().unwrap()
}

fn same_f64(a: &ArrayD<f64>, b: &ArrayD<f64>, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    assert_bits_eq(a.iter(), b.iter(), what);
}

fn same_f32(a: &ArrayD<f32>, b: &ArrayD<f32>, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
            "{what}: element {i}: {x} vs {y}"
        );
    }
}

/// Runs `f` on both devices and returns the two results. On `Cpu` it runs the scalar
/// lowering and both builds of the lane lowering (4 AVX2 lanes, 2 baseline lanes), which must
/// give the same values (printed in full, floats in their shortest round-trip form, so equal
/// text means equal bits up to NaN payloads) and the same errors.
fn both<R: std::fmt::Debug>(mut f: impl FnMut(Device) -> R) -> (R, R) {
    let scalar = with_cpu_lanes(CpuLanes::Scalar, || f(DEVICES[0]));
    let want = format!("{scalar:#?}");
    for mode in [CpuLanes::Avx2, CpuLanes::Sse2] {
        let lanes = with_cpu_lanes(mode, || f(DEVICES[0]));
        assert_eq!(
            format!("{lanes:#?}"),
            want,
            "lane lowering {mode:?} against the scalar one"
        );
    }
    (scalar, f(DEVICES[1]))
}

const SMALL: [usize; 4] = [0, 1, 7, 300];

#[test]
fn elementwise_and_uniform_scalars_match() {
    let mut r = rng(11);
    for n in SMALL {
        let a = data(&mut r, &[n], true);
        let x = data(&mut r, &[n], true);
        let (c, e) = both(|d| host(k::axpy::launch(&on(d, &a), &on(d, &x), -0.75).unwrap()));
        same_f64(&c, &e, &format!("axpy n={n}"));
    }
}

#[test]
fn rows_outputs_and_uniform_rows_match() {
    let mut r = rng(12);
    let offset = data(&mut r, &[9], true);
    let w = data(&mut r, &[9], false);
    for n in SMALL {
        let x = data(&mut r, &[n, 9], true);
        let (c, e) = both(|d| {
            let mut out = on(d, &ArrayD::<f64>::zeros(IxDyn(&[n, 9])));
            k::scale_row::launch(&on(d, &x), 1.25, &on(d, &offset), &mut out).unwrap();
            host(out)
        });
        same_f64(&c, &e, &format!("scale_row n={n}"));
        let (c, e) = both(|d| host(k::weighted_sum::launch(&on(d, &w), &on(d, &x)).unwrap()));
        same_f64(&c, &e, &format!("weighted_sum n={n}"));
        let (c, e) = both(|d| {
            let mut m = on(d, &ArrayD::<f64>::zeros(IxDyn(&[n])));
            let mut v = on(d, &ArrayD::<f64>::zeros(IxDyn(&[n])));
            k::moments::launch(&on(d, &x), &mut m, &mut v).unwrap();
            (host(m), host(v))
        });
        same_f64(&c.0, &e.0, "moments mean");
        same_f64(&c.1, &e.1, "moments var");
        let (c, e) = both(|d| {
            let (lo, hi) = k::min_max::launch(&on(d, &x)).unwrap();
            (host(lo), host(hi))
        });
        same_f64(&c.0, &e.0, "min");
        same_f64(&c.1, &e.1, "max");
    }
}

#[test]
fn calls_between_kernels_match_across_modules_and_crates() {
    let mut r = rng(13);
    let t: ArrayD<f64> = Array1::from_shape_fn(30, |i| i as f64 * 1.5 + (i % 4) as f64 * 0.1).into_dyn();
    let c_curve = data(&mut r, &[30], false);
    for n in SMALL {
        let x = data(&mut r, &[n, 6], true);
        let (c, e) = both(|d| host(k::rms::launch(&on(d, &x)).unwrap()));
        same_f64(&c, &e, &format!("rms n={n}"));
        let (c, e) = both(|d| host(k::helpers::inner::norm_plus::launch(&on(d, &x), 3.0).unwrap()));
        same_f64(&c, &e, &format!("norm_plus n={n}"));
        let delay = data(&mut r, &[n], true);
        let (c, e) = both(|d| {
            let mut out = on(d, &ArrayD::<f64>::zeros(IxDyn(&[n, 30])));
            k::shifted_sample::launch(&on(d, &t), &on(d, &c_curve), &on(d, &delay), &mut out).unwrap();
            host(out)
        });
        same_f64(&c, &e, &format!("shifted_sample n={n}"));
    }
}

#[test]
fn local_arrays_loops_control_flow_and_bits_match() {
    let mut r = rng(14);
    let coef = data(&mut r, &[3], false);
    for n in SMALL {
        let x = data(&mut r, &[n], true);
        let (c, e) = both(|d| host(k::poly::launch(&on(d, &x), &on(d, &coef)).unwrap()));
        same_f64(&c, &e, &format!("poly n={n}"));
        let (c, e) = both(|d| host(k::control::launch(&on(d, &x), 7).unwrap()));
        same_f64(&c, &e, &format!("control n={n}"));
        let (c, e) = both(|d| {
            let (b, f, nan, fin) = k::bits::launch(&on(d, &x)).unwrap();
            (host(b), host(f), host(nan), host(fin))
        });
        assert_eq!(c.0, e.0, "to_bits");
        same_f64(&c.1, &e.1, "from_bits");
        assert_eq!((c.2, c.3), (e.2, e.3), "is_nan / is_finite");
        let y = data(&mut r, &[2, n], true);
        let (c, e) = both(|d| host(k::trapz::launch(&on(d, &x), &on(d, &y)).unwrap()));
        same_f64(&c, &e, "trapz");
    }
}

#[test]
fn f32_integer_and_bool_semantics_match() {
    let mut r = rng(15);
    for n in SMALL {
        let y = data(&mut r, &[n], true);
        let x: ArrayD<f32> = data(&mut r, &[n], true).mapv(|v| v as f32);
        let (c, e) = both(|d| {
            let (a, b) = k::f32_mix::launch(&on(d, &x), &on(d, &y)).unwrap();
            (host(a), host(b))
        });
        same_f32(&c.0, &e.0, "f32_mix a");
        same_f64(&c.1, &e.1, "f32_mix b");
        let ia: ArrayD<i64> = Array1::from_shape_fn(n, |i| (i as i64 * 7919) % 2001 - 1000).into_dyn();
        let ib: ArrayD<u32> = Array1::from_shape_fn(n, |i| (i as u32 * 31) % 97).into_dyn();
        let (c, e) = both(|d| {
            let (q, s, f) = k::int_mix::launch(&on(d, &ia), &on(d, &ib)).unwrap();
            (host(q), host(s), host(f))
        });
        assert_eq!(c, e, "int_mix n={n}");
    }
    let a: ArrayD<i32> = Array1::from(vec![i32::MAX, 7, -7, i32::MIN, 5, 0]).into_dyn();
    let b: ArrayD<i32> = Array1::from(vec![1, 0, 0, -1, 2, -3]).into_dyn();
    let (c, e) = both(|d| {
        let (s, q, m, sh) = k::int_edges::launch(&on(d, &a), &on(d, &b)).unwrap();
        (host(s), host(q), host(m), host(sh))
    });
    assert_eq!(c, e, "int_edges");
}

#[test]
fn index_faults_report_the_same_error_and_partial_writes() {
    let x: ArrayD<f64> = Array2::from_shape_fn((4, 3), |(i, j)| (i * 3 + j) as f64).into_dyn();
    let n: ArrayD<usize> = Array1::from(vec![2usize, 5, 3, 4]).into_dyn();
    let (c, e) = both(|d| {
        let mut out = on(d, &ArrayD::<f64>::from_elem(IxDyn(&[4, 3]), -1.0));
        let err = k::copy_prefix::launch(&on(d, &x), &on(d, &n), &mut out).unwrap_err();
        (err, host(out))
    });
    assert_eq!(c, e);
    assert!(matches!(
        c.0,
        Error::IndexOutOfBounds {
            item: 1,
            index: 3,
            len: 3,
            ..
        }
    ));
    let (c, e) = both(|d| k::pick::launch(&on(d, &x), 7).unwrap_err());
    assert_eq!(c, e);
    let m: ArrayD<usize> = Array1::from(vec![1usize, 9, 2, 4]).into_dyn();
    let (c, e) = both(|d| k::local_fault::launch(&on(d, &m)).unwrap_err());
    assert_eq!(c, e);
}

#[test]
fn results_stay_on_the_device_they_ran_on() {
    let a = on(Device::Emulator, &Array1::from(vec![1.0, 2.0]).into_dyn());
    let y = k::axpy::launch(&a, &a, 0.0).unwrap();
    assert_eq!(y.placement(), Device::Emulator);
    assert_eq!(host(y).as_slice().unwrap(), &[1.0, 4.0]);
}

fn ints(r: &mut rand_chacha::ChaCha8Rng, n: usize) -> (ArrayD<i32>, ArrayD<u64>) {
    use rand::Rng;
    let ie = [0, 1, -1, 2, i32::MAX, i32::MIN, 7, -9];
    let ue = [0, 1, u64::MAX, 1 << 63, 12, 97];
    let i = Array1::from_shape_fn(n, |_| {
        if r.gen_ratio(1, 4) {
            ie[r.gen_range(0..ie.len())]
        } else {
            r.gen()
        }
    })
    .into_dyn();
    let u = Array1::from_shape_fn(n, |_| {
        if r.gen_ratio(1, 4) {
            ue[r.gen_range(0..ue.len())]
        } else {
            r.gen()
        }
    })
    .into_dyn();
    (i, u)
}

#[test]
fn corpus_kernels_match_bit_for_bit_on_random_and_edge_inputs() {
    let mut r = rng(16);
    let mut ran = 0;
    for (n, width) in [(0usize, 4usize), (1, 0), (1, 6), (257, 3), (300, 8)] {
        let (i, u) = ints(&mut r, n);
        let inputs = k::corpus::Inputs {
            x: data(&mut r, &[n], true),
            y: data(&mut r, &[n], true),
            i,
            u,
            row: data(&mut r, &[n, width], true),
            out: data(&mut r, &[n, width], false),
        };
        ran += corpus_same_on(
            Device::Cpu,
            Device::Emulator,
            &inputs,
            &format!("n={n} width={width}"),
        );
    }
    assert!(ran >= 5 * 19);
}

#[test]
fn float_remainder_is_exact_on_the_emulator_for_hard_cases() {
    // Subnormals, huge exponent gaps, signs, zeros, infinities and NaN.
    let vals = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        3.0,
        0.1,
        -0.7,
        1e300,
        -1e-300,
        5e-324,
        -5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        6.0,
        0.375,
        123456.789,
    ];
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for a in vals {
        for b in vals {
            xs.push(a);
            ys.push(b);
        }
    }
    let n = xs.len();
    let x = Array1::from(xs).into_dyn();
    let y = Array1::from(ys).into_dyn();
    let zeros_i = ArrayD::<i32>::zeros(IxDyn(&[n]));
    let zeros_u = ArrayD::<u64>::zeros(IxDyn(&[n]));
    let row = ArrayD::<f64>::zeros(IxDyn(&[n, 3]));
    let (c, e) = both(|d| {
        let mut out = on(d, &row);
        let r = k::corpus::c_fmod::launch(
            &on(d, &x),
            &on(d, &y),
            &on(d, &zeros_i),
            &on(d, &zeros_u),
            &on(d, &row),
            &mut out,
        );
        (host(r.unwrap()), host(out))
    });
    same_f64(&c.0, &e.0, "x % y");
    same_f64(&c.1, &e.1, "out");
    // And the CPU matches the C library's fmod, which is exact.
    for (i, v) in c.0.iter().enumerate() {
        let want = x[i] % y[i];
        assert!(
            v.to_bits() == want.to_bits() || (v.is_nan() && want.is_nan()),
            "{} % {}",
            x[i],
            y[i]
        );
    }
}

#[test]
fn helper_library_and_math_kernels_match_when_launched_directly() {
    let mut r = rng(17);
    let n = 200;
    let x = data(&mut r, &[n], true);
    let y = data(&mut r, &[n], true);
    let rows = data(&mut r, &[n, 5], true);
    let (c, e) = both(|d| host(k::helpers::square::launch(&on(d, &x)).unwrap()));
    same_f64(&c, &e, "square");
    let (c, e) = both(|d| host(k::helpers::sum_sq::launch(&on(d, &rows)).unwrap()));
    same_f64(&c, &e, "sum_sq");
    let (c, e) = both(|d| host(k::decay::launch(&on(d, &x)).unwrap()));
    same_f64(&c, &e, "decay");
    let grid: ArrayD<f64> = Array1::from_shape_fn(17, |i| (i * i) as f64 * 0.5).into_dyn();
    let vals = data(&mut r, &[17], false);
    let (c, e) = both(|d| {
        host(osipy::interp::interp_linear::launch(&on(d, &grid), &on(d, &vals), &on(d, &x)).unwrap())
    });
    same_f64(&c, &e, "interp_linear");
    let (c, e) = both(|d| host(osipy_kernels::math::f64::powf::launch(&on(d, &x), &on(d, &y)).unwrap()));
    same_f64(&c, &e, "math::f64::powf");
    let xf: ArrayD<f32> = x.mapv(|v| v as f32);
    let ni: ArrayD<i32> = Array1::from_shape_fn(n, |i| i as i32 - 100).into_dyn();
    let (c, e) = both(|d| host(osipy_kernels::math::f32::powi::launch(&on(d, &xf), &on(d, &ni)).unwrap()));
    same_f32(&c, &e, "math::f32::powi");
    let (c, e) = both(|d| host(osipy_kernels::math::f64::log10::launch(&on(d, &x)).unwrap()));
    same_f64(&c, &e, "math::f64::log10");
}
