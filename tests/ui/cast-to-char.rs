//! A cast to `char` is rejected at the target type: `as` converts between the kernel's scalar
//! types. (Rust casts only `u8` to `char`, and `u8` is no kernel type either, so both casts are
//! reported.)
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn letter(x: u32) -> u32 {
    let _c = (x as u8) as char;
    x
}

fn main() {}
