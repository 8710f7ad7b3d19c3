//! Data-driven initial values: every model of this module written as a *linear* least-squares
//! problem in integrals of the data (Murase, MRM 2004, for the Tofts models; Flouri, Lesnic &
//! Sourbron, MRM 2016, 76:998, for the two-compartment models), solved per voxel, for a grid
//! of arterial delays, keeping the delay of least residual.
//!
//! With `I1 x = integral_0^t x` and `I2 x = integral_0^t I1 x` (trapezoid rule on the sample
//! grid, minutes) and `cp` the (delayed) plasma curve, the impulse responses of the models
//! turn into linear relations (zero initial conditions):
//!
//! | model | linear form | unknowns |
//! |---|---|---|
//! | Patlak | `Ct = vp cp + PS I1 cp` | `vp, PS` |
//! | Tofts | `Ct = Ktrans I1 cp - kep I1 Ct` | `Ktrans, kep` |
//! | extended Tofts | `Ct = vp cp + (Ktrans + kep vp) I1 cp - kep I1 Ct` | `vp, Ktrans + kep vp, kep` |
//! | 2CUM | `Ct = -K I1 Ct + F I1 cp + F PS / vp I2 cp`, `K = (F + PS) / vp` | `K, F, F PS / vp` |
//! | 2CXM | `Ct = -T I1 Ct - D I2 Ct + F I1 cp + F B I2 cp` | `T, D, F, F B` |
//!
//! (2CXM: `T = (F + PS) / vp + PS / ve`, `D = F PS / (vp ve)`, `B = PS / vp + PS / ve`,
//! `F` = Fp in /min; so `vp = F / (T - B)`, `PS / ve = D / (T - B)`, `PS = vp (B - PS / ve)`.)
//! The least-squares problems are solved by a streaming Givens QR (no normal equations), so a
//! voxel holds O(m^2) numbers for m <= 4 unknowns. The parameters are mapped back and clamped
//! into the model's default bounds; a value that cannot be recovered (a singular problem, a
//! non-finite or non-physical combination) falls back to the model's default start.
//!
//! The integral form is biased by noise (the integrated data are regressors), so these values
//! are starting points for the non-linear fit, not estimates to report. Stack the returned
//! columns with [`stack_params`](super::stack_params) and pass them to
//! `fitter(..).init(values)`.

use osipy_kernels::xp_kernel;

/// Adds the row `row[0..m]` with right-hand side `y` to a least-squares problem held as its
/// QR factor: `r` (m x m upper triangle, row-major, at least m*m long) and `qty` (`Q^T y`, at
/// least m long), by Givens rotations. `row` is overwritten. Returns the square of the part of
/// `y` that the rows so far cannot explain; summed over the rows it is the residual sum of
/// squares of the least-squares solution.
#[xp_kernel]
pub fn qr_add_row(r: &mut [f64], qty: &mut [f64], row: &mut [f64], y: f64, m: usize) -> f64 {
    let mut yy = y;
    for k in 0..m {
        let xk = row[k];
        if xk == 0.0 {
            continue;
        }
        let rkk = r[k * m + k];
        let h = (rkk * rkk + xk * xk).sqrt();
        let c = rkk / h;
        let s = xk / h;
        r[k * m + k] = h;
        for jj in (k + 1)..m {
            let rkj = r[k * m + jj];
            let xj = row[jj];
            r[k * m + jj] = c * rkj + s * xj;
            row[jj] = c * xj - s * rkj;
        }
        let q = qty[k];
        qty[k] = c * q + s * yy;
        yy = c * yy - s * q;
    }
    yy * yy
}

/// Solves `R beta = qty` (the `m` unknowns of a problem built by [`qr_add_row`](fn@qr_add_row)) into `beta`.
/// Returns false, leaving `beta` partly written, when a diagonal of `R` is not above `1e-12`
/// times the largest (the columns are linearly dependent on these data).
#[xp_kernel]
pub fn qr_solve(r: &[f64], qty: &[f64], m: usize, beta: &mut [f64]) -> bool {
    let mut dmax: f64 = 0.0;
    for k in 0..m {
        dmax = dmax.max(r[k * m + k].abs());
    }
    for kk in 0..m {
        let k = m - 1 - kk;
        let d = r[k * m + k];
        if d.is_nan() || d.abs() <= 1e-12 * dmax {
            return false;
        }
        let mut s = qty[k];
        for jj in (k + 1)..m {
            s -= r[k * m + jj] * beta[jj];
        }
        beta[k] = s / d;
    }
    true
}

