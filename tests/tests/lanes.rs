//! The lane lowering of the CPU backend (4 AVX2 lanes, 2 baseline lanes) gives the bits of the
//! scalar lowering and of the emulator for every kernel of the corpus, at item counts around
//! the lane widths (0, 1, W-1, W+1, 257) on random data with edge values (NaN, infinities,
//! subnormals, -0), with the same errors and the same partial writes.

mod common;

use common::*;
use osipy_kernels::{with_cpu_lanes, CpuLanes, Device};
use osipy_tests as k;

const LANES: [CpuLanes; 2] = [CpuLanes::Avx2, CpuLanes::Sse2];

fn ints(r: &mut rand_chacha::ChaCha8Rng, n: usize) -> (ndarray::ArrayD<i32>, ndarray::ArrayD<u64>) {
    use rand::Rng;
    let ie = [0, 1, -1, 2, i32::MAX, i32::MIN, 7, -9];
    let ue = [0, 1, u64::MAX, 1 << 63, 12, 97];
    let i = ndarray::Array1::from_shape_fn(n, |_| {
        if r.gen_ratio(1, 4) {
            ie[r.gen_range(0..ie.len())]
        } else {
            r.gen()
        }
    })
    .into_dyn();
    let u = ndarray::Array1::from_shape_fn(n, |_| {
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
fn corpus_lanes_equal_scalar_and_emulator_at_counts_around_the_width() {
    let mut r = rng(41);
    let mut compared = 0;
    for (n, width) in [(0usize, 3usize), (1, 4), (2, 5), (3, 3), (5, 8), (257, 6), (9, 0)] {
        let (i, u) = ints(&mut r, n);
        let inputs = k::corpus::Inputs {
            x: data(&mut r, &[n], true),
            y: data(&mut r, &[n], true),
            i,
            u,
            row: data(&mut r, &[n, width], true),
            out: data(&mut r, &[n, width], false),
        };
        for (name, run, _) in k::corpus::ALL {
            let scalar = with_cpu_lanes(CpuLanes::Scalar, || run(Device::Cpu, &inputs));
            let emu = run(Device::Emulator, &inputs);
            for mode in LANES {
                let lanes = with_cpu_lanes(mode, || run(Device::Cpu, &inputs));
                let what = format!("{name} n={n} width={width} {mode:?}");
                for other in [&scalar, &emu] {
                    match (&lanes.0, &other.0) {
                        (Ok(x), Ok(y)) => {
                            assert_eq!(x.shape(), y.shape(), "{what}: shapes");
                            assert_bits_eq(x.iter(), y.iter(), &what);
                        }
                        (x, y) => assert_eq!(x, y, "{what}"),
                    }
                    assert_bits_eq(lanes.1.iter(), other.1.iter(), &format!("{what} out"));
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 7 * 2 * k::corpus::ALL.len());
}

#[test]
fn lanes_give_the_same_bits_on_any_thread_count() {
    let mut r = rng(42);
    let n = 1029;
    let x = data(&mut r, &[n, 7], true);
    let w = data(&mut r, &[7], false);
    let one = with_cpu_lanes(CpuLanes::Avx2, || {
        with_threads(1, || {
            k::weighted_sum::launch(&w, &x).unwrap().into_host().unwrap()
        })
    });
    let two = with_threads(2, || {
        with_cpu_lanes(CpuLanes::Avx2, || {
            k::weighted_sum::launch(&w, &x).unwrap().into_host().unwrap()
        })
    });
    let scalar = with_cpu_lanes(CpuLanes::Scalar, || {
        k::weighted_sum::launch(&w, &x).unwrap().into_host().unwrap()
    });
    assert_bits_eq(one.iter(), scalar.iter(), "1 thread");
    assert_bits_eq(two.iter(), scalar.iter(), "2 threads");
    assert!(scalar.iter().any(|v| v.is_finite() && *v != 0.0));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn the_lowering_choice_follows_the_override() {
    assert_eq!(
        with_cpu_lanes(CpuLanes::Scalar, osipy_kernels::cpu_lanes),
        CpuLanes::Scalar
    );
    assert_eq!(
        with_cpu_lanes(CpuLanes::Sse2, osipy_kernels::cpu_lanes),
        CpuLanes::Sse2
    );
    let avx2 = std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma");
    let want = if avx2 { CpuLanes::Avx2 } else { CpuLanes::Scalar };
    assert_eq!(with_cpu_lanes(CpuLanes::Avx2, osipy_kernels::cpu_lanes), want);
}
