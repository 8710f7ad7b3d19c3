//! The volume pipelines of the library (`dce::VolumeFit`, `t1::VolumeFit`): maps by name with
//! units, the same bits whatever the chunk size, thread count or device (emulator = CPU), the
//! same as the model's fitter on the whole series, per-voxel statuses, and errors before
//! anything runs.

use std::sync::{Arc, Mutex};

use ndarray::{Array2, Array3, Array4, ArrayD, Axis};
use osipy::dce::{self, Model, Start, VolumeFit};
use osipy::t1;
use osipy::volume::{MapKind, Maps};
use osipy_kernels::fit::{FitStatus, LevenbergMarquardt};
use osipy_kernels::{Device, XpArray};

const DIMS: (usize, usize, usize) = (5, 4, 3);
const NT: usize = 40;

/// Extended Tofts curves with a small deterministic noise, one voxel with a NaN sample, one
/// all-zero voxel; the mask leaves out every fifth voxel.
fn series() -> (Vec<f64>, Vec<f64>, Array4<f64>, Array3<bool>) {
    let t: Vec<f64> = (0..NT).map(|i| i as f64 * 4.0).collect();
    let cb = osipy::aif::parker(&t, 15.0).expect("parker");
    let cp = dce::plasma_from_blood(&cb, 0.42).expect("plasma");
    let (nx, ny, nz) = DIMS;
    let n = nx * ny * nz;
    let k: Vec<f64> = (0..n).map(|i| 0.02 + 0.005 * (i % 11) as f64).collect();
    let e: Vec<f64> = (0..n).map(|i| 0.1 + 0.02 * (i % 7) as f64).collect();
    let v: Vec<f64> = (0..n).map(|i| 0.01 + 0.004 * (i % 5) as f64).collect();
    let mut ct = Array2::<f64>::zeros((n, NT));
    dce::extended_tofts::launch(&t, &cp, &vec![0.0; NT], &k, &e, &v, &mut ct).expect("model");
    let mut state = 12345u64;
    for x in ct.iter_mut() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *x += 0.004 * (((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5);
    }
    ct[[17, 9]] = f64::NAN;
    ct.row_mut(23).fill(0.0);
    let conc = ct.into_shape_with_order((nx, ny, nz, NT)).expect("shape");
    let mask = Array3::from_shape_fn(DIMS, |(x, y, z)| (x * ny * nz + y * nz + z) % 5 != 3);
    (t, cp, conc, mask)
}

fn same_bits(what: &str, a: &ArrayD<f64>, b: &ArrayD<f64>) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(x.to_bits() == y.to_bits(), "{what} at voxel {i}: {x:e} vs {y:e}");
    }
}

fn same_maps(what: &str, a: &Maps, b: &Maps) {
    assert_eq!(a.names(), b.names(), "{what}");
    for (x, y) in a.maps.iter().zip(&b.maps) {
        assert_eq!((x.unit, x.kind), (y.unit, y.kind), "{what} {}", x.name);
        same_bits(&format!("{what} {}", x.name), &x.data, &y.data);
    }
    assert_eq!(a.mask, b.mask, "{what}: mask");
}

fn fit(model: Model, chunk: usize) -> Maps {
    let (t, cp, conc, mask) = series();
    VolumeFit::new(model, &t, &cp)
        .mask(&mask)
        .chunk(chunk)
        .fit(&conc)
        .expect("fit")
}

#[test]
fn model_names_parse_and_round_trip() {
    for m in Model::ALL {
        assert_eq!(m.name().parse::<Model>().expect("parse"), m);
        assert_eq!(m.with_delay(true).without_delay(), m.without_delay());
        assert_eq!(m.has_delay(), m.params().last() == Some(&"delay"));
    }
    assert_eq!("etofts".parse::<Model>().unwrap(), Model::ExtendedTofts);
    assert_eq!("2cxm_delay".parse::<Model>().unwrap(), Model::TwoCxmDelay);
    let e = "toft".parse::<Model>().unwrap_err().to_string();
    assert!(e.contains("`toft`") && e.contains("extended_tofts"), "{e}");
    assert_eq!(Model::TwoCxm.params(), ["fp", "ps", "ve", "vp"]);
    assert_eq!(Model::unit("fp"), "ml/100ml/min");
}

