//! A corpus of kernels with one signature, each exercising constructs of the kernel language,
//! run on every backend by `tests/backends.rs`: `(x, y, i, u, row, out) -> f64`.

// The corpus writes some constructs in deliberately plain forms to exercise them.
#![allow(clippy::len_zero, clippy::let_and_return, clippy::needless_late_init)]

use osipy_kernels::xp_kernel;

/// Float arithmetic and comparisons, including NaN-sensitive ones.
#[xp_kernel]
pub fn c_float_ops(x: f64, y: f64, _i: i32, _u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    let mut k = 0.0;
    if x < y {
        k += 1.0;
    }
    if x <= y {
        k += 2.0;
    }
    if x > y {
        k += 4.0;
    }
    if x >= y {
        k += 8.0;
    }
    if x == y {
        k += 16.0;
    }
    if x != y {
        k += 32.0;
    }
    if out.len() > 3 {
        out[0] = x + y;
        out[1] = x - y;
        out[2] = x * y;
        out[3] = x / y;
    }
    k + x % 3.0 * 0.0
}

/// Unary minus, abs, signum, recip on edge values (sign bits of NaN and zero kept).
#[xp_kernel]
pub fn c_sign_ops(x: f64, y: f64, _i: i32, _u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    if out.len() > 3 {
        out[0] = -x;
        out[1] = y.abs();
        out[2] = x.signum();
        out[3] = y.recip();
    }
    (-y).to_bits() as f64
}

/// Rounding intrinsics.
#[xp_kernel]
pub fn c_rounding(x: f64, y: f64, _i: i32, _u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    if out.len() > 3 {
        out[0] = x.floor();
        out[1] = x.ceil();
        out[2] = (x * 0.5).round();
        out[3] = (y * 2.5).trunc();
    }
    (x + 0.5).round() + (y - 0.5).round() + 2.5f64.round() + (-2.5f64).round()
}

/// sqrt, mul_add, min and max.
#[xp_kernel]
pub fn c_sqrt_fma_minmax(x: f64, y: f64, _i: i32, _u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    if out.len() > 3 {
        out[0] = x.abs().sqrt();
        out[1] = x.mul_add(y, 0.1);
        out[2] = x.min(y);
        out[3] = x.max(y);
    }
    x.mul_add(x, -y).min(1e300).max(-1e300)
}

/// Float-to-integer casts saturate and map NaN to 0; integer-to-float round to nearest.
#[xp_kernel]
pub fn c_casts(x: f64, y: f64, i: i32, u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    let a = (x * 1e9) as i32;
    let b = (y * 1e18) as i64;
    let c = (x * 1e9) as u32;
    let d = (y * 1e19) as u64;
    let e = x as usize;
    let f = (x as f32) as f64;
    if out.len() > 5 {
        out[0] = a as f64;
        out[1] = b as f64;
        out[2] = c as f64;
        out[3] = d as f64;
        out[4] = e as f64;
        out[5] = f;
    }
    (i as f64)
        + (u as f64)
        + (u as f32) as f64
        + ((i as u32) as f64)
        + ((u as i32) as f64)
        + (x > 0.0) as i32 as f64
}

/// 32-bit integer arithmetic wraps; bit operations and shifts.
#[xp_kernel]
pub fn c_int32(x: f64, _y: f64, i: i32, u: u64, _row: &[f64], _out: &mut [f64]) -> f64 {
    let a = i * 65599 + 12345;
    let b = (u as u32) * 2654435761u32;
    let c = (a ^ (a >> 7)) & 0x7fff_ffff | 3;
    let d = (b << 5) | (b >> 27);
    let e = a / (i % 7) + a % (i % 5);
    let f = !b;
    let g = -a;
    (c as f64) + (d as f64) + (e as f64) + (f as f64) + (g as f64) + x * 0.0
}

