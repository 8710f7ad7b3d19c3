//! Deterministic argument generators for the accuracy tests: log-uniform
//! sampling over each domain mixed with the hard regions (near 0, near 1,
//! overflow/underflow thresholds, subnormals, large |y|, negative bases).

use super::{log_uniform, reference, Func};
use astro_float::{BigFloat, Consts};
use osipy_kernels::math::f64 as m;
use rand::{Rng, RngExt};

/// The f64 functions under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Exp,
    Exp2,
    Ln,
    Log2,
    Log10,
    Pow,
    Powi,
}

pub const ALL: [Target; 7] = [
    Target::Exp,
    Target::Exp2,
    Target::Ln,
    Target::Log2,
    Target::Log10,
    Target::Pow,
    Target::Powi,
];

/// Our result for argument `(x, y)` (`y` is the exponent for pow/powi).
pub fn ours(t: Target, x: f64, y: f64) -> f64 {
    match t {
        Target::Exp => m::exp(x),
        Target::Exp2 => m::exp2(x),
        Target::Ln => m::ln(x),
        Target::Log2 => m::log2(x),
        Target::Log10 => m::log10(x),
        Target::Pow => m::powf(x, y),
        Target::Powi => m::powi(x, y as i32),
    }
}

/// 128-bit reference value.
pub fn refval(t: Target, x: f64, y: f64, cc: &mut Consts) -> BigFloat {
    let f = match t {
        Target::Exp => Func::Exp,
        Target::Exp2 => Func::Exp2,
        Target::Ln => Func::Ln,
        Target::Log2 => Func::Log2,
        Target::Log10 => Func::Log10,
        Target::Pow | Target::Powi => Func::Pow,
    };
    reference(f, x, y, cc)
}

/// Random positive finite double with uniformly random bits (log-uniform
/// over the whole range, ~2.4% subnormal).
fn any_positive(rng: &mut impl Rng) -> f64 {
    loop {
        let b = rng.random::<u64>() & 0x7FFF_FFFF_FFFF_FFFF;
        let v = f64::from_bits(b);
        if v.is_finite() && v > 0.0 {
            return v;
        }
    }
}

fn near_one(rng: &mut impl Rng) -> f64 {
    let d = log_uniform(rng, -53.0, -1.0, true);
    1.0 + d
}

/// Exponent `y` such that `y * ln x` is about `target`.
fn exponent_for(x: f64, target: f64) -> f64 {
    let l = x.ln();
    if l == 0.0 {
        1.0
    } else {
        target / l
    }
}

/// One random argument for `t`.
pub fn sample(t: Target, rng: &mut impl Rng) -> (f64, f64) {
    let u: f64 = rng.random();
    match t {
        Target::Exp | Target::Exp2 => {
            let (ovf, unf, sub): (f64, f64, f64) = if t == Target::Exp {
                (709.8, -745.2, -708.4)
            } else {
                (1024.0, -1075.5, -1022.0)
            };
            let x = if u < 0.35 {
                log_uniform(rng, -40.0, ovf.log2(), true)
            } else if u < 0.6 {
                rng.random_range(unf..ovf)
            } else if u < 0.75 {
                rng.random_range(ovf - 1.0..ovf)
            } else if u < 0.9 {
                rng.random_range(unf..sub)
            } else if u < 0.95 {
                log_uniform(rng, -1074.0, -40.0, true)
            } else {
                // near (half-)integers, where exp2's reduction is delicate
                let k: f64 = rng.random_range(-1074.0f64..1023.0).round() * 0.5;
                k + log_uniform(rng, -50.0, -10.0, true)
            };
            (x, 0.0)
        }
        Target::Ln | Target::Log2 | Target::Log10 => {
            let x = if u < 0.5 {
                any_positive(rng)
            } else if u < 0.75 {
                near_one(rng)
            } else if u < 0.85 {
                f64::from_bits(rng.random_range(1u64..0x0010_0000_0000_0000))
            } else {
                log_uniform(rng, -20.0, 20.0, false)
            };
            (x, 0.0)
        }
        Target::Pow => {
            let (x, tgt) = if u < 0.35 {
                (any_positive(rng), rng.random_range(-750.0..712.0))
            } else if u < 0.5 {
                (near_one(rng), rng.random_range(-750.0..712.0))
            } else if u < 0.6 {
                (any_positive(rng), rng.random_range(-745.2..-708.0))
            } else if u < 0.7 {
                (any_positive(rng), rng.random_range(708.0..709.8))
            } else if u < 0.8 {
                (
                    log_uniform(rng, -30.0, 30.0, false),
                    rng.random_range(-50.0..50.0),
                )
            } else if u < 0.92 {
                // negative base, integer exponent
                let x = -log_uniform(rng, -40.0, 40.0, false);
                let y = exponent_for(-x, rng.random_range(-750.0..712.0)).round();
                let y = if y.abs() < 1.0 { 3.0 } else { y };
                return (x, y);
            } else {
                // fully random pairs: mostly overflow / underflow
                return (any_positive(rng), log_uniform(rng, -30.0, 60.0, true));
            };
            let y = exponent_for(x, tgt);
            (x, if y == 0.0 || !y.is_finite() { 1.5 } else { y })
        }
        Target::Powi => {
            let x = if u < 0.4 {
                log_uniform(rng, -1074.0, 1023.0, true)
            } else if u < 0.6 {
                log_uniform(rng, -30.0, 30.0, true)
            } else {
                let s = if rng.random::<bool>() { -1.0 } else { 1.0 };
                s * near_one(rng)
            };
            let n: f64 = if u < 0.3 {
                rng.random_range(-64.0f64..64.0).round()
            } else if u < 0.95 {
                exponent_for(x.abs(), rng.random_range(-750.0..712.0))
                    .round()
                    .clamp(-2147483648.0, 2147483647.0)
            } else {
                rng.random::<i32>() as f64
            };
            (x, n)
        }
    }
}

