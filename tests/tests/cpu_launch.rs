//! The CPU `launch` equals a plain serial loop over the original function, bit for bit, for
//! every shape of kernel, item counts that do not divide evenly, and any thread count.

mod common;

use common::*;
use ndarray::{s, Array1, Array2, ArrayD, Axis, IxDyn};
use osipy_tests as k;

#[test]
fn elementwise_launch_equals_serial_loop() {
    let mut r = rng(1);
    for n in COUNTS {
        let a = data(&mut r, &[n], true);
        let x = data(&mut r, &[n], true);
        let got = k::axpy::launch(&a, &x, 0.25).unwrap().into_host().unwrap();
        let want: Vec<f64> = a.iter().zip(&x).map(|(a, x)| k::axpy(*a, *x, 0.25)).collect();
        assert_eq!(got.shape(), &[n]);
        assert_bits_eq(&got, &want, &format!("axpy n={n}"));
    }
}

#[test]
fn elementwise_launch_keeps_leading_item_axes() {
    let mut r = rng(2);
    let a = data(&mut r, &[3, 5, 7], true);
    let x = data(&mut r, &[3, 5, 7], true);
    let got = k::axpy::launch(&a, &x, -1.0).unwrap().into_host().unwrap();
    assert_eq!(got.shape(), &[3, 5, 7]);
    let want: Vec<f64> = a.iter().zip(&x).map(|(a, x)| k::axpy(*a, *x, -1.0)).collect();
    assert_bits_eq(&got, &want, "axpy 3d");
}

#[test]
fn row_in_row_out_equals_serial_loop() {
    let mut r = rng(3);
    let offset = data(&mut r, &[9], false);
    for n in COUNTS {
        let x = data(&mut r, &[n, 9], true);
        let mut out = Array2::<f64>::zeros((n, 9));
        k::scale_row::launch(&x, 1.5, &offset, &mut out).unwrap();
        let mut want = Array2::<f64>::zeros((n, 9));
        for (xr, mut wr) in x.outer_iter().zip(want.outer_iter_mut()) {
            let mut row = vec![0.0; 9];
            k::scale_row(xr.as_slice().unwrap(), 1.5, offset.as_slice().unwrap(), &mut row);
            wr.assign(&Array1::from(row));
        }
        assert_bits_eq(&out, &want, &format!("scale_row n={n}"));
    }
}

#[test]
fn uniform_row_and_scalar_outputs_equal_serial_loop() {
    let mut r = rng(4);
    let w = data(&mut r, &[16], false);
    for n in COUNTS {
        let x = data(&mut r, &[n, 16], true);
        let got = k::weighted_sum::launch(&w, &x).unwrap().into_host().unwrap();
        let want: Vec<f64> = x
            .outer_iter()
            .map(|row| k::weighted_sum(w.as_slice().unwrap(), row.as_slice().unwrap()))
            .collect();
        assert_bits_eq(&got, &want, &format!("weighted_sum n={n}"));

        let mut mean = Array1::<f64>::zeros(n);
        let mut var = Array1::<f64>::zeros(n);
        k::moments::launch(&x, &mut mean, &mut var).unwrap();
        for (i, row) in x.outer_iter().enumerate() {
            let (mut m, mut v) = (0.0, 0.0);
            k::moments(row.as_slice().unwrap(), &mut m, &mut v);
            assert_bits_eq([&mean[i], &var[i]], [&m, &v], &format!("moments n={n} item {i}"));
        }
    }
}

#[test]
fn tuple_returns_equal_serial_loop() {
    let mut r = rng(5);
    for n in COUNTS {
        let x = data(&mut r, &[n, 5], true);
        let (lo, hi) = k::min_max::launch(&x).unwrap();
        let (lo, hi) = (lo.into_host().unwrap(), hi.into_host().unwrap());
        for (i, row) in x.outer_iter().enumerate() {
            let (l, h) = k::min_max(row.as_slice().unwrap());
            // std leaves min/max of +0 and -0 unspecified; kernels order -0 below +0.
            let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
            assert!(same(lo[i], l) && same(hi[i], h), "min_max n={n} item {i}");
            if lo[i] == 0.0 && row.iter().any(|v| v.to_bits() == (-0.0f64).to_bits()) {
                assert!(lo[i].is_sign_negative(), "min of a row holding -0 is -0");
            }
        }
    }
}

