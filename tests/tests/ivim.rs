//! IVIM (`osipy::ivim`): recovery on a phantom of known maps (noise-free to 1e-6 by the full
//! fit; median errors per method at SNR 20, 50 and 100), independence of the chunk size, the
//! thread count and the mask, CPU = emulator bit for bit, the Rician noise floor, and bad
//! input (errors naming the argument, per-voxel statuses that leave the neighbours alone).

mod common;

use common::lanes_agree;
use ndarray::{Array2, Array4, ArrayD};
use osipy::ivim::{self, Bounds, IvimStatus, Method, Rician};
use osipy_kernels::Device;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The 18 b-values of the OSIPI IVIM code collection's `generic.json` (s/mm²).
const B: [f64; 18] = [
    0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 250.0, 350.0, 400.0, 550.0, 700.0, 850.0,
    1000.0,
];

fn signal(b: f64, s0: f64, f: f64, d: f64, dstar: f64) -> f64 {
    s0 * (f * (-b * dstar).exp() + (1.0 - f) * (-b * d).exp())
}

/// Truth per voxel: `[s0, f, d, dstar]` from realistic ranges (a fixed grid of `n` voxels).
fn truths(n: usize) -> Vec<[f64; 4]> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..n)
        .map(|_| {
            [
                rng.gen_range(500.0..1500.0),
                rng.gen_range(0.05..0.35),
                rng.gen_range(0.5e-3..2.5e-3),
                rng.gen_range(0.01..0.1),
            ]
        })
        .collect()
}

