//! Figures without a plotting crate: an RGB canvas, antialiased text (`text.rs`), axes with
//! ticks at 1-2-5 steps, a colour map with a ticked colour bar, and line/point plots, encoded
//! as PNG.

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

/// Size in pixels (em height) of figure titles.
pub const TITLE: f32 = 19.0;
/// Size of axis labels, panel names and legends.
pub const LABEL: f32 = 15.0;
/// Size of tick labels and captions.
pub const TICK: f32 = 13.0;
/// Dark grey, for captions and orientation letters.
pub const DARK: Rgb = [90, 90, 90];
/// Light grey, for grid lines.
pub const LIGHT: Rgb = [228, 228, 228];

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

    /// Width of the canvas in pixels.
    pub fn width(&self) -> usize {
        self.w
    }

    /// Height of the canvas in pixels.
    pub fn height(&self) -> usize {
        self.h
    }

    /// Blends `c` over the pixel at `(x, y)` with opacity `a` in `[0, 1]`.
    fn blend(&mut self, x: i64, y: i64, c: Rgb, a: f32) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 3;
            let a = a.clamp(0.0, 1.0);
            for (p, &ck) in self.px[i..i + 3].iter_mut().zip(&c) {
                let old = f32::from(*p);
                *p = (old + (f32::from(ck) - old) * a).round() as u8;
            }
        }
    }

    /// Draws `text` at `size` pixels with the top-left corner of its line at `(x, y)`.
    pub fn text_sized(&mut self, x: i64, y: i64, text: &str, size: f32, c: Rgb) {
        crate::text::rasterise(text, size, |dx, dy, a| self.blend(x + dx, y + dy, c, a));
    }

    /// Draws `text` at the label size with its top-left corner at `(x, y)`.
    pub fn text(&mut self, x: i64, y: i64, text: &str, c: Rgb) {
        self.text_sized(x, y, text, LABEL, c);
    }

    /// Draws `text` at `size` centred horizontally on `cx`.
    pub fn text_centred_sized(&mut self, cx: i64, y: i64, text: &str, size: f32, c: Rgb) {
        let w = crate::text::width(text, size).round() as i64;
        self.text_sized(cx - w / 2, y, text, size, c);
    }

    /// Draws `text` at the label size centred horizontally on `cx`.
    pub fn text_centred(&mut self, cx: i64, y: i64, text: &str, c: Rgb) {
        self.text_centred_sized(cx, y, text, LABEL, c);
    }

    /// Draws `text` at `size` with the right end of its line at `rx`.
    pub fn text_right(&mut self, rx: i64, y: i64, text: &str, size: f32, c: Rgb) {
        let w = crate::text::width(text, size).round() as i64;
        self.text_sized(rx - w, y, text, size, c);
    }

    /// Draws `text` at `size` turned a quarter anticlockwise (read from bottom to top), the
    /// top of its line at `x` and its middle at height `cy`.
    pub fn text_up(&mut self, x: i64, cy: i64, text: &str, size: f32, c: Rgb) {
        let w = crate::text::width(text, size).round() as i64;
        let y0 = cy + w / 2;
        crate::text::rasterise(text, size, |dx, dy, a| self.blend(x + dy, y0 - dx, c, a));
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
fn nice_axis(lo: f64, hi: f64, pad: f64, target: usize) -> (f64, f64, f64) {
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (a, b) = (lo - pad * span, lo + span * (1.0 + pad));
    (a, b, nice_step(b - a, target))
}

/// How a slice of an `[x, y, z]` array is drawn: which slice, and which way the patient faces
/// when the geometry is known. The figures draw the array as stored: the first axis (i) from
/// left to right, the second (j) from bottom to top; nothing is reoriented.
pub struct View {
    /// The slice index along the third axis (from 0).
    pub z: usize,
    /// The number of slices.
    pub nz: usize,
    /// For each array axis, the patient directions it points to and from (`('R', 'L')`: the
    /// index grows towards the patient's right), from the image's voxel-to-RAS affine; `None`
    /// when the input has no geometry.
    pub axes: Option<[(char, char); 3]>,
}

impl View {
    /// The view of the slice with the most mask voxels ([`best_slice`]); `affine` maps voxel
    /// indices to RAS+ world coordinates (`None`: orientation unknown).
    pub fn new(mask: &ndarray::Array3<bool>, affine: Option<&[[f64; 4]; 4]>) -> View {
        View {
            z: best_slice(mask),
            nz: mask.dim().2,
            axes: affine.and_then(axis_directions),
        }
    }

    /// The view of slice `z` of `nz`, oriented by `affine` as in [`View::new`].
    pub fn at(z: usize, nz: usize, affine: Option<&[[f64; 4]; 4]>) -> View {
        View {
            z,
            nz,
            axes: affine.and_then(axis_directions),
        }
    }

    /// Two lines stating the slice and the orientation as drawn.
    pub fn caption(&self) -> Vec<String> {
        let plane = match self.axes.map(|a| a[2].0) {
            Some('S' | 'I') => "axial ",
            Some('A' | 'P') => "coronal ",
            Some('R' | 'L') => "sagittal ",
            _ => "",
        };
        let first = format!(
            "{plane}slice k = {} of {} (from 0), drawn as stored: i left to right, j bottom to top",
            self.z, self.nz
        );
        let second = match self.axes {
            Some(a) => {
                let conv = match a[0].0 {
                    'R' => " (neurological convention)",
                    'L' => " (radiological convention)",
                    _ => "",
                };
                format!(
                    "screen right = patient {}{conv}, top = {}, k grows towards {} (from the affine)",
                    full(a[0].0),
                    full(a[1].0),
                    full(a[2].0)
                )
            }
            None => "orientation unknown: the input has no geometry".to_string(),
        };
        vec![first, second]
    }
}

fn full(c: char) -> &'static str {
    match c {
        'R' => "right",
        'L' => "left",
        'A' => "anterior",
        'P' => "posterior",
        'S' => "superior",
        'I' => "inferior",
        _ => "?",
    }
}

