//! An element-wise kernel over two per-item scalars and a uniform one keeps the item shape.
use ndarray::{array, Array2};
use osipy_kernels::xp_kernel;

/// `a * x + b`.
#[xp_kernel]
pub fn axpb(a: f64, x: f64, #[uniform] b: f64) -> f64 {
    a * x + b
}

fn main() {
    let a = array![[1.0, 2.0], [3.0, 4.0]];
    let x = Array2::from_elem((2, 2), 10.0);
    let y = axpb::launch(&a, &x, 0.5).unwrap().into_host().unwrap();
    assert_eq!(y.shape(), &[2, 2]);
    assert_eq!(
        y.iter().copied().collect::<Vec<_>>(),
        vec![10.5, 20.5, 30.5, 40.5]
    );
    // Slices work too, and the original function is still there for one item.
    let y = axpb::launch(&[2.0f64, -1.0][..], &[3.0f64, 3.0][..], 1.0).unwrap();
    assert_eq!(y.as_host().unwrap().as_slice().unwrap(), &[7.0, -2.0]);
    assert_eq!(axpb(2.0, 3.0, 1.0), 7.0);
}
