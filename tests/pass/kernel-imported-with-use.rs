//! A kernel brought in with `use` is called by its plain name, in a plain kernel and in a fit
//! model (whose derivatives go through it), from another module and through a renamed import.
use ndarray::Array2;
use osipy_kernels::xp_kernel;

mod helpers {
    use osipy_kernels::xp_kernel;

    /// Bi-exponential signal decay: `s0 (f e^{-b d*} + (1 - f) e^{-b d})`.
    #[xp_kernel]
    pub fn biexp(b: f64, s0: f64, f: f64, d: f64, dstar: f64) -> f64 {
        s0 * (f * (-b * dstar).exp() + (1.0 - f) * (-b * d).exp())
    }
}

mod models {
    use super::helpers::biexp;
    use osipy_kernels::xp_kernel;

    /// IVIM model on the uniform b axis.
    #[xp_kernel(model)]
    pub fn ivim(
        #[uniform] b: &[f64],
        #[param(init = 1.0, lower = 0.0)] s0: f64,
        #[param(init = 0.1, lower = 0.0, upper = 1.0)] f: f64,
        #[param(init = 0.001, lower = 0.0, upper = 0.005)] d: f64,
        #[param(init = 0.01, lower = 0.005, upper = 0.2)] dstar: f64,
        pred: &mut [f64],
    ) {
        for k in 0..pred.len() {
            pred[k] = biexp(b[k], s0, f, d, dstar);
        }
    }
}

use helpers::biexp as bx;

/// The signal at one b value, through a renamed import.
#[xp_kernel]
pub fn at_b(#[uniform] b: f64, s0: f64) -> f64 {
    bx(b, s0, 0.1, 0.001, 0.02)
}

fn main() {
    let b = [0.0, 10.0, 20.0, 50.0, 100.0, 200.0, 400.0, 800.0];
    let mut y = Array2::<f64>::zeros((2, b.len()));
    models::ivim::launch(&b, &[1.0, 2.0], &[0.1, 0.2], &[0.001, 0.0015], &[0.02, 0.05], &mut y).unwrap();
    assert_eq!(models::ivim::SAMPLES, Some("b"));
    let fit = models::ivim::fitter(&b).fit(&y).unwrap();
    let p = fit.params.to_host().unwrap();
    assert!((p[[1, 1]] - 0.2).abs() < 1e-6, "{p:?}");
    let v = at_b::launch(100.0, &[1.0, 2.0][..]).unwrap().into_host().unwrap();
    assert!((v[1] - helpers::biexp(100.0, 2.0, 0.1, 0.001, 0.02)).abs() < 1e-15);
}
