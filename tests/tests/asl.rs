//! ASL (`osipy::asl`): the single-PLD equations against values computed apart, the kinetic
//! model against a quadrature of its convolution, noise-free multi-PLD recovery of CBF and
//! ATT, the subtraction and M0 calibration, CPU = emulator bit for bit, chunks and threads, and
//! bad input (clear errors, per-voxel statuses that leave the neighbours unchanged).

mod common;

use common::lanes_agree;
use ndarray::{Array1, Array2, Array4, ArrayD};
use osipy::asl::{self, kernels as k, AslStatus, Context, Labelling, M0Source, Perfusion, Subtraction};
use osipy::Error;
use osipy_kernels::Device;

const ALPHA: f64 = 0.85;
const T1B: f64 = 1.65;
const T1T: f64 = 1.33;
const LAMBDA: f64 = 0.9;
const TAU: f64 = 1.8;
const PLDS: [f64; 6] = [0.25, 0.5, 1.0, 1.5, 2.0, 2.5];

#[test]
fn single_pld_pcasl_and_pasl_match_values_computed_apart() {
    // Python: 6000*0.9*10*exp(1.8/1.65)/(2*0.85*1.65*1000*(1-exp(-1.8/1.65))).
    let pcasl = k::single_pld(10.0, 1000.0, 1.8, 1.8, 1.65, 0.85, 0.9, 0);
    assert!((pcasl / 86.29992012955984 - 1.0).abs() < 1e-14, "{pcasl}");
    // Python: 6000*0.9*10*exp(1.8/1.65)/(2*0.98*0.8*1000) (TI 1.8 s, TI1 0.8 s).
    let pasl = k::single_pld(10.0, 1000.0, 1.8, 0.8, 1.65, 0.98, 0.9, 1);
    assert!((pasl / 102.52351793668906 - 1.0).abs() < 1e-14, "{pasl}");
    assert!(k::single_pld(10.0, 0.0, 1.8, 1.8, 1.65, 0.85, 0.9, 0).is_nan());
    // The pipeline on a volume, with the white paper's defaults at 3 T.
    let dm = Array4::from_elem((2, 2, 1, 1), 10.0);
    let maps = Perfusion::new(Labelling::Pcasl, [1.8], 1.8)
        .m0(M0Source::Value(1000.0))
        .fit(&dm)
        .unwrap();
    assert!((maps.get("cbf").unwrap()[[1, 0, 0]] / 86.29992012955984 - 1.0).abs() < 1e-14);
    let maps = Perfusion::new(Labelling::Pasl, [1.8], 0.8)
        .m0(M0Source::Value(1000.0))
        .fit(&dm)
        .unwrap();
    assert!((maps.get("cbf").unwrap()[[0, 1, 0]] / 102.52351793668906 - 1.0).abs() < 1e-14);
    assert_eq!(maps.names(), ["cbf", "m0", "status"]);
}

/// Composite Simpson on `[a, b]` with `n` (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    if b <= a {
        return 0.0;
    }
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[test]
fn kinetic_model_equals_a_quadrature_of_delivery_and_decay() {
    for &(att, t1app) in &[(0.7, 1.2), (1.3, 1.33), (0.2, 1.6499999), (2.0, 0.9)] {
        for i in 0..60 {
            let t = 0.1 * i as f64;
            // PCASL: bolus e^{-Δ/T1b} on (Δ, Δ + τ), decay e^{-(t - u)/T1app}.
            let q = simpson(
                |u| (-att / T1B).exp() * (-(t - u) / t1app).exp(),
                att,
                t.min(att + TAU),
                4000,
            );
            let m = k::pcasl_uptake(t, TAU, att, T1B, t1app);
            assert!(
                (m - q).abs() <= 1e-9 * q.abs().max(1e-3),
                "pcasl t {t} att {att}: {m} vs {q}"
            );
            // PASL: bolus e^{-u/T1b} on (Δ, Δ + TI1).
            let ti1 = 0.8;
            let q = simpson(
                |u| (-u / T1B).exp() * (-(t - u) / t1app).exp(),
                att,
                t.min(att + ti1),
                4000,
            );
            let m = k::pasl_uptake(t, ti1, att, T1B, t1app);
            assert!(
                (m - q).abs() <= 1e-9 * q.abs().max(1e-3),
                "pasl t {t} att {att}: {m} vs {q}"
            );
        }
    }
}