/// Signals (voxels x b) of `truth`, with Rician noise of SD S0 / `snr` (none when `snr` is
/// infinite).
fn phantom(truth: &[[f64; 4]], snr: f64, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut normal = move || {
        // Box-Muller.
        let u1: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
        let u2: f64 = rng.gen_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    Array2::from_shape_fn((truth.len(), B.len()), |(v, k)| {
        let [s0, f, d, ds] = truth[v];
        let s = signal(B[k], s0, f, d, ds);
        if snr.is_finite() {
            let sd = s0 / snr;
            let (a, c) = (s + sd * normal(), sd * normal());
            (a * a + c * c).sqrt()
        } else {
            s
        }
    })
}

fn rel(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median relative errors of `[d, dstar, f]` over the voxels.
fn errors(maps: &osipy::volume::Maps, truth: &[[f64; 4]]) -> [f64; 3] {
    let g = |n: &str| maps.get(n).unwrap().iter().copied().collect::<Vec<f64>>();
    let (d, ds, f) = (g("d"), g("dstar"), g("f"));
    [
        median(truth.iter().zip(&d).map(|(t, x)| rel(*x, t[2])).collect()),
        median(truth.iter().zip(&ds).map(|(t, x)| rel(*x, t[3])).collect()),
        median(truth.iter().zip(&f).map(|(t, x)| rel(*x, t[1])).collect()),
    ]
}

#[test]
fn full_fit_recovers_noise_free_phantom_to_1e_6() {
    let truth = truths(400);
    let y = phantom(&truth, f64::INFINITY, 0);
    let maps = ivim::Fit::new(Method::Full, B).fit(&y).unwrap();
    let mut worst = [0.0f64; 4];
    for (v, t) in truth.iter().enumerate() {
        for (a, name) in ["s0", "f", "d", "dstar"].iter().enumerate() {
            worst[a] = worst[a].max(rel(maps.get(name).unwrap()[v], t[a]));
        }
        assert_eq!(maps.get("status").unwrap()[v], 1.0, "voxel {v}");
        let fd = maps.get("fdstar").unwrap()[v];
        assert!(rel(fd, t[1] * t[3]) < 2e-6);
    }
    println!("worst relative errors s0 f d dstar: {worst:?}");
    assert!(worst.iter().all(|w| *w < 1e-6), "{worst:?}");
}

#[test]
fn bayesian_and_segmented_are_close_on_noise_free_data() {
    let truth = truths(50);
    let y = phantom(&truth, f64::INFINITY, 0);
    let maps = ivim::Fit::new(Method::Bayesian, B).fit(&y).unwrap();
    let e = errors(&maps, &truth);
    println!("bayesian noise-free median errors d dstar f: {e:?}");
    assert!(e.iter().all(|x| *x < 1e-6), "{e:?}");
    assert!(maps.get("d_sd").unwrap().iter().all(|s| *s >= 0.0 && *s < 1e-7));
    let seg = ivim::Fit::new(Method::Segmented, B).fit(&y).unwrap();
    let e = errors(&seg, &truth);
    println!("segmented noise-free median errors d dstar f: {e:?}");
    // The D* compartment still contributes above 200 s/mm²: the segmented fit is biased.
    assert!(e[0] < 0.05 && e[2] < 0.3, "{e:?}");
    let two = ivim::Fit::new(Method::Segmented, B).steps(2).fit(&y).unwrap();
    let e2 = errors(&two, &truth);
    println!("segmented two-step noise-free median errors d dstar f: {e2:?}");
    assert!(e2[0] == e[0] && e2[2] < 0.3, "{e2:?}");
}

#[test]
fn median_errors_per_method_at_snr_20_50_100() {
    let truth = truths(2000);
    let mut lines = Vec::new();
    let mut full_at_50 = [0.0; 3];
    for snr in [20.0, 50.0, 100.0] {
        let y = phantom(&truth, snr, snr as u64);
        for (name, fit) in [
            ("segmented", ivim::Fit::new(Method::Segmented, B)),
            ("segmented-2", ivim::Fit::new(Method::Segmented, B).steps(2)),
            ("full", ivim::Fit::new(Method::Full, B)),
            ("bayesian", ivim::Fit::new(Method::Bayesian, B)),
        ] {
            let maps = fit.fit(&y).unwrap();
            let e = errors(&maps, &truth);
            if name == "full" && snr == 50.0 {
                full_at_50 = e;
            }
            lines.push(format!(
                "SNR {snr:>3}: {name:<11} median rel. error D {:.4} D* {:.4} f {:.4}",
                e[0], e[1], e[2]
            ));
        }
    }
    println!("{}", lines.join("\n"));
    assert!(full_at_50[0] < 0.1 && full_at_50[2] < 0.3, "{full_at_50:?}");
}

#[test]
fn maps_do_not_depend_on_chunks_threads_or_mask() {
    let truth = truths(60);
    let y = phantom(&truth, 30.0, 3);
    let y4 = y.clone().into_shape_with_order((3, 4, 5, B.len())).unwrap();
    for method in Method::ALL {
        let a = ivim::Fit::new(method, B).nodes(7).fit(&y4).unwrap();
        let b = ivim::Fit::new(method, B)
            .nodes(7)
            .chunk(7)
            .threads(1)
            .fit(&y4)
            .unwrap();
        assert_eq!(a.names(), b.names());
        for m in &a.maps {
            let o = b.get(m.name).unwrap();
            assert!(
                m.data
                    .iter()
                    .zip(o.iter())
                    .all(|(x, y)| x.to_bits() == y.to_bits()),
                "{method} {}",
                m.name
            );
        }
        let mask = ndarray::Array3::from_shape_fn((3, 4, 5), |(x, y, z)| (x + y + z) % 3 != 0);
        let c = ivim::Fit::new(method, B)
            .nodes(7)
            .chunk(5)
            .mask(&mask)
            .fit(&y4)
            .unwrap();
        for m in &a.maps {
            let o = c.get(m.name).unwrap();
            for ((idx, x), keep) in m.data.indexed_iter().zip(mask.iter()) {
                if *keep {
                    assert_eq!(x.to_bits(), o[&idx].to_bits(), "{method} {} {idx:?}", m.name);
                } else if m.name == "status" {
                    assert_eq!(o[&idx], f64::from(IvimStatus::Masked.code()));
                }
            }
        }
    }
}

#[test]
fn cpu_scalar_lanes_and_emulator_agree_bit_for_bit() {
    let truth = truths(3);
    let y = phantom(&truth, 40.0, 5);
    for method in Method::ALL {
        for rician in [Rician::None, Rician::Floor { sigma: 20.0 }] {
            let fit = || ivim::Fit::new(method, B).nodes(4).rician(rician);
            let a = lanes_agree(
                &format!("{method} {rician:?}"),
                || fit().fit(&y).unwrap(),
                |r| {
                    r.maps
                        .iter()
                        .flat_map(|m| m.data.iter().map(|v| v.to_bits()))
                        .collect::<Vec<_>>()
                },
            );
            let b = fit().device(Device::Emulator).fit(&y).unwrap();
            for m in &a.maps {
                let o = b.get(m.name).unwrap();
                assert!(
                    m.data
                        .iter()
                        .zip(o.iter())
                        .all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{method} {rician:?} {}: {:?} vs {:?}",
                    m.name,
                    m.data,
                    o
                );
            }
        }
    }
}

#[test]
fn rician_handling_reduces_the_bias_of_d() {
    // Low SNR where the high-b tail sits near the floor.
    let truth: Vec<[f64; 4]> = truths(600)
        .into_iter()
        .map(|t| [1000.0, t[1], t[2], t[3]])
        .collect();
    let y = phantom(&truth, 10.0, 11);
    let sigma = 100.0;
    let bias = |r: Rician| {
        let maps = ivim::Fit::new(Method::Full, B).rician(r).fit(&y).unwrap();
        let d = maps.get("d").unwrap();
        median(
            truth
                .iter()
                .zip(d.iter())
                .map(|(t, x)| (x - t[2]) / t[2])
                .collect(),
        )
    };
    let (none, corr, floor) = (
        bias(Rician::None),
        bias(Rician::Correction { sigma }),
        bias(Rician::Floor { sigma }),
    );
    println!("median relative bias of D at SNR 10: none {none:.4}, correction {corr:.4}, floor {floor:.4}");
    assert!(none < -0.05, "{none}");
    assert!(corr.abs() < none.abs() && floor.abs() < none.abs());
}

#[test]
fn directions_are_combined_and_b0_averaged() {
    // Two directions per b-value with different D (anisotropy): the geometric mean is the
    // signal of the mean D; b = 0 twice.
    let (d1, d2) = (0.8e-3, 1.6e-3);
    let mut b = vec![0.0, 0.0];
    for v in &B[1..] {
        b.push(*v);
        b.push(*v);
    }
    let y = Array2::from_shape_fn((2, b.len()), |(_, k)| {
        let d = if k % 2 == 0 { d1 } else { d2 };
        signal(b[k], 800.0, 0.0, d, 0.05)
    });
    let maps = ivim::Fit::new(Method::Full, b.clone())
        .bounds(Bounds {
            lower: [0.5, 0.0, 0.0, 5e-3],
            upper: [1.5, 1.0, 5e-3, 0.2],
        })
        .fit(&y)
        .unwrap();
    let d = maps.get("d").unwrap()[0];
    assert!(
        rel(d, 0.5 * (d1 + d2)) < 1e-6,
        "{d} status {}",
        maps.get("status").unwrap()[0]
    );
    assert!(rel(maps.get("s0").unwrap()[1], 800.0) < 1e-6);
}

#[test]
fn bad_input_is_an_error_naming_the_argument() {
    let y = phantom(&truths(2), f64::INFINITY, 0);
    let msg = |r: osipy::Result<osipy::volume::Maps>| r.unwrap_err().to_string();
    let e = msg(ivim::Fit::new(Method::Full, &B[..17]).fit(&y));
    assert!(e.contains("signal") && e.contains("17 volumes"), "{e}");
    let mut neg = B;
    neg[3] = -5.0;
    let e = msg(ivim::Fit::new(Method::Full, neg).fit(&y));
    assert!(e.contains("b_values") && e.contains("-5"), "{e}");
    let mut nob0 = B;
    nob0[0] = 3.0;
    let e = msg(ivim::Fit::new(Method::Full, nob0).fit(&y));
    assert!(e.contains("b = 0"), "{e}");
    let e = msg(ivim::Fit::new(Method::Full, B)
        .vectors(vec![[1.0, 0.0, 0.0]; 5])
        .fit(&y));
    assert!(e.contains("b_vectors") && e.contains("5 vectors"), "{e}");
    let e = msg(ivim::Fit::new(Method::Full, B).threshold(2000.0).fit(&y));
    assert!(e.contains("threshold"), "{e}");
    let e = msg(ivim::Fit::new(Method::Full, B).steps(4).fit(&y));
    assert!(e.contains("steps"), "{e}");
    let e = msg(ivim::Fit::new(Method::Bayesian, B).nodes(0).fit(&y));
    assert!(e.contains("nodes"), "{e}");
    let e = msg(ivim::Fit::new(Method::Full, B)
        .rician(Rician::Correction { sigma: -1.0 })
        .fit(&y));
    assert!(e.contains("rician"), "{e}");
    let mut bad = Bounds::default();
    bad.lower[2] = 1.0;
    let e = msg(ivim::Fit::new(Method::Full, B).bounds(bad).fit(&y));
    assert!(e.contains("bounds"), "{e}");
}

#[test]
fn bad_voxels_get_a_status_and_leave_neighbours_alone() {
    let truth = truths(5);
    let clean = phantom(&truth, f64::INFINITY, 0);
    let mut y = clean.clone();
    y[[1, 4]] = f64::NAN;
    y[[2, 7]] = 0.0;
    y[[3, 0]] = -1.0;
    for method in Method::ALL {
        let a = ivim::Fit::new(method, B).nodes(5).fit(&y).unwrap();
        let b = ivim::Fit::new(method, B).nodes(5).fit(&clean).unwrap();
        let st = a.get("status").unwrap();
        assert_eq!(st[1], f64::from(IvimStatus::NonFiniteData.code()));
        assert_eq!(st[2], f64::from(IvimStatus::NonPositiveSignal.code()));
        assert_eq!(st[3], f64::from(IvimStatus::NonPositiveSignal.code()));
        for m in a.parameters() {
            for v in 1..4 {
                assert!(m.data[v].is_nan(), "{method} {} {v}", m.name);
            }
            for v in [0, 4] {
                assert_eq!(m.data[v].to_bits(), b.get(m.name).unwrap()[v].to_bits());
            }
        }
    }
}

#[test]
fn volumes_series_and_maps_shapes() {
    let truth = truths(24);
    let y = phantom(&truth, f64::INFINITY, 0);
    let y4: Array4<f64> = y.into_shape_with_order((2, 3, 4, B.len())).unwrap();
    let maps = ivim::Fit::new(Method::Bayesian, B).fit(&y4).unwrap();
    assert_eq!(maps.shape, vec![2, 3, 4]);
    assert_eq!(
        maps.names(),
        ["d", "dstar", "f", "s0", "fdstar", "d_sd", "dstar_sd", "f_sd", "s0_sd", "status"]
    );
    assert_eq!(maps.map("d").unwrap().unit, "mm^2/s");
    let full = ivim::Fit::new(Method::Full, B).fit(&y4).unwrap();
    assert_eq!(
        full.names(),
        [
            "d",
            "dstar",
            "f",
            "s0",
            "fdstar",
            "status",
            "r2",
            "chi2",
            "iterations",
            "at_bound"
        ]
    );
    let d: &ArrayD<f64> = full.get("d").unwrap();
    assert!(rel(d[[1, 2, 3]], truth[23][2]) < 1e-6);
}
