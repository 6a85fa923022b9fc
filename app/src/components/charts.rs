//! SVG charts drawn by the app (no chart library): calls per verdict over time as
//! stacked bars, and cost over time, with their geometry (the axis ceiling and the
//! stacking, pure and tested here).
use leptos::prelude::*;
use policy::Verdict;
use serde::{Deserialize, Serialize};

use crate::format::{cost, short_datetime};

/// One bar of the home chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    pub start_micros: i64,
    /// Calls per verdict, in `Verdict::ALL` order.
    pub counts: [i64; 5],
    pub cost_usd: f64,
}

/// The top of a chart's y axis: the smallest 1, 2 or 5 × 10ⁿ at or above `max` (at
/// least 1), so gridlines fall on round numbers.
pub fn nice_ceiling(max: f64) -> f64 {
    if !max.is_finite() || max <= 1.0 {
        return 1.0;
    }
    let mut step = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * step >= max * (1.0 - 1e-9) {
                return m * step;
            }
        }
        step *= 10.0;
        if step > 1e15 {
            return max;
        }
    }
}

/// One bar's segments, bottom up in the fixed verdict order: `(verdict, y, height)` in
/// a plot `height` tall whose top stands for `ceiling` events. Zero counts draw nothing.
pub fn stack(counts: &[i64; 5], ceiling: f64, height: f64) -> Vec<(Verdict, f64, f64)> {
    let mut out = Vec::new();
    if ceiling <= 0.0 {
        return out;
    }
    let mut bottom = height;
    for (v, n) in Verdict::ALL.into_iter().zip(counts.iter()) {
        if *n <= 0 {
            continue;
        }
        let h = (*n as f64) / ceiling * height;
        bottom -= h;
        out.push((v, bottom, h));
    }
    out
}

/// The plot's viewBox: stretched to the card's width (CSS sets its height to `H` px),
/// beside a fixed column for the value labels.
const W: f64 = 1000.0;
const H: f64 = 190.0;
const BOTTOM: f64 = 20.0;
const TOP: f64 = 8.0;

fn plot_height() -> f64 {
    H - BOTTOM - TOP
}

/// Where bar `i` of `n` starts, and its width.
fn slot(i: usize, n: usize) -> (f64, f64) {
    let n = n.max(1) as f64;
    let step = W / n;
    let gap = (step * 0.18).clamp(1.0, 6.0);
    (step * i as f64 + gap / 2.0, (step - gap).max(1.0))
}

/// Gridlines at 0, ½ and the top.
fn grid() -> impl IntoView {
    [0.0, 0.5, 1.0]
        .into_iter()
        .map(|f| {
            let y = TOP + plot_height() * (1.0 - f);
            view! { <line class="grid" x1=0.0 x2=W y1=y y2=y/> }
        })
        .collect_view()
}

/// `v` of the plot's height, as a CSS percentage.
fn percent(v: f64, of: f64) -> String {
    format!("{:.2}%", v / of * 100.0)
}

/// The gridlines' labels (at 0, ½ and the top) and the time labels under the first,
/// middle and last bar, as HTML over the chart: the plot stretches to any width,
/// the labels keep their size (inside an SVG they shrank to 4 px on a phone).
fn axis_labels(
    ceiling: f64,
    label: impl Fn(f64) -> String,
    bars: &[Bar],
    now: i64,
) -> impl IntoView {
    let values = [0.0, 0.5, 1.0]
        .into_iter()
        .map(|f| {
            let top = percent(TOP + plot_height() * (1.0 - f), H);
            view! { <span class="axis y" style=format!("top: {top}")>{label(ceiling * f)}</span> }
        })
        .collect_view();
    let n = bars.len();
    let times = [0, n / 2, n.saturating_sub(1)]
        .into_iter()
        .enumerate()
        .filter_map(|(k, i)| bars.get(i).map(|b| (k, i, b.start_micros)))
        .map(|(k, i, start)| {
            let (x, w) = slot(i, n);
            let (place, x) = match k {
                0 => ("start", x),
                1 => ("middle", x + w / 2.0),
                _ => ("end", x + w),
            };
            let text = if k == 2 {
                "now".to_string()
            } else {
                crate::format::ago(now, start)
            };
            // Past the value labels' column, a share of the plot's width.
            let left = format!(
                "left: calc(var(--value-labels) + (100% - var(--value-labels)) * {:.4})",
                x / W
            );
            view! { <span class=format!("axis x {place}") style=left>{text}</span> }
        })
        .collect_view();
    view! { {values}{times} }
}