/// The linear least-squares problem of one model (`form`: 0 Patlak, 1 Tofts, 2 extended
/// Tofts, 3 2CUM, 4 2CXM; columns as in the [module docs](self)) for the tissue curve `ct`
/// and the plasma curve `cp` (mM, at `t` in s) delayed by `delay` (s). Writes the unknowns
/// into `beta` (at least 4 long) and returns the residual sum of squares (mM^2), or NaN when
/// the problem is singular, `form` is unknown or the data are not finite.
#[xp_kernel]
pub fn linear_form_fit(t: &[f64], cp: &[f64], ct: &[f64], delay: f64, form: u32, beta: &mut [f64]) -> f64 {
    let n = ct.len();
    let m = if form == 0 || form == 1 {
        2
    } else if form == 2 || form == 3 {
        3
    } else if form == 4 {
        4
    } else {
        0
    };
    if n == 0 || m == 0 {
        return f64::NAN;
    }
    let mut r = [0.0; 16];
    let mut qty = [0.0; 4];
    let mut row = [0.0; 4];
    let mut rss = 0.0;
    let mut i1cp = 0.0;
    let mut i2cp = 0.0;
    let mut i1ct = 0.0;
    let mut i2ct = 0.0;
    let mut j = super::convolution::interval_from(t, n, t[0] - delay, 0);
    let mut prev = super::convolution::plasma_at(t, cp, n, t[0] - delay, j);
    for i in 0..n {
        let mut cur = prev;
        if i > 0 {
            let x = t[i] - delay;
            j = super::convolution::interval_from(t, n, x, j);
            cur = super::convolution::plasma_at(t, cp, n, x, j);
            let dt = (t[i] - t[i - 1]) / 60.0;
            let i1cp_new = i1cp + 0.5 * dt * (prev + cur);
            i2cp += 0.5 * dt * (i1cp + i1cp_new);
            i1cp = i1cp_new;
            let i1ct_new = i1ct + 0.5 * dt * (ct[i - 1] + ct[i]);
            i2ct += 0.5 * dt * (i1ct + i1ct_new);
            i1ct = i1ct_new;
        }
        if form == 0 {
            row[0] = cur;
            row[1] = i1cp;
        } else if form == 1 {
            row[0] = i1cp;
            row[1] = -i1ct;
        } else if form == 2 {
            row[0] = cur;
            row[1] = i1cp;
            row[2] = -i1ct;
        } else if form == 3 {
            row[0] = -i1ct;
            row[1] = i1cp;
            row[2] = i2cp;
        } else {
            row[0] = -i1ct;
            row[1] = -i2ct;
            row[2] = i1cp;
            row[3] = i2cp;
        }
        rss += qr_add_row(&mut r, &mut qty, &mut row, ct[i], m);
        prev = cur;
    }
    if !rss.is_finite() || !qr_solve(&r, &qty, m, beta) {
        return f64::NAN;
    }
    rss
}

/// `v` clamped into `[lo, hi]`, or `fallback` when `v` is not finite.
#[xp_kernel]
pub fn clamp_or(v: f64, lo: f64, hi: f64, fallback: f64) -> f64 {
    if v.is_finite() {
        v.max(lo).min(hi)
    } else {
        fallback
    }
}

/// Solves the linear form `form` for every delay of `delays` (s; an empty row means `[0]`)
/// and keeps the unknowns and delay of least residual. Returns `(beta0..beta3, delay, rss)`;
/// all NaN (delay 0) when no delay gave a solution.
#[xp_kernel]
pub fn best_linear_form(
    t: &[f64],
    cp: &[f64],
    ct: &[f64],
    delays: &[f64],
    form: u32,
) -> (f64, f64, f64, f64, f64, f64) {
    let mut best = [f64::NAN; 4];
    let mut best_rss = f64::NAN;
    let mut best_delay = 0.0;
    let nd = if delays.is_empty() { 1 } else { delays.len() };
    for q in 0..nd {
        let d = if delays.is_empty() { 0.0 } else { delays[q] };
        let mut beta = [0.0; 4];
        let rss = linear_form_fit(t, cp, ct, d, form, &mut beta);
        if rss.is_finite() && (best_rss.is_nan() || rss < best_rss) {
            best_rss = rss;
            best_delay = d;
            for k in 0..4 {
                best[k] = beta[k];
            }
        }
    }
    (best[0], best[1], best[2], best[3], best_delay, best_rss)
}

/// Initial values for [`patlak`](fn@super::patlak) / [`patlak_delay`](fn@super::patlak_delay) from
/// the linear form (exact least squares for Patlak) on a grid of arterial delays.
///
/// `t` (s), `cp` (**plasma**, mM), `ct` (tissue, mM, one row per voxel), `delays` (s; empty:
/// no delay). Returns `(ps /min, vp, delay s, rss mM^2)` per voxel, `ps` and `vp` clamped into
/// the model's bounds.
#[xp_kernel]
pub fn patlak_init(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    ct: &[f64],
    #[uniform] delays: &[f64],
) -> (f64, f64, f64, f64) {
    let (b0, b1, _b2, _b3, d, rss) = best_linear_form(t, cp, ct, delays, 0);
    (clamp_or(b1, 0.0, 5.0, 0.6), clamp_or(b0, 0.0, 1.0, 0.01), d, rss)
}

