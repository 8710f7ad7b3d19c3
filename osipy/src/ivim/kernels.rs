//! The per-voxel IVIM kernels: the bi-exponential model and its noise-floor variant (fit
//! models), the preparation of a voxel's samples (directions combined, normalised to b = 0,
//! the Rician correction), the segmented fits and the Bayesian posterior by quadrature.
//!
//! Parameter order everywhere: `[s0, f, d, dstar]` (S0 relative to the mean b = 0 signal; f a
//! fraction; D and D* in mm²/s).

// `!(x > 0.0)` is meant: it is true for NaN as well. Slices have no `swap` in the kernel
// language.
#![allow(clippy::neg_cmp_op_on_partial_ord, clippy::manual_swap)]

use osipy_kernels::xp_kernel;

/// The IVIM signal on the b-values `b` (s/mm²): `s0 (f e^{-b D*} + (1 - f) e^{-b D})`.
///
/// Default bounds (relative S0, as the pipeline fits samples normalised to b = 0): `s0`
/// [0.5, 1.5], `f` [0, 1], `d` [0, 5e-3] mm²/s, `dstar` [5e-3, 0.2] mm²/s (the OSIPI IVIM
/// collection's fit bounds for f, D and D*; D* above D so the two never swap).
#[xp_kernel(model, samples = b)]
pub fn ivim(
    #[uniform] b: &[f64],
    #[param(init = 1.0, lower = 0.5, upper = 1.5)] s0: f64,
    #[param(init = 0.1, lower = 0.0, upper = 1.0)] f: f64,
    #[param(init = 1.0e-3, lower = 0.0, upper = 5.0e-3)] d: f64,
    #[param(init = 2.0e-2, lower = 5.0e-3, upper = 0.2)] dstar: f64,
    pred: &mut [f64],
) {
    for k in 0..pred.len() {
        pred[k] = s0 * (f * (-b[k] * dstar).exp() + (1.0 - f) * (-b[k] * d).exp());
    }
}

/// The IVIM signal seen through a Rician noise floor: `sqrt(S(b)² + 2 sigma²)` with `S` as in
/// [`ivim`](fn@ivim) and `sigma` the noise SD of each channel of the voxel (relative to its
/// b = 0 signal, like the samples): the root of the expected squared magnitude.
#[xp_kernel(model, samples = b)]
pub fn ivim_floor(
    #[uniform] b: &[f64],
    sigma: f64,
    #[param(init = 1.0, lower = 0.5, upper = 1.5)] s0: f64,
    #[param(init = 0.1, lower = 0.0, upper = 1.0)] f: f64,
    #[param(init = 1.0e-3, lower = 0.0, upper = 5.0e-3)] d: f64,
    #[param(init = 2.0e-2, lower = 5.0e-3, upper = 0.2)] dstar: f64,
    pred: &mut [f64],
) {
    let floor = 2.0 * sigma * sigma;
    for k in 0..pred.len() {
        let s = s0 * (f * (-b[k] * dstar).exp() + (1.0 - f) * (-b[k] * d).exp());
        pred[k] = (s * s + floor).sqrt();
    }
}