fn bucket_title(b: &Bar, width: i64) -> String {
    let parts: Vec<String> = Verdict::ALL
        .into_iter()
        .zip(b.counts.iter())
        .filter(|(_, n)| **n > 0)
        .map(|(v, n)| format!("{n} {v}"))
        .collect();
    let body = if parts.is_empty() {
        "no calls".to_string()
    } else {
        parts.join(", ")
    };
    format!(
        "{} – {} UTC: {body}; {}",
        short_datetime(b.start_micros),
        short_datetime(b.start_micros + width),
        cost(b.cost_usd)
    )
}

/// Calls per verdict per bucket, stacked in the fixed verdict order.
#[component]
pub fn VerdictChart(bars: Vec<Bar>, bucket_micros: i64, now: i64) -> impl IntoView {
    let max = bars
        .iter()
        .map(|b| b.counts.iter().sum::<i64>())
        .max()
        .unwrap_or(0);
    let ceiling = nice_ceiling(max as f64);
    let n = bars.len();
    let columns = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (x, w) = slot(i, n);
            let segs = stack(&b.counts, ceiling, plot_height())
                .into_iter()
                .map(|(v, y, h)| {
                    view! { <rect class=format!("seg v-{}", v.as_str()) data-verdict=v.as_str() x=x y=TOP + y width=w height=h.max(0.5)/> }
                })
                .collect_view();
            let total: i64 = b.counts.iter().sum();
            view! {
                <g class="bar" data-total=total.to_string()>
                    <title>{bucket_title(b, bucket_micros)}</title>
                    <rect class="hit" x=x y=TOP width=w height=plot_height()/>
                    {segs}
                </g>
            }
        })
        .collect_view();
    view! {
        <div class="chart-frame">
            <svg class="chart verdict-chart" id="verdict-chart" viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none"
                role="img" aria-label=format!("Calls per verdict over time, {n} bars")>
                {grid()}
                {columns}
            </svg>
            {axis_labels(ceiling, |v| format!("{v:.0}"), &bars, now)}
        </div>
    }
}

/// Cost per bucket.
#[component]
pub fn CostChart(bars: Vec<Bar>, bucket_micros: i64, now: i64) -> impl IntoView {
    let max = bars.iter().map(|b| b.cost_usd).fold(0.0_f64, f64::max);
    // Round up in cents, so the axis reads $0.05, $0.10, ...
    let ceiling = if max > 0.0 {
        nice_ceiling(max * 100.0) / 100.0
    } else {
        0.01
    };
    let n = bars.len();
    let columns = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (x, w) = slot(i, n);
            let h = (b.cost_usd / ceiling * plot_height()).clamp(0.0, plot_height());
            view! {
                <g class="bar">
                    <title>{bucket_title(b, bucket_micros)}</title>
                    <rect class="hit" x=x y=TOP width=w height=plot_height()/>
                    {(b.cost_usd > 0.0).then(|| view! { <rect class="seg cost" x=x y=TOP + plot_height() - h width=w height=h.max(0.5)/> })}
                </g>
            }
        })
        .collect_view();
    view! {
        <div class="chart-frame">
            <svg class="chart cost-chart" id="cost-chart" viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none"
                role="img" aria-label="Cost over time">
                {grid()}
                {columns}
            </svg>
            {axis_labels(ceiling, cost, &bars, now)}
        </div>
    }
}

/// The legend under the verdict chart.
#[component]
pub fn VerdictLegend() -> impl IntoView {
    let items = Verdict::ALL
        .into_iter()
        .map(|v| view! { <span class=format!("legend-item v-{}", v.as_str())><i></i>{v.as_str()}</span> })
        .collect_view();
    view! { <div class="chart-legend">{items}</div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
        assert_eq!(nice_ceiling(1.0), 1.0);
        assert_eq!(nice_ceiling(1.5), 2.0);
        assert_eq!(nice_ceiling(3.0), 5.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(10.0), 10.0);
        assert_eq!(nice_ceiling(11.0), 20.0);
        assert_eq!(nice_ceiling(480.0), 500.0);
        assert_eq!(nice_ceiling(501.0), 1000.0);
    }

    #[test]
    fn bars_stack_bottom_up_in_verdict_order() {
        // 4 allowed, 0 blocked, 1 held on a 10-event axis 100 px tall.
        let segs = stack(&[4, 0, 1, 0, 0], 10.0, 100.0);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0], (Verdict::Allowed, 60.0, 40.0));
        assert_eq!(segs[1], (Verdict::Held, 50.0, 10.0));
        assert!(stack(&[0; 5], 10.0, 100.0).is_empty());
        assert!(stack(&[3; 5], 0.0, 100.0).is_empty());
        // A full bar reaches the top exactly.
        let full = stack(&[2, 3, 0, 0, 5], 10.0, 80.0);
        assert!(full.last().is_some_and(|s| s.1.abs() < 1e-9));
    }
}
