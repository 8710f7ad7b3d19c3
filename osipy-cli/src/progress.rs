//! Progress of the long stage of a command (the voxel fit of `osipy dce` and `osipy t1`) on
//! stderr, and the chunks of voxels it is reported by.
//!
//! Three modes ([`Mode::for_stderr`]):
//!
//! - a terminal: one line redrawn in place (`\r`, then clear to the end of the line) with the
//!   stage, a bar, done/total voxels, the percentage, the rate (voxels/s) and the remaining
//!   time, at most every [`REDRAW`], finished with a newline;
//! - anything else (a pipe, a file, a CI log, a test): no redraws, plain lines when another
//!   [`PLAIN_STEP_PERCENT`] % is done or [`PLAIN_EVERY`] has passed, and always one at the
//!   end;
//! - `--quiet`: nothing.
//!
//! The rendering ([`render_bar`], [`render_plain`]) is pure, and [`Progress`] writes to any
//! [`Write`] with the elapsed time passed in ([`Progress::advance_at`]), so both are tested
//! without a terminal or a clock.

use std::io::{IsTerminal, Stderr, Write};
use std::ops::Range;
use std::time::{Duration, Instant};

use osipy_kernels::Device;

/// Shortest time between two redraws of the terminal line.
pub(crate) const REDRAW: Duration = Duration::from_millis(100);
/// Longest time between two plain lines while the work advances (when not a terminal).
pub(crate) const PLAIN_EVERY: Duration = Duration::from_secs(5);
/// A plain line each time the work crosses another multiple of this percentage.
pub(crate) const PLAIN_STEP_PERCENT: usize = 10;
/// Target number of chunks of a large fit (progress is reported after each).
pub(crate) const TARGET_CHUNKS: usize = 64;
/// Fewest voxels in a chunk on the CPU and the emulator (below this the rayon split of one
/// launch stops paying off).
pub(crate) const MIN_CHUNK_CPU: usize = 4096;
/// Fewest voxels in a chunk on CUDA: one launch per chunk must fill the GPU (2^18 threads
/// are about the resident capacity of an H100).
pub(crate) const MIN_CHUNK_CUDA: usize = 1 << 18;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Nothing (`--quiet`).
    Quiet,
    /// One line redrawn in place.
    Terminal,
    /// Plain lines, throttled.
    Plain,
}

impl Mode {
    /// The mode for stderr: `Quiet` with `quiet`, else `Terminal` when stderr is a terminal,
    /// else `Plain`.
    pub(crate) fn for_stderr(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Terminal
        } else {
            Mode::Plain
        }
    }
}

/// Voxels per chunk of a fit of `total` voxels on `device`: about [`TARGET_CHUNKS`] chunks,
/// at least [`MIN_CHUNK_CPU`] voxels ([`MIN_CHUNK_CUDA`] on CUDA), so a small input is one
/// chunk. Always at least 1.
pub(crate) fn chunk_voxels(total: usize, device: Device) -> usize {
    let min = match device {
        Device::Cuda(_) => MIN_CHUNK_CUDA,
        _ => MIN_CHUNK_CPU,
    };
    total.div_ceil(TARGET_CHUNKS).max(min).min(total).max(1)
}

/// The ranges `0..total` split into consecutive chunks of `len` (the last may be shorter;
/// none when `total` is 0).
pub(crate) fn chunks(total: usize, len: usize) -> impl Iterator<Item = Range<usize>> {
    let len = len.max(1);
    (0..total.div_ceil(len)).map(move |c| c * len..((c + 1) * len).min(total))
}

/// A duration for humans: `12.3s` under a minute, else `m:ss` or `h:mm:ss`.
pub(crate) fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "--:--".into();
    }
    if seconds < 60.0 {
        return format!("{seconds:.1}s");
    }
    let s = seconds.round() as u64;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A rate (per second) in at most 6 characters: `8.5`, `850`, `8.5k`, `850.0k`, `8.5M`.
pub(crate) fn format_rate(per_s: f64) -> String {
    if !per_s.is_finite() || per_s < 0.0 {
        "--".into()
    } else if per_s < 10.0 {
        format!("{per_s:.1}")
    } else if per_s < 1e3 {
        format!("{per_s:.0}")
    } else if per_s < 1e6 {
        format!("{:.1}k", per_s / 1e3)
    } else {
        format!("{:.1}M", per_s / 1e6)
    }
}

