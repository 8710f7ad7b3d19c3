//! The model as a user writes it: extended Tofts with an exact recursive convolution of a
//! piecewise-linear plasma curve, for any time grid. The segment coefficients depend only on
//! `kep` and the step, so they are recomputed only when the step changes.

use osipy_kernels::xp_kernel;

/// Extended Tofts: `ct = vp cp + ktrans (cp * exp(-kep t))`, `kep = ktrans / ve`; `t` in
/// seconds, `cp` in mM, Ktrans in /min.
/// (Only its generated fitter is used here; the function stays as the single-voxel reference.)
#[xp_kernel(model)]
#[allow(dead_code)]
pub fn ext_tofts(
    #[uniform] t: &[f64],
    #[uniform] cp: &[f64],
    #[param(init = 0.1, lower = 1e-5, upper = 5.0)] ktrans: f64,
    #[param(init = 0.3, lower = 1e-3, upper = 1.0)] ve: f64,
    #[param(init = 0.05, lower = 0.0, upper = 1.0)] vp: f64,
    ct: &mut [f64],
) {
    let kep = ktrans / ve;
    ct[0] = vp * cp[0];
    let mut f = 0.0;
    let mut dt_prev = -1.0;
    let mut e = 0.0;
    let mut c1 = 0.0;
    let mut c2 = 0.0;
    for i in 1..ct.len() {
        let dt = (t[i] - t[i - 1]) / 60.0;
        if dt != dt_prev {
            // The integral over the step of a linear cp from a to b against exp(-kep (t_i - s))
            // is c1 a + c2 (b - a).
            let x = kep * dt;
            e = (-x).exp();
            if x > 1e-3 {
                let ik = 1.0 / kep;
                c1 = (1.0 - e) * ik;
                c2 = ik - (1.0 - e) * ik * ik / dt;
            } else {
                c1 = dt * (1.0 + x * (-0.5 + x * (1.0 / 6.0 - x / 24.0)));
                c2 = dt * (0.5 + x * (-1.0 / 6.0 + x * (1.0 / 24.0 - x / 120.0)));
            }
            dt_prev = dt;
        }
        let a = cp[i - 1];
        f = e * f + (c1 * a + c2 * (cp[i] - a));
        ct[i] = vp * cp[i] + ktrans * f;
    }
}
