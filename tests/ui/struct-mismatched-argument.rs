//! A struct of another type than the callee takes is rejected at the argument.
use osipy_kernels::{xp_kernel, xp_struct};

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Gain {
    pub g: f64,
}

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Offset {
    pub g: f64,
}

#[xp_kernel]
pub fn apply(x: f64, gain: Gain) -> f64 {
    x * gain.g
}

#[xp_kernel]
pub fn run(x: f64) -> f64 {
    let o = Offset { g: 1.0 };
    apply(x, o)
}

fn main() {}
