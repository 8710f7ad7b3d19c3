//! Fit models of the derivative and fit tests: the golden-data models (`expdecay3`, `etofts`,
//! `gauss4`, the same formulas as `tests/data/fit-golden/make_golden.py`) and models that
//! exercise the differentiation through branches, loops, local arrays, intrinsics and calls
//! (tuple returns, `&mut` outputs, local arrays passed as rows).
//!
//! [`Case`] gives every model one interface for the tests: inputs, the model launch, its
//! Jacobian launch and a fit, on any device.

use ndarray::{Array1, Array2};
use osipy_kernels::fit::{FitResult, LevenbergMarquardt};
use osipy_kernels::{xp_kernel, xp_struct, Device, Result, XpArray};

/// `a exp(-k t) + c`.
#[xp_kernel(model)]
pub fn expdecay3(
    #[uniform] t: &[f64],
    #[param(init = 1.0, lower = 0.0, upper = 10.0)] a: f64,
    #[param(init = 1.0, lower = 0.0, upper = 20.0)] k: f64,
    #[param(init = 0.0, lower = -1.0, upper = 1.0)] c: f64,
    pred: &mut [f64],
) {
    for i in 0..pred.len() {
        pred[i] = a * (-k * t[i]).exp() + c;
    }
}

/// The integral over one sample interval of a linear plasma curve (from `a` to `b`) against
/// `exp(-kep (t_end - s))`, and the decay factor `exp(-kep dt)` (`dt` in minutes).
#[xp_kernel]
pub fn tofts_segment(a: f64, b: f64, kep: f64, dt: f64) -> (f64, f64) {
    let x = kep * dt;
    let e = (-x).exp();
    let i = if x > 1e-3 {
        (b - a * e) / kep - (b - a) * (1.0 - e) / (kep * kep * dt)
    } else {
        let x2 = x * x;
        let x3 = x2 * x;
        dt * (a * (1.0 - x / 2.0 + x2 / 6.0 - x3 / 24.0) + (b - a) * (0.5 - x / 6.0 + x2 / 24.0 - x3 / 120.0))
    };
    (i, e)
}

/// Extended Tofts: `vp cp + ktrans (cp * exp(-kep t))`, exact for a piecewise-linear `cp`
/// on any time grid (`t` in seconds, Ktrans in /min).
#[xp_kernel(model)]
pub fn etofts(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[param(init = 0.1, lower = 1e-5, upper = 5.0)] ktrans: f64,
    #[param(init = 0.3, lower = 1e-3, upper = 1.0)] ve: f64,
    #[param(init = 0.05, lower = 0.0, upper = 1.0)] vp: f64,
    ct: &mut [f64],
) {
    let kep = ktrans / ve;
    let mut f = 0.0;
    ct[0] = vp * cp[0];
    for i in 1..ct.len() {
        let dt = (t[i] - t[i - 1]) / 60.0;
        let (seg, e) = tofts_segment(cp[i - 1], cp[i], kep, dt);
        f = e * f + seg;
        ct[i] = vp * cp[i] + ktrans * f;
    }
}

/// A Gaussian peak on a baseline.
#[xp_kernel(model)]
pub fn gauss4(
    #[uniform] t: &[f64],
    #[param(init = 2.0, lower = 0.0, upper = 10.0)] amp: f64,
    #[param(init = 10.0, lower = 0.0, upper = 20.0)] mu: f64,
    #[param(init = 2.0, lower = 0.1, upper = 10.0)] s: f64,
    #[param(init = 0.0, lower = -5.0, upper = 5.0)] c: f64,
    pred: &mut [f64],
) {
    for i in 0..pred.len() {
        let d = (t[i] - mu) / s;
        pred[i] = amp * (-0.5 * d * d).exp() + c;
    }
}

