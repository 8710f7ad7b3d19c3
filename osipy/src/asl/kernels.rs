//! The per-voxel kernels of ASL: the control/label subtraction (a linear combination of the
//! volumes), the M0 correction, the single-PLD equations of the ASL white paper and the
//! Buxton general kinetic model for PCASL and PASL as fit models, with their data-driven start.
//!
//! Times in s, CBF in ml/100 g/min (`f = CBF / 6000` in ml/g/s inside), M0 and ΔM in the
//! scanner's units. Nothing here fails on values: a voxel that cannot be computed gets NaN.

use osipy_kernels::xp_kernel;

/// One voxel's subtracted volumes: `out[j] = sum_k w[j n + k] s[k]` (`n = s.len()`, `w` holds
/// one row of weights per output volume). Pairwise, surround and mean subtraction, and the
/// averaging per PLD, are all such weights ([`Context::weights`](super::Context::weights)).
#[xp_kernel]
pub fn combine(#[uniform] w: &[f64], s: &[f64], out: &mut [f64]) {
    let n = s.len();
    for j in 0..out.len() {
        let mut acc = 0.0;
        for k in 0..n {
            acc += w[j * n + k] * s[k];
        }
        out[j] = acc;
    }
}

/// An M0 image value made an equilibrium magnetisation: `scale m0 / (1 - exp(-tr / t1))` for an
/// M0 scan acquired at a repetition time `tr` (s) not long against the tissue's `t1` (s);
/// `tr` <= 0 or infinite: no saturation correction (`scale m0`).
#[xp_kernel]
pub fn m0_correct(m0: f64, #[uniform] tr: f64, #[uniform] t1: f64, #[uniform] scale: f64) -> f64 {
    if tr > 0.0 && tr.is_finite() {
        scale * m0 / (1.0 - (-tr / t1).exp())
    } else {
        scale * m0
    }
}

/// Single-PLD CBF (ml/100 g/min) of the ASL white paper (Alsop et al., MRM 2015;73:102-116):
///
/// - PCASL/CASL (`pasl == 0`): `6000 λ ΔM e^{PLD/T1b} / (2 α T1b M0 (1 - e^{-τ/T1b}))`, `pld`
///   the post-labelling delay and `tau` the labelling duration (s);
/// - PASL (`pasl != 0`, QUIPSS II): `6000 λ ΔM e^{TI/T1b} / (2 α TI1 M0)`, `pld` the inversion
///   time TI and `tau` the bolus cut-off time TI1 (s).
///
/// `alpha` is the labelling efficiency times the background-suppression efficiency, `lambda`
/// the partition coefficient (ml/g), `t1b` the blood T1 (s). NaN when M0 is not finite and
/// positive or ΔM is not finite.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn single_pld(
    dm: f64,
    m0: f64,
    pld: f64,
    #[uniform] tau: f64,
    #[uniform] t1b: f64,
    #[uniform] alpha: f64,
    #[uniform] lambda: f64,
    #[uniform] pasl: u32,
) -> f64 {
    if !(m0 > 0.0 && m0.is_finite() && dm.is_finite()) {
        return f64::NAN;
    }
    if pasl != 0 {
        6000.0 * lambda * dm * (pld / t1b).exp() / (2.0 * alpha * tau * m0)
    } else {
        6000.0 * lambda * dm * (pld / t1b).exp() / (2.0 * alpha * t1b * m0 * (1.0 - (-tau / t1b).exp()))
    }
}

/// The apparent tissue T1 with outflow, `1 / (1/T1t + f/λ)` (s; `f` in ml/g/s).
#[xp_kernel]
pub fn t1_apparent(f: f64, t1t: f64, lambda: f64) -> f64 {
    1.0 / (1.0 / t1t + f / lambda)
}

