//! The fit models of `osipy_tests::fit_models`: derived Jacobians against central differences,
//! noise-free recovery, the golden data of an independent solver, Cpu = Emulator bit for bit.

mod common;

use std::path::PathBuf;

use common::{assert_bits_eq, rng};
use ndarray::{Array2, ArrayD, IxDyn};
use osipy_kernels::fit::{FitResult, FitStatus, LevenbergMarquardt};
use osipy_kernels::{with_cpu_lanes, CpuLanes, Device, XpArray};
use osipy_tests::fit_models::{cases, Case, Inputs};
use osipy_tests::npy;
use rand::Rng;

/// Tight settings: the tests compare minima, not the default stopping point.
fn tight() -> LevenbergMarquardt {
    LevenbergMarquardt::new()
        .max_iterations(500)
        .ftol(1e-15)
        .xtol(1e-15)
        .gtol(1e-15)
}

fn golden_dir(model: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/fit-golden")
        .join(model)
}

fn read(model: &str, file: &str) -> (Vec<usize>, Vec<f64>) {
    npy::read_f64(&golden_dir(model).join(file)).unwrap_or_else(|e| panic!("{e}"))
}

/// Inputs of each case: the golden grids, and for `mixed` a grid with negative times (skipped
/// samples) and a per-item scale.
fn inputs(case: &Case, items: usize) -> (Inputs, usize) {
    match case.name {
        "mixed" => {
            let t: Vec<f64> = (0..40).map(|i| -0.3 + 0.1 * i as f64).collect();
            let n = t.len();
            let scale = (0..items).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect();
            (
                Inputs {
                    t,
                    cp: Vec::new(),
                    scale,
                },
                n,
            )
        }
        name => {
            let t = read(name, "t.npy").1;
            let cp = if name == "etofts" {
                read(name, "cp.npy").1
            } else {
                Vec::new()
            };
            let n = t.len();
            (
                Inputs {
                    t,
                    cp,
                    scale: Vec::new(),
                },
                n,
            )
        }
    }
}

/// Parameters well inside each model's valid region.
fn random_params(case: &Case, items: usize, seed: u64) -> Array2<f64> {
    let ranges: &[(f64, f64)] = match case.name {
        "expdecay3" => &[(0.5, 2.0), (0.3, 3.0), (-0.2, 0.2)],
        "etofts" => &[(0.02, 0.5), (0.1, 0.6), (0.01, 0.1)],
        "gauss4" => &[(1.0, 3.0), (8.0, 12.0), (1.0, 3.0), (-0.5, 0.5)],
        _ => &[(0.4, 2.0), (0.4, 2.0), (0.4, 2.0)],
    };
    let mut r = rng(seed);
    Array2::from_shape_fn((items, case.p), |(_, a)| r.gen_range(ranges[a].0..ranges[a].1))
}

