//! The plasma curve as a natural cubic spline (`osipy::dce::spline_moments`, the `cp2` row of
//! every DCE model): the spline itself, the convolution coefficients of its cubic part against
//! quadrature, every model against a quadrature convolution of the spline curve, the delay
//! models, derivatives against central differences, Emulator = CPU, and the point of it: a
//! smaller bias than the piecewise-linear AIF for a bolus sampled every 4 s.

mod common;

use common::lanes_agree;
use ndarray::Array2;
use osipy::dce::{self, convolution as c, AifInterpolation};
use osipy_kernels::Device;

/// A non-uniform grid (s) and a smooth bolus plasma curve (mM) on it.
fn grid() -> (Vec<f64>, Vec<f64>) {
    let mut t = vec![0.0];
    for i in 1..70 {
        let dt = 2.0 + 1.2 * (0.7 * f64::from(i)).sin() + 0.3 * f64::from(i % 3);
        t.push(t[i as usize - 1] + dt);
    }
    let cp = t.iter().map(|&s| bolus(s)).collect();
    (t, cp)
}

fn bolus(s: f64) -> f64 {
    let u = s - 12.0;
    if u <= 0.0 {
        0.0
    } else {
        6.0 * (u / 6.0).powi(2) * (2.0 - u / 3.0).exp() + 0.9 * (1.0 - (-u / 50.0).exp())
    }
}

/// The curve of `osipy::dce::convolution`'s module docs at `s` (0 before `t[0]`, last value
/// after the end), computed here from the formula.
fn spline_value(t: &[f64], cp: &[f64], m: &[f64], s: f64) -> f64 {
    let n = t.len();
    if s < t[0] {
        return 0.0;
    }
    if s >= t[n - 1] {
        return cp[n - 1];
    }
    let j = (0..n - 1).find(|&j| s < t[j + 1]).unwrap();
    let h = t[j + 1] - t[j];
    let u = (s - t[j]) / h;
    let v = 1.0 - u;
    v * cp[j] + u * cp[j + 1] + h * h / 6.0 * ((v * v * v - v) * m[j] + (u * u * u - u) * m[j + 1])
}

/// `integral_0^t_i cp(s) r(t_i - s) ds` (`r` of minutes, result in mM min... times the
/// response's units) by composite Simpson on 400 panels per sample interval.
fn reference_convolution(t: &[f64], curve: impl Fn(f64) -> f64, r: impl Fn(f64) -> f64) -> Vec<f64> {
    let mut out = vec![0.0];
    for i in 1..t.len() {
        let mut total = 0.0;
        for j in 1..=i {
            let (a, b) = (t[j - 1], t[j]);
            let m = 400;
            let h = (b - a) / f64::from(m);
            // Evaluate inside the interval (avoid the knot's left/right ambiguity at the ends).
            let f = |s: f64| curve(s.clamp(a + 1e-12 * (b - a), b - 1e-12 * (b - a))) * r((t[i] - s) / 60.0);
            let mut sum = f(a) + f(b);
            for q in 1..m {
                sum += if q % 2 == 1 { 4.0 } else { 2.0 } * f(a + h * f64::from(q));
            }
            total += sum * h / 3.0 / 60.0;
        }
        out.push(total);
    }
    out
}

fn close(got: &[f64], want: &[f64], rtol: f64, what: &str) {
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rtol * scale,
            "{what}: sample {i}: {g} vs {w} (scale {scale})"
        );
    }
}

fn one_row(f: impl FnOnce(&mut Array2<f64>), n: usize) -> Vec<f64> {
    let mut out = Array2::<f64>::zeros((1, n));
    f(&mut out);
    out.row(0).to_vec()
}

