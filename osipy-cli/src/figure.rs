//! Figures without a plotting crate: an RGB canvas, a 5x7 bitmap font, a colour map with a
//! colour bar, and line/point plots, encoded as PNG.

use std::path::Path;

use osipy::{Error, Result};

/// An RGB colour.
pub type Rgb = [u8; 3];

/// White.
pub const WHITE: Rgb = [255, 255, 255];
/// Black.
pub const BLACK: Rgb = [0, 0, 0];
/// Grey, for NaN pixels and grid lines.
pub const GREY: Rgb = [190, 190, 190];
/// Line colours for plots.
pub const PALETTE: [Rgb; 4] = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [148, 103, 189]];

/// Rows of each glyph (5 pixels wide, bit 4 the leftmost), 7 rows.
fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '.' => [0, 0, 0, 0, 0, 0x0C, 0x0C],
        ',' => [0, 0, 0, 0, 0x0C, 0x04, 0x08],
        '-' => [0, 0, 0, 0x1F, 0, 0, 0],
        '+' => [0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0],
        '/' => [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        ':' => [0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0],
        '_' => [0, 0, 0, 0, 0, 0, 0x1F],
        '=' => [0, 0, 0x1F, 0, 0x1F, 0, 0],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        _ => [0; 7],
    }
}

/// Text scale: each font pixel is drawn as a `SCALE` x `SCALE` block.
pub const SCALE: usize = 2;
/// Advance of one character in canvas pixels.
pub const CHAR_W: usize = 6 * SCALE;
/// Height of a line of text in canvas pixels.
pub const CHAR_H: usize = 7 * SCALE;

/// An RGB image being drawn.
pub struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    /// A white canvas of `w` x `h` pixels.
    pub fn new(w: usize, h: usize) -> Canvas {
        Canvas {
            w,
            h,
            px: vec![255; w * h * 3],
        }
    }

    /// Sets one pixel (ignored outside the canvas).
    pub fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 3;
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    /// Fills a rectangle.
    pub fn fill(&mut self, x: i64, y: i64, w: usize, h: usize, c: Rgb) {
        for dy in 0..h as i64 {
            for dx in 0..w as i64 {
                self.set(x + dx, y + dy, c);
            }
        }
    }

    /// Draws a line (Bresenham, 2 pixels wide).
    pub fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: Rgb) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.fill(x, y, 2, 2, c);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Draws `text` with its top-left corner at `(x, y)`.
    pub fn text(&mut self, x: i64, y: i64, text: &str, c: Rgb) {
        for (k, ch) in text.chars().enumerate() {
            let rows = glyph(ch);
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..5 {
                    if bits & (0x10 >> col) != 0 {
                        let px = x + (k * CHAR_W + col * SCALE) as i64;
                        self.fill(px, y + (r * SCALE) as i64, SCALE, SCALE, c);
                    }
                }
            }
        }
    }

    /// Draws `text` centred horizontally on `cx`.
    pub fn text_centred(&mut self, cx: i64, y: i64, text: &str, c: Rgb) {
        let w = (text.chars().count() * CHAR_W) as i64;
        self.text(cx - w / 2, y, text, c);
    }

    /// Encodes the canvas as an 8-bit RGB PNG at `path`.
    pub fn save_png(&self, path: &Path) -> Result<()> {
        let err = |what: String| Error::File(format!("{}: {what}", path.display()));
        let file = std::fs::File::create(path).map_err(|e| err(format!("cannot create: {e}")))?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), self.w as u32, self.h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| err(format!("cannot write PNG: {e}")))?;
        w.write_image_data(&self.px)
            .map_err(|e| err(format!("cannot write PNG: {e}")))?;
        w.finish().map_err(|e| err(format!("cannot write PNG: {e}")))
    }
}

