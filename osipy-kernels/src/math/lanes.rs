//! Lane forms of the math functions: `W` independent arguments in one call.
//!
//! The exponentials and logarithms are branch-free (special values are selected after the
//! main path), so the lane form of each is the scalar function applied to every lane of an
//! array: the same operations in the same order, `mul_add` exactly where the scalar uses
//! it, hence the same bits per lane. The scalar `powf` skips its select chain (`pow_fix`)
//! behind one branch for positive finite `x` and finite `y`, where the chain returns its
//! input unchanged; its lane form always runs the chain (`pow::powf_branch_free`), with
//! the same bits. Inlined into code compiled for AVX2 and FMA
//! (`#[target_feature(enable = "avx2,fma")]`), LLVM turns the lanes into vector
//! instructions (ymm registers, `vfmadd` on four f64 lanes; the selects become blends).

/// Defines a one-argument lane form `$name` of the scalar function `$f`.
macro_rules! lanes1 {
    ($(#[$doc:meta])* $name:ident, $t:ty, $f:path) => {
        $(#[$doc])*
        #[inline(always)]
        pub fn $name<const W: usize>(x: [$t; W]) -> [$t; W] {
            let mut out = [0.0; W];
            for i in 0..W {
                out[i] = $f(x[i]);
            }
            out
        }
    };
}

/// Defines a two-argument lane form `$name` of the scalar function `$f`.
macro_rules! lanes2 {
    ($(#[$doc:meta])* $name:ident, $t:ty, $u:ty, $f:path) => {
        $(#[$doc])*
        #[inline(always)]
        pub fn $name<const W: usize>(x: [$t; W], y: [$u; W]) -> [$t; W] {
            let mut out = [0.0; W];
            for i in 0..W {
                out[i] = $f(x[i], y[i]);
            }
            out
        }
    };
}

/// Lane forms of the `f64` functions.
pub mod f64 {
    use crate::math::{exp, log, pow};

    lanes1!(
        /// [`exp`](crate::math::f64::exp()) of each lane, bit-identical to the scalar form.
        exp_lanes, f64, exp::exp
    );
    lanes1!(
        /// [`exp2`](crate::math::f64::exp2()) of each lane, bit-identical to the scalar form.
        exp2_lanes, f64, exp::exp2
    );
    lanes1!(
        /// [`ln`](crate::math::f64::ln()) of each lane, bit-identical to the scalar form.
        ln_lanes, f64, log::ln
    );
    lanes1!(
        /// [`log2`](crate::math::f64::log2()) of each lane, bit-identical to the scalar form.
        log2_lanes, f64, log::log2
    );
    lanes1!(
        /// [`log10`](crate::math::f64::log10()) of each lane, bit-identical to the scalar
        /// form.
        log10_lanes, f64, log::log10
    );
    lanes2!(
        /// [`powf`](crate::math::f64::powf()) of each pair of lanes, bit-identical to the
        /// scalar form.
        powf_lanes, f64, f64, pow::powf_branch_free
    );
    lanes2!(
        /// [`powi`](crate::math::f64::powi()) of each pair of lanes, bit-identical to the
        /// scalar form.
        powi_lanes, f64, i32, powi_branch_free
    );

    #[inline(always)]
    fn powi_branch_free(x: f64, n: i32) -> f64 {
        pow::powf_branch_free(x, n as f64)
    }
}

/// Lane forms of the `f32` functions.
pub mod f32 {
    use crate::math::f32 as m;
    use crate::math::pow;

    #[inline(always)]
    fn powf_branch_free(x: f32, y: f32) -> f32 {
        pow::powf_branch_free(x as f64, y as f64) as f32
    }

    #[inline(always)]
    fn powi_branch_free(x: f32, n: i32) -> f32 {
        pow::powf_branch_free(x as f64, n as f64) as f32
    }

    lanes1!(
        /// [`exp`](crate::math::f32::exp()) of each lane, bit-identical to the scalar form.
        exp_lanes, f32, m::exp
    );
    lanes1!(
        /// [`exp2`](crate::math::f32::exp2()) of each lane, bit-identical to the scalar form.
        exp2_lanes, f32, m::exp2
    );
    lanes1!(
        /// [`ln`](crate::math::f32::ln()) of each lane, bit-identical to the scalar form.
        ln_lanes, f32, m::ln
    );
    lanes1!(
        /// [`log2`](crate::math::f32::log2()) of each lane, bit-identical to the scalar form.
        log2_lanes, f32, m::log2
    );
    lanes1!(
        /// [`log10`](crate::math::f32::log10()) of each lane, bit-identical to the scalar
        /// form.
        log10_lanes, f32, m::log10
    );
    lanes2!(
        /// [`powf`](crate::math::f32::powf()) of each pair of lanes, bit-identical to the
        /// scalar form.
        powf_lanes, f32, f32, powf_branch_free
    );
    lanes2!(
        /// [`powi`](crate::math::f32::powi()) of each pair of lanes, bit-identical to the
        /// scalar form.
        powi_lanes, f32, i32, powi_branch_free
    );
}