/// PCASL/CASL delivery and decay at time `t` after the start of labelling (s): the
/// convolution `∫ c(u) r(t - u) m(t - u) du` of the bolus `c(u) = e^{-Δ/T1b}` on
/// `Δ < u < Δ + τ` with the outflow and decay `e^{-(t - u)/T1app}`:
///
/// - `t <= Δ`: 0;
/// - `Δ < t < Δ + τ`: `e^{-Δ/T1b} T1app (1 - e^{-(t - Δ)/T1app})`;
/// - `t >= Δ + τ`: `e^{-Δ/T1b} T1app e^{-(t - Δ - τ)/T1app} (1 - e^{-τ/T1app})`.
#[xp_kernel]
pub fn pcasl_uptake(t: f64, tau: f64, att: f64, t1b: f64, t1app: f64) -> f64 {
    if t <= att {
        0.0
    } else if t < att + tau {
        (-att / t1b).exp() * t1app * (1.0 - (-(t - att) / t1app).exp())
    } else {
        (-att / t1b).exp() * t1app * (-(t - att - tau) / t1app).exp() * (1.0 - (-tau / t1app).exp())
    }
}

/// PASL delivery and decay at the inversion time `t` (s): the bolus `c(u) = e^{-u/T1b}` on
/// `Δ < u < Δ + τ` (τ the QUIPSS II bolus cut-off TI1) convolved with `e^{-(t - u)/T1app}`:
/// `e^{-t/T1app} ∫_Δ^{min(t, Δ+τ)} e^{-k u} du` with `k = 1/T1b - 1/T1app`, that is
/// `e^{-t/T1app} e^{-kΔ} (1 - e^{-k L}) / k` (`L` the length of the interval; its series
/// `L (1 - kL/2 + (kL)²/6)` where `|kL| < 1e-4`).
#[xp_kernel]
pub fn pasl_uptake(t: f64, tau: f64, att: f64, t1b: f64, t1app: f64) -> f64 {
    if t <= att {
        return 0.0;
    }
    let end = t.min(att + tau);
    let len = end - att;
    let k = 1.0 / t1b - 1.0 / t1app;
    let x = k * len;
    let integral = if x.abs() < 1.0e-4 {
        len * (1.0 - 0.5 * x + x * x / 6.0)
    } else {
        (1.0 - (-x).exp()) / k
    };
    (-t / t1app).exp() * (-k * att).exp() * integral
}

/// The Buxton general kinetic model (Buxton et al., MRM 1998;40:383-396) for PCASL/CASL: ΔM
/// at the post-labelling delays `pld` (s; the time after the end of labelling, plus `offset`,
/// the voxel's slice delay of a 2-D multi-slice readout):
/// `2 α (M0/λ) f pcasl_uptake(τ + PLD)` with `f = cbf / 6000` (ml/g/s) and the tissue-T1
/// variant `T1app = 1/(1/T1t + f/λ)` (outflow and tissue decay after arrival).
///
/// Parameters: `cbf` (ml/100 g/min, [0, 400]) and `att` (the arterial transit time, s,
/// [0, 5]).
#[xp_kernel(model, samples = pld)]
#[allow(clippy::too_many_arguments)]
pub fn buxton_pcasl(
    #[uniform] pld: &[f64],
    m0: f64,
    offset: f64,
    #[uniform] tau: f64,
    #[uniform] t1b: f64,
    #[uniform] t1t: f64,
    #[uniform] alpha: f64,
    #[uniform] lambda: f64,
    #[param(init = 50.0, lower = 0.0, upper = 400.0)] cbf: f64,
    #[param(init = 1.2, lower = 0.0, upper = 5.0)] att: f64,
    dm: &mut [f64],
) {
    let f = cbf / 6000.0;
    let t1app = t1_apparent(f, t1t, lambda);
    let a = 2.0 * alpha * m0 / lambda * f;
    for k in 0..dm.len() {
        dm[k] = a * pcasl_uptake(tau + pld[k] + offset, tau, att, t1b, t1app);
    }
}