#[test]
fn kernel_to_kernel_calls_across_modules_and_crates_equal_serial_loop() {
    let mut r = rng(6);
    let t: Vec<f64> = (0..40).map(|i| (i as f64) * 1.5 + (i as f64).sqrt()).collect();
    let c: Vec<f64> = t.iter().map(|v| (v * 0.1).sin()).collect();
    for n in COUNTS {
        let x = data(&mut r, &[n, 12], false);
        let got = k::rms::launch(&x).unwrap().into_host().unwrap();
        let want: Vec<f64> = x
            .outer_iter()
            .map(|row| k::rms(row.as_slice().unwrap()))
            .collect();
        assert_bits_eq(&got, &want, &format!("rms n={n}"));

        let norm = k::helpers::inner::norm_plus::launch(&x, 2.0)
            .unwrap()
            .into_host()
            .unwrap();
        let want: Vec<f64> = x
            .outer_iter()
            .map(|row| k::helpers::inner::norm_plus(row.as_slice().unwrap(), 2.0))
            .collect();
        assert_bits_eq(&norm, &want, &format!("norm_plus n={n}"));

        let delay = data(&mut r, &[n], false).mapv(|d| d.abs());
        let mut out = Array2::<f64>::zeros((n, 40));
        k::shifted_sample::launch(&t, &c, &delay, &mut out).unwrap();
        for (i, d) in delay.iter().enumerate() {
            let mut row = vec![0.0; 40];
            k::shifted_sample(&t, &c, *d, &mut row);
            assert_bits_eq(out.row(i).iter(), &row, &format!("shifted_sample n={n} item {i}"));
        }
    }
}

#[test]
fn local_arrays_loops_and_control_flow_equal_serial_loop() {
    let mut r = rng(7);
    let coef = [1.0, -0.5, 0.25, 0.125];
    for n in COUNTS {
        let x = data(&mut r, &[n], true);
        let got = k::poly::launch(&x, &coef).unwrap().into_host().unwrap();
        let want: Vec<f64> = x.iter().map(|v| k::poly(*v, &coef)).collect();
        assert_bits_eq(&got, &want, &format!("poly n={n}"));
        let got = k::control::launch(&x, 9).unwrap().into_host().unwrap();
        let want: Vec<f64> = x.iter().map(|v| k::control(*v, 9)).collect();
        assert_bits_eq(&got, &want, &format!("control n={n}"));
        let got = k::trapz::launch(x.as_slice().unwrap(), &data(&mut r, &[2, n], false)).unwrap();
        assert_eq!(got.shape(), &[2]);
    }
}

#[test]
fn f32_integer_and_bool_kernels_equal_serial_loop() {
    let mut r = rng(8);
    for n in COUNTS {
        let y = data(&mut r, &[n], true);
        let x: ArrayD<f32> = data(&mut r, &[n], true).mapv(|v| v as f32);
        let (a, b) = k::f32_mix::launch(&x, &y).unwrap();
        let (a, b) = (a.into_host().unwrap(), b.into_host().unwrap());
        for i in 0..n {
            let (wa, wb) = k::f32_mix(x[i], y[i]);
            assert!(
                a[i].to_bits() == wa.to_bits() || (a[i].is_nan() && wa.is_nan()),
                "f32_mix a[{i}]"
            );
            assert_bits_eq([&b[i]], [&wb], &format!("f32_mix b[{i}]"));
        }
        let ia: Array1<i64> = (0..n as i64).map(|i| (i * 7919) % 2001 - 1000).collect();
        let ib: Array1<u32> = (0..n as u32).map(|i| (i * 31) % 97).collect();
        let (q, s, flag) = k::int_mix::launch(&ia, &ib).unwrap();
        let (q, s, flag) = (
            q.into_host().unwrap(),
            s.into_host().unwrap(),
            flag.into_host().unwrap(),
        );
        for i in 0..n {
            assert_eq!(
                (q[i], s[i], flag[i]),
                k::int_mix(ia[i], ib[i]),
                "int_mix item {i}"
            );
        }
        let got = k::bits::launch(&y).unwrap();
        let b0 = got.0.into_host().unwrap();
        for i in 0..n {
            assert_eq!(b0[i], y[i].to_bits());
        }
    }
}