/// The viridis colour map at `u` in `[0, 1]` (piecewise linear through 9 anchors).
pub fn viridis(u: f64) -> Rgb {
    const A: [[f64; 3]; 9] = [
        [68.0, 1.0, 84.0],
        [71.0, 44.0, 122.0],
        [59.0, 81.0, 139.0],
        [44.0, 113.0, 142.0],
        [33.0, 144.0, 141.0],
        [39.0, 173.0, 129.0],
        [92.0, 200.0, 99.0],
        [170.0, 220.0, 50.0],
        [253.0, 231.0, 37.0],
    ];
    let u = if u.is_finite() { u.clamp(0.0, 1.0) } else { 0.0 };
    let s = u * 8.0;
    let i = (s.floor() as usize).min(7);
    let f = s - i as f64;
    let mut c = [0u8; 3];
    for k in 0..3 {
        c[k] = (A[i][k] + f * (A[i + 1][k] - A[i][k])).round() as u8;
    }
    c
}

/// A number formatted for a label: 3 significant digits, scientific when small or large.
pub fn label(v: f64) -> String {
    if !v.is_finite() {
        return "NAN".into();
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

/// Images of 2-D maps side by side (`maps[k]` is `(title, values nx x ny with x fastest
/// along a row of the image, y upwards)`), sharing the colour range `[lo, hi]`, with a colour
/// bar labelled with `lo` and `hi` and a title.
pub fn map_figure(title: &str, maps: &[(&str, &ndarray::Array2<f64>)], lo: f64, hi: f64) -> Canvas {
    let (nx, ny) = maps.first().map_or((1, 1), |m| m.1.dim());
    let zoom = (256 / nx.max(ny)).max(1);
    let (iw, ih) = (nx * zoom, ny * zoom);
    let margin = 20;
    let top = 50;
    let bar_w = 20;
    let w = margin + maps.len() * (iw + margin) + bar_w + 12 * CHAR_W;
    let h = top + ih + margin + CHAR_H;
    let mut cv = Canvas::new(w, h);
    cv.text(margin as i64, 8, title, BLACK);
    let span = if hi > lo { hi - lo } else { 1.0 };
    for (k, (name, m)) in maps.iter().enumerate() {
        let x0 = margin + k * (iw + margin);
        cv.text_centred((x0 + iw / 2) as i64, (top - CHAR_H - 4) as i64, name, BLACK);
        for ((x, y), &v) in m.indexed_iter() {
            let c = if v.is_finite() {
                viridis((v - lo) / span)
            } else {
                GREY
            };
            let py = top + (ny - 1 - y) * zoom;
            cv.fill((x0 + x * zoom) as i64, py as i64, zoom, zoom, c);
        }
    }
    let bx = margin + maps.len() * (iw + margin);
    for r in 0..ih {
        let u = 1.0 - r as f64 / (ih.max(2) - 1) as f64;
        cv.fill(bx as i64, (top + r) as i64, bar_w, 1, viridis(u));
    }
    cv.text((bx + bar_w + 4) as i64, top as i64, &label(hi), BLACK);
    cv.text(
        (bx + bar_w + 4) as i64,
        (top + ih - CHAR_H) as i64,
        &label(lo),
        BLACK,
    );
    cv
}

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
    /// Legend text.
    pub name: &'a str,
}

/// Draws a plot of `series` into the `w` x `h` rectangle at `(ox, oy)` of `cv`: axes with the
/// ranges labelled, a title, an x-axis label and a legend.
pub fn plot(
    cv: &mut Canvas,
    (ox, oy, w, h): (i64, i64, i64, i64),
    title: &str,
    xlabel: &str,
    series: &[Series],
) {
    let finite = |v: &&f64| v.is_finite();
    let xs = series.iter().flat_map(|s| s.x.iter()).filter(finite);
    let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
        (a.min(v), b.max(v))
    });
    let ys = series.iter().flat_map(|s| s.y.iter()).filter(finite);
    let (y_lo, y_hi) = ys.fold((0.0f64, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let (x_lo, x_hi) = if x_hi > x_lo { (x_lo, x_hi) } else { (0.0, 1.0) };
    let (y_lo, y_hi) = if y_hi > y_lo {
        (y_lo, y_hi * 1.05)
    } else {
        (0.0, 1.0)
    };
    let left = ox + 8 * CHAR_W as i64;
    let (top, bottom) = (oy + 2 * CHAR_H as i64 + 8, oy + h - 2 * CHAR_H as i64 - 8);
    let right = ox + w - 10;
    cv.text(left, oy + 4, title, BLACK);
    let px = |x: f64| left + ((x - x_lo) / (x_hi - x_lo) * (right - left) as f64).round() as i64;
    let py = |y: f64| bottom - ((y - y_lo) / (y_hi - y_lo) * (bottom - top) as f64).round() as i64;
    cv.line((left, top), (left, bottom), BLACK);
    cv.line((left, bottom), (right, bottom), BLACK);
    if y_lo < 0.0 {
        cv.line((left, py(0.0)), (right, py(0.0)), GREY);
    }
    let ch = CHAR_H as i64;
    cv.text(ox, top, &label(y_hi), BLACK);
    cv.text(ox, bottom - ch, &label(y_lo), BLACK);
    cv.text(left, bottom + 6, &label(x_lo), BLACK);
    let xl = label(x_hi);
    cv.text(right - (xl.len() * CHAR_W) as i64, bottom + 6, &xl, BLACK);
    cv.text_centred((left + right) / 2, bottom + 6 + ch + 2, xlabel, BLACK);
    for (k, s) in series.iter().enumerate() {
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
        let ly = top + 4 + k as i64 * (ch + 4);
        let lx = right - (s.name.len() * CHAR_W) as i64 - 24;
        cv.fill(lx, ly + 4, 16, 6, s.colour);
        cv.text(lx + 20, ly, s.name, BLACK);
    }
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

/// The median of `v` (sorted in place; the upper one of an even count), NaN when empty.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Slice `z` of `map` drawn as one panel named `panel` under the title `"{title} SLICE {z}"`,
/// from 0 to the 98th percentile of its finite values (so that a few voxels at a bound do not
/// wash out the map; 1 when that is not positive), saved as `fig_{name}.png` in `dir` and its
/// file name pushed onto `files`.
pub fn slice_figure(
    dir: &Path,
    name: &str,
    title: &str,
    panel: &str,
    map: &ndarray::Array3<f64>,
    z: usize,
    files: &mut Vec<String>,
) -> Result<String> {
    let sl = map.slice(ndarray::s![.., .., z]).to_owned();
    let mut v: Vec<f64> = sl.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let hi = v
        .get((v.len() * 98 / 100).min(v.len().saturating_sub(1)))
        .copied()
        .filter(|h| *h > 0.0)
        .unwrap_or(1.0);
    let cv = map_figure(&format!("{title} SLICE {z}"), &[(panel, &sl)], 0.0, hi);
    let file = format!("fig_{name}.png");
    cv.save_png(&dir.join(&file))?;
    files.push(file.clone());
    Ok(file)
}

/// The medians part of a command's summary line: ` name value unit;` for each map.
pub fn medians_text(medians: &[(&str, &str, f64)]) -> String {
    let mut s = String::new();
    for (n, u, v) in medians {
        let sep = if u.is_empty() { "" } else { " " };
        s.push_str(&format!(" {n} {}{sep}{u};", label(*v)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_label_formats() {
        assert_eq!(viridis(0.0), [68, 1, 84]);
        assert_eq!(viridis(1.0), [253, 231, 37]);
        assert_eq!(viridis(f64::NAN), [68, 1, 84]);
        assert_eq!(label(0.25), "0.250");
        assert_eq!(label(12.34), "12.3");
        assert_eq!(label(1.0e-3), "1.00e-3");
    }

    #[test]
    fn text_draws_black_pixels_only_where_the_glyph_has_them() {
        let mut cv = Canvas::new(20, 20);
        cv.text(0, 0, "1", BLACK);
        // '1' row 0 is 0x04: only the middle column (2) is set.
        assert_eq!(&cv.px[0..3], &WHITE);
        let i = (2 * SCALE) * 3;
        assert_eq!(&cv.px[i..i + 3], &BLACK);
    }
}