#[test]
fn maps_are_named_with_units_and_statuses() {
    let m = fit(Model::ExtendedTofts, 4096);
    assert_eq!(
        m.names(),
        [
            "ktrans",
            "ve",
            "vp",
            "r2",
            "chi2",
            "iterations",
            "status",
            "at_bound"
        ]
    );
    assert_eq!(m.parameters().count(), 3);
    assert_eq!(
        m.quality().map(|q| q.unit).collect::<Vec<_>>(),
        ["", "mM^2", "", "code", "bits"]
    );
    assert_eq!(m.map("ktrans").unwrap().unit, "/min");
    assert_eq!(m.map("ktrans").unwrap().kind, MapKind::Parameter);
    assert_eq!(m.shape, [5, 4, 3]);
    let status = m.get("status").unwrap();
    let (_, ny, nz) = DIMS;
    let at = |i: usize| [i / (ny * nz), (i / nz) % ny, i % nz];
    assert_eq!(status[&at(3)[..]], f64::from(FitStatus::Masked.code()));
    assert!(m.get("ktrans").unwrap()[&at(3)[..]].is_nan());
    assert_eq!(m.get("iterations").unwrap()[&at(3)[..]], 0.0);
    assert_eq!(status[&at(17)[..]], f64::from(FitStatus::NonFiniteData.code()));
    // The neighbours of the NaN voxel converge, and the truth is near.
    let conv = status
        .iter()
        .filter(|s| FitStatus::from_code(**s as u32).is_some_and(FitStatus::is_converged))
        .count();
    assert!(conv >= 45, "{conv} converged");
    let k = m.median("ktrans");
    assert!(k > 0.02 && k < 0.08, "median ktrans {k}");
}

#[test]
fn every_model_is_the_same_in_one_chunk_and_in_many() {
    for model in [
        Model::Tofts,
        Model::ExtendedToftsDelay,
        Model::Patlak,
        Model::TwoCxm,
        Model::TwoCumDelay,
    ] {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&calls);
        let (t, cp, conc, mask) = series();
        let many = VolumeFit::new(model, &t, &cp)
            .mask(&mask)
            .chunk(7)
            .progress(move |done, total| seen.lock().unwrap().push((done, total)))
            .fit(&conc)
            .expect("fit");
        same_maps(model.name(), &fit(model, 48), &many);
        let calls = calls.lock().unwrap().clone();
        // 48 voxels in chunks of 7: 0 first, then 7, 14, .., 48.
        assert_eq!(calls.first(), Some(&(0, 48)), "{model}");
        assert_eq!(calls.last(), Some(&(48, 48)), "{model}");
        assert_eq!(calls.len(), 1 + 7, "{model}");
    }
}

#[test]
fn threads_do_not_change_the_maps() {
    let (t, cp, conc, mask) = series();
    let one = VolumeFit::new(Model::Tofts, &t, &cp)
        .mask(&mask)
        .threads(1)
        .fit(&conc)
        .expect("fit");
    let three = VolumeFit::new(Model::Tofts, &t, &cp)
        .mask(&mask)
        .threads(3)
        .fit(&conc)
        .expect("fit");
    same_maps("threads", &one, &three);
    let e = VolumeFit::new(Model::Tofts, &t, &cp)
        .threads(0)
        .fit(&conc)
        .unwrap_err()
        .to_string();
    assert!(e.contains("threads") && e.contains("at least one thread"), "{e}");
}

#[test]
fn chunks_match_the_fitter_on_the_whole_series() {
    let (t, cp, conc, mask) = series();
    let chunked = VolumeFit::new(Model::ExtendedToftsDelay, &t, &cp)
        .mask(&mask)
        .chunk(5)
        .fit(&conc)
        .expect("fit");
    let data = XpArray::from_host(conc.into_dyn());
    let m = XpArray::from_host(mask.into_dyn());
    let delays: Vec<f64> = (-10..=10).map(f64::from).collect();
    let (a, b, c, d, _) = dce::extended_tofts_init::launch(&t, &cp, &data, &delays[..]).expect("init");
    let init = dce::stack_params(&[&a, &b, &c, &d]).expect("stack");
    let r = dce::extended_tofts_delay::fitter(&t, &cp, &vec![0.0; cp.len()])
        .settings(LevenbergMarquardt::default())
        .init(init)
        .fit_masked(&data, &m)
        .expect("fit");
    let p = r.params.to_host().expect("host");
    for (k, name) in Model::ExtendedToftsDelay.params().iter().enumerate() {
        same_bits(
            name,
            chunked.get(name).unwrap(),
            &p.index_axis(Axis(3), k).to_owned(),
        );
    }
    same_bits("r2", chunked.get("r2").unwrap(), &r.r2.to_host().unwrap());
    same_bits("chi2", chunked.get("chi2").unwrap(), &r.chi2.to_host().unwrap());
    let f = |a: ArrayD<u32>| a.mapv(f64::from);
    same_bits(
        "iterations",
        chunked.get("iterations").unwrap(),
        &f(r.iterations.to_host().unwrap()),
    );
    same_bits(
        "status",
        chunked.get("status").unwrap(),
        &f(r.status.to_host().unwrap()),
    );
    same_bits(
        "at_bound",
        chunked.get("at_bound").unwrap(),
        &f(r.at_bound.to_host().unwrap()),
    );
}