#[test]
fn integer_arithmetic_wraps_and_division_by_zero_is_defined() {
    let a = Array1::from(vec![i32::MAX, 7, -7, i32::MIN, 5]);
    let b = Array1::from(vec![1, 0, 0, -1, 2]);
    let (sum, div, rem, shl) = k::int_edges::launch(&a, &b).unwrap();
    let (sum, div, rem, shl) = (
        sum.into_host().unwrap(),
        div.into_host().unwrap(),
        rem.into_host().unwrap(),
        shl.into_host().unwrap(),
    );
    assert_eq!(sum.as_slice().unwrap(), &[i32::MIN, 7, -7, i32::MAX, 7]);
    assert_eq!(div.as_slice().unwrap(), &[i32::MAX, 0, 0, i32::MIN, 2]);
    assert_eq!(rem.as_slice().unwrap(), &[0, 7, -7, 0, 1]);
    // Shift amounts wrap modulo 32: b + 32 shifts by b.
    assert_eq!(
        shl.as_slice().unwrap(),
        &[
            (i32::MAX as u32) << 1,
            7,
            (-7i32) as u32,
            (i32::MIN as u32).wrapping_shl(31),
            5 << 2
        ]
    );
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let mut r = rng(9);
    let x = data(&mut r, &[4097, 13], true);
    let w = data(&mut r, &[13], false);
    let one = with_threads(1, || {
        k::weighted_sum::launch(&w, &x).unwrap().into_host().unwrap()
    });
    for t in [2, 3, 5] {
        let many = with_threads(t, || {
            k::weighted_sum::launch(&w, &x).unwrap().into_host().unwrap()
        });
        assert_bits_eq(&many, &one, &format!("{t} threads"));
    }
}

#[test]
fn non_contiguous_inputs_and_outputs_give_the_same_results() {
    let mut r = rng(10);
    let x = data(&mut r, &[9, 50], true);
    let xt = x.t().to_owned(); // (50, 9) contiguous
    let view = xt.t(); // (9, 50) with Fortran strides
    let offset = Array1::<f64>::zeros(50);
    let mut contiguous = Array2::<f64>::zeros((9, 50));
    k::scale_row::launch(&x, 2.0, &offset, &mut contiguous).unwrap();
    let mut big = Array2::<f64>::from_elem((18, 50), 7.0);
    k::scale_row::launch(view, 2.0, &offset, big.slice_mut(s![..;2, ..])).unwrap();
    assert_bits_eq(
        big.slice(s![..;2, ..]).iter(),
        contiguous.iter(),
        "strided output",
    );
    assert!(
        big.slice(s![1..;2, ..]).iter().all(|v| *v == 7.0),
        "rows between were touched"
    );
    let sums = k::weighted_sum::launch(
        x.slice(s![.., ..;5])
            .to_owned()
            .row(0)
            .to_owned()
            .as_slice()
            .unwrap(),
        x.slice(s![.., ..;5]),
    )
    .unwrap();
    assert_eq!(sums.shape(), &[9]);
    let _ = x.index_axis(Axis(0), 0);
    let _ = IxDyn(&[1]);
}

#[test]
fn kernel_math_equals_the_math_library_functions_bit_for_bit() {
    // A launch runs the macro's lowering of the math kernels (inlined into the kernel);
    // the plain functions of osipy_kernels::math are the same code.
    let mut r = rng(22);
    let x = data(&mut r, &[5000], true);
    let got = k::decay::launch(&x).unwrap().into_host().unwrap();
    let want: Vec<f64> = x.iter().map(|v| osipy_kernels::math::f64::exp(-v)).collect();
    assert_bits_eq(&got, &want, "exp");
}
