//! Integer arithmetic wraps and division by zero is defined: `x / 0 == 0`, `x % 0 == x`.
use osipy_kernels::xp_kernel;

/// Wrapping sum, quotient and remainder.
#[xp_kernel]
pub fn arith(a: i32, b: i32) -> (i32, i32, i32) {
    (a + b, a / b, a % b)
}

/// Unsigned wrap below zero.
#[xp_kernel]
pub fn minus_one(x: u32) -> u32 {
    x - 1
}

fn main() {
    let a = [i32::MAX, 7, -7, i32::MIN, 9];
    let b = [1, 0, 0, -1, 2];
    let (sum, div, rem) = arith::launch(&a[..], &b[..]).unwrap();
    assert_eq!(
        sum.into_host().unwrap().as_slice().unwrap(),
        &[i32::MIN, 7, -7, i32::MAX, 11]
    );
    assert_eq!(
        div.into_host().unwrap().as_slice().unwrap(),
        &[i32::MAX, 0, 0, i32::MIN, 4]
    );
    assert_eq!(rem.into_host().unwrap().as_slice().unwrap(), &[0, 7, -7, 0, 1]);
    let m = minus_one::launch(&[0u32, 5][..]).unwrap();
    assert_eq!(m.as_host().unwrap().as_slice().unwrap(), &[u32::MAX, 4]);
}
