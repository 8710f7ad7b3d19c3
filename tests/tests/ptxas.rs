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
        ("row_stats", osipy_tests::structs::row_stats::PTX),
        ("spin_xy", osipy_tests::structs::geometry::spin_xy::PTX),
        ("rotate", osipy_tests::structs::geometry::rotate::PTX),
    ];
    v.extend(fit_modules());
    v.extend(science_modules());
    v.extend(dce_modules());
    v.extend(dsc_modules());
    v.extend(asl_modules());
    v.extend(ivim_modules());
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
        ("etofts_struct_fit", m::etofts_struct::fit::PTX),
        ("etofts_struct_jacobian", m::etofts_struct::jacobian::PTX),
        ("etofts_fit_weighted", m::etofts::fit_weighted::PTX),
        ("etofts_jacobian", m::etofts::jacobian::PTX),
        ("gauss4_fit", m::gauss4::fit::PTX),
        ("gauss4_fit_weighted", m::gauss4::fit_weighted::PTX),
        ("gauss4_jacobian", m::gauss4::jacobian::PTX),
        ("mixed_fit", m::mixed::fit::PTX),
        ("mixed_fit_weighted", m::mixed::fit_weighted::PTX),
        ("mixed_jacobian", m::mixed::jacobian::PTX),
        ("kink_at_bound_fit", m::kink_at_bound::fit::PTX),
        ("line_log_slope_fit", m::line_log_slope::fit::PTX),
        (
            "line_log_slope_fit_weighted",
            m::line_log_slope::fit_weighted::PTX,
        ),
        ("gamma_log_fit", m::gamma_log::fit::PTX),
        ("gamma_linear_fit", m::gamma_linear::fit::PTX),
        ("ivim_fit", m::ivim::fit::PTX),
        ("ivim_fit_weighted", m::ivim::fit_weighted::PTX),
    ]
}

/// The kernels of the science crate (AIFs, signal to concentration, T1 mapping), with the
/// fit and Jacobian kernels of its models.
pub fn science_modules() -> Vec<(&'static str, &'static str)> {
    use osipy::{aif, conc, t1};
    vec![
        ("aif_parker_cb", aif::parker::parker_cb::PTX),
        ("aif_georgiou_cb", aif::georgiou::georgiou_cb::PTX),
        ("aif_mcgrath_cb", aif::mcgrath::mcgrath_cb::PTX),
        ("aif_weinmann_cp", aif::biexp::weinmann_cp::PTX),
        ("aif_fritz_hansen_cp", aif::biexp::fritz_hansen_cp::PTX),
        ("aif_curve_features", aif::features::aif_curve_features::PTX),
        ("conc_baseline_mean", conc::kernels::baseline_mean::PTX),
        ("conc_spgr_signal_to_r1", conc::kernels::spgr_signal_to_r1::PTX),
        (
            "conc_spgr_signal_to_conc",
            conc::kernels::spgr_signal_to_conc::PTX,
        ),
        ("conc_r1_to_conc", conc::kernels::r1_to_conc::PTX),
        (
            "conc_linear_signal_to_conc",
            conc::kernels::linear_signal_to_conc::PTX,
        ),
        ("t1_vfa_linear", t1::vfa::vfa_linear::PTX),
        ("t1_vfa_two_angle", t1::vfa::vfa_two_angle::PTX),
        ("t1_vfa_start", t1::vfa::vfa_start::PTX),
        ("t1_spgr_vfa_fit", t1::vfa::spgr_vfa::fit::PTX),
        ("t1_spgr_vfa_jacobian", t1::vfa::spgr_vfa::jacobian::PTX),
        ("t1_spgr_vfa_map_fit", t1::vfa::spgr_vfa_map::fit::PTX),
        ("t1_look_locker_fit", t1::ll::look_locker_model::fit::PTX),
        ("t1_look_locker_start", t1::ll::look_locker_start::PTX),
    ]
}

/// Every PTX module of `osipy::dsc`: conversion, deconvolutions, leakage corrections, the
/// gamma-variate first pass (model, fit, Jacobian, start).
pub fn dsc_modules() -> Vec<(&'static str, &'static str)> {
    use osipy::dsc::{gamma, kernels as k, leakage as l};
    vec![
        ("dsc_relaxation_to_conc", k::relaxation_to_conc::PTX),
        ("dsc_signal_to_conc", k::signal_to_conc::PTX),
        ("dsc_curve_summary", k::curve_summary::PTX),
        ("dsc_perfusion_maps", k::perfusion_maps::PTX),
        ("dsc_residue_peak", k::residue_peak::PTX),
        ("dsc_explained", k::explained::PTX),
        ("dsc_deconvolve_filtered", k::deconvolve_filtered::PTX),
        ("dsc_deconvolve_osvd", k::deconvolve_osvd::PTX),
        ("dsc_bsw", l::bsw::PTX),
        ("dsc_det3", l::det3::PTX),
        ("dsc_bidirectional", l::bidirectional::PTX),
        ("dsc_gamma_sample", gamma::gamma_sample::PTX),
        ("dsc_gamma_variate", gamma::gamma_variate::PTX),
        ("dsc_gamma_variate_fit", gamma::gamma_variate::fit::PTX),
        ("dsc_gamma_variate_jacobian", gamma::gamma_variate::jacobian::PTX),
        ("dsc_gamma_start", gamma::gamma_start::PTX),
        ("dsc_ln_gamma", gamma::ln_gamma::PTX),
        ("dsc_gamma_area", gamma::gamma_area::PTX),
    ]
}