/// ΔM (voxels x PLDs) of the PCASL (or PASL) model for `cbf`, `att`, M0 1000.
fn make(pasl: bool, plds: &[f64], tau: f64, cbf: &[f64], att: &[f64]) -> Array2<f64> {
    let n = cbf.len();
    let mut y = Array2::<f64>::zeros((n, plds.len()));
    let m0 = vec![1000.0; n];
    let off = vec![0.0; n];
    let alpha = if pasl { 0.98 } else { ALPHA };
    if pasl {
        k::buxton_pasl::launch(plds, &m0, &off, tau, T1B, T1T, alpha, LAMBDA, cbf, att, &mut y).unwrap();
    } else {
        k::buxton_pcasl::launch(plds, &m0, &off, tau, T1B, T1T, alpha, LAMBDA, cbf, att, &mut y).unwrap();
    }
    y
}

fn quant() -> asl::Quantification {
    asl::Quantification {
        t1_blood: Some(T1B),
        t1_tissue: T1T,
        ..Default::default()
    }
}

#[test]
fn noise_free_multi_pld_fits_recover_cbf_and_att() {
    // ATT within the PLDs' reach (PCASL: τ + PLD spans 2.05-4.3 s, arrivals 0.3-2.2 s).
    let cbf = [20.0, 45.0, 60.0, 80.0, 110.0, 35.0, 70.0, 55.0];
    let att = [0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.2, 1.0];
    for pasl in [false, true] {
        let (lab, tau, plds, att) = if pasl {
            // PASL: TI 0.4-3.0 s, bolus 0.8 s, arrivals 0.2-1.4 s.
            let a: Vec<f64> = att.iter().map(|a| 0.2 + 0.6 * a).collect();
            (Labelling::Pasl, 0.8, vec![0.4, 0.8, 1.2, 1.6, 2.0, 2.5, 3.0], a)
        } else {
            (Labelling::Pcasl, TAU, PLDS.to_vec(), att.to_vec())
        };
        let y = make(pasl, &plds, tau, &cbf, &att);
        let maps = Perfusion::new(lab, plds.clone(), tau)
            .m0(M0Source::Value(1000.0))
            .quantification(quant())
            .fit(&y)
            .unwrap();
        let (c, a, s) = (
            maps.get("cbf").unwrap(),
            maps.get("att").unwrap(),
            maps.get("status").unwrap(),
        );
        for i in 0..cbf.len() {
            assert!(
                (c[i] / cbf[i] - 1.0).abs() < 1e-6,
                "{lab:?} voxel {i}: cbf {} vs {}",
                c[i],
                cbf[i]
            );
            assert!(
                (a[i] / att[i] - 1.0).abs() < 1e-6,
                "{lab:?} voxel {i}: att {} vs {}",
                a[i],
                att[i]
            );
            assert_eq!(s[i], 1.0);
        }
        assert_eq!(
            maps.names(),
            ["cbf", "att", "m0", "status", "r2", "chi2", "iterations"]
        );
    }
}

/// A control/label series (voxels x volumes): M0 first, then (control, label) pairs at each PLD,
/// `reps` times, with ΔM from the model, a control level of 1000 and a fixed pattern of noise.
fn raw_series(cbf: &[f64], att: &[f64], reps: usize) -> (Array2<f64>, Context, Vec<f64>) {
    let y = make(false, &PLDS, TAU, cbf, att);
    let mut types = vec![asl::VolumeType::M0Scan];
    let mut plds = vec![0.0];
    for _ in 0..reps {
        for &p in &PLDS {
            types.extend([asl::VolumeType::Control, asl::VolumeType::Label]);
            plds.extend([p, p]);
        }
    }
    let nv = types.len();
    let s = Array2::from_shape_fn((cbf.len(), nv), |(v, j)| {
        if j == 0 {
            return 1000.0;
        }
        let pair = (j - 1) / 2;
        let p = pair % PLDS.len();
        let wobble = 0.01 * ((7 * v + 3 * pair) % 5) as f64;
        if (j - 1) % 2 == 0 {
            900.0 + wobble
        } else {
            900.0 + wobble - y[[v, p]]
        }
    });
    (s, Context { types }, plds)
}

