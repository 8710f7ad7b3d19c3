//! Antialiased text for the figures: DejaVu Sans, embedded in the binary (never looked up on
//! the system), rasterised by `ab_glyph` as coverage that the canvas blends over its pixels.

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};

/// DejaVu Sans 2.37 (`osipy-cli/assets/fonts`, Bitstream Vera licence).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// The embedded face (`None` only if the file were corrupt, which `embedded_font_parses`
/// rules out; text is then left undrawn rather than failing the run).
fn font() -> Option<FontRef<'static>> {
    static FONT: std::sync::OnceLock<Option<FontRef<'static>>> = std::sync::OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).ok())
        .clone()
}

/// Width in pixels of `s` set at `size` pixels (the em height).
pub fn width(s: &str, size: f32) -> f32 {
    let Some(f) = font() else { return 0.0 };
    let sf = f.as_scaled(PxScale::from(size));
    let mut w = 0.0;
    let mut prev = None;
    for c in s.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            w += sf.kern(p, id);
        }
        w += sf.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Height in pixels of a line of text set at `size` (ascent + descent).
pub fn line_height(size: f32) -> f32 {
    let Some(f) = font() else { return size };
    let sf = f.as_scaled(PxScale::from(size));
    sf.ascent() - sf.descent()
}

/// Calls `put(x, y, coverage)` for every pixel that `s` covers, set at `size` with the top of
/// its line at `y = 0` and its start at `x = 0` (coverage in `[0, 1]`).
pub fn rasterise(s: &str, size: f32, mut put: impl FnMut(i64, i64, f32)) {
    let Some(f) = font() else { return };
    let scale = PxScale::from(size);
    let sf = f.as_scaled(scale);
    let ascent = sf.ascent();
    let mut x = 0.0;
    let mut prev = None;
    for c in s.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            x += sf.kern(p, id);
        }
        let g = id.with_scale_and_position(scale, point(x, ascent));
        if let Some(og) = f.outline_glyph(g) {
            let b = og.px_bounds();
            og.draw(|gx, gy, cov| {
                put(
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                    cov,
                );
            });
        }
        x += sf.h_advance(id);
        prev = Some(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_parses_and_sets_lower_case() {
        assert!(FontRef::try_from_slice(DEJAVU_SANS).is_ok());
        let f = font().unwrap();
        assert_ne!(f.glyph_id('a').0, 0);
        assert_ne!(f.glyph_id('µ').0, 0);
        assert_ne!(f.glyph_id('²').0, 0);
        // "ll" is narrower than "mm" in a proportional face.
        assert!(width("ll", 14.0) < width("mm", 14.0));
        let mut n = 0;
        rasterise("x", 20.0, |_, _, c| {
            if c > 0.5 {
                n += 1;
            }
        });
        assert!(n > 20, "{n} covered pixels");
    }
}
