//! Local arrays, `for` over `a..b`, `a..=b` and `(a..b).rev()`, `while`, `loop`, `break` and
//! `continue`.
use ndarray::array;
use osipy_kernels::xp_kernel;

/// Reverses the first four elements through a local array, then sums odd positions up to `n`.
#[xp_kernel]
pub fn shuffle(x: &[f64], #[uniform] n: usize, out: &mut [f64]) -> f64 {
    let mut buf = [0.0; 4];
    for i in 0..4 {
        buf[i] = x[i];
    }
    let mut j = 0;
    for i in (0..4).rev() {
        out[j] = buf[i];
        j += 1;
    }
    let mut s = 0.0;
    for i in 0..=n {
        if i % 2 == 0 {
            continue;
        }
        s += x[i];
    }
    let mut k = 0;
    while k < 3 {
        k += 1;
    }
    loop {
        if k >= 10 {
            break;
        }
        k *= 2;
    }
    let weights: [f64; 3] = [1.0, 10.0, 100.0];
    s + k as f64 * weights[2]
}

fn main() {
    let x = array![[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]];
    let mut out = ndarray::Array2::<f64>::zeros((2, 4));
    let s = shuffle::launch(&x, 3, &mut out).unwrap().into_host().unwrap();
    assert_eq!(out, array![[4.0, 3.0, 2.0, 1.0], [8.0, 7.0, 6.0, 5.0]]);
    // k: 0 -> 3 by `while`, then 6, 12 by `loop`; odd positions 1 and 3 summed.
    assert_eq!(s.as_slice().unwrap(), &[6.0 + 1200.0, 14.0 + 1200.0]);
}