/// The Buxton general kinetic model for PASL with a QUIPSS II bolus cut-off `tau` (TI1, s):
/// ΔM at the inversion times `pld` (s, plus the voxel's slice delay `offset`):
/// `2 α (M0/λ) f pasl_uptake(TI)`, `T1app` as in [`buxton_pcasl`](fn@buxton_pcasl).
///
/// Parameters: `cbf` (ml/100 g/min, [0, 400]) and `att` (s, [0, 5]).
#[xp_kernel(model, samples = pld)]
#[allow(clippy::too_many_arguments)]
pub fn buxton_pasl(
    #[uniform] pld: &[f64],
    m0: f64,
    offset: f64,
    #[uniform] tau: f64,
    #[uniform] t1b: f64,
    #[uniform] t1t: f64,
    #[uniform] alpha: f64,
    #[uniform] lambda: f64,
    #[param(init = 50.0, lower = 0.0, upper = 400.0)] cbf: f64,
    #[param(init = 0.7, lower = 0.0, upper = 5.0)] att: f64,
    dm: &mut [f64],
) {
    let f = cbf / 6000.0;
    let t1app = t1_apparent(f, t1t, lambda);
    let a = 2.0 * alpha * m0 / lambda * f;
    for k in 0..dm.len() {
        dm[k] = a * pasl_uptake(pld[k] + offset, tau, att, t1b, t1app);
    }
}

/// Data-driven start of the Buxton fits for one voxel's ΔM `y` at `pld`: for 16 arrival
/// times on a grid over `[0, min(5, t_max))` (`t_max` the latest sample's time after the
/// start of labelling), CBF by linear least squares (the model is linear in CBF once the
/// apparent T1 is fixed, here at CBF 60), and the pair of least squared residual. Writes
/// (cbf, att) into `start`; NaN for a non-finite sample or an M0 that is not positive.
///
/// For PCASL the model separates into a factor per arrival time and one per sample
/// (`e^{-(t - Δ)/T1app} = e^{-t/T1app} e^{Δ/T1app}`), so the grid costs 32 + n exponentials
/// rather than 3 per grid point and sample.
#[xp_kernel]
#[allow(clippy::too_many_arguments)]
pub fn buxton_start(
    #[uniform] pld: &[f64],
    y: &[f64],
    m0: f64,
    offset: f64,
    #[uniform] tau: f64,
    #[uniform] t1b: f64,
    #[uniform] t1t: f64,
    #[uniform] alpha: f64,
    #[uniform] lambda: f64,
    #[uniform] pasl: u32,
    start: &mut [f64],
) {
    const GRID: usize = 16;
    let n = y.len();
    let mut finite = m0 > 0.0 && m0.is_finite();
    let mut t_max: f64 = 0.0;
    let mut yy = 0.0;
    for k in 0..n {
        if !y[k].is_finite() {
            finite = false;
        }
        let mut t = pld[k] + offset;
        if pasl == 0 {
            t += tau;
        }
        t_max = t_max.max(t);
        yy += y[k] * y[k];
    }
    if !finite {
        start[0] = f64::NAN;
        start[1] = f64::NAN;
        return;
    }
    let t1app = t1_apparent(0.01, t1t, lambda);
    let a = 2.0 * alpha * m0 / lambda / 6000.0;
    let hi = t_max.min(5.0);
    let mut att = [0.0; GRID];
    let mut ea = [0.0; GRID];
    let mut grow = [0.0; GRID];
    let mut gy = [0.0; GRID];
    let mut gg = [0.0; GRID];
    for j in 0..GRID {
        att[j] = hi * (j as f64) / (GRID as f64);
        ea[j] = a * t1app * (-att[j] / t1b).exp();
        grow[j] = (att[j] / t1app).exp();
    }
    let e_tau = (tau / t1app).exp() * (1.0 - (-tau / t1app).exp());
    for k in 0..n {
        if pasl == 0 {
            let t = tau + pld[k] + offset;
            let decay = (-t / t1app).exp();
            for j in 0..GRID {
                let mut g = 0.0;
                if t > att[j] {
                    if t < att[j] + tau {
                        g = ea[j] * (1.0 - decay * grow[j]);
                    } else {
                        g = ea[j] * decay * grow[j] * e_tau;
                    }
                }
                gy[j] += g * y[k];
                gg[j] += g * g;
            }
        } else {
            for j in 0..GRID {
                let g = a * pasl_uptake(pld[k] + offset, tau, att[j], t1b, t1app);
                gy[j] += g * y[k];
                gg[j] += g * g;
            }
        }
    }
    let mut best = f64::INFINITY;
    let mut best_cbf = 50.0;
    let mut best_att = 0.5 * hi;
    for j in 0..GRID {
        if gg[j] > 0.0 {
            let res = yy - gy[j] * gy[j] / gg[j];
            if res < best {
                best = res;
                best_cbf = gy[j] / gg[j];
                best_att = att[j];
            }
        }
    }
    start[0] = best_cbf.max(1.0).min(300.0);
    start[1] = best_att;
}

