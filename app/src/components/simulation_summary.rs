//! How a simulation summary reads, wherever one is shown (the draft modal, the
//! permalink page, the policy editor and the simulator): the one-line headline, the
//! verdict transitions and the table of sample matches.
use leptos::prelude::*;
use policy::{SampleMatch, SimulationSummary};

use crate::components::{AgentChip, VerdictChip};
use crate::format::{cost, href, short_id};
use crate::icons::Icon;

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

/// What a draft is, in a few words: `block \`*_transfer\`` for one rule, "3 rules" for
/// a set (the permalink's title and unfurl).
pub fn draft_label(draft: &str) -> String {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(draft) else {
        return "a draft".to_string();
    };
    match policy::RuleSet::from_value(&value) {
        Ok(set) if set.rules.len() == 1 => {
            let rule = &set.rules[0];
            format!("{} `{}`", rule.action.as_str(), rule.pattern)
        }
        Ok(set) => format!("{} rules", set.rules.len()),
        Err(_) => "a draft".to_string(),
    }
}

/// The line a pasted permalink previews with.
pub fn unfurl_line(draft: &str, summary: &SimulationSummary) -> String {
    let mut line = format!("{} · {}", draft_label(draft), headline(summary));
    if let Some(report) = &summary.expectations {
        let broken = report.expectations_broken();
        if broken > 0 {
            line.push_str(&format!(
                " · {broken} {} broken",
                if broken == 1 {
                    "expectation"
                } else {
                    "expectations"
                }
            ));
        }
    }
    line
}

fn rule_text(rule: &Option<policy::MatchedRule>) -> String {
    match rule {
        Some(r) => format!("#{} {} {}", r.index + 1, r.action.as_str(), r.pattern),
        None => "no rule decided it".to_string(),
    }
}

