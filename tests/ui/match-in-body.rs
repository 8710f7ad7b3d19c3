//! `match` in the body is rejected at `match`: use `if` / `else`.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn sign(n: i32) -> i32 {
    match n {
        0 => 0,
        _ => 1,
    }
}

fn main() {}
