// Starts a real `preflight serve` on a free loopback port, and Debian chromium via
// playwright-core (no browser download: the system's chromium is used).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const root = new URL("..", import.meta.url).pathname;
export const artifacts = `${root}end2end/artifacts`;
mkdirSync(artifacts, { recursive: true });

/** A fresh SQLite database URL in a temp dir: every test server starts empty. */
export function freshDatabaseUrl() {
  return `sqlite://${join(mkdtempSync(join(tmpdir(), "preflight-e2e-")), "preflight.db")}`;
}

/** `preflight serve` on a fresh database; it loads the demo project unless
 * `{ PREFLIGHT_NO_DEMO: "true" }` is passed. Returns its URL and the demo API key. */
export async function startServer(extraEnv = {}) {
  // The server from `cargo test`/`cargo build` (plain cargo); the bundle from cargo-leptos.
  const bin = process.env.PREFLIGHT_BIN ?? `${root}target/debug/preflight`;
  const child = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--site-root", `${root}target/site`], {
    cwd: root,
    env: { ...process.env, RUST_LOG: "info", NO_COLOR: "1", DATABASE_URL: freshDatabaseUrl(), ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${log}`)), 30_000);
    const onData = (chunk) => {
      log += chunk;
      const m = log.match(/listening on (http:\/\/[\d.:]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  // A first start on an empty database loads the demo project and prints its key once.
  const key = log.match(/Demo API key \(shown once\): (jj_\S+)/);
  return { url, apiKey: key?.[1], log: () => log, stop: () => child.kill("SIGTERM") };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/** Calls the REST API with the demo key; returns the parsed JSON body. */
export async function api(server, method, path, body) {
  const response = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
