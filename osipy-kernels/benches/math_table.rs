//! The own math against the platform libm (glibc), per call, side by side in one process.
//!
//! `cargo bench -p osipy-kernels --bench math_table [-- --reps N]`
//!
//! For each function: throughput (independent calls over an array of 1024 arguments, in
//! L1) and latency (a dependent chain, each argument computed from the previous result),
//! in ns per call, medians of `--reps` (default 31) alternating samples. "ours" is the
//! scalar function compiled with FMA (as the CPU launch's FMA build runs it), called
//! through a non-inlined function as glibc's is; "lanes" is the lane form with W = 4
//! inlined into a loop compiled for AVX2 and FMA (ns per element).

use std::hint::black_box;
use std::time::Instant;

use osipy_kernels::math::{f32 as m32, f64 as m64};

const N: usize = 1024;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// SplitMix64: deterministic arguments without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Seconds per call of `f` over `x` (`passes` passes).
fn throughput<T: Copy, U: Copy, R: Copy + Default>(
    f: &dyn Fn(T, U) -> R,
    x: &[T],
    y: &[U],
    passes: usize,
) -> f64 {
    let mut out = vec![R::default(); x.len()];
    let t0 = Instant::now();
    for _ in 0..passes {
        for i in 0..x.len() {
            out[i] = f(x[i], y[i]);
        }
        black_box(&mut out);
    }
    t0.elapsed().as_secs_f64() / (passes * x.len()) as f64
}

/// Seconds per step of the chain `v = next(f(v, y))`.
fn latency<T: Copy, U: Copy>(f: &dyn Fn(T, U) -> T, next: fn(T) -> T, v0: T, y: U, steps: usize) -> f64 {
    let mut v = black_box(v0);
    let t0 = Instant::now();
    for _ in 0..steps {
        v = next(f(v, y));
    }
    black_box(v);
    t0.elapsed().as_secs_f64() / steps as f64
}

/// Defines a non-inlined FMA build of a scalar function and an AVX2 + FMA loop of its lane
/// form over a slice.
macro_rules! ours {
    ($ours:ident, $lanes:ident, $t:ty, $u:ty, |$x:ident, $y:ident| $call:expr, |$xs:ident, $ys:ident| $lcall:expr) => {
        #[inline(never)]
        #[target_feature(enable = "fma")]
        fn $ours($x: $t, $y: $u) -> $t {
            $call
        }

        #[inline(never)]
        #[target_feature(enable = "avx2,fma")]
        fn $lanes(xv: &[$t], yv: &[$u], out: &mut [$t]) {
            for ((o, xc), yc) in out
                .chunks_exact_mut(4)
                .zip(xv.chunks_exact(4))
                .zip(yv.chunks_exact(4))
            {
                let $xs: [$t; 4] = [xc[0], xc[1], xc[2], xc[3]];
                let $ys: [$u; 4] = [yc[0], yc[1], yc[2], yc[3]];
                let r: [$t; 4] = $lcall;
                o.copy_from_slice(&r);
            }
        }
    };
}

ours!(exp_o, exp_l, f64, f64, |x, _y| m64::exp(x), |x, _y| {
    m64::exp_lanes(x)
});
ours!(exp2_o, exp2_l, f64, f64, |x, _y| m64::exp2(x), |x, _y| {
    m64::exp2_lanes(x)
});
ours!(ln_o, ln_l, f64, f64, |x, _y| m64::ln(x), |x, _y| m64::ln_lanes(x));
ours!(log2_o, log2_l, f64, f64, |x, _y| m64::log2(x), |x, _y| {
    m64::log2_lanes(x)
});
ours!(log10_o, log10_l, f64, f64, |x, _y| m64::log10(x), |x, _y| {
    m64::log10_lanes(x)
});
ours!(powf_o, powf_l, f64, f64, |x, y| m64::powf(x, y), |x, y| {
    m64::powf_lanes(x, y)
});
ours!(powi_o, powi_l, f64, i32, |x, n| m64::powi(x, n), |x, n| {
    m64::powi_lanes(x, n)
});
ours!(exp_o32, exp_l32, f32, f32, |x, _y| m32::exp(x), |x, _y| {
    m32::exp_lanes(x)
});
ours!(exp2_o32, exp2_l32, f32, f32, |x, _y| m32::exp2(x), |x, _y| {
    m32::exp2_lanes(x)
});
ours!(ln_o32, ln_l32, f32, f32, |x, _y| m32::ln(x), |x, _y| {
    m32::ln_lanes(x)
});
ours!(log2_o32, log2_l32, f32, f32, |x, _y| m32::log2(x), |x, _y| {
    m32::log2_lanes(x)
});
ours!(log10_o32, log10_l32, f32, f32, |x, _y| m32::log10(x), |x, _y| {
    m32::log10_lanes(x)
});
ours!(powf_o32, powf_l32, f32, f32, |x, y| m32::powf(x, y), |x, y| {
    m32::powf_lanes(x, y)
});
ours!(powi_o32, powi_l32, f32, i32, |x, n| m32::powi(x, n), |x, n| {
    m32::powi_lanes(x, n)
});

