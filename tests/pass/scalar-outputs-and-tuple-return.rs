//! Output values `&mut f64` are written per item; a tuple return comes back as a tuple of arrays.
use ndarray::{array, Array1};
use osipy_kernels::xp_kernel;

/// Sum into `total`, count of positives into `pos`.
#[xp_kernel]
pub fn tally(x: &[f64], total: &mut f64, pos: &mut u32) {
    *total = 0.0;
    *pos = 0;
    for i in 0..x.len() {
        *total += x[i];
        if x[i] > 0.0 {
            *pos += 1;
        }
    }
}

/// Minimum, maximum and whether the row is sorted.
#[xp_kernel]
pub fn range_of(x: &[i64]) -> (i64, i64, bool) {
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    let mut sorted = true;
    for i in 0..x.len() {
        lo = lo.min(x[i]);
        hi = hi.max(x[i]);
        if i > 0 && x[i - 1] > x[i] {
            sorted = false;
        }
    }
    (lo, hi, sorted)
}

fn main() {
    let x = array![[1.0, -2.0, 3.0], [0.0, 0.0, 0.5]];
    let mut total = Array1::<f64>::zeros(2);
    let mut pos = Array1::<u32>::zeros(2);
    tally::launch(&x, &mut total, &mut pos).unwrap();
    assert_eq!(total, array![2.0, 0.5]);
    assert_eq!(pos, array![2, 1]);

    let r = array![[3i64, 1, 2], [-5, 0, 7]];
    let (lo, hi, sorted) = range_of::launch(&r).unwrap();
    assert_eq!(lo.into_host().unwrap().as_slice().unwrap(), &[1, -5]);
    assert_eq!(hi.into_host().unwrap().as_slice().unwrap(), &[3, 7]);
    assert_eq!(sorted.into_host().unwrap().as_slice().unwrap(), &[false, true]);
}
