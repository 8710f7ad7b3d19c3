//! Opt-in full sweeps (run in release):
//! `cargo test --release -p osipy-kernels --test math_full_sweep -- --ignored --nocapture --test-threads 1`
//!
//! * `f64_sweep`: 10 million arguments per f64 function (`SWEEP_N` overrides),
//!   log-uniform over the domain mixed with the hard regions (see
//!   `common/cases.rs`), against the correctly rounded 128-bit astro-float
//!   reference.
//! * `f32_exhaustive`: every one of the 2^32 binary32 bit patterns for `exp`,
//!   `exp2`, `ln`, `log2`, `log10` (`SWEEP_F32` = comma list to select),
//!   against the host libm's binary64 functions (glibc: exp/exp2/log/log2 are
//!   documented < 0.52 binary64 ulp, log10 < 2 ulp), i.e. a reference good
//!   to ~2^-28 binary32 ulp; "not correctly rounded" counts errors
//!   > 0.5 + 2^-20 ulp.
//! * `f32_pow_sample`: 100 million random `powf`/`powi` f32 pairs against
//!   glibc's binary64 `pow`, plus 200 000 against astro-float.

// `!(a <= b)` is deliberate: a NaN error must count as a failure.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

#[path = "math_common/mod.rs"]
mod common;

use common::cases::{hard_cases, ours, refval, sample, Target, ALL};
use common::{new_consts, reference, ulp_error, ulp_error_f32, ulp_error_f32_vs_f64, Func};
use osipy_kernels::math::f32 as m32;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::time::Instant;

#[derive(Clone, Copy)]
struct Stat {
    n: u64,
    max: f64,
    arg: (f64, f64),
    not_cr: u64,
}