#[test]
fn control_label_series_with_m0_scan_gives_the_delta_m_fit() {
    let cbf = [40.0, 75.0, 60.0];
    let att = [0.8, 1.4, 1.1];
    let (s, ctx, plds) = raw_series(&cbf, &att, 2);
    for sub in [Subtraction::Pairwise, Subtraction::Mean, Subtraction::Surround] {
        let p = Perfusion::new(Labelling::Pcasl, plds.clone(), TAU)
            .context(ctx.clone())
            .subtraction(sub)
            .quantification(quant());
        let (dm, got_plds) = p.delta_m(&s).unwrap();
        assert_eq!(got_plds, PLDS.to_vec());
        assert_eq!(dm.shape(), &[3, 6]);
        let maps = p.m0(M0Source::Series).fit(&s).unwrap();
        let c = maps.get("cbf").unwrap();
        // Surround mixes neighbouring PLDs' controls: equal controls make it exact too, up to
        // the 0.04 wobble of the controls.
        let tol = if sub == Subtraction::Surround { 5e-3 } else { 1e-6 };
        for i in 0..3 {
            assert!(
                (c[i] / cbf[i] - 1.0).abs() < tol,
                "{sub:?} {i}: {} vs {}",
                c[i],
                cbf[i]
            );
        }
        assert_eq!(maps.get("m0").unwrap()[1], 1000.0);
    }
}

#[test]
fn outlier_pairs_are_rejected_by_the_mad_rule() {
    let keep = asl::keep_pairs(
        &[1.0, 1.1, 0.9, 1.05, 9.0, 5.0, 5.0],
        &[1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0],
        3.0,
    );
    assert_eq!(keep, [true, true, true, true, false, true, true]);
    // A pipeline with one corrupted pair: rejected, the fit as without it.
    let cbf = [50.0, 70.0];
    let att = [0.9, 1.3];
    let (mut s, ctx, plds) = raw_series(&cbf, &att, 4);
    for v in 0..2 {
        s[[v, 2]] -= 40.0; // the first label (PLD 0.25 s) far too low
    }
    let fit = |reject: bool| {
        let mut p = Perfusion::new(Labelling::Pcasl, plds.clone(), TAU)
            .context(ctx.clone())
            .m0(M0Source::Series)
            .quantification(quant());
        if reject {
            p = p.reject_outliers(asl::OUTLIER_MADS);
        }
        p.fit(&s).unwrap()
    };
    let (clean, dirty) = (fit(true), fit(false));
    assert!((clean.get("cbf").unwrap()[0] / 50.0 - 1.0).abs() < 1e-6);
    assert!((dirty.get("cbf").unwrap()[0] / 50.0 - 1.0).abs() > 1e-3);
}

#[test]
fn m0_calibration_short_tr_and_reference_region() {
    // 1 / (1 - exp(-2 / 1.33)), computed apart: 1.28614...
    let c = k::m0_correct(1000.0, 2.0, 1.33, 1.0);
    let want = 1000.0 / (1.0 - (-2.0f64 / 1.33).exp());
    assert_eq!(c, want);
    assert_eq!(k::m0_correct(1000.0, f64::INFINITY, 1.33, 2.0), 2000.0);
    let m0 = ArrayD::from_shape_vec(vec![4], vec![500.0, 1500.0, 2500.0, 100.0]).unwrap();
    let region = ArrayD::from_shape_vec(vec![4], vec![false, true, true, false]).unwrap();
    let csf = asl::Reference::CSF;
    let v = asl::m0_reference(&m0.view(), &region.view(), csf, 0.0, 0.0, LAMBDA).unwrap();
    assert!((v - 2000.0 * 0.9 / 1.15).abs() < 1e-9);
    let v = asl::m0_reference(&m0.view(), &region.view(), csf, 5.0, 0.01, LAMBDA).unwrap();
    let want = 2000.0 / (1.0 - (-5.0f64 / 4.3).exp()) * (0.01f64 / 0.4).exp() * 0.9 / 1.15;
    assert!((v / want - 1.0).abs() < 1e-14);
    let none = ArrayD::from_elem(vec![4], false);
    assert!(asl::m0_reference(&m0.view(), &none.view(), csf, 0.0, 0.0, LAMBDA).is_err());
    // A voxel-wise M0 map corrected at TR 3 s in the pipeline.
    let dm = Array4::from_elem((1, 2, 1, 1), 10.0);
    let map = ndarray::Array3::from_elem((1, 2, 1), 800.0).into_dyn();
    let maps = Perfusion::new(Labelling::Pcasl, [1.8], 1.8)
        .m0(M0Source::Map(map.view()))
        .m0_tr(3.0)
        .fit(&dm)
        .unwrap();
    assert_eq!(
        maps.get("m0").unwrap()[[0, 1, 0]],
        k::m0_correct(800.0, 3.0, T1T, 1.0)
    );
}

