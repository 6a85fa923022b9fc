pub mod dashboard;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="page">
            <h1>"Page not found"</h1>
            <p><a href="/dashboard">"Back to the dashboard"</a></p>
        </main>
    }
}
