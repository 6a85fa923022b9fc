//! Preflight's dashboard: Leptos components and routes, rendered on the server
//! (feature `ssr`) and hydrated in the browser (feature `hydrate`).
//!
//! Every page reads its state from the URL (`?project=`, filters, selected span) and
//! loads through server functions, so it renders fully on the server and reads without
//! JavaScript; the bundle then adds interaction (selection, the draft editor's
//! in-browser preview).
//!
//! Laid out by feature: each feature module ([`home`], [`traces`], [`threads`],
//! [`datasets`], [`simulations`], [`policies`], [`audit`], [`approvals`],
//! [`settings`], [`playground`]) holds its types and server functions (with their
//! server-only helpers beside them) and, in submodules, its pages and logic. Shared
//! widgets are in [`components`], shared types in [`model`], reading a draft policy
//! in [`draft`] (shared with the REST API), text formatting in [`format`], icons in
//! [`icons`]; [`server`] and [`support`] are server-only.
#![recursion_limit = "512"]

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path, SsrMode,
};

pub mod approvals;
pub mod audit;
pub mod components;
pub mod datasets;
pub mod draft;
pub mod format;
pub mod home;
pub mod icons;
pub mod model;
pub mod playground;
pub mod policies;
#[cfg(feature = "ssr")]
pub mod server;
pub mod settings;
pub mod simulations;
#[cfg(feature = "ssr")]
pub mod support;
pub mod threads;
pub mod traces;

/// The HTML document around the app; the server renders it on every request, with
/// the theme from the cookie so the first byte is already right.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let theme = if server::dark_theme() {
        "dark"
    } else {
        "light"
    };
    #[cfg(not(feature = "ssr"))]
    let theme = "light";
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="preload" href="/fonts/inter-latin-opsz-wght.woff2" r#as="font" r#type="font/woff2" crossorigin="anonymous"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/preflight.css"/>
        <Title text="Preflight"/>
        <icons::IconSprite/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/dashboard"/> }/>
                <ParentRoute path=path!("/dashboard") view=components::layout::Layout ssr=SsrMode::Async>
                    <Route path=path!("") view=home::page::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("traces") view=traces::list::TracesPage ssr=SsrMode::Async/>
                    <Route path=path!("traces/:trace_id") view=traces::trace::TracePage ssr=SsrMode::Async/>
                    <Route path=path!("threads") view=threads::list::ThreadsPage ssr=SsrMode::Async/>
                    <Route path=path!("threads/:session_id") view=threads::thread::ThreadPage ssr=SsrMode::Async/>
                    <Route path=path!("datasets") view=datasets::list::DatasetsPage ssr=SsrMode::Async/>
                    <Route path=path!("datasets/:id") view=datasets::dataset::DatasetPage ssr=SsrMode::Async/>
                    <Route path=path!("simulations/:id") view=simulations::page::SimulationPage ssr=SsrMode::Async/>
                    <Route path=path!("policies") view=policies::editor::PoliciesPage ssr=SsrMode::Async/>
                    <Route path=path!("policies/simulate") view=policies::simulator::PolicySimulatorPage ssr=SsrMode::Async/>
                    <Route path=path!("audit") view=audit::page::AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("approvals") view=approvals::page::ApprovalsPage ssr=SsrMode::Async/>
                    <Route path=path!("playground") view=playground::PlaygroundPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=settings::page::SettingsPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Any address the routes do not know: a 404 page.
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
