//! A row in, a row out, and a uniform row shared by every item.
use ndarray::{array, Array2};
use osipy_kernels::xp_kernel;

/// `out[i] = x[i] * w[i]`, returning the dot product.
#[xp_kernel]
pub fn weigh(x: &[f64], #[uniform] w: &[f64], out: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..out.len() {
        out[i] = x[i] * w[i];
        s += out[i];
    }
    s
}

fn main() {
    let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let w = [1.0, 0.5, 2.0];
    let mut out = Array2::<f64>::zeros((2, 3));
    let dot = weigh::launch(&x, &w, &mut out).unwrap();
    assert_eq!(out, array![[1.0, 1.0, 6.0], [4.0, 2.5, 12.0]]);
    assert_eq!(dot.into_host().unwrap().as_slice().unwrap(), &[8.0, 18.5]);
}