impl Stat {
    fn new() -> Self {
        Stat {
            n: 0,
            max: 0.0,
            arg: (0.0, 0.0),
            not_cr: 0,
        }
    }
    fn add(&mut self, err: f64, arg: (f64, f64), cr_limit: f64) {
        self.n += 1;
        if err > cr_limit {
            self.not_cr += 1;
        }
        if !(err <= self.max) {
            self.max = err;
            self.arg = arg;
        }
    }
    fn merge(a: Stat, b: Stat) -> Stat {
        let (m, arg) = if !(b.max <= a.max) {
            (b.max, b.arg)
        } else {
            (a.max, a.arg)
        };
        Stat {
            n: a.n + b.n,
            max: m,
            arg,
            not_cr: a.not_cr + b.not_cr,
        }
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore]
fn f64_sweep() {
    let n = env_usize("SWEEP_N", 10_000_000);
    let chunk = 10_000;
    let mut failed = false;
    for (i, &t) in ALL.iter().enumerate() {
        let t0 = Instant::now();
        let chunks = n.div_ceil(chunk);
        let mut st = (0..chunks)
            .into_par_iter()
            .map_init(new_consts, |cc, c| {
                let mut rng = ChaCha8Rng::seed_from_u64(((i as u64) << 40) | c as u64);
                let mut s = Stat::new();
                for _ in 0..chunk {
                    let (x, y) = sample(t, &mut rng);
                    let r = refval(t, x, y, cc);
                    s.add(ulp_error(ours(t, x, y), &r), (x, y), 0.5);
                }
                s
            })
            .reduce(Stat::new, Stat::merge);
        let mut cc = new_consts();
        for (x, y) in hard_cases(t) {
            let r = refval(t, x, y, &mut cc);
            st.add(ulp_error(ours(t, x, y), &r), (x, y), 0.5);
        }
        let b = if matches!(t, Target::Pow | Target::Powi) {
            2.0
        } else {
            1.0
        };
        failed |= !(st.max <= b);
        println!(
            "f64 {t:?}: count={} max_ulp={:.5} at x={:e} y={:e} not_correctly_rounded={} ({:.0}s)",
            st.n,
            st.max,
            st.arg.0,
            st.arg.1,
            st.not_cr,
            t0.elapsed().as_secs_f64()
        );
    }
    assert!(!failed);
}

/// (our f32 function, binary64 libm reference).
type F32Pair = (fn(f32) -> f32, fn(f64) -> f64);

fn f32_fn(name: &str) -> F32Pair {
    match name {
        "exp" => (m32::exp, f64::exp),
        "exp2" => (m32::exp2, f64::exp2),
        "ln" => (m32::ln, f64::ln),
        "log2" => (m32::log2, f64::log2),
        _ => (m32::log10, f64::log10),
    }
}

#[test]
#[ignore]
fn f32_exhaustive() {
    let sel = std::env::var("SWEEP_F32").unwrap_or_else(|_| "exp,exp2,ln,log2,log10".into());
    let cr = 0.5 + 2f64.powi(-20);
    let mut failed = false;
    for name in sel.split(',') {
        let (ours, reff) = f32_fn(name);
        let t0 = Instant::now();
        let st = (0u32..1 << 16)
            .into_par_iter()
            .map(|hi| {
                let mut s = Stat::new();
                for lo in 0u32..1 << 16 {
                    let x = f32::from_bits((hi << 16) | lo);
                    let o = ours(x);
                    let r = reff(x as f64);
                    s.add(ulp_error_f32_vs_f64(o, r), (x as f64, 0.0), cr);
                }
                s
            })
            .reduce(Stat::new, Stat::merge);
        failed |= !(st.max <= 1.0);
        println!(
            "f32 {name} (all 2^32 inputs): count={} max_ulp={:.5} at x={:e} not_correctly_rounded={} ({:.0}s)",
            st.n,
            st.max,
            st.arg.0,
            st.not_cr,
            t0.elapsed().as_secs_f64()
        );
    }
    assert!(!failed);
}

fn pow_pair(rng: &mut impl Rng, int: bool) -> (f32, f32) {
    let u: f64 = rng.random();
    let x = f32::from_bits(rng.random::<u32>() & 0x7FFF_FFFF);
    let x = if x.is_finite() && x > 0.0 { x } else { 1.5 };
    let y = if u < 0.8 {
        (rng.random_range(-104.0..89.0) / (x as f64).ln()) as f32
    } else {
        f32::from_bits(rng.random::<u32>() & 0x7F7F_FFFF) // random finite magnitude
    };
    let y = if int || rng.random::<f64>() < 0.2 {
        y.round().clamp(-2e9, 2e9)
    } else {
        y
    };
    let s = if (int || y == y.round()) && rng.random::<bool>() {
        -1.0
    } else {
        1.0
    };
    (s * x, y)
}

#[test]
#[ignore]
fn f32_pow_sample() {
    let n = env_usize("SWEEP_N_F32POW", 100_000_000);
    let cr = 0.5 + 2f64.powi(-20);
    for (k, int) in [(0u64, false), (1u64, true)] {
        let name = if int { "powi" } else { "powf" };
        let t0 = Instant::now();
        let st = (0..n / 100_000)
            .into_par_iter()
            .map(|c| {
                let mut rng = ChaCha8Rng::seed_from_u64((k << 40) | 0xF3200000 | c as u64);
                let mut s = Stat::new();
                for _ in 0..100_000 {
                    let (x, y) = pow_pair(&mut rng, int);
                    let o = if int {
                        m32::powi(x, y as i32)
                    } else {
                        m32::powf(x, y)
                    };
                    let r = (x as f64).powf(y as f64);
                    s.add(ulp_error_f32_vs_f64(o, r), (x as f64, y as f64), cr);
                }
                s
            })
            .reduce(Stat::new, Stat::merge);
        println!(
            "f32 {name} vs glibc f64 pow: count={} max_ulp={:.5} at x={:e} y={:e} not_correctly_rounded={} ({:.0}s)",
            st.n,
            st.max,
            st.arg.0,
            st.arg.1,
            st.not_cr,
            t0.elapsed().as_secs_f64()
        );
        assert!(st.max <= 2.0);
        let t0 = Instant::now();
        let st = (0..20u64)
            .into_par_iter()
            .map_init(new_consts, |cc, c| {
                let mut rng = ChaCha8Rng::seed_from_u64((k << 40) | 0xA5700000 | c);
                let mut s = Stat::new();
                for _ in 0..10_000 {
                    let (x, y) = pow_pair(&mut rng, int);
                    let o = if int {
                        m32::powi(x, y as i32)
                    } else {
                        m32::powf(x, y)
                    };
                    let r = reference(Func::Pow, x as f64, y as f64, cc);
                    s.add(ulp_error_f32(o, &r), (x as f64, y as f64), 0.5);
                }
                s
            })
            .reduce(Stat::new, Stat::merge);
        println!(
            "f32 {name} vs astro-float: count={} max_ulp={:.5} at x={:e} y={:e} not_correctly_rounded={} ({:.0}s)",
            st.n,
            st.max,
            st.arg.0,
            st.arg.1,
            st.not_cr,
            t0.elapsed().as_secs_f64()
        );
        assert!(st.max <= 2.0);
    }
}
