//! A loop label is rejected at the label, and at the `break` that names it.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn count(n: u32) -> u32 {
    let mut k = 0;
    'outer: for i in 0..n {
        for j in 0..n {
            if i * j > 6 {
                break 'outer;
            }
            k += 1;
        }
    }
    k
}

fn main() {}
