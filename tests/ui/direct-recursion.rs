//! A kernel that calls itself is rejected at the recursive call: calls are inlined.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn fact(n: u64) -> u64 {
    if n <= 1 {
        1
    } else {
        n * fact(n - 1)
    }
}

fn main() {}
