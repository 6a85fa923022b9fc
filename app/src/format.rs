//! Text for numbers and times. Pure and clock-free: "ago" is relative to the server's
//! `now_micros` sent with the data, so the server and the browser render the same.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// (year, month 1-12, day) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, usize::try_from(month).unwrap_or(1), day)
}

/// `2025-11-21 22:04:13` (UTC).
pub fn datetime(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// `Nov 21 22:04:13` (UTC), for dense tables.
pub fn short_datetime(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let (_, m, d) = civil(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{} {d} {:02}:{:02}:{:02}",
        MONTHS[m.saturating_sub(1).min(11)],
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// `just now`, `42s ago`, `5m ago`, `3h ago`, `2d ago`; `in 5m` for the future.
pub fn ago(now_micros: i64, micros: i64) -> String {
    let delta = (now_micros - micros) / 1_000_000;
    let (n, future) = if delta < 0 {
        (-delta, true)
    } else {
        (delta, false)
    };
    let text = if n < 5 {
        return "just now".to_string();
    } else if n < 60 {
        format!("{n}s")
    } else if n < 3600 {
        format!("{}m", n / 60)
    } else if n < 86_400 {
        format!("{}h", n / 3600)
    } else {
        format!("{}d", n / 86_400)
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// `820 ms`, `1.24 s`, `2m 05s`, `1h 02m`.
pub fn duration_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "–".to_string();
    }
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        let secs = (ms / 1000.0).round() as i64;
        if secs < 3600 {
            format!("{}m {:02}s", secs / 60, secs % 60)
        } else {
            format!("{}h {:02}m", secs / 3600, secs % 3600 / 60)
        }
    }
}

/// `$0.42`, `$0.0042`, `$12.30`, `$0` for zero.
pub fn cost(usd: f64) -> String {
    if !usd.is_finite() {
        return "–".to_string();
    }
    if usd == 0.0 {
        "$0".to_string()
    } else if usd.abs() < 0.01 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    }
}

/// `1.2k`, `340`, `2.1M`.
pub fn count(n: i64) -> String {
    let f = n as f64;
    if n.abs() < 1000 {
        n.to_string()
    } else if n.abs() < 1_000_000 {
        format!("{:.1}k", f / 1000.0)
    } else {
        format!("{:.1}M", f / 1_000_000.0)
    }
}

/// `1.2k → 340` for input and output tokens; empty when neither is known.
pub fn tokens(input: Option<i64>, output: Option<i64>) -> String {
    match (input, output) {
        (None, None) => String::new(),
        (i, o) => format!(
            "{} → {}",
            i.map(count).unwrap_or_else(|| "–".into()),
            o.map(count).unwrap_or_else(|| "–".into())
        ),
    }
}

/// The first 8 characters of an id, for tables (the full id is in the link and title).
pub fn short_id(id: &str) -> String {
    id.chars().take(8).collect()
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A dashboard URL carrying the project and extra query pairs (empty values skipped).
pub fn href(path: &str, project: &str, query: &[(&str, &str)]) -> String {
    let mut url = path.to_string();
    let mut sep = if path.contains('?') { '&' } else { '?' };
    let pairs = std::iter::once(("project", project)).chain(query.iter().copied());
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        url.push(sep);
        url.push_str(k);
        url.push('=');
        url.push_str(&encode(v));
        sep = '&';
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(datetime(0), "1970-01-01 00:00:00");
        assert_eq!(datetime(1_700_000_000_123_456), "2023-11-14 22:13:20");
        assert_eq!(short_datetime(1_700_000_000_123_456), "Nov 14 22:13:20");
        assert_eq!(datetime(951_782_400_000_000), "2000-02-29 00:00:00");
    }

    #[test]
    fn relative_times() {
        let now = 1_000_000_000_000;
        assert_eq!(ago(now, now - 2_000_000), "just now");
        assert_eq!(ago(now, now - 42_000_000), "42s ago");
        assert_eq!(ago(now, now - 300_000_000), "5m ago");
        assert_eq!(ago(now, now - 3 * 3_600_000_000), "3h ago");
        assert_eq!(ago(now, now + 300_000_000), "in 5m");
    }

    #[test]
    fn numbers() {
        assert_eq!(duration_ms(820.4), "820 ms");
        assert_eq!(duration_ms(1240.0), "1.24 s");
        assert_eq!(duration_ms(125_000.0), "2m 05s");
        assert_eq!(cost(0.4212), "$0.42");
        assert_eq!(cost(0.0042), "$0.0042");
        assert_eq!(cost(0.0), "$0");
        assert_eq!(tokens(Some(1200), Some(340)), "1.2k → 340");
        assert_eq!(tokens(None, None), "");
    }

    #[test]
    fn links_carry_the_project() {
        assert_eq!(
            href(
                "/dashboard/traces",
                "proj_1",
                &[("tool", "a b&c"), ("agent", "")]
            ),
            "/dashboard/traces?project=proj_1&tool=a%20b%26c"
        );
        assert_eq!(href("/dashboard", "", &[]), "/dashboard");
    }
}
