//! The math library's `.func`s in a PTX module.
//!
//! Until the project's own f64/f32 transcendental algorithms are lowered here from the same
//! source the CPU backend runs, a module that needs one declares it only as a prototype and
//! cannot be assembled; `launch` on a device refuses such a kernel with a clear error (see
//! [`MISSING`]).

/// Marker in the PTX text of a module that uses math functions not yet available on devices.
pub const MISSING: &str = "// osipy: math library functions missing";

/// Definitions of the math functions named in `needed` (`math_exp_f64`, ...).
pub fn functions(needed: &[String]) -> String {
    if needed.is_empty() {
        return String::new();
    }
    let mut s = format!("{MISSING}: {}\n", needed.join(" "));
    for n in needed {
        s.push_str(&format!("// needs {n}\n"));
    }
    s
}
