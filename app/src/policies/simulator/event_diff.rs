//! The per-event diff: every scanned event's verdict before and after the draft, and
//! the deciding draft rule, filtered by kind (flipped, matched, all), transition and
//! text, shown a page at a time.
use leptos::prelude::*;

use crate::components::{AgentChip, VerdictChip};
use crate::format::{cost, href, short_id};
use crate::icons::Icon;
use crate::policies::replay::{thousands, Outcome};

use super::{SimulatorState, ROWS_PAGE};

/// `12:04:05` (or the date and time) out of an ISO 8601 timestamp.
fn when(ts: &Option<String>) -> String {
    match ts {
        Some(t) if t.len() >= 19 && t.as_bytes().get(10) == Some(&b'T') => {
            format!("{} {}", &t[5..10], &t[11..19])
        }
        Some(t) => t.clone(),
        None => "–".to_string(),
    }
}

/// Rows of the diff that differ only in time (the same trace, tool, agent, transition
/// and deciding rule), shown as one with their count: sixty retries of one tool in
/// one trace are one line, not sixty.
struct Group<'a> {
    first: &'a Outcome,
    count: usize,
    cost_usd: Option<f64>,
}

/// `outcomes` grouped, each group where its first event was; `grouped: false` keeps one
/// row per event.
fn group<'a>(outcomes: &[&'a Outcome], events: &[policy::Event], grouped: bool) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    let mut at: std::collections::HashMap<
        (&str, &str, Option<&str>, String, Option<usize>),
        usize,
    > = std::collections::HashMap::new();
    for o in outcomes {
        let Some(e) = events.get(o.event) else {
            continue;
        };
        let key = (
            e.trace_id.as_str(),
            e.tool.as_str(),
            e.agent.as_deref(),
            format!("{}->{}", o.baseline, o.simulated),
            o.rule,
        );
        match at.get(&key).filter(|_| grouped) {
            Some(&i) => {
                let Some(g) = groups.get_mut(i) else { continue };
                g.count += 1;
                g.cost_usd = match (g.cost_usd, e.cost_usd) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
            }
            None => {
                at.insert(key, groups.len());
                groups.push(Group {
                    first: o,
                    count: 1,
                    cost_usd: e.cost_usd,
                });
            }
        }
    }
    groups
}

