//! The dashboard's menus and popovers are `<details class="menu">` (they open without
//! JavaScript). Once hydrated, they behave as menus do: one open at a time, a click
//! elsewhere closes them, and Escape closes the open one and puts the focus back on its
//! button (and only then closes a dialog: see the draft modal). A menu opened inside a
//! table that scrolls sideways (narrow windows) is placed over the page, where the
//! table cannot cut it off, and closes when the page scrolls.

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
        install_placement();
        on_cleanup(move || {
            keys.remove();
            clicks.remove();
        });
    }
}

/// Listens, while events travel down (capture: `toggle` does not bubble, nor does a
/// table's own scroll), for menus opening and for anything scrolling; once per page.
#[cfg(feature = "hydrate")]
fn install_placement() {
    use std::cell::Cell;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    thread_local!(static INSTALLED: Cell<bool> = const { Cell::new(false) });
    if INSTALLED.with(|done| done.replace(true)) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let placing = Closure::<dyn Fn(web_sys::Event)>::new(place_menu);
    // A placed menu would stay where its button was: it closes instead.
    let scrolling = Closure::<dyn Fn(web_sys::Event)>::new(|_: web_sys::Event| {
        let placed = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(".menu[open][data-placed]").ok().flatten());
        if placed.is_some() {
            close_open_menus(None, false);
        }
    });
    for (event, listener) in [("toggle", &placing), ("scroll", &scrolling)] {
        let _ = window.add_event_listener_with_callback_and_bool(
            event,
            listener.as_ref().unchecked_ref(),
            true,
        );
    }
    placing.forget();
    scrolling.forget();
}

/// A menu opening inside a `.table-wrap` that scrolls sideways gets a fixed place under
/// its button, kept inside the window; closing gives it back to the table.
#[cfg(feature = "hydrate")]
fn place_menu(ev: web_sys::Event) {
    use wasm_bindgen::JsCast;

    let Some(menu) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok())
        .filter(|d| d.class_list().contains("menu"))
    else {
        return;
    };
    let Some(panel) = menu
        .query_selector(".menu-panel")
        .ok()
        .flatten()
        .and_then(|p| p.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    let style = panel.style();
    if !menu.open() {
        let _ = menu.remove_attribute("data-placed");
        for property in ["position", "top", "left", "right", "bottom"] {
            let _ = style.remove_property(property);
        }
        return;
    }
    let scrolls = menu
        .closest(".table-wrap")
        .ok()
        .flatten()
        .is_some_and(|wrap| wrap.scroll_width() > wrap.client_width());
    let Some(summary) = menu.query_selector("summary").ok().flatten() else {
        return;
    };
    let Some(window) = web_sys::window() else {
        return;
    };
    if !scrolls {
        return;
    }
    let width = window
        .inner_width()
        .ok()
        .and_then(|w| w.as_f64())
        .unwrap_or(0.0);
    let height = window
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    let button = summary.get_bounding_client_rect();
    let _ = menu.set_attribute("data-placed", "");
    let _ = style.set_property("position", "fixed");
    let _ = style.set_property("right", "auto");
    let _ = style.set_property("bottom", "auto");
    let own = panel.get_bounding_client_rect();
    let left = if panel.class_list().contains("right") {
        button.right() - own.width()
    } else {
        button.left()
    }
    .min(width - own.width() - 8.0)
    .max(8.0);
    // Below the button, or above it when the window ends first.
    let below = button.bottom() + 4.0;
    let top = if below + own.height() > height - 8.0 {
        (button.top() - own.height() - 4.0).max(8.0)
    } else {
        below
    };
    let _ = style.set_property("left", &format!("{left}px"));
    let _ = style.set_property("top", &format!("{top}px"));
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
