//! Progress of long command-line work (dataset import, demo loading, benchmark loads)
//! on stderr, so stdout stays the command's result: at most one line a second while it
//! runs, and one line when it ends with the count, the time and the rate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `1234567` as `1,234,567`, as the dashboard writes counts.
pub use app::policies::replay::thousands;

const EVERY: Duration = Duration::from_secs(1);

pub struct Progress {
    what: &'static str,
    unit: &'static str,
    total: Option<u64>,
    done: AtomicU64,
    started: Instant,
    last_line: Mutex<Instant>,
}

impl Progress {
    /// `what` names the work ("importing"), `unit` what is counted ("events").
    pub fn new(what: &'static str, unit: &'static str, total: Option<u64>) -> Self {
        let now = Instant::now();
        Progress {
            what,
            unit,
            total,
            done: AtomicU64::new(0),
            started: now,
            last_line: Mutex::new(now),
        }
    }

    /// Counts `n` more done; prints a line if a second has passed since the last.
    pub fn add(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        let Ok(mut last) = self.last_line.try_lock() else {
            return; // another thread is printing
        };
        if last.elapsed() >= EVERY {
            *last = Instant::now();
            eprintln!("{}", self.line(done, false));
        }
    }

    /// The last line: everything counted, the time it took and the rate.
    pub fn finish(&self) {
        eprintln!("{}", self.line(self.done.load(Ordering::Relaxed), true));
    }

    fn line(&self, done: u64, last: bool) -> String {
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            format!(", {}/s", thousands((done as f64 / seconds) as u64))
        } else {
            String::new()
        };
        let of = match self.total {
            Some(total) if total > 0 => format!(
                " of {} ({}%)",
                thousands(total),
                done.saturating_mul(100) / total
            ),
            _ => String::new(),
        };
        let state = if last { "done" } else { "…" };
        format!(
            "{}: {}{of} {} in {seconds:.1} s{rate} {state}",
            self.what,
            thousands(done),
            self.unit
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_how_far_how_long_and_how_fast() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        let p = Progress::new("importing", "events", Some(400));
        p.add(100);
        let line = p.line(100, false);
        assert!(
            line.starts_with("importing: 100 of 400 (25%) events in "),
            "{line}"
        );
        assert!(line.ends_with('…'), "{line}");
        let last = p.line(400, true);
        assert!(
            last.contains("400 of 400 (100%)") && last.ends_with("done"),
            "{last}"
        );
        let open = Progress::new("loading", "events", None).line(5, true);
        assert!(open.starts_with("loading: 5 events in "), "{open}");
    }
}
