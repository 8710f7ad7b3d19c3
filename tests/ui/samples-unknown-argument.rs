//! `samples = NAME` names the model's uniform row that its prediction follows.
use osipy_kernels::xp_kernel;

#[xp_kernel(model, samples = time)]
pub fn decay(
    #[uniform] t: &[f64],
    #[param(init = 1.0)] rate: f64,
    pred: &mut [f64],
) {
    for k in 0..pred.len() {
        pred[k] = (-rate * t[k]).exp();
    }
}

fn main() {}
