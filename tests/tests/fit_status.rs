//! Per-voxel statuses, bounds, masks, weights and settings of the generated fits: bad voxels
//! get their status and NaN parameters without touching their neighbours, parameters never
//! leave their bounds, nonsense settings are errors that name the setting.

mod common;

use common::assert_bits_eq;
use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn};
use osipy_kernels::fit::{Driver, FitResult, FitStatus, FitValues, LevenbergMarquardt};
use osipy_kernels::{Device, Error, XpArray};
use osipy_tests::fit_models::{expdecay3, line_unused};

fn t() -> Vec<f64> {
    (0..50).map(|i| 0.1 * i as f64).collect()
}

/// Noisy curves of `expdecay3` with a fixed pseudo-random noise pattern.
fn curves(items: usize) -> Array2<f64> {
    let t = t();
    Array2::from_shape_fn((items, t.len()), |(v, k)| {
        let (a, kk, c) = (1.0 + 0.01 * v as f64, 0.5 + 0.02 * (v % 7) as f64, 0.05);
        let noise = 0.01 * (((v * 31 + k * 17) % 13) as f64 / 6.0 - 1.0);
        a * (-kk * t[k]).exp() + c + noise
    })
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

fn status(r: &FitResult) -> Vec<Option<FitStatus>> {
    r.statuses().unwrap_or_else(|e| panic!("{e}"))
}

fn fit(y: &Array2<f64>) -> FitResult {
    let t = t();
    expdecay3::fitter(&t).fit(y).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn bad_voxels_get_their_status_and_nan_parameters_and_spoil_no_neighbour() {
    let clean = curves(8);
    let mut y = clean.clone();
    y[[1, 3]] = f64::NAN;
    y[[4, 0]] = f64::INFINITY;
    y[[6, 49]] = f64::NEG_INFINITY;
    let mask = Array1::from_iter((0..8).map(|v| v != 2));
    let t = t();
    let r = expdecay3::fitter(&t)
        .fit_masked(&y, &mask)
        .unwrap_or_else(|e| panic!("{e}"));
    let reference = fit(&clean);
    let st = status(&r);
    let p = host(&r.params);
    let p_ref = host(&reference.params);
    for v in 0..8 {
        match v {
            1 | 4 | 6 => assert_eq!(st[v], Some(FitStatus::NonFiniteData), "voxel {v}"),
            2 => assert_eq!(st[v], Some(FitStatus::Masked), "voxel {v}"),
            _ => {
                assert!(
                    st[v].is_some_and(FitStatus::is_converged),
                    "voxel {v}: {:?}",
                    st[v]
                );
                // A neighbour's result is the same, bit for bit, as without the bad voxels.
                assert_bits_eq(&p[v * 3..v * 3 + 3], &p_ref[v * 3..v * 3 + 3], "neighbour");
            }
        }
        if matches!(v, 1 | 2 | 4 | 6) {
            assert!(
                p[v * 3..v * 3 + 3].iter().all(|x| x.is_nan()),
                "voxel {v}: {:?}",
                &p[v * 3..v * 3 + 3]
            );
            assert!(host(&r.chi2)[v].is_nan() && host(&r.r2)[v].is_nan());
            assert_eq!(host_u(&r.iterations)[v], 0);
        }
    }
}

#[test]
fn parameters_never_leave_their_bounds_and_are_flagged_there() {
    let y = curves(16);
    let t = t();
    // The true a is about 1.0..1.15 and k about 0.5..0.62: these bounds exclude both.
    let r = expdecay3::fitter(&t)
        .lower([0.0, 0.7, -1.0])
        .upper([0.9, 20.0, 1.0])
        .init([0.5, 5.0, 0.0])
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    let p = host(&r.params);
    let ab = host_u(&r.at_bound);
    for v in 0..16 {
        let (a, k) = (p[v * 3], p[v * 3 + 1]);
        assert!(
            (0.0..=0.9).contains(&a) && (0.7..=20.0).contains(&k),
            "voxel {v}: a {a}, k {k}"
        );
        assert_eq!(a, 0.9, "voxel {v}: a should end on its upper bound");
        assert_eq!(k, 0.7, "voxel {v}: k should end on its lower bound");
        assert_eq!(ab[v], 0b011, "voxel {v}: at_bound bits");
    }
}

#[test]
fn per_voxel_initial_values_and_bounds() {
    let y = curves(6);
    let t = t();
    let init = Array2::from_shape_fn((6, 3), |(v, a)| [1.0, 1.0 + 0.1 * v as f64, 0.0][a]);
    let mut lower = Array2::from_shape_fn((6, 3), |(_, a)| [0.0, 0.0, -1.0][a]);
    let upper = Array2::from_shape_fn((6, 3), |(_, a)| [10.0, 20.0, 1.0][a]);
    lower[[5, 1]] = 25.0; // above its upper bound: that voxel cannot start
                          // Tight tolerances: the two fits start apart, and are compared at their minima.
    let tight = LevenbergMarquardt::new().ftol(1e-15).xtol(1e-15).gtol(1e-15);
    let r = expdecay3::fitter(&t)
        .settings(tight)
        .init(init)
        .lower(lower)
        .upper(upper)
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    let st = status(&r);
    assert!(
        st[..5].iter().all(|s| s.is_some_and(FitStatus::is_converged)),
        "{st:?}"
    );
    assert_eq!(st[5], Some(FitStatus::InvalidStart));
    let shared = expdecay3::fitter(&t)
        .settings(tight)
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    let (p, q) = (host(&r.params), host(&shared.params));
    for i in 0..15 {
        assert!(
            (p[i] - q[i]).abs() <= 1e-6 * q[i].abs().max(1e-3),
            "param {i}: {} vs {}",
            p[i],
            q[i]
        );
    }
}

#[test]
fn a_nan_initial_value_or_a_model_not_finite_at_the_start() {
    let y = curves(2);
    let t = t();
    let mut init = Array2::from_elem((2, 3), 1.0);
    init[[0, 2]] = f64::NAN;
    init[[1, 0]] = f64::INFINITY;
    let r = expdecay3::fitter(&t)
        .init(init)
        .upper([f64::INFINITY; 3])
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        status(&r),
        vec![Some(FitStatus::InvalidStart), Some(FitStatus::NonFiniteModel)]
    );
    assert!(host(&r.params).iter().all(|x| x.is_nan()));
}

#[test]
fn a_parameter_without_influence_is_a_singular_system() {
    let t = t();
    let y = Array2::from_shape_fn((3, 50), |(v, k)| 0.5 * t[k] + v as f64);
    let classic = line_unused::fitter(&t)
        .settings(LevenbergMarquardt::new().driver(Driver::Classic))
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status(&classic), vec![Some(FitStatus::Singular); 3]);
    // The parameters are the last accepted point: here still the start.
    assert_eq!(&host(&classic.params)[..3], &[1.0, 0.0, 1.0]);
    // The adaptive driver holds the parameter and fits the others; the voxel is still singular.
    let adaptive = line_unused::fitter(&t).fit(&y).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status(&adaptive), vec![Some(FitStatus::Singular); 3]);
    let p = host(&adaptive.params);
    for v in 0..3 {
        assert!((p[3 * v] - 0.5).abs() < 1e-9, "slope {}", p[3 * v]);
        assert!((p[3 * v + 1] - v as f64).abs() < 1e-9, "offset {}", p[3 * v + 1]);
        assert_eq!(
            p[3 * v + 2],
            1.0,
            "the parameter without influence keeps its start"
        );
    }
}

