//! f64 and f32 transcendental functions used by kernel bodies on the CPU.
//!
//! The CPU backend calls these for `exp`, `exp2`, `ln`, `log2`, `log10`, `powf` and `powi`
//! in kernel bodies (the original function keeps std's math). In this version they defer to
//! the platform's libm; the PTX backend replaces them with the project's own algorithms,
//! shared by the CPU and PTX so both agree bit for bit.

macro_rules! math_mod {
    ($m:ident, $t:ty) => {
        /// Transcendentals for this float type.
        pub mod $m {
            /// e^x.
            #[inline]
            pub fn exp(x: $t) -> $t {
                x.exp()
            }
            /// 2^x.
            #[inline]
            pub fn exp2(x: $t) -> $t {
                x.exp2()
            }
            /// Natural logarithm.
            #[inline]
            pub fn ln(x: $t) -> $t {
                x.ln()
            }
            /// Base-2 logarithm.
            #[inline]
            pub fn log2(x: $t) -> $t {
                x.log2()
            }
            /// Base-10 logarithm.
            #[inline]
            pub fn log10(x: $t) -> $t {
                x.log10()
            }
            /// x^y.
            #[inline]
            pub fn powf(x: $t, y: $t) -> $t {
                x.powf(y)
            }
            /// x^n, computed as `powf(x, n)` so the result does not depend on optimisation.
            #[inline]
            pub fn powi(x: $t, n: i32) -> $t {
                x.powf(n as $t)
            }
        }
    };
}

math_mod!(f64, f64);
math_mod!(f32, f32);
