//! A struct used where a scalar is expected is rejected at its name.
use osipy_kernels::{xp_kernel, xp_struct};

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Gain {
    pub g: f64,
}

#[xp_kernel]
pub fn apply(x: f64, gain: Gain) -> f64 {
    x * gain
}

fn main() {}
