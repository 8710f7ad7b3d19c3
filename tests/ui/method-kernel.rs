//! A method (with `&self`) is rejected at the receiver: a kernel is a free function.
use osipy_kernels::xp_kernel;

pub struct Gain(pub f64);

impl Gain {
    #[xp_kernel]
    pub fn apply(&self, x: f64) -> f64 {
        self.0 * x
    }
}

fn main() {}
