//! What a pasted permalink previews as: the page title and description as Open Graph
//! (and plain `description`) tags, server-rendered into the head, so chats and wikis
//! that never run JavaScript show the headline numbers.
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use policy::Verdict;

use crate::model::Counts;

#[component]
pub fn Unfurl(
    /// The page's title, without the product name.
    title: String,
    description: String,
    /// The page's absolute address, when the server knows its base URL.
    #[prop(optional)]
    url: Option<String>,
) -> impl IntoView {
    view! {
        <Title text=format!("{title} · Preflight")/>
        <Meta name="description" content=description.clone()/>
        <Meta property="og:title" content=title/>
        <Meta property="og:description" content=description/>
        <Meta property="og:type" content="article"/>
        {url.map(|url| view! { <Meta property="og:url" content=url/> })}
        <Meta name="twitter:card" content="summary"/>
    }
}

/// `11 allowed · 1 blocked`: `allowed` always, other verdicts when they occur.
pub fn verdict_text(counts: &Counts) -> String {
    Verdict::ALL
        .into_iter()
        .filter(|v| counts.get(*v) > 0 || *v == Verdict::Allowed)
        .map(|v| format!("{} {v}", counts.get(v)))
        .collect::<Vec<_>>()
        .join(" · ")
}
