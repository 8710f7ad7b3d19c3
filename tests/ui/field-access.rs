//! Field access in the body is rejected at the expression.
use osipy_kernels::xp_kernel;

pub struct Config {
    pub gain: f64,
}

pub static CONFIG: Config = Config { gain: 2.0 };

#[xp_kernel]
pub fn scale(x: f64) -> f64 {
    CONFIG.gain * x
}

fn main() {}
