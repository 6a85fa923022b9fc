//! The pattern playground: a live glob tester running the `policy` crate's evaluator
//! in the browser after hydration, and on the server for the first render (and for
//! readers without JavaScript, through the `?pattern=` query string).
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use policy::{Action, Precedence, Rule, RuleSet, Subject};

/// Tool and model names an agent typically calls; the tester filters these.
pub const SAMPLE_TOOLS: &[&str] = &[
    "payments.refund",
    "payments.read",
    "payments.delete",
    "shell.exec",
    "wire_transfer",
    "a_transfer",
    "ab_transfer",
    "db.users_admin",
    "openai.gpt-4o-mini",
    "anthropic.claude-sonnet",
    "slack.send_message",
    "search.web",
];

/// Which sample tools a pattern matches, judged by the shared evaluator.
/// `Err` carries the evaluator's message for an unusable pattern.
pub fn matching_tools(pattern: &str) -> Result<Vec<&'static str>, String> {
    let rules = RuleSet {
        rules: vec![Rule {
            pattern: pattern.to_string(),
            action: Action::Block,
            agent_pattern: None,
            cost_max_usd: None,
        }],
        precedence: Precedence::LastMatch,
    };
    let compiled = rules.compile().map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    Ok(SAMPLE_TOOLS
        .iter()
        .copied()
        .filter(|tool| {
            compiled
                .evaluate(&Subject {
                    tool,
                    agent: None,
                    cost_usd: None,
                })
                .rule
                .is_some()
        })
        .collect())
}

#[component]
pub fn PlaygroundPage() -> impl IntoView {
    let query = use_query_map();
    let initial = query.with_untracked(|q| q.get("pattern").unwrap_or_else(|| "payments.*".into()));
    let pattern = RwSignal::new(initial);
    let result = Memo::new(move |_| pattern.with(|p| matching_tools(p)));

    view! {
        <div class="page playground">
            <header class="page-header">
                <div>
                    <h1>"Pattern playground"</h1>
                    <p class="muted">"Try a tool glob against typical tool and model names."</p>
                </div>
            </header>
            <section class="card">
                <h2>"Pattern tester"</h2>
                <p class="muted">
                    "Python fnmatch semantics: " <code>"*"</code> " matches anything (dots included), "
                    <code>"?"</code> " one character, " <code>"[abc]"</code> " / " <code>"[!abc]"</code> " a class. "
                    "Evaluated in your browser by the same Rust crate the server uses."
                </p>
                <form method="get" action="/dashboard/playground" class="pattern-form">
                    <label for="pattern">"Tool pattern"</label>
                    <input
                        id="pattern"
                        name="pattern"
                        autocomplete="off"
                        spellcheck="false"
                        prop:value=move || pattern.get()
                        on:input=move |ev| pattern.set(event_target_value(&ev))
                    />
                    <button type="submit">"Apply"</button>
                </form>
                {move || match result.get() {
                    Err(message) => view! { <p class="error" id="pattern-error">{message}</p> }.into_any(),
                    Ok(matched) => view! {
                        <p id="match-count">{format!("{} of {} tools match", matched.len(), SAMPLE_TOOLS.len())}</p>
                        <ul class="tool-list" id="tool-list">
                            {SAMPLE_TOOLS.iter().map(|tool| {
                                let hit = matched.contains(tool);
                                view! {
                                    <li class:hit=hit data-match=hit.to_string()>
                                        <code>{*tool}</code>
                                        <span class="chip">{if hit { "matches" } else { "no match" }}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }}
            </section>
        </div>
    }
}
