//! Every emitted module assembles with `ptxas` for sm_90 and sm_80.
//!
//! `ptxas` is found through `PTXAS` or `PATH`. Without it the test prints a skip, unless
//! `OSIPY_REQUIRE_PTXAS=1` (set by `.ci/run`), which makes its absence a failure.

use std::path::PathBuf;
use std::process::Command;

use osipy_tests as k;

/// Every kernel of the test corpus and of the osipy crate, by name.
pub fn modules() -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        ("axpy", k::axpy::PTX),
        ("scale_row", k::scale_row::PTX),
        ("weighted_sum", k::weighted_sum::PTX),
        ("moments", k::moments::PTX),
        ("min_max", k::min_max::PTX),
        ("trapz", k::trapz::PTX),
        ("rms", k::rms::PTX),
        ("shifted_sample", k::shifted_sample::PTX),
        ("poly", k::poly::PTX),
        ("f32_mix", k::f32_mix::PTX),
        ("int_mix", k::int_mix::PTX),
        ("int_edges", k::int_edges::PTX),
        ("pick", k::pick::PTX),
        ("local_fault", k::local_fault::PTX),
        ("bits", k::bits::PTX),
        ("control", k::control::PTX),
        ("copy_prefix", k::copy_prefix::PTX),
        ("square", k::helpers::square::PTX),
        ("sum_sq", k::helpers::sum_sq::PTX),
        ("norm_plus", k::helpers::inner::norm_plus::PTX),
        ("interp_linear", osipy::interp::interp_linear::PTX),
        ("decay", k::decay::PTX),
        ("fmod_f64", osipy_kernels::math::f64::fmod::PTX),
        ("fmod_f32", osipy_kernels::math::f32::fmod::PTX),
        ("math_exp_f64", osipy_kernels::math::f64::exp::PTX),
        ("math_powf_f64", osipy_kernels::math::f64::powf::PTX),
        ("math_powi_f32", osipy_kernels::math::f32::powi::PTX),
        ("c_helper", osipy_tests::corpus::c_helper::PTX),
        ("tofts_segment", osipy_tests::fit_models::tofts_segment::PTX),
    ];
    v.extend(fit_modules());
    v.extend(
        osipy_tests::corpus::ALL
            .iter()
            .map(|(name, _, ptx)| (*name, *ptx)),
    );
    v
}

/// The generated fit kernels (unweighted, weighted) and Jacobian kernels of the fit models.
pub fn fit_modules() -> Vec<(&'static str, &'static str)> {
    use osipy_tests::fit_models as m;
    vec![
        ("expdecay3_fit", m::expdecay3::fit::PTX),
        ("expdecay3_fit_weighted", m::expdecay3::fit_weighted::PTX),
        ("expdecay3_jacobian", m::expdecay3::jacobian::PTX),
        ("etofts_fit", m::etofts::fit::PTX),
        ("etofts_fit_weighted", m::etofts::fit_weighted::PTX),
        ("etofts_jacobian", m::etofts::jacobian::PTX),
        ("gauss4_fit", m::gauss4::fit::PTX),
        ("gauss4_fit_weighted", m::gauss4::fit_weighted::PTX),
        ("gauss4_jacobian", m::gauss4::jacobian::PTX),
        ("mixed_fit", m::mixed::fit::PTX),
        ("mixed_fit_weighted", m::mixed::fit_weighted::PTX),
        ("mixed_jacobian", m::mixed::jacobian::PTX),
    ]
}

fn ptxas() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PTXAS") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("ptxas"))
        .find(|p| p.is_file())
}

#[test]
fn every_emitted_module_assembles_for_sm90_and_sm80() {
    let Some(ptxas) = ptxas() else {
        if std::env::var("OSIPY_REQUIRE_PTXAS").as_deref() == Ok("1") {
            panic!("OSIPY_REQUIRE_PTXAS=1 but ptxas was not found (set PTXAS or PATH)");
        }
        println!("SKIP: ptxas not found (set PTXAS or PATH)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("osipy_ptxas_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    let mods = modules();
    assert!(mods.len() >= 40);
    for (name, text) in &mods {
        let src = dir.join(format!("{name}.ptx"));
        std::fs::write(&src, text).unwrap();
        for arch in ["sm_90", "sm_80"] {
            let out = Command::new(&ptxas)
                .arg(format!("-arch={arch}"))
                .arg("-o")
                .arg(dir.join(format!("{name}_{arch}.cubin")))
                .arg(&src)
                .output()
                .unwrap();
            if !out.status.success() {
                failures.push(format!(
                    "{name} ({arch}): {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "ptxas failed:\n{}", failures.join("\n"));
    println!("ptxas assembled {} modules for sm_90 and sm_80", mods.len());
}

/// The fused fit of a 3-parameter model (extended Tofts, with a call returning a tuple) keeps
/// its state in registers: `ptxas -v` reports no spills and no stack frame for the entry
/// (the sample count is a run-time loop bound, so this holds for 80 samples as for any).
#[test]
fn fit_kernel_of_a_three_parameter_model_has_no_spills() {
    let Some(ptxas) = ptxas() else {
        if std::env::var("OSIPY_REQUIRE_PTXAS").as_deref() == Ok("1") {
            panic!("OSIPY_REQUIRE_PTXAS=1 but ptxas was not found (set PTXAS or PATH)");
        }
        println!("SKIP: ptxas not found (set PTXAS or PATH)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("osipy_ptxas_v_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [
        ("etofts_fit", osipy_tests::fit_models::etofts::fit::PTX),
        (
            "etofts_fit_weighted",
            osipy_tests::fit_models::etofts::fit_weighted::PTX,
        ),
    ] {
        let src = dir.join(format!("{name}.ptx"));
        std::fs::write(&src, text).unwrap();
        let out = Command::new(&ptxas)
            .args(["-arch=sm_90", "-v", "-o"])
            .arg(dir.join(format!("{name}.cubin")))
            .arg(&src)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{name}: ptxas failed: {log}");
        // After "Compiling entry function": the entry's frame and spills, then its registers.
        let lines: Vec<&str> = log.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains("Compiling entry function"))
            .unwrap_or_else(|| panic!("{name}: no entry in the ptxas log: {log}"));
        let after = &lines[at..];
        let frame = after
            .iter()
            .find(|l| l.contains("spill stores"))
            .copied()
            .unwrap_or_default();
        let regs = after
            .iter()
            .find(|l| l.contains("Used"))
            .copied()
            .unwrap_or_default();
        println!("{name} (sm_90): {} | {}", frame.trim(), regs.trim());
        assert!(
            frame.contains("0 bytes spill stores, 0 bytes spill loads"),
            "{name}: the fit kernel spills: {frame}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
