//! f64 and f32 math used by kernel bodies: written once, in the kernel language.
//!
//! `exp`, `exp2`, `ln`, `log2`, `log10`, `powf`, `powi` and the exact remainder `fmod` (`%`)
//! are `#[xp_kernel]` functions using only correctly rounded `+ - * /`, `mul_add`, bit
//! manipulation and comparisons. A kernel body calling `x.exp()` gets, on the CPU, the
//! macro's lowering of [`f64::exp()`] (inlined, so the FMA build of the kernel covers it) and,
//! in PTX, the same function as a `.func`: CPU and devices agree bit for bit. Plain Rust code
//! can call them directly. Methods (table-free and branch-free: one path of operations for
//! every argument, the C99 Annex F special values selected at the end): Cody-Waite
//! reduction and a near-minimax polynomial for exponentials, `2 atanh(f / (2 + f))` with one
//! division for logarithms, `exp(y ln|x|)` with a double-double logarithm for powers;
//! `f32` versions evaluate in `f64` and round once.
//!
//! Each function also has a lane form, `exp_lanes::<W>([f64; W]) -> [f64; W]` and so on
//! (two arrays for `powf_lanes` and `powi_lanes`), equal lane by lane to the scalar
//! function bit for bit, which LLVM vectorises where it is inlined into code compiled for
//! AVX2 and FMA.

mod exp;
pub mod f32;
pub mod f64;
mod lanes;
mod log;
mod pow;