/// Fixed hard cases (finite arguments inside the domain).
pub fn hard_cases(t: Target) -> Vec<(f64, f64)> {
    let e = |b: u64| f64::from_bits(b);
    let x1 = |v: &[f64]| v.iter().map(|&x| (x, 0.0)).collect::<Vec<_>>();
    match t {
        Target::Exp => x1(&[
            709.782712893384,
            e(0x40862E42FEFA39EF),
            e(0x40862E42FEFA39F0),
            -745.1332191019411,
            -745.1332191019412,
            -744.4400719213812,
            -708.3964185322641,
            -708.3964185322642,
            -709.0896657128241,
            1e-300,
            -1e-300,
            5e-324,
            2.220446049250313e-16,
            -1.1102230246251565e-16,
            0.34657359027997264,
            -0.34657359027997264,
            1.0,
            -1.0,
            700.0,
            -700.0,
            -740.0,
        ]),
        Target::Exp2 => x1(&[
            1023.0,
            1023.9999999999999,
            -1022.0,
            -1022.5,
            -1022.0000000000001,
            -1023.0,
            -1074.0,
            -1074.5,
            -1074.9999999999998,
            -1075.0,
            -1075.4,
            0.5,
            -0.5,
            1e-300,
            5e-324,
            3.0,
            -3.0,
            1e-17,
        ]),
        Target::Ln | Target::Log2 | Target::Log10 => x1(&[
            5e-324,
            1e-323,
            2.225073858507201e-308,
            f64::MIN_POSITIVE,
            f64::MAX,
            e(0x3FEF_FFFF_FFFF_FFFF),
            e(0x3FF0_0000_0000_0001),
            e(0x3FF6_A09E_667F_3BCC),
            e(0x3FF6_A09E_667F_3BCD),
            e(0x3FF6_A09E_667F_3BCE),
            e(0x3FE6_A09E_667F_3BCD),
            2.0,
            0.5,
            1024.0,
            10.0,
            100.0,
            1e22,
            1e23,
            1e-5,
            1e300,
            std::f64::consts::E,
            e(0x7FD0_0000_0000_0000),
        ]),
        Target::Pow => vec![
            (2.0, -1074.0),
            (2.0, -1075.0),
            (2.0, 1023.0),
            (2.0, 1024.0),
            (2.0, 0.5),
            (10.0, 22.0),
            (10.0, -5.0),
            (10.0, 308.0),
            (-2.0, 1023.0),
            (-2.0, -1074.0),
            (-2.0, -1073.0),
            (-10.0, 307.0),
            (0.5, 1074.0),
            (0.5, 1074.5),
            (f64::MAX, 1.0),
            (f64::MAX, -1.0),
            (f64::MAX, 0.5),
            (5e-324, 0.5),
            (5e-324, -0.015),
            (1.0000000000000002, 1e17),
            (0.9999999999999999, -1e17),
            (1.0000000000000002, 3.196577161300664e18),
            (1.0000000000000002, -3.3581e18),
            (e(0x3FEF_FFFF_FFFF_FFFF), 9007199254740991.0),
            (-e(0x3FEF_FFFF_FFFF_FFFF), 9007199254740991.0),
            (-1.0000000000000002, -9007199254740991.0),
            (3.0, 1e-300),
            (3.0, -646.0),
            (1.5, 1750.0),
            (0.1, 323.0),
            (-0.1, 323.0),
        ],
        Target::Powi => vec![
            (2.0, -1074.0),
            (2.0, -1075.0),
            (2.0, 1023.0),
            (-2.0, 1023.0),
            (-2.0, -1073.0),
            (10.0, 22.0),
            (10.0, -300.0),
            (-10.0, 307.0),
            (0.5, 1074.0),
            (1.0000000000000002, 2147483647.0),
            (0.9999999999999999, -2147483648.0),
            (-1.0000000000000002, 2147483647.0),
            (-0.9999999999999999, 2147483647.0),
            (1.1, 7447.0),
            (-1.1, -7817.0),
            (3.0, 1.0),
            (-3.0, -1.0),
            (f64::MAX, 1.0),
            (5e-324, 1.0),
            (5e-324, -1.0),
            (-5e-324, -1.0),
        ],
    }
}
