//! Kernels with structs of scalars (`#[xp_struct]`, `osipy_tests::structs`): the CPU launch, the
//! emulator (the generated PTX) and the original Rust function give the same bits.

mod common;

use common::*;
use ndarray::{Array1, ArrayD, IxDyn};
use osipy_kernels::{Device, Element, XpArray};
use osipy_tests::structs as k;

fn on<T: Element>(d: Device, a: &ArrayD<T>) -> XpArray<T> {
    XpArray::from(a.clone()).to_device(&d).unwrap()
}

fn zeros<T: Element + Default>(d: Device, n: usize) -> XpArray<T> {
    on(d, &ArrayD::from_elem(IxDyn(&[n]), T::default()))
}

/// Every output of `row_stats` for the rows of `x` (items x m), on `d`.
type Stats = (Vec<f64>, Vec<f32>, Vec<usize>, Vec<i32>, Vec<f64>, Vec<bool>);

fn row_stats_on(d: Device, x: &ArrayD<f64>) -> Stats {
    let n = x.shape()[0];
    let (mut mean, mut sum_sq, mut cnt) = (zeros::<f64>(d, n), zeros::<f32>(d, n), zeros::<usize>(d, n));
    let (mut neg, mut max, mut nan) = (zeros::<i32>(d, n), zeros::<f64>(d, n), zeros::<bool>(d, n));
    k::row_stats::launch(
        &on(d, x),
        &mut mean,
        &mut sum_sq,
        &mut cnt,
        &mut neg,
        &mut max,
        &mut nan,
    )
    .unwrap();
    let h = |a: XpArray<f64>| a.to_host().unwrap().iter().copied().collect::<Vec<_>>();
    (
        h(mean),
        sum_sq.to_host().unwrap().iter().copied().collect(),
        cnt.to_host().unwrap().iter().copied().collect(),
        neg.to_host().unwrap().iter().copied().collect(),
        h(max),
        nan.to_host().unwrap().iter().copied().collect(),
    )
}

#[test]
fn struct_locals_arguments_and_returns_match_on_every_backend_and_the_original() {
    let mut r = rng(31);
    for (items, m) in [(0, 4), (1, 1), (7, 9), (300, 16)] {
        let x = data(&mut r, &[items, m], true);
        let cpu = row_stats_on(Device::Cpu, &x);
        let emu = row_stats_on(Device::Emulator, &x);
        let what = format!("row_stats {items}x{m}");
        assert_bits_eq(&emu.0, &cpu.0, &format!("{what}: mean"));
        assert_bits_eq(&emu.4, &cpu.4, &format!("{what}: max"));
        // Any NaN equals any NaN (DESIGN.md point 3).
        let f32_bits = |v: &[f32]| {
            v.iter()
                .map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() })
                .collect::<Vec<_>>()
        };
        assert_eq!(f32_bits(&emu.1), f32_bits(&cpu.1), "{what}: sum_sq");
        assert_eq!((&emu.2, &emu.3, &emu.5), (&cpu.2, &cpu.3, &cpu.5), "{what}");
        // The original function, one row at a time.
        for i in 0..items {
            let row: Vec<f64> = x.index_axis(ndarray::Axis(0), i).iter().copied().collect();
            let (mut mean, mut sum_sq, mut n, mut neg, mut max, mut nan) = (0.0, 0.0f32, 0, 0, 0.0, false);
            k::row_stats(&row, &mut mean, &mut sum_sq, &mut n, &mut neg, &mut max, &mut nan);
            assert_bits_eq(
                [&cpu.0[i], &cpu.4[i]],
                [&mean, &max],
                &format!("{what}: item {i}"),
            );
            assert_eq!(
                (f32_bits(&cpu.1[i..=i]), cpu.2[i], cpu.3[i], cpu.5[i]),
                (f32_bits(&[sum_sq]), n, neg, nan),
                "{what}: item {i}"
            );
        }
    }
}

#[test]
fn row_stats_values_are_the_statistics_of_the_row() {
    let x = ndarray::array![[1.0, -2.0, 3.0, 6.0], [-1.0, f64::NAN, -3.0, 0.5]].into_dyn();
    for d in [Device::Cpu, Device::Emulator] {
        let (mean, sum_sq, n, neg, max, nan) = row_stats_on(d, &x);
        assert_eq!(mean[0], 2.0);
        assert_eq!(sum_sq[0], 50.0);
        assert_eq!((n[0], neg[0], max[0], nan[0]), (4, 1, 6.0, false));
        assert!(mean[1].is_nan());
        assert_eq!((n[1], neg[1], max[1], nan[1]), (4, 2, 0.5, true));
    }
}

#[test]
fn structs_named_from_other_modules_and_changed_through_mut_match() {
    let mut r = rng(32);
    let n = 257;
    let x = data(&mut r, &[n], false);
    let y = data(&mut r, &[n], false);
    let (c, s) = (0.6_f64, 0.8_f64);
    let run = |d: Device| {
        let (a, b, l) = k::geometry::spin_xy::launch(&on(d, &x), &on(d, &y), c, s, 5).unwrap();
        let h = |a: XpArray<f64>| a.to_host().unwrap().iter().copied().collect::<Vec<_>>();
        (h(a), h(b), h(l))
    };
    let (cpu, emu) = (run(Device::Cpu), run(Device::Emulator));
    assert_bits_eq(&emu.0, &cpu.0, "spin_xy x");
    assert_bits_eq(&emu.1, &cpu.1, "spin_xy y");
    assert_bits_eq(&emu.2, &cpu.2, "spin_xy len_sq");
    for i in 0..n {
        let (px, py, l) = k::geometry::spin_xy(x[i], y[i], c, s, 5);
        assert_bits_eq([&cpu.0[i], &cpu.1[i], &cpu.2[i]], [&px, &py, &l], "original");
        // A rotation keeps the length (to rounding).
        let l0 = x[i] * x[i] + y[i] * y[i];
        assert!((l - l0).abs() <= 1e-12 * l0, "item {i}: {l} vs {l0}");
    }
}

#[test]
fn a_kernel_with_a_mut_struct_argument_launches_with_one_array_per_field() {
    // `rotate(p: &mut Point, c, s)` is a kernel of its own: `p` is passed as `p_x`, `p_y`.
    let x = Array1::from(vec![1.0, 0.0, 2.0]).into_dyn();
    let y = Array1::from(vec![0.0, 1.0, 2.0]).into_dyn();
    for d in [Device::Cpu, Device::Emulator] {
        let (mut px, mut py) = (on(d, &x), on(d, &y));
        let (c, s) = (on(d, &x.mapv(|_| 0.0)), on(d, &x.mapv(|_| 1.0)));
        k::geometry::rotate::launch(&mut px, &mut py, &c, &s).unwrap();
        let px: Vec<f64> = px.to_host().unwrap().iter().copied().collect();
        let py: Vec<f64> = py.to_host().unwrap().iter().copied().collect();
        assert_eq!(px, vec![0.0, -1.0, -2.0]);
        assert_eq!(py, vec![1.0, 0.0, 2.0]);
    }
}
