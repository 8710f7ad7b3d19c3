//! `while let` is rejected at `let`: compare with `==` instead.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn bump(n: i32) -> i32 {
    let mut k = n;
    while let 0 = k {
        k += 1;
    }
    k
}

fn main() {}
