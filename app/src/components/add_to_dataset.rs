//! "Add to dataset ▾": pins traces into an existing dataset or a new one, and reports
//! how many were new and how many were already pinned.
use leptos::html;
use leptos::prelude::*;

use crate::components::error_text;
use crate::datasets::{add_to_dataset, AddOutcome};
use crate::format::href;
use crate::icons::Icon;
use crate::model::DatasetRef;

#[derive(Clone, Debug)]
struct Request {
    dataset_id: Option<String>,
    new_name: Option<String>,
    trace_ids: Vec<String>,
}

/// What the last "add" did, in words.
pub fn outcome_text(o: &AddOutcome) -> String {
    let mut parts = vec![format!(
        "Added {} {} to “{}”{}",
        o.added,
        if o.added == 1 { "trace" } else { "traces" },
        o.dataset.name,
        if o.created { " (new dataset)" } else { "" }
    )];
    if o.already_present > 0 {
        parts.push(format!("{} already pinned", o.already_present));
    }
    if o.unknown > 0 {
        parts.push(format!("{} unknown", o.unknown));
    }
    parts.join(" · ")
}

#[component]
pub fn AddToDataset(
    project: String,
    datasets: Vec<DatasetRef>,
    trace_ids: Signal<Vec<String>>,
    /// Called after a successful add (e.g. to clear the selection).
    #[prop(optional)]
    on_added: Option<Callback<AddOutcome>>,
    /// Open the menu upwards (in the bottom selection bar).
    #[prop(optional)]
    up: bool,
    /// Align the menu's right edge with its button (near the window's right edge).
    #[prop(optional)]
    align_right: bool,
) -> impl IntoView {
    let menu = NodeRef::<html::Details>::new();
    let creating = RwSignal::new(false);
    let new_name = RwSignal::new(String::new());
    let known = RwSignal::new(datasets);
    let pid = project.clone();
    let add = Action::new(move |req: &Request| {
        let req = req.clone();
        let project = Some(pid.clone());
        async move { add_to_dataset(project, req.dataset_id, req.new_name, req.trace_ids).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(outcome)) = add.value().get() {
            if outcome.created {
                known.update(|k| k.push(outcome.dataset.clone()));
            }
            creating.set(false);
            new_name.set(String::new());
            if let Some(menu) = menu.get() {
                menu.set_open(false);
            }
            if let Some(cb) = on_added {
                cb.run(outcome);
            }
        }
    });
    let send = move |dataset_id: Option<String>, name: Option<String>| {
        add.dispatch(Request {
            dataset_id,
            new_name: name,
            trace_ids: trace_ids.get_untracked(),
        });
    };
    let project_for_links = project.clone();
    view! {
        <span class="add-to-dataset">
            <details class="menu" class:up=up node_ref=menu>
                <summary class="button" id="add-to-dataset">
                    <Icon name="database"/>
                    <span>"Add to dataset"</span>
                    <Icon name="chevron_down" class="caret"/>
                </summary>
                <div class="menu-panel" class:right=align_right>
                    <div class="menu-title">"Pin into"</div>
                    {move || {
                        known
                            .get()
                            .into_iter()
                            .map(|d| {
                                let id = d.id.clone();
                                view! {
                                    <button type="button" class="menu-item" data-dataset=d.id.clone()
                                        on:click=move |_| send(Some(id.clone()), None)>
                                        <Icon name="database"/>
                                        <span>{d.name.clone()}</span>
                                    </button>
                                }
                            })
                            .collect_view()
                    }}
                    <Show
                        when=move || creating.get()
                        fallback=move || view! {
                            <button type="button" class="menu-item" id="new-dataset" on:click=move |_| creating.set(true)>
                                <Icon name="plus"/>
                                <span>"New dataset…"</span>
                            </button>
                        }
                    >
                        <form class="menu-form" on:submit=move |ev| {
                            ev.prevent_default();
                            send(None, Some(new_name.get_untracked()));
                        }>
                            <input
                                id="new-dataset-name"
                                placeholder="Dataset name"
                                autocomplete="off"
                                prop:value=move || new_name.get()
                                on:input=move |ev| new_name.set(event_target_value(&ev))
                            />
                            <button type="submit" class="button primary" id="create-dataset">"Create and add"</button>
                        </form>
                    </Show>
                </div>
            </details>
            <span class="add-result" id="add-result" aria-live="polite">
                {move || match add.value().get() {
                    None => None,
                    Some(Ok(o)) => {
                        let link = href(&format!("/dashboard/datasets/{}", o.dataset.id), &project_for_links, &[]);
                        // Green only when something was added; "Added 0" is news, not success.
                        let class = if o.added > 0 { "ok" } else { "muted" };
                        Some(view! {
                            <span class=class>{outcome_text(&o)} " · " <a href=link id="open-dataset">"Open"</a></span>
                        }.into_any())
                    }
                    Some(Err(e)) => Some(view! { <span class="error">{error_text(&e)}</span> }.into_any()),
                }}
                {move || add.pending().get().then(|| view! { <span class="muted">"Adding…"</span> })}
            </span>
        </span>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_reads_naturally() {
        let o = AddOutcome {
            dataset: DatasetRef {
                id: "ds_1".into(),
                name: "refunds".into(),
            },
            created: true,
            added: 2,
            already_present: 1,
            unknown: 0,
        };
        assert_eq!(
            outcome_text(&o),
            "Added 2 traces to “refunds” (new dataset) · 1 already pinned"
        );
    }
}