/// One voxel's samples made ready for the fits: the volumes `s` (one per entry of `group`,
/// the index of its b-value in `y`) combined per b-value, the b = 0 group (index
/// `b0_group`) by its arithmetic mean, every other group by the geometric mean of its
/// directions (the trace-weighted signal), then (with `normalise` true) divided by the b = 0
/// mean, which is returned in `scale` (1 without). With `two_sigma2` > 0 each sample is first corrected for the Rician bias,
/// `sqrt(max(s² - 2 sigma², (s / 10)²))`.
///
/// Returns the status: 1 ok, 4 a sample NaN or infinite, 5 a sample (or the b = 0 mean)
/// zero or negative; `y` is NaN then.
#[xp_kernel]
pub fn ivim_prepare(
    #[uniform] group: &[f64],
    #[uniform] b0_group: f64,
    #[uniform] two_sigma2: f64,
    #[uniform] normalise: bool,
    s: &[f64],
    y: &mut [f64],
    scale: &mut f64,
) -> f64 {
    let mut status = 1.0;
    for k in 0..s.len() {
        if !s[k].is_finite() {
            status = 4.0;
        } else if s[k] <= 0.0 && status == 1.0 {
            status = 5.0;
        }
    }
    if status != 1.0 {
        for g in 0..y.len() {
            y[g] = f64::NAN;
        }
        *scale = f64::NAN;
        return status;
    }
    for g in 0..y.len() {
        let mut acc = 0.0;
        let mut logs = 0.0;
        let mut n = 0.0;
        let is_b0 = g as f64 == b0_group;
        for k in 0..s.len() {
            if group[k] == g as f64 {
                let mut v = s[k];
                if two_sigma2 > 0.0 {
                    v = (v * v - two_sigma2).max(0.01 * v * v).sqrt();
                }
                if n == 0.0 {
                    acc = v;
                } else {
                    if !is_b0 && n == 1.0 {
                        logs = acc.ln();
                    }
                    acc += v;
                    if !is_b0 {
                        logs += v.ln();
                    }
                }
                n += 1.0;
            }
        }
        // One volume: itself; several: their mean (b = 0) or geometric mean.
        if n <= 1.0 {
            y[g] = acc;
        } else if is_b0 {
            y[g] = acc / n;
        } else {
            y[g] = (logs / n).exp();
        }
    }
    let g0 = b0_group as usize;
    let s0 = y[g0];
    if !(s0 > 0.0 && s0.is_finite()) {
        for g in 0..y.len() {
            y[g] = f64::NAN;
        }
        *scale = f64::NAN;
        return 5.0;
    }
    if normalise {
        for g in 0..y.len() {
            y[g] /= s0;
        }
        *scale = s0;
    } else {
        *scale = 1.0;
    }
    1.0
}

/// The sum of squared residuals of `y` against `s0 ((1 - f) e^{-b d} + f e^{-b dstar})`.
#[xp_kernel]
pub fn ivim_rss(b: &[f64], y: &[f64], s0: f64, f: f64, d: f64, dstar: f64) -> f64 {
    let mut rss = 0.0;
    for k in 0..y.len() {
        let r = y[k] - s0 * ((1.0 - f) * (-b[k] * d).exp() + f * (-b[k] * dstar).exp());
        rss += r * r;
    }
    rss
}

