//! The macro's CPU `launch` against a hand-written rayon loop over ndarray, in the same run.
//!
//! `cargo bench -p osipy-benches --bench launch`

// criterion_group! generates undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::{Array1, Array2};
use osipy_benches::{cumtrapz, cumtrapz_hand, inputs, r1_update, r1_update_hand};

fn elementwise(c: &mut Criterion) {
    let n = 10_000_000;
    let conc = Array1::from_shape_fn(n, |i| (i % 1000) as f64 * 1e-3);
    let r10 = Array1::from_elem(n, 0.8);
    let mut out = Array1::<f64>::zeros(n);
    let mut g = c.benchmark_group("elementwise_f64_10M");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(20);
    g.bench_function(BenchmarkId::new("xp_kernel_launch", n), |b| {
        b.iter(|| r1_update::launch(&conc, &r10, 4.5, &mut out).unwrap())
    });
    g.bench_function(BenchmarkId::new("hand_written_rayon", n), |b| {
        b.iter(|| r1_update_hand(conc.view(), r10.view(), 4.5, out.view_mut()))
    });
    g.finish();
}

fn rows(c: &mut Criterion) {
    let (n, m) = (1_000_000, 80);
    let (t, y) = inputs(n, m);
    let mut out = Array2::<f64>::zeros((n, m));
    let mut g = c.benchmark_group("row_f64_1Mx80");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("xp_kernel_launch", n), |b| {
        b.iter(|| cumtrapz::launch(&t, &y, &mut out).unwrap())
    });
    g.bench_function(BenchmarkId::new("hand_written_rayon", n), |b| {
        b.iter(|| cumtrapz_hand(&t, y.view(), out.view_mut()))
    });
    g.finish();
}

criterion_group!(benches, elementwise, rows);
criterion_main!(benches);
