//! Passing the prediction row of a fit model to another kernel is rejected at the argument:
//! the callee could read the write-only row.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn fill(out: &mut [f64]) {
    for i in 0..out.len() {
        out[i] = 1.0;
    }
}

#[xp_kernel(model)]
pub fn constant(#[param] c: f64, pred: &mut [f64]) {
    fill(pred);
    for i in 0..pred.len() {
        pred[i] = c;
    }
}

fn main() {}
