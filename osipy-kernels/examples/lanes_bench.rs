//! Scalar against lane lowering, side by side in one process (needs the feature `lanes`,
//! otherwise both columns run the scalar lowering):
//!
//! ```text
//! cargo run --release -p osipy-kernels --features lanes --example lanes_bench -- [--reps N] [--voxels N]
//! ```
//!
//! Compute-bound kernels (an `exp` element-wise kernel, a row recurrence over shared rows),
//! memory-bound ones, and the generated extended Tofts fit of `fit_bench` (its `model.rs`) on
//! 80 samples. Builds only `osipy-kernels`, so it is quick to build with the feature.

#[path = "../../osipy/examples/fit_bench/model.rs"]
mod model;

use std::time::Instant;

use ndarray::{Array1, Array2};
use osipy_kernels::fit::LevenbergMarquardt;
use osipy_kernels::{cpu_lanes, with_cpu_lanes, xp_kernel, CpuLanes};

/// exp element-wise through the own math.
#[xp_kernel]
pub fn decay(x: f64, #[uniform] rate: f64) -> f64 {
    (-rate * x).exp()
}

/// First-order recursive filter over shared rows (loop-carried recurrence).
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

/// Element-wise, memory-bound.
#[xp_kernel]
pub fn r1_update(c: f64, r10: f64, #[uniform] relaxivity: f64, r1: &mut f64) {
    let v = r10 + relaxivity * c;
    *r1 = if v > 0.0 { v } else { 0.0 };
}

/// Row kernel, memory-bound: running trapezoidal integral.
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(f: &mut dyn FnMut()) -> f64 {
    let t0 = Instant::now();
    f();
    t0.elapsed().as_secs_f64()
}

fn compare(name: &str, items: usize, reps: usize, f: &mut dyn FnMut()) {
    let lanes = cpu_lanes();
    with_cpu_lanes(CpuLanes::Scalar, &mut *f);
    with_cpu_lanes(lanes, &mut *f);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        a.push(time(&mut || with_cpu_lanes(CpuLanes::Scalar, &mut *f)));
        b.push(time(&mut || with_cpu_lanes(lanes, &mut *f)));
    }
    let (ma, mb) = (median(a), median(b));
    println!(
        "| {name} | {:.2} ms | {:.0} /s | {:.2} ms | {:.0} /s | {:.2} |",
        ma * 1e3,
        items as f64 / ma,
        mb * 1e3,
        items as f64 / mb,
        ma / mb
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, d: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (reps, voxels) = (arg("--reps", 5), arg("--voxels", 300_000));
    println!(
        "lanes_bench: {} threads, {reps} reps, lanes {:?}",
        rayon::current_num_threads(),
        cpu_lanes()
    );
    println!("| case | scalar median | scalar items/s | lanes median | lanes items/s | speed-up |");
    println!("|---|---|---|---|---|---|");
    let n = 4_000_000;
    let x = Array1::from_shape_fn(n, |i| (i % 5000) as f64 * 1e-3);
    compare("exp f64 element-wise (compute), 4M items", n, reps, &mut || {
        std::hint::black_box(decay::launch(&x, 0.7).unwrap());
    });
    let m = 80;
    let t: Vec<f64> = (0..m).map(|i| i as f64 * 4.0 + (i % 3) as f64 * 0.25).collect();
    let xs: Vec<f64> = (0..m).map(|i| ((i * 7) % 13) as f64 * 0.1).collect();
    let items = 400_000;
    let a = Array1::from_shape_fn(items, |i| 0.5 + (i % 97) as f64 * 0.005);
    compare(
        "row recurrence, 80 samples (compute), 400k items",
        items,
        reps,
        &mut || {
            std::hint::black_box(recurrence::launch(&t, &xs, &a).unwrap());
        },
    );
    let n = 10_000_000;
    let conc = Array1::from_shape_fn(n, |i| (i % 1000) as f64 * 1e-3);
    let r10 = Array1::from_elem(n, 0.8);
    let mut o = Array1::<f64>::zeros(n);
    compare("element-wise f64 (memory), 10M items", n, reps, &mut || {
        r1_update::launch(&conc, &r10, 4.5, &mut o).unwrap();
    });
    let rows = 1_000_000;
    let y = Array2::from_shape_fn((rows, m), |(i, j)| ((i * 31 + j * 7) % 101) as f64 * 0.01);
    let mut p = Array2::<f64>::zeros((rows, m));
    compare("cumtrapz rows (memory), 1M x 80", rows, reps, &mut || {
        std::hint::black_box(cumtrapz::launch(&t, &y, &mut p).unwrap());
    });
    // Extended Tofts fit data: a Parker-like bolus, truths spread over the bounds, noise by
    // a fixed linear congruential sequence.
    let tt: Vec<f64> = (0..m).map(|i| i as f64 * 4.0).collect();
    let cp: Vec<f64> = tt
        .iter()
        .map(|&s| {
            let u = (s - 20.0).max(0.0) / 60.0;
            5.0 * u * (-u * 2.0).exp() + 0.5 * (1.0 - (-u).exp())
        })
        .collect();
    let mut seed: u64 = 1;
    let mut noise = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.02
    };
    let mut yv = Array2::<f64>::zeros((voxels, m));
    for v in 0..voxels {
        let kt = 0.01 + 0.49 * ((v * 37) % 1000) as f64 / 1000.0;
        let ve = 0.05 + 0.55 * ((v * 53) % 1000) as f64 / 1000.0;
        let vp = 0.005 + 0.095 * ((v * 71) % 1000) as f64 / 1000.0;
        let kep = kt / 60.0 / ve;
        let mut conv = 0.0;
        for k in 0..m {
            if k > 0 {
                let dt = tt[k] - tt[k - 1];
                let e = (-kep * dt).exp();
                conv = conv * e + kt / 60.0 * 0.5 * dt * (cp[k] + cp[k - 1] * e);
            }
            yv[[v, k]] = vp * cp[k] + conv + noise();
        }
    }
    let fitter = model::ext_tofts::fitter(&tt, &cp)
        .settings(LevenbergMarquardt::new())
        .init([0.1, 0.3, 0.05])
        .lower([1e-5, 1e-3, 0.0])
        .upper([5.0, 1.0, 1.0]);
    let mut same = true;
    let mut it = 0.0;
    compare(
        &format!("generated extended Tofts fit (voxels/s), {voxels} x {m}"),
        voxels,
        reps.min(3),
        &mut || {
            let r = fitter.fit(&yv).unwrap();
            let s: f64 = r.params.to_host().unwrap().iter().sum();
            it = r
                .iterations
                .to_host()
                .unwrap()
                .iter()
                .map(|&i| f64::from(i))
                .sum::<f64>()
                / voxels as f64;
            same &= s.is_finite();
        },
    );
    let a = with_cpu_lanes(CpuLanes::Scalar, || fitter.fit(&yv).unwrap());
    let b = fitter.fit(&yv).unwrap();
    let pa = a.params.to_host().unwrap();
    let pb = b.params.to_host().unwrap();
    let identical = pa
        .iter()
        .zip(pb.iter())
        .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
        && a.iterations.to_host().unwrap() == b.iterations.to_host().unwrap();
    println!("fit: mean iterations {it:.2}; scalar and lanes bit-identical: {identical}");
}
