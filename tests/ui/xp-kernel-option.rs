//! `#[xp_kernel(..)]` with an option is rejected at the option: the attribute takes none.
use osipy_kernels::xp_kernel;

#[xp_kernel(fast)]
pub fn double(x: f64) -> f64 {
    2.0 * x
}

fn main() {}
