//! Kernels with structs of scalars marked `#[xp_struct]`: literals, field reads and writes,
//! copies, whole-struct assignment, structs passed by value and by `&mut`, returned, named by
//! path from other modules and brought in with `use`.

use osipy_kernels::{xp_kernel, xp_struct};

/// Running statistics of a sequence: every scalar type a field can have.
#[xp_struct]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Sum of the values.
    pub sum: f64,
    /// Sum of squares, in single precision.
    pub sum_sq: f32,
    /// Count.
    pub n: usize,
    /// Count of negative values.
    pub neg: i32,
    /// Largest value's bits.
    pub max_bits: u64,
    /// Whether a NaN was seen.
    pub nan: bool,
}

/// The empty statistics; `x` only fixes the item count.
#[xp_kernel]
pub fn stats_new(x: f64) -> Stats {
    let _ = x;
    Stats {
        sum: 0.0,
        sum_sq: 0.0,
        n: 0,
        neg: 0,
        max_bits: f64::NEG_INFINITY.to_bits(),
        nan: false,
    }
}

/// Adds one value to the statistics.
#[xp_kernel]
pub fn stats_push(s: &mut Stats, x: f64) {
    s.sum += x;
    s.sum_sq += (x * x) as f32;
    s.n += 1;
    if x < 0.0 {
        s.neg += 1;
    }
    if x.is_nan() {
        s.nan = true;
    } else if x > f64::from_bits(s.max_bits) {
        s.max_bits = x.to_bits();
    }
}

/// The mean, from statistics passed by value.
#[xp_kernel]
pub fn stats_mean(s: Stats) -> f64 {
    if s.n == 0 {
        0.0
    } else {
        s.sum / s.n as f64
    }
}

/// Statistics of two halves merged (a struct returned from a struct argument and a literal in
/// another field order).
#[xp_kernel]
pub fn stats_merge(a: Stats, b: Stats) -> Stats {
    let mut m = Stats {
        n: a.n + b.n,
        sum: a.sum + b.sum,
        neg: a.neg + b.neg,
        sum_sq: a.sum_sq + b.sum_sq,
        nan: a.nan || b.nan,
        max_bits: a.max_bits,
    };
    if f64::from_bits(b.max_bits) > f64::from_bits(m.max_bits) {
        m.max_bits = b.max_bits;
    }
    m
}

/// Every statistic of a row: the halves accumulated through `&mut`, merged, copied and
/// reassigned; all outputs per item.
#[xp_kernel]
pub fn row_stats(
    x: &[f64],
    mean: &mut f64,
    sum_sq: &mut f32,
    n: &mut usize,
    neg: &mut i32,
    max: &mut f64,
    nan: &mut bool,
) {
    let h = x.len() / 2;
    let mut lo = stats_new(0.0);
    let mut hi: Stats = stats_new(0.0);
    for i in 0..h {
        stats_push(&mut lo, x[i]);
    }
    for i in h..x.len() {
        stats_push(&mut hi, x[i]);
    }
    let merged = stats_merge(lo, hi);
    // A copy is a copy: changing it leaves `merged` alone.
    let mut all = merged;
    all.sum = 1e300;
    let sum = merged.sum;
    all.sum = sum;
    // Whole-struct assignment from a local and from a call.
    lo = all;
    let empty = stats_new(0.0);
    hi = stats_merge(lo, empty);
    *mean = stats_mean(hi);
    *sum_sq = all.sum_sq;
    *n = all.n;
    *neg = all.neg;
    *max = f64::from_bits(all.max_bits);
    *nan = all.nan;
}

/// A 2-D point (for the struct passed across modules).
#[xp_struct]
#[derive(Clone, Copy)]
pub struct Point {
    /// x
    pub x: f64,
    /// y
    pub y: f64,
}

/// Kernels that name the structs from another module.
pub mod geometry {
    use super::Point;
    use osipy_kernels::xp_kernel;

    /// Rotates `p` by the angle whose cosine and sine are `c`, `s` (a struct argument
    /// changed through `&mut`, reassigned whole).
    #[xp_kernel]
    pub fn rotate(p: &mut Point, c: f64, s: f64) {
        *p = Point {
            x: c * p.x - s * p.y,
            y: s * p.x + c * p.y,
        };
    }

    /// Squared length, the struct named by path.
    #[xp_kernel]
    pub fn len_sq(p: crate::structs::Point) -> f64 {
        p.x * p.x + p.y * p.y
    }

    /// Rotates `p` `steps` times (a `&mut` struct argument passed on).
    #[xp_kernel]
    pub fn spin(p: &mut Point, #[uniform] c: f64, #[uniform] s: f64, #[uniform] steps: usize) {
        for _ in 0..steps {
            rotate(p, c, s);
        }
    }

    /// `(x, y)` rotated `steps` times, and its squared length (field shorthand in a literal).
    #[xp_kernel]
    pub fn spin_xy(
        x: f64,
        y: f64,
        #[uniform] c: f64,
        #[uniform] s: f64,
        #[uniform] steps: usize,
    ) -> (f64, f64, f64) {
        let mut p = Point { x, y };
        spin(&mut p, c, s, steps);
        (p.x, p.y, len_sq(p))
    }
}
