//! f64 and f32 math used by kernel bodies.
//!
//! The CPU backend calls these for `exp`, `exp2`, `ln`, `log2`, `log10`, `powf` and `powi`
//! in kernel bodies (the original function keeps std's math). Functions written as
//! `#[xp_kernel]`s (the exact remainder `fmod` today) are also lowered to PTX from the same
//! source, so CPU and device agree bit for bit. The transcendentals still defer to the
//! platform's libm on the CPU and are not yet available on devices: a kernel that uses one is
//! refused by device launches with `Error::DeviceCode`.

pub mod f32;
pub mod f64;
