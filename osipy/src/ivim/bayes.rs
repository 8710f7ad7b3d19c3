//! The Bayesian IVIM estimate: posterior means and SDs by deterministic quadrature.

// `!(x > 0.0)` is meant: it is true for NaN as well. Slices have no `swap` in the kernel
// language.
#![allow(clippy::neg_cmp_op_on_partial_ord, clippy::manual_swap)]

use osipy_kernels::xp_kernel;

/// The Bayesian estimate of one voxel by quadrature of the posterior: posterior means into
/// `mean` (`[s0, f, d, dstar, f·dstar]`) and standard deviations into `sd` (`[s0, f, d,
/// dstar]`).
///
/// Priors (fixed, the same for every voxel): `f` and `D` uniform on their bounds, `D*`
/// log-uniform on its bounds, `S0` flat (marginalised analytically: the signal is linear in
/// it), the noise SD `sigma` Jeffreys (`1/sigma`, marginalised). The marginal posterior of
/// `(f, D, D*)` is then `prior · (g·g)^{-1/2} · RSS^{-(n-1)/2}`, with `g` the model at
/// S0 = 1 and RSS the residual at the best S0 = `g·y / g·g`; S0's conditional posterior is a
/// Student t of mean `g·y / g·g` and variance `RSS / ((n - 3) g·g)`. The S0 bounds are not
/// part of this marginal: S0's conditional mean is clamped to them (an approximation that
/// matters only where the bounds cut into S0's posterior).
///
/// The quadrature: `nodes` midpoint nodes per axis (uniform in f and D, in log D*) over the
/// box `centre ± 6` Laplace standard deviations (from the Gauss-Newton covariance at
/// `centre`, the full fit's result: `[s0, f, d, dstar]`) cut to the bounds; the posterior is
/// negligible outside it. Every voxel alone, deterministic: no sampling.
///
/// Returns the status: 1 ok, 3 the posterior could not be evaluated (NaN results), 4
/// non-finite data or start.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn ivim_bayes(
    #[uniform] b: &[f64],
    #[uniform] lower: &[f64],
    #[uniform] upper: &[f64],
    #[uniform] nodes: u32,
    y: &[f64],
    centre: &[f64],
    mean: &mut [f64],
    sd: &mut [f64],
) -> f64 {
    let n = y.len();
    for a in 0..5 {
        mean[a] = f64::NAN;
    }
    for a in 0..4 {
        sd[a] = f64::NAN;
    }
    let mut finite = true;
    for k in 0..n {
        if !y[k].is_finite() {
            finite = false;
        }
    }
    for a in 0..4 {
        if !centre[a].is_finite() {
            finite = false;
        }
    }
    if !finite {
        return 4.0;
    }
    let s0c = centre[0];
    let fc = centre[1];
    let dc = centre[2];
    let dsc = centre[3].max(1.0e-12);
    // Gauss-Newton covariance at the centre: J^T J (4 x 4) and the residual variance.
    let mut jtj = [0.0; 16];
    let mut rss_c = 0.0;
    let mut yy = 0.0;
    for k in 0..n {
        let ed = (-b[k] * dc).exp();
        let es = (-b[k] * dsc).exp();
        let g = fc * es + (1.0 - fc) * ed;
        let r = y[k] - s0c * g;
        rss_c += r * r;
        yy += y[k] * y[k];
        let mut j = [0.0; 4];
        j[0] = g;
        j[1] = s0c * (es - ed);
        j[2] = -s0c * (1.0 - fc) * b[k] * ed;
        j[3] = -s0c * fc * b[k] * es;
        for u in 0..4 {
            for v in 0..4 {
                jtj[u * 4 + v] += j[u] * j[v];
            }
        }
    }
    let dof = if n > 4 { (n - 4) as f64 } else { 1.0 };
    let s2 = rss_c / dof;
    // The inverse by Gauss-Jordan with partial pivoting; a singular matrix gives infinite
    // variances (the whole bound range).
    let mut inv = [0.0; 16];
    for u in 0..4 {
        inv[u * 4 + u] = 1.0;
    }
    let mut singular = false;
    for col in 0..4 {
        let mut piv = col;
        let mut big = jtj[col * 4 + col].abs();
        for r in col + 1..4 {
            if jtj[r * 4 + col].abs() > big {
                big = jtj[r * 4 + col].abs();
                piv = r;
            }
        }
        if !(big > 1.0e-300) {
            singular = true;
            break;
        }
        if piv != col {
            for v in 0..4 {
                let t = jtj[col * 4 + v];
                jtj[col * 4 + v] = jtj[piv * 4 + v];
                jtj[piv * 4 + v] = t;
                let t2 = inv[col * 4 + v];
                inv[col * 4 + v] = inv[piv * 4 + v];
                inv[piv * 4 + v] = t2;
            }
        }
        let pv = jtj[col * 4 + col];
        for v in 0..4 {
            jtj[col * 4 + v] /= pv;
            inv[col * 4 + v] /= pv;
        }
        for r in 0..4 {
            if r != col {
                let m = jtj[r * 4 + col];
                for v in 0..4 {
                    jtj[r * 4 + v] -= m * jtj[col * 4 + v];
                    inv[r * 4 + v] -= m * inv[col * 4 + v];
                }
            }
        }
    }
    let span = 6.0;
    let mut wf = f64::INFINITY;
    let mut wd = f64::INFINITY;
    let mut wl = f64::INFINITY;
    if !singular {
        wf = span * (s2 * inv[5]).max(0.0).sqrt();
        wd = span * (s2 * inv[10]).max(0.0).sqrt();
        wl = span * (s2 * inv[15]).max(0.0).sqrt() / dsc;
        if !wf.is_finite() {
            wf = f64::INFINITY;
        }
        if !wd.is_finite() {
            wd = f64::INFINITY;
        }
        if !wl.is_finite() {
            wl = f64::INFINITY;
        }
    }
    // Floors: a box never narrower than these (noise-free data give zero widths).
    wf = wf.max(1.0e-9);
    wd = wd.max(1.0e-12);
    wl = wl.max(1.0e-9);
    let f_lo = (fc - wf).max(lower[1]);
    let f_hi = (fc + wf).min(upper[1]);
    let d_lo = (dc - wd).max(lower[2]);
    let d_hi = (dc + wd).min(upper[2]);
    let l_lo = (dsc.ln() - wl).max(lower[3].max(1.0e-12).ln());
    let l_hi = (dsc.ln() + wl).min(upper[3].max(1.0e-12).ln());
    let m = nodes.max(1);
    let hf = (f_hi - f_lo).max(0.0) / m as f64;
    let hd = (d_hi - d_lo).max(0.0) / m as f64;
    let hl = (l_hi - l_lo).max(0.0) / m as f64;
    let half = 0.5 * (n as f64 - 1.0);
    let floor = 1.0e-24 * yy + 1.0e-300;
    // The log posterior at the centre, the reference that keeps the weights in range.
    let mut gg0 = 0.0;
    for k in 0..n {
        let g = fc * (-b[k] * dsc).exp() + (1.0 - fc) * (-b[k] * dc).exp();
        gg0 += g * g;
    }
    let lp0 = -0.5 * gg0.ln() - half * rss_c.max(floor).ln() - dsc.ln();
    let (mut w, mut ms, mut mss, mut mf, mut mff, mut md, mut mdd, mut mx, mut mxx, mut mfx) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut s0var = 0.0;
    let n3 = if n > 3 { (n - 3) as f64 } else { 1.0 };
    for i in 0..m {
        let d = d_lo + (i as f64 + 0.5) * hd;
        for j in 0..m {
            let ds = (l_lo + (j as f64 + 0.5) * hl).exp();
            // Sums over the samples of c1 = e^{-bD}, c2 = e^{-bD*} - e^{-bD} and y.
            let (mut a11, mut a12, mut a22, mut a1y, mut a2y) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for k in 0..n {
                let c1 = (-b[k] * d).exp();
                let c2 = (-b[k] * ds).exp() - c1;
                a11 += c1 * c1;
                a12 += c1 * c2;
                a22 += c2 * c2;
                a1y += c1 * y[k];
                a2y += c2 * y[k];
            }
            let lprior = -ds.ln();
            for q in 0..m {
                let f = f_lo + (q as f64 + 0.5) * hf;
                let gg = a11 + 2.0 * f * a12 + f * f * a22;
                let gy = a1y + f * a2y;
                if gg > 0.0 {
                    let rss = (yy - gy * gy / gg).max(floor);
                    let lp = -0.5 * gg.ln() - half * rss.ln() + lprior;
                    let wt = (lp - lp0).exp();
                    let s0 = (gy / gg).max(lower[0]).min(upper[0]);
                    w += wt;
                    ms += wt * s0;
                    mss += wt * s0 * s0;
                    s0var += wt * rss / (n3 * gg);
                    mf += wt * f;
                    mff += wt * f * f;
                    md += wt * d;
                    mdd += wt * d * d;
                    mx += wt * ds;
                    mxx += wt * ds * ds;
                    mfx += wt * f * ds;
                }
            }
        }
    }
    if !(w > 0.0 && w.is_finite()) {
        return 3.0;
    }
    let es = ms / w;
    let ef = mf / w;
    let ed = md / w;
    let ex = mx / w;
    mean[0] = es;
    mean[1] = ef;
    mean[2] = ed;
    mean[3] = ex;
    mean[4] = mfx / w;
    sd[0] = (mss / w - es * es + s0var / w).max(0.0).sqrt();
    sd[1] = (mff / w - ef * ef).max(0.0).sqrt();
    sd[2] = (mdd / w - ed * ed).max(0.0).sqrt();
    sd[3] = (mxx / w - ex * ex).max(0.0).sqrt();
    1.0
}
