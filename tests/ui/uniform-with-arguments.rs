//! `#[uniform(..)]` with arguments is rejected at the attribute: it takes none.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn scale(x: f64, #[uniform(all)] gain: f64) -> f64 {
    gain * x
}

fn main() {}