/// A line with a third parameter that has no influence: its fit is singular.
#[xp_kernel(model)]
pub fn line_unused(
    #[uniform] t: &[f64],
    #[param(init = 1.0)] m: f64,
    #[param(init = 0.0)] q: f64,
    #[param(init = 1.0, lower = 0.0, upper = 2.0)] unused: f64,
    pred: &mut [f64],
) {
    let _ = unused;
    for i in 0..pred.len() {
        pred[i] = m * t[i] + q;
    }
}

/// `a t` for `a > 1`, else `(2 - a) t`: below 1 the slope goes the wrong way. With data under
/// `t` and `a` on its lower bound 1, the derivative there (of the branch `2 - a`) says that
/// raising `a` lowers the cost, but every step up raises it: the fit stops against the bound
/// with a gradient pointing into the bounds.
#[xp_kernel(model)]
pub fn kink_at_bound(
    #[uniform] t: &[f64],
    #[param(init = 1.0, lower = 1.0, upper = 3.0)] a: f64,
    pred: &mut [f64],
) {
    let slope = if a > 1.0 { a } else { 2.0 - a };
    for i in 0..pred.len() {
        pred[i] = slope * t[i];
    }
}

/// A line whose slope is fitted on a log scale; the body calls no math function, so the fit's
/// `exp` and `ln` come from the `log` option alone.
#[xp_kernel(model)]
pub fn line_log_slope(
    #[uniform] t: &[f64],
    #[param(init = 1.0, lower = 0.0, log)] m: f64,
    #[param(init = 0.0, lower = -10.0, upper = 10.0)] q: f64,
    pred: &mut [f64],
) {
    for i in 0..pred.len() {
        pred[i] = m * t[i] + q;
    }
}

/// One sample of a gamma variate, zero outside `(t0, t_end]`.
#[xp_kernel]
pub fn gamma_sample(t: f64, t_end: f64, a: f64, t0: f64, alpha: f64, beta: f64) -> f64 {
    let s = t - t0;
    if s > 0.0 && t <= t_end {
        a * (alpha * s.ln() - s / beta).exp()
    } else {
        0.0
    }
}

/// Gamma variate `a (t - t0)^alpha exp(-(t - t0) / beta)` cut after `t_end`, with the amplitude
/// on a log scale.
#[xp_kernel(model)]
pub fn gamma_log(
    #[uniform] t: &[f64],
    t_end: f64,
    #[param(init = 1.0, lower = 0.0, log)] a: f64,
    #[param(init = 15.0, lower = 0.0, upper = 60.0)] t0: f64,
    #[param(init = 3.0, lower = 1.0, upper = 10.0)] alpha: f64,
    #[param(init = 1.5, lower = 0.1, upper = 10.0)] beta: f64,
    pred: &mut [f64],
) {
    for k in 0..pred.len() {
        pred[k] = gamma_sample(t[k], t_end, a, t0, alpha, beta);
    }
}

/// The same gamma variate with the amplitude on a linear scale.
#[xp_kernel(model)]
pub fn gamma_linear(
    #[uniform] t: &[f64],
    t_end: f64,
    #[param(init = 1.0, lower = 0.0)] a: f64,
    #[param(init = 15.0, lower = 0.0, upper = 60.0)] t0: f64,
    #[param(init = 3.0, lower = 1.0, upper = 10.0)] alpha: f64,
    #[param(init = 1.5, lower = 0.1, upper = 10.0)] beta: f64,
    pred: &mut [f64],
) {
    for k in 0..pred.len() {
        pred[k] = gamma_sample(t[k], t_end, a, t0, alpha, beta);
    }
}

/// IVIM: `s0 (f exp(-b D*) + (1 - f) exp(-b D))` with the bounds of the OSIPI IVIM code
/// collection's unit tests.
#[xp_kernel(model)]
pub fn ivim(
    #[uniform] b: &[f64],
    #[param(init = 1.0, lower = 0.7, upper = 1.3)] s0: f64,
    #[param(init = 0.1, lower = 0.0, upper = 1.0)] f: f64,
    #[param(init = 1e-3, lower = 0.0, upper = 0.005)] d: f64,
    #[param(init = 0.01, lower = 0.005, upper = 0.2)] dstar: f64,
    s: &mut [f64],
) {
    for k in 0..s.len() {
        s[k] = s0 * (f * (-b[k] * dstar).exp() + (1.0 - f) * (-b[k] * d).exp());
    }
}

