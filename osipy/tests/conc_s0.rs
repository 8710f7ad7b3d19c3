//! SPGR signal to concentration with a known S0 (`SignalToConc::s0`): exact where the
//! baseline estimate is biased by integer quantisation, per-voxel maps, and the errors.

use ndarray::{array, Array2};
use osipy::conc::spgr::spgr_signal;
use osipy::conc::{Baseline, SignalToConc, Spgr};

const ACQ: Spgr = Spgr {
    flip_angle: 15.0,
    tr: 0.005,
};
const R1_PER_MM: f64 = 4.5;
const CONC: [f64; 8] = [0.0, 0.0, 0.0, 0.0, 0.4, 1.2, 0.9, 0.6];

/// The signal of a voxel of `s0` and `t10` for [`CONC`], its baseline frames (the first four)
/// rounded to integers as a scanner stores them.
fn curve(s0: f64, t10: f64) -> Vec<f64> {
    CONC.iter()
        .enumerate()
        .map(|(k, c)| {
            let s = spgr_signal(s0, 1.0 / t10 + R1_PER_MM * c, ACQ.flip_angle, ACQ.tr);
            if k < 4 {
                s.round()
            } else {
                s
            }
        })
        .collect()
}

fn signal(voxels: &[(f64, f64)]) -> Array2<f64> {
    let rows: Vec<f64> = voxels.iter().flat_map(|(s0, t10)| curve(*s0, *t10)).collect();
    Array2::from_shape_vec((voxels.len(), CONC.len()), rows).unwrap()
}

#[test]
fn a_known_s0_gives_the_exact_concentration_where_the_quantised_baseline_is_biased() {
    // S0 = 615, T10 = 1 s: the baseline signal is 20.43, stored as 20 (2% low).
    let s = signal(&[(615.0, 1.0)]);
    assert_eq!(s[[0, 0]], 20.0);
    let from_baseline = SignalToConc::spgr(ACQ, 1.0, R1_PER_MM, Baseline::first(4))
        .concentration(&s)
        .unwrap()
        .into_host()
        .unwrap();
    let known = SignalToConc::spgr(ACQ, 1.0, R1_PER_MM, Baseline::first(4))
        .s0(615.0)
        .concentration(&s)
        .unwrap()
        .into_host()
        .unwrap();
    for k in 4..CONC.len() {
        let biased = (from_baseline[[0, k]] - CONC[k]) / CONC[k];
        assert!(biased.abs() > 0.02, "frame {k}: baseline bias {biased}");
        assert!(
            (known[[0, k]] - CONC[k]).abs() < 1e-12,
            "frame {k}: {} vs {}",
            known[[0, k]],
            CONC[k]
        );
    }
    // The rounded baseline frames are converted too: R1 of the signal 20 itself.
    let (sa, ca) = (15f64.to_radians().sin(), 15f64.to_radians().cos());
    let e = (615.0 * sa - 20.0) / (615.0 * sa - 20.0 * ca);
    let c0 = (-e.ln() / ACQ.tr - 1.0) / R1_PER_MM;
    assert!((c0 + 0.005_12).abs() < 1e-5, "{c0}");
    assert!((known[[0, 0]] - c0).abs() < 1e-12, "{} vs {c0}", known[[0, 0]]);
}

#[test]
fn an_s0_map_gives_each_voxel_its_own_and_an_invalid_voxel_a_nan_row() {
    let s = signal(&[(600.0, 1.0), (1500.0, 1.6), (800.0, 1.2)]);
    let t10 = array![1.0, 1.6, 1.2];
    let s0 = array![600.0, 1500.0, -1.0];
    let conv = SignalToConc::spgr(ACQ, &t10, R1_PER_MM, Baseline::first(4)).s0(&s0);
    let c = conv.concentration(&s).unwrap().into_host().unwrap();
    for v in 0..2 {
        for k in 4..CONC.len() {
            assert!(
                (c[[v, k]] - CONC[k]).abs() < 1e-11,
                "voxel {v} frame {k}: {}",
                c[[v, k]]
            );
        }
    }
    assert!((0..CONC.len()).all(|k| c[[2, k]].is_nan()));
    // R1 from the same S0: R10 + r1 C.
    let r1 = conv.r1(&s).unwrap().into_host().unwrap();
    assert!(
        (r1[[1, 5]] - (1.0 / 1.6 + R1_PER_MM * 1.2)).abs() < 1e-10,
        "{}",
        r1[[1, 5]]
    );
    assert!(r1[[2, 5]].is_nan());
}

#[test]
fn a_known_s0_needs_no_baseline_window_and_checks_its_value_and_shape() {
    let s = signal(&[(600.0, 1.0)]);
    // The window is not used: even one past the samples is accepted.
    let c = SignalToConc::spgr(ACQ, 1.0, R1_PER_MM, Baseline::first(99))
        .s0(600.0)
        .concentration(&s)
        .unwrap()
        .into_host()
        .unwrap();
    assert!((c[[0, 5]] - 1.2).abs() < 1e-12);
    for bad in [0.0, -3.0, f64::NAN, f64::INFINITY] {
        let e = SignalToConc::spgr(ACQ, 1.0, R1_PER_MM, Baseline::first(4))
            .s0(bad)
            .concentration(&s)
            .unwrap_err()
            .to_string();
        assert!(e.contains("s0") && e.contains("a finite value > 0 (a.u.)"), "{e}");
    }
    let wrong = array![600.0, 600.0];
    let e = SignalToConc::spgr(ACQ, 1.0, R1_PER_MM, Baseline::first(4))
        .s0(&wrong)
        .concentration(&s)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("s0") && e.contains("a map of shape [1]") && e.contains("shape [2]"),
        "{e}"
    );
}