/// 64-bit integer arithmetic and usize.
#[xp_kernel]
pub fn c_int64(_x: f64, _y: f64, i: i32, u: u64, _row: &[f64], _out: &mut [f64]) -> f64 {
    let a = (i as i64) * 6364136223846793005i64 + 1442695040888963407i64;
    let b = u * 6364136223846793005u64 + (u >> 33);
    let c = a >> 17;
    let d = b / (u % 13) + b % (u % 11);
    let n: usize = (u as usize) % 100;
    let e = n * 3 + n / 2 - n % 4;
    let m = a.min(-5).max(i64::MIN + 1);
    ((c ^ (a << 3)) as f64) + (d as f64) + (e as f64) + (m as f64) + (i.abs() as f64)
}

/// Booleans: logic, short circuit around a faulting index, comparisons of bools.
#[xp_kernel]
pub fn c_bools(x: f64, y: f64, i: i32, _u: u64, row: &[f64], _out: &mut [f64]) -> f64 {
    let a = x > 0.0;
    let b = y.is_nan();
    let c = (a && !b) || (a ^ b) & (a | b);
    // The right side would fault for an empty row: it must not run.
    let d = !row.is_empty() && row[0] > 0.0;
    let e = row.len() == 0 || row[0] < 0.0;
    let f = a == b;
    let g = a != c;
    let h = x.is_finite() && i > 3;
    (c as i32 + 2 * d as i32 + 4 * e as i32 + 8 * f as i32 + 16 * g as i32 + 32 * h as i32) as f64
}

/// Nested loops with break, continue and early return.
#[xp_kernel]
pub fn c_loops(x: f64, _y: f64, i: i32, _u: u64, row: &[f64], _out: &mut [f64]) -> f64 {
    let mut s = 0.0;
    let mut k = 0;
    while k < 5 {
        k += 1;
        let mut j = 0;
        loop {
            j += 1;
            if j > k {
                break;
            }
            if (j + k) % 3 == 0 {
                continue;
            }
            s += (j * k) as f64;
        }
        if s > 1e3 {
            return s;
        }
    }
    for m in (0..=((i % 4 + 4) % 4) as usize).rev() {
        if m < row.len() {
            s += row[m];
        }
    }
    for m in (1..4).rev() {
        s += m as f64 * x;
    }
    for _ in 0..=0 {
        s += 0.5;
    }
    s
}

/// `if` as an expression, including a diverging branch and nested blocks.
#[xp_kernel]
pub fn c_if_expr(x: f64, y: f64, i: i32, _u: u64, _row: &[f64], _out: &mut [f64]) -> f64 {
    let a = if x > y {
        x
    } else if x < y {
        y
    } else {
        0.0
    };
    let b = if i > 10 {
        let t = i * 2;
        t as f64
    } else {
        if x.is_nan() {
            return -7.0;
        }
        -1.0
    };
    let c = {
        let z = a * 2.0;
        z + b
    };
    c
}

/// Local arrays of several types, compound assignment on elements.
#[xp_kernel]
pub fn c_local_arrays(x: f64, y: f64, i: i32, u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    let mut a = [0.0; 6];
    let mut b: [i32; 3] = [1, 2, 3];
    let mut c = [false; 2];
    let mut d = [0u64; 2];
    for k in 0..a.len() {
        a[k] = x * k as f64 + y;
        a[k] += 1.0;
        a[k] *= 0.5;
        a[k] -= y;
        a[k] /= 2.0;
    }
    b[0] += i;
    b[1] *= i;
    b[2] -= i;
    b[1] ^= 5;
    b[2] <<= 2;
    b[0] >>= 1;
    b[1] |= 8;
    b[2] &= 0xff;
    b[0] %= 5;
    c[1] = x > y;
    d[0] = u;
    d[1] += d[0] / 3;
    let n = if out.len() < a.len() { out.len() } else { a.len() };
    for k in 0..n {
        out[k] = a[k];
    }
    (b[0] + b[1] + b[2]) as f64 + c[1] as i32 as f64 + (d[1] % 1000) as f64
}