/// Expectations a run checked: regressions first (with the rule that broke each), then
/// the expectations kept, then changes no expectation covers.
///
/// With `accept_into` (the run's dataset), each change offers one click to make it
/// the new expectation: a regression's expectation takes the new verdict, a change no
/// expectation covers becomes one for exactly that tool.
#[component]
pub fn ExpectationResults(
    report: policy::ExpectationReport,
    project: String,
    #[prop(optional)] accept_into: Option<String>,
) -> impl IntoView {
    let broken = report.expectations_broken();
    let kept = report.expectations_kept();
    let accept = ServerAction::<crate::datasets::SetDatasetExpectation>::new();
    let accept_form = {
        let (project, dataset) = (project.clone(), accept_into.clone());
        std::sync::Arc::new(
            move |trace: &str, pattern: String, verdict: policy::Verdict, label: &'static str| {
                let (project, trace) = (project.clone(), trace.to_string());
                dataset.clone().map(move |dataset| {
                view! {
                    <ActionForm action=accept attr:class="inline-form accept-form">
                        <input type="hidden" name="project" value=project/>
                        <input type="hidden" name="id" value=dataset/>
                        <input type="hidden" name="trace_id" value=trace/>
                        <input type="hidden" name="pattern" value=pattern/>
                        <input type="hidden" name="verdict" value=verdict.as_str()/>
                        <button type="submit" class="link-button accept-change" title="Make this verdict what the trace must keep getting">
                            <Icon name="check"/>{label}
                        </button>
                    </ActionForm>
                }
            })
            },
        )
    };
    let trace_link = move |trace: &str, span: &str| {
        href(
            &format!("/dashboard/traces/{trace}"),
            &project,
            &[("span", span)],
        )
    };
    let regressions = report
        .regressions
        .iter()
        .map(|r| {
            let expected = r.expected.map(|e| e.to_string()).unwrap_or_default();
            view! {
                <tr class="regression">
                    <td class="mono"><a href=trace_link(&r.trace_id, &r.span_id) title=r.trace_id.clone()>{short_id(&r.trace_id)}</a></td>
                    <td class="mono">{r.tool.clone()}</td>
                    <td class="mono">{r.expectation_pattern.clone().unwrap_or_default()}</td>
                    <td>{format!("expected {expected}")}</td>
                    <td><VerdictChip verdict=r.simulated/></td>
                    <td class="mono rule">{rule_text(&r.rule)}</td>
                    <td class="row-action">{(accept_form.clone())(&r.trace_id, r.expectation_pattern.clone().unwrap_or_default(), r.simulated, "Accept")}</td>
                </tr>
            }
        })
        .collect_view();
    let unreviewed = report
        .unreviewed_samples
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td class="mono"><a href=trace_link(&r.trace_id, &r.span_id) title=r.trace_id.clone()>{short_id(&r.trace_id)}</a></td>
                    <td class="mono">{r.tool.clone()}</td>
                    <td class="transition"><VerdictChip verdict=r.recorded/><span class="arrow">"→"</span><VerdictChip verdict=r.simulated/></td>
                    <td class="mono rule">{rule_text(&r.rule)}</td>
                    <td class="row-action">{(accept_form.clone())(&r.trace_id, policy::glob::escape(&r.tool), r.simulated, "Expect this")}</td>
                </tr>
            }
        })
        .collect_view();
    let outcomes = report
        .expectations
        .iter()
        .map(|o| {
            let status = o.status();
            let (class, word) = match status {
                policy::fixtures::ExpectationStatus::Broken => ("chip status s-rejected", "broken"),
                policy::fixtures::ExpectationStatus::Kept => ("chip status s-approved", "kept"),
                policy::fixtures::ExpectationStatus::NothingInScope => ("chip", "nothing in scope"),
            };
            view! {
                <tr data-expectation=format!("{}:{}", o.expectation.trace_id, o.expectation.pattern)>
                    <td class="mono" title=o.expectation.trace_id.clone()>{short_id(&o.expectation.trace_id)}</td>
                    <td class="mono">{o.expectation.pattern.clone()}</td>
                    <td>{o.expectation.expected.to_string()}</td>
                    <td><span class=class>{word}</span></td>
                    <td class="num">{format!("{} of {}", o.kept, o.events)}</td>
                </tr>
            }
        })
        .collect_view();
    let summary_class = if broken > 0 {
        "expect-summary bad"
    } else {
        "expect-summary good"
    };
    view! {
        <section class="card expectations" id="expectations">
            <h2>"Expectations"</h2>
            <p class=summary_class id="expect-summary">
                {format!(
                    "{broken} broken · {kept} kept · {} events checked · {} changes no expectation covers",
                    report.events_checked, report.unreviewed_changes
                )}
            </p>
            {(!report.regressions.is_empty()).then(|| view! {
                <h3>"Regressions"</h3>
                <div class="table-wrap"><table class="data regressions" id="regressions">
                    <thead><tr><th>"Trace"</th><th>"Tool"</th><th>"Expectation"</th><th>"Wanted"</th><th>"Got"</th><th>"Broken by"</th><th></th></tr></thead>
                    <tbody>{regressions}</tbody>
                </table></div>
            })}
            <div class="table-wrap"><table class="data expectation-list">
                <thead><tr><th>"Trace"</th><th>"Pattern"</th><th>"Verdict"</th><th>"Status"</th><th class="num">"Events kept"</th></tr></thead>
                <tbody>{outcomes}</tbody>
            </table></div>
            {(!report.unreviewed_samples.is_empty()).then(|| view! {
                <h3>"Changes no expectation covers"</h3>
                <p class="muted">"Intended, or not yet reviewed: “Expect this” makes the new verdict what the trace must keep getting."</p>
                <div class="table-wrap"><table class="data unreviewed" id="unreviewed">
                    <thead><tr><th>"Trace"</th><th>"Tool"</th><th>"Recorded → simulated"</th><th>"Decided by"</th><th></th></tr></thead>
                    <tbody>{unreviewed}</tbody>
                </table></div>
            })}
            {move || match accept.value().get() {
                Some(Ok(e)) => Some(view! {
                    <p class="notice" role="status" id="accepted">{format!(
                        "Expectation set: {} {} → {}. Run again to check it.",
                        short_id(&e.trace_id), e.pattern, e.verdict
                    )}</p>
                }.into_any()),
                Some(Err(e)) => Some(view! { <p class="error" role="alert">{crate::components::error_text(&e)}</p> }.into_any()),
                None => None,
            }}
        </section>
    }
}