#[component]
pub(super) fn EventDiff(
    state: SimulatorState,
    /// The project's id.
    project: String,
) -> impl IntoView {
    let table_pid = project;
    let diff_table = move || {
        let (r, stale) = state.result.get().0.results()?;
        let mode = state.show.get();
        let t = state.transition.get();
        let needle = state.search.get().to_lowercase();
        let matching: Vec<&Outcome> = r
            .outcomes
            .iter()
            .filter(|o| match mode.as_str() {
                "matched" => o.rule.is_some(),
                "all" => true,
                _ => o.changed(),
            })
            .filter(|o| {
                t.as_deref()
                    .is_none_or(|k| k == format!("{}->{}", o.baseline, o.simulated))
            })
            .filter(|o| {
                needle.is_empty()
                    || r.events.events.get(o.event).is_some_and(|e| {
                        e.tool.to_lowercase().contains(&needle)
                            || e.agent
                                .as_deref()
                                .is_some_and(|a| a.to_lowercase().contains(&needle))
                    })
            })
            .collect();
        let events_total = matching.len();
        let groups = group(&matching, &r.events.events, state.grouped.get());
        let total = groups.len();
        let shown = state.limit.get().min(total);
        let rows = groups
            .iter()
            .take(shown)
            .filter_map(|g| {
                let o = g.first;
                let e = r.events.events.get(o.event)?;
                let link = href(
                    &format!("/dashboard/traces/{}", e.trace_id),
                    &table_pid,
                    &[("span", e.span_id.as_str())],
                );
                let rule = o
                    .rule
                    .and_then(|i| r.rule_labels.get(i).cloned())
                    .unwrap_or_else(|| "no draft rule".to_string());
                let times = (g.count > 1).then(|| {
                    view! { <span class="chip count" title=format!("{} events like this one in this trace", g.count)>{format!("×{}", thousands(g.count as u64))}</span> }
                });
                Some(view! {
                    <tr class:changed=o.changed() data-transition=format!("{}->{}", o.baseline, o.simulated) data-count=g.count.to_string()>
                        <td class="mono time">{when(&e.timestamp)}</td>
                        <td class="mono"><a href=link title=e.trace_id.clone()>{short_id(&e.trace_id)}</a></td>
                        <td class="mono">{e.tool.clone()}" "{times}</td>
                        <td>{e.agent.clone().map(|a| view! { <AgentChip name=a/> })}</td>
                        <td class="num">{g.cost_usd.map(cost).unwrap_or_default()}</td>
                        <td class="transition">
                            <VerdictChip verdict=o.baseline/>
                            <span class="arrow">"→"</span>
                            <VerdictChip verdict=o.simulated/>
                        </td>
                        <td class="mono rule-label">{rule}</td>
                    </tr>
                })
            })
            .collect_view();
        let empty = (total == 0).then(|| {
            view! {
                <p class="muted" id="diff-empty">"No event matches these filters."</p>
            }
        });
        Some(view! {
            <p class="muted" id="diff-count">{
                let noun = |n: usize| if n == 1 { "event" } else { "events" };
                if state.grouped.get() {
                    format!("{} of {} rows, grouping {} {}", thousands(shown as u64), thousands(total as u64), thousands(events_total as u64), noun(events_total))
                } else {
                    format!("{} of {} {}", thousands(shown as u64), thousands(total as u64), noun(total))
                }
            }</p>
            {empty}
            {(total > 0).then(|| view! {
                <div class="table-wrap" class:stale=stale aria-hidden=stale.then_some("true")>
                    <table class="data samples event-diff" id="event-diff">
                        <thead><tr><th>"Time"</th><th>"Trace"</th><th>"Tool"</th><th>"Agent"</th><th class="num">"Cost"</th><th>"Before → after"</th><th>"Deciding draft rule"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })}
            {(shown < total).then(|| view! {
                <div class="pager">
                    <button type="button" class="button" id="show-more" on:click=move |_| state.limit.update(|l| *l += ROWS_PAGE)>
                        {format!("Show {} more", ROWS_PAGE.min(total - shown))}
                    </button>
                </div>
            })}
        })
    };

    let show_button = move |value: &'static str, label: &'static str| {
        view! {
            <button type="button" class="tab" class:active=move || state.show.get() == value id=format!("show-{value}")
                on:click=move |_| { state.show.set(value.to_string()); state.limit.set(ROWS_PAGE); }>{label}</button>
        }
    };
    view! {
    <section class="card diff-card">
        <div class="diff-head">
            <h2>"Per-event diff"</h2>
            <div class="tabs diff-filters">
                {show_button("changed", "Flipped")}
                {show_button("matched", "Matched by the draft")}
                {show_button("all", "All scanned")}
            </div>
            {move || state.transition.get().map(|t| view! {
                <span class="chip filter-chip" id="transition-filter">{t.replace("->", " → ")}
                    <button type="button" class="icon-button" aria-label="Clear the transition filter" id="clear-transition"
                        on:click=move |_| state.transition.set(None)><Icon name="x"/></button>
                </span>
            })}
            <label class="toggle-label">
                <input type="checkbox" id="diff-grouped" prop:checked=move || state.grouped.get()
                    on:change=move |ev| { state.grouped.set(event_target_checked(&ev)); state.limit.set(ROWS_PAGE); }/>
                " Group repeats"
            </label>
            <input id="diff-search" type="search" placeholder="Filter by tool or agent"
                prop:value=move || state.search.get() on:input=move |ev| { state.search.set(event_target_value(&ev)); state.limit.set(ROWS_PAGE); }/>
        </div>
        {diff_table}
    </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_in_one_trace_are_one_row() {
        use policy::Verdict::{Allowed, Blocked};
        let event = |trace: &str, tool: &str, cost: f64| policy::Event {
            kind: "tool_call".to_string(),
            tool: tool.to_string(),
            agent: None,
            cost_usd: Some(cost),
            timestamp: None,
            trace_id: trace.to_string(),
            span_id: String::new(),
            recorded: Allowed,
        };
        let events = vec![
            event("t1", "payments.transfer", 1.0),
            event("t1", "payments.transfer", 2.0),
            event("t2", "payments.transfer", 4.0),
            event("t1", "payments.transfer", 8.0),
        ];
        let outcomes: Vec<Outcome> = (0..4)
            .map(|i| Outcome {
                event: i,
                baseline: Allowed,
                simulated: Blocked,
                rule: Some(0),
            })
            .collect();
        let refs: Vec<&Outcome> = outcomes.iter().collect();
        let groups = group(&refs, &events, true);
        let counts: Vec<(usize, usize, Option<f64>)> = groups
            .iter()
            .map(|g| (g.first.event, g.count, g.cost_usd))
            .collect();
        assert_eq!(counts, [(0, 3, Some(11.0)), (2, 1, Some(4.0))]);
        // Another rule, or another transition, is another row.
        let other = Outcome {
            event: 1,
            baseline: Allowed,
            simulated: Blocked,
            rule: Some(1),
        };
        assert_eq!(group(&[&outcomes[0], &other], &events, true).len(), 2);
        assert_eq!(group(&refs, &events, false).len(), 4);
    }

    #[test]
    fn times_read_short() {
        assert_eq!(when(&Some("2025-01-02T03:04:05Z".into())), "01-02 03:04:05");
        assert_eq!(when(&None), "–");
    }
}
