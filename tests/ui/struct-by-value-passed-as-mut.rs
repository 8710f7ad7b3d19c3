//! A `&mut S` argument needs `&mut` and a struct local: a struct passed without `&mut` is
//! rejected at the argument.
use osipy_kernels::{xp_kernel, xp_struct};

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Acc {
    pub sum: f64,
}

#[xp_kernel]
pub fn add(acc: &mut Acc, x: f64) {
    acc.sum += x;
}

#[xp_kernel]
pub fn total(x: &[f64]) -> f64 {
    let mut acc = Acc { sum: 0.0 };
    for i in 0..x.len() {
        add(acc, x[i]);
    }
    acc.sum
}

fn main() {}