#[test]
fn cubic_coefficients_match_quadrature_on_both_branches() {
    for &dt in &[1.0 / 60.0, 4.0 / 60.0, 0.5] {
        for &x in &[0.0, 1e-9, 1e-4, 0.3, 0.499_999, 0.5, 0.500_001, 0.999, 2.5, 12.0] {
            let k = x / dt;
            let (c3, c4) = c::exp_conv_cubic_coeffs::launch(&[k][..], &[dt][..]).unwrap();
            let (c3, c4) = (c3.to_host().unwrap()[[0]], c4.to_host().unwrap()[[0]]);
            // Simpson on 20,000 panels of u in [0, 1].
            let h = 60.0 * dt;
            let m = 20_000;
            let (mut q3, mut q4) = (0.0, 0.0);
            for q in 0..=m {
                let u = f64::from(q) / f64::from(m);
                let w = if q == 0 || q == m {
                    1.0
                } else if q % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                let e = (-x * (1.0 - u)).exp();
                let v = 1.0 - u;
                q3 += w * e * (v * v * v - v);
                q4 += w * e * (u * u * u - u);
            }
            let s = dt * h * h / 6.0 / (3.0 * f64::from(m));
            let (q3, q4) = (q3 * s, q4 * s);
            let scale = q3.abs().max(q4.abs());
            assert!((c3 - q3).abs() <= 1e-10 * scale, "dt {dt} x {x}: c3 {c3} vs {q3}");
            assert!((c4 - q4).abs() <= 1e-10 * scale, "dt {dt} x {x}: c4 {c4} vs {q4}");
        }
    }
    // Large x: K_n = n! / x^(n+1) up to terms of order exp(-x).
    for &x in &[200.0f64, 700.0, 1e5] {
        let dt = 0.05;
        let (c3, c4) = c::exp_conv_cubic_coeffs::launch(&[x / dt][..], &[dt][..]).unwrap();
        let (c3, c4) = (c3.to_host().unwrap()[[0]], c4.to_host().unwrap()[[0]]);
        let (k1, k2, k3) = (1.0 / x.powi(2), 2.0 / x.powi(3), 6.0 / x.powi(4));
        let s = dt * (60.0 * dt).powi(2) / 6.0;
        let (w3, w4) = (s * (k3 - k1), s * (3.0 * k2 - 2.0 * k1 - k3));
        assert!((c3 - w3).abs() <= 1e-12 * w3.abs(), "x {x}: c3 {c3} vs {w3}");
        assert!((c4 - w4).abs() <= 1e-12 * w4.abs(), "x {x}: c4 {c4} vs {w4}");
    }
    // k = 0: the integral of the cubic part, -dt h² / 24 each.
    let (c3, c4) = c::exp_conv_cubic_coeffs::launch(&[0.0][..], &[0.1][..]).unwrap();
    let want = -0.1 * 36.0 / 24.0;
    assert!((c3.to_host().unwrap()[[0]] - want).abs() < 1e-15);
    assert!((c4.to_host().unwrap()[[0]] - want).abs() < 1e-15);
}

#[test]
fn spline_moments_solve_the_spline_equations() {
    let (t, cp) = grid();
    let m = dce::spline_moments(&t, &cp).unwrap();
    let n = t.len();
    assert_eq!((m[0], m[n - 1]), (0.0, 0.0));
    for i in 1..n - 1 {
        let (h0, h1) = (t[i] - t[i - 1], t[i + 1] - t[i]);
        let left = (cp[i] - cp[i - 1]) / h0 + h0 / 6.0 * (m[i - 1] + 2.0 * m[i]);
        let right = (cp[i + 1] - cp[i]) / h1 - h1 / 6.0 * (2.0 * m[i] + m[i + 1]);
        assert!(
            (left - right).abs() < 1e-12,
            "slope jumps at knot {i}: {left} vs {right}"
        );
    }
    // A straight line is its own spline; fewer than three samples are straight.
    let line: Vec<f64> = t.iter().map(|s| 0.3 * s - 1.0).collect();
    assert!(dce::spline_moments(&t, &line)
        .unwrap()
        .iter()
        .all(|v| v.abs() < 1e-13));
    assert_eq!(
        dce::spline_moments(&[0.0, 1.0], &[1.0, 5.0]).unwrap(),
        vec![0.0, 0.0]
    );
    assert!(dce::spline_moments(&[], &[]).unwrap().is_empty());
    // plasma_curvature: zeros for linear, the moments for spline.
    assert_eq!(
        dce::plasma_curvature(&t, &cp, AifInterpolation::Linear).unwrap(),
        vec![0.0; n]
    );
    assert_eq!(
        dce::plasma_curvature(&t, &cp, AifInterpolation::Spline).unwrap(),
        m
    );
    // Bad input is an error naming the argument.
    let err = |r: osipy::Result<Vec<f64>>| r.unwrap_err().to_string();
    let e = err(dce::spline_moments(&t, &cp[1..]));
    assert!(e.contains("cp") && e.contains(&format!("{}", n - 1)), "{e}");
    let e = err(dce::spline_moments(&[0.0, 2.0, 2.0], &[0.0, 1.0, 2.0]));
    assert!(e.contains("strictly increasing") && e.contains("t[2]"), "{e}");
    let e = err(dce::spline_moments(&[0.0, 1.0, 2.0], &[0.0, f64::NAN, 2.0]));
    assert!(e.contains("cp[1]"), "{e}");
    let e = err(dce::plasma_curvature(
        &[0.0, f64::INFINITY],
        &[0.0, 1.0],
        AifInterpolation::Linear,
    ));
    assert!(e.contains("t[1]"), "{e}");
}

