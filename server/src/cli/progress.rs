//! Progress of long command-line work (dataset import, demo loading, benchmark loads)
//! on stderr, so stdout stays the command's result. On a terminal: one line redrawn
//! in place, with a bar, the count, the rate and the time left. Elsewhere (a log, CI):
//! quiet while it runs, and one line per stage when it ends, with the count, the time
//! and the rate.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `1234567` as `1,234,567`, as the dashboard writes counts.
pub use app::policies::replay::thousands;

/// How often the terminal line is redrawn.
const REDRAW: Duration = Duration::from_millis(100);
const BAR_WIDTH: usize = 24;

pub struct Progress {
    what: &'static str,
    unit: &'static str,
    total: Option<u64>,
    done: AtomicU64,
    started: Instant,
    /// When the terminal line was last drawn; `None` when stderr is not a terminal.
    drawn: Option<Mutex<Instant>>,
}

impl Progress {
    /// `what` names the work ("importing"), `unit` what is counted ("events").
    pub fn new(what: &'static str, unit: &'static str, total: Option<u64>) -> Self {
        Progress::with_terminal(what, unit, total, std::io::stderr().is_terminal())
    }

    fn with_terminal(
        what: &'static str,
        unit: &'static str,
        total: Option<u64>,
        terminal: bool,
    ) -> Self {
        let now = Instant::now();
        Progress {
            what,
            unit,
            total,
            done: AtomicU64::new(0),
            started: now,
            drawn: terminal.then(|| Mutex::new(now)),
        }
    }

    /// Counts `n` more done; on a terminal, redraws the line now and then.
    pub fn add(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        let Some(drawn) = &self.drawn else { return };
        let Ok(mut last) = drawn.try_lock() else {
            return; // another thread is drawing
        };
        if last.elapsed() >= REDRAW {
            *last = Instant::now();
            let mut err = std::io::stderr().lock();
            // `\r` back to the line's start, `\x1b[K` clears what a longer line left.
            let _ = write!(err, "\r{}\x1b[K", self.running_line(done));
            let _ = err.flush();
        }
    }

    /// The stage's one line: everything counted, the time it took and the rate.
    pub fn finish(&self) {
        let clear = if self.drawn.is_some() { "\r\x1b[K" } else { "" };
        eprintln!(
            "{clear}{}",
            self.final_line(self.done.load(Ordering::Relaxed))
        );
    }

    fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn rate(&self, done: u64) -> Option<f64> {
        let seconds = self.seconds();
        (seconds > 0.0 && done > 0).then(|| done as f64 / seconds)
    }

    /// `importing [#########---------------]  38% 3,800 of 10,000 events · 5,000/s · 2 s left`
    fn running_line(&self, done: u64) -> String {
        let rate = self.rate(done);
        let speed = rate.map_or(String::new(), |r| format!(" · {}/s", thousands(r as u64)));
        match self.total {
            Some(total) if total > 0 => {
                let done = done.min(total);
                let filled = (done as usize * BAR_WIDTH) / total as usize;
                let left = rate.map_or(String::new(), |r| {
                    format!(" · {} left", duration((total - done) as f64 / r))
                });
                format!(
                    "{} [{}{}] {:>3}% {} of {} {}{speed}{left}",
                    self.what,
                    "#".repeat(filled),
                    "-".repeat(BAR_WIDTH - filled),
                    done * 100 / total,
                    thousands(done),
                    thousands(total),
                    self.unit
                )
            }
            _ => format!("{}: {} {}{speed}", self.what, thousands(done), self.unit),
        }
    }

    /// `importing: 10,000 events in 2.0 s, 5,000/s`
    fn final_line(&self, done: u64) -> String {
        let rate = self
            .rate(done)
            .map_or(String::new(), |r| format!(", {}/s", thousands(r as u64)));
        format!(
            "{}: {} {} in {:.1} s{rate}",
            self.what,
            thousands(done),
            self.unit,
            self.seconds()
        )
    }
}

/// Seconds as people read a time left: `45 s`, `3 min 20 s`, `2 h 5 min`.
fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_sees_a_bar_with_rate_and_time_left() {
        let p = Progress::with_terminal("importing", "events", Some(400), true);
        p.add(100);
        std::thread::sleep(Duration::from_millis(20));
        let line = p.running_line(100);
        assert!(
            line.starts_with("importing [######------------------]  25% 100 of 400 events · "),
            "{line}"
        );
        assert!(
            line.contains("/s · ") && line.ends_with(" s left"),
            "{line}"
        );
        let open = Progress::with_terminal("loading", "events", None, true).running_line(5);
        assert!(open.starts_with("loading: 5 events"), "{open}");
    }

    #[test]
    fn the_last_line_says_how_many_how_long_and_how_fast() {
        let p = Progress::with_terminal("importing", "events", Some(400), false);
        assert!(p.drawn.is_none(), "nothing is drawn off a terminal");
        p.add(400);
        std::thread::sleep(Duration::from_millis(20));
        let last = p.final_line(400);
        assert!(last.starts_with("importing: 400 events in "), "{last}");
        assert!(last.contains(" s, ") && last.ends_with("/s"), "{last}");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn time_left_reads_like_a_clock() {
        assert_eq!(duration(44.6), "45 s");
        assert_eq!(duration(200.0), "3 min 20 s");
        assert_eq!(duration(7_500.0), "2 h 5 min");
        assert_eq!(duration(-1.0), "0 s");
    }
}