/// Rate (voxels/s), percentage and the time part of a line: the ETA while running, the
/// elapsed time once done.
fn figures(done: usize, total: usize, elapsed: Duration) -> (String, f64, String) {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { f64::NAN };
    let pct = if total == 0 {
        100.0
    } else {
        100.0 * done.min(total) as f64 / total as f64
    };
    let time = if done >= total {
        format!("in {}", format_duration(secs))
    } else if done == 0 || rate.is_nan() || rate <= 0.0 {
        "ETA --:--".to_string()
    } else {
        format!("ETA {}", format_duration((total - done) as f64 / rate))
    };
    (format_rate(rate), pct, time)
}

/// The terminal line of `stage` (with its command prefix) after `done` of `total` voxels in
/// `elapsed`, at most `width` characters when the bar can shrink to fit (5 to 30 cells, the
/// same for every line of one `total`):
/// `osipy dce: fitting [######    ] 600/1000 voxels 60.0% 1.2k/s ETA 0.3s` (a rate in voxels/s).
pub(crate) fn render_bar(stage: &str, done: usize, total: usize, elapsed: Duration, width: usize) -> String {
    let (rate, pct, time) = figures(done, total, elapsed);
    let tail = format!("{}/{total} voxels {pct:.1}% {rate}/s {time}", done.min(total));
    // The bar's length is set by the longest tail of this total (not this one), so it does
    // not jump between redraws.
    let longest = format!("{total}/{total} voxels 100.0% 999.9k/s ETA 99:59:59").len();
    let fixed = stage.chars().count() + longest + 4;
    let cells = width.saturating_sub(fixed).clamp(5, 30);
    let filled = (done.min(total) * cells).checked_div(total).unwrap_or(cells);
    format!(
        "{stage} [{}{}] {tail}",
        "#".repeat(filled),
        " ".repeat(cells - filled)
    )
}

/// The plain (log) line of `stage` after `done` of `total` voxels in `elapsed`:
/// `osipy dce: fitting 600/1000 voxels (60.0%), 1.2k voxels/s, ETA 0.3s`.
pub(crate) fn render_plain(stage: &str, done: usize, total: usize, elapsed: Duration) -> String {
    let (rate, pct, time) = figures(done, total, elapsed);
    format!(
        "{stage} {}/{total} voxels ({pct:.1}%), {rate} voxels/s, {time}",
        done.min(total)
    )
}

/// The task being reported.
struct Task {
    stage: String,
    total: usize,
    done: usize,
    start: Instant,
    /// Elapsed time of the last line written (`None`: none yet).
    last: Option<Duration>,
    /// The last multiple of `PLAIN_STEP_PERCENT` reported in plain mode.
    last_step: usize,
    /// A terminal line is on screen without its newline.
    open: bool,
}

/// Reports stage lines and the progress of one counted task at a time to a writer (stderr in
/// the commands; write errors are ignored: progress never fails a run).
pub(crate) struct Progress<W: Write> {
    out: W,
    mode: Mode,
    /// `osipy dce`, `osipy t1`: starts every line.
    prefix: &'static str,
    /// Terminal width for the bar line.
    width: usize,
    task: Option<Task>,
}

impl Progress<Stderr> {
    /// Progress on stderr in the mode [`Mode::for_stderr`] picks; the width of the terminal
    /// line from `COLUMNS` (default 80).
    pub(crate) fn stderr(prefix: &'static str, quiet: bool) -> Self {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w >= 40)
            .unwrap_or(80);
        let mut p = Progress::new(std::io::stderr(), Mode::for_stderr(quiet), prefix);
        p.width = width - 1;
        p
    }
}

impl<W: Write> Progress<W> {
    /// Progress written to `out` in `mode`; every line starts with `prefix` and `: `.
    pub(crate) fn new(out: W, mode: Mode, prefix: &'static str) -> Self {
        Progress {
            out,
            mode,
            prefix,
            width: 79,
            task: None,
        }
    }

    /// A stage line `prefix: what` (nothing when quiet); ends an unfinished bar line first.
    pub(crate) fn stage(&mut self, what: &str) {
        self.close_line();
        if self.mode != Mode::Quiet {
            let _ = writeln!(self.out, "{}: {what}", self.prefix);
            let _ = self.out.flush();
        }
    }