/// Adds `w * x` to `acc` and returns the product.
#[xp_kernel]
pub fn accumulate(x: f64, w: f64, acc: &mut f64) -> f64 {
    let p = w * x;
    *acc += p;
    p
}

/// `k < n` as a kernel: a `while` condition with a call in it.
#[xp_kernel]
pub fn before(k: usize, n: usize) -> bool {
    k < n
}

/// Weighted sum of a row (a local array is passed here).
#[xp_kernel]
pub fn row_dot(x: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s = x[i].mul_add(w[i], s);
    }
    s
}

/// Fills `out[i] = base^(i+1)` and returns nothing: a `&mut` row written by a callee.
#[xp_kernel]
pub fn powers(base: f64, out: &mut [f64]) {
    let mut v = 1.0;
    for i in 0..out.len() {
        v *= base;
        out[i] = v;
    }
}

/// A model that exercises every construct the differentiation supports: branches (also as
/// expressions), `while` (with a call in its condition) and `for` loops, `continue`, local arrays (written in a loop, passed
/// to a kernel as a row and as a `&mut` row), calls with tuple returns and `&mut` outputs,
/// compound assignment, integer-to-float casts, and the intrinsics `exp ln sqrt powf powi
/// abs min max mul_add recip exp2 log2 log10`.
#[xp_kernel(model)]
pub fn mixed(
    #[uniform] t: &[f64],
    scale: f64,
    #[param(init = 0.5, lower = 0.1, upper = 3.0)] a: f64,
    #[param(init = 0.5, lower = 0.1, upper = 3.0)] b: f64,
    #[param(init = 0.5, lower = 0.1, upper = 3.0)] c: f64,
    pred: &mut [f64],
) {
    let mut w = [0.0; 4];
    let mut k = 0;
    while before(k, 4) {
        w[k] = (a * (k as f64 + 1.0)).sqrt() + b.powi(k as i32);
        k += 1;
    }
    let mut pw = [0.0; 3];
    powers(c, &mut pw);
    let wts = [1.0, 0.5, 0.25, 0.125];
    let dot = row_dot(&w, &wts);
    let mut acc = 0.0;
    for i in 0..pred.len() {
        let x = t[i];
        if x < 0.0 {
            continue;
        }
        let g = if x > 1.5 {
            (a * x).ln() + b.powf(0.5 + c)
        } else {
            let q = (b - x).abs() + 0.1;
            q.recip() * c.exp2()
        };
        let h = a.max(b * x).min(2.5 + c) + (c * x).mul_add(a, b).log2() * 0.25;
        let lo = (a * b) * 1.5;
        let m = accumulate(g, scale, &mut acc);
        let mut v = m + h * lo;
        v += 0.01 * acc + 0.001 * dot + 0.01 * pw[i % 3] + 0.1 * (1.0 + c * x).log10();
        pred[i] = v;
    }
}

/// The state of `etofts_struct`'s convolution: the running integral and the rate.
#[xp_struct]
#[derive(Clone, Copy)]
pub struct ConvAcc {
    /// `integral_0^t cp(s) exp(-kep (t - s)) ds` so far.
    pub f: f64,
    /// The rate (/min).
    pub kep: f64,
}

/// One step of `etofts_struct`'s convolution: the state changed through `&mut`, the new
/// integral returned.
#[xp_kernel]
pub fn conv_acc_step(s: &mut ConvAcc, a: f64, b: f64, dt: f64) -> f64 {
    let (seg, e) = tofts_segment(a, b, s.kep, dt);
    s.f = e * s.f + seg;
    s.f
}

