//! `#[xp_struct]` on a tuple struct is rejected: kernels name the fields.
use osipy_kernels::xp_struct;

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Pair(pub f64, pub f64);

fn main() {}
