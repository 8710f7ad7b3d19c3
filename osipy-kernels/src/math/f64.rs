//! `f64` math: the functions kernel bodies call on the CPU, and (as `#[xp_kernel]`s) the
//! PTX backend lowers from the same source.

use osipy_kernels::xp_kernel;

/// e^x.
#[inline]
pub fn exp(x: f64) -> f64 {
    x.exp()
}

/// 2^x.
#[inline]
pub fn exp2(x: f64) -> f64 {
    x.exp2()
}

/// Natural logarithm.
#[inline]
pub fn ln(x: f64) -> f64 {
    x.ln()
}

/// Base-2 logarithm.
#[inline]
pub fn log2(x: f64) -> f64 {
    x.log2()
}

/// Base-10 logarithm.
#[inline]
pub fn log10(x: f64) -> f64 {
    x.log10()
}

/// x^y.
#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// x^n, computed as `powf(x, n)` so the result does not depend on optimisation.
#[inline]
pub fn powi(x: f64, n: i32) -> f64 {
    x.powf(f64::from(n))
}

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