/// Helper: accumulates into `&mut` scalars and a mutable row; returns a tuple.
#[xp_kernel]
pub fn c_helper(v: &[f64], acc: &mut f64, count: &mut u32, dst: &mut [f64]) -> (f64, bool) {
    let mut m = f64::NEG_INFINITY;
    for k in 0..v.len() {
        *acc += v[k];
        *count += 1;
        m = m.max(v[k]);
        if k < dst.len() {
            dst[k] = v[k] * 2.0;
        }
    }
    (m, *count > 2)
}

/// Calls with `&mut` locals, local arrays as rows, output rows and tuple results.
#[xp_kernel]
pub fn c_calls(x: f64, y: f64, _i: i32, _u: u64, row: &[f64], out: &mut [f64]) -> f64 {
    let mut acc = 0.0;
    let mut count = 0u32;
    let mut tmp = [0.0; 4];
    let (m1, big1) = c_helper(row, &mut acc, &mut count, &mut tmp);
    let loc = [x, y, x * y];
    let (m2, big2) = c_helper(&loc, &mut acc, &mut count, out);
    acc + m1.max(-1e300) + m2 + tmp[0] + (big1 as i32 + big2 as i32) as f64 + count as f64
}

/// Constants of both float types and of integers.
#[xp_kernel]
pub fn c_constants(x: f64, _y: f64, _i: i32, _u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    if out.len() > 5 {
        out[0] = std::f64::consts::PI + core::f64::consts::E + std::f64::consts::LN_2;
        out[1] = f64::EPSILON + f64::MIN_POSITIVE;
        out[2] = f64::MAX;
        out[3] = f64::NEG_INFINITY;
        out[4] = std::f32::consts::PI as f64 + f32::EPSILON as f64 + f32::MAX as f64;
        out[5] = f64::NAN;
    }
    (i32::MAX as f64)
        + (i32::MIN as f64)
        + (u32::MAX as f64)
        + (i64::MIN as f64)
        + (u64::MAX as f64)
        + x * 0.0
}

/// f32 arithmetic and intrinsics.
#[xp_kernel]
pub fn c_f32(x: f64, y: f64, _i: i32, _u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    let a = x as f32;
    let b = y as f32;
    let c = a * b + a / b - a;
    let d = a.mul_add(b, 1.5f32).sqrt();
    let e = a.min(b).max(-1e30f32).floor() + b.ceil() + a.round() + b.trunc();
    let f = f32::from_bits(a.to_bits() ^ 0x8000_0000);
    let g = a.signum() + b.recip() + a.abs();
    if out.len() > 4 {
        out[0] = c as f64;
        out[1] = d as f64;
        out[2] = e as f64;
        out[3] = f as f64;
        out[4] = g as f64;
    }
    (a < b) as i32 as f64 + (a != b) as i32 as f64 + a.is_nan() as i32 as f64
}

/// Row reads with a computed index that can be out of range (fault on some items).
#[xp_kernel]
pub fn c_row_index(x: f64, _y: f64, i: i32, _u: u64, row: &[f64], out: &mut [f64]) -> f64 {
    let k = (i % 9) as usize;
    if k < out.len() {
        out[k] = x;
    }
    row[k]
}

/// Shadowing, `let` without initialiser, and assignment to a parameter.
#[xp_kernel]
pub fn c_shadowing(mut x: f64, y: f64, i: i32, _u: u64, _row: &[f64], _out: &mut [f64]) -> f64 {
    let r;
    if i > 0 {
        r = y;
    } else {
        r = -y;
    }
    x += r;
    let x = x * 2.0;
    let x = { x + 1.0 };
    let mut i = i;
    i -= 3;
    x + i as f64
}

/// Empty rows and zero-length outputs are fine.
#[xp_kernel]
pub fn c_empty_rows(_x: f64, _y: f64, _i: i32, _u: u64, row: &[f64], out: &mut [f64]) -> f64 {
    let mut s = row.len() as f64 * 10.0 + out.len() as f64;
    for k in 0..row.len() {
        s += row[k];
    }
    s
}

