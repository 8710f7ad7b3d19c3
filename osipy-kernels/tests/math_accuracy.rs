//! CI-sized accuracy test against the 128-bit astro-float reference
//! (a few thousand arguments per function, deterministic seeds).
//! Run: `cargo test -p osipy-kernels --test math_accuracy -- --nocapture`.

// `!(a <= b)` is deliberate: a NaN error must count as a failure.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

#[path = "math_common/mod.rs"]
mod common;

use common::cases::{hard_cases, ours, refval, sample, Target, ALL};
use common::{new_consts, reference, ulp_error, ulp_error_f32, Func};
use osipy_kernels::math::f32 as m32;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N: usize = 3000;

fn bound(t: Target) -> f64 {
    match t {
        Target::Pow | Target::Powi => 2.0,
        _ => 1.0,
    }
}

#[test]
fn f64_sample_accuracy() {
    let mut cc = new_consts();
    let mut failed = false;
    for (i, &t) in ALL.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x5EED_0000 + i as u64);
        let mut args = hard_cases(t);
        for _ in 0..N {
            args.push(sample(t, &mut rng));
        }
        let (mut max, mut arg, mut not_cr) = (0.0f64, (0.0, 0.0), 0usize);
        for &(x, y) in &args {
            let r = refval(t, x, y, &mut cc);
            let err = ulp_error(ours(t, x, y), &r);
            if err > 0.5 {
                not_cr += 1;
            }
            if !(err <= max) {
                max = err;
                arg = (x, y);
            }
        }
        println!(
            "{t:?}: n={} max_ulp={max:.4} at {arg:?} not_correctly_rounded={not_cr}",
            args.len()
        );
        failed |= !(max <= bound(t));
    }
    assert!(!failed, "an f64 function exceeded its ulp bound");
}

/// One random f32 argument pair for the named function.
fn sample_f32(name: &str, rng: &mut ChaCha8Rng) -> (f32, f32) {
    let any_pos = |rng: &mut ChaCha8Rng| f32::from_bits(rng.random_range(1u32..0x7F80_0000));
    match name {
        "exp" => (rng.random_range(-104.0f32..89.0), 0.0),
        "exp2" => (rng.random_range(-150.0f32..128.5), 0.0),
        "pow" | "powi" => {
            let x = any_pos(rng);
            let t: f64 = rng.random_range(-104.0..89.0);
            let y = (t / (x as f64).ln()) as f32;
            if name == "powi" {
                let n = (y as f64).round().clamp(-1e9, 1e9) as f32;
                let s = if n % 2.0 != 0.0 && rng.random::<bool>() {
                    -1.0
                } else {
                    1.0
                };
                (s * x, n)
            } else {
                (x, y)
            }
        }
        _ => {
            if rng.random::<bool>() {
                (any_pos(rng), 0.0)
            } else {
                (1.0 + rng.random_range(-0.3f32..0.4), 0.0)
            }
        }
    }
}

#[test]
fn f32_sample_accuracy() {
    let mut cc = new_consts();
    let funcs: [(&str, Func, f64); 7] = [
        ("exp", Func::Exp, 1.0),
        ("exp2", Func::Exp2, 1.0),
        ("ln", Func::Ln, 1.0),
        ("log2", Func::Log2, 1.0),
        ("log10", Func::Log10, 1.0),
        ("pow", Func::Pow, 2.0),
        ("powi", Func::Pow, 2.0),
    ];
    let mut failed = false;
    for (i, &(name, f, b)) in funcs.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(0xF32_0000 + i as u64);
        let (mut max, mut arg, mut not_cr) = (0.0f64, (0.0f32, 0.0f32), 0usize);
        for _ in 0..N {
            let (x, y) = sample_f32(name, &mut rng);
            let o = match name {
                "exp" => m32::exp(x),
                "exp2" => m32::exp2(x),
                "ln" => m32::ln(x),
                "log2" => m32::log2(x),
                "log10" => m32::log10(x),
                "pow" => m32::powf(x, y),
                _ => m32::powi(x, y as i32),
            };
            let r = reference(f, x as f64, y as f64, &mut cc);
            let err = ulp_error_f32(o, &r);
            if err > 0.5 {
                not_cr += 1;
            }
            if !(err <= max) {
                max = err;
                arg = (x, y);
            }
        }
        println!("f32 {name}: n={N} max_ulp={max:.4} at {arg:?} not_correctly_rounded={not_cr}");
        failed |= !(max <= b);
    }
    assert!(!failed, "an f32 function exceeded its ulp bound");
}
