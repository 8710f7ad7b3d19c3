//! `if let` is rejected at `let`: compare with `==` instead.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn is_zero(n: i32) -> bool {
    if let 0 = n {
        true
    } else {
        false
    }
}

fn main() {}
