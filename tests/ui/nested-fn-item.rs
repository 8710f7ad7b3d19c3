//! A nested `fn` item inside the body is rejected at the item: define another #[xp_kernel].
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn double(x: f64) -> f64 {
    fn _twice(v: f64) -> f64 {
        2.0 * v
    }
    2.0 * x
}

fn main() {}
