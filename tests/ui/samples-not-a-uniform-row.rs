//! The axis the prediction follows is a `#[uniform]` row, not a per-voxel one.
use osipy_kernels::xp_kernel;

#[xp_kernel(model, samples = t)]
pub fn decay(t: &[f64], #[param(init = 1.0)] rate: f64, pred: &mut [f64]) {
    for k in 0..pred.len() {
        pred[k] = (-rate * t[k]).exp();
    }
}

fn main() {}
