//! The sign-in page: plain server-rendered HTML (it must work before any session
//! exists, and without JavaScript).

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The dashboard's theme, from the cookie it sets, so the sign-in page matches it.
fn theme(headers: &HeaderMap) -> &'static str {
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    match service::projects::cookie(cookies, app::server::THEME_COOKIE) {
        Some("dark") => "dark",
        _ => "light",
    }
}

pub fn render(
    headers: &HeaderMap,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<&str>,
) -> Response {
    let theme = theme(headers);
    let error = error
        .map(|e| format!(r#"<p class="signin-error" role="alert">{}</p>"#, escape(e)))
        .unwrap_or_default();
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en" data-theme="{theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Preflight</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/pkg/preflight.css">
</head>
<body class="signin-page">
<main class="signin-card">
<h1 class="signin-brand"><img src="/favicon.svg" alt="" width="28" height="28"> Preflight</h1>
<p class="muted">Sign in to the governance console.</p>
{error}
<form method="post" action="/signin">
<input type="hidden" name="next" value="{next}">
<label>Email <input id="email" name="email" type="email" autocomplete="username" required value="{email}" autofocus></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
<button class="button primary" type="submit">Sign in</button>
</form>
<p class="muted small">No account yet? The first start of the server prints an admin password once (or writes it to <code>--admin-password-file</code>); an admin adds others with <code>preflight user create</code>.</p>
</main>
</body>
</html>"#,
        next = escape(next),
        email = escape(email),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_takes_the_dashboards_theme() {
        let mut headers = HeaderMap::new();
        assert_eq!(theme(&headers), "light");
        headers.insert(
            header::COOKIE,
            format!("a=b; {}=dark", app::server::THEME_COOKIE)
                .parse()
                .unwrap(),
        );
        assert_eq!(theme(&headers), "dark");
    }

    #[test]
    fn reflected_values_are_escaped() {
        assert_eq!(
            escape(r#"/x"><script>alert('1')</script>"#),
            "/x&quot;&gt;&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;"
        );
    }
}
