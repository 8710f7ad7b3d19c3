//! DSC cases: `dsc_signal_to_conc`, `dsc_perfusion`, `dsc_analysis`, `dsc_correct_leakage`.

use ndarray::{ArrayD, Axis, IxDyn};
use osipy::dsc::{self, leakage, AifSource, Analysis, Conversion, Deconvolution, Perfusion};
use osipy::volume::Voxels;
use osipy_kernels::XpArray;

use crate::Case;

fn deconvolution(case: &Case) -> Result<Deconvolution, String> {
    let method = case
        .arg("method")
        .unwrap_or("osvd")
        .parse()
        .map_err(|e: osipy::Error| e.to_string())?;
    let mut d = Deconvolution::new(method);
    if let Some(t) = case.num("threshold")? {
        d = d.with_threshold(t);
    }
    Ok(d)
}

fn vector(case: &Case, name: &str) -> Result<Vec<f64>, String> {
    Ok(case.input(name)?.iter().copied().collect())
}

/// Runs the DSC case `name`; false when it is not one.
pub fn run(name: &str, case: &Case) -> Result<bool, String> {
    let err = |e: osipy::Error| e.to_string();
    match name {
        "dsc_signal_to_conc" => {
            let s = case.input("signal")?;
            let te = case.num("te")?.ok_or("te")?;
            let (a, b) = (
                case.num("start")?.unwrap_or(0.0) as usize,
                case.num("end")?.unwrap_or(1.0) as usize,
            );
            let c = Conversion::new(te, a..b);
            let shape = s.shape().to_vec();
            let x = XpArray::from_host(s);
            let mut out = XpArray::from_host(ArrayD::<f64>::zeros(IxDyn(&shape)));
            let s0 = dsc::kernels::signal_to_conc::launch(
                &x,
                c.baseline.start,
                c.baseline.end,
                te,
                1.0,
                0.0,
                &mut out,
            )
            .map_err(|e| e.to_string())?;
            case.output("conc", &out.into_host().map_err(|e| e.to_string())?)?;
            case.output("s0", &s0.into_host().map_err(|e| e.to_string())?)?;
        }
        "dsc_perfusion" => {
            let mask = case.mask_opt("mask")?;
            let series = case.input("series")?;
            let (t, aif) = (vector(case, "time")?, vector(case, "aif")?);
            let d = deconvolution(case)?;
            let mut p = Perfusion::new(d.method, &t, &aif)
                .deconvolution(d)
                .factors(
                    case.num("density")?.unwrap_or(dsc::DENSITY),
                    case.num("kh")?.unwrap_or(dsc::KH),
                )
                .leakage(case.arg("leakage").unwrap_or("none").parse().map_err(err)?)
                .first_pass(case.flag("first_pass"));
            let reference = case
                .input_opt("leakage_reference")?
                .map(|r| r.iter().copied().collect::<Vec<f64>>());
            if let Some(r) = &reference {
                p = p.leakage_reference(r);
            }
            if let Some(te) = case.num("te")? {
                let (a, b) = (
                    case.num("start")?.unwrap_or(0.0) as usize,
                    case.num("end")?.unwrap_or(1.0) as usize,
                );
                p = p.signal(Conversion::new(te, a..b));
            }
            if let Some(m) = &mask {
                p = p.mask(m);
            }
            case.output_maps(&p.fit(&series).map_err(err)?)?;
        }
        "dsc_analysis" => {
            let mask = case.mask_opt("mask")?;
            let signal = case.input("signal")?;
            let t = vector(case, "time")?;
            let te = case.num("te")?.ok_or("te")?;
            let d = deconvolution(case)?;
            let count = case.num("aif_count")?.unwrap_or(10.0) as usize;
            let mut a = Analysis::new(&t, te)
                .aif(AifSource::Auto(count))
                .deconvolution(d)
                .leakage(case.arg("leakage").unwrap_or("none").parse().map_err(err)?)
                .concentration(case.flag("concentration"));
            if let (Some(s), Some(e)) = (case.num("start")?, case.num("end")?) {
                a = a.baseline(s as usize..e as usize);
            }
            if let Some(m) = &mask {
                a = a.mask(m);
            }
            let out = a.run(&signal.view()).map_err(err)?;
            case.output_maps(&out.maps)?;
            let v = |x: Vec<f64>| ArrayD::from_shape_vec(IxDyn(&[x.len()]), x).expect("a vector");
            case.output("aif", &v(out.aif))?;
            let ids = out
                .aif_voxels
                .unwrap_or_default()
                .into_iter()
                .map(|i| i as f64)
                .collect();
            case.output("aif_voxels", &v(ids))?;
            case.output(
                "baseline",
                &v(vec![out.baseline.start as f64, out.baseline.end as f64]),
            )?;
        }
        "dsc_correct_leakage" => {
            let curves = case.input("curves")?;
            let t = vector(case, "time")?;
            let dt = dsc::uniform_interval(&t).map_err(err)?;
            let shape = curves.shape().to_vec();
            let nt = shape[shape.len() - 1];
            let vshape = &shape[..shape.len() - 1];
            let mask = case.mask_opt("mask")?;
            let voxels =
                Voxels::new_nonempty("ref", vshape, mask.as_ref().map(|m| m.view()).as_ref()).map_err(err)?;
            let r = leakage::reference_curve(&curves.view(), &voxels).map_err(err)?;
            let int = leakage::cumulative(&r, dt);
            let n = voxels.selected.len();
            let rows = XpArray::from_host(voxels.gather(&curves.view(), nt, 0..n).map_err(err)?);
            let row = |v: &[f64]| {
                XpArray::from_host(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).expect("a row"))
            };
            let mut out = XpArray::from_host(ArrayD::<f64>::zeros(IxDyn(&[n, nt])));
            let (k1, k2) =
                leakage::bsw::launch(&rows, &row(&r), &row(&int), &mut out).map_err(|e| e.to_string())?;
            let out = out.into_host().map_err(|e| e.to_string())?;
            let (k1, k2) = (
                k1.into_host().map_err(|e| e.to_string())?,
                k2.into_host().map_err(|e| e.to_string())?,
            );
            let total = voxels.len_all();
            let mut corr = ArrayD::from_elem(IxDyn(&[total, nt]), f64::NAN);
            let mut m1 = ArrayD::from_elem(IxDyn(&[total]), f64::NAN);
            let mut m2 = m1.clone();
            for (j, &i) in voxels.selected.iter().enumerate() {
                corr.index_axis_mut(Axis(0), i)
                    .assign(&out.index_axis(Axis(0), j));
                m1[[i]] = k1[[j]];
                m2[[i]] = k2[[j]];
            }
            let reshape = |a: ArrayD<f64>, s: &[usize]| a.into_shape_with_order(IxDyn(s)).expect("a shape");
            case.output("corrected", &reshape(corr, &shape))?;
            case.output("k1", &reshape(m1, vshape))?;
            case.output("k2", &reshape(m2, vshape))?;
            case.output(
                "reference",
                &ArrayD::from_shape_vec(IxDyn(&[nt]), r).expect("a curve"),
            )?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}