#[test]
fn slice_timing_adds_to_each_slices_pld() {
    let st = [0.0, 0.05, 0.1];
    let dm = Array4::from_elem((1, 1, 3, 1), 10.0);
    let maps = Perfusion::new(Labelling::Pcasl, [1.8], 1.8)
        .m0(M0Source::Value(1000.0))
        .slice_timing(st)
        .fit(&dm)
        .unwrap();
    for (z, t) in st.iter().enumerate() {
        let want = k::single_pld(10.0, 1000.0, 1.8 + t, 1.8, 1.65, 0.85, 0.9, 0);
        assert_eq!(maps.get("cbf").unwrap()[[0, 0, z]], want);
    }
    // Multi-PLD: data made with each slice's delays, recovered.
    let cbf = [60.0, 60.0, 60.0];
    let att = [1.0, 1.0, 1.0];
    let mut y = Array2::<f64>::zeros((3, PLDS.len()));
    k::buxton_pcasl::launch(
        &PLDS,
        &[1000.0; 3],
        &st,
        TAU,
        T1B,
        T1T,
        ALPHA,
        LAMBDA,
        &cbf,
        &att,
        &mut y,
    )
    .unwrap();
    let y4 = y.into_shape_with_order((1, 1, 3, PLDS.len())).unwrap();
    let maps = Perfusion::new(Labelling::Pcasl, PLDS.to_vec(), TAU)
        .m0(M0Source::Value(1000.0))
        .quantification(quant())
        .slice_timing(st)
        .fit(&y4)
        .unwrap();
    for z in 0..3 {
        assert!((maps.get("att").unwrap()[[0, 0, z]] - 1.0).abs() < 1e-6);
    }
}

/// A small noisy PCASL set: ΔM of varied CBF and ATT plus a deterministic perturbation.
fn noisy(n: usize) -> (Array2<f64>, Array1<f64>) {
    let cbf: Vec<f64> = (0..n).map(|i| 20.0 + (i * 37 % 90) as f64).collect();
    let att: Vec<f64> = (0..n).map(|i| 0.4 + 0.1 * (i * 13 % 17) as f64).collect();
    let mut y = make(false, &PLDS, TAU, &cbf, &att);
    for ((i, j), v) in y.indexed_iter_mut() {
        *v += 0.3 * (((i * 31 + j * 17) % 23) as f64 / 11.0 - 1.0);
    }
    let m0 = Array1::from_shape_fn(n, |i| 900.0 + (i % 7) as f64 * 30.0);
    (y, m0)
}

