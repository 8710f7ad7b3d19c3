//! `const` items of a kernel body serve as array lengths, loop bounds and values, in a plain
//! kernel and in a fit model (through the derivatives), on the CPU and the emulator alike.
use ndarray::Array2;
use osipy_kernels::{xp_kernel, Device, XpArray};

/// Moving average over a window of `W` samples, with a local array of length `W`.
#[xp_kernel]
pub fn moving_mean(x: &[f64], out: &mut [f64]) {
    const W: usize = 3;
    const SCALE: f64 = 1.0;
    let mut win = [0.0; W];
    for k in 0..x.len() {
        win[k % W] = x[k];
        let mut s = 0.0;
        for j in 0..W {
            s += win[j];
        }
        out[k] = SCALE * s / W as f64;
    }
}

/// A decay whose offset is a negative constant and whose sum runs over `N` terms.
#[xp_kernel(model)]
pub fn decay_sum(
    #[uniform] t: &[f64],
    #[param(init = 1.0, lower = 0.0)] a: f64,
    #[param(init = 0.5, lower = 0.0, upper = 10.0)] rate: f64,
    pred: &mut [f64],
) {
    const N: usize = 2;
    const OFFSET: f64 = -0.25;
    for k in 0..pred.len() {
        let mut s = 0.0;
        for j in 0..N {
            s += (-(rate * (j + 1) as f64) * t[k]).exp();
        }
        pred[k] = a * s + OFFSET;
    }
}

fn main() {
    let x = Array2::from_shape_fn((2, 5), |(i, k)| (i * 10 + k) as f64);
    let mut out = Array2::<f64>::zeros((2, 5));
    moving_mean::launch(&x, &mut out).unwrap();
    assert_eq!(out[[0, 4]], (2.0 + 3.0 + 4.0) / 3.0);
    let dx = XpArray::from_host(x.into_dyn()).to_device(&Device::Emulator).unwrap();
    let mut dout = XpArray::from_host(ndarray::ArrayD::<f64>::zeros(vec![2, 5])).to_device(&Device::Emulator).unwrap();
    moving_mean::launch(&dx, &mut dout).unwrap();
    assert_eq!(dout.to_host().unwrap(), out.into_dyn());

    let t: Vec<f64> = (0..30).map(|k| 0.1 * k as f64).collect();
    let mut y = Array2::<f64>::zeros((2, t.len()));
    decay_sum::launch(&t, &[2.0, 0.5], &[1.5, 3.0], &mut y).unwrap();
    assert_eq!(y[[0, 0]], 2.0 * 2.0 - 0.25);
    let fit = decay_sum::fitter(&t).fit(&y).unwrap();
    let rate = fit.param("rate").unwrap();
    assert!((rate[1] - 3.0).abs() < 1e-8, "{rate:?}");
}