/// Defines a non-inlined call of a lane form with W = 4 compiled for AVX2 and FMA, for the
/// disassembly (`objdump -d` on the bench binary: `math_table::probe_*`).
macro_rules! probe {
    ($name:ident, $t:ty, $u:ty, |$x:ident, $y:ident| $call:expr) => {
        #[inline(never)]
        #[target_feature(enable = "avx2,fma")]
        fn $name($x: [$t; 4], $y: [$u; 4]) -> [$t; 4] {
            $call
        }
    };
}

probe!(probe_exp, f64, f64, |x, _y| m64::exp_lanes(x));
probe!(probe_exp2, f64, f64, |x, _y| m64::exp2_lanes(x));
probe!(probe_ln, f64, f64, |x, _y| m64::ln_lanes(x));
probe!(probe_log2, f64, f64, |x, _y| m64::log2_lanes(x));
probe!(probe_log10, f64, f64, |x, _y| m64::log10_lanes(x));
probe!(probe_powf, f64, f64, |x, y| m64::powf_lanes(x, y));
probe!(probe_powi, f64, i32, |x, n| m64::powi_lanes(x, n));
probe!(probe_exp32, f32, f32, |x, _y| m32::exp_lanes(x));
probe!(probe_ln32, f32, f32, |x, _y| m32::ln_lanes(x));
probe!(probe_powf32, f32, f32, |x, y| m32::powf_lanes(x, y));

/// Runs each probe once (so that it is kept in the binary) and checks it against the scalar
/// functions.
fn run_probes() {
    let x = [0.3, 1.7, 25.0, 700.0];
    let y = [1.5, -2.0, 0.5, 1.0];
    let n = [3, -2, 0, 1];
    let xf = x.map(|v| v as f32);
    let yf = y.map(|v| v as f32);
    // Safety: main checked that the CPU has AVX2 and FMA.
    let got = unsafe {
        [
            probe_exp(x, y),
            probe_exp2(x, y),
            probe_ln(x, y),
            probe_log2(x, y),
            probe_log10(x, y),
            probe_powf(x, y),
            probe_powi(x, n),
        ]
    };
    let want = [
        x.map(m64::exp),
        x.map(m64::exp2),
        x.map(m64::ln),
        x.map(m64::log2),
        x.map(m64::log10),
        [0, 1, 2, 3].map(|i| m64::powf(x[i], y[i])),
        [0, 1, 2, 3].map(|i| m64::powi(x[i], n[i])),
    ];
    let got32 = unsafe { [probe_exp32(xf, yf), probe_ln32(xf, yf), probe_powf32(xf, yf)] };
    let want32 = [
        xf.map(m32::exp),
        xf.map(m32::ln),
        [0, 1, 2, 3].map(|i| m32::powf(xf[i], yf[i])),
    ];
    let bits = |a: &[f64; 4]| a.map(f64::to_bits);
    let bits32 = |a: &[f32; 4]| a.map(f32::to_bits);
    assert!(
        got.iter().zip(&want).all(|(g, w)| bits(g) == bits(w)),
        "a probe differs from the scalar form"
    );
    assert!(
        got32.iter().zip(&want32).all(|(g, w)| bits32(g) == bits32(w)),
        "an f32 probe differs"
    );
}

