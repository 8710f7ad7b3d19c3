//! T1 mapping (`osipy::t1`) against the OSIPI code collection's VFA reference data
//! (`tests/data/osipi/test/T1_mapping`, tolerances in its PROVENANCE.md: R1 atol 0.05 /s +
//! rtol 0.05, numpy `isclose` semantics), with the nonlinear, linear (DESPOT1) and
//! two-flip-angle methods; a B1-corrected fit of simulated data; a synthetic Look-Locker
//! recovery; Cpu = Emulator bit for bit on a subset; and argument errors.
//!
//! The only case allowed to fail is `Pat5_voxel5_prostaat` with the linear and two-angle
//! methods, which the OSIPI tests mark xfail (low SNR); everything else must pass.

mod common;

use common::{assert_bits_eq, rng};
use ndarray::{Array1, Array2, ArrayD, IxDyn};
use osipy::conc::spgr::spgr_signal;
use osipy::t1::{
    look_locker, vfa_linear, vfa_nonlinear, vfa_two_angle, FlipAngles, LookLocker, T1Map, T1Status, Vfa,
    VfaFit,
};
use osipy::Error;
use osipy_kernels::fit::LevenbergMarquardt;
use osipy_kernels::{Device, XpArray};
use osipy_tests::osipi::{close, data_dir, read};
use rand::Rng;
use rand_distr_free::normal;

/// R1 tolerance of the OSIPI T1 tests (`t1_data.py`): atol 0.05 /s + rtol 0.05.
const R1_ATOL: f64 = 0.05;
const R1_RTOL: f64 = 0.05;

/// The OSIPI xfail: low SNR, expected to fail with the linear and two-angle methods only.
const XFAIL_LABEL: &str = "Pat5_voxel5_prostaat";

/// One reference file, loaded as the OSIPI loader does.
struct Suite {
    name: &'static str,
    labels: Vec<String>,
    fa: Vec<f64>,
    tr: f64,
    /// voxels x angles
    s: Array2<f64>,
    /// Reference R1 (/s).
    r1: Vec<f64>,
}

/// Loads a suite: `r1_of` turns a row into the reference R1 (/s), `tr_scale` converts TR to s.
fn load(name: &'static str, file: &str, tr_scale: f64, r1_of: fn(&osipy_tests::osipi::Row) -> f64) -> Suite {
    let path = data_dir().join("test/T1_mapping/data").join(file);
    let rows = read(&path).unwrap_or_else(|e| panic!("{e}"));
    let fa = rows[0].vec("FA").unwrap();
    let tr_row = rows[0].vec("TR").unwrap();
    let tr = tr_row[0] * tr_scale;
    let mut s = Array2::zeros((rows.len(), fa.len()));
    let mut labels = Vec::new();
    let mut r1 = Vec::new();
    for (v, row) in rows.iter().enumerate() {
        // One acquisition per file: every row has the same angles and TRs.
        assert_eq!(row.vec("FA").unwrap(), fa, "{}: flip angles differ", row.line);
        assert!(
            row.vec("TR").unwrap().iter().all(|t| *t == tr_row[0]),
            "{}: TR",
            row.line
        );
        let sig = row.vec("s").unwrap();
        assert_eq!(sig.len(), fa.len());
        s.row_mut(v).assign(&Array1::from(sig));
        labels.push(row.text("label").unwrap().to_string());
        r1.push(r1_of(row));
    }
    Suite {
        name,
        labels,
        fa,
        tr,
        s,
        r1,
    }
}

