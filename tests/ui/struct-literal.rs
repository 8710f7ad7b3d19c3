//! A literal of a struct not marked `#[xp_struct]` is rejected at its path, with a message
//! that says so.
use osipy_kernels::xp_kernel;

#[derive(Clone, Copy)]
pub struct Pair {
    pub a: f64,
    pub b: f64,
}

#[xp_kernel]
pub fn make(x: f64) -> f64 {
    let _p = Pair { a: x, b: x };
    x
}

fn main() {}
