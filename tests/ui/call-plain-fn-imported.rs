//! A plain function brought in with `use` is not a kernel either: the call is rejected at the
//! call, where rustc says that the name is a function, not the kernel's body macro.
use osipy_kernels::xp_kernel;

mod helpers {
    pub fn gv(t: f64) -> f64 {
        t * (-t).exp()
    }
}

use helpers::gv;

#[xp_kernel]
pub fn curve(t: f64) -> f64 {
    2.0 * gv(t)
}

fn main() {}