#[test]
fn derived_jacobians_match_central_differences() {
    for case in cases() {
        let items = 64;
        let (inp, n) = inputs(&case, items);
        let params = random_params(&case, items, 11);
        let (_, jac) = (case.jacobian)(&inp, &params, n, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
        for a in 0..case.p {
            let h: Vec<f64> = params
                .column(a)
                .iter()
                .map(|v| 1e-5 * v.abs().max(1e-3))
                .collect();
            let mut up = params.clone();
            let mut dn = params.clone();
            for i in 0..items {
                up[[i, a]] += h[i];
                dn[[i, a]] -= h[i];
            }
            let fu = (case.predict)(&inp, &up, n, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
            let fd = (case.predict)(&inp, &dn, n, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
            for i in 0..items {
                let fdv: Vec<f64> = (0..n).map(|k| (fu[[i, k]] - fd[[i, k]]) / (2.0 * h[i])).collect();
                let colmax = fdv.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for k in 0..n {
                    let ad = jac[[i, k * case.p + a]];
                    let tol = 1e-6 * fdv[k].abs().max(colmax);
                    assert!(
                        (ad - fdv[k]).abs() <= tol,
                        "{}: item {i}, sample {k}, parameter {a}: derived {ad:e}, central difference {:e} (tolerance {tol:e})",
                        case.name,
                        fdv[k]
                    );
                }
            }
        }
    }
}

#[test]
fn jacobian_prediction_equals_the_models_launch() {
    for case in cases() {
        let (inp, n) = inputs(&case, 16);
        let params = random_params(&case, 16, 5);
        let (pred, _) = (case.jacobian)(&inp, &params, n, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
        let want = (case.predict)(&inp, &params, n, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
        assert_bits_eq(pred.iter(), want.iter(), case.name);
    }
}

#[test]
fn jacobians_are_the_same_on_cpu_and_emulator() {
    for case in cases() {
        let (inp, n) = inputs(&case, 24);
        let params = random_params(&case, 24, 7);
        let (pc, jc) = (case.jacobian)(&inp, &params, n, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
        let (pe, je) = (case.jacobian)(&inp, &params, n, &Device::Emulator).unwrap_or_else(|e| panic!("{e}"));
        assert_bits_eq(pe.iter(), pc.iter(), case.name);
        assert_bits_eq(je.iter(), jc.iter(), case.name);
    }
}

fn host(a: &XpArray<f64>) -> Vec<f64> {
    a.to_host()
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .copied()
        .collect()
}

fn host_u(a: &XpArray<u32>) -> Vec<u32> {
    a.to_host()
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .copied()
        .collect()
}

fn data_array(y: &Array2<f64>) -> XpArray<f64> {
    XpArray::from_host(y.clone().into_dyn())
}

#[test]
fn noise_free_fits_recover_the_generating_parameters() {
    // `mixed` has kinks (min, max, abs) and is not a well-conditioned fit problem.
    for case in cases().into_iter().filter(|c| c.name != "mixed") {
        let items = 200;
        let (inp, n) = inputs(&case, items);
        let truth = random_params(&case, items, 3);
        let y = (case.predict)(&inp, &truth, n, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
        let r = (case.fit)(&inp, &data_array(&y), &tight(), case.init).unwrap_or_else(|e| panic!("{e}"));
        let p = host(&r.params);
        let st = host_u(&r.status);
        for i in 0..items {
            let s = FitStatus::from_code(st[i]);
            assert!(
                s.is_some_and(FitStatus::is_converged),
                "{}: item {i}: status {s:?}",
                case.name
            );
            for a in 0..case.p {
                let (got, want) = (p[i * case.p + a], truth[[i, a]]);
                assert!(
                    (got - want).abs() <= 1e-8 * want.abs(),
                    "{}: item {i}, parameter {a}: fitted {got:e}, true {want:e}",
                    case.name
                );
            }
        }
    }
}

/// The golden data: final chi2 at most the reference solver's x (1 + 1e-9) for at least 99.9%
/// of voxels, parameters within the bounds.
#[test]
fn fits_reach_the_independent_solvers_minimum() {
    for case in cases().into_iter().filter(|c| c.name != "mixed") {
        let (inp, _) = inputs(&case, 0);
        let (shape, y) = read(case.name, "y.npy");
        let init = read(case.name, "init.npy").1;
        let lower = read(case.name, "lower.npy").1;
        let upper = read(case.name, "upper.npy").1;
        let ref_chi2 = read(case.name, "ref_chi2.npy").1;
        assert_eq!(
            lower, case.lower,
            "{}: golden bounds differ from the model's",
            case.name
        );
        assert_eq!(
            upper, case.upper,
            "{}: golden bounds differ from the model's",
            case.name
        );
        let data =
            XpArray::from_host(ArrayD::from_shape_vec(IxDyn(&shape), y).unwrap_or_else(|e| panic!("{e}")));
        let r = (case.fit)(&inp, &data, &tight(), &init).unwrap_or_else(|e| panic!("{e}"));
        let chi2 = host(&r.chi2);
        let p = host(&r.params);
        let voxels = shape[0];
        let mut worse = Vec::new();
        let mut max_rel = f64::NEG_INFINITY;
        for v in 0..voxels {
            let ok = chi2[v] <= ref_chi2[v] * (1.0 + 1e-9);
            if !ok {
                worse.push((v, chi2[v], ref_chi2[v]));
            }
            max_rel = max_rel.max((chi2[v] - ref_chi2[v]) / ref_chi2[v]);
            for a in 0..case.p {
                let x = p[v * case.p + a];
                assert!(
                    lower[a] <= x && x <= upper[a],
                    "{}: voxel {v}: parameter {a} = {x} outside its bounds",
                    case.name
                );
            }
        }
        let allowed = voxels / 1000;
        println!(
            "{}: {} of {voxels} voxels at or below the reference cost x (1 + 1e-9); largest (chi2 - ref) / ref = {max_rel:.3e}",
            case.name,
            voxels - worse.len()
        );
        assert!(
            worse.len() <= allowed,
            "{}: {} of {voxels} voxels end above the reference cost x (1 + 1e-9) (allowed {allowed}): {:?}",
            case.name,
            worse.len(),
            &worse[..worse.len().min(5)]
        );
    }
}

fn assert_results_bits_eq(a: &FitResult, b: &FitResult, what: &str) {
    assert_bits_eq(host(&a.params).iter(), host(&b.params).iter(), what);
    assert_bits_eq(host(&a.chi2).iter(), host(&b.chi2).iter(), what);
    assert_bits_eq(host(&a.r2).iter(), host(&b.r2).iter(), what);
    assert_eq!(host_u(&a.iterations), host_u(&b.iterations), "{what}: iterations");
    assert_eq!(host_u(&a.status), host_u(&b.status), "{what}: status");
    assert_eq!(host_u(&a.at_bound), host_u(&b.at_bound), "{what}: at_bound");
}

#[test]
fn fits_are_the_same_on_cpu_scalar_and_lanes_and_emulator() {
    for case in cases() {
        let items = 24;
        let (inp, n) = inputs(&case, items);
        let y = if case.name == "mixed" {
            let truth = random_params(&case, items, 9);
            let mut y = (case.predict)(&inp, &truth, n, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
            let mut r = rng(10);
            y.mapv_inplace(|v| v + r.gen_range(-0.01..0.01));
            y
        } else {
            let (shape, y) = read(case.name, "y.npy");
            Array2::from_shape_vec((shape[0], shape[1]), y)
                .unwrap_or_else(|e| panic!("{e}"))
                .slice(ndarray::s![..items, ..])
                .to_owned()
        };
        let mut y = y;
        y[[3, 2]] = f64::NAN;
        let run = || {
            (case.fit)(&inp, &data_array(&y), &LevenbergMarquardt::default(), case.init)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let cpu = with_cpu_lanes(CpuLanes::Scalar, run);
        // The lane lowering: every lane carries its own voxel through the driver.
        for mode in [CpuLanes::Avx2, CpuLanes::Sse2] {
            let lanes = with_cpu_lanes(mode, run);
            assert_results_bits_eq(&lanes, &cpu, &format!("{} lanes {mode:?}", case.name));
        }
        let dev = data_array(&y)
            .to_device(&Device::Emulator)
            .unwrap_or_else(|e| panic!("{e}"));
        let emu = (case.fit)(&inp, &dev, &LevenbergMarquardt::default(), case.init)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            emu.params.placement(),
            Device::Emulator,
            "results live where the data was"
        );
        assert_results_bits_eq(&cpu, &emu, case.name);
    }
}

/// A model whose convolution state is a struct local passed by `&mut` (`etofts_struct`) gives
/// the bits of the same model written with scalars (`etofts`): prediction, derived Jacobian and
/// fit, on the CPU and the emulator.
#[test]
fn a_struct_local_changes_no_bit_of_the_jacobian_or_the_fit() {
    let (plain, with_struct) = osipy_tests::fit_models::struct_twins();
    let (inp, n) = inputs(&plain, 24);
    let params = random_params(&plain, 24, 11);
    for device in [Device::Cpu, Device::Emulator] {
        let (pa, ja) = (plain.jacobian)(&inp, &params, n, &device).unwrap_or_else(|e| panic!("{e}"));
        let (pb, jb) = (with_struct.jacobian)(&inp, &params, n, &device).unwrap_or_else(|e| panic!("{e}"));
        assert_bits_eq(pb.iter(), pa.iter(), "prediction");
        assert_bits_eq(jb.iter(), ja.iter(), "jacobian");
        assert!(ja.iter().any(|v| *v != 0.0), "the Jacobian is not all zeros");
        let y = (plain.predict)(&inp, &params, n, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
        let data = data_array(&y.mapv(|v| v * 1.01))
            .to_device(&device)
            .unwrap_or_else(|e| panic!("{e}"));
        let a = (plain.fit)(&inp, &data, &LevenbergMarquardt::default(), plain.init)
            .unwrap_or_else(|e| panic!("{e}"));
        let b = (with_struct.fit)(&inp, &data, &LevenbergMarquardt::default(), with_struct.init)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_results_bits_eq(&a, &b, "fit");
        assert!(host_u(&b.status)
            .iter()
            .all(|s| FitStatus::from_code(*s).is_some_and(FitStatus::is_converged)));
    }
}
