//! Copying text to the clipboard, for the "Copy" buttons (a new API key, a
//! simulation's permalink).

/// Copies text to the clipboard (browser only). The Clipboard API exists only in
/// secure contexts (https, localhost); elsewhere the `<input>` with id `fallback_input`
/// (which shows the same text) is selected so the user can copy it by hand. Returns
/// whether the text was handed to the clipboard.
pub fn copy_to_clipboard(text: &str, fallback_input: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::{document, window};
        let navigator = window().navigator();
        let available =
            js_sys::Reflect::get(&navigator, &wasm_bindgen::JsValue::from_str("clipboard"))
                .map(|c| !c.is_undefined() && !c.is_null())
                .unwrap_or(false);
        if available {
            let _ = navigator.clipboard().write_text(text);
            return true;
        }
        use wasm_bindgen::JsCast;
        if let Some(input) = document()
            .get_element_by_id(fallback_input)
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.select();
        }
        false
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (text, fallback_input);
        false
    }
}
