//! Map figures: slices drawn in a colour map with a ticked colour bar.

use std::path::Path;

use osipy::Result;

use super::*;

/// Images of 2-D maps side by side (`maps[k]` is `(panel name, values nx x ny with x along a
/// row of the image from left to right, y upwards)`), sharing the colour range `[lo, hi]`,
/// with a colour bar ticked at 1-2-5 steps and labelled `unit`, a title, the orientation
/// letters of `view` around each panel and its caption below.
pub fn map_figure(
    title: &str,
    maps: &[(&str, &ndarray::Array2<f64>)],
    lo: f64,
    hi: f64,
    unit: &str,
    view: Option<&View>,
) -> Canvas {
    let (nx, ny) = maps.first().map_or((1, 1), |m| m.1.dim());
    let zoom = (320 / nx.max(ny).max(1)).max(1);
    let (iw, ih) = (nx * zoom, ny * zoom);
    let margin = 44;
    let lh = crate::text::line_height(LABEL).ceil() as usize;
    let th = crate::text::line_height(TITLE).ceil() as usize;
    let ch = crate::text::line_height(TICK).ceil() as usize;
    let top = 10
        + th
        + 8
        + if maps.iter().any(|m| !m.0.is_empty()) {
            lh + 4
        } else {
            0
        }
        + lh;
    let bar_w = 18;
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = nice_step(span, 5);
    let ticks = ticks_in(lo, lo + span, step);
    let tick_w = ticks
        .iter()
        .map(|v| crate::text::width(&tick_label(*v, step), TICK).ceil() as usize)
        .max()
        .unwrap_or(0);
    let caption = view.map(View::caption).unwrap_or_default();
    let cap_w = caption
        .iter()
        .map(|c| crate::text::width(c, TICK).ceil() as usize)
        .max()
        .unwrap_or(0);
    let bx = margin + maps.len() * (iw + margin);
    let title_w = crate::text::width(title, TITLE).ceil() as usize;
    let w = (bx + bar_w + 6 + tick_w + 8 + lh + 12)
        .max(cap_w + 2 * margin)
        .max(title_w + 2 * margin);
    let h = top + ih + lh + 10 + caption.len() * (ch + 4) + 8;
    let mut cv = Canvas::new(w, h);
    cv.text_sized(margin as i64, 10, title, TITLE, BLACK);
    let letters = view.and_then(|v| v.axes);
    for (k, (name, m)) in maps.iter().enumerate() {
        let x0 = margin + k * (iw + margin);
        if !name.is_empty() {
            cv.text_centred((x0 + iw / 2) as i64, (10 + th + 8) as i64, name, BLACK);
        }
        for ((x, y), &v) in m.indexed_iter() {
            let c = if v.is_finite() {
                viridis((v - lo) / span)
            } else {
                GREY
            };
            let py = top + (ny - 1 - y) * zoom;
            cv.fill((x0 + x * zoom) as i64, py as i64, zoom, zoom, c);
        }
        if let Some(a) = letters {
            let (cx, cy) = ((x0 + iw / 2) as i64, (top + ih / 2) as i64);
            let half = (lh / 2) as i64;
            cv.text_centred_sized(cx, (top - lh - 2) as i64, &a[1].0.to_string(), LABEL, DARK);
            cv.text_centred_sized(cx, (top + ih + 2) as i64, &a[1].1.to_string(), LABEL, DARK);
            cv.text_centred_sized(x0 as i64 - 12, cy - half, &a[0].1.to_string(), LABEL, DARK);
            cv.text_centred_sized((x0 + iw) as i64 + 12, cy - half, &a[0].0.to_string(), LABEL, DARK);
        }
    }
    for r in 0..ih {
        let u = 1.0 - r as f64 / (ih.max(2) - 1) as f64;
        cv.fill(bx as i64, (top + r) as i64, bar_w, 1, viridis(u));
    }
    let half_tick = (ch / 2) as i64;
    for v in &ticks {
        let y = top as i64 + ((1.0 - (v - lo) / span) * (ih.max(2) - 1) as f64).round() as i64;
        cv.fill((bx + bar_w) as i64, y, 5, 1, BLACK);
        cv.text_sized(
            (bx + bar_w + 7) as i64,
            y - half_tick,
            &tick_label(*v, step),
            TICK,
            BLACK,
        );
    }
    if !unit.is_empty() {
        cv.text_up(
            (bx + bar_w + 6 + tick_w + 8) as i64,
            (top + ih / 2) as i64,
            unit,
            LABEL,
            BLACK,
        );
    }
    for (k, line) in caption.iter().enumerate() {
        let y = top + ih + lh + 10 + k * (ch + 4);
        cv.text_sized(margin as i64, y as i64, line, TICK, DARK);
    }
    cv
}

/// The slice (third axis) with the most mask voxels, the lowest on ties: where the commands
/// draw their map figures.
pub fn best_slice(mask: &ndarray::Array3<bool>) -> usize {
    (0..mask.dim().2)
        .max_by_key(|&z| {
            (
                mask.slice(ndarray::s![.., .., z]).iter().filter(|m| **m).count(),
                std::cmp::Reverse(z),
            )
        })
        .unwrap_or(0)
}

/// Slice `view.z` of `map` drawn under `title` with its colour bar in `unit`, from 0 to the
/// 98th percentile of its finite values (so that a few voxels at a bound do not wash out the
/// map; 1 when that is not positive), saved as `fig_{name}.png` in `dir` and its file name
/// pushed onto `files`.
pub fn slice_figure(
    dir: &Path,
    name: &str,
    title: &str,
    unit: &str,
    map: &ndarray::Array3<f64>,
    view: &View,
    files: &mut Vec<String>,
) -> Result<String> {
    let z = view.z.min(map.dim().2.saturating_sub(1));
    let sl = map.slice(ndarray::s![.., .., z]).to_owned();
    let mut v: Vec<f64> = sl.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let hi = v
        .get((v.len() * 98 / 100).min(v.len().saturating_sub(1)))
        .copied()
        .filter(|h| *h > 0.0)
        .unwrap_or(1.0);
    let cv = map_figure(title, &[("", &sl)], 0.0, hi, unit, Some(view));
    let file = format!("fig_{name}.png");
    cv.save_png(&dir.join(&file))?;
    files.push(file.clone());
    Ok(file)
}
