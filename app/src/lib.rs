//! Preflight's dashboard: Leptos components and routes, rendered on the server
//! (feature `ssr`) and hydrated in the browser (feature `hydrate`).
//!
//! Every page reads its state from the URL (`?project=`, filters, selected span) and
//! loads through server functions ([`api`]), so it renders fully on the server and
//! reads without JavaScript; the bundle then adds interaction (selection, the draft
//! editor's in-browser preview).
#![recursion_limit = "512"]

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path, SsrMode,
};

pub mod api;
pub mod api_ops;
pub mod api_policies;
pub mod components;
pub mod draft;
pub mod format;
pub mod icons;
pub mod model;
pub mod ops;
pub mod pages;
pub mod policy_edit;
#[cfg(feature = "ssr")]
pub mod server;
pub mod tree;

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
            <Routes fallback=|| view! { <pages::NotFound/> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/dashboard"/> }/>
                <ParentRoute path=path!("/dashboard") view=components::layout::Layout ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::home::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("traces") view=pages::traces::TracesPage ssr=SsrMode::Async/>
                    <Route path=path!("traces/:trace_id") view=pages::trace::TracePage ssr=SsrMode::Async/>
                    <Route path=path!("threads") view=pages::threads::ThreadsPage ssr=SsrMode::Async/>
                    <Route path=path!("threads/:session_id") view=pages::thread::ThreadPage ssr=SsrMode::Async/>
                    <Route path=path!("datasets") view=pages::datasets::DatasetsPage ssr=SsrMode::Async/>
                    <Route path=path!("datasets/:id") view=pages::dataset::DatasetPage ssr=SsrMode::Async/>
                    <Route path=path!("simulations/:id") view=pages::simulation::SimulationPage ssr=SsrMode::Async/>
                    <Route path=path!("policies") view=pages::policies::PoliciesPage ssr=SsrMode::Async/>
                    <Route path=path!("policies/simulate") view=pages::policy_simulator::PolicySimulatorPage ssr=SsrMode::Async/>
                    <Route path=path!("audit") view=pages::audit::AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("approvals") view=pages::approvals::ApprovalsPage ssr=SsrMode::Async/>
                    <Route path=path!("playground") view=pages::playground::PlaygroundPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=pages::settings::SettingsPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
