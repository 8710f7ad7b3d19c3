//! Snapshots of the emitted PTX for representative kernels, so a codegen change shows up in
//! review. `OSIPY_UPDATE_SNAPSHOTS=1 cargo test -p osipy-tests --test ptx_snapshots` rewrites them.

use std::path::PathBuf;

use osipy_tests as k;

fn check(name: &str, ptx: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(format!("{name}.ptx"));
    if std::env::var("OSIPY_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(&path, ptx).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with OSIPY_UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if want != ptx {
        let line = want
            .lines()
            .zip(ptx.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "PTX of `{name}` changed (first difference at line {}):\n want: {:?}\n  got: {:?}\nreview and rerun with OSIPY_UPDATE_SNAPSHOTS=1",
            line + 1,
            want.lines().nth(line),
            ptx.lines().nth(line)
        );
    }
}

#[test]
fn elementwise_kernel_ptx_is_unchanged() {
    check("axpy", k::axpy::PTX);
}

#[test]
fn local_array_and_reversed_loop_ptx_is_unchanged() {
    check("poly", k::poly::PTX);
}

#[test]
fn kernel_calls_across_modules_ptx_is_unchanged() {
    check("rms", k::rms::PTX);
}

#[test]
fn faulting_row_kernel_ptx_is_unchanged() {
    check("copy_prefix", k::copy_prefix::PTX);
}

#[test]
fn the_module_header_pins_version_target_and_addressing() {
    for ptx in [k::axpy::PTX, k::rms::PTX] {
        assert!(ptx.contains(".version 7.0\n.target sm_70\n.address_size 64\n"));
        // Only explicit rounding; fused multiply-add only where the source says mul_add.
        assert!(!ptx.contains("mad.f64") && !ptx.contains("fma.rn.f64"));
    }
    assert!(k::weighted_sum::PTX.contains("fma.rn.f64"));
}

/// The functions of a module are named after their source, and only those the entry reaches
/// are emitted: an f64 kernel that calls `exp` carries no f32 math.
#[test]
fn functions_are_named_after_their_source_and_only_reached_ones_are_emitted() {
    let ptx = k::decay::PTX;
    let funcs: Vec<&str> = ptx
        .lines()
        .filter(|l| l.starts_with(".func") && l.ends_with(';'))
        .filter_map(|l| l.split(") ").nth(1)?.split('(').next())
        .collect();
    assert_eq!(funcs.first(), Some(&"decay$0"), "{funcs:?}");
    assert!(funcs.iter().any(|f| f.starts_with("exp$")), "{funcs:?}");
    assert!(!ptx.contains(".reg .f32"), "f32 code in an f64 kernel");
    // Every emitted function is called by something (or is the entry's callee).
    for f in &funcs[1..] {
        assert!(ptx.contains(&format!(", {f}, (")), "{f} is never called");
    }
}
