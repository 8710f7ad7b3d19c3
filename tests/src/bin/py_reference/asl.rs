//! ASL cases: `asl_perfusion`, `asl_m0_reference`.

use ndarray::{ArrayD, IxDyn};
use osipy::asl::{self, M0Source, Perfusion, Quantification, Reference};

use crate::Case;

/// Runs the ASL case `name`; false when it is not one.
pub fn run(name: &str, case: &Case) -> Result<bool, String> {
    let err = |e: osipy::Error| e.to_string();
    match name {
        "asl_perfusion" => {
            let mask = case.mask_opt("mask")?;
            let dm = case.input("delta_m")?;
            let plds = case.nums("plds")?.ok_or("plds")?;
            let tau = case.num("tau")?.ok_or("tau")?;
            let labelling = case.arg("labelling").unwrap_or("pcasl").parse().map_err(err)?;
            let d = Quantification::default();
            let q = Quantification {
                alpha: case.num("alpha")?,
                t1_blood: case.num("t1_blood")?,
                t1_tissue: case.num("t1_tissue")?.unwrap_or(d.t1_tissue),
                lambda: case.num("lambda")?.unwrap_or(d.lambda),
                ..d
            };
            let m0_map = case.input_opt("m0")?;
            let source = match (&m0_map, case.num("m0_value")?) {
                (Some(m), _) => M0Source::Map(m.view()),
                (None, Some(v)) => M0Source::Value(v),
                (None, None) => return Err("m0".into()),
            };
            let mut p = Perfusion::new(labelling, plds, tau).m0(source).quantification(q);
            if let Some(m) = &mask {
                p = p.mask(m);
            }
            case.output_maps(&p.fit(&dm).map_err(err)?)?;
            Ok(true)
        }
        "asl_m0_reference" => {
            let m0 = case.input("m0")?;
            let region = case.mask_opt("region")?.ok_or("region")?;
            let r = Reference {
                lambda: case.num("lambda_ref")?.ok_or("lambda_ref")?,
                t1: case.num("t1_ref")?.ok_or("t1_ref")?,
                t2star: case.num("t2star_ref")?.ok_or("t2star_ref")?,
            };
            let (tr, te) = (case.num("tr")?.ok_or("tr")?, case.num("te")?.ok_or("te")?);
            let v = asl::m0_reference(
                &m0.view(),
                &region.view(),
                r,
                tr,
                te,
                case.num("lambda")?.unwrap_or(asl::LAMBDA),
            )
            .map_err(err)?;
            case.output("value", &ArrayD::from_elem(IxDyn(&[1]), v))?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
