//! Side-by-side table: the macro's CPU `launch` against hand-written rayon loops.
//!
//! Runs the two versions alternately, `--reps` times each (default 15), and prints medians,
//! items per second and the ratio. `cargo run --release -p osipy-benches --bin launch_table`

use std::time::Instant;

use ndarray::{Array1, Array2};
use osipy_benches::{
    cumtrapz, cumtrapz_hand, decay, decay_hand, inputs, r1_update, r1_update_hand, recurrence,
};
use osipy_kernels::{cpu_lanes, with_cpu_lanes, CpuLanes};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(f: &mut dyn FnMut()) -> f64 {
    let t0 = Instant::now();
    f();
    t0.elapsed().as_secs_f64()
}

fn compare(name: &str, items: usize, reps: usize, ours: &mut dyn FnMut(), hand: &mut dyn FnMut()) -> f64 {
    ours();
    hand();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        a.push(time(ours));
        b.push(time(hand));
    }
    let (ma, mb) = (median(a), median(b));
    println!(
        "| {name} | {:.2} ms | {:.1} M/s | {:.2} ms | {:.1} M/s | {:.3} |",
        ma * 1e3,
        items as f64 / ma / 1e6,
        mb * 1e3,
        items as f64 / mb / 1e6,
        mb / ma
    );
    mb / ma
}

/// The same launch under the scalar lowering and under the lane lowering, alternately; prints
/// the medians and the speed-up (scalar time / lanes time).
fn lanes_vs_scalar(name: &str, items: usize, reps: usize, f: &mut dyn FnMut()) -> f64 {
    let lanes = cpu_lanes();
    with_cpu_lanes(CpuLanes::Scalar, &mut *f);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        a.push(time(&mut || with_cpu_lanes(CpuLanes::Scalar, &mut *f)));
        b.push(time(&mut || with_cpu_lanes(lanes, &mut *f)));
    }
    let (ma, mb) = (median(a), median(b));
    println!(
        "| {name} | {:.2} ms | {:.1} M/s | {:.2} ms | {:.1} M/s | {:.2} |",
        ma * 1e3,
        items as f64 / ma / 1e6,
        mb * 1e3,
        items as f64 / mb / 1e6,
        ma / mb
    );
    ma / mb
}

/// Scalar against lanes: compute-bound kernels (the targets) and memory-bound ones.
fn lanes_table(reps: usize) {
    println!("\nCPU lowering: scalar against lanes ({:?})", cpu_lanes());
    println!(
        "| case | scalar median | scalar items/s | lanes median | lanes items/s | speed-up scalar/lanes |"
    );
    println!("|---|---|---|---|---|---|");
    let n = 4_000_000;
    let x = Array1::from_shape_fn(n, |i| (i % 5000) as f64 * 1e-3);
    lanes_vs_scalar("exp f64 element-wise (compute), 4M items", n, reps, &mut || {
        std::hint::black_box(decay::launch(&x, 0.7).unwrap());
    });
    let (m, items) = (80, 400_000);
    let (t, _) = inputs(1, m);
    let xs: Vec<f64> = (0..m).map(|i| ((i * 7) % 13) as f64 * 0.1).collect();
    let a = Array1::from_shape_fn(items, |i| 0.5 + (i % 97) as f64 * 0.005);
    lanes_vs_scalar(
        "row recurrence over 80 samples (compute), 400k items",
        items,
        reps,
        &mut || {
            std::hint::black_box(recurrence::launch(&t, &xs, &a).unwrap());
        },
    );
    let conc = Array1::from_shape_fn(10_000_000, |i| (i % 1000) as f64 * 1e-3);
    let r10 = Array1::from_elem(10_000_000, 0.8);
    let mut o = Array1::<f64>::zeros(10_000_000);
    lanes_vs_scalar(
        "element-wise f64 (memory), 10M items",
        10_000_000,
        reps,
        &mut || {
            r1_update::launch(&conc, &r10, 4.5, &mut o).unwrap();
        },
    );
    let (n, m) = (1_000_000, 80);
    let (t, y) = inputs(n, m);
    let mut p = Array2::<f64>::zeros((n, m));
    lanes_vs_scalar("row f64 cumtrapz (memory), 1M rows x 80", n, reps, &mut || {
        std::hint::black_box(cumtrapz::launch(&t, &y, &mut p).unwrap());
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps = args
        .iter()
        .position(|a| a == "--reps")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    println!("threads: {}, reps: {reps}", rayon::current_num_threads());
    println!(
        "| case | launch median | launch items/s | hand median | hand items/s | speed ratio launch/hand |"
    );
    println!("|---|---|---|---|---|---|");
    let n = 10_000_000;
    let conc = Array1::from_shape_fn(n, |i| (i % 1000) as f64 * 1e-3);
    let r10 = Array1::from_elem(n, 0.8);
    let mut o1 = Array1::<f64>::zeros(n);
    let mut o2 = Array1::<f64>::zeros(n);
    let r_el = compare(
        "element-wise f64, 10M items",
        n,
        reps,
        &mut || {
            r1_update::launch(&conc, &r10, 4.5, &mut o1).unwrap();
        },
        &mut || r1_update_hand(conc.view(), r10.view(), 4.5, o2.view_mut()),
    );
    assert_eq!(o1, o2, "element-wise results differ");
    let (n, m) = (1_000_000, 80);
    let (t, y) = inputs(n, m);
    let mut p1 = Array2::<f64>::zeros((n, m));
    let mut p2 = Array2::<f64>::zeros((n, m));
    let mut s1 = None;
    let mut s2 = None;
    let r_row = compare(
        "row f64, 1M rows x 80",
        n,
        reps,
        &mut || s1 = Some(cumtrapz::launch(&t, &y, &mut p1).unwrap()),
        &mut || s2 = Some(cumtrapz_hand(&t, y.view(), p2.view_mut())),
    );
    assert_eq!(p1, p2, "row results differ");
    let s1 = s1.and_then(|a| a.into_host().ok()).unwrap_or_default();
    assert_eq!(
        s1.as_slice(),
        s2.unwrap_or_default().as_slice(),
        "row totals differ"
    );
    // Informational: the project's own exp (identical on CPU and GPU) against the platform libm.
    let n = 10_000_000;
    let x = Array1::from_shape_fn(n, |i| (i % 5000) as f64 * 1e-3);
    let mut d2 = Array1::<f64>::zeros(n);
    let mut d1 = None;
    compare(
        "exp f64 (own math vs libm), 10M items",
        n,
        reps,
        &mut || d1 = Some(decay::launch(&x, 0.7).unwrap()),
        &mut || decay_hand(x.view(), 0.7, d2.view_mut()),
    );
    let d1 = d1.and_then(|a| a.into_host().ok()).unwrap_or_default();
    let max_diff = d1
        .iter()
        .zip(d2.iter())
        .map(|(a, b)| (a - b).abs() / b.abs())
        .fold(0.0f64, f64::max);
    println!("exp: largest relative difference to libm {max_diff:.2e}");
    lanes_table(reps);
    println!("min_ratio {:.3}", r_el.min(r_row));
}
