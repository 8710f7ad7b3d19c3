//! A `String` argument is rejected at its type, with the list of supported argument types.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn count(s: String) -> usize {
    s.len()
}

fn main() {}
