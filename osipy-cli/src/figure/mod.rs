//! Figures without a plotting crate: an RGB canvas, antialiased text (`text.rs`), axes with
//! ticks at 1-2-5 steps, a colour map with a ticked colour bar, and line/point plots, encoded
//! as PNG.

use std::path::Path;

use osipy::{Error, Result};

mod map;
mod orientation;
mod plot;
mod summary;
mod ticks;

pub use map::{best_slice, map_figure, slice_figure};
pub use orientation::{known_affine, View};
#[cfg(test)]
use plot::widen;
pub use plot::{plot, Axes, Series};
pub use summary::{median, medians_text, quantile_voxels, voxel_title, VOXEL_PERCENTILES};
use ticks::nice_axis;
pub use ticks::{label, nice_step, tick_label, ticks_in};

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

#[cfg(test)]
mod tests {
    use super::orientation::axis_directions;
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
