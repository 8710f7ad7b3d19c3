//! A fit model in a nested module is fitted from another module through its path
//! (`crate::models::decay::fitter`); its data come from the model's `launch` by path as well.
use ndarray::{Array1, Array2};

pub mod models {
    pub mod inner {
        use osipy_kernels::xp_kernel;

        /// `a exp(-k t)`.
        #[xp_kernel(model)]
        pub fn decay(
            #[uniform] t: &[f64],
            #[param(init = 1.0, lower = 0.0)] a: f64,
            #[param(init = 1.0, lower = 0.0, upper = 20.0)] k: f64,
            pred: &mut [f64],
        ) {
            for i in 0..pred.len() {
                pred[i] = a * (-k * t[i]).exp();
            }
        }
    }

    pub use inner::decay;
}

pub mod analysis {
    use ndarray::{Array1, Array2};
    use osipy_kernels::fit::LevenbergMarquardt;

    /// Fits `a` and `k` of every row of `data`.
    pub fn fit_decay(t: &Array1<f64>, data: &Array2<f64>) -> Array2<f64> {
        let lm = LevenbergMarquardt::new()
            .max_iterations(500)
            .ftol(1e-15)
            .xtol(1e-15)
            .gtol(1e-15);
        let r = crate::models::inner::decay::fitter(t).settings(lm).fit(data).unwrap();
        assert_eq!(r.names, &["a", "k"]);
        assert!(r.statuses().unwrap().iter().all(|s| s.unwrap().is_converged()));
        let p = r.params.to_host().unwrap();
        Array2::from_shape_vec((data.nrows(), 2), p.iter().copied().collect()).unwrap()
    }
}

fn main() {
    let t = Array1::from_shape_fn(16, |i| 0.2 * i as f64);
    let a = Array1::from(vec![1.5, 3.0, 0.7]);
    let k = Array1::from(vec![0.9, 2.5, 0.2]);
    let mut data = Array2::<f64>::zeros((3, t.len()));
    crate::models::decay::launch(&t, &a, &k, &mut data).unwrap();
    let p = analysis::fit_decay(&t, &data);
    for i in 0..3 {
        assert!((p[[i, 0]] - a[i]).abs() <= 1e-8 * a[i], "a of voxel {i}: {}", p[[i, 0]]);
        assert!((p[[i, 1]] - k[i]).abs() <= 1e-8 * k[i], "k of voxel {i}: {}", p[[i, 1]]);
    }
    assert_eq!(models::inner::decay::INIT, [1.0, 1.0]);
    assert_eq!(models::inner::decay::UPPER, [f64::INFINITY, 20.0]);
}
