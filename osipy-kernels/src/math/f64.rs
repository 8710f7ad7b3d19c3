//! `f64` math: the functions kernel bodies call for `exp`, `exp2`, `ln`, `log2`, `log10`,
//! `powf`, `powi` and `%`. All are `#[xp_kernel]`s, so the PTX backend lowers the same code
//! and CPU and devices agree bit for bit.
//!
//! Accuracy against a correctly rounded reference: `exp`, `exp2`, `ln`, `log2`, `log10`
//! within 1 ulp, `powf` and `powi` within 2 ulp; special values as C99 Annex F.

use osipy_kernels::xp_kernel;

pub use super::exp::{exp, exp2};
pub use super::lanes::f64::{
    exp2_lanes, exp_lanes, ln_lanes, log10_lanes, log2_lanes, powf_lanes, powi_lanes,
};
pub use super::log::{ln, log10, log2};
pub use super::pow::{powf, powi};

#[doc(hidden)]
pub use super::exp::{__xp_deps_exp, __xp_deps_exp2, xp_kernel_named_exp, xp_kernel_named_exp2};
#[doc(hidden)]
pub use super::log::{
    __xp_deps_ln, __xp_deps_log10, __xp_deps_log2, xp_kernel_named_ln, xp_kernel_named_log10,
    xp_kernel_named_log2,
};
#[doc(hidden)]
pub use super::pow::{__xp_deps_powf, __xp_deps_powi, xp_kernel_named_powf, xp_kernel_named_powi};

/// `x % y` for `f64` by long division of the significands.
#[xp_kernel]
pub fn fmod(x: f64, y: f64) -> f64 {
    let ux = x.to_bits();
    let uy = y.to_bits();
    let sx = ux & 0x8000_0000_0000_0000u64;
    let ax = ux & 0x7fff_ffff_ffff_ffffu64;
    let ay = uy & 0x7fff_ffff_ffff_ffffu64;
    if ay == 0 || ax >= 0x7ff0_0000_0000_0000u64 || ay > 0x7ff0_0000_0000_0000u64 {
        return f64::NAN;
    }
    if ax < ay {
        return x;
    }
    if ax == ay {
        return f64::from_bits(sx);
    }
    let mut ex = (ax >> 52) as i64;
    let mut ey = (ay >> 52) as i64;
    let mut mx = ax & 0x000f_ffff_ffff_ffffu64;
    let mut my = ay & 0x000f_ffff_ffff_ffffu64;
    // Normalise: the significand gets its leading bit at position 52.
    if ex == 0 {
        ex = 1;
        while mx < 0x0010_0000_0000_0000u64 {
            mx <<= 1;
            ex -= 1;
        }
    } else {
        mx |= 0x0010_0000_0000_0000u64;
    }
    if ey == 0 {
        ey = 1;
        while my < 0x0010_0000_0000_0000u64 {
            my <<= 1;
            ey -= 1;
        }
    } else {
        my |= 0x0010_0000_0000_0000u64;
    }
    // Long division: subtract, shift, one exponent step at a time.
    while ex > ey {
        if mx >= my {
            mx -= my;
            if mx == 0 {
                return f64::from_bits(sx);
            }
        }
        mx <<= 1;
        ex -= 1;
    }
    if mx >= my {
        mx -= my;
        if mx == 0 {
            return f64::from_bits(sx);
        }
    }
    while mx < 0x0010_0000_0000_0000u64 {
        mx <<= 1;
        ex -= 1;
    }
    let bits = if ex > 0 {
        (mx - 0x0010_0000_0000_0000u64) | ((ex as u64) << 52)
    } else {
        mx >> ((1 - ex) as u64)
    };
    f64::from_bits(bits | sx)
}
