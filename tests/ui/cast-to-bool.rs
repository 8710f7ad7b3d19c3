//! A cast to `bool` is rejected at the target type: compare instead.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn flag(b: bool) -> bool {
    b as bool
}

fn main() {}
