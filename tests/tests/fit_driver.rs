//! The two iterations of the generated fit (`Driver::Adaptive`, the default, and
//! `Driver::Classic`), parameters on a log scale and the stalled-at-a-bound status: hard
//! models (gamma variates of DSC first passes, IVIM) converge with the adaptive driver, a fit
//! that stops against a bound with a gradient pointing inwards is not converged, and both
//! drivers give the same bits on the CPU and the emulator.

mod common;

use common::{assert_bits_eq, rng};
use ndarray::{Array1, Array2};
use osipy_kernels::fit::{Driver, FitResult, FitStatus, LevenbergMarquardt};
use osipy_kernels::{Device, XpArray};
use osipy_tests::fit_models::{expdecay3, gamma_linear, gamma_log, ivim, kink_at_bound, line_log_slope};
use rand::Rng;

const DRIVERS: [Driver; 2] = [Driver::Adaptive, Driver::Classic];

fn lm(driver: Driver) -> LevenbergMarquardt {
    LevenbergMarquardt::new().driver(driver)
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

fn statuses(r: &FitResult) -> Vec<Option<FitStatus>> {
    r.statuses().unwrap_or_else(|e| panic!("{e}"))
}

fn converged_fraction(r: &FitResult) -> f64 {
    let s = statuses(r);
    s.iter()
        .filter(|s| s.is_some_and(FitStatus::is_converged))
        .count() as f64
        / s.len() as f64
}

fn mean_iterations(r: &FitResult) -> f64 {
    let it = host_u(&r.iterations);
    it.iter().map(|&i| f64::from(i)).sum::<f64>() / it.len() as f64
}

fn normal(r: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - r.gen::<f64>();
    let u2: f64 = r.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[test]
fn status_10_is_stalled_at_a_bound_and_not_converged() {
    let s = FitStatus::StalledAtBound;
    assert_eq!(s.code(), 10);
    assert_eq!(FitStatus::from_code(10), Some(s));
    assert_eq!(s.to_string(), "stalled at a bound");
    assert!(!s.is_converged());
    let codes: Vec<u32> = FitStatus::ALL.iter().map(|s| s.code()).collect();
    assert_eq!(codes, (1..=10).collect::<Vec<u32>>());
    assert_eq!(LevenbergMarquardt::default().driver, Driver::Adaptive);
    assert_eq!(Driver::Classic.to_string(), "classic");
}

#[test]
fn a_fit_stopped_against_a_bound_with_an_inward_gradient_is_stalled_not_converged() {
    let t: Vec<f64> = (1..=20).map(|i| 0.1 * i as f64).collect();
    // Data 0.5 t (every step up from the bound raises the cost), 2 t (interior minimum, from
    // 1.5) and t (exact at the bound).
    let y = Array2::from_shape_fn((3, t.len()), |(v, k)| [0.5, 2.0, 1.0][v] * t[k]);
    let init = Array2::from_shape_vec((3, 1), vec![1.0, 1.5, 1.0]).unwrap_or_else(|e| panic!("{e}"));
    for driver in DRIVERS {
        let r = kink_at_bound::fitter(&t)
            .settings(lm(driver))
            .init(init.clone())
            .fit(&y)
            .unwrap_or_else(|e| panic!("{e}"));
        let st = statuses(&r);
        let p = host(&r.params);
        assert_eq!(st[0], Some(FitStatus::StalledAtBound), "{driver}: {st:?}");
        assert_eq!(p[0], 1.0, "{driver}: the stalled parameter stays on its bound");
        assert_eq!(host_u(&r.at_bound)[0], 1, "{driver}");
        assert!(st[1].is_some_and(FitStatus::is_converged), "{driver}: {st:?}");
        assert!((p[1] - 2.0).abs() < 1e-8, "{driver}: {}", p[1]);
        assert!(st[2].is_some_and(FitStatus::is_converged), "{driver}: {st:?}");
        assert_eq!(p[2], 1.0, "{driver}");
    }
}

#[test]
fn a_bound_whose_gradient_points_out_is_a_converged_constrained_minimum() {
    let t: Vec<f64> = (0..50).map(|i| 0.1 * i as f64).collect();
    let y = Array2::from_shape_fn((4, t.len()), |(v, k)| {
        (1.0 + 0.05 * v as f64) * (-0.5 * t[k]).exp() + 0.05
    });
    for driver in DRIVERS {
        // The true amplitude (1.0..1.15) and rate (0.5) are outside these bounds.
        let r = expdecay3::fitter(&t)
            .settings(lm(driver))
            .lower([0.0, 0.7, -1.0])
            .upper([0.9, 20.0, 1.0])
            .init([0.5, 5.0, 0.0])
            .fit(&y)
            .unwrap_or_else(|e| panic!("{e}"));
        let st = statuses(&r);
        assert!(
            st.iter().all(|s| s.is_some_and(FitStatus::is_converged)),
            "{driver}: {st:?}"
        );
        assert!(host_u(&r.at_bound).iter().all(|&b| b == 0b011), "{driver}");
    }
}

#[test]
fn parameters_on_a_log_scale_are_recovered_over_decades_and_stay_positive() {
    let t: Vec<f64> = (0..30).map(|i| 0.2 * i as f64).collect();
    let slopes = [1e-4, 1e-2, 1.0, 1e2, 1e4];
    let y = Array2::from_shape_fn((slopes.len(), t.len()), |(v, k)| slopes[v] * t[k] + 0.3);
    let tight = |d: Driver| lm(d).max_iterations(500).ftol(1e-15).xtol(1e-15).gtol(1e-15);
    for driver in DRIVERS {
        let r = line_log_slope::fitter(&t)
            .settings(tight(driver))
            .fit(&y)
            .unwrap_or_else(|e| panic!("{e}"));
        let p = host(&r.params);
        for (v, m) in slopes.iter().enumerate() {
            assert!(p[2 * v] > 0.0, "{driver}: slope {}", p[2 * v]);
            assert!(
                (p[2 * v] - m).abs() <= 1e-8 * m,
                "{driver}: slope {} for {m}",
                p[2 * v]
            );
            assert!(
                (p[2 * v + 1] - 0.3).abs() <= 1e-8,
                "{driver}: offset {}",
                p[2 * v + 1]
            );
        }
        assert!(
            statuses(&r)
                .iter()
                .all(|s| s.is_some_and(FitStatus::is_converged)),
            "{driver}"
        );
    }
}

/// Noisy DSC first passes sampled every 1.5 s for 90 s (t0 in [10, 25] s, alpha in [1.5, 5],
/// beta in [0.8, 3] s, peak 2 to 10 mM, noise SD 3% of the peak), cut 20% below the peak after
/// it, with the start of the DSC-MRI toolbox's first-pass fit: (t, cut data, t_end, starts).
fn gamma_data(voxels: usize, seed: u64) -> (Vec<f64>, Array2<f64>, Array1<f64>, Array2<f64>) {
    let t: Vec<f64> = (0..60).map(|k| 1.5 * k as f64).collect();
    let n = t.len();
    let mut r = rng(seed);
    let mut y = Array2::zeros((voxels, n));
    let mut t_end = Array1::zeros(voxels);
    let mut start = Array2::zeros((voxels, 4));
    for v in 0..voxels {
        let t0 = r.gen_range(10.0..25.0);
        let alpha: f64 = r.gen_range(1.5..5.0);
        let beta: f64 = r.gen_range(0.8..3.0);
        let peak = r.gen_range(2.0..10.0);
        let a = peak / ((alpha * beta).powf(alpha) * (-alpha).exp());
        let row: Vec<f64> = t
            .iter()
            .map(|&tk| {
                let s = tk - t0;
                let clean = if s > 0.0 {
                    a * s.powf(alpha) * (-s / beta).exp()
                } else {
                    0.0
                };
                clean + 0.03 * peak * normal(&mut r)
            })
            .collect();
        let (kp, ymax) =
            row.iter().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |m, (k, &x)| if x > m.1 { (k, x) } else { m },
            );
        let k0 = (0..kp).rev().find(|&k| row[k] <= 0.05 * ymax).unwrap_or(0);
        let ke = (kp + 1..n).find(|&k| row[k] <= 0.2 * ymax).unwrap_or(n - 1);
        for k in 0..=ke {
            y[[v, k]] = row[k];
        }
        t_end[v] = t[ke];
        let tmax = (t[kp] - t[k0]).max(0.75);
        let u = ((t[ke] - t[k0]) / tmax).max(1.05);
        let al = (0.2f64.ln() / (u.ln() + 1.0 - u)).clamp(1.2, 8.0);
        let row_start = [ymax * (al - al * tmax.ln()).exp(), t[k0], al, tmax / al];
        for (a, x) in row_start.iter().enumerate() {
            start[[v, a]] = *x;
        }
    }
    (t, y, t_end, start)
}

#[test]
fn gamma_variates_converge_with_the_adaptive_driver_and_a_log_amplitude() {
    let (t, y, t_end, start) = gamma_data(1500, 21);
    let fit_log = |d: Driver| {
        gamma_log::fitter(&t, &t_end)
            .settings(lm(d))
            .init(start.clone())
            .fit(&y)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let fit_linear = |d: Driver| {
        gamma_linear::fitter(&t, &t_end)
            .settings(lm(d))
            .init(start.clone())
            .fit(&y)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let adaptive = fit_log(Driver::Adaptive);
    let classic_linear = fit_linear(Driver::Classic);
    let (ca, cc) = (converged_fraction(&adaptive), converged_fraction(&classic_linear));
    let (ia, ic) = (mean_iterations(&adaptive), mean_iterations(&classic_linear));
    println!(
        "adaptive, log amplitude: {ca:.4} converged, {ia:.2} iterations; classic, linear: {cc:.4}, {ic:.2}"
    );
    assert!(ca >= 0.99, "adaptive driver, log amplitude: {ca}");
    assert!(ia < 0.5 * ic, "iterations {ia} against {ic}");
    // The adaptive driver alone (amplitude on a linear scale) already converges more often.
    let adaptive_linear = converged_fraction(&fit_linear(Driver::Adaptive));
    assert!(adaptive_linear > cc + 0.1, "{adaptive_linear} against {cc}");
    // The amplitude stays positive, t0 within its bounds, and the mean chi2 is no worse than
    // the classic driver's (the problem is not convex: single voxels may end in other minima).
    let p = host(&adaptive.params);
    assert!(p.chunks(4).all(|q| q[0] > 0.0 && (0.0..=60.0).contains(&q[1])));
    let mean = |r: &FitResult| host(&r.chi2).iter().sum::<f64>() / y.nrows() as f64;
    let classic_log = fit_log(Driver::Classic);
    let (m_a, m_cl, m_c) = (mean(&adaptive), mean(&classic_log), mean(&classic_linear));
    assert!(m_a <= m_cl && m_a <= m_c, "mean chi2 {m_a} against {m_cl}, {m_c}");
}

/// The 18 b-values of the OSIPI IVIM code collection's generic set (`generic.json`).
const B: [f64; 18] = [
    0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 250.0, 350.0, 400.0, 550.0, 700.0, 850.0,
    1000.0,
];

/// IVIM signals over the collection's tissue ranges, Rician noise at SNR 50.
fn ivim_data(voxels: usize, seed: u64) -> Array2<f64> {
    let mut r = rng(seed);
    let mut y = Vec::with_capacity(voxels * B.len());
    for _ in 0..voxels {
        let s0 = r.gen_range(0.8..1.2);
        let f = r.gen_range(0.07..0.69);
        let d = r.gen_range(0.41e-3..3.0e-3);
        let ds = r.gen_range(0.01..0.1);
        for b in B {
            let clean: f64 = s0 * (f * (-b * ds).exp() + (1.0 - f) * (-b * d).exp());
            let (re, im) = (clean + s0 / 50.0 * normal(&mut r), s0 / 50.0 * normal(&mut r));
            y.push((re * re + im * im).sqrt());
        }
    }
    Array2::from_shape_vec((voxels, B.len()), y).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn ivim_converges_from_the_shared_start_and_from_a_start_without_pseudo_diffusion() {
    let y = ivim_data(1000, 5);
    let r = ivim::fitter(&B).fit(&y).unwrap_or_else(|e| panic!("{e}"));
    let c = converged_fraction(&r);
    assert!(c >= 0.995, "{c}");
    let p = host(&r.params);
    let (lo, hi) = (ivim::LOWER, ivim::UPPER);
    assert!(p
        .chunks(4)
        .all(|q| (0..4).all(|a| lo[a] <= q[a] && q[a] <= hi[a])));
    // From f = 0, D* has no influence: the classic driver cannot solve the first step; the
    // adaptive one holds D* until f moves.
    let start = [1.0, 0.0, 1e-3, 0.01];
    let classic = ivim::fitter(&B)
        .settings(lm(Driver::Classic))
        .init(start)
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(statuses(&classic).iter().all(|s| *s == Some(FitStatus::Singular)));
    let adaptive = ivim::fitter(&B)
        .init(start)
        .fit(&y)
        .unwrap_or_else(|e| panic!("{e}"));
    let c = converged_fraction(&adaptive);
    assert!(c >= 0.99, "{c}");
}

#[test]
fn both_drivers_give_the_same_bits_on_cpu_and_emulator() {
    let to_emu = |a: &XpArray<f64>| a.to_device(&Device::Emulator).unwrap_or_else(|e| panic!("{e}"));
    let same = |a: &FitResult, b: &FitResult, what: &str| {
        assert_bits_eq(host(&a.params).iter(), host(&b.params).iter(), what);
        assert_bits_eq(host(&a.chi2).iter(), host(&b.chi2).iter(), what);
        assert_bits_eq(host(&a.r2).iter(), host(&b.r2).iter(), what);
        assert_eq!(host_u(&a.iterations), host_u(&b.iterations), "{what}");
        assert_eq!(host_u(&a.status), host_u(&b.status), "{what}");
        assert_eq!(host_u(&a.at_bound), host_u(&b.at_bound), "{what}");
    };
    let (t, y, t_end, start) = gamma_data(12, 3);
    let yi = ivim_data(12, 4);
    let (td, yd, ted) = (
        to_emu(&XpArray::from_host(Array1::from(t.clone()).into_dyn())),
        to_emu(&XpArray::from_host(y.clone().into_dyn())),
        to_emu(&XpArray::from_host(t_end.clone().into_dyn())),
    );
    let sd = to_emu(&XpArray::from_host(start.clone().into_dyn()));
    let (bd, yid) = (
        to_emu(&XpArray::from_host(Array1::from(B.to_vec()).into_dyn())),
        to_emu(&XpArray::from_host(yi.clone().into_dyn())),
    );
    let w: Vec<f64> = (0..B.len()).map(|k| 1.0 + 0.1 * k as f64).collect();
    for driver in DRIVERS {
        let s = lm(driver);
        let cpu = gamma_log::fitter(&t, &t_end)
            .settings(s)
            .init(start.clone())
            .fit(&y);
        let emu = gamma_log::fitter(&td, &ted).settings(s).init(sd.clone()).fit(&yd);
        same(
            &cpu.unwrap_or_else(|e| panic!("{e}")),
            &emu.unwrap_or_else(|e| panic!("{e}")),
            &format!("gamma_log, {driver}"),
        );
        let cpu = ivim::fitter(&B).settings(s).weights(w.clone()).fit(&yi);
        let emu = ivim::fitter(&bd).settings(s).weights(w.clone()).fit(&yid);
        same(
            &cpu.unwrap_or_else(|e| panic!("{e}")),
            &emu.unwrap_or_else(|e| panic!("{e}")),
            &format!("ivim weighted, {driver}"),
        );
        let tk: Vec<f64> = (1..=20).map(|i| 0.1 * i as f64).collect();
        let yk = Array2::from_shape_fn((3, tk.len()), |(v, k)| [0.5, 2.0, 1.0][v] * tk[k]);
        let tkd = to_emu(&XpArray::from_host(Array1::from(tk.clone()).into_dyn()));
        let ykd = to_emu(&XpArray::from_host(yk.clone().into_dyn()));
        let cpu = kink_at_bound::fitter(&tk).settings(s).init([1.2]).fit(&yk);
        let emu = kink_at_bound::fitter(&tkd).settings(s).init([1.2]).fit(&ykd);
        same(
            &cpu.unwrap_or_else(|e| panic!("{e}")),
            &emu.unwrap_or_else(|e| panic!("{e}")),
            &format!("kink_at_bound, {driver}"),
        );
    }
}
