//! A struct literal in a kernel lists every field; a missing one is named.
use osipy_kernels::{xp_kernel, xp_struct};

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Pair {
    pub a: f64,
    pub b: f64,
}

#[xp_kernel]
pub fn make(x: f64) -> f64 {
    let p = Pair { a: x };
    p.a
}

fn main() {}
