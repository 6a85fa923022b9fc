//! `preflight policy simulate --server URL --dataset NAME`: the server replays the
//! draft over its dataset (`GET /v1/datasets` to resolve the name, then
//! `POST /v1/policy/simulate/batch`), with a small blocking HTTP client.
use std::time::Duration;

use serde_json::{json, Value};

/// Long enough for a large dataset on a busy server.
const TIMEOUT: Duration = Duration::from_secs(300);
/// Answers bigger than this are not a simulation summary.
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

struct Client {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

impl Client {
    fn new(server: &str, key: &str) -> Result<Client, String> {
        let base = server.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "--server {server:?}: expected an http:// or https:// URL"
            ));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build()
            .into();
        Ok(Client {
            agent,
            base,
            auth: format!("Bearer {}", key.trim()),
        })
    }

    /// Sends a request; any non-2xx answer becomes an error quoting the API's message.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let result = match body {
            None => self
                .agent
                .get(&url)
                .header("authorization", &self.auth)
                .header("accept", "application/json")
                .call(),
            Some(body) => self
                .agent
                .post(&url)
                .header("authorization", &self.auth)
                .header("accept", "application/json")
                .header("content-type", "application/json")
                .send(body.to_string()),
        };
        let mut response = result.map_err(|err| format!("{method} {url}: {err}"))?;
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|err| format!("{method} {url}: reading the answer: {err}"))?;
        let value: Option<Value> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            let message = value
                .as_ref()
                .and_then(|v| v["error"]["message"].as_str())
                .map(str::to_string)
                .unwrap_or_else(|| text.chars().take(200).collect());
            return Err(format!("{method} {url}: {status}: {message}"));
        }
        value.ok_or_else(|| format!("{method} {url}: the answer is not JSON"))
    }
}

/// The dataset's id: an exact name match, else an exact id match. Reads the listing
/// page by page (`GET /v1/datasets` answers at most 500 at a time).
fn resolve_dataset(client: &Client, name: &str) -> Result<String, String> {
    let mut datasets: Vec<Value> = Vec::new();
    let mut path = "/v1/datasets?limit=500".to_string();
    loop {
        let listing = client.call("GET", &path, None)?;
        let page = listing["datasets"]
            .as_array()
            .ok_or_else(|| "GET /v1/datasets: unexpected answer (no datasets array)".to_string())?;
        datasets.extend(page.iter().cloned());
        match listing["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/datasets?limit=500&cursor={cursor}"),
            None => break,
        }
    }
    let by = |field: &str| {
        datasets
            .iter()
            .find(|d| d[field].as_str() == Some(name))
            .and_then(|d| d["id"].as_str())
            .map(str::to_string)
    };
    by("name").or_else(|| by("id")).ok_or_else(|| {
        let names: Vec<&str> = datasets.iter().filter_map(|d| d["name"].as_str()).collect();
        if names.is_empty() {
            format!("no dataset named {name:?}: this project has no datasets")
        } else {
            format!(
                "no dataset named {name:?}; this project has: {}",
                names.join(", ")
            )
        }
    })
}

/// The server's simulation summary (with `simulation_id`).
pub fn simulate(server: &str, key: &str, dataset: &str, draft: &Value) -> Result<Value, String> {
    let client = Client::new(server, key)?;
    let dataset_id = resolve_dataset(&client, dataset)?;
    client.call(
        "POST",
        "/v1/policy/simulate/batch",
        Some(&json!({"draft": draft, "dataset_id": dataset_id})),
    )
}
