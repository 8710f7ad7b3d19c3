//! Line and point plots with ticked axes and a legend.

use super::*;

/// One curve of a plot.
pub struct Series<'a> {
    /// x values.
    pub x: &'a [f64],
    /// y values.
    pub y: &'a [f64],
    /// Colour.
    pub colour: Rgb,
    /// Points (`true`) or a connected line (`false`).
    pub points: bool,
    /// Legend text (no legend entry when empty).
    pub name: &'a str,
}

/// `(lo, hi)` as an axis range: itself when `hi > lo`; one value `v` as `[min(0, v),
/// 1.25 max(0, v)]` (0 to 1 for 0), so that a single abscissa (one PLD) is drawn inside.
pub(super) fn widen(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        (lo, hi)
    } else if lo.is_finite() && lo == hi && lo != 0.0 {
        (lo.min(0.0), 1.25 * lo.max(0.0))
    } else {
        (0.0, 1.0)
    }
}

/// The labels of a plot: title and the two axes, each axis label with its unit.
pub struct Axes<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// x-axis label, e.g. `"time (s)"`.
    pub x: &'a str,
    /// y-axis label, e.g. `"concentration (mM)"`.
    pub y: &'a str,
}

/// Draws a plot of `series` into the `w` x `h` rectangle at `(ox, oy)` of `cv`: both axes
/// ticked at 1-2-5 steps and numbered, with grid lines, their labels, a title and a legend.
/// The y axis includes 0.
pub fn plot(cv: &mut Canvas, (ox, oy, w, h): (i64, i64, i64, i64), axes: &Axes, series: &[Series]) {
    let finite = |v: &&f64| v.is_finite();
    let xs = series.iter().flat_map(|s| s.x.iter()).filter(finite);
    let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
        (a.min(v), b.max(v))
    });
    let ys = series.iter().flat_map(|s| s.y.iter()).filter(finite);
    let (y_lo, y_hi) = ys.fold((0.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    let (x_lo, x_hi) = widen(x_lo, x_hi);
    let (y_lo, y_hi) = widen(y_lo, y_hi);
    let (xa, xb, xstep) = nice_axis(x_lo, x_hi, 0.0, 6);
    let (ya, yb, ystep) = nice_axis(y_lo, y_hi, 0.04, 5);
    let xt = ticks_in(xa, xb, xstep);
    let yt = ticks_in(ya, yb, ystep);
    let th = crate::text::line_height(TITLE).ceil() as i64;
    let lh = crate::text::line_height(LABEL).ceil() as i64;
    let ch = crate::text::line_height(TICK).ceil() as i64;
    let ytw = yt
        .iter()
        .map(|v| crate::text::width(&tick_label(*v, ystep), TICK).ceil() as i64)
        .max()
        .unwrap_or(0);
    let left = ox + 8 + lh + 6 + ytw + 8;
    // The legend: rows under the title, outside the data, wrapped at the plot's width.
    let right = ox + w - 16;
    let mut entries: Vec<(i64, i64, &Series)> = Vec::new();
    let (mut lx, mut row) = (left, 0i64);
    for s in series.iter().filter(|s| !s.name.is_empty()) {
        let ew = 24 + crate::text::width(s.name, TICK).ceil() as i64;
        if lx > left && lx + ew > right {
            lx = left;
            row += 1;
        }
        entries.push((lx, row, s));
        lx += ew + 18;
    }
    let rows = if entries.is_empty() { 0 } else { row + 1 };
    let top = oy + 8 + th + 10 + rows * (ch + 6);
    let bottom = oy + h - (6 + ch + 6 + lh + 8);
    cv.text_sized(ox + 8, oy + 8, axes.title, TITLE, BLACK);
    let px = |x: f64| left + ((x - xa) / (xb - xa) * (right - left) as f64).round() as i64;
    let py = |y: f64| bottom - ((y - ya) / (yb - ya) * (bottom - top) as f64).round() as i64;
    for v in &yt {
        let y = py(*v);
        cv.fill(
            left,
            y,
            (right - left) as usize,
            1,
            if *v == 0.0 { GREY } else { LIGHT },
        );
        cv.fill(left - 5, y, 5, 1, BLACK);
        cv.text_right(left - 8, y - ch / 2, &tick_label(*v, ystep), TICK, BLACK);
    }
    for v in &xt {
        let x = px(*v);
        cv.fill(x, top, 1, (bottom - top) as usize, LIGHT);
        cv.fill(x, bottom, 1, 5, BLACK);
        cv.text_centred_sized(x, bottom + 7, &tick_label(*v, xstep), TICK, BLACK);
    }
    cv.fill(left, top, 1, (bottom - top + 1) as usize, BLACK);
    cv.fill(left, bottom, (right - left + 1) as usize, 1, BLACK);
    cv.text_centred((left + right) / 2, bottom + 7 + ch + 5, axes.x, BLACK);
    cv.text_up(ox + 8, (top + bottom) / 2, axes.y, LABEL, BLACK);
    for s in series {
        let mut prev: Option<(i64, i64)> = None;
        for (&x, &y) in s.x.iter().zip(s.y) {
            if !(x.is_finite() && y.is_finite()) {
                prev = None;
                continue;
            }
            let p = (px(x), py(y));
            if s.points {
                cv.fill(p.0 - 2, p.1 - 2, 5, 5, s.colour);
            } else if let Some(q) = prev {
                cv.line(q, p, s.colour);
            }
            prev = Some(p);
        }
    }
    for (lx, row, s) in entries {
        let y = oy + 8 + th + 4 + row * (ch + 6);
        if s.points {
            cv.fill(lx + 6, y + ch / 2 - 2, 5, 5, s.colour);
        } else {
            cv.fill(lx, y + ch / 2 - 1, 18, 3, s.colour);
        }
        cv.text_sized(lx + 24, y, s.name, TICK, BLACK);
    }
}