/// For each voxel axis, the RAS direction its column of `a` mostly points to (and from);
/// `None` when a column is zero or not finite, or two columns share a direction.
fn axis_directions(a: &[[f64; 4]; 4]) -> Option<[(char, char); 3]> {
    const LETTERS: [(char, char); 3] = [('R', 'L'), ('A', 'P'), ('S', 'I')];
    let mut out = [(' ', ' '); 3];
    let mut used = [false; 3];
    for (col, o) in out.iter_mut().enumerate() {
        let v = [a[0][col], a[1][col], a[2][col]];
        if v.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let k = (0..3).max_by(|&p, &q| v[p].abs().total_cmp(&v[q].abs()))?;
        if v[k] == 0.0 || used[k] {
            return None;
        }
        used[k] = true;
        let (pos, neg) = LETTERS[k];
        *o = if v[k] > 0.0 { (pos, neg) } else { (neg, pos) };
    }
    Some(out)
}

/// The voxel-to-RAS affine of an input read as `format` with the geometry `like`, when it
/// says which way the patient lies: `None` for `.npy` (no geometry) and for a NIfTI whose
/// affine comes from the voxel sizes alone (neither qform nor sform).
pub fn known_affine<'a>(format: &str, like: &'a osipy::io::nifti::Nifti) -> Option<&'a [[f64; 4]; 4]> {
    let pixdim_only = like.affine_source == osipy::io::nifti::AffineSource::Pixdim;
    (!format.starts_with(".npy") && !pixdim_only).then_some(&like.affine)
}

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
fn widen(lo: f64, hi: f64) -> (f64, f64) {
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

/// The percentiles the voxel-fit figures show.
pub const VOXEL_PERCENTILES: [usize; 3] = [10, 50, 90];

/// Voxels at the percentiles `pcts` of `param` among the voxels `ok` accepts (a well-fitted
/// voxel with a finite value): `(voxel, percentile, value)` for each distinct voxel, sorted by
/// value then index (so the choice is deterministic). Empty when no voxel is accepted.
pub fn quantile_voxels(
    param: &ndarray::Array3<f64>,
    ok: impl Fn([usize; 3]) -> bool,
    pcts: &[usize],
) -> Vec<([usize; 3], usize, f64)> {
    let mut v: Vec<([usize; 3], f64)> = param
        .indexed_iter()
        .map(|((x, y, z), v)| ([x, y, z], *v))
        .filter(|(i, v)| v.is_finite() && ok(*i))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut out: Vec<([usize; 3], usize, f64)> = Vec::new();
    if v.is_empty() {
        return out;
    }
    for &q in pcts {
        let k = ((v.len() - 1) * q.min(100) + 50) / 100;
        if !out.iter().any(|o| o.0 == v[k].0) {
            out.push((v[k].0, q, v[k].1));
        }
    }
    out
}

/// The title of a voxel panel: `"10th percentile of Ktrans: 0.12 /min at (x, y, z)"`.
pub fn voxel_title(pct: usize, what: &str, value: f64, unit: &str, v: [usize; 3]) -> String {
    let suffix = match pct % 100 {
        11..=13 => "th",
        _ => match pct % 10 {
            1 => "st",
            2 => "nd",
            3 => "rd",
            _ => "th",
        },
    };
    let sep = if unit.is_empty() { "" } else { " " };
    format!(
        "{pct}{suffix} pct. {what} = {}{sep}{unit} at ({}, {}, {})",
        label(value),
        v[0],
        v[1],
        v[2]
    )
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
    fn ticks_fall_on_one_two_five_steps() {
        assert_eq!(nice_step(10.0, 5), 2.0);
        assert_eq!(nice_step(0.7, 5), 0.1);
        assert_eq!(nice_step(1.1, 5), 0.2);
        assert_eq!(nice_step(240.0, 6), 50.0);
        assert_eq!(nice_step(f64::NAN, 5), 1.0);
        assert_eq!(
            ticks_in(0.0, 0.9, 0.2),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8]
        );
        assert_eq!(tick_label(0.6000000000000001, 0.2), "0.6");
        assert_eq!(tick_label(-0.0, 0.5), "0.0");
        assert_eq!(tick_label(0.0005, 0.0005), "0.0005");
        assert_eq!(tick_label(150.0, 50.0), "150");
        assert_eq!(nice_axis(0.0, 300.0, 0.0, 6), (0.0, 300.0, 50.0));
        assert_eq!(nice_axis(0.0, 1.0, 0.05, 5).2, 0.2);
        assert!(ticks_in(1.0, 0.0, 0.1).is_empty());
    }

    #[test]
    fn quantile_voxels_pick_well_fitted_voxels_by_rank() {
        let mut p = ndarray::Array3::<f64>::zeros((10, 1, 1));
        for i in 0..10 {
            p[[i, 0, 0]] = (10 - i) as f64;
        }
        p[[3, 0, 0]] = f64::NAN;
        // Voxel 0 (value 10) is not well fitted.
        let v = quantile_voxels(&p, |i| i[0] != 0, &[10, 50, 90]);
        // Values 1..=6, 8, 9 at voxels 9..=4, 2, 1: ranks 1, 4, 6 of 0..=7.
        assert_eq!(
            v,
            vec![([8, 0, 0], 10, 2.0), ([5, 0, 0], 50, 5.0), ([2, 0, 0], 90, 8.0)]
        );
        assert!(quantile_voxels(&p, |_| false, &[50]).is_empty());
        assert_eq!(
            voxel_title(90, "Ktrans", 0.25, "/min", [1, 2, 3]),
            "90th pct. Ktrans = 0.250 /min at (1, 2, 3)"
        );
    }

    #[test]
    fn a_single_value_gets_an_axis_around_it() {
        assert_eq!(widen(1.8, 1.8), (0.0, 2.25));
        assert_eq!(widen(-2.0, -2.0), (-2.0, 0.0));
        assert_eq!(widen(0.0, 0.0), (0.0, 1.0));
        assert_eq!(widen(f64::INFINITY, f64::NEG_INFINITY), (0.0, 1.0));
        assert_eq!(widen(1.0, 3.0), (1.0, 3.0));
    }

    #[test]
    fn view_reads_the_orientation_from_the_affine() {
        let ras = [
            [2.0, 0.0, 0.0, 0.0],
            [0.0, 2.0, 0.0, 0.0],
            [0.0, 0.0, 3.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        assert_eq!(axis_directions(&ras), Some([('R', 'L'), ('A', 'P'), ('S', 'I')]));
        let mut las = ras;
        las[0][0] = -2.0;
        let v = View {
            z: 3,
            nz: 8,
            axes: axis_directions(&las),
        };
        let c = v.caption();
        assert!(c[0].starts_with("axial slice k = 3 of 8"), "{}", c[0]);
        assert!(
            c[1].contains("patient left (radiological convention)"),
            "{}",
            c[1]
        );
        let mut bad = ras;
        bad[0][0] = f64::NAN;
        assert_eq!(axis_directions(&bad), None);
    }

    #[test]
    fn text_draws_dark_pixels_only_inside_the_line() {
        let mut cv = Canvas::new(60, 30);
        cv.text(2, 2, "Ktrans", BLACK);
        let dark = cv.px.chunks(3).filter(|p| p[0] < 128).count();
        assert!(dark > 20, "{dark} dark pixels");
        // Nothing below the line.
        let h = crate::text::line_height(LABEL).ceil() as usize + 3;
        assert!(cv.px[h * 60 * 3..].iter().all(|v| *v == 255));
    }
}