#[test]
fn the_iteration_limit_is_a_status() {
    let y = curves(3);
    let t = t();
    let r = expdecay3::fitter(&t)
        .settings(
            LevenbergMarquardt::new()
                .max_iterations(1)
                .ftol(0.0)
                .xtol(0.0)
                .gtol(0.0),
        )
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status(&r), vec![Some(FitStatus::MaxIterations); 3]);
    assert_eq!(host_u(&r.iterations), vec![1, 1, 1]);
    assert!(host(&r.params).iter().all(|x| x.is_finite()));
}

#[test]
fn weights_scale_chi2_exactly_and_leave_the_parameters() {
    // Weights of 4 scale every sum by an exact power of two: the same steps, chi2 x 4.
    let y = curves(5);
    let t = t();
    let plain = fit(&y);
    let weighted = expdecay3::fitter(&t)
        .weights(vec![4.0; 50])
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_bits_eq(&host(&weighted.params), &host(&plain.params), "params");
    let c4: Vec<f64> = host(&plain.chi2).iter().map(|c| 4.0 * c).collect();
    assert_bits_eq(&host(&weighted.chi2), &c4, "chi2");
    assert_bits_eq(&host(&weighted.r2), &host(&plain.r2), "r2");
    // A zero weight removes a sample: an outlier there changes nothing.
    let mut w = vec![1.0; 50];
    w[10] = 0.0;
    let mut y2 = y.clone();
    for v in 0..5 {
        y2[[v, 10]] += 100.0;
    }
    let a = expdecay3::fitter(&t)
        .weights(w.clone())
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    let b = expdecay3::fitter(&t)
        .weights(w)
        .fit(&y2)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_bits_eq(&host(&a.params), &host(&b.params), "zero-weight sample");
}

#[test]
fn item_axes_are_kept_and_results_live_where_the_data_was() {
    let y2 = curves(12);
    let y3 =
        Array3::from_shape_vec((3, 4, 50), y2.iter().copied().collect()).unwrap_or_else(|e| panic!("{e}"));
    let t = t();
    let r = expdecay3::fitter(&t).fit(&y3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.params.shape(), &[3, 4, 3]);
    assert_eq!(r.chi2.shape(), &[3, 4]);
    assert_eq!(r.status.shape(), &[3, 4]);
    assert_bits_eq(&host(&r.params), &host(&fit(&y2).params), "3-D items");
    assert_eq!(r.names, &["a", "k", "c"]);

    let dev = XpArray::from_host(y3.into_dyn())
        .to_device(&Device::Emulator)
        .unwrap_or_else(|e| panic!("{e}"));
    let te = XpArray::from_host(Array1::from(t.clone()).into_dyn())
        .to_device(&Device::Emulator)
        .unwrap_or_else(|e| panic!("{e}"));
    let re = expdecay3::fitter(&te).fit(&dev).unwrap_or_else(|e| panic!("{e}"));
    for a in [&re.params, &re.chi2, &re.r2] {
        assert_eq!(a.placement(), Device::Emulator);
    }
    assert_eq!(re.status.placement(), Device::Emulator);
    assert_bits_eq(&host(&re.params), &host(&r.params), "emulator");
    // Data on the host with inputs on the emulator is a placement error naming the argument.
    let mixed = expdecay3::fitter(&te).fit(&y2);
    assert!(matches!(mixed, Err(Error::MixedPlacement { .. })), "{mixed:?}");
}

