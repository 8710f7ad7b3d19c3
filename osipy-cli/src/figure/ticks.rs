//! Axis ticks at 1-2-5 steps and number labels.

/// A number formatted for a label: 3 significant digits, scientific when small or large.
pub fn label(v: f64) -> String {
    if !v.is_finite() {
        return "NaN".into();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-2..1e4).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The step nearest to `span / target`: 1, 2 or 5 times a power of ten.
pub fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span.abs() / target.max(1) as f64;
    if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    // The nearest of 1, 2, 5 and 10 on a log scale (limits at their geometric means).
    let k = if m < std::f64::consts::SQRT_2 {
        1.0
    } else if m < 10f64.sqrt() {
        2.0
    } else if m < 50f64.sqrt() {
        5.0
    } else {
        10.0
    };
    k * p
}

/// The multiples of `step` in `[lo, hi]` (a small tolerance kept at both ends).
pub fn ticks_in(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let mut out = Vec::new();
    if !(lo.is_finite() && hi.is_finite() && step.is_finite()) || step <= 0.0 || hi < lo {
        return out;
    }
    let eps = step * 1e-6;
    let mut k = ((lo - eps) / step).ceil();
    while k * step <= hi + eps && out.len() < 50 {
        let v = k * step;
        out.push(if v.abs() < eps { 0.0 } else { v });
        k += 1.0;
    }
    out
}

/// `v`, a multiple of `step`, with as many decimals as the step needs (scientific for steps
/// below 1e-5 or values of a million and more).
pub fn tick_label(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return "NaN".into();
    }
    if step < 1e-5 || v.abs() >= 1e6 {
        return format!("{v:.1e}");
    }
    let decimals = (-(step.log10() + 1e-9).floor()).clamp(0.0, 6.0) as usize;
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// An axis from `lo` to `hi` with `pad` of the span added at both ends, and the tick step of
/// about `target` ticks: `(lo, hi, step)`.
pub(super) fn nice_axis(lo: f64, hi: f64, pad: f64, target: usize) -> (f64, f64, f64) {
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (a, b) = (lo - pad * span, lo + span * (1.0 + pad));
    (a, b, nice_step(b - a, target))
}
