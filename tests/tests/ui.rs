//! Misuse of `#[xp_kernel]` is a compile error at the offending tokens, with a message that
//! says what is supported instead; valid kernels compile and run.
//!
//! The cases live beside this crate's `tests/` folder: `ui/` (one misuse per file, each with
//! its expected `.stderr`) and `pass/` (compiled and run; each `main` asserts on results).
//! Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test -p osipy-tests --test ui` and read every changed `.stderr`.

#[test]
fn misuse_is_a_spanned_compile_error_and_valid_kernels_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("pass/*.rs");
}