    /// Starts counting `total` voxels of `stage` (a terminal shows the empty bar at once).
    pub(crate) fn start(&mut self, stage: &str, total: usize) {
        self.close_line();
        self.task = Some(Task {
            stage: format!("{}: {stage}", self.prefix),
            total,
            done: 0,
            start: Instant::now(),
            last: None,
            last_step: 0,
            open: false,
        });
        if self.mode == Mode::Terminal && total > 0 {
            self.draw(Duration::ZERO);
        }
    }

    /// `n` more voxels are done (the time since [`Progress::start`] from the clock).
    pub(crate) fn advance(&mut self, n: usize) {
        let elapsed = self.task.as_ref().map_or(Duration::ZERO, |t| t.start.elapsed());
        self.advance_at(n, elapsed);
    }

    /// `n` more voxels are done, `elapsed` after the start: writes a line if the mode and the
    /// throttling say so; the last one (done = total) always.
    pub(crate) fn advance_at(&mut self, n: usize, elapsed: Duration) {
        let mode = self.mode;
        let Some(t) = self.task.as_mut() else {
            return;
        };
        t.done = (t.done + n).min(t.total);
        let finished = t.done >= t.total;
        // Time since the last line (or the start).
        let since = elapsed.saturating_sub(t.last.unwrap_or(Duration::ZERO));
        match mode {
            Mode::Quiet => {}
            Mode::Terminal => {
                if finished || since >= REDRAW {
                    self.draw(elapsed);
                }
            }
            Mode::Plain => {
                let steps = 100 / PLAIN_STEP_PERCENT;
                let step = (t.done * steps).checked_div(t.total).unwrap_or(steps);
                if finished || step > t.last_step || since >= PLAIN_EVERY {
                    t.last_step = step;
                    t.last = Some(elapsed);
                    let line = render_plain(&t.stage, t.done, t.total, elapsed);
                    let _ = writeln!(self.out, "{line}");
                    let _ = self.out.flush();
                }
            }
        }
        if finished {
            self.task = None;
        }
    }

    /// Redraws the terminal line (newline when done).
    fn draw(&mut self, elapsed: Duration) {
        let Some(t) = self.task.as_mut() else {
            return;
        };
        let line = render_bar(&t.stage, t.done, t.total, elapsed, self.width);
        let _ = write!(self.out, "\r{line}\x1b[K");
        t.last = Some(elapsed);
        t.open = t.done < t.total;
        if !t.open {
            let _ = writeln!(self.out);
        }
        let _ = self.out.flush();
    }

    /// Ends a bar line left open (an error in the middle of a task), so what follows starts
    /// on its own line.
    fn close_line(&mut self) {
        if let Some(t) = self.task.take() {
            if t.open {
                let _ = writeln!(self.out);
                let _ = self.out.flush();
            }
        }
    }
}

