//! Kernels and hand-written equivalents for the benchmarks.
//!
//! Each `#[xp_kernel]` here has a hand-written rayon + ndarray twin computing the same values,
//! so the benchmarks measure the cost of the macro's CPU `launch` over idiomatic Rust.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, Zip};
use osipy_kernels::xp_kernel;

/// Element-wise: a relaxation-rate update `r1 = r10 + relaxivity * c`, clamped at zero.
#[xp_kernel]
pub fn r1_update(c: f64, r10: f64, #[uniform] relaxivity: f64, r1: &mut f64) {
    let v = r10 + relaxivity * c;
    *r1 = if v > 0.0 { v } else { 0.0 };
}

/// Hand-written twin of [`r1_update()`].
pub fn r1_update_hand(c: ArrayView1<f64>, r10: ArrayView1<f64>, relaxivity: f64, mut r1: ArrayViewMut1<f64>) {
    Zip::from(&mut r1).and(&c).and(&r10).par_for_each(|o, &c, &r10| {
        let v = r10 + relaxivity * c;
        *o = if v > 0.0 { v } else { 0.0 };
    });
}

/// Row kernel: running trapezoidal integral of a curve on a shared time axis, and its total.
#[xp_kernel]
pub fn cumtrapz(#[uniform] t: &[f64], y: &[f64], out: &mut [f64]) -> f64 {
    let mut s = 0.0;
    out[0] = 0.0;
    for i in 1..y.len() {
        s += 0.5 * (t[i] - t[i - 1]) * (y[i] + y[i - 1]);
        out[i] = s;
    }
    s
}

/// Hand-written twin of [`cumtrapz()`].
pub fn cumtrapz_hand(t: &[f64], y: ArrayView2<f64>, mut out: ArrayViewMut2<f64>) -> Array1<f64> {
    let mut total = Array1::<f64>::zeros(y.nrows());
    Zip::from(out.axis_iter_mut(Axis(0)))
        .and(y.axis_iter(Axis(0)))
        .and(&mut total)
        .par_for_each(|mut o, y, tot| {
            let mut s = 0.0;
            o[0] = 0.0;
            for i in 1..y.len() {
                s += 0.5 * (t[i] - t[i - 1]) * (y[i] + y[i - 1]);
                o[i] = s;
            }
            *tot = s;
        });
    total
}

/// Deterministic inputs: `n` items of `m` samples.
pub fn inputs(n: usize, m: usize) -> (Vec<f64>, Array2<f64>) {
    let t: Vec<f64> = (0..m).map(|i| i as f64 * 4.0 + (i % 3) as f64 * 0.25).collect();
    let y = Array2::from_shape_fn((n, m), |(i, j)| ((i * 31 + j * 7) % 101) as f64 * 0.01);
    (t, y)
}

/// Element-wise transcendental: exponential decay through the project's own `exp`.
#[xp_kernel]
pub fn decay(x: f64, #[uniform] rate: f64) -> f64 {
    (-rate * x).exp()
}

/// Hand-written twin of [`decay()`], with std's `exp` (the platform libm).
pub fn decay_hand(x: ArrayView1<f64>, rate: f64, mut out: ArrayViewMut1<f64>) {
    Zip::from(&mut out)
        .and(&x)
        .par_for_each(|o, &x| *o = (-rate * x).exp());
}

/// Row kernel with a loop-carried recurrence over shared rows: a first-order recursive filter
/// of `x` on the grid `t` with a per-item decay `a`, and the sum of its output. Compute-bound
/// (the rows are the same for every item).
#[xp_kernel]
pub fn recurrence(#[uniform] t: &[f64], #[uniform] x: &[f64], a: f64) -> f64 {
    let mut s: f64 = 0.0;
    let mut acc = 0.0;
    for i in 1..t.len() {
        s = s.mul_add(a, (t[i] - t[i - 1]) * x[i]);
        acc += s;
    }
    acc
}
