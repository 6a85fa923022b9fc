//! `/dashboard/policies`: the active rule set (read-only here; edit via the REST API).
use leptos::prelude::*;

use crate::api::get_policy;
use crate::components::{loaded, use_project_query, Loading, PageHeader};
use crate::format::{ago, cost};

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let project_q = use_project_query();
    let data = Resource::new(move || project_q.get(), get_policy);
    view! {
        <div class="page policies-page">
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    loaded(data.await, "the policy", move |_project, now, p| {
                        let subtitle = if p.version == 0 {
                            "No rules yet: every call is allowed. Add rules with PUT /v1/policies.".to_string()
                        } else {
                            format!("Version {} · {} · by {} {}", p.version, p.precedence, p.author, ago(now, p.created_micros))
                        };
                        let rows = p.rules.iter().enumerate().map(|(i, r)| view! {
                            <tr>
                                <td class="num">{i}</td>
                                <td class="mono">{r.pattern.clone()}</td>
                                <td><span class=format!("chip action a-{}", r.action)>{r.action.clone()}</span></td>
                                <td class="mono">{r.agent_pattern.clone().unwrap_or_default()}</td>
                                <td class="num">{r.cost_max_usd.map(|c| format!("> {}", cost(c))).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view();
                        view! {
                            <PageHeader title="Policies".into() subtitle/>
                            {p.error.clone().map(|e| view! { <p class="banner error">{format!("The stored rules cannot be read: {e}")}</p> })}
                            {p.message.clone().map(|m| view! { <p class="muted">{format!("“{m}”")}</p> })}
                            <div class="table-wrap">
                                <table class="data">
                                    <thead><tr><th class="num">"#"</th><th>"Tool pattern"</th><th>"Action"</th><th>"Agent pattern"</th><th class="num">"Cost"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            {(!p.warnings.is_empty()).then(|| view! {
                                <section class="card"><h2>"Lint warnings"</h2>
                                    <ul>{p.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}</ul>
                                </section>
                            })}
                        }
                    })
                })}
            </Suspense>
        </div>
    }
    .into_any()
}
