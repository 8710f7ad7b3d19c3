//! Shared helpers: seeded data with edge values, bitwise comparison, thread pools.

#![allow(dead_code)]

use ndarray::{ArrayD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Item counts that exercise empty, single and uneven splits over threads and chunks.
pub const COUNTS: [usize; 6] = [0, 1, 3, 7, 1000, 4097];

/// Values that stress float semantics, mixed into random data.
pub const EDGES: [f64; 10] = [
    0.0,
    -0.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MIN_POSITIVE,
    5e-324,
    -1.5,
    1e300,
    -2.5,
];

/// A seeded generator.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Random f64 data of `shape`, with about one edge value in eight.
pub fn data(rng: &mut ChaCha8Rng, shape: &[usize], edges: bool) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(shape), |_| {
        if edges && rng.gen_ratio(1, 8) {
            EDGES[rng.gen_range(0..EDGES.len())]
        } else {
            rng.gen_range(-10.0..10.0)
        }
    })
}

/// Asserts two f64 sequences are identical bit for bit (any NaN equals any NaN).
pub fn assert_bits_eq<'a>(
    got: impl IntoIterator<Item = &'a f64>,
    want: impl IntoIterator<Item = &'a f64>,
    what: &str,
) {
    let got: Vec<f64> = got.into_iter().copied().collect();
    let want: Vec<f64> = want.into_iter().copied().collect();
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let same = g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan());
        assert!(
            same,
            "{what}: element {i}: got {g:e} ({:#x}), want {w:e} ({:#x})",
            g.to_bits(),
            w.to_bits()
        );
    }
}

/// Runs `f` in a rayon pool of `n` threads.
pub fn with_threads<R: Send>(n: usize, f: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
        Ok(pool) => pool.install(f),
        Err(e) => panic!("thread pool: {e}"),
    }
}

/// Runs every corpus kernel on devices `a` and `b` with `inputs` and asserts identical bits
/// (return values and outputs) or identical errors. Returns the number of kernels run.
pub fn corpus_same_on(
    a: osipy_kernels::Device,
    b: osipy_kernels::Device,
    inputs: &osipy_tests::corpus::Inputs,
    tag: &str,
) -> usize {
    for (name, run, _) in osipy_tests::corpus::ALL {
        let (c, e) = (run(a, inputs), run(b, inputs));
        let what = format!("{name} {tag}");
        match (&c.0, &e.0) {
            (Ok(x), Ok(y)) => {
                assert_eq!(x.shape(), y.shape(), "{what}: shapes");
                assert_bits_eq(x.iter(), y.iter(), &what);
            }
            (x, y) => assert_eq!(x, y, "{what}"),
        }
        assert_bits_eq(c.1.iter(), e.1.iter(), &format!("{what} out"));
    }
    osipy_tests::corpus::ALL.len()
}

/// Runs `f` under the scalar CPU lowering and under both builds of the lane lowering (4 AVX2
/// lanes, 2 baseline lanes), asserts that `key` (the results' bits) is the same for all three,
/// and returns the scalar lowering's result.
pub fn lanes_agree<R, K: PartialEq + std::fmt::Debug>(
    what: &str,
    f: impl Fn() -> R,
    key: impl Fn(&R) -> K,
) -> R {
    use osipy_kernels::{with_cpu_lanes, CpuLanes};
    let scalar = with_cpu_lanes(CpuLanes::Scalar, &f);
    let want = key(&scalar);
    for mode in [CpuLanes::Avx2, CpuLanes::Sse2] {
        let got = key(&with_cpu_lanes(mode, &f));
        assert!(
            got == want,
            "{what}: lane lowering {mode:?} differs from the scalar one"
        );
    }
    scalar
}