/// Every PTX module of `osipy::asl`: subtraction, M0 correction, single-PLD CBF, the Buxton
/// models (evaluation, fit, weighted fit, Jacobian), their helpers and start.
pub fn asl_modules() -> Vec<(&'static str, &'static str)> {
    use osipy::asl::kernels as k;
    vec![
        ("asl_combine", k::combine::PTX),
        ("asl_m0_correct", k::m0_correct::PTX),
        ("asl_single_pld", k::single_pld::PTX),
        ("asl_t1_apparent", k::t1_apparent::PTX),
        ("asl_pcasl_uptake", k::pcasl_uptake::PTX),
        ("asl_pasl_uptake", k::pasl_uptake::PTX),
        ("asl_buxton_pcasl", k::buxton_pcasl::PTX),
        ("asl_buxton_pcasl_fit", k::buxton_pcasl::fit::PTX),
        (
            "asl_buxton_pcasl_fit_weighted",
            k::buxton_pcasl::fit_weighted::PTX,
        ),
        ("asl_buxton_pcasl_jacobian", k::buxton_pcasl::jacobian::PTX),
        ("asl_buxton_pasl", k::buxton_pasl::PTX),
        ("asl_buxton_pasl_fit", k::buxton_pasl::fit::PTX),
        ("asl_buxton_pasl_fit_weighted", k::buxton_pasl::fit_weighted::PTX),
        ("asl_buxton_pasl_jacobian", k::buxton_pasl::jacobian::PTX),
        ("asl_buxton_start", k::buxton_start::PTX),
        ("asl_arterial_bolus", k::arterial_bolus::PTX),
        ("asl_buxton_pcasl_arterial", k::buxton_pcasl_arterial::PTX),
        (
            "asl_buxton_pcasl_arterial_fit",
            k::buxton_pcasl_arterial::fit::PTX,
        ),
        (
            "asl_buxton_pcasl_arterial_fit_weighted",
            k::buxton_pcasl_arterial::fit_weighted::PTX,
        ),
        (
            "asl_buxton_pcasl_arterial_jacobian",
            k::buxton_pcasl_arterial::jacobian::PTX,
        ),
    ]
}

/// Every PTX module of `osipy::ivim`: both models (evaluation, fit, weighted fit, Jacobian),
/// the preparation, the segmented fits and the Bayesian quadrature.
pub fn ivim_modules() -> Vec<(&'static str, &'static str)> {
    use osipy::ivim::kernels as k;
    vec![
        ("ivim", k::ivim::PTX),
        ("ivim_fit", k::ivim::fit::PTX),
        ("ivim_fit_weighted", k::ivim::fit_weighted::PTX),
        ("ivim_jacobian", k::ivim::jacobian::PTX),
        ("ivim_floor", k::ivim_floor::PTX),
        ("ivim_floor_fit", k::ivim_floor::fit::PTX),
        ("ivim_floor_fit_weighted", k::ivim_floor::fit_weighted::PTX),
        ("ivim_floor_jacobian", k::ivim_floor::jacobian::PTX),
        ("ivim_prepare", k::ivim_prepare::PTX),
        ("ivim_rss", k::ivim_rss::PTX),
        ("ivim_two_step_at", k::ivim_two_step_at::PTX),
        ("ivim_dstar_cost", k::ivim_dstar_cost::PTX),
        ("ivim_segmented", k::ivim_segmented::PTX),
        ("ivim_bayes", k::ivim_bayes::PTX),
    ]
}

/// Every PTX module of `osipy::dce`: each model's evaluation, fit, weighted fit and Jacobian,
/// the initial-value kernels and the helpers.
pub fn dce_modules() -> Vec<(&'static str, &'static str)> {
    use osipy::dce;
    use osipy::dce::{convolution as c, init as i, models as m};
    macro_rules! model {
        ($($name:ident),*) => {
            vec![$(
                (stringify!($name), dce::$name::PTX),
                (concat!(stringify!($name), "_fit"), dce::$name::fit::PTX),
                (concat!(stringify!($name), "_fit_weighted"), dce::$name::fit_weighted::PTX),
                (concat!(stringify!($name), "_jacobian"), dce::$name::jacobian::PTX),
            )*]
        };
    }
    let mut v = model!(
        tofts,
        tofts_delay,
        extended_tofts,
        extended_tofts_delay,
        patlak,
        patlak_delay,
        two_cxm,
        two_cxm_delay,
        two_cum,
        two_cum_delay
    );
    v.extend([
        ("tofts_init", dce::tofts_init::PTX),
        ("extended_tofts_init", dce::extended_tofts_init::PTX),
        ("patlak_init", dce::patlak_init::PTX),
        ("two_cxm_init", dce::two_cxm_init::PTX),
        ("two_cum_init", dce::two_cum_init::PTX),
        ("exp_conv_step", c::exp_conv_step::PTX),
        ("exp_conv_coeffs", c::exp_conv_coeffs::PTX),
        ("interval_from", c::interval_from::PTX),
        ("plasma_at", c::plasma_at::PTX),
        ("exp_conv_cubic_coeffs", c::exp_conv_cubic_coeffs::PTX),
        ("exp_conv_cubic", c::exp_conv_cubic::PTX),
        ("plasma_area", c::plasma_area::PTX),
        ("plasma_cubic_at", c::plasma_cubic_at::PTX),
        ("two_cxm_rates", m::two_cxm_rates::PTX),
        ("qr_add_row", i::qr_add_row::PTX),
        ("qr_solve", i::qr_solve::PTX),
        ("linear_form_fit", i::linear_form_fit::PTX),
        ("clamp_or", i::clamp_or::PTX),
        ("best_linear_form", i::best_linear_form::PTX),
    ]);
    v
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
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
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
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
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
}
