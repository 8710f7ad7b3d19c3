//! An out-of-range index stops that item and `launch` returns `Error::IndexOutOfBounds` naming
//! the item, the index and the length.
use ndarray::array;
use osipy_kernels::{xp_kernel, Error};

/// Element `k` of each row.
#[xp_kernel]
pub fn nth(x: &[f64], k: usize) -> f64 {
    x[k]
}

fn main() {
    let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]];
    let ok = nth::launch(&x, &[2usize, 0, 1][..]).unwrap();
    assert_eq!(ok.into_host().unwrap().as_slice().unwrap(), &[3.0, 4.0, 8.0]);
    match nth::launch(&x, &[0usize, 7, 5][..]) {
        Err(Error::IndexOutOfBounds {
            kernel,
            array,
            item,
            index,
            len,
            ..
        }) => {
            assert_eq!((kernel, array), ("nth", "x"));
            assert_eq!((item, index, len), (1, 7, 3));
        }
        other => panic!("expected IndexOutOfBounds, got {other:?}"),
    }
}
