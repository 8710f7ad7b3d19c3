//! A `const` of the module is not visible to the macro: the error says to declare it in the
//! kernel's body.
use osipy_kernels::xp_kernel;

const W: usize = 3;

#[xp_kernel]
pub fn first_sum(x: &[f64]) -> f64 {
    let mut win = [0.0; W];
    let mut s = 0.0;
    for k in 0..W {
        win[k] = x[k];
        s += win[k];
    }
    s
}

fn main() {}
