//! f64 and f32 math used by kernel bodies: written once, in the kernel language.
//!
//! `exp`, `exp2`, `ln`, `log2`, `log10`, `powf`, `powi` and the exact remainder `fmod` (`%`)
//! are `#[xp_kernel]` functions using only correctly rounded `+ - * /`, `mul_add`, bit
//! manipulation and comparisons. A kernel body calling `x.exp()` gets, on the CPU, the
//! macro's lowering of [`f64::exp()`] (inlined, so the FMA build of the kernel covers it) and,
//! in PTX, the same function as a `.func`: CPU and devices agree bit for bit. Plain Rust code
//! can call them directly. Methods (table-free, as FreeBSD msun / CUDA libdevice): Cody-Waite
//! reduction with double-double arithmetic for exponentials, an atanh series in
//! double-double for logarithms, `exp(y ln|x|)` in double-double for powers, with the C99
//! Annex F special cases; `f32` versions evaluate in `f64` and round once.

mod exp;
pub mod f32;
pub mod f64;
mod lanes;
mod log;
mod pow;
