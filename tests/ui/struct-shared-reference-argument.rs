//! A struct argument is taken by value or by `&mut`; `&S` is rejected at its type.
use osipy_kernels::{xp_kernel, xp_struct};

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Gain {
    pub g: f64,
}

#[xp_kernel]
pub fn apply(x: f64, gain: &Gain) -> f64 {
    x * gain.g
}

fn main() {}
