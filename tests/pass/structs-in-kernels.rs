//! Structs of scalars marked `#[xp_struct]` in kernels: a literal, fields read and written, a
//! struct passed by `&mut` and by value, returned, copied, brought in with `use`; the CPU and
//! the emulator agree with the original functions.
use ndarray::Array1;
use osipy_kernels::{xp_kernel, Device, XpArray};

mod shapes {
    use osipy_kernels::xp_struct;

    /// A box's extent along two axes.
    #[xp_struct]
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Extent {
        pub lo: f64,
        pub hi: f64,
        pub seen: usize,
    }
}

use shapes::Extent;

/// Widens `e` to hold `x`.
#[xp_kernel]
pub fn widen(e: &mut Extent, x: f64) {
    if e.seen == 0 || x < e.lo {
        e.lo = x;
    }
    if e.seen == 0 || x > e.hi {
        e.hi = x;
    }
    e.seen += 1;
}

/// The extent's width.
#[xp_kernel]
pub fn width(e: Extent) -> f64 {
    e.hi - e.lo
}

/// The extent of a row, returned.
#[xp_kernel]
pub fn extent_of(x: &[f64]) -> Extent {
    let mut e = Extent { lo: 0.0, hi: 0.0, seen: 0 };
    for i in 0..x.len() {
        widen(&mut e, x[i]);
    }
    e
}

/// The width of a row's extent, and the count it saw.
#[xp_kernel]
pub fn row_width(x: &[f64]) -> (f64, usize) {
    let e = extent_of(x);
    let copy = e;
    (width(copy), e.seen)
}

fn main() {
    let x = ndarray::array![[1.0, -2.0, 5.0], [0.5, 0.25, 0.75]];
    let (w, n) = row_width::launch(&x).unwrap();
    assert_eq!(w.as_host().unwrap().as_slice().unwrap(), &[7.0, 0.5]);
    assert_eq!(n.as_host().unwrap().as_slice().unwrap(), &[3, 3]);
    let dx = XpArray::from_host(x.clone().into_dyn()).to_device(&Device::Emulator).unwrap();
    let (dw, dn) = row_width::launch(&dx).unwrap();
    assert_eq!(dw.to_host().unwrap(), w.to_host().unwrap());
    assert_eq!(dn.to_host().unwrap(), n.to_host().unwrap());
    // The original functions, unchanged.
    assert_eq!(row_width(&[1.0, -2.0, 5.0]), (7.0, 3));
    assert_eq!(extent_of(&[2.0]), Extent { lo: 2.0, hi: 2.0, seen: 1 });
    // `widen` is a kernel of its own: `e` is one array per field (`e_lo`, `e_hi`, `e_seen`).
    let mut lo = Array1::from(vec![0.0, 0.0]);
    let mut hi = Array1::from(vec![1.0, 1.0]);
    let mut seen = Array1::from(vec![1usize, 1]);
    widen::launch(&mut lo, &mut hi, &mut seen, &Array1::from(vec![-1.0, 3.0])).unwrap();
    assert_eq!((lo.to_vec(), hi.to_vec(), seen.to_vec()), (vec![-1.0, 0.0], vec![1.0, 3.0], vec![2, 2]));
}
