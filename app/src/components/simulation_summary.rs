//! How a simulation summary reads, wherever one is shown (the draft modal, the
//! permalink page, the policy editor and the simulator): the one-line headline, the
//! verdict transitions and the table of sample matches.
use leptos::prelude::*;
use policy::{SampleMatch, SimulationSummary};

use crate::components::{AgentChip, VerdictChip};
use crate::format::{cost, href, short_id};

/// `1 of 2 events match · 1 would change verdict`.
pub fn headline(summary: &SimulationSummary) -> String {
    format!(
        "{} of {} {} · {} would change verdict",
        summary.events_matched,
        summary.events_scanned,
        if summary.events_scanned == 1 {
            "event matches"
        } else {
            "events match"
        },
        summary.events_would_have_changed
    )
}

/// `12:04:05` out of an ISO 8601 timestamp, or the text as it is.
fn clock(ts: &Option<String>) -> String {
    match ts {
        Some(t) if t.len() >= 19 && t.as_bytes().get(10) == Some(&b'T') => t[11..19].to_string(),
        Some(t) => t.clone(),
        None => "–".to_string(),
    }
}

#[component]
pub fn SampleTable(samples: Vec<SampleMatch>, project: String) -> impl IntoView {
    if samples.is_empty() {
        return view! { <p class="muted samples-empty">"No event matches this draft."</p> }
            .into_any();
    }
    let rows = samples
        .into_iter()
        .map(|s| {
            let link = href(
                &format!("/dashboard/traces/{}", s.trace_id),
                &project,
                &[("span", s.span_id.as_str())],
            );
            let changed = s.recorded != s.simulated;
            view! {
                <tr class:changed=changed>
                    <td class="mono"><a href=link title=s.trace_id.clone()>{short_id(&s.trace_id)}</a></td>
                    <td class="mono">{s.tool.clone()}</td>
                    <td>{s.agent.clone().map(|a| view! { <AgentChip name=a/> })}</td>
                    <td class="num">{s.cost_usd.map(cost).unwrap_or_default()}</td>
                    <td class="mono">{clock(&s.timestamp)}</td>
                    <td class="transition">
                        <VerdictChip verdict=s.recorded/>
                        <span class="arrow">"→"</span>
                        <VerdictChip verdict=s.simulated/>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data samples">
                <thead>
                    <tr>
                        <th>"Trace"</th>
                        <th>"Tool"</th>
                        <th>"Agent"</th>
                        <th class="num">"Cost"</th>
                        <th>"Time"</th>
                        <th>"Recorded → simulated"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn Transitions(summary: SimulationSummary) -> impl IntoView {
    if summary.transitions.is_empty() {
        return view! { <p class="muted">"No verdict changes."</p> }.into_any();
    }
    let items = summary
        .transitions
        .iter()
        .map(|(k, n)| {
            let (from, to) = k.split_once("->").unwrap_or((k.as_str(), ""));
            let chip = |v: &str| {
                v.parse::<policy::Verdict>()
                    .ok()
                    .map(|verdict| view! { <VerdictChip verdict/> })
            };
            view! {
                <li data-transition=k.clone()>
                    {chip(from)} <span class="arrow">"→"</span> {chip(to)}
                    <b class="n">{*n}</b>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="transitions">{items}</ul> }.into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_reads_like_the_issue() {
        let s = SimulationSummary {
            events_scanned: 2,
            events_matched: 1,
            events_would_have_changed: 1,
            ..Default::default()
        };
        assert_eq!(headline(&s), "1 of 2 events match · 1 would change verdict");
        assert_eq!(clock(&Some("2025-01-02T03:04:05.123Z".into())), "03:04:05");
    }
}