/// The arterial (macrovascular) bolus of PCASL/CASL at time `t` after the start of labelling
/// (s): labelled blood still in the arteries, `e^{-Δa/T1b}` while `Δa < t < Δa + τ`, with
/// logistic edges of width 0.05 s (`σ((t - Δa)/w) - σ((t - Δa - τ)/w)`, the dispersion of the
/// bolus) so that the arterial arrival `Δa` has a derivative to fit.
#[xp_kernel]
pub fn arterial_bolus(t: f64, tau: f64, atta: f64, t1b: f64) -> f64 {
    let w = 0.05;
    let rise = 1.0 / (1.0 + (-(t - atta) / w).exp());
    let fall = 1.0 / (1.0 + (-(t - atta - tau) / w).exp());
    (-atta / t1b).exp() * (rise - fall)
}

/// [`buxton_pcasl`](fn@buxton_pcasl) with an arterial macrovascular component (Chappell et
/// al., MRM 2010;63:1357-1365): `+ 2 α (M0/λ) (abv/100) arterial_bolus(τ + PLD)`.
///
/// Parameters: `cbf` (ml/100 g/min, [0, 400]), `att` (s, [0, 5]), `abv` (the arterial blood
/// volume, % of the voxel, [0, 10]) and `atta` (the arterial arrival, s, [0, 5]). The arterial
/// signal is there only while `PLD < Δa` (PCASL samples `t >= τ`), so the PLDs must include
/// early ones for `abv` and `atta` to be identifiable.
#[xp_kernel(model, samples = pld)]
#[allow(clippy::too_many_arguments)]
pub fn buxton_pcasl_arterial(
    #[uniform] pld: &[f64],
    m0: f64,
    offset: f64,
    #[uniform] tau: f64,
    #[uniform] t1b: f64,
    #[uniform] t1t: f64,
    #[uniform] alpha: f64,
    #[uniform] lambda: f64,
    #[param(init = 50.0, lower = 0.0, upper = 400.0)] cbf: f64,
    #[param(init = 1.2, lower = 0.0, upper = 5.0)] att: f64,
    #[param(init = 0.5, lower = 0.0, upper = 10.0)] abv: f64,
    #[param(init = 0.7, lower = 0.0, upper = 5.0)] atta: f64,
    dm: &mut [f64],
) {
    let f = cbf / 6000.0;
    let t1app = t1_apparent(f, t1t, lambda);
    let a = 2.0 * alpha * m0 / lambda;
    for k in 0..dm.len() {
        let t = tau + pld[k] + offset;
        dm[k] =
            a * (f * pcasl_uptake(t, tau, att, t1b, t1app) + 0.01 * abv * arterial_bolus(t, tau, atta, t1b));
    }
}
