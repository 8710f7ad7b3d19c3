//! A field a struct does not have is named, with the fields it has.
use osipy_kernels::{xp_kernel, xp_struct};

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[xp_kernel]
pub fn depth(p: Point) -> f64 {
    p.x + p.z
}

fn main() {}
