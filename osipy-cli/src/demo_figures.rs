//! The PNG figures of `osipy demo`: parameter maps against the truth, R2, the AIF, and one
//! voxel fit per region.

use std::path::Path;

use ndarray::{s, Array2, Array3};

use super::demo::Fitted;
use super::figure::{self, Canvas, Series, PALETTE};
use super::phantom::{Phantom, REGIONS};
use super::CliError;
use osipy::dce;

fn finite_range(a: &Array3<f64>) -> (f64, f64) {
    let (lo, hi) = a
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    if lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

fn slice2(a: &Array3<f64>, z: usize) -> Array2<f64> {
    a.slice(s![.., .., z]).to_owned()
}

/// One representative voxel per tissue region on the middle slice: the voxel of the region
/// nearest to the region's centroid there.
fn representative_voxels(p: &Phantom) -> Vec<(u8, [usize; 3])> {
    let z = p.mask.dim().2 / 2;
    let mut out = Vec::new();
    for r in 1..REGIONS.len() as u8 {
        let vox: Vec<[usize; 3]> = p
            .region
            .slice(s![.., .., z])
            .indexed_iter()
            .filter(|(_, l)| **l == r)
            .map(|((x, y), _)| [x, y, z])
            .collect();
        if vox.is_empty() {
            continue;
        }
        let n = vox.len() as f64;
        let (cx, cy) = (
            vox.iter().map(|v| v[0] as f64).sum::<f64>() / n,
            vox.iter().map(|v| v[1] as f64).sum::<f64>() / n,
        );
        let d = |v: &[usize; 3]| (v[0] as f64 - cx).powi(2) + (v[1] as f64 - cy).powi(2);
        if let Some(best) = vox.iter().min_by(|a, b| d(a).total_cmp(&d(b))) {
            out.push((r, *best));
        }
    }
    out
}

pub(crate) fn figures(
    dir: &Path,
    p: &Phantom,
    f: &Fitted,
    affine: &[[f64; 4]; 4],
    files: &mut Vec<String>,
) -> Result<(), CliError> {
    let nz = p.mask.dim().2;
    let view = figure::View::at(nz / 2, nz, Some(affine));
    let z = view.z;
    let truths = [&p.ktrans, &p.ve, &p.vp];
    let titles = ["Ktrans (/min)", "ve (fraction)", "vp (fraction)"];
    let units = ["/min", "fraction", "fraction"];
    for (k, name) in ["ktrans", "ve", "vp"].iter().enumerate() {
        let (_, hi) = finite_range(truths[k]);
        let (fit, truth) = (slice2(&f.params[k], z), slice2(truths[k], z));
        let cv = figure::map_figure(
            titles[k],
            &[("fit", &fit), ("truth", &truth)],
            0.0,
            hi,
            units[k],
            Some(&view),
        );
        let file = format!("fig_{name}.png");
        cv.save_png(&dir.join(&file))?;
        files.push(file);
    }
    let r2 = slice2(&f.r2, z);
    let lo = r2.iter().filter(|v| v.is_finite()).fold(1.0f64, |a, &b| a.min(b));
    let cv = figure::map_figure(
        "R² of the fit (1 = perfect)",
        &[("fit", &r2)],
        lo.min(0.999),
        1.0,
        "R² (unitless)",
        Some(&view),
    );
    cv.save_png(&dir.join("fig_r2.png"))?;
    files.push("fig_r2.png".into());

    let mut cv = Canvas::new(720, 440);
    figure::plot(
        &mut cv,
        (0, 0, 720, 440),
        &figure::Axes {
            title: "Parker population AIF",
            x: "time (s)",
            y: "concentration (mM)",
        },
        &[
            Series {
                x: &p.t,
                y: &p.cb,
                colour: PALETTE[0],
                points: false,
                name: "blood",
            },
            Series {
                x: &p.t,
                y: &p.cp,
                colour: PALETTE[1],
                points: false,
                name: "plasma",
            },
        ],
    );
    cv.save_png(&dir.join("fig_aif.png"))?;
    files.push("fig_aif.png".into());

    let vox = representative_voxels(p);
    let (pw, ph) = (520i64, 360i64);
    let mut cv = Canvas::new(2 * pw as usize, ph as usize * vox.len().div_ceil(2).max(1));
    for (i, (r, v)) in vox.iter().enumerate() {
        let data: Vec<f64> = p.conc.slice(s![v[0], v[1], v[2], ..]).to_vec();
        let truth: Vec<f64> = p.clean.slice(s![v[0], v[1], v[2], ..]).to_vec();
        let mut curve = Array2::<f64>::zeros((1, p.t.len()));
        let q = [f.params[0][*v], f.params[1][*v], f.params[2][*v]];
        if q.iter().all(|x| x.is_finite()) {
            dce::extended_tofts::launch(
                &p.t,
                &p.cp,
                &vec![0.0; p.cp.len()],
                &[q[0]],
                &[q[1]],
                &[q[2]],
                &mut curve,
            )?;
        } else {
            curve.fill(f64::NAN);
        }
        let fitted = curve.row(0).to_vec();
        let title = format!(
            "{} at ({}, {}, {}): Ktrans = {} /min",
            REGIONS[*r as usize],
            v[0],
            v[1],
            v[2],
            figure::label(q[0])
        );
        let rect = ((i as i64 % 2) * pw, (i as i64 / 2) * ph, pw, ph);
        figure::plot(
            &mut cv,
            rect,
            &figure::Axes {
                title: &title,
                x: "time (s)",
                y: "concentration (mM)",
            },
            &[
                Series {
                    x: &p.t,
                    y: &data,
                    colour: PALETTE[0],
                    points: true,
                    name: "measured",
                },
                Series {
                    x: &p.t,
                    y: &truth,
                    colour: PALETTE[2],
                    points: false,
                    name: "true curve",
                },
                Series {
                    x: &p.t,
                    y: &fitted,
                    colour: PALETTE[1],
                    points: false,
                    name: "fitted model",
                },
            ],
        );
    }
    cv.save_png(&dir.join("fig_voxel_fits.png"))?;
    files.push("fig_voxel_fits.png".into());
    Ok(())
}