impl<W: Write> Drop for Progress<W> {
    fn drop(&mut self) {
        self.close_line();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn durations_and_rates() {
        assert_eq!(format_duration(0.0), "0.0s");
        assert_eq!(format_duration(12.34), "12.3s");
        assert_eq!(format_duration(59.94), "59.9s");
        assert_eq!(format_duration(60.0), "1:00");
        assert_eq!(format_duration(83.4), "1:23");
        assert_eq!(format_duration(3600.0 + 62.0), "1:01:02");
        assert_eq!(format_duration(f64::INFINITY), "--:--");
        assert_eq!(format_duration(-1.0), "--:--");
        assert_eq!(format_rate(8.54), "8.5");
        assert_eq!(format_rate(850.2), "850");
        assert_eq!(format_rate(8_540.0), "8.5k");
        assert_eq!(format_rate(850_000.0), "850.0k");
        assert_eq!(format_rate(8_540_000.0), "8.5M");
        assert_eq!(format_rate(f64::NAN), "--");
    }

    #[test]
    fn bar_line() {
        let l = render_bar("osipy dce: fitting", 600, 1000, ms(500), 79);
        // The longest tail of 1000 voxels (45 characters), the stage (18) and the brackets
        // leave the bar 12 cells, 7 of them filled.
        assert_eq!(
            l,
            "osipy dce: fitting [#######     ] 600/1000 voxels 60.0% 1.2k/s ETA 0.3s"
        );
        assert!(l.chars().count() <= 79, "{l}");
        // The bar takes what the width leaves, 5 to 30 cells.
        let wide = render_bar("fit", 500, 1000, ms(1000), 200);
        assert!(
            wide.starts_with(&format!("fit [{}{}] ", "#".repeat(15), " ".repeat(15))),
            "{wide}"
        );
        let done = render_bar("fit", 1000, 1000, ms(2000), 200);
        assert!(done.contains(&format!("[{}]", "#".repeat(30))), "{done}");
        assert!(done.ends_with("1000/1000 voxels 100.0% 500/s in 2.0s"), "{done}");
        let start = render_bar("fit", 0, 1000, Duration::ZERO, 79);
        assert!(start.ends_with("0/1000 voxels 0.0% --/s ETA --:--"), "{start}");
        // Millions of voxels still fit 80 columns, even with hours to go.
        let big = render_bar("osipy dce: fitting", 1_234_567, 9_876_543, ms(100_000), 79);
        assert!(big.chars().count() <= 79, "{} {big}", big.chars().count());
        assert!(
            big.ends_with("] 1234567/9876543 voxels 12.5% 12.3k/s ETA 11:40"),
            "{big}"
        );
        let huge = render_bar("osipy dce: fitting", 12_345_678, 98_765_432, ms(10_000_000), 79);
        assert!(huge.chars().count() <= 79, "{} {huge}", huge.chars().count());
        assert!(
            huge.ends_with("] 12345678/98765432 voxels 12.5% 1.2k/s ETA 19:26:40"),
            "{huge}"
        );
    }

    #[test]
    fn plain_line() {
        assert_eq!(
            render_plain("osipy t1: fitting", 250, 1000, ms(1000)),
            "osipy t1: fitting 250/1000 voxels (25.0%), 250 voxels/s, ETA 3.0s"
        );
        assert_eq!(
            render_plain("osipy t1: fitting", 1000, 1000, ms(120_000)),
            "osipy t1: fitting 1000/1000 voxels (100.0%), 8.3 voxels/s, in 2:00"
        );
        assert_eq!(
            render_plain("x", 0, 0, Duration::ZERO),
            "x 0/0 voxels (100.0%), -- voxels/s, in 0.0s"
        );
    }

    fn text(buf: &[u8]) -> String {
        String::from_utf8(buf.to_vec()).expect("utf-8")
    }

    #[test]
    fn plain_mode_throttles_to_tens_of_percent_or_seconds() {
        let mut buf = Vec::new();
        {
            let mut p = Progress::new(&mut buf, Mode::Plain, "osipy dce");
            p.stage("fitting 1000 voxels");
            p.start("fitting", 1000);
            // 100 chunks of 10 voxels, 10 ms apart: one line per 10 %.
            for i in 1..=100 {
                p.advance_at(10, ms(10 * i));
            }
        }
        let out = text(&buf);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 11, "{out}");
        assert_eq!(lines[0], "osipy dce: fitting 1000 voxels");
        for (k, l) in lines[1..].iter().enumerate() {
            let pct = format!("({}.0%)", 10 * (k + 1));
            assert!(l.starts_with("osipy dce: fitting ") && l.contains(&pct), "{l}");
        }
        assert!(lines[10].contains("1000/1000 voxels (100.0%)") && lines[10].ends_with("in 1.0s"));
        assert!(!out.contains('\r') && !out.contains('\x1b'));

        // Slow chunks: a line every 5 s even within a 10 % step, and one at the end.
        let mut buf = Vec::new();
        {
            let mut p = Progress::new(&mut buf, Mode::Plain, "osipy t1");
            p.start("fitting", 1000);
            for i in 1..=9 {
                p.advance_at(1, Duration::from_secs(3 * i));
            }
            p.advance_at(991, Duration::from_secs(30));
        }
        let out = text(&buf);
        let lines: Vec<&str> = out.lines().collect();
        // Lines at 6, 12, 18 and 24 s (5 s or more after the previous one) and at 30 s (done).
        assert_eq!(lines.len(), 5, "{out}");
        for (k, l) in lines[..4].iter().enumerate() {
            let want = format!(
                "osipy t1: fitting {}/1000 voxels ({}.{}%)",
                2 * (k + 1),
                0,
                2 * (k + 1)
            );
            assert!(l.starts_with(&want), "{want} / {out}");
        }
        assert!(lines[4].contains("1000/1000 voxels (100.0%)"), "{out}");
    }