type Lanes<T, U> = unsafe fn(&[T], &[U], &mut [T]);

/// One function's row: ours, glibc, lanes.
struct Case<T: 'static, U: 'static> {
    name: &'static str,
    ours: unsafe fn(T, U) -> T,
    glibc: fn(T, U) -> T,
    lanes: Lanes<T, U>,
    x: Vec<T>,
    y: Vec<U>,
    next: fn(T) -> T,
    v0: T,
    y0: U,
}

fn run<T: Copy + Default + PartialEq, U: Copy>(c: &Case<T, U>, reps: usize) {
    // Safety: main checked that the CPU has AVX2 and FMA.
    let ours = |x: T, y: U| unsafe { (c.ours)(x, y) };
    let glibc = |x: T, y: U| (c.glibc)(x, y);
    let passes = 100;
    let steps = 100_000;
    let mut out = vec![T::default(); c.x.len()];
    let mut s: [Vec<f64>; 5] = Default::default();
    for _ in 0..reps {
        s[0].push(throughput(&ours, &c.x, &c.y, passes));
        s[1].push(throughput(&glibc, &c.x, &c.y, passes));
        s[2].push(latency(&ours, c.next, c.v0, c.y0, steps));
        s[3].push(latency(&glibc, c.next, c.v0, c.y0, steps));
        let t0 = Instant::now();
        for _ in 0..passes {
            // Safety: as above.
            unsafe { (c.lanes)(&c.x, &c.y, &mut out) };
            black_box(&mut out);
        }
        s[4].push(t0.elapsed().as_secs_f64() / (passes * c.x.len()) as f64);
    }
    let same = (0..c.x.len()).all(|i| out[i] == ours(c.x[i], c.y[i]));
    assert!(same, "{}: lanes differ from the scalar form", c.name);
    let [to, tg, lo, lg, tl] = s.map(|v| median(v) * 1e9);
    println!(
        "| {} | {to:.2} | {tg:.2} | {:.2} | {lo:.2} | {lg:.2} | {:.2} | {tl:.2} |",
        c.name,
        to / tg,
        lo / lg
    );
}

