//! `#[uniform]` on a fitted parameter is rejected: each voxel fits its own value.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(
    #[uniform] t: &[f64],
    #[uniform]
    #[param]
    k: f64,
    pred: &mut [f64],
) {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
    }
}

fn main() {}