    #[test]
    fn terminal_mode_redraws_in_place_at_most_ten_times_a_second() {
        let mut buf = Vec::new();
        {
            let mut p = Progress::new(&mut buf, Mode::Terminal, "osipy dce");
            p.start("fitting", 1000);
            // 1000 updates over 1 s: the start, ~10 redraws, the end.
            for i in 1..=1000 {
                p.advance_at(1, ms(i));
            }
            p.stage("writing");
        }
        let out = text(&buf);
        let draws = out.matches('\r').count();
        assert!((10..=12).contains(&draws), "{draws} draws: {out:?}");
        assert_eq!(out.matches("\x1b[K").count(), draws);
        let (bar, rest) = out.split_once('\n').expect("a newline ends the bar");
        assert!(
            bar.ends_with("1000/1000 voxels 100.0% 1.0k/s in 1.0s\x1b[K"),
            "{bar:?}"
        );
        let first = format!(
            "\rosipy dce: fitting [{}] 0/1000 voxels 0.0% --/s ETA --:--\x1b[K",
            " ".repeat(12)
        );
        assert!(bar.starts_with(&first), "{bar:?}");
        // The bar keeps its length from one redraw to the next.
        for d in bar.split('\r').skip(1) {
            let cells = d
                .split_once('[')
                .and_then(|(_, r)| r.split_once(']'))
                .map(|(b, _)| b.len());
            assert_eq!(cells, Some(12), "{d:?}");
        }
        assert_eq!(rest, "osipy dce: writing\n");
    }

    #[test]
    fn terminal_line_left_open_is_closed() {
        let mut buf = Vec::new();
        {
            let mut p = Progress::new(&mut buf, Mode::Terminal, "osipy t1");
            p.start("fitting", 10);
            p.advance_at(5, ms(500));
        }
        let out = text(&buf);
        assert!(
            out.ends_with("\x1b[K\n") && out.matches('\n').count() == 1,
            "{out:?}"
        );
    }

    #[test]
    fn quiet_writes_nothing() {
        let mut buf = Vec::new();
        {
            let mut p = Progress::new(&mut buf, Mode::Quiet, "osipy dce");
            p.stage("reading");
            p.start("fitting", 100);
            p.advance_at(50, ms(10));
            p.advance(50);
        }
        assert!(buf.is_empty());
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_voxels(0, Device::Cpu), 1);
        assert_eq!(chunk_voxels(100, Device::Cpu), 100);
        assert_eq!(chunk_voxels(4096, Device::Cpu), 4096);
        assert_eq!(chunk_voxels(10_000, Device::Cpu), 4096);
        assert_eq!(chunk_voxels(1_000_000, Device::Cpu), 15_625);
        assert_eq!(chunk_voxels(1_000_000, Device::Emulator), 15_625);
        assert_eq!(chunk_voxels(1_000_000, Device::Cuda(0)), 1 << 18);
        assert_eq!(chunk_voxels(100_000, Device::Cuda(0)), 100_000);
        assert_eq!(chunk_voxels(64 << 20, Device::Cuda(0)), 1 << 20);
        for (n, len) in [(10_000usize, 4096usize), (7, 3), (6, 3), (1, 5), (0, 4)] {
            let c: Vec<Range<usize>> = chunks(n, len).collect();
            assert_eq!(c.len(), n.div_ceil(len));
            assert!(c.iter().all(|r| !r.is_empty() && r.len() <= len));
            let flat: Vec<usize> = c.into_iter().flatten().collect();
            assert_eq!(flat, (0..n).collect::<Vec<_>>());
        }
        let n = 1_000_000;
        let c = chunks(n, chunk_voxels(n, Device::Cpu)).count();
        assert!((50..=100).contains(&c), "{c} chunks");
    }
}

/// The chunked fit of `osipy dce` against one chunk and against the fitter on the whole 4-D
/// series (the path before chunking), every output bit for bit.
#[cfg(test)]
mod chunked_dce_fit {
    use ndarray::{Array2, Array3, Array4};
    use osipy_kernels::fit::LevenbergMarquardt;
    use osipy_kernels::{Device, XpArray};