/// Float remainder, exact on every backend (f64 and f32).
#[xp_kernel]
pub fn c_fmod(x: f64, y: f64, i: i32, _u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    let b = (x as f32) % (y as f32);
    let c = (x * 1e300) % (y * 1e-300);
    let mut d = x % (i as f64);
    d %= 0.375;
    if out.len() > 2 {
        out[0] = c;
        out[1] = d;
        out[2] = b as f64;
    }
    x % y
}

/// Transcendentals of both float types (the project's own math on every backend).
#[xp_kernel]
pub fn c_transcendental(x: f64, y: f64, i: i32, _u: u64, _row: &[f64], out: &mut [f64]) -> f64 {
    let a = x.exp() + y.exp2();
    let b = x.abs().ln() + y.abs().log2() + (x * y).abs().log10();
    let c = x.powf(y) + y.abs().powf(0.5) + x.powi(i % 40);
    let xf = x as f32;
    let yf = y as f32;
    let d = xf.exp() + yf.exp2() + xf.abs().ln() + yf.abs().log2() + xf.abs().log10();
    let e = xf.powf(yf) + xf.powi(i % 20);
    if out.len() > 4 {
        out[0] = a;
        out[1] = b;
        out[2] = c;
        out[3] = d as f64;
        out[4] = e as f64;
    }
    x.ln() + y.exp() * 1e-3
}

/// Inputs of one run of the corpus: per-item `x`, `y`, `i`, `u`, rows `row`, outputs `out`.
pub struct Inputs {
    /// Per-item floats.
    pub x: ndarray::ArrayD<f64>,
    /// Per-item floats.
    pub y: ndarray::ArrayD<f64>,
    /// Per-item 32-bit integers.
    pub i: ndarray::ArrayD<i32>,
    /// Per-item 64-bit integers.
    pub u: ndarray::ArrayD<u64>,
    /// One input row per item.
    pub row: ndarray::ArrayD<f64>,
    /// The initial output rows.
    pub out: ndarray::ArrayD<f64>,
}

/// What one run gives, brought to the host: the return values or the error, and the outputs.
pub type Outcome = (
    Result<ndarray::ArrayD<f64>, osipy_kernels::Error>,
    ndarray::ArrayD<f64>,
);

/// Runs one corpus kernel with the inputs moved to a device.
pub type Runner = fn(osipy_kernels::Device, &Inputs) -> Outcome;

fn on<T: osipy_kernels::Element>(
    d: osipy_kernels::Device,
    a: &ndarray::ArrayD<T>,
) -> osipy_kernels::XpArray<T> {
    match osipy_kernels::XpArray::from(a.clone()).to_device(&d) {
        Ok(x) => x,
        Err(e) => panic!("moving corpus inputs to {d}: {e}"),
    }
}

fn host(a: osipy_kernels::XpArray<f64>) -> ndarray::ArrayD<f64> {
    match a.to_host() {
        Ok(h) => h,
        Err(e) => panic!("bringing corpus results to the host: {e}"),
    }
}

macro_rules! runners {
    ($($name:ident),* $(,)?) => {
        /// Every kernel of the corpus: name, [`Runner`] and PTX module. The one list the
        /// backend comparisons and the ptxas check iterate over.
        pub const ALL: &[(&str, Runner, &str)] = &[$(
            (stringify!($name), {
                fn run(d: osipy_kernels::Device, v: &Inputs) -> Outcome {
                    let mut out = on(d, &v.out);
                    let res = $name::launch(&on(d, &v.x), &on(d, &v.y), &on(d, &v.i), &on(d, &v.u), &on(d, &v.row), &mut out);
                    (res.map(host), host(out))
                }
                run
            }, $name::PTX),
        )*];
    };
}

runners!(
    c_float_ops,
    c_sign_ops,
    c_rounding,
    c_sqrt_fma_minmax,
    c_casts,
    c_int32,
    c_int64,
    c_bools,
    c_loops,
    c_if_expr,
    c_local_arrays,
    c_calls,
    c_constants,
    c_f32,
    c_row_index,
    c_shadowing,
    c_empty_rows,
    c_fmod,
    c_transcendental,
);