fn main() {
    assert!(
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
        "this table needs a CPU with AVX2 and FMA"
    );
    let args: Vec<String> = std::env::args().collect();
    let reps = args
        .iter()
        .position(|a| a == "--reps")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(31);
    let mut r = Rng(0x5EED);
    let unif = |r: &mut Rng, lo: f64, hi: f64| (0..N).map(|_| r.uniform(lo, hi)).collect::<Vec<f64>>();
    let pos: Vec<f64> = (0..N).map(|_| 2f64.powf(r.uniform(-30.0, 30.0))).collect();
    let base: Vec<f64> = (0..N).map(|_| 2f64.powf(r.uniform(-10.0, 10.0))).collect();
    let e_x = unif(&mut r, -30.0, 30.0);
    let e2_x = unif(&mut r, -40.0, 40.0);
    let p_y = unif(&mut r, -10.0, 10.0);
    let n_y: Vec<i32> = (0..N).map(|_| r.uniform(-20.0, 21.0).floor() as i32).collect();
    let zeros = vec![0.0; N];
    let zeros32 = vec![0.0f32; N];
    let to32 = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
    run_probes();
    println!("reps: {reps}; ns per call, medians; ratio = ours / glibc; lanes checked equal to ours");
    println!(
        "| function | ours thr. | glibc thr. | ratio | ours lat. | glibc lat. | ratio | lanes W=4 thr. |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let exp_next: fn(f64) -> f64 = |v| v.mul_add(0.5, -1.0);
    let log_next: fn(f64) -> f64 = |v| v + 3.0;
    let pow_next: fn(f64) -> f64 = |v| v.mul_add(0.5, 0.25);
    let rows64 = [
        Case {
            name: "exp",
            ours: exp_o,
            glibc: |x, _| x.exp(),
            lanes: exp_l,
            x: e_x.clone(),
            y: zeros.clone(),
            next: exp_next,
            v0: 0.3,
            y0: 0.0,
        },
        Case {
            name: "exp2",
            ours: exp2_o,
            glibc: |x, _| x.exp2(),
            lanes: exp2_l,
            x: e2_x.clone(),
            y: zeros.clone(),
            next: exp_next,
            v0: 0.3,
            y0: 0.0,
        },
        Case {
            name: "ln",
            ours: ln_o,
            glibc: |x, _| x.ln(),
            lanes: ln_l,
            x: pos.clone(),
            y: zeros.clone(),
            next: log_next,
            v0: 2.0,
            y0: 0.0,
        },
        Case {
            name: "log2",
            ours: log2_o,
            glibc: |x, _| x.log2(),
            lanes: log2_l,
            x: pos.clone(),
            y: zeros.clone(),
            next: log_next,
            v0: 2.0,
            y0: 0.0,
        },
        Case {
            name: "log10",
            ours: log10_o,
            glibc: |x, _| x.log10(),
            lanes: log10_l,
            x: pos.clone(),
            y: zeros.clone(),
            next: log_next,
            v0: 2.0,
            y0: 0.0,
        },
        Case {
            name: "powf",
            ours: powf_o,
            glibc: |x, y| x.powf(y),
            lanes: powf_l,
            x: base.clone(),
            y: p_y.clone(),
            next: pow_next,
            v0: 1.5,
            y0: 1.3,
        },
    ];
    for c in &rows64 {
        run(c, reps);
    }
    run(
        &Case {
            name: "powi (glibc: pow(x, n as f64))",
            ours: powi_o,
            glibc: |x, n| x.powf(n as f64),
            lanes: powi_l,
            x: base.clone(),
            y: n_y.clone(),
            next: pow_next,
            v0: 1.5,
            y0: 3,
        },
        reps,
    );
    let exp_next32: fn(f32) -> f32 = |v| v.mul_add(0.5, -1.0);
    let log_next32: fn(f32) -> f32 = |v| v + 3.0;
    let pow_next32: fn(f32) -> f32 = |v| v.mul_add(0.5, 0.25);
    let rows32 = [
        Case {
            name: "f32 exp",
            ours: exp_o32,
            glibc: |x, _| x.exp(),
            lanes: exp_l32,
            x: to32(&e_x),
            y: zeros32.clone(),
            next: exp_next32,
            v0: 0.3,
            y0: 0.0,
        },
        Case {
            name: "f32 exp2",
            ours: exp2_o32,
            glibc: |x, _| x.exp2(),
            lanes: exp2_l32,
            x: to32(&e2_x),
            y: zeros32.clone(),
            next: exp_next32,
            v0: 0.3,
            y0: 0.0,
        },
        Case {
            name: "f32 ln",
            ours: ln_o32,
            glibc: |x, _| x.ln(),
            lanes: ln_l32,
            x: to32(&pos),
            y: zeros32.clone(),
            next: log_next32,
            v0: 2.0,
            y0: 0.0,
        },
        Case {
            name: "f32 log2",
            ours: log2_o32,
            glibc: |x, _| x.log2(),
            lanes: log2_l32,
            x: to32(&pos),
            y: zeros32.clone(),
            next: log_next32,
            v0: 2.0,
            y0: 0.0,
        },
        Case {
            name: "f32 log10",
            ours: log10_o32,
            glibc: |x, _| x.log10(),
            lanes: log10_l32,
            x: to32(&pos),
            y: zeros32.clone(),
            next: log_next32,
            v0: 2.0,
            y0: 0.0,
        },
        Case {
            name: "f32 powf",
            ours: powf_o32,
            glibc: |x, y| x.powf(y),
            lanes: powf_l32,
            x: to32(&base),
            y: to32(&p_y),
            next: pow_next32,
            v0: 1.5,
            y0: 1.3,
        },
    ];
    for c in &rows32 {
        run(c, reps);
    }
    run(
        &Case {
            name: "f32 powi (glibc: powf(x, n as f32))",
            ours: powi_o32,
            glibc: |x, n| x.powf(n as f32),
            lanes: powi_l32,
            x: to32(&base),
            y: n_y,
            next: pow_next32,
            v0: 1.5,
            y0: 3,
        },
        reps,
    );
}
