//! On a CUDA GPU (build with `--features osipy-kernels/cuda`): every corpus kernel gives the
//! same bits on `Cuda(0)` as on the CPU, faults report the same error, and a 10M-item f64
//! kernel is timed against the memory-bandwidth floor. Without a GPU the tests print a skip
//! (and fail when `OSIPY_REQUIRE_GPU=1`).

mod common;

use common::*;
use ndarray::{ArrayD, IxDyn};
use osipy_kernels::{is_gpu_available, Device, Element, XpArray};
use osipy_tests as k;

fn gpu() -> Option<Device> {
    if is_gpu_available() {
        return Some(Device::Cuda(0));
    }
    if std::env::var("OSIPY_REQUIRE_GPU").as_deref() == Ok("1") {
        panic!("OSIPY_REQUIRE_GPU=1 but no CUDA GPU is available");
    }
    println!("SKIP: no CUDA GPU");
    None
}

fn on<T: Element>(d: Device, a: &ArrayD<T>) -> XpArray<T> {
    XpArray::from(a.clone()).to_device(&d).unwrap()
}

#[test]
fn cuda_corpus_matches_the_cpu_bit_for_bit() {
    let Some(g) = gpu() else { return };
    let mut r = rng(31);
    for (n, width) in [(0usize, 3usize), (1, 6), (1000, 8), (70_000, 5)] {
        let inputs = k::corpus::Inputs {
            x: data(&mut r, &[n], true),
            y: data(&mut r, &[n], true),
            i: ArrayD::from_shape_fn(IxDyn(&[n]), |ix| {
                (ix[0] as i32).wrapping_mul(2654435761u32 as i32)
            }),
            u: ArrayD::from_shape_fn(IxDyn(&[n]), |ix| {
                (ix[0] as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            }),
            row: data(&mut r, &[n, width], true),
            out: data(&mut r, &[n, width], false),
        };
        corpus_same_on(Device::Cpu, g, &inputs, &format!("n={n}"));
    }
}

#[test]
fn cuda_elementwise_10m_against_the_bandwidth_floor() {
    let Some(g) = gpu() else { return };
    let n = 10_000_000;
    let a = on(g, &ArrayD::from_shape_fn(IxDyn(&[n]), |ix| ix[0] as f64 * 1e-7));
    let x = on(g, &ArrayD::from_elem(IxDyn(&[n]), 0.5));
    let _warm = k::axpy::launch(&a, &x, 1.0).unwrap();
    let mut times = Vec::new();
    for _ in 0..10 {
        let t0 = std::time::Instant::now();
        let y = k::axpy::launch(&a, &x, 1.0).unwrap();
        times.push(t0.elapsed().as_secs_f64());
        drop(y);
    }
    times.sort_by(f64::total_cmp);
    let med = times[times.len() / 2];
    let bytes = 3.0 * 8.0 * n as f64;
    println!(
        "axpy f64 10M items: median {:.3} ms per launch (incl. allocation of the result and the fault record), {:.0} GB/s of the 24 B/item traffic",
        med * 1e3,
        bytes / med / 1e9
    );
    let host = k::axpy::launch(&a.to_host().unwrap(), &x.to_host().unwrap(), 1.0)
        .unwrap()
        .into_host()
        .unwrap();
    let dev = k::axpy::launch(&a, &x, 1.0).unwrap().to_host().unwrap();
    assert_bits_eq(host.iter(), dev.iter(), "axpy 10M");
}

/// Fit models: the generated Jacobian and fit kernels give the same bits on the GPU as on the
/// CPU (data made here, no files read).
#[test]
fn cuda_fits_match_the_cpu_bit_for_bit() {
    use ndarray::Array2;
    use osipy_kernels::fit::LevenbergMarquardt;
    use osipy_tests::fit_models::{cases, Inputs};
    let Some(g) = gpu() else { return };
    for case in cases() {
        let n = 60;
        let t: Vec<f64> = (0..n).map(|i| 4.0 * i as f64).collect();
        let cp: Vec<f64> = t
            .iter()
            .map(|s| {
                if *s < 20.0 {
                    0.0
                } else {
                    5.0 * (-(s - 20.0) / 90.0).exp()
                }
            })
            .collect();
        let items = 3000;
        let inp = Inputs {
            t: if case.name == "mixed" {
                t.iter().map(|s| s / 60.0 - 0.2).collect()
            } else {
                t.iter()
                    .map(|s| if case.name == "etofts" { *s } else { s / 24.0 })
                    .collect()
            },
            cp,
            scale: (0..items).map(|i| 0.5 + 0.001 * (i % 100) as f64).collect(),
        };
        let mut r = rng(41);
        let truth = Array2::from_shape_fn((items, case.p), |(_, a)| {
            let (lo, hi) = (case.lower[a].max(-1.0), case.upper[a].min(3.0));
            lo + (hi - lo) * (0.3 + 0.4 * rand::Rng::gen::<f64>(&mut r))
        });
        let (pc, jc) = (case.jacobian)(&inp, &truth, n, &Device::Cpu).unwrap();
        let (pg, jg) = (case.jacobian)(&inp, &truth, n, &g).unwrap();
        assert_bits_eq(pg.iter(), pc.iter(), case.name);
        assert_bits_eq(jg.iter(), jc.iter(), case.name);
        let mut y = pc.clone();
        y.mapv_inplace(|v| v + 0.01 * (rand::Rng::gen::<f64>(&mut r) - 0.5));
        y[[5, 3]] = f64::NAN;
        let yc = XpArray::from_host(y.into_dyn());
        let yg = yc.to_device(&g).unwrap();
        let lm = LevenbergMarquardt::default();
        let fc = (case.fit)(&inp, &yc, &lm, case.init).unwrap();
        let fg = (case.fit)(&inp, &yg, &lm, case.init).unwrap();
        let h = |a: &XpArray<f64>| a.to_host().unwrap().iter().copied().collect::<Vec<f64>>();
        let hu = |a: &XpArray<u32>| a.to_host().unwrap().iter().copied().collect::<Vec<u32>>();
        assert_bits_eq(h(&fg.params).iter(), h(&fc.params).iter(), case.name);
        assert_bits_eq(h(&fg.chi2).iter(), h(&fc.chi2).iter(), case.name);
        assert_eq!(hu(&fg.status), hu(&fc.status), "{}", case.name);
        assert_eq!(hu(&fg.iterations), hu(&fc.iterations), "{}", case.name);
        println!("{}: {items} voxels, GPU fit = CPU fit bit for bit", case.name);
    }
}

/// Throughput of the fused fit on the GPU: 1M voxels x 80 samples of extended Tofts (the
/// corpus model, with a called kernel), kernel time from CUDA events and the whole call.
#[test]
fn cuda_fit_throughput_1m_voxels() {
    use osipy_tests::fit_models::etofts;
    let Some(g) = gpu() else { return };
    let (items, n) = (1_000_000usize, 80usize);
    let t: Vec<f64> = (0..n).map(|i| 4.0 * i as f64).collect();
    let cp: Vec<f64> = t
        .iter()
        .map(|s| {
            if *s < 20.0 {
                0.0
            } else {
                5.0 * (-(s - 20.0) / 90.0).exp()
            }
        })
        .collect();
    let mut r = rng(43);
    let kt: Vec<f64> = (0..items)
        .map(|_| 0.01 + 0.49 * rand::Rng::gen::<f64>(&mut r))
        .collect();
    let ve: Vec<f64> = (0..items)
        .map(|_| 0.05 + 0.55 * rand::Rng::gen::<f64>(&mut r))
        .collect();
    let vp: Vec<f64> = (0..items)
        .map(|_| 0.005 + 0.095 * rand::Rng::gen::<f64>(&mut r))
        .collect();
    let mut y = ndarray::Array2::<f64>::zeros((items, n));
    etofts::launch(&t, &cp, &kt, &ve, &vp, &mut y).unwrap();
    y.mapv_inplace(|v| v + 0.01 * (rand::Rng::gen::<f64>(&mut r) - 0.5));
    let td = on(g, &ndarray::Array1::from(t).into_dyn());
    let cd = on(g, &ndarray::Array1::from(cp).into_dyn());
    let yd = on(g, &y.into_dyn());
    let fitter = etofts::fitter(&td, &cd);
    let t0 = std::time::Instant::now();
    let _first = fitter.fit(&yd).unwrap();
    let first = t0.elapsed().as_secs_f64();
    let mut calls = Vec::new();
    let mut kernels = Vec::new();
    for _ in 0..5 {
        let t0 = std::time::Instant::now();
        let res = fitter.fit(&yd).unwrap();
        calls.push(t0.elapsed().as_secs_f64());
        kernels.push(osipy_kernels::last_cuda_kernel_seconds().unwrap());
        drop(res);
    }
    calls.sort_by(f64::total_cmp);
    kernels.sort_by(f64::total_cmp);
    let (call, kernel) = (calls[2], kernels[2]);
    println!(
        "etofts fit, {items} voxels x {n} samples on {g}: first call (JIT) {first:.3} s; median call {call:.4} s \
         ({:.0} voxels/s); median kernel {kernel:.4} s ({:.0} voxels/s of kernel time)",
        items as f64 / call,
        items as f64 / kernel
    );
}
