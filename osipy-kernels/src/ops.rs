//! Operator semantics shared by every backend.
//!
//! Integer arithmetic wraps. Integer division by zero yields 0 and the remainder by zero
//! yields the dividend, so `(a / b) * b + a % b == a` holds for every `a` and `b`.
//! `MIN / -1` wraps to `MIN` and `MIN % -1` is 0. Shift amounts are taken modulo the bit
//! width. Float `min`/`max` ignore a NaN operand and order `-0.0` below `+0.0`.

/// Integer operations with the kernel language's semantics.
pub trait KernelInt: Copy {
    /// Wrapping division; `x / 0 == 0`.
    fn k_div(self, rhs: Self) -> Self;
    /// Wrapping remainder; `x % 0 == x`.
    fn k_rem(self, rhs: Self) -> Self;
    /// Shift left by `rhs` modulo the bit width.
    fn k_shl(self, rhs: u32) -> Self;
    /// Shift right (arithmetic for signed types) by `rhs` modulo the bit width.
    fn k_shr(self, rhs: u32) -> Self;
}

macro_rules! kernel_int {
    ($($t:ty),*) => {$(
        impl KernelInt for $t {
            #[inline(always)]
            fn k_div(self, rhs: Self) -> Self {
                if rhs == 0 { 0 } else { self.wrapping_div(rhs) }
            }
            #[inline(always)]
            fn k_rem(self, rhs: Self) -> Self {
                if rhs == 0 { self } else { self.wrapping_rem(rhs) }
            }
            #[inline(always)]
            fn k_shl(self, rhs: u32) -> Self {
                self.wrapping_shl(rhs)
            }
            #[inline(always)]
            fn k_shr(self, rhs: u32) -> Self {
                self.wrapping_shr(rhs)
            }
        }
    )*};
}

kernel_int!(i32, u32, i64, u64, usize);

macro_rules! float_ops {
    ($m:ident, $t:ty, $bits:ty) => {
        /// Float intrinsics with semantics fixed across backends.
        pub mod $m {
            /// Minimum ignoring NaN (NaN only if both are NaN); `-0.0 < +0.0`.
            #[inline(always)]
            pub fn min(a: $t, b: $t) -> $t {
                if a < b {
                    a
                } else if b < a {
                    b
                } else if a.is_nan() {
                    b
                } else if b.is_nan() {
                    a
                } else {
                    <$t>::from_bits(a.to_bits() | b.to_bits())
                }
            }

            /// Maximum ignoring NaN (NaN only if both are NaN); `-0.0 < +0.0`.
            #[inline(always)]
            pub fn max(a: $t, b: $t) -> $t {
                if a > b {
                    a
                } else if b > a {
                    b
                } else if a.is_nan() {
                    b
                } else if b.is_nan() {
                    a
                } else {
                    <$t>::from_bits(a.to_bits() & b.to_bits())
                }
            }

            /// `1.0` with the sign of `x` (`-0.0` gives `-1.0`); NaN for NaN.
            #[inline(always)]
            pub fn signum(x: $t) -> $t {
                if x.is_nan() {
                    x
                } else {
                    <$t>::from_bits((1.0 as $t).to_bits() | (x.to_bits() & (1 as $bits).rotate_right(1)))
                }
            }

            /// Round half away from zero.
            #[inline(always)]
            pub fn round(x: $t) -> $t {
                x.round()
            }
        }
    };
}

float_ops!(f64_ops, f64, u64);
float_ops!(f32_ops, f32, u32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_division_by_zero_is_zero_and_remainder_is_dividend() {
        assert_eq!(7i32.k_div(0), 0);
        assert_eq!(7i32.k_rem(0), 7);
        assert_eq!(i32::MIN.k_div(-1), i32::MIN);
        assert_eq!(i32::MIN.k_rem(-1), 0);
        assert_eq!(5u64.k_div(0), 0);
        assert_eq!(1u32.k_shl(33), 2);
    }

    #[test]
    fn min_max_order_signed_zeros_and_skip_nan() {
        assert_eq!(f64_ops::min(0.0, -0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(f64_ops::max(-0.0, 0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(f64_ops::min(f64::NAN, 1.0), 1.0);
        assert_eq!(f64_ops::max(2.0, f64::NAN), 2.0);
        assert_eq!(f64_ops::min(-3.0, f64::NAN), -3.0);
        assert_eq!(f64_ops::max(f64::NAN, -3.0), -3.0);
        assert!(f64_ops::min(f64::NAN, f64::NAN).is_nan());
        assert_eq!(f64_ops::signum(-0.0), -1.0);
        assert_eq!(f32_ops::signum(3.0), 1.0);
    }
}