#[test]
fn emulator_chunks_and_device_series_match_the_cpu() {
    // A few voxels (the emulator is slow), one with a NaN sample.
    let (t, cp, conc, _) = series();
    let mask = Array3::from_shape_fn(DIMS, |(x, y, z)| {
        let i = x * DIMS.1 * DIMS.2 + y * DIMS.2 + z;
        (12..20).contains(&i)
    });
    let cpu = VolumeFit::new(Model::Tofts, &t, &cp)
        .mask(&mask)
        .fit(&conc)
        .expect("cpu");
    let emu = VolumeFit::new(Model::Tofts, &t, &cp)
        .mask(&mask)
        .device(Device::Emulator)
        .chunk(3)
        .fit(&conc)
        .expect("emulator");
    same_maps("emulator chunks", &cpu, &emu);
    // The series already on the device: one launch there, the same maps.
    let on = XpArray::from_host(conc.into_dyn())
        .to_device(&Device::Emulator)
        .expect("upload");
    let dev = VolumeFit::new(Model::Tofts, &t, &cp)
        .mask(&mask)
        .fit(&on)
        .expect("device");
    same_maps("device series", &cpu, &dev);
    let status = emu.get("status").unwrap();
    assert_eq!(status.iter().filter(|s| **s == 5.0).count(), 1);
}

#[test]
fn starts_and_bounds_shared_or_per_voxel() {
    let (t, cp, conc, mask) = series();
    let shared = VolumeFit::new(Model::Tofts, &t, &cp)
        .mask(&mask)
        .start(Start::Shared(vec![0.05, 0.2]))
        .fit(&conc)
        .expect("shared");
    // Per voxel: the same values everywhere give the same maps as shared.
    let per = Array4::from_shape_fn((5, 4, 3, 2), |(.., a)| [0.05, 0.2][a]).into_dyn();
    let pv = VolumeFit::new(Model::Tofts, &t, &cp)
        .mask(&mask)
        .start(Start::PerVoxel(per))
        .chunk(9)
        .fit(&conc)
        .expect("per voxel");
    same_maps("per-voxel start", &shared, &pv);
    // Bounds hold: ve at most 0.12 (the truth reaches 0.22), with the bound bit of ve set.
    let b = VolumeFit::new(Model::Tofts, &t, &cp)
        .mask(&mask)
        .bounds([0.0, 1e-4], [5.0, 0.12])
        .fit(&conc)
        .expect("bounded");
    let ve = b.get("ve").unwrap();
    assert!(ve.iter().filter(|v| v.is_finite()).all(|v| *v <= 0.12));
    let pinned = ve.iter().filter(|v| **v == 0.12).count();
    let flagged = b
        .get("at_bound")
        .unwrap()
        .iter()
        .filter(|v| (**v as u32) & 2 != 0)
        .count();
    assert!(
        pinned >= 10 && flagged == pinned,
        "{pinned} pinned, {flagged} flagged"
    );
}

#[test]
fn errors_name_the_argument_before_anything_runs() {
    let (t, cp, conc, mask) = series();
    let err = |r: osipy::Result<Maps>| r.unwrap_err().to_string();
    let e = err(VolumeFit::new(Model::Tofts, &t[..30], &cp[..30]).fit(&conc));
    assert!(e.contains("conc") && e.contains("30 samples"), "{e}");
    let e = err(VolumeFit::new(Model::Tofts, &t, &cp)
        .start(Start::Shared(vec![1.0]))
        .fit(&conc));
    assert!(e.contains("start") && e.contains("2 shared values"), "{e}");
    let e = err(VolumeFit::new(Model::Tofts, &t, &cp)
        .bounds([0.0], [1.0])
        .fit(&conc));
    assert!(e.contains("lower") && e.contains("ktrans, ve"), "{e}");
    let small = Array3::from_elem((5, 4, 2), true);
    let e = err(VolumeFit::new(Model::Tofts, &t, &cp).mask(&small).fit(&conc));
    assert!(e.contains("mask") && e.contains("[5, 4, 3]"), "{e}");
    let none = mask.mapv(|_| false);
    let e = err(VolumeFit::new(Model::Tofts, &t, &cp).mask(&none).fit(&conc));
    assert!(e.contains("selects at least one voxel"), "{e}");
    let e = err(VolumeFit::new(Model::Tofts, &t, &cp)
        .settings(LevenbergMarquardt::new().max_iterations(0))
        .fit(&conc));
    assert!(e.contains("max_iterations"), "{e}");
}

