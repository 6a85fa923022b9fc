//! Percentiles and the machine description every benchmark prints first.

/// p50, p95, min and max of a set of samples.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub p50: f64,
    pub p95: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    pub fn of(samples: &[f64]) -> Spread {
        let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| -> f64 {
            if v.is_empty() {
                return f64::NAN;
            }
            let i = ((v.len() - 1) as f64 * q).round() as usize;
            v.get(i).copied().unwrap_or(f64::NAN)
        };
        Spread {
            p50: at(0.5),
            p95: at(0.95),
            min: v.first().copied().unwrap_or(f64::NAN),
            max: v.last().copied().unwrap_or(f64::NAN),
            n: v.len(),
        }
    }

    /// `p50 X  p95 X  min X  max X  (n samples)` with `unit` after each number.
    pub fn show(&self, scale: f64, decimals: usize, unit: &str) -> String {
        let f = |x: f64| format!("{:.*}{unit}", decimals, x * scale);
        format!(
            "p50 {}  p95 {}  min {}  max {}  (n={})",
            f(self.p50),
            f(self.p95),
            f(self.min),
            f(self.max),
            self.n
        )
    }

    /// Milliseconds from seconds.
    pub fn ms(&self) -> String {
        self.show(1e3, 2, " ms")
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn rustc_version() -> String {
    std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc unknown".to_string())
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_string())
}

pub fn print_machine() {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let build = if cfg!(debug_assertions) {
        "DEBUG build: figures are not representative, use --release"
    } else {
        "release build"
    };
    println!(
        "machine: {} · {cores} cores · load {}",
        cpu_model(),
        load_average()
    );
    println!(
        "build: preflight {} ({build}) · {}",
        env!("CARGO_PKG_VERSION"),
        rustc_version()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let s = Spread::of(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!((s.p50, s.min, s.max, s.n), (3.0, 1.0, 5.0, 5));
        assert!(Spread::of(&[]).p50.is_nan());
    }
}
