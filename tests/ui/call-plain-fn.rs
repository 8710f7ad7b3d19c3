//! A call to a plain function (not an #[xp_kernel]) is rejected; the kernel's export macro that
//! the call looks for does not exist, so the error comes from name resolution at the callee.
use osipy_kernels::xp_kernel;

pub fn helper(x: f64) -> f64 {
    2.0 * x
}

#[xp_kernel]
pub fn double(x: f64) -> f64 {
    helper(x)
}

fn main() {}
