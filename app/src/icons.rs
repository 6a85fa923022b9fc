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

/// Every icon once, as `<symbol id="i-NAME">`: pages refer to them with `<use>`, so a
/// RunTree of 1,000 rows does not repeat each icon's paths 3,000 times (the inline
/// icons were 3.7 MB of a 5,000-span trace page's 9.9 MB).
pub fn sprite() -> String {
    data::ICONS
        .iter()
        .map(|(name, body)| format!(r#"<symbol id="i-{name}" viewBox="0 0 24 24">{body}</symbol>"#))
        .collect()
}

/// The sprite, rendered once at the top of the app.
#[component]
pub fn IconSprite() -> impl IntoView {
    view! { <svg class="icon-sprite" aria-hidden="true" inner_html=sprite()></svg> }
}

/// A named icon, drawn from the sprite; an unknown name draws nothing.
#[component]
pub fn Icon(name: &'static str, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! {
        <svg class=format!("icon {class}") aria-hidden="true">
            <use href=format!("#i-{name}")></use>
        </svg>
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

/// One icon per span kind (a kind the SDKs do not send gets a dot).
pub fn kind_icon(kind: &str) -> &'static str {
    use policy::EventKind as K;
    match K::parse(kind) {
        Some(K::LlmCall) => "sparkles",
        Some(K::ToolCall) => "wrench",
        Some(K::McpToolCall) => "plug",
        Some(K::PolicyDecision) => "shield_check",
        Some(K::Approval) => "approvals",
        Some(K::BudgetCheck) => "coins",
        Some(K::Error) => "octagon_x",
        Some(K::AgentCall) => "bot",
        Some(K::Custom) | None => "dot",
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
        for k in policy::EventKind::ALL {
            assert!(!svg_body(kind_icon(k.as_str())).is_empty(), "{k}");
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
