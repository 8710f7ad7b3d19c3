//! `#[uniform]` on an output value `&mut f64` is rejected at the attribute.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn store(x: f64, #[uniform] out: &mut f64) {
    *out = x;
}

fn main() {}