#[test]
fn every_model_convolves_the_spline_curve_exactly() {
    let (t, cp) = grid();
    let m = dce::spline_moments(&t, &cp).unwrap();
    let n = t.len();
    let curve = |s: f64| spline_value(&t, &cp, &m, s);
    // The spline passes through the samples.
    for (s, v) in t.iter().zip(&cp).skip(1).take(n - 2) {
        assert!((curve(*s) - v).abs() < 1e-12);
    }
    let rtol = 1e-9;
    let (ktrans, ve, vp) = (0.3, 0.25, 0.05);
    let kep = ktrans / ve;
    let conv = reference_convolution(&t, curve, |u| ktrans * (-kep * u).exp());
    let got = one_row(
        |o| dce::tofts::launch(&t, &cp, &m, &[ktrans][..], &[ve][..], o).unwrap(),
        n,
    );
    close(&got, &conv, rtol, "tofts");
    let et: Vec<f64> = conv.iter().zip(&cp).map(|(c, p)| c + vp * p).collect();
    let got = one_row(
        |o| dce::extended_tofts::launch(&t, &cp, &m, &[ktrans][..], &[ve][..], &[vp][..], o).unwrap(),
        n,
    );
    close(&got, &et, rtol, "extended_tofts");
    let ps = 0.12;
    let pat: Vec<f64> = reference_convolution(&t, curve, |_| ps)
        .iter()
        .zip(&cp)
        .map(|(c, p)| c + vp * p)
        .collect();
    let got = one_row(
        |o| dce::patlak::launch(&t, &cp, &m, &[ps][..], &[vp][..], o).unwrap(),
        n,
    );
    close(&got, &pat, rtol, "patlak");
    // 2CXM by its textbook roots (Sourbron & Buckley 2013).
    let (fp, ps2, ve2, vp2): (f64, f64, f64, f64) = (30.0, 0.2, 0.3, 0.06);
    let f = fp / 100.0;
    let (a, b) = ((f + ps2) / vp2, ps2 / ve2);
    let disc = ((a + b) * (a + b) - 4.0 * f * ps2 / (vp2 * ve2)).sqrt();
    let (kp, km) = (0.5 * (a + b + disc), 0.5 * (a + b - disc));
    let ap = (f / vp2 - km) / (kp - km);
    let cx = reference_convolution(&t, curve, |u| {
        f * (ap * (-kp * u).exp() + (1.0 - ap) * (-km * u).exp())
    });
    let got = one_row(
        |o| dce::two_cxm::launch(&t, &cp, &m, &[fp][..], &[ps2][..], &[ve2][..], &[vp2][..], o).unwrap(),
        n,
    );
    close(&got, &cx, rtol, "two_cxm");
    // 2CUM: R(u) = f ((1 - E) exp(-u / Tp) + E).
    let (fp3, ps3, vp3): (f64, f64, f64) = (25.0, 0.05, 0.08);
    let f3 = fp3 / 100.0;
    let e3 = ps3 / (f3 + ps3);
    let tp = vp3 / (f3 + ps3);
    let cu = reference_convolution(&t, curve, |u| f3 * ((1.0 - e3) * (-u / tp).exp() + e3));
    let got = one_row(
        |o| dce::two_cum::launch(&t, &cp, &m, &[fp3][..], &[ps3][..], &[vp3][..], o).unwrap(),
        n,
    );
    close(&got, &cu, rtol, "two_cum");
}

