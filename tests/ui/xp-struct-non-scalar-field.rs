//! A field of an `#[xp_struct]` that is not a scalar is rejected at its type.
use osipy_kernels::xp_struct;

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Window {
    pub start: usize,
    pub weights: [f64; 3],
}

fn main() {}
