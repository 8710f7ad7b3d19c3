//! Mismatched item shapes give `Error::Shape` before anything runs: the output is untouched.
use ndarray::{Array1, Array2};
use osipy_kernels::{xp_kernel, Error};

/// Copies the row's sum into `out`.
#[xp_kernel]
pub fn row_sum(x: &[f64], out: &mut f64) {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i];
    }
    *out = s;
}

fn main() {
    let x = Array2::<f64>::ones((4, 3));
    let mut out = Array1::from_elem(5, -1.0);
    match row_sum::launch(&x, &mut out) {
        Err(Error::Shape { kernel, arg, .. }) => assert_eq!((kernel, arg), ("row_sum", "out")),
        other => panic!("expected Error::Shape, got {other:?}"),
    }
    assert!(out.iter().all(|v| *v == -1.0), "the output was touched");
    let mut out = Array1::from_elem(4, -1.0);
    row_sum::launch(&x, &mut out).unwrap();
    assert!(out.iter().all(|v| *v == 3.0));
}
