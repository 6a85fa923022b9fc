//! The home page's time range (`?range=24h|7d|30d`) and the chart's buckets over it.
//! Pure: no IO, no clock, so the server and the browser compute the same thing.

use policy::TimeWindow;

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

/// The home page's time range (`?range=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Range {
    #[default]
    Day,
    Week,
    Month,
}

impl Range {
    pub const ALL: [Range; 3] = [Range::Day, Range::Week, Range::Month];

    /// The same window in the shared vocabulary (`policy::TimeWindow`).
    pub fn window(self) -> TimeWindow {
        match self {
            Range::Day => TimeWindow::Day,
            Range::Week => TimeWindow::Week,
            Range::Month => TimeWindow::Month,
        }
    }

    /// `24h` (also the default for a missing or empty value), `7d`, `30d`: the
    /// windows of `policy::TimeWindow` that the home page charts.
    pub fn parse(value: Option<&str>) -> Result<Range, String> {
        let text = value.map(str::trim).unwrap_or("");
        if text.is_empty() {
            return Ok(Range::Day);
        }
        let window = TimeWindow::parse("range", text);
        Range::ALL
            .into_iter()
            .find(|r| Ok(r.window()) == window)
            .ok_or_else(|| format!("range: unknown range {text:?}; expected 24h, 7d or 30d"))
    }

    /// The value in URLs; the traces page understands the same words.
    pub fn as_str(self) -> &'static str {
        self.window().as_str()
    }

    /// "last 24 hours".
    pub fn label(self) -> &'static str {
        self.window().label().trim_start_matches("the ")
    }

    pub fn span_micros(self) -> i64 {
        self.window().span_micros().unwrap_or(DAY)
    }

    /// Bars in the chart: an hour each over a day, six hours over a week, a day over
    /// a month.
    pub fn buckets(self) -> Buckets {
        match self {
            Range::Day => Buckets::new(HOUR, 24),
            Range::Week => Buckets::new(6 * HOUR, 28),
            Range::Month => Buckets::new(DAY, 30),
        }
    }
}

/// Equal buckets aligned to UTC (hours, six hours, days) from the one holding the
/// range's first microsecond to the one holding `now`: bucket `i` covers
/// `[start + i × width, start + (i + 1) × width)`. Widths are whole hours because the
/// counts come from the store's hourly rollups, so the range is rounded out to whole
/// buckets: `count` of them, or one more when `now` is not on a boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buckets {
    pub width_micros: i64,
    pub count: usize,
}

impl Buckets {
    pub fn new(width_micros: i64, count: usize) -> Self {
        Buckets {
            width_micros: width_micros.max(1),
            count: count.max(1),
        }
    }

    fn span(self) -> i64 {
        self.width_micros
            .saturating_mul(i64::try_from(self.count).unwrap_or(i64::MAX))
    }

    /// The end of the bucket holding `now` (exclusive).
    pub fn end(self, now_micros: i64) -> i64 {
        now_micros
            .div_euclid(self.width_micros)
            .saturating_add(1)
            .saturating_mul(self.width_micros)
    }

    /// The first bucket's start: the boundary at or before the range's first microsecond.
    pub fn start(self, now_micros: i64) -> i64 {
        now_micros
            .saturating_sub(self.span())
            .saturating_add(1)
            .div_euclid(self.width_micros)
            .saturating_mul(self.width_micros)
    }

    /// How many buckets there are at `now`.
    pub fn len(self, now_micros: i64) -> usize {
        let whole = self.end(now_micros).saturating_sub(self.start(now_micros)) / self.width_micros;
        usize::try_from(whole).unwrap_or(self.count).max(1)
    }

    pub fn index(self, now_micros: i64, ts_micros: i64) -> Option<usize> {
        let start = self.start(now_micros);
        if ts_micros < start || ts_micros >= self.end(now_micros) {
            return None;
        }
        let i = usize::try_from((ts_micros - start) / self.width_micros).ok()?;
        Some(i.min(self.len(now_micros) - 1))
    }

    pub fn bucket_start(self, now_micros: i64, i: usize) -> i64 {
        let i = i64::try_from(i).unwrap_or(i64::MAX);
        self.start(now_micros)
            .saturating_add(self.width_micros.saturating_mul(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_round_trip() {
        assert_eq!(Range::parse(None), Ok(Range::Day));
        assert_eq!(Range::parse(Some("")), Ok(Range::Day));
        for r in Range::ALL {
            assert_eq!(Range::parse(Some(r.as_str())), Ok(r));
        }
        let err = Range::parse(Some("1y")).unwrap_err();
        assert!(err.starts_with("range: unknown range \"1y\""), "{err}");
        assert_eq!(Range::Week.span_micros(), 7 * DAY);
    }

    #[test]
    fn buckets_are_whole_utc_buckets_covering_the_range() {
        // 2023-11-14T22:13:20Z: neither on an hour nor on a day.
        let now = 1_700_000_000_000_000;
        for r in Range::ALL {
            let b = r.buckets();
            assert_eq!(
                b.width_micros * i64::try_from(b.count).unwrap(),
                r.span_micros()
            );
            let (start, end) = (b.start(now), b.end(now));
            assert_eq!(start % b.width_micros, 0, "{r:?} starts on a boundary");
            assert_eq!(end % b.width_micros, 0, "{r:?} ends on a boundary");
            // The range's first and last microseconds are in the first and last bucket.
            let first = now - r.span_micros() + 1;
            assert!(start <= first && first < start + b.width_micros, "{r:?}");
            assert!(now < end && end - b.width_micros <= now, "{r:?}");
            assert_eq!(
                b.len(now),
                b.count + 1,
                "{r:?}: one more, now is mid-bucket"
            );
            assert_eq!(b.index(now, first), Some(0));
            assert_eq!(b.index(now, start), Some(0));
            assert_eq!(b.index(now, now), Some(b.len(now) - 1));
            assert_eq!(b.index(now, start - 1), None);
            assert_eq!(b.index(now, end), None);
        }
        let b = Range::Day.buckets();
        // 22:13: the last bucket is 22:00-23:00, the first 22:00-23:00 the day before.
        let last_hour = now - 800 * 1_000_000;
        assert_eq!(b.bucket_start(now, 24), last_hour);
        assert_eq!(b.bucket_start(now, 0), last_hour - DAY);
        assert_eq!(b.index(now, last_hour - 1), Some(23));
        // On a boundary exactly, `count` buckets cover the range.
        let on_hour = last_hour + HOUR - 1;
        assert_eq!(b.len(on_hour), 24);
        assert_eq!(Range::Week.buckets().count, 28);
        assert_eq!(Range::Month.buckets().count, 30);
        assert_eq!(Range::Month.buckets().start(now) % DAY, 0);
    }

    #[test]
    fn degenerate_buckets_do_not_panic() {
        let b = Buckets::new(0, 0);
        assert_eq!(b.count, 1);
        assert_eq!(b.index(10, 10), Some(0));
        assert_eq!(b.index(i64::MAX, i64::MIN), None);
    }
}
