//! A launch over zero items returns empty arrays of the item shape and writes nothing.
use ndarray::{Array2, Array3};
use osipy_kernels::xp_kernel;

/// Sum of a row, and the row doubled.
#[xp_kernel]
pub fn sum_double(x: &[f64], out: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        out[i] = 2.0 * x[i];
        s += x[i];
    }
    s
}

fn main() {
    let x = Array2::<f64>::zeros((0, 5));
    let mut out = Array2::<f64>::zeros((0, 5));
    let s = sum_double::launch(&x, &mut out).unwrap();
    assert_eq!(s.shape(), &[0]);
    assert!(s.into_host().unwrap().is_empty());
    // Zero items along one of several item axes: the result keeps the item shape.
    let x = Array3::<f64>::zeros((2, 0, 3));
    let mut out = Array3::<f64>::zeros((2, 0, 3));
    let s = sum_double::launch(&x, &mut out).unwrap();
    assert_eq!(s.shape(), &[2, 0]);
    assert_eq!(s.len(), 0);
}