/// With D fixed, the best `(s0, f)` for a given D* (variable projection: the signal is
/// linear in `a = s0 f` and `c = s0 (1 - f)`), and its sum of squared residuals:
/// `(rss, s0, f)`. A singular system gives an infinite rss.
#[xp_kernel]
pub fn ivim_two_step_at(b: &[f64], y: &[f64], d: f64, dstar: f64) -> (f64, f64, f64) {
    let (mut pp, mut pq, mut qq, mut py, mut qy, mut yy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for k in 0..y.len() {
        let p = (-b[k] * dstar).exp();
        let q = (-b[k] * d).exp();
        pp += p * p;
        pq += p * q;
        qq += q * q;
        py += p * y[k];
        qy += q * y[k];
        yy += y[k] * y[k];
    }
    let det = pp * qq - pq * pq;
    if !(det > 1.0e-14 * pp * qq) {
        return (f64::INFINITY, f64::NAN, f64::NAN);
    }
    let a = (qq * py - pq * qy) / det;
    let c = (pp * qy - pq * py) / det;
    let rss = (yy - a * py - c * qy).max(0.0);
    let s0 = a + c;
    (rss, s0, a / s0)
}

/// The cost of D* = `exp(x)` in the last step of [`ivim_segmented`](fn@ivim_segmented): the
/// residual with S0, f and D fixed (`steps` = 3) or with S0 and f at their best (2).
#[xp_kernel]
pub fn ivim_dstar_cost(b: &[f64], y: &[f64], steps: u32, s0: f64, f: f64, d: f64, x: f64) -> f64 {
    if steps == 2 {
        let (rss, _, _) = ivim_two_step_at(b, y, d, x.exp());
        rss
    } else {
        ivim_rss(b, y, s0, f, d, x.exp())
    }
}

/// The last step of the three-step segmented fit: `ln D*` by Gauss-Newton on the residual
/// `y - s0 (1 - f) e^{-b d}` against `s0 f e^{-b D*}` (S0, f and D fixed), started from the
/// log-linear slope of that residual over the samples with `0 < b < threshold`; each step is
/// halved until the cost falls (at most 4 times), `iterations` steps at most (fewer when a
/// step moves `ln D*` by less than 1e-7), inside `[lo, hi]`. Returns `ln D*`.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn ivim_dstar_gauss_newton(
    b: &[f64],
    y: &[f64],
    threshold: f64,
    s0: f64,
    f: f64,
    d: f64,
    lo: f64,
    hi: f64,
    iterations: u32,
) -> f64 {
    let a = s0 * f;
    let c = s0 * (1.0 - f);
    let ulo = lo.max(1.0e-12).ln();
    let uhi = hi.max(lo.max(1.0e-12)).ln();
    // The start: the log-linear slope of the residual at low b.
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for k in 0..y.len() {
        if b[k] > 0.0 && b[k] < threshold && a > 0.0 {
            let r = (y[k] - c * (-b[k] * d).exp()) / a;
            if r > 0.0 {
                let v = r.ln();
                n += 1.0;
                sx += b[k];
                sy += v;
                sxx += b[k] * b[k];
                sxy += b[k] * v;
            }
        }
    }
    let den = n * sxx - sx * sx;
    let mut u = (0.5 * (ulo + uhi)).max(ulo).min(uhi);
    if n >= 2.0 && den > 0.0 {
        let slope = (n * sxy - sx * sy) / den;
        if -slope > 0.0 {
            u = (-slope).ln().max(ulo).min(uhi);
        }
    }
    if !(a > 0.0) {
        return u;
    }
    // Cost, gradient and Gauss-Newton curvature in u = ln D* at the current point.
    let mut cost = 0.0;
    let mut g = 0.0;
    let mut h = 0.0;
    let ds = u.exp();
    for k in 0..y.len() {
        let es = (-b[k] * ds).exp();
        let r = y[k] - c * (-b[k] * d).exp() - a * es;
        let j = -a * b[k] * ds * es;
        cost += r * r;
        g += j * r;
        h += j * j;
    }
    for _ in 0..iterations {
        if !(h > 0.0) {
            break;
        }
        let mut step = g / h;
        let mut accepted = false;
        for _ in 0..5 {
            let un = (u + step).max(ulo).min(uhi);
            if un == u {
                break;
            }
            let dn = un.exp();
            let (mut cn, mut gn, mut hn) = (0.0, 0.0, 0.0);
            for k in 0..y.len() {
                let es = (-b[k] * dn).exp();
                let r = y[k] - c * (-b[k] * d).exp() - a * es;
                let j = -a * b[k] * dn * es;
                cn += r * r;
                gn += j * r;
                hn += j * j;
            }
            if cn < cost {
                let moved = (un - u).abs();
                u = un;
                cost = cn;
                g = gn;
                h = hn;
                accepted = moved > 1.0e-7;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    u
}

/// The segmented fit of one voxel's normalised samples `y` at `b` (s/mm²), into `p` =
/// `[s0, f, d, dstar]`:
///
/// 1. D: the log-linear least-squares slope of the samples with `b >= threshold` (where the
///    pseudo-diffusion has decayed), clamped to its bounds; the line's intercept `A` follows
///    with D;
/// 2. `steps` = 3: S0 the mean of the b = 0 samples, `f = 1 - A / S0`, then D* alone (S0, f
///    and D fixed); `steps` = 2: S0, f and D* together with D fixed (S0 and f are linear
///    given D*, so this is a search over D* alone too);
/// 3. D*: least squares over every sample; three steps: Gauss-Newton in `ln D*` from the
///    log-linear slope of the low-b residual
///    ([`ivim_dstar_gauss_newton`](fn@ivim_dstar_gauss_newton)); `steps` = 1: three steps
///    with that slope alone (the full fit's start); two steps: a grid of 24
///    points log-spaced over its bounds and a golden-section search (40 steps) around the
///    best one.
///
/// `lower` and `upper` hold the bounds in the same order; each result is clamped to them.
/// Returns the status: 1 ok, 3 fewer than two usable samples above the threshold or a
/// non-finite result (NaN parameters), 4 non-finite data.
#[xp_kernel]
pub fn ivim_segmented(
    #[uniform] b: &[f64],
    #[uniform] threshold: f64,
    #[uniform] steps: u32,
    #[uniform] lower: &[f64],
    #[uniform] upper: &[f64],
    y: &[f64],
    p: &mut [f64],
) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut n0, mut s0sum) = (0.0, 0.0);
    let mut finite = true;
    for k in 0..y.len() {
        if !y[k].is_finite() {
            finite = false;
        }
        if b[k] >= threshold && y[k] > 0.0 {
            let v = y[k].ln();
            n += 1.0;
            sx += b[k];
            sy += v;
            sxx += b[k] * b[k];
            sxy += b[k] * v;
        }
        if b[k] == 0.0 {
            n0 += 1.0;
            s0sum += y[k];
        }
    }
    if !finite {
        for a in 0..4 {
            p[a] = f64::NAN;
        }
        return 4.0;
    }
    let den = n * sxx - sx * sx;
    if n < 2.0 || !(den > 0.0) {
        for a in 0..4 {
            p[a] = f64::NAN;
        }
        return 3.0;
    }
    let slope = (n * sxy - sx * sy) / den;
    let d = (-slope).max(lower[2]).min(upper[2]);
    // The intercept of the line of slope -d through the mean point.
    let intercept = ((sy + d * sx) / n).exp();
    let s0_data = if n0 > 0.0 { s0sum / n0 } else { y[0] };
    let mut s0 = s0_data.max(lower[0]).min(upper[0]);
    let mut f = (1.0 - intercept / s0_data).max(lower[1]).min(upper[1]);

    let x = if steps == 2 {
        // D*: a grid in log D*, then a golden-section search around the best node.
        let lo = lower[3].max(1.0e-12).ln();
        let hi = upper[3].max(lower[3].max(1.0e-12)).ln();
        const NODES: u32 = 24;
        let h = (hi - lo) / (NODES - 1) as f64;
        let mut best = f64::INFINITY;
        let mut best_x = lo;
        for j in 0..NODES {
            let x = lo + j as f64 * h;
            let r = ivim_dstar_cost(b, y, steps, s0, f, d, x);
            if r < best {
                best = r;
                best_x = x;
            }
        }
        let mut a = (best_x - h).max(lo);
        let mut c = (best_x + h).min(hi);
        let g = 0.5 * (5.0f64.sqrt() - 1.0);
        let mut x1 = c - g * (c - a);
        let mut x2 = a + g * (c - a);
        let mut f1 = ivim_dstar_cost(b, y, steps, s0, f, d, x1);
        let mut f2 = ivim_dstar_cost(b, y, steps, s0, f, d, x2);
        for _ in 0..40 {
            if f1 <= f2 {
                c = x2;
                x2 = x1;
                f2 = f1;
                x1 = c - g * (c - a);
                f1 = ivim_dstar_cost(b, y, steps, s0, f, d, x1);
            } else {
                a = x1;
                x1 = x2;
                f1 = f2;
                x2 = a + g * (c - a);
                f2 = ivim_dstar_cost(b, y, steps, s0, f, d, x2);
            }
        }
        let mut xb = if f1 <= f2 { x1 } else { x2 };
        if best < f1.min(f2) {
            xb = best_x;
        }
        xb
    } else {
        let iterations = if steps == 1 { 0 } else { 12 };
        ivim_dstar_gauss_newton(b, y, threshold, s0, f, d, lower[3], upper[3], iterations)
    };
    let dstar = x.exp().max(lower[3]).min(upper[3]);
    if steps == 2 {
        let (_, s0b, fb) = ivim_two_step_at(b, y, d, dstar);
        if s0b.is_finite() && fb.is_finite() {
            s0 = s0b.max(lower[0]).min(upper[0]);
            f = fb.max(lower[1]).min(upper[1]);
        }
    }
    p[0] = s0;
    p[1] = f;
    p[2] = d;
    p[3] = dstar;
    if s0.is_finite() && f.is_finite() && d.is_finite() && dstar.is_finite() {
        1.0
    } else {
        3.0
    }
}

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