fn suites() -> Vec<Suite> {
    vec![
        // R1 in /s, TR in s.
        load("brain", "t1_brain_data.csv", 1.0, |r| r.num("R1").unwrap()),
        // R1 in /ms: the loader multiplies by 1000.
        load("quiba", "t1_quiba_data.csv", 1.0, |r| {
            r.num("R1").unwrap() * 1000.0
        }),
        // TR in ms; reference: the non-B1-corrected nonlinear T1 in ms (header " T1 nonlinear").
        load("prostate", "t1_prostate_data.csv", 1e-3, |r| {
            1000.0 / r.num("T1 nonlinear").unwrap()
        }),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Method {
    Nonlinear,
    Linear,
    TwoAngle,
}

fn run(method: Method, s: &XpArray<f64>, acq: &Vfa<'_>, n: usize) -> T1Map {
    match method {
        Method::Nonlinear => vfa_nonlinear(s, acq, &VfaFit::default()),
        Method::Linear => vfa_linear(s, acq),
        Method::TwoAngle => vfa_two_angle(s, acq, 0, n - 1),
    }
    .unwrap()
}

fn on(d: Device, a: ArrayD<f64>) -> XpArray<f64> {
    XpArray::from_host(a).to_device(&d).unwrap()
}

/// Every method on every suite: all cases within tolerance except the OSIPI xfail.
#[test]
fn osipi_vfa_r1_within_tolerance_for_all_methods() {
    let mut failures = Vec::new();
    for suite in suites() {
        let s = XpArray::from_host(suite.s.clone().into_dyn());
        let acq = Vfa::new(suite.fa.clone(), suite.tr);
        for method in [Method::Nonlinear, Method::Linear, Method::TwoAngle] {
            let map = run(method, &s, &acq, suite.fa.len());
            let r1 = map.r1.to_host().unwrap();
            let mut pass = 0;
            let mut xfail = 0;
            for (v, want) in suite.r1.iter().enumerate() {
                let got = r1[v];
                let ok = close(got, *want, R1_ATOL, R1_RTOL);
                let allowed = suite.labels[v] == XFAIL_LABEL && method != Method::Nonlinear;
                if ok {
                    pass += 1;
                } else if allowed {
                    xfail += 1;
                } else {
                    failures.push(format!(
                        "{} {:?} {}: R1 {got} /s, reference {want} /s",
                        suite.name, method, suite.labels[v]
                    ));
                }
            }
            println!(
                "T1 {:<8} {:<9}: {pass}/{} pass, {xfail} xfail (OSIPI: {XFAIL_LABEL}, linear and two-angle only)",
                suite.name,
                format!("{method:?}"),
                suite.r1.len()
            );
        }
    }
    assert!(
        failures.is_empty(),
        "cases outside tolerance:\n{}",
        failures.join("\n")
    );
}

/// Nonlinear fits converge everywhere on the reference data, from the DESPOT1 start.
#[test]
fn osipi_vfa_nonlinear_statuses_are_ok() {
    for suite in suites() {
        let acq = Vfa::new(suite.fa.clone(), suite.tr);
        let map = vfa_nonlinear(&suite.s, &acq, &VfaFit::default()).unwrap();
        let st = map.statuses().unwrap();
        assert!(
            st.iter().all(|s| *s == Some(T1Status::Ok)),
            "{}: {:?}",
            suite.name,
            map.status_counts().unwrap()
        );
        let fit = map.fit.as_ref().unwrap();
        let (t1, r1) = (map.t1.to_host().unwrap(), map.r1.to_host().unwrap());
        let params = fit.params.to_host().unwrap();
        for v in 0..suite.r1.len() {
            assert_eq!(t1[v], 1.0 / r1[v]);
            assert_eq!(params[[v, 1]], r1[v]);
            assert_eq!(params[[v, 0]], map.s0.to_host().unwrap()[v]);
        }
    }
}

/// The per-voxel flip-angle form gives the same bits as the shared one.
#[test]
fn per_voxel_flip_angles_match_shared_angles() {
    let suite = &suites()[0];
    let fa_map = Array2::from_shape_fn(suite.s.dim(), |(_, k)| suite.fa[k]);
    let shared = Vfa::new(suite.fa.clone(), suite.tr);
    let per_voxel = Vfa::new(FlipAngles::map(&fa_map), suite.tr);
    let s = XpArray::from_host(suite.s.clone().into_dyn());
    for method in [Method::Nonlinear, Method::Linear, Method::TwoAngle] {
        let a = run(method, &s, &shared, suite.fa.len());
        let b = run(method, &s, &per_voxel, suite.fa.len());
        assert_bits_eq(
            a.r1.to_host().unwrap().iter(),
            b.r1.to_host().unwrap().iter(),
            &format!("{method:?} r1"),
        );
        assert_bits_eq(
            a.s0.to_host().unwrap().iter(),
            b.s0.to_host().unwrap().iter(),
            &format!("{method:?} s0"),
        );
    }
}

/// Cpu = Emulator bit for bit: every VFA method (and so every VFA kernel: the DESPOT1 kernels,
/// the start, the generated fit and the finish) on a few voxels of each suite, plus
/// per-voxel angles and a B1 map.
#[test]
fn vfa_cpu_and_emulator_agree_bit_for_bit() {
    for suite in suites() {
        let pick = [0, suite.r1.len() / 2, suite.r1.len() - 1];
        let sub = Array2::from_shape_fn((pick.len(), suite.fa.len()), |(v, k)| suite.s[[pick[v], k]]);
        let b1 = ArrayD::from_shape_vec(IxDyn(&[pick.len()]), vec![1.0, 0.9, 1.1]).unwrap();
        let fa_map = Array2::from_shape_fn(sub.dim(), |(_, k)| suite.fa[k]).into_dyn();
        let mut out = Vec::new();
        for d in [Device::Cpu, Device::Emulator] {
            let s = on(d, sub.clone().into_dyn());
            let b1 = on(d, b1.clone());
            let fa = on(d, fa_map.clone());
            let mut maps = Vec::new();
            for method in [Method::Nonlinear, Method::Linear, Method::TwoAngle] {
                let plain = Vfa::new(suite.fa.clone(), suite.tr);
                maps.push(run(method, &s, &plain, suite.fa.len()));
                let corrected = Vfa::new(FlipAngles::map(&fa), suite.tr).b1(&b1);
                maps.push(run(method, &s, &corrected, suite.fa.len()));
            }
            out.push(maps);
        }
        for (i, (c, e)) in out[0].iter().zip(&out[1]).enumerate() {
            let what = format!("{} map {i}", suite.name);
            assert_eq!(e.r1.placement(), Device::Emulator);
            for (x, y) in [(&c.r1, &e.r1), (&c.t1, &e.t1), (&c.s0, &e.s0)] {
                assert_bits_eq(x.to_host().unwrap().iter(), y.to_host().unwrap().iter(), &what);
            }
            assert_eq!(c.status.to_host().unwrap(), e.status.to_host().unwrap(), "{what}");
        }
    }
}

fn on_t<T: osipy_kernels::Element>(d: Device, a: ArrayD<T>) -> XpArray<T> {
    XpArray::from_host(a).to_device(&d).unwrap()
}

fn bits(a: &XpArray<f64>) -> Vec<f64> {
    a.to_host().unwrap().iter().copied().collect()
}

/// The building-block kernels launched on their own (DESPOT1 with pairs and bad inputs, the
/// model launches and Jacobians, the starts, the status map, the Look-Locker pieces): Cpu =
/// Emulator bit for bit.
#[test]
fn building_block_kernels_cpu_and_emulator_agree_bit_for_bit() {
    use osipy::t1::{ll, t1_status_of_fit, vfa};
    let mut r = rng(74);
    let items = 8;
    let n = 4;
    let fa = ArrayD::from_shape_fn(IxDyn(&[items, n]), |i| {
        [2.0, 6.0, 12.0, 20.0][i[1]] + r.gen_range(-0.5..0.5)
    });
    let s = ArrayD::from_shape_fn(IxDyn(&[items, n]), |i| {
        [40.0, 80.0, 90.0, 70.0][i[1]] + r.gen_range(-5.0..5.0)
    });
    let mut s_bad = s.clone();
    s_bad[[3, 2]] = f64::NAN;
    let scalars = |v: Vec<f64>| ArrayD::from_shape_vec(IxDyn(&[items]), v).unwrap();
    let tr = scalars(vec![0.005, 0.005, 0.004, 0.005, -1.0, 0.005, 0.006, 0.005]);
    let b1 = scalars(vec![1.0, 0.9, 1.1, 1.0, 1.0, 0.0, 20.0, f64::NAN]);
    let pair = ArrayD::from_shape_vec(
        IxDyn(&[items]),
        vec![false, true, true, false, true, false, true, true],
    )
    .unwrap();
    let i = ArrayD::from_shape_vec(IxDyn(&[items]), vec![0usize, 0, 1, 0, 0, 0, 3, 2]).unwrap();
    let j = ArrayD::from_shape_vec(IxDyn(&[items]), vec![3usize, 3, 1, 0, 2, 0, 9, 3]).unwrap();
    let s0p = scalars((0..items).map(|k| 500.0 + 10.0 * k as f64).collect());
    let r1p = scalars((0..items).map(|k| 0.3 + 0.2 * k as f64).collect());
    let fa_row = vec![3.0, 9.0, 15.0, 30.0];
    let codes = ArrayD::from_shape_vec(IxDyn(&[12]), (0..12u32).collect()).unwrap();
    let times: Vec<f64> = (0..n).map(|k| 0.1 + 0.3 * k as f64).collect();
    let t_rows = ArrayD::from_shape_fn(IxDyn(&[items, n]), |i| times[i[1]]);
    let kflip = ArrayD::from_shape_vec(IxDyn(&[items]), vec![0usize, 1, 2, 3, 4, 0, 1, 2]).unwrap();
    let params3 = ArrayD::from_shape_fn(IxDyn(&[items, 3]), |i| {
        [300.0, 700.0, 0.8][i[1]] * (1.0 + 0.1 * i[0] as f64)
    });
    let run = |d: Device| -> (Vec<Vec<f64>>, Vec<Vec<u32>>) {
        let (fa, s, s_bad) = (on(d, fa.clone()), on(d, s.clone()), on(d, s_bad.clone()));
        let (tr, b1, s0p, r1p) = (
            on(d, tr.clone()),
            on(d, b1.clone()),
            on(d, s0p.clone()),
            on(d, r1p.clone()),
        );
        let (pair, i, j) = (on_t(d, pair.clone()), on_t(d, i.clone()), on_t(d, j.clone()));
        let fa_u = on(d, ArrayD::from_shape_vec(IxDyn(&[n]), fa_row.clone()).unwrap());
        let t_u = on(d, ArrayD::from_shape_vec(IxDyn(&[n]), times.clone()).unwrap());
        let mut f = Vec::new();
        let mut u = Vec::new();
        for data in [&s, &s_bad] {
            let (a, b, st) = vfa::despot1::launch(data, &fa, &tr, &b1, &pair, &i, &j).unwrap();
            let (a2, b2, c2, st2) = vfa::with_t1::launch(&a, &b, &st).unwrap();
            f.extend([bits(&a), bits(&b), bits(&a2), bits(&b2), bits(&c2)]);
            u.extend([
                st.to_host().unwrap().iter().copied().collect(),
                st2.to_host().unwrap().iter().copied().collect(),
            ]);
            let mut init = on(d, ArrayD::zeros(IxDyn(&[items, 2])));
            vfa::vfa_start_core::launch(data, &fa, &tr, &b1, &r1p, &mut init).unwrap();
            f.push(bits(&init));
        }
        // Actual angles from -5 to 65 degrees: the first is outside (0, 180), so NaN.
        let angle = on(
            d,
            ArrayD::from_shape_fn(IxDyn(&[items]), |k| 10.0 * k[0] as f64 - 5.0),
        );
        let e = on(d, ArrayD::from_elem(IxDyn(&[items]), 0.99));
        f.push(bits(&vfa::vfa_sample::launch(&angle, &s0p, &e).unwrap()));
        let mut pred = on(d, ArrayD::zeros(IxDyn(&[items, n])));
        let mut jac = on(d, ArrayD::zeros(IxDyn(&[items, 2 * n])));
        vfa::spgr_vfa::launch(&fa_u, 0.005, &b1, &s0p, &r1p, &mut pred).unwrap();
        f.push(bits(&pred));
        vfa::spgr_vfa_map::launch(&fa, 0.005, &b1, &s0p, &r1p, &mut pred).unwrap();
        f.push(bits(&pred));
        vfa::spgr_vfa::jacobian::launch(&fa_u, 0.005, &b1, &s0p, &r1p, &mut pred, &mut jac).unwrap();
        f.extend([bits(&pred), bits(&jac)]);
        let st = t1_status_of_fit::launch(&on_t(d, codes.clone())).unwrap();
        u.push(st.to_host().unwrap().iter().copied().collect());
        let p3: Vec<XpArray<f64>> = (0..3)
            .map(|c| on(d, ArrayD::from_shape_fn(IxDyn(&[items]), |k| params3[[k[0], c]])))
            .collect();
        for magnitude in [false, true] {
            ll::look_locker_model::launch(&t_u, magnitude, &p3[0], &p3[1], &p3[2], &mut pred).unwrap();
            f.push(bits(&pred));
        }
        let (a, b, sse) =
            ll::ll_linear_fit::launch(&on(d, t_rows.clone()), &pred, &on_t(d, kflip.clone()), &p3[2])
                .unwrap();
        f.extend([bits(&a), bits(&b), bits(&sse)]);
        (f, u)
    };
    let (c, e) = (run(Device::Cpu), run(Device::Emulator));
    for (k, (x, y)) in c.0.iter().zip(&e.0).enumerate() {
        assert_bits_eq(x.iter(), y.iter(), &format!("f64 output {k}"));
    }
    assert_eq!(c.1, e.1);
    // The DESPOT1 statuses of the hand-made voxels: ok, pair ok, pair i == j (invalid), ok,
    // tr < 0 (invalid), b1 = 0 (invalid), pair index past the row (invalid), b1 NaN (invalid).
    assert_eq!(c.1[0], vec![1, 1, 6, 1, 6, 6, 6, 6]);
    // With a NaN sample in voxel 3 (used: not a pair).
    assert_eq!(c.1[2][3], 4);
    assert_eq!(c.1[4], vec![6, 1, 1, 1, 2, 4, 5, 7, 6, 6, 6, 6]);
}

/// SPGR signals of S0 and T1 at the actual angles `fa * b1`.
fn simulate(fa: &[f64], tr: f64, s0: &[f64], t1: &[f64], b1: &[f64]) -> Array2<f64> {
    Array2::from_shape_fn((s0.len(), fa.len()), |(v, k)| {
        let got = spgr_signal::launch(&[s0[v]], &[1.0 / t1[v]], fa[k] * b1[v], tr).unwrap();
        got.into_host().unwrap()[0]
    })
}

/// Data simulated with B1 != 1: the fit with the B1 map recovers the truth (noise free:
/// 1e-6 relative; with noise at SNR 500: 3 %); without the map it does not (T1 off by more
/// than 20 %). DESPOT1 with the map is exact too.
#[test]
fn b1_map_corrects_the_flip_angles() {
    let fa = [2.0, 5.0, 10.0, 15.0, 20.0];
    let tr = 0.005;
    let n = 40;
    let mut r = rng(71);
    let t1: Vec<f64> = (0..n).map(|_| r.gen_range(0.5..2.5)).collect();
    let s0: Vec<f64> = (0..n).map(|_| r.gen_range(500.0..2000.0)).collect();
    // B1 from 0.6 to 0.8 and 1.25 to 1.4: a realistic 3 T range away from 1.
    let b1: Vec<f64> = (0..n)
        .map(|v| {
            if v % 2 == 0 {
                r.gen_range(0.6..0.8)
            } else {
                r.gen_range(1.25..1.4)
            }
        })
        .collect();
    let s = simulate(&fa, tr, &s0, &t1, &b1);
    let b1_map = Array1::from(b1.clone());
    let with = Vfa::new(fa, tr).b1(&b1_map);
    let without = Vfa::new(fa, tr);
    let tight = VfaFit {
        settings: LevenbergMarquardt::new().ftol(1e-15).xtol(1e-15).gtol(1e-15),
        ..VfaFit::default()
    };
    let fitted = vfa_nonlinear(&s, &with, &tight).unwrap();
    let linear = vfa_linear(&s, &with).unwrap();
    let naive = vfa_nonlinear(&s, &without, &tight).unwrap();
    let (t1_fit, s0_fit) = (fitted.t1.to_host().unwrap(), fitted.s0.to_host().unwrap());
    let t1_lin = linear.t1.to_host().unwrap();
    let t1_naive = naive.t1.to_host().unwrap();
    for v in 0..n {
        assert!(
            (t1_fit[v] / t1[v] - 1.0).abs() < 1e-6,
            "voxel {v}: T1 {} vs {}",
            t1_fit[v],
            t1[v]
        );
        assert!(
            (s0_fit[v] / s0[v] - 1.0).abs() < 1e-6,
            "voxel {v}: S0 {} vs {}",
            s0_fit[v],
            s0[v]
        );
        assert!(
            (t1_lin[v] / t1[v] - 1.0).abs() < 1e-6,
            "voxel {v}: linear T1 {}",
            t1_lin[v]
        );
        assert!(
            (t1_naive[v] / t1[v] - 1.0).abs() > 0.2,
            "voxel {v}: without the map T1 {} is too close to the truth {}",
            t1_naive[v],
            t1[v]
        );
    }
    // With noise (SNR 500: sigma is the voxel's largest signal / 500): within 3 % with the
    // map, still biased without.
    let mut noisy = s.clone();
    for mut row in noisy.rows_mut() {
        let sigma = row.fold(0.0f64, |m, x| m.max(*x)) / 500.0;
        for x in row.iter_mut() {
            *x += normal(&mut r) * sigma;
        }
    }
    let fitted = vfa_nonlinear(&noisy, &with, &VfaFit::default()).unwrap();
    let naive = vfa_nonlinear(&noisy, &without, &VfaFit::default()).unwrap();
    let (t1_fit, t1_naive) = (fitted.t1.to_host().unwrap(), naive.t1.to_host().unwrap());
    let worst = (0..n)
        .map(|v| (t1_fit[v] / t1[v] - 1.0).abs())
        .fold(0.0, f64::max);
    println!(
        "B1 test, SNR 500: worst relative T1 error with the map {:.2} %",
        100.0 * worst
    );
    for v in 0..n {
        assert!(
            (t1_fit[v] / t1[v] - 1.0).abs() < 0.03,
            "noisy voxel {v}: T1 {} vs {}",
            t1_fit[v],
            t1[v]
        );
        assert!(
            (t1_naive[v] / t1[v] - 1.0).abs() > 0.15,
            "noisy voxel {v}: uncorrected T1 {}",
            t1_naive[v]
        );
    }
}

/// Look-Locker: signed and magnitude data simulated with `a - b exp(-t / T1*)` from known T1
/// (`b = a (1 + T1 / T1*)`, so `T1 = T1* (b / a - 1)`), fixed seed. Noise free: T1 to 1e-6
/// relative; Gaussian noise at SNR 200 (on `a`): within 5 %, and within 1.5 % on average.
#[test]
fn look_locker_recovers_t1() {
    let times: Vec<f64> = (0..30).map(|k| 0.05 + 0.1 * k as f64).collect();
    let n = 60;
    let mut r = rng(72);
    let t1: Vec<f64> = (0..n).map(|_| r.gen_range(0.4..1.8)).collect();
    // T1* / T1 as for readout flip angles of a few degrees.
    let t1s: Vec<f64> = t1.iter().map(|t| t * r.gen_range(0.55..0.9)).collect();
    let a: Vec<f64> = (0..n).map(|_| r.gen_range(200.0..1000.0)).collect();
    let b: Vec<f64> = (0..n).map(|v| a[v] * (1.0 + t1[v] / t1s[v])).collect();
    let clean = Array2::from_shape_fn((n, times.len()), |(v, k)| {
        a[v] - b[v] * (-times[k] / t1s[v]).exp()
    });
    let tight = LevenbergMarquardt::new()
        .ftol(1e-15)
        .xtol(1e-15)
        .gtol(1e-15)
        .max_iterations(200);
    let mut noisy = clean.clone();
    for (v, mut row) in noisy.rows_mut().into_iter().enumerate() {
        for x in row.iter_mut() {
            *x += normal(&mut r) * a[v] / 200.0;
        }
    }
    for magnitude in [false, true] {
        let ll = LookLocker::new(times.clone())
            .magnitude(magnitude)
            .settings(tight);
        let prep = |d: &Array2<f64>| if magnitude { d.mapv(f64::abs) } else { d.clone() };
        let map = look_locker(&prep(&clean), &ll).unwrap();
        let got = map.t1.to_host().unwrap();
        assert!(map.statuses().unwrap().iter().all(|s| *s == Some(T1Status::Ok)));
        for v in 0..n {
            assert!(
                (got[v] / t1[v] - 1.0).abs() < 1e-6,
                "magnitude {magnitude}, voxel {v}: T1 {} vs {}",
                got[v],
                t1[v]
            );
            assert!((map.r1.to_host().unwrap()[v] * got[v] - 1.0).abs() < 1e-15);
        }
        let map = look_locker(
            &prep(&noisy),
            &LookLocker::new(times.clone()).magnitude(magnitude),
        )
        .unwrap();
        let got = map.t1.to_host().unwrap();
        let mut sum = 0.0;
        for v in 0..n {
            let e = (got[v] / t1[v] - 1.0).abs();
            assert!(
                e < 0.05,
                "noisy, magnitude {magnitude}, voxel {v}: T1 {} vs {}",
                got[v],
                t1[v]
            );
            sum += e;
        }
        let mean = sum / n as f64;
        println!(
            "Look-Locker magnitude={magnitude}: mean |T1 error| {:.3} % at SNR 200",
            100.0 * mean
        );
        assert!(mean < 0.015, "mean relative T1 error {mean}");
    }
}

/// Look-Locker on the Emulator equals the CPU bit for bit (start, fit and correction).
#[test]
fn look_locker_cpu_and_emulator_agree_bit_for_bit() {
    let times: Vec<f64> = (0..12).map(|k| 0.1 + 0.25 * k as f64).collect();
    let params = [(500.0, 1300.0, 0.7), (300.0, 800.0, 1.1)];
    let mut r = rng(73);
    let data = Array2::from_shape_fn((params.len(), times.len()), |(v, k)| {
        let (a, b, t) = params[v];
        a - b * (-times[k] / t).exp() + normal(&mut r)
    });
    for magnitude in [false, true] {
        let d = if magnitude {
            data.mapv(f64::abs)
        } else {
            data.clone()
        };
        let ll = LookLocker::new(times.clone()).magnitude(magnitude);
        let c = look_locker(&d, &ll).unwrap();
        let e = look_locker(&on(Device::Emulator, d.into_dyn()), &ll).unwrap();
        for (x, y) in [
            (&c.t1, &e.t1),
            (&c.t1_star, &e.t1_star),
            (&c.a, &e.a),
            (&c.b, &e.b),
        ] {
            assert_bits_eq(
                x.to_host().unwrap().iter(),
                y.to_host().unwrap().iter(),
                &format!("look-locker magnitude={magnitude}"),
            );
        }
        assert_eq!(c.status.to_host().unwrap(), e.status.to_host().unwrap());
    }
}

/// Per-voxel failures are statuses, not errors: NaN data, B1 of zero, a voxel without a
/// physical solution.
#[test]
fn per_voxel_failures_are_statuses() {
    let fa = [3.0, 10.0, 25.0];
    let good = simulate(&fa, 0.005, &[1000.0], &[1.2], &[1.0]);
    let mut s = Array2::zeros((4, 3));
    for v in 0..4 {
        s.row_mut(v).assign(&good.row(0));
    }
    s[[1, 1]] = f64::NAN;
    // Signal rising with the angle far beyond the Ernst angle: DESPOT1 slope above 1.
    s.row_mut(3).assign(&Array1::from(vec![1.0, 10.0, 100.0]));
    let b1 = Array1::from(vec![1.0, 1.0, 0.0, 1.0]);
    // B1 = 0 cannot be a uniform value: it is an argument error, but a per-voxel one.
    let acq = Vfa::new(fa, 0.005).b1(&b1);
    let lin = vfa_linear(&s, &acq).unwrap();
    assert_eq!(
        lin.statuses().unwrap(),
        vec![
            Some(T1Status::Ok),
            Some(T1Status::NonFiniteData),
            Some(T1Status::InvalidInput),
            Some(T1Status::NoSolution)
        ]
    );
    let fit = vfa_nonlinear(&s, &acq, &VfaFit::default()).unwrap();
    let st = fit.statuses().unwrap();
    assert_eq!(st[0], Some(T1Status::Ok));
    assert_eq!(st[1], Some(T1Status::NonFiniteData));
    assert_eq!(st[2], Some(T1Status::InvalidInput));
    let r1 = fit.r1.to_host().unwrap();
    assert!((r1[0] - 1.0 / 1.2).abs() < 1e-6 && r1[1].is_nan() && r1[2].is_nan());
    // The voxel without a DESPOT1 solution starts from the fallback and ends on a bound or
    // converged; it never takes its neighbours down.
    assert!(st[3].is_some());
}

/// Argument errors name the function and the argument, and nothing panics.
#[test]
fn bad_arguments_are_invalid_errors() {
    let s = Array2::<f64>::ones((2, 3));
    let arg_of = |e: Error| match e {
        Error::Invalid { function, arg, .. } => format!("{function}:{arg}"),
        other => panic!("expected Invalid, got {other:?}"),
    };
    let e = vfa_linear(&s, &Vfa::new([2.0, 5.0], 0.005)).unwrap_err();
    assert_eq!(arg_of(e), "t1::vfa_linear:flip_angles");
    let e = vfa_linear(&s, &Vfa::new([2.0, 5.0, 190.0], 0.005)).unwrap_err();
    assert_eq!(arg_of(e), "t1::vfa_linear:flip_angles");
    let e = vfa_nonlinear(&s, &Vfa::new([2.0, 5.0, 9.0], -1.0), &VfaFit::default()).unwrap_err();
    assert_eq!(arg_of(e), "t1::vfa_nonlinear:tr");
    let e = vfa_two_angle(&s, &Vfa::new([2.0, 5.0, 9.0], 0.005), 1, 1).unwrap_err();
    assert_eq!(arg_of(e), "t1::vfa_two_angle:angles");
    let wrong = Array1::<f64>::ones(3);
    let e = vfa_linear(&s, &Vfa::new([2.0, 5.0, 9.0], 0.005).b1(&wrong)).unwrap_err();
    assert_eq!(arg_of(e), "t1::vfa_linear:b1");
    let e = vfa_linear(&s, &Vfa::new([2.0, 5.0, 9.0], 0.005).b1(0.0)).unwrap_err();
    assert_eq!(arg_of(e), "t1::vfa_linear:b1");
    let bad_fit = VfaFit {
        r1_bounds: (2.0, 1.0),
        ..VfaFit::default()
    };
    let e = vfa_nonlinear(&s, &Vfa::new([2.0, 5.0, 9.0], 0.005), &bad_fit).unwrap_err();
    assert_eq!(arg_of(e), "t1::vfa_nonlinear:r1_bounds");
    let e = look_locker(&s, &LookLocker::new(vec![0.1, 0.2])).unwrap_err();
    assert_eq!(arg_of(e), "t1::look_locker:times");
    let e = look_locker(&s, &LookLocker::new(vec![0.1, 0.3, 0.2])).unwrap_err();
    assert_eq!(arg_of(e), "t1::look_locker:times");
    let e = vfa_linear(&ndarray::arr0(1.0), &Vfa::new([2.0], 0.005)).unwrap_err();
    assert_eq!(arg_of(e), "t1::vfa_linear:signal");
}

/// A Gaussian sample from uniform ones (Box-Muller), so the tests need no extra crate.
mod rand_distr_free {
    use rand::Rng;

    /// One standard normal sample.
    pub fn normal(r: &mut impl Rng) -> f64 {
        let u: f64 = r.gen_range(f64::EPSILON..1.0);
        let v: f64 = r.gen_range(0.0..1.0);
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}
