//! The spoiled gradient echo (SPGR, FLASH) steady-state signal and its inversion, for one
//! sample; building blocks of the per-voxel kernels of [`crate::conc`] and [`crate::t1`].
//!
//! With `E = exp(-TR R1)` and flip angle `a`, the steady-state signal is
//!
//! ```text
//! S = S0 sin(a) (1 - E) / (1 - cos(a) E)
//! ```
//!
//! where `S0` is the fully relaxed signal (`M0` times the receive gain, a.u.). Flip angles are
//! in degrees throughout: [`sin_cos_deg()`] reduces them exactly, so `sin(180°)` is exactly 0.
//!
//! The signal is bounded: `S < S0 sin(a)` for every finite `R1 >= 0` (the limit `R1 -> inf`).
//! [`spgr_r1()`] inverts one sample and gives NaN for a sample at or beyond that maximum.

use osipy_kernels::xp_kernel;

/// `sin(x)` and `cos(x)` of an angle `x` in **degrees**, for any finite `x`.
///
/// The angle is reduced exactly (`x % 360`, then to `[-45°, 45°]` around the nearest multiple
/// of 90°), converted to radians as a double-double and evaluated with the fdlibm minimax
/// kernels on `[-pi/4, pi/4]`, so the error is below about 1 ulp. Multiples of 90° give exact
/// 0 and ±1. NaN or infinite `x` gives NaN for both. The kernel language has no `sin`/`cos`;
/// this is the one every SPGR kernel of the crate uses, on every device alike.
#[xp_kernel]
pub fn sin_cos_deg(x: f64) -> (f64, f64) {
    if !x.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    // Exact: the remainder of a float is exact, and |x % 360| < 360.
    let m = x % 360.0;
    let q = (m / 90.0).round();
    // Exact: q * 90 is an integer below 2^10 and |m - 90 q| <= 45 + ulp.
    let r = m - q * 90.0;
    let mut n = q as i64 % 4;
    if n < 0 {
        n += 4;
    }
    // Radians as a double-double (th, tl), with pi / 180 = HI + LO as a double-double.
    let hi = 0.017453292519943295;
    let lo = 2.9486522708701687e-19;
    let p = r * hi;
    let pe = r.mul_add(hi, -p) + r * lo;
    let th = p + pe;
    let tl = pe - (th - p);
    let s = kernel_sin(th, tl);
    let c = kernel_cos(th, tl);
    if n == 0 {
        (s, c)
    } else if n == 1 {
        (c, -s)
    } else if n == 2 {
        (-s, -c)
    } else {
        (-c, s)
    }
}

/// fdlibm's `__kernel_sin(x, y, 1)`: `sin(x + y)` for `|x| <= pi/4`, `y` the tail of `x`.
#[xp_kernel]
#[allow(clippy::excessive_precision)] // fdlibm's coefficients, as published
pub fn kernel_sin(x: f64, y: f64) -> f64 {
    let s1 = -1.66666666666666324348e-01;
    let s2 = 8.33333333332248946124e-03;
    let s3 = -1.98412698298579493134e-04;
    let s4 = 2.75573137070700676789e-06;
    let s5 = -2.50507602534068634195e-08;
    let s6 = 1.58969099521155010221e-10;
    let z = x * x;
    let w = z * z;
    let r = s2 + z * (s3 + z * s4) + z * w * (s5 + z * s6);
    let v = z * x;
    x - ((z * (0.5 * y - v * r) - y) - v * s1)
}

/// fdlibm's `__kernel_cos(x, y)`: `cos(x + y)` for `|x| <= pi/4`, `y` the tail of `x`.
#[xp_kernel]
#[allow(clippy::excessive_precision)] // fdlibm's coefficients, as published
pub fn kernel_cos(x: f64, y: f64) -> f64 {
    let c1 = 4.16666666666666019037e-02;
    let c2 = -1.38888888888741095749e-03;
    let c3 = 2.48015872894767294178e-05;
    let c4 = -2.75573143513906633035e-07;
    let c5 = 2.08757232129817482790e-09;
    let c6 = -1.13596475577881948265e-11;
    let z = x * x;
    let w = z * z;
    let r = z * (c1 + z * (c2 + z * c3)) + w * w * (c4 + z * (c5 + z * c6));
    let hz = 0.5 * z;
    let v = 1.0 - hz;
    v + (((1.0 - v) - hz) + (z * r - x * y))
}

/// SPGR signal (a.u.) of a voxel with fully relaxed signal `s0` (a.u.) and longitudinal
/// relaxation rate `r1` (/s), for flip angle `fa` (**degrees**) and repetition time `tr` (s):
/// `s0 sin(fa) (1 - E) / (1 - cos(fa) E)`, `E = exp(-tr r1)`.
///
/// As OSIPI's `signal_SPGR(R1, S0, TR, a)`.
#[xp_kernel]
pub fn spgr_signal(s0: f64, r1: f64, #[uniform] fa: f64, #[uniform] tr: f64) -> f64 {
    let (sa, ca) = sin_cos_deg(fa);
    spgr_signal_sc(s0, r1, sa, ca, tr)
}

/// The SPGR signal from the sine `sa` and cosine `ca` of the flip angle (see [`spgr_signal()`]).
#[xp_kernel]
pub fn spgr_signal_sc(s0: f64, r1: f64, sa: f64, ca: f64, tr: f64) -> f64 {
    let e = (-tr * r1).exp();
    s0 * sa * (1.0 - e) / (1.0 - ca * e)
}

/// `S0 sin(a)`, the SPGR signal maximum, of a voxel whose signal is `s_base` (a.u.) at the
/// known rate `r10` (/s), for a flip angle with cosine `ca` and repetition time `tr` (s):
/// `s_base (1 - ca E0) / (1 - E0)`, `E0 = exp(-tr r10)`.
///
/// NaN unless `s_base > 0`, `r10 > 0` and both are finite (no steady state to calibrate on).
#[xp_kernel]
pub fn spgr_max_signal(s_base: f64, r10: f64, ca: f64, tr: f64) -> f64 {
    if !(s_base > 0.0 && s_base.is_finite() && r10 > 0.0 && r10.is_finite()) {
        return f64::NAN;
    }
    let e0 = (-tr * r10).exp();
    s_base * (1.0 - ca * e0) / (1.0 - e0)
}

/// R1 (/s) of one SPGR sample `s` (a.u.) given the signal maximum `smax = S0 sin(a)` (from
/// [`spgr_max_signal()`]), the flip angle's cosine `ca` and `tr` (s):
/// `E = (smax - s) / (smax - s cos a)`, `R1 = -ln(E) / tr`.
///
/// A sample at or beyond the maximum (`s >= smax`: no finite R1 gives it) is NaN, as is a NaN
/// sample or maximum, or a non-positive denominator (only possible for flip angles beyond 90°
/// with negative samples). A negative sample (noise around zero) gives `E > 1` and a negative,
/// finite R1: it is kept, as a value below R10 is kept.
#[xp_kernel]
pub fn spgr_r1(s: f64, smax: f64, ca: f64, tr: f64) -> f64 {
    let num = smax - s;
    let den = smax - s * ca;
    if !(num > 0.0 && den > 0.0) {
        return f64::NAN;
    }
    -(num / den).ln() / tr
}