fn bits(m: &osipy::volume::Maps) -> Vec<(String, Vec<u64>)> {
    m.maps
        .iter()
        .map(|x| {
            (
                x.name.to_string(),
                x.data
                    .iter()
                    .map(|v| if v.is_nan() { 1 } else { v.to_bits() })
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn cpu_and_emulator_agree_bit_for_bit() {
    let (y, m0) = noisy(24);
    let m0 = m0.into_dyn();
    for (lab, plds, tau) in [
        (Labelling::Pcasl, PLDS.to_vec(), TAU),
        (Labelling::Pcasl, vec![1.8], TAU),
        (Labelling::Pasl, PLDS.to_vec(), 0.8),
    ] {
        let y = if plds.len() == 1 {
            y.slice(ndarray::s![.., 3..4]).to_owned()
        } else {
            y.clone()
        };
        let run = |d: Device| {
            Perfusion::new(lab, plds.clone(), tau)
                .m0(M0Source::Map(m0.view()))
                .device(d)
                .fit(&y)
                .unwrap()
        };
        let cpu = lanes_agree(
            &format!("{lab:?} {plds:?}"),
            || bits(&run(Device::Cpu)),
            Clone::clone,
        );
        assert_eq!(cpu, bits(&run(Device::Emulator)), "{lab:?} {plds:?}");
    }
}

#[test]
fn chunks_threads_and_masks_do_not_change_the_maps() {
    let (y, m0) = noisy(300);
    let m0 = m0.into_dyn();
    let run = |chunk: usize, threads: usize| {
        Perfusion::new(Labelling::Pcasl, PLDS.to_vec(), TAU)
            .m0(M0Source::Map(m0.view()))
            .chunk(chunk)
            .threads(threads)
            .fit(&y)
            .unwrap()
    };
    let a = run(300, 1);
    assert_eq!(bits(&a), bits(&run(7, 2)));
    assert_eq!(bits(&a), bits(&run(64, 3)));
    let mask = Array1::from_shape_fn(300, |i| i % 3 != 0).into_dyn();
    let m = Perfusion::new(Labelling::Pcasl, PLDS.to_vec(), TAU)
        .m0(M0Source::Map(m0.view()))
        .mask(&mask)
        .fit(&y)
        .unwrap();
    for i in 0..300 {
        let (x, w) = (m.get("cbf").unwrap()[i], a.get("cbf").unwrap()[i]);
        if i % 3 == 0 {
            assert!(x.is_nan());
            assert_eq!(m.get("status").unwrap()[i], 7.0);
        } else {
            assert_eq!(x.to_bits(), w.to_bits());
        }
    }
}

fn message(e: Error) -> String {
    e.to_string()
}

#[test]
fn bad_input_is_a_clear_error() {
    let y = Array2::<f64>::from_elem((2, 6), 1.0);
    // PLD list of the wrong length.
    let e = Perfusion::new(Labelling::Pcasl, [0.5, 1.0], TAU)
        .m0(M0Source::Value(1000.0))
        .fit(&y)
        .unwrap_err();
    assert!(message(e).contains("PostLabelingDelay"));
    // Context rows differ from the volumes.
    let ctx = Context::parse("volume_type\ncontrol\nlabel\n", "sub-01_aslcontext.tsv").unwrap();
    let e = Perfusion::new(Labelling::Pcasl, [1.8], TAU)
        .context(ctx.clone())
        .m0(M0Source::Value(1000.0))
        .fit(&y)
        .unwrap_err();
    assert!(
        message(e).contains("aslcontext")
            && message(ctx.check(6, "sub-01_aslcontext.tsv").unwrap_err()).contains("sub-01_aslcontext.tsv")
    );
    // Unknown volume type: the file and the column.
    let e = Context::parse("volume_type\ncontrol\ntag\n", "a_aslcontext.tsv").unwrap_err();
    let m = message(e);
    assert!(
        m.contains("a_aslcontext.tsv") && m.contains("volume_type") && m.contains("`tag` in row 2"),
        "{m}"
    );
    assert!(Context::parse("kind\ncontrol\n", "a.tsv").is_err());
    // A label without a control.
    let ctx = Context::parse(
        "volume_type\nlabel\nlabel\ncontrol\nm0scan\ncontrol\nlabel\n",
        "c.tsv",
    )
    .unwrap();
    let e = Perfusion::new(Labelling::Pcasl, [1.8], TAU)
        .context(ctx)
        .m0(M0Source::Value(1000.0))
        .fit(&y)
        .unwrap_err();
    assert!(message(e).contains("control volume next to the label volume 0"));
    // No M0 and no m0scan volumes.
    let e = Perfusion::new(Labelling::Pcasl, [1.8], TAU).fit(&y).unwrap_err();
    assert!(message(e).contains("`m0`"));
    let e = Perfusion::new(Labelling::Pcasl, [1.8], TAU)
        .m0(M0Source::Value(0.0))
        .fit(&y)
        .unwrap_err();
    assert!(message(e).contains("M0 value > 0"));
    // Bad labelling duration, unknown field strength.
    let e = Perfusion::new(Labelling::Pasl, [1.8], 0.0)
        .m0(M0Source::Value(1.0))
        .fit(&y)
        .unwrap_err();
    assert!(message(e).contains("BolusCutOffDelayTime"));
    let q = asl::Quantification {
        field_strength: 9.4,
        ..Default::default()
    };
    let e = Perfusion::new(Labelling::Pcasl, [1.8], TAU)
        .m0(M0Source::Value(1.0))
        .quantification(q)
        .fit(&y)
        .unwrap_err();
    assert!(message(e).contains("MagneticFieldStrength"));
    assert!("FAIR".parse::<Labelling>().is_err());
}

#[test]
fn zero_m0_and_nan_voxels_are_statuses_that_leave_neighbours_unchanged() {
    let (mut y, m0) = noisy(6);
    let mut m0 = m0.into_dyn();
    let run = |y: &Array2<f64>, m0: &ArrayD<f64>| {
        Perfusion::new(Labelling::Pcasl, PLDS.to_vec(), TAU)
            .m0(M0Source::Map(m0.view()))
            .fit(y)
            .unwrap()
    };
    let before = run(&y, &m0);
    m0[1] = 0.0;
    y[[4, 2]] = f64::NAN;
    let after = run(&y, &m0);
    let s = after.get("status").unwrap();
    assert_eq!(AslStatus::from_code(s[1] as u32), Some(AslStatus::NoM0));
    assert_eq!(AslStatus::from_code(s[4] as u32), Some(AslStatus::NonFiniteData));
    assert!(after.get("cbf").unwrap()[1].is_nan() && after.get("att").unwrap()[4].is_nan());
    for i in [0, 2, 3, 5] {
        assert_eq!(
            after.get("cbf").unwrap()[i].to_bits(),
            before.get("cbf").unwrap()[i].to_bits()
        );
    }
    assert_eq!(AslStatus::NoM0.to_string(), "no m0");
}

#[test]
fn noise_free_fit_with_an_arterial_component_recovers_all_four() {
    // Early PLDs sample the arterial bolus (PLD < arterial arrival).
    let plds: Vec<f64> = (0..13).map(|i| 0.25 * i as f64).collect();
    let cbf = [60.0, 40.0, 75.0];
    let att = [1.2, 1.5, 1.0];
    let abv = [1.0, 0.5, 1.5];
    let atta = [0.8, 1.0, 0.6];
    let mut y = Array2::<f64>::zeros((3, plds.len()));
    k::buxton_pcasl_arterial::launch(
        &plds,
        &[1000.0; 3],
        &[0.0; 3],
        TAU,
        T1B,
        T1T,
        ALPHA,
        LAMBDA,
        &cbf,
        &att,
        &abv,
        &atta,
        &mut y,
    )
    .unwrap();
    let maps = Perfusion::new(Labelling::Pcasl, plds.clone(), TAU)
        .m0(M0Source::Value(1000.0))
        .quantification(quant())
        .arterial(true)
        .settings(osipy_kernels::fit::LevenbergMarquardt::new().max_iterations(300))
        .fit(&y)
        .unwrap();
    for i in 0..3 {
        for (name, want) in [
            ("cbf", cbf[i]),
            ("att", att[i]),
            ("abv", abv[i]),
            ("atta", atta[i]),
        ] {
            let got = maps.get(name).unwrap()[i];
            assert!(
                (got / want - 1.0).abs() < 1e-6,
                "voxel {i} {name}: {got} vs {want}"
            );
        }
    }
    assert_eq!(
        maps.names(),
        [
            "cbf",
            "att",
            "abv",
            "atta",
            "m0",
            "status",
            "r2",
            "chi2",
            "iterations"
        ]
    );
    // The emulator runs the same ten starts to the same bits.
    let emu = Perfusion::new(Labelling::Pcasl, plds.clone(), TAU)
        .m0(M0Source::Value(1000.0))
        .quantification(quant())
        .arterial(true)
        .settings(osipy_kernels::fit::LevenbergMarquardt::new().max_iterations(300))
        .device(Device::Emulator)
        .fit(&y)
        .unwrap();
    assert_eq!(bits(&maps), bits(&emu));
    // PASL has no arterial model here: an error naming the setting.
    let e = Perfusion::new(Labelling::Pasl, plds, 0.8)
        .m0(M0Source::Value(1000.0))
        .arterial(true)
        .fit(&y)
        .unwrap_err();
    assert!(e.to_string().contains("arterial"));
}