/// [`etofts`](fn@etofts) with its convolution state in a struct local passed by `&mut` to a
/// kernel: the same operations, so the same bits, derivatives included.
#[xp_kernel(model)]
pub fn etofts_struct(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[param(init = 0.1, lower = 1e-5, upper = 5.0)] ktrans: f64,
    #[param(init = 0.3, lower = 1e-3, upper = 1.0)] ve: f64,
    #[param(init = 0.05, lower = 0.0, upper = 1.0)] vp: f64,
    ct: &mut [f64],
) {
    let mut s = ConvAcc {
        f: 0.0,
        kep: ktrans / ve,
    };
    ct[0] = vp * cp[0];
    for i in 1..ct.len() {
        let dt = (t[i] - t[i - 1]) / 60.0;
        let f = conv_acc_step(&mut s, cp[i - 1], cp[i], dt);
        ct[i] = vp * cp[i] + ktrans * f;
    }
}

/// Inputs of a test case.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Time axis.
    pub t: Vec<f64>,
    /// Second uniform row (plasma curve), empty where unused.
    pub cp: Vec<f64>,
    /// Per-item scalar input (`mixed`'s `scale`), one per item.
    pub scale: Vec<f64>,
}

/// Prediction and Jacobian (items x n, items x n*P) of per-item parameters (items x P).
pub type JacobianFn = fn(&Inputs, &Array2<f64>, usize, &Device) -> Result<(Array2<f64>, Array2<f64>)>;
/// Prediction of per-item parameters through the model's own `launch`.
pub type PredictFn = fn(&Inputs, &Array2<f64>, usize, &Device) -> Result<Array2<f64>>;

/// One model of the corpus, behind one interface.
#[derive(Clone, Copy)]
pub struct Case {
    /// Name.
    pub name: &'static str,
    /// Number of fitted parameters.
    pub p: usize,
    /// Default initial values.
    pub init: &'static [f64],
    /// Default lower bounds.
    pub lower: &'static [f64],
    /// Default upper bounds.
    pub upper: &'static [f64],
    /// Prediction and Jacobian (items x n, items x n*P) for per-item parameters (items x P).
    pub jacobian: JacobianFn,
    /// Prediction through the model's own `launch`.
    pub predict: PredictFn,
    /// A fit of `data` (items x n) with `lm`, the model's default bounds and `init`.
    pub fit: fn(&Inputs, &XpArray<f64>, &LevenbergMarquardt, &[f64]) -> Result<FitResult>,
}

fn on(device: &Device, v: &[f64]) -> Result<XpArray<f64>> {
    let a = XpArray::from_host(Array1::from(v.to_vec()).into_dyn());
    if *device == Device::Cpu {
        Ok(a)
    } else {
        a.to_device(device)
    }
}

fn col(device: &Device, params: &Array2<f64>, a: usize) -> Result<XpArray<f64>> {
    on(device, &params.column(a).to_vec())
}

fn host2(a: &XpArray<f64>, rows: usize, cols: usize) -> Result<Array2<f64>> {
    let h = a.to_host()?;
    Ok(Array2::from_shape_vec((rows, cols), h.iter().copied().collect()).unwrap_or_default())
}

fn outs(device: &Device, items: usize, n: usize, p: usize) -> Result<(XpArray<f64>, XpArray<f64>)> {
    let z = |c: usize| -> Result<XpArray<f64>> {
        let a = XpArray::from_host(ndarray::ArrayD::<f64>::zeros(ndarray::IxDyn(&[items, c])));
        if *device == Device::Cpu {
            Ok(a)
        } else {
            a.to_device(device)
        }
    };
    Ok((z(n)?, z(n * p)?))
}