/// Reviewed calls the draft judges against their reviewer.
#[component]
pub fn ReviewResults(report: policy::ReviewReport, project: String) -> impl IntoView {
    let rows = report
        .samples
        .iter()
        .map(|r| {
            let link = href(
                &format!("/dashboard/traces/{}", r.trace_id),
                &project,
                &[("span", r.span_id.as_str())],
            );
            let review = match r.review {
                policy::Review::Approved => "approved",
                policy::Review::Rejected => "rejected",
            };
            view! {
                <tr>
                    <td class="mono"><a href=link title=r.trace_id.clone()>{short_id(&r.trace_id)}</a></td>
                    <td class="mono">{r.tool.clone()}</td>
                    <td>{format!("reviewer {review}")}</td>
                    <td><VerdictChip verdict=r.simulated/></td>
                    <td class="mono rule">{rule_text(&r.rule)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card reviews" id="reviews">
            <h2>"Reviewed calls"</h2>
            <p id="reviews-summary">{format!(
                "{} of {} approved calls would be blocked · {} of {} rejected calls would be allowed",
                report.approved_would_block, report.approved, report.rejected_would_allow, report.rejected
            )}</p>
            {(!report.samples.is_empty()).then(|| view! {
                <div class="table-wrap"><table class="data">
                    <thead><tr><th>"Trace"</th><th>"Call"</th><th>"Review"</th><th>"Draft"</th><th>"Decided by"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table></div>
            })}
        </section>
    }
}

/// Which rules of the draft decided the events in scope: decided, overridden (matched
/// but another rule decided), and the rules that decided nothing, marked.
#[component]
pub fn CoverageResults(
    report: policy::CoverageReport,
    /// What the scope was, when the page does not say it (`last 7 days`).
    #[prop(optional)]
    scope: Option<&'static str>,
) -> impl IntoView {
    let total = report.rules.len();
    let idle = report.deciding_nothing().count();
    let widest = report
        .rules
        .iter()
        .map(|r| r.decided + r.overridden)
        .max()
        .unwrap_or(0)
        .max(1);
    let rows = report
        .rules
        .into_iter()
        .map(|r| {
            // A bar per rule: decided solid, overridden hatched, to the busiest rule's scale.
            let decided_pct = r.decided as f64 * 100.0 / widest as f64;
            let overridden_pct = r.overridden as f64 * 100.0 / widest as f64;
            let class = if r.decided == 0 { "coverage-row idle" } else { "coverage-row" };
            view! {
                <tr class=class>
                    <td class="mono">{format!("#{}", r.index + 1)}</td>
                    <td class="mono">{format!("{} {}", r.action.as_str(), r.pattern)}</td>
                    <td class="num">{if r.decided == 0 { "nothing".to_string() } else { r.decided.to_string() }}</td>
                    <td class="num">{r.overridden}</td>
                    <td class="coverage-bar" aria-hidden="true">
                        <span class="decided" style=format!("width:{decided_pct:.1}%")></span>
                        <span class="overridden" style=format!("width:{overridden_pct:.1}%")></span>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card coverage" id="coverage">
            <h2>"Coverage"{scope.map(|s| view! { <span class="muted">{format!(" · {s}")}</span> })}</h2>
            <p id="coverage-summary">{format!(
                "{} of {total} rule{} decided events in scope{}",
                total - idle,
                if total == 1 { "" } else { "s" },
                if idle == 0 { String::new() } else { format!(" · {idle} decided nothing") }
            )}</p>
            <div class="table-wrap"><table class="data">
                <thead><tr><th>"Rule"</th><th>"Pattern"</th><th class="num">"Decided"</th><th class="num" title="Matched, but another rule decided">"Overridden"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table></div>
        </section>
    }
}

/// Beyond the scope: the tool/model and agent names seen lately whose verdict the
/// draft would change, with their events (decided once per name).
#[component]
pub fn BlastRadiusResults(report: policy::BlastRadius) -> impl IntoView {
    let summary = if report.names_changed == 0 {
        format!(
            "None of the {} names seen in the last {} days would change verdict ({} events).",
            report.names_seen, report.window_days, report.events_seen
        )
    } else {
        format!(
            "{} of {} names seen in the last {} days would change verdict · {} of {} events",
            report.names_changed,
            report.names_seen,
            report.window_days,
            report.events_changed,
            report.events_seen
        )
    };
    let listed = report.changes.len();
    let rows = report
        .changes
        .into_iter()
        .map(|c| {
            let events = if c.depends_on_cost {
                format!("up to {}", c.events)
            } else {
                c.events.to_string()
            };
            view! {
                <tr>
                    <td class="mono">{c.tool}</td>
                    <td>{c.agent.unwrap_or_else(|| "default".to_string())}</td>
                    <td class="transition"><VerdictChip verdict=c.from/><span class="arrow">"→"</span><VerdictChip verdict=c.to/></td>
                    <td class="num" title=c.depends_on_cost.then_some("Depends on each call's cost: a cost rule falls between the cheapest and the dearest")>{events}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card blast-radius" id="blast-radius">
            <h2>"Blast radius"</h2>
            <p id="blast-summary">{summary}</p>
            {(listed > 0).then(|| view! {
                <div class="table-wrap"><table class="data" id="blast-table">
                    <thead><tr><th>"Tool or model"</th><th>"Agent"</th><th>"Verdict"</th><th class="num">"Events"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table></div>
            })}
            {report.truncated.then(|| view! { <p class="muted">"The rarest names were not read: the project has more than 10,000 name groups."</p> })}
            {report.sampled.then(|| view! { <p class="muted">"Counted over the most recent 50,000 calls of the window."</p> })}
        </section>
    }
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
