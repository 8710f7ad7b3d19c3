//! A name the kernel cannot see (here a module-level `const`, which Rust resolves but a kernel
//! body does not) is rejected at the name.
use osipy_kernels::xp_kernel;

pub const GAIN: f64 = 2.0;

#[xp_kernel]
pub fn scale(x: f64) -> f64 {
    GAIN * x
}

fn main() {}
