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
