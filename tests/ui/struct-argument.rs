//! An argument of a struct type not marked `#[xp_struct]` is rejected at its type, with a
//! message that says so.
use osipy_kernels::xp_kernel;

pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[xp_kernel]
pub fn norm(p: Point) -> f64 {
    (p.x * p.x + p.y * p.y).sqrt()
}

fn main() {}