    use super::{Mode, Progress};
    use crate::dce_cmd::{self, DceFit, DceOptions};
    use crate::Parsed;
    use osipy::dce;

    const DIMS: (usize, usize, usize) = (5, 4, 3);
    const NT: usize = 40;

    fn options(model: &str, delay: bool) -> DceOptions {
        let mut args: Vec<String> = ["--input", "in.npy", "--out", "out", "--model", model]
            .iter()
            .map(|a| (*a).to_string())
            .collect();
        if delay {
            args.push("--delay".into());
        }
        match dce_cmd::parse(&args) {
            Ok(Parsed::Run(o)) => o,
            _ => panic!("options {args:?}"),
        }
    }

    /// Extended Tofts curves with a small deterministic noise, one voxel with a NaN sample,
    /// one all-zero voxel; the mask leaves out every fifth voxel.
    fn series() -> (Vec<f64>, Vec<f64>, Array4<f64>, Array3<bool>) {
        let t: Vec<f64> = (0..NT).map(|i| i as f64 * 4.0).collect();
        let cb = osipy::aif::parker(&t, 15.0).expect("parker");
        let cp = dce::plasma_from_blood(&cb, 0.42).expect("plasma");
        let (nx, ny, nz) = DIMS;
        let n = nx * ny * nz;
        let k: Vec<f64> = (0..n).map(|i| 0.02 + 0.005 * (i % 11) as f64).collect();
        let e: Vec<f64> = (0..n).map(|i| 0.1 + 0.02 * (i % 7) as f64).collect();
        let v: Vec<f64> = (0..n).map(|i| 0.01 + 0.004 * (i % 5) as f64).collect();
        let mut ct = Array2::<f64>::zeros((n, NT));
        dce::extended_tofts::launch(&t, &cp, &vec![0.0; NT], &k, &e, &v, &mut ct).expect("model");
        let mut state = 12345u64;
        for x in ct.iter_mut() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *x += 0.004 * (((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5);
        }
        ct[[17, 9]] = f64::NAN;
        ct.row_mut(23).fill(0.0);
        let conc = ct.into_shape_with_order((nx, ny, nz, NT)).expect("shape");
        let mask = Array3::from_shape_fn(DIMS, |(x, y, z)| (x * ny * nz + y * nz + z) % 5 != 3);
        (t, cp, conc, mask)
    }

    fn same(what: &str, a: &Array3<f64>, b: &Array3<f64>) {
        assert_eq!(a.dim(), b.dim());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(x.to_bits() == y.to_bits(), "{what} at voxel {i}: {x:e} vs {y:e}");
        }
    }

    fn same_fit(what: &str, a: &DceFit, b: &DceFit) {
        assert_eq!(a.names, b.names, "{what}");
        for (n, (x, y)) in a.names.iter().zip(a.params.iter().zip(&b.params)) {
            same(&format!("{what} {n}"), x, y);
        }
        assert_eq!(a.quality.len(), 5);
        for ((n, x), (m, y)) in a.quality.iter().zip(&b.quality) {
            assert_eq!(n, m);
            same(&format!("{what} {n}"), x, y);
        }
    }

    fn run_on(
        o: &DceOptions,
        dev: Device,
        mask: &Array3<bool>,
        chunk: usize,
        mode: Mode,
    ) -> (DceFit, String) {
        let (t, cp, conc, _) = series();
        let mut buf = Vec::new();
        let f = {
            let mut p = Progress::new(&mut buf, mode, "osipy dce");
            dce_cmd::fit(
                o,
                dev,
                &t,
                (&cp, &vec![0.0; cp.len()]),
                &conc,
                mask,
                LevenbergMarquardt::default(),
                chunk,
                &mut p,
            )
            .expect("fit")
        };
        (f, String::from_utf8(buf).expect("utf-8"))
    }

    fn run(o: &DceOptions, chunk: usize, mode: Mode) -> (DceFit, String) {
        run_on(o, Device::Cpu, &series().3, chunk, mode)
    }

