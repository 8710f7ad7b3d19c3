//! A struct literal in a kernel lists every field: `..base` is rejected at the base.
use osipy_kernels::{xp_kernel, xp_struct};

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Pair {
    pub a: f64,
    pub b: f64,
}

#[xp_kernel]
pub fn make(x: f64) -> f64 {
    let p = Pair { a: x, ..Pair { a: 0.0, b: 1.0 } };
    p.a + p.b
}

fn main() {}