#[test]
fn items_by_samples_works_as_well_as_volumes() {
    let (t, cp, conc, _) = series();
    let rows = conc.clone().into_shape_with_order((60, NT)).unwrap();
    let vol = VolumeFit::new(Model::Patlak, &t, &cp).fit(&conc).expect("volume");
    let flat = VolumeFit::new(Model::Patlak, &t, &cp).fit(&rows).expect("rows");
    assert_eq!(flat.shape, [60]);
    same_bits(
        "ps",
        &vol.get("ps")
            .unwrap()
            .clone()
            .into_shape_with_order(vec![60])
            .unwrap(),
        flat.get("ps").unwrap(),
    );
}

/// SPGR VFA signal for T1 in 0.5..2 s, S0 1000, TR 5 ms.
fn vfa_series(fa: &[f64]) -> (Array4<f64>, Array3<f64>) {
    let tr = 0.005;
    let t1 = Array3::from_shape_fn((4, 3, 2), |(x, y, z)| {
        0.5 + 0.2 * x as f64 + 0.1 * y as f64 + 0.05 * z as f64
    });
    let s = Array4::from_shape_fn((4, 3, 2, fa.len()), |(x, y, z, k)| {
        let e = (-tr / t1[[x, y, z]]).exp();
        let a = fa[k].to_radians();
        1000.0 * a.sin() * (1.0 - e) / (1.0 - a.cos() * e)
    });
    (s, t1)
}

#[test]
fn t1_methods_map_every_voxel_in_any_chunks() {
    let fa = [2.0, 5.0, 10.0, 15.0];
    let (s, truth) = vfa_series(&fa);
    for method in [t1::Method::Nonlinear, t1::Method::Linear, t1::Method::TwoAngle] {
        let one = t1::VolumeFit::vfa(method, fa, 0.005).fit(&s).expect("fit");
        let many = t1::VolumeFit::vfa(method, fa, 0.005)
            .chunk(5)
            .threads(2)
            .fit(&s)
            .expect("fit");
        same_maps(method.name(), &one, &many);
        let got = one.get("t1").unwrap();
        for (g, w) in got.iter().zip(truth.iter()) {
            assert!((g - w).abs() < 1e-8 * w, "{method}: {g} vs {w}");
        }
        assert_eq!(one.map("t1").unwrap().unit, "s");
        assert_eq!(one.get("r2").is_some(), method.is_fit(), "{method}");
        assert_eq!(method.name().parse::<t1::Method>().unwrap(), method);
    }
    // A B1 map of 1 changes nothing; a mask leaves NaN and the masked status outside.
    let b1 = Array3::from_elem((4, 3, 2), 1.0);
    let mask = Array3::from_shape_fn((4, 3, 2), |(x, ..)| x > 0);
    let m = t1::VolumeFit::vfa(t1::Method::Linear, fa, 0.005)
        .b1(&b1)
        .mask(&mask)
        .fit(&s)
        .expect("fit");
    assert!(m.get("t1").unwrap()[[0, 0, 0]].is_nan());
    assert_eq!(m.get("status").unwrap()[[0, 0, 0]], 7.0);
    assert!((m.get("t1").unwrap()[[3, 2, 1]] - truth[[3, 2, 1]]).abs() < 1e-8);
    // Errors: the flip angles against the volumes, B1 of another shape.
    let e = t1::VolumeFit::vfa(t1::Method::Linear, [2.0, 5.0], 0.005)
        .fit(&s)
        .unwrap_err()
        .to_string();
    assert!(e.contains("signal") && e.contains("2 volumes"), "{e}");
    let small = Array3::from_elem((4, 3, 1), 1.0);
    let e = t1::VolumeFit::vfa(t1::Method::Linear, fa, 0.005)
        .b1(&small)
        .fit(&s)
        .unwrap_err()
        .to_string();
    assert!(e.contains("b1") && e.contains("[4, 3, 2]"), "{e}");
}

#[test]
fn look_locker_maps_on_the_cpu_and_the_emulator_alike() {
    let times: Vec<f64> = (0..12).map(|k| 0.1 + 0.25 * k as f64).collect();
    let s = Array4::from_shape_fn((2, 2, 1, times.len()), |(x, y, _, k)| {
        let t1s = 0.6 + 0.1 * (x + 2 * y) as f64;
        500.0 - 950.0 * (-times[k] / t1s).exp()
    });
    let cpu = t1::VolumeFit::look_locker(times.clone()).fit(&s).expect("cpu");
    let emu = t1::VolumeFit::look_locker(times)
        .device(Device::Emulator)
        .chunk(3)
        .fit(&s)
        .expect("emulator");
    same_maps("look-locker", &cpu, &emu);
    assert_eq!(
        cpu.names(),
        [
            "t1",
            "r1",
            "s0",
            "status",
            "t1_star",
            "a",
            "b",
            "r2",
            "chi2",
            "iterations"
        ]
    );
    assert!(cpu.get("status").unwrap().iter().all(|s| *s == 1.0));
}
