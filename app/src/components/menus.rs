//! The dashboard's menus and popovers are `<details class="menu">` (they open without
//! JavaScript). Once hydrated, they behave as menus do: one open at a time, a click
//! elsewhere closes them, and Escape closes the open one and puts the focus back on its
//! button (and only then closes a dialog: see the draft modal).

/// Installs the window listeners for the page's lifetime (no-op on the server).
pub fn install_menu_behaviour() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;

        let keys = window_event_listener(leptos::ev::keydown, |ev| {
            if ev.key() == "Escape" && close_open_menus(None, true) {
                // The open menu took this Escape: a dialog under it stays.
                ev.stop_immediate_propagation();
            }
        });
        let clicks = window_event_listener(leptos::ev::click, |ev| {
            // The path as dispatched: a click may have replaced its own target (a menu
            // item that swaps in a form) before it reaches the window.
            let path: Vec<wasm_bindgen::JsValue> = ev.composed_path().iter().collect();
            close_open_menus(Some(&path), false);
        });
        on_cleanup(move || {
            keys.remove();
            clicks.remove();
        });
    }
}

/// Closes every open menu that is not on the clicked `path`; true if any was open.
#[cfg(feature = "hydrate")]
fn close_open_menus(path: Option<&[wasm_bindgen::JsValue]>, refocus: bool) -> bool {
    use wasm_bindgen::JsCast;

    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let Ok(open) = document.query_selector_all("details.menu[open]") else {
        return false;
    };
    let mut closed = false;
    for i in 0..open.length() {
        let Some(menu) = open
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let menu_value: &wasm_bindgen::JsValue = menu.as_ref();
        if path.is_some_and(|path| path.iter().any(|step| step == menu_value)) {
            continue;
        }
        let _ = menu.remove_attribute("open");
        closed = true;
        if refocus {
            if let Some(summary) = menu
                .query_selector("summary")
                .ok()
                .flatten()
                .and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = summary.focus();
            }
        }
    }
    closed
}
