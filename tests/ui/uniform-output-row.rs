//! `#[uniform]` on an output row is rejected at the attribute: every item writes its own row.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn fill(x: f64, #[uniform] out: &mut [f64]) {
    for i in 0..out.len() {
        out[i] = x;
    }
}

fn main() {}
