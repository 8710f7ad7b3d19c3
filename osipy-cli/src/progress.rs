//! Progress of the long stage of a command (the voxel fit of `osipy dce` and `osipy t1`) on
//! stderr (the library pipelines report each chunk of voxels they finish).
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
use std::time::{Duration, Instant};

/// Shortest time between two redraws of the terminal line.
pub(crate) const REDRAW: Duration = Duration::from_millis(100);
/// Longest time between two plain lines while the work advances (when not a terminal).
pub(crate) const PLAIN_EVERY: Duration = Duration::from_secs(5);
/// A plain line each time the work crosses another multiple of this percentage.
pub(crate) const PLAIN_STEP_PERCENT: usize = 10;

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
}
