//! An `extern "C"` ABI is rejected at the ABI.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub extern "C" fn double(x: f64) -> f64 {
    2.0 * x
}

fn main() {}
