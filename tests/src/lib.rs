//! Kernels shared by the cross-crate tests.

use osipy_kernels::xp_kernel;

/// Helpers in another module.
pub mod helpers {
    use osipy_kernels::xp_kernel;

    /// Square.
    #[xp_kernel]
    pub fn square(x: f64) -> f64 {
        x * x
    }

    /// Sum of squares through `square`.
    #[xp_kernel]
    pub fn sum_sq(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            s += square(x[i]);
        }
        s
    }

    /// Nested module calling up.
    pub mod inner {
        use osipy_kernels::xp_kernel;

        /// Calls `super::square` and `crate::helpers::sum_sq`.
        #[xp_kernel]
        pub fn norm_plus(x: &[f64], #[uniform] c: f64) -> f64 {
            super::sum_sq(x).sqrt() + super::square(c) + crate::helpers::square(1.0)
        }
    }
}

/// Calls across modules.
#[xp_kernel]
pub fn rms(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    (helpers::sum_sq(x) / n).sqrt() + helpers::inner::norm_plus(x, 0.0) * 0.0
}

/// Calls a kernel of another crate.
#[xp_kernel]
pub fn shifted_sample(#[uniform] t: &[f64], #[uniform] c: &[f64], delay: f64, out: &mut [f64]) {
    for i in 0..out.len() {
        out[i] = osipy::interp::interp_linear(t, c, t[i] - delay);
    }
}