    #[test]
    fn chunks_on_the_emulator_match_the_cpu() {
        // A few voxels (the emulator is slow), one with a NaN sample.
        let mask = Array3::from_shape_fn(DIMS, |(x, y, z)| {
            let i = x * DIMS.1 * DIMS.2 + y * DIMS.2 + z;
            (12..20).contains(&i)
        });
        let o = options("tofts", false);
        let (cpu, _) = run_on(&o, Device::Cpu, &mask, 100, Mode::Quiet);
        let (emu, log) = run_on(&o, Device::Emulator, &mask, 3, Mode::Plain);
        same_fit("emulator", &cpu, &emu);
        assert_eq!(log.lines().count(), 3, "{log}");
        assert!(
            log.lines()
                .last()
                .is_some_and(|l| l.contains("8/8 voxels (100.0%)")),
            "{log}"
        );
        assert_eq!(emu.quality[3].1.iter().filter(|s| **s == 5.0).count(), 1);
    }

    #[test]
    fn every_model_is_the_same_in_one_chunk_and_in_many() {
        let voxels = series().3.iter().filter(|m| **m).count();
        assert_eq!(voxels, 48);
        for (model, delay) in [
            ("tofts", false),
            ("extended_tofts", true),
            ("patlak", false),
            ("2cxm", false),
            ("2cum", true),
        ] {
            let o = options(model, delay);
            let (one, _) = run(&o, voxels, Mode::Quiet);
            let (many, log) = run(&o, 7, Mode::Plain);
            same_fit(&format!("{model} delay {delay}"), &one, &many);
            // 7 chunks (the last of 6 voxels): a line per 10 % crossed, the last at 100 %.
            let lines: Vec<&str> = log.lines().collect();
            assert!(lines.len() >= 5 && lines.len() <= 7, "{log}");
            assert!(
                lines.iter().all(|l| l.starts_with("osipy dce: fitting ")),
                "{log}"
            );
            assert!(
                lines[lines.len() - 1].starts_with("osipy dce: fitting 48/48 voxels (100.0%)"),
                "{log}"
            );
            // Statuses: masked outside the mask, non-finite data where a sample is NaN.
            let status = &one.quality[3].1;
            let (_, ny, nz) = DIMS;
            let at = |i: usize| status[[i / (ny * nz), (i / nz) % ny, i % nz]];
            assert_eq!(at(3), 7.0, "{model}");
            assert_eq!(at(17), 5.0, "{model}");
            assert!(
                one.params[0].iter().filter(|p| p.is_finite()).count() >= 40,
                "{model}"
            );
        }
    }

    #[test]
    fn chunks_match_the_fitter_on_the_whole_series() {
        let (t, cp, conc, mask) = series();
        let lm = LevenbergMarquardt::default();
        let (chunked, _) = run(&options("extended_tofts", true), 5, Mode::Quiet);
        let data = XpArray::from_host(conc.into_dyn());
        let m = XpArray::from_host(mask.into_dyn());
        let delays: Vec<f64> = (-10..=10).map(f64::from).collect();
        let (a, b, c, d, _) = dce::extended_tofts_init::launch(&t, &cp, &data, &delays[..]).expect("init");
        let init = dce::stack_params(&[&a, &b, &c, &d]).expect("stack");
        let r = dce::extended_tofts_delay::fitter(&t, &cp, &vec![0.0; cp.len()])
            .settings(lm)
            .init(init)
            .fit_masked(&data, &m)
            .expect("fit");
        let p = r.params.to_host().expect("host");
        for (k, name) in chunked.names.iter().enumerate() {
            let want = p
                .index_axis(ndarray::Axis(3), k)
                .to_owned()
                .into_dimensionality()
                .expect("3-D");
            same(name, &chunked.params[k], &want);
        }
        let f = |a: ndarray::ArrayD<u32>| a.mapv(f64::from).into_dimensionality().expect("3-D");
        let want = [
            r.r2.to_host().expect("host").into_dimensionality().expect("3-D"),
            r.chi2
                .to_host()
                .expect("host")
                .into_dimensionality()
                .expect("3-D"),
            f(r.iterations.to_host().expect("host")),
            f(r.status.to_host().expect("host")),
            f(r.at_bound.to_host().expect("host")),
        ];
        for ((n, got), want) in chunked.quality.iter().zip(&want) {
            same(n, got, want);
        }
    }
}
