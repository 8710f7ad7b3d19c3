//! A method outside the supported list (`sin`) is rejected at the method name, with the list.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn wave(x: f64) -> f64 {
    x.sin()
}

fn main() {}