#[test]
fn delay_models_shift_the_spline_curve() {
    // Uniform 2-s grid: a delay of two frames moves every sample onto a knot, where the shifted
    // spline is the spline of the shifted samples, so the delayed model is exact.
    let t: Vec<f64> = (0..60).map(|i| 2.0 * f64::from(i)).collect();
    let cp: Vec<f64> = t.iter().map(|&s| bolus(s)).collect();
    let m = dce::spline_moments(&t, &cp).unwrap();
    let n = t.len();
    let (ktrans, ve, vp) = (0.4, 0.3, 0.04);
    let kep = ktrans / ve;
    for delay in [4.0, -4.0] {
        let shifted = |s: f64| spline_value(&t, &cp, &m, s - delay);
        let conv = reference_convolution(&t, shifted, |u| ktrans * (-kep * u).exp());
        let want: Vec<f64> = conv.iter().zip(&t).map(|(c, s)| c + vp * shifted(*s)).collect();
        let got = one_row(
            |o| {
                dce::extended_tofts_delay::launch(
                    &t,
                    &cp,
                    &m,
                    &[ktrans][..],
                    &[ve][..],
                    &[vp][..],
                    &[delay][..],
                    o,
                )
                .unwrap()
            },
            n,
        );
        // The curve jumps from 0 at t[0] (no contrast before the first sample); the reference
        // integrates the same jump, so the tolerance is that of the quadrature.
        close(&got, &want, 1e-8, &format!("extended_tofts_delay {delay}"));
    }
    // Zero delay: the undelayed models bit for bit, with a curved plasma row.
    let (t, cp) = grid();
    let m = dce::spline_moments(&t, &cp).unwrap();
    let a = one_row(
        |o| dce::two_cxm::launch(&t, &cp, &m, &[20.0][..], &[0.1][..], &[0.2][..], &[0.05][..], o).unwrap(),
        t.len(),
    );
    let b = one_row(
        |o| {
            dce::two_cxm_delay::launch(
                &t,
                &cp,
                &m,
                &[20.0][..],
                &[0.1][..],
                &[0.2][..],
                &[0.05][..],
                &[0.0][..],
                o,
            )
            .unwrap()
        },
        t.len(),
    );
    assert_eq!(
        a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    let a = one_row(
        |o| dce::patlak::launch(&t, &cp, &m, &[0.1][..], &[0.05][..], o).unwrap(),
        t.len(),
    );
    let b = one_row(
        |o| dce::patlak_delay::launch(&t, &cp, &m, &[0.1][..], &[0.05][..], &[0.0][..], o).unwrap(),
        t.len(),
    );
    assert_eq!(a, b);
}

#[test]
fn zero_curvature_is_the_linear_model_bit_for_bit() {
    let (t, cp) = grid();
    let z = vec![0.0; t.len()];
    // The linear step (exp_conv_step) against the cubic step with zero curvature.
    let (a, b) = (&cp[..40], &cp[1..41]);
    let k: Vec<f64> = (0..40).map(|i| 1e-4 * 1.7f64.powi(i)).collect();
    let dt: Vec<f64> = (0..40).map(|i| (t[i + 1] - t[i]) / 60.0).collect();
    let (i_lin, e_lin) = c::exp_conv_step::launch(a, b, &k, &dt).unwrap();
    let (ce, c1, c2) = c::exp_conv_coeffs::launch(&k, &dt).unwrap();
    let (c3, c4) = c::exp_conv_cubic_coeffs::launch(&k, &dt).unwrap();
    let (i_lin, e_lin, ce) = (
        i_lin.to_host().unwrap(),
        e_lin.to_host().unwrap(),
        ce.to_host().unwrap(),
    );
    let (c1, c2, c3, c4) = (
        c1.to_host().unwrap(),
        c2.to_host().unwrap(),
        c3.to_host().unwrap(),
        c4.to_host().unwrap(),
    );
    for q in 0..40 {
        let cubic = c1[[q]] * a[q] + c2[[q]] * (b[q] - a[q]) + (c3[[q]] * 0.0 + c4[[q]] * 0.0);
        assert_eq!(cubic.to_bits(), i_lin[[q]].to_bits(), "step {q}");
        assert_eq!(ce[[q]].to_bits(), e_lin[[q]].to_bits());
    }
    // plasma_cubic_at with zero curvature = plasma_at.
    let items = 6;
    let xs = [-3.0, 0.0, 17.3, t[20], t[t.len() - 1], 1e6];
    let trows = Array2::from_shape_fn((items, t.len()), |(_, j)| t[j]);
    let cprows = Array2::from_shape_fn((items, t.len()), |(_, j)| cp[j]);
    let zrows = Array2::<f64>::zeros((items, t.len()));
    let len = vec![t.len(); items];
    let from = vec![0usize; items];
    let j = c::interval_from::launch(&trows, &len, &xs[..], &from).unwrap();
    let lin = c::plasma_at::launch(&trows, &cprows, &len, &xs[..], &j)
        .unwrap()
        .to_host()
        .unwrap();
    let (v, curv) = c::plasma_cubic_at::launch(&trows, &cprows, &zrows, &len, &xs[..], &j).unwrap();
    let (v, curv) = (v.to_host().unwrap(), curv.to_host().unwrap());
    for q in 0..items {
        assert_eq!(v[[q]].to_bits(), lin[[q]].to_bits(), "x = {}", xs[q]);
        assert_eq!(curv[[q]], 0.0);
    }
    // And whole models (the OSIPI suite runs this way).
    let lin = one_row(
        |o| dce::extended_tofts::launch(&t, &cp, &z, &[0.2][..], &[0.3][..], &[0.02][..], o).unwrap(),
        t.len(),
    );
    let mut want = vec![0.02 * cp[0]];
    let kep = 0.2 / 0.3;
    let mut f = 0.0;
    for i in 1..t.len() {
        let dtm = (t[i] - t[i - 1]) / 60.0;
        let (ii, e) =
            c::exp_conv_step::launch(&[cp[i - 1]][..], &[cp[i]][..], &[kep][..], &[dtm][..]).unwrap();
        f = e.to_host().unwrap()[[0]] * f + ii.to_host().unwrap()[[0]];
        want.push(0.02 * cp[i] + 0.2 * f);
    }
    assert_eq!(lin, want);
}

#[test]
fn derivatives_through_the_spline_match_central_differences() {
    let (t, cp) = grid();
    let m = dce::spline_moments(&t, &cp).unwrap();
    let n = t.len();
    // Extended Tofts with delay: the series and recursion branches of the cubic coefficients
    // (kep dt below and above 1) and the delayed spline between knots.
    let sets = [
        [0.05, 0.4, 0.02, 1.3],
        [0.9, 0.1, 0.08, -2.7],
        [2.5, 0.05, 0.01, 3.1],
        [0.3, 0.3, 0.05, 0.4],
    ];
    for p in sets {
        let cols: Vec<Vec<f64>> = p.iter().map(|v| vec![*v]).collect();
        let mut pred = Array2::<f64>::zeros((1, n));
        let mut jac = Array2::<f64>::zeros((1, n * 4));
        dce::extended_tofts_delay::jacobian::launch(
            &t, &cp, &m, &cols[0], &cols[1], &cols[2], &cols[3], &mut pred, &mut jac,
        )
        .unwrap();
        for a in 0..4 {
            let h = 1e-6 * p[a].abs().max(1e-3);
            let eval = |d: f64| {
                let mut q = p;
                q[a] += d;
                one_row(
                    |o| {
                        dce::extended_tofts_delay::launch(
                            &t,
                            &cp,
                            &m,
                            &[q[0]][..],
                            &[q[1]][..],
                            &[q[2]][..],
                            &[q[3]][..],
                            o,
                        )
                        .unwrap()
                    },
                    n,
                )
            };
            let (up, down) = (eval(h), eval(-h));
            let fd: Vec<f64> = up.iter().zip(&down).map(|(u, d)| (u - d) / (2.0 * h)).collect();
            let col_max = fd.iter().fold(0.0f64, |mx, v| mx.max(v.abs()));
            for i in 0..n {
                let ad = jac[[0, i * 4 + a]];
                assert!(
                    (ad - fd[i]).abs() <= 1e-5 * col_max.max(fd[i].abs()) + 1e-12,
                    "params {p:?}: d/dp{a} at sample {i}: {ad} vs {}",
                    fd[i]
                );
            }
        }
    }
}

#[test]
fn spline_aif_lowers_the_bias_of_a_coarsely_sampled_bolus() {
    // Truth: the population Parker AIF on a 0.05-s grid (where linear and exact agree to
    // ~1e-6), tissue curves there, then every 80th sample: 4-s frames.
    let fine: Vec<f64> = (0..80 * 60 + 1).map(|i| 0.05 * f64::from(i)).collect();
    let cb = osipy::aif::parker(&fine, 10.0).unwrap();
    let cpf = dce::plasma_from_blood(&cb, 0.42).unwrap();
    let voxels = 24;
    let kt: Vec<f64> = (0..voxels).map(|v| 0.02 + 0.02 * f64::from(v)).collect();
    let ve: Vec<f64> = (0..voxels).map(|v| 0.55 - 0.02 * f64::from(v)).collect();
    let vp: Vec<f64> = (0..voxels).map(|v| 0.005 + 0.004 * f64::from(v)).collect();
    let mut ctf = Array2::<f64>::zeros((voxels as usize, fine.len()));
    dce::extended_tofts::launch(&fine, &cpf, &vec![0.0; fine.len()], &kt, &ve, &vp, &mut ctf).unwrap();
    let pick: Vec<usize> = (0..fine.len()).step_by(80).collect();
    let t: Vec<f64> = pick.iter().map(|&i| fine[i]).collect();
    let cp: Vec<f64> = pick.iter().map(|&i| cpf[i]).collect();
    let data = Array2::from_shape_fn((voxels as usize, t.len()), |(v, k)| ctf[[v, pick[k]]]);
    let mut medians = Vec::new();
    for how in [AifInterpolation::Linear, AifInterpolation::Spline] {
        let cp2 = dce::plasma_curvature(&t, &cp, how).unwrap();
        let fit = dce::extended_tofts::fitter(&t, &cp, &cp2).fit(&data).unwrap();
        let p = fit.params.to_host().unwrap();
        let mut errs: Vec<f64> = (0..voxels as usize)
            .map(|v| ((p[[v, 0]] - kt[v]) / kt[v]).abs())
            .collect();
        errs.sort_by(f64::total_cmp);
        medians.push(errs[errs.len() / 2]);
    }
    let (linear, spline) = (medians[0], medians[1]);
    eprintln!("median |Ktrans error|: linear AIF {linear:.3e}, spline AIF {spline:.3e}");
    assert!(linear > 1e-3, "linear {linear}");
    assert!(spline < 0.25 * linear, "spline {spline} vs linear {linear}");
}

#[test]
fn spline_models_are_the_same_on_cpu_and_emulator() {
    let t: Vec<f64> = (0..30).map(|i| 3.0 * f64::from(i)).collect();
    let cp: Vec<f64> = t.iter().map(|&s| bolus(s)).collect();
    let m = dce::spline_moments(&t, &cp).unwrap();
    let truth = [[0.1, 0.3, 0.03, 2.2], [0.6, 0.2, 0.06, -1.4]];
    let mut data = Array2::<f64>::zeros((2, t.len()));
    let cols: Vec<Vec<f64>> = (0..4).map(|a| truth.iter().map(|r| r[a]).collect()).collect();
    dce::extended_tofts_delay::launch(&t, &cp, &m, &cols[0], &cols[1], &cols[2], &cols[3], &mut data)
        .unwrap();
    let mut out = Vec::new();
    for dev in [Device::Cpu, Device::Emulator] {
        let on = |v: &[f64]| {
            osipy_kernels::XpArray::from_host(
                ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[v.len()]), v.to_vec()).unwrap(),
            )
            .to_device(&dev)
            .unwrap()
        };
        let (td, cd, md) = (on(&t), on(&cp), on(&m));
        let dd = osipy_kernels::XpArray::from_host(data.clone().into_dyn())
            .to_device(&dev)
            .unwrap();
        let fit = lanes_agree(
            &format!("{dev:?}"),
            || dce::extended_tofts_delay::fitter(&td, &cd, &md).fit(&dd).unwrap(),
            |f| {
                let p = f.params.to_host().unwrap();
                let it = f.iterations.to_host().unwrap();
                let st = f.status.to_host().unwrap();
                (
                    p.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    it.iter().copied().collect::<Vec<_>>(),
                    st.iter().copied().collect::<Vec<_>>(),
                )
            },
        );
        let p = fit.params.to_host().unwrap();
        let chi2 = fit.chi2.to_host().unwrap();
        out.push((
            p.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            chi2.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        ));
        for (v, r) in truth.iter().enumerate() {
            for a in 0..4 {
                assert!(
                    (p[[v, a]] - r[a]).abs() <= 1e-6 * r[a].abs().max(1.0),
                    "{dev:?} voxel {v} param {a}"
                );
            }
        }
    }
    assert_eq!(out[0], out[1], "Emulator differs from the CPU");
}
