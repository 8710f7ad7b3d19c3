//! An argument of a user struct type is rejected at its type.
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