/// Initial values for [`tofts`](fn@super::tofts) / [`tofts_delay`](fn@super::tofts_delay) from the
/// linear form on a grid of arterial delays.
///
/// Inputs as [`patlak_init`](fn@patlak_init). Returns `(ktrans /min, ve, delay s, rss mM^2)`, clamped into
/// the model's bounds (defaults 0.6 and 0.2 where not recoverable).
#[xp_kernel]
pub fn tofts_init(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    ct: &[f64],
    #[uniform] delays: &[f64],
) -> (f64, f64, f64, f64) {
    let (ktrans, kep, _b2, _b3, d, rss) = best_linear_form(t, cp, ct, delays, 1);
    let ve = if kep > 0.0 { ktrans / kep } else { f64::NAN };
    (
        clamp_or(ktrans, 0.0, 5.0, 0.6),
        clamp_or(ve, 1e-4, 1.0, 0.2),
        d,
        rss,
    )
}

/// Initial values for [`extended_tofts`](fn@super::extended_tofts) /
/// [`extended_tofts_delay`](fn@super::extended_tofts_delay) from the linear form on a grid of
/// arterial delays.
///
/// Inputs as [`patlak_init`](fn@patlak_init). Returns `(ktrans /min, ve, vp, delay s, rss mM^2)`, clamped
/// into the model's bounds.
#[xp_kernel]
pub fn extended_tofts_init(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    ct: &[f64],
    #[uniform] delays: &[f64],
) -> (f64, f64, f64, f64, f64) {
    let (vp, b1, kep, _b3, d, rss) = best_linear_form(t, cp, ct, delays, 2);
    let ktrans = b1 - kep * vp;
    let ve = if kep > 0.0 { ktrans / kep } else { f64::NAN };
    (
        clamp_or(ktrans, 0.0, 5.0, 0.6),
        clamp_or(ve, 1e-4, 1.0, 0.2),
        clamp_or(vp, 0.0, 1.0, 0.01),
        d,
        rss,
    )
}

/// Initial values for [`two_cum`](fn@super::two_cum) / [`two_cum_delay`](fn@super::two_cum_delay)
/// from the linear form on a grid of arterial delays.
///
/// Inputs as [`patlak_init`](fn@patlak_init). Returns `(fp ml/100ml/min, ps /min, vp, delay s, rss mM^2)`,
/// clamped into the model's bounds.
#[xp_kernel]
pub fn two_cum_init(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    ct: &[f64],
    #[uniform] delays: &[f64],
) -> (f64, f64, f64, f64, f64) {
    let (k, f, fg, _b3, d, rss) = best_linear_form(t, cp, ct, delays, 3);
    let g = if f > 0.0 { fg / f } else { f64::NAN };
    let vp = if k - g > 0.0 { f / (k - g) } else { f64::NAN };
    let ps = g * vp;
    (
        clamp_or(100.0 * f, 1e-3, 200.0, 20.0),
        clamp_or(ps, 0.0, 5.0, 0.6),
        clamp_or(vp, 1e-4, 1.0, 0.01),
        d,
        rss,
    )
}

/// Initial values for [`two_cxm`](fn@super::two_cxm) / [`two_cxm_delay`](fn@super::two_cxm_delay)
/// from the linear form on a grid of arterial delays.
///
/// Inputs as [`patlak_init`](fn@patlak_init). Returns `(fp ml/100ml/min, ps /min, ve, vp, delay s,
/// rss mM^2)`, clamped into the model's bounds.
#[xp_kernel]
pub fn two_cxm_init(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    ct: &[f64],
    #[uniform] delays: &[f64],
) -> (f64, f64, f64, f64, f64, f64) {
    let (tt, dd, f, fb, d, rss) = best_linear_form(t, cp, ct, delays, 4);
    let b = if f > 0.0 { fb / f } else { f64::NAN };
    let vp = if tt - b > 0.0 { f / (tt - b) } else { f64::NAN };
    let g = if tt - b > 0.0 { dd / (tt - b) } else { f64::NAN };
    let ps = vp * (b - g);
    let ve = if g > 0.0 { ps / g } else { f64::NAN };
    (
        clamp_or(100.0 * f, 1e-3, 200.0, 20.0),
        clamp_or(ps, 0.0, 5.0, 0.6),
        clamp_or(ve, 1e-4, 1.0, 0.2),
        clamp_or(vp, 1e-4, 1.0, 0.01),
        d,
        rss,
    )
}
