//! Kernels call kernels in other modules (`crate::`, `super::`) and in another crate
//! (`osipy_tests::helpers::square`); the calls are inlined into one launch.
use ndarray::array;

pub mod shapes {
    use osipy_kernels::xp_kernel;

    /// Twice the value.
    #[xp_kernel]
    pub fn double(x: f64) -> f64 {
        2.0 * x
    }

    pub mod nested {
        use osipy_kernels::xp_kernel;

        /// `2x + x^2` through `super::` and another crate.
        #[xp_kernel]
        pub fn double_plus_square(x: f64) -> f64 {
            super::double(x) + osipy_tests::helpers::square(x)
        }
    }
}

pub mod user {
    use osipy_kernels::xp_kernel;

    /// Sum over a row of `2x + x^2`, plus one doubling through `crate::`.
    #[xp_kernel]
    pub fn total(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            s += crate::shapes::nested::double_plus_square(x[i]);
        }
        s + crate::shapes::double(0.5)
    }
}

fn main() {
    let x = array![[1.0, 2.0], [3.0, 0.0]];
    let t = user::total::launch(&x).unwrap().into_host().unwrap();
    // Row 0: (2 + 1) + (4 + 4) + 1 = 12; row 1: (6 + 9) + 0 + 1 = 16.
    assert_eq!(t.as_slice().unwrap(), &[12.0, 16.0]);
    let y = shapes::nested::double_plus_square::launch(&[3.0f64][..]).unwrap();
    assert_eq!(y.as_host().unwrap().as_slice().unwrap(), &[15.0]);
    assert_eq!(user::total(&[1.0, 2.0]), 12.0);
}
