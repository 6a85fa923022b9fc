//! One file per page.
pub mod approvals;
pub mod audit;
pub mod dataset;
pub mod datasets;
pub mod home;
pub mod playground;
pub mod policies;
pub mod policy_simulator;
pub mod settings;
pub mod simulation;
pub mod thread;
pub mod threads;
pub mod trace;
pub mod traces;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="page standalone">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address."</p>
            <p><a href="/dashboard">"Back to the dashboard"</a></p>
        </main>
    }
}
