//! A method called on a struct value is rejected at the method's name.
use osipy_kernels::{xp_kernel, xp_struct};

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn norm(self) -> f64 {
        (self.x * self.x + self.y * self.y).sqrt()
    }
}

#[xp_kernel]
pub fn norm(x: f64, y: f64) -> f64 {
    let p = Point { x, y };
    p.norm()
}

fn main() {}
