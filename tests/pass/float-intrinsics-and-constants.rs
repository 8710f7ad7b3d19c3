//! Float methods, `f64::from_bits`, `to_bits` and scalar constants.
use osipy_kernels::xp_kernel;

/// A mix of supported intrinsics.
#[xp_kernel]
pub fn mix(x: f64) -> (f64, f64, u64, bool) {
    let a = x.sqrt().powi(2) + x.abs().max(0.0).min(100.0).floor();
    let b = f64::from_bits(x.to_bits()) * std::f64::consts::PI / std::f64::consts::PI;
    let inf = x / 0.0 == f64::INFINITY;
    (a, b.mul_add(2.0, 1.0), x.to_bits(), inf)
}

fn main() {
    let (a, b, bits, inf) = mix::launch(&[4.0f64, 2.25][..]).unwrap();
    assert_eq!(a.into_host().unwrap().as_slice().unwrap(), &[8.0, 4.25]);
    assert_eq!(b.into_host().unwrap().as_slice().unwrap(), &[9.0, 5.5]);
    assert_eq!(
        bits.into_host().unwrap().as_slice().unwrap(),
        &[4.0f64.to_bits(), 2.25f64.to_bits()]
    );
    assert_eq!(inf.into_host().unwrap().as_slice().unwrap(), &[true, true]);
}