fn setting_error(lm: LevenbergMarquardt) -> Error {
    let t = t();
    match expdecay3::fitter(&t).settings(lm).fit(&curves(1)) {
        Err(e) => e,
        Ok(_) => panic!("settings {lm:?} were accepted"),
    }
}

#[test]
fn nonsense_settings_are_errors_naming_the_setting() {
    let base = LevenbergMarquardt::new();
    let cases = [
        (base.max_iterations(0), "max_iterations"),
        (base.ftol(-1.0), "ftol"),
        (base.xtol(f64::NAN), "xtol"),
        (base.gtol(f64::INFINITY), "gtol"),
        (base.lambda0(0.0), "lambda0"),
        (base.lambda_up(1.0), "lambda_up"),
        (base.lambda_down(1.0), "lambda_down"),
        (base.lambda_down(0.0), "lambda_down"),
    ];
    for (lm, name) in cases {
        match setting_error(lm) {
            Error::InvalidSetting { setting, kernel, .. } => {
                assert_eq!(setting, name);
                assert_eq!(kernel, "expdecay3");
            }
            e => panic!("{name}: unexpected error {e}"),
        }
    }
    let msg = setting_error(base.ftol(-1.0)).to_string();
    assert!(
        msg.contains("ftol") && msg.contains("-1") && msg.contains(">= 0"),
        "{msg}"
    );
}

#[test]
fn wrong_shapes_and_values_of_the_options_are_errors_naming_them() {
    let t = t();
    let y = curves(4);
    let arg = |r: Result<FitResult, Error>| match r {
        Err(Error::Shape { arg, .. }) => arg.to_string(),
        Err(Error::InvalidSetting { setting, .. }) => setting.to_string(),
        Err(e) => format!("other: {e}"),
        Ok(_) => "accepted".to_string(),
    };
    assert_eq!(arg(expdecay3::fitter(&t).init([1.0, 2.0]).fit(&y)), "init");
    assert_eq!(arg(expdecay3::fitter(&t).lower(vec![0.0; 4]).fit(&y)), "lower");
    assert_eq!(
        arg(expdecay3::fitter(&t).upper(Array2::<f64>::zeros((3, 3))).fit(&y)),
        "upper"
    );
    assert_eq!(
        arg(expdecay3::fitter(&t).weights(vec![1.0; 49]).fit(&y)),
        "weights"
    );
    let mut w = vec![1.0; 50];
    w[7] = -1.0;
    assert_eq!(arg(expdecay3::fitter(&t).weights(w).fit(&y)), "weights");
    assert_eq!(
        arg(expdecay3::fitter(&t)
            .lower([2.0, 0.0, 0.0])
            .upper([1.0, 1.0, 1.0])
            .fit(&y)),
        "lower/upper"
    );
    assert_eq!(
        arg(expdecay3::fitter(&t).init([f64::NAN, 1.0, 0.0]).fit(&y)),
        "init"
    );
    let mask = Array1::from_elem(3, true);
    assert_eq!(arg(expdecay3::fitter(&t).fit_masked(&y, &mask)), "mask");
    let zero_d = ArrayD::<f64>::zeros(IxDyn(&[]));
    assert_eq!(arg(expdecay3::fitter(&t).fit(&zero_d)), "data");
    let no_samples = Array2::<f64>::zeros((4, 0));
    assert_eq!(arg(expdecay3::fitter(&t).fit(&no_samples)), "data");
    // Data rows of another length than the time axis the prediction follows (SAMPLES) are
    // refused, longer or shorter, naming `data`, both lengths, and a transposed array.
    assert_eq!(expdecay3::SAMPLES, Some("t"));
    for n in [60, 49] {
        let e = expdecay3::fitter(&t)
            .fit(&Array2::<f64>::zeros((2, n)))
            .unwrap_err();
        assert_eq!(arg(Err(e.clone())), "data");
        let m = e.to_string();
        assert!(
            m.contains("rows of 50 samples, the length of `t`")
                && m.contains(&format!("rows of {n} samples")),
            "{m}"
        );
    }
    let transposed = Array2::<f64>::zeros((50, 7));
    let m = expdecay3::fitter(&t).fit(&transposed).unwrap_err().to_string();
    assert!(m.contains("transposed"), "{m}");
    let _ = FitValues::from([1.0, 2.0, 3.0]);
}
