//! The segmented IVIM fits: D from the log-linear slope above the b threshold, then f and D*
//! (three steps: f from the intercept and D* by Gauss-Newton; two steps: S0, f and D* by
//! variable projection over D*).

// `!(x > 0.0)` is meant: it is true for NaN as well. Slices have no `swap` in the kernel
// language.
#![allow(clippy::neg_cmp_op_on_partial_ord, clippy::manual_swap)]

use osipy_kernels::xp_kernel;

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
