//! Two kernels that call each other are rejected at the calls that close the cycle.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn is_even(n: u32) -> bool {
    if n == 0 {
        true
    } else {
        is_odd(n - 1)
    }
}

#[xp_kernel]
pub fn is_odd(n: u32) -> bool {
    if n == 0 {
        false
    } else {
        is_even(n - 1)
    }
}

fn main() {}