macro_rules! case {
    ($name:ident, $p:tt, uniform[$($u:ident),*], item[$($it:ident),*]) => {
        Case {
            name: stringify!($name),
            p: $p,
            init: &$name::INIT,
            lower: &$name::LOWER,
            upper: &$name::UPPER,
            jacobian: |inp, params, n, device| {
                let items = params.nrows();
                $( let $u = on(device, &inp.$u)?; )*
                $( let $it = on(device, &inp.$it)?; )*
                let cols: Vec<XpArray<f64>> = (0..$p).map(|a| col(device, params, a)).collect::<Result<_>>()?;
                let (mut pred, mut jac) = outs(device, items, n, $p)?;
                case!(@call $name::jacobian::launch, cols, [$(&$u,)* $(&$it,)*], [&mut pred, &mut jac], $p)?;
                Ok((host2(&pred, items, n)?, host2(&jac, items, n * $p)?))
            },
            predict: |inp, params, n, device| {
                let items = params.nrows();
                $( let $u = on(device, &inp.$u)?; )*
                $( let $it = on(device, &inp.$it)?; )*
                let cols: Vec<XpArray<f64>> = (0..$p).map(|a| col(device, params, a)).collect::<Result<_>>()?;
                let (mut pred, _) = outs(device, items, n, 1)?;
                case!(@call $name::launch, cols, [$(&$u,)* $(&$it,)*], [&mut pred], $p)?;
                host2(&pred, items, n)
            },
            fit: |inp, data, lm, init| {
                let device = data.placement();
                $( let $u = on(&device, &inp.$u)?; )*
                $( let $it = on(&device, &inp.$it)?; )*
                $name::fitter($(&$u,)* $(&$it,)*).settings(*lm).init(init).fit(data)
            },
        }
    };
    (@call $f:path, $cols:ident, [$($in:expr,)*], [$($out:expr),*], 3) => {
        $f($($in,)* &$cols[0], &$cols[1], &$cols[2], $($out),*)
    };
    (@call $f:path, $cols:ident, [$($in:expr,)*], [$($out:expr),*], 4) => {
        $f($($in,)* &$cols[0], &$cols[1], &$cols[2], &$cols[3], $($out),*)
    };
}

macro_rules! case_mixed {
    () => {
        Case {
            name: "mixed",
            p: 3,
            init: &mixed::INIT,
            lower: &mixed::LOWER,
            upper: &mixed::UPPER,
            jacobian: |inp, params, n, device| {
                let items = params.nrows();
                let t = on(device, &inp.t)?;
                let scale = on(device, &inp.scale)?;
                let cols: Vec<XpArray<f64>> =
                    (0..3).map(|a| col(device, params, a)).collect::<Result<_>>()?;
                let (mut pred, mut jac) = outs(device, items, n, 3)?;
                mixed::jacobian::launch(&t, &scale, &cols[0], &cols[1], &cols[2], &mut pred, &mut jac)?;
                Ok((host2(&pred, items, n)?, host2(&jac, items, n * 3)?))
            },
            predict: |inp, params, n, device| {
                let items = params.nrows();
                let t = on(device, &inp.t)?;
                let scale = on(device, &inp.scale)?;
                let cols: Vec<XpArray<f64>> =
                    (0..3).map(|a| col(device, params, a)).collect::<Result<_>>()?;
                let (mut pred, _) = outs(device, items, n, 1)?;
                mixed::launch(&t, &scale, &cols[0], &cols[1], &cols[2], &mut pred)?;
                host2(&pred, items, n)
            },
            fit: |inp, data, lm, init| {
                let device = data.placement();
                let t = on(&device, &inp.t)?;
                let scale = on(&device, &inp.scale)?;
                mixed::fitter(&t, &scale).settings(*lm).init(init).fit(data)
            },
        }
    };
}

/// `etofts` and its twin `etofts_struct` (not in [`cases`]: no golden data of its own).
pub fn struct_twins() -> (Case, Case) {
    (
        case!(etofts, 3, uniform[t, cp], item[]),
        case!(etofts_struct, 3, uniform[t, cp], item[]),
    )
}

/// Every model of the corpus. The golden models' inputs have the scale row empty; `mixed`
/// takes one `scale` per item.
pub fn cases() -> Vec<Case> {
    vec![
        case!(expdecay3, 3, uniform[t], item[]),
        case!(etofts, 3, uniform[t, cp], item[]),
        case!(gauss4, 4, uniform[t], item[]),
        case_mixed!(),
    ]
}
