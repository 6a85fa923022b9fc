//! Inline SVG icons (Lucide, ISC licence: `LICENSE-lucide.txt`), shipped in the repo.
use leptos::prelude::*;
use policy::Verdict;

#[path = "icons_data.rs"]
mod data;

/// The inner markup of a named icon; empty (an invisible icon) for an unknown name.
pub fn svg_body(name: &str) -> &'static str {
    data::ICONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, body)| *body)
        .unwrap_or("")
}

#[component]
pub fn Icon(name: &'static str, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! {
        <svg
            class=format!("icon {class}")
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            inner_html=svg_body(name)
        ></svg>
    }
}

/// One icon per verdict, the same on every page.
pub fn verdict_icon(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Allowed => "check",
        Verdict::Blocked => "ban",
        Verdict::Held => "hourglass",
        Verdict::Redacted => "lock",
        Verdict::Errored => "alert",
    }
}

/// One icon per span kind.
pub fn kind_icon(kind: &str) -> &'static str {
    match kind {
        "llm_call" => "sparkles",
        "tool_call" => "wrench",
        "mcp_tool_call" => "plug",
        "policy_decision" => "shield_check",
        "approval" => "approvals",
        "budget_check" => "coins",
        "error" => "octagon_x",
        "agent_call" => "bot",
        _ => "dot",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_used_exists() {
        for v in Verdict::ALL {
            assert!(!svg_body(verdict_icon(v)).is_empty(), "{v}");
        }
        for k in [
            "llm_call",
            "tool_call",
            "mcp_tool_call",
            "policy_decision",
            "approval",
            "budget_check",
            "error",
            "agent_call",
            "custom",
        ] {
            assert!(!svg_body(kind_icon(k)).is_empty(), "{k}");
        }
        for name in [
            "home",
            "traces",
            "threads",
            "database",
            "shield",
            "audit",
            "approvals",
            "sun",
            "moon",
            "copy",
            "play",
            "x",
            "chevron_down",
            "chevron_right",
            "user",
            "trash",
            "pencil",
            "plus",
            "link",
            "flask",
            "search",
            "terminal",
        ] {
            assert!(!svg_body(name).is_empty(), "{name}");
        }
    }
}
