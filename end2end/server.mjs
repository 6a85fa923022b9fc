// Starts a real `preflight serve` on a free loopback port, and Debian chromium via
// playwright-core (no browser download: the system's chromium is used).
import { execFileSync, spawn } from "node:child_process";
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
 * `{ PREFLIGHT_NO_DEMO: "true" }` is passed. Returns its URL, the demo's agent API key
 * (`apiKey`, what an SDK holds) and an admin key made with `preflight key create`
 * (`adminKey`, what `api()` sends). */
export async function startServer(extraEnv = {}) {
  // The server from `cargo test`/`cargo build` (plain cargo); the bundle from cargo-leptos.
  const bin = process.env.PREFLIGHT_BIN ?? `${root}target/debug/preflight`;
  const env = { ...process.env, RUST_LOG: "info", NO_COLOR: "1", DATABASE_URL: freshDatabaseUrl(), ...extraEnv };
  const child = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--site-root", `${root}target/site`], {
    cwd: root,
    env,
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
  // A first start on an empty database loads the demo project and prints its key once,
  // and creates the first admin account, whose password it prints once.
  const key = log.match(/Demo agent API key \(shown once[^)]*\): (jj_\S+)/);
  const admin = await waitFor(() => log.match(/Dashboard sign-in \(shown once\): (\S+) \/ (\S+)/), () => log);
  const adminKey = key
    ? execFileSync(bin, ["key", "create", "--project", "demo", "--scope", "admin"], { cwd: root, env, encoding: "utf8" }).match(/jj_\S+/)[0]
    : undefined;
  const server = { url, apiKey: key?.[1], adminKey, log: () => log, stop: () => child.kill("SIGTERM") };
  server.admin = { email: admin[1], password: admin[2] };
  server.session = await signIn(server, server.admin.email, server.admin.password);
  sessions.push(server);
  return server;
}

async function waitFor(probe, describe) {
  for (let i = 0; i < 100; i++) {
    const found = probe();
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not found in the server log:\n${describe()}`);
}

/** Signs in through the form endpoint; returns the session cookie's value. */
export async function signIn(server, email, password) {
  const response = await fetch(server.url + "/signin", {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
    body: new URLSearchParams({ email, password, next: "/dashboard" }),
  });
  const cookie = (response.headers.get("set-cookie") ?? "").match(/preflight_session=([^;]+)/);
  if (response.status !== 303 || !cookie) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  return cookie[1];
}

/** Servers started in this process: every browser context gets their sessions. */
const sessions = [];

/** Debian chromium. Its contexts start signed in (as the first admin) to every server
 * this process started; `browser.newContext({ signedIn: false })` starts without. */
export async function launchBrowser() {
  const browser = await launchChromium();
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options = {}) => {
    const { signedIn = true, ...rest } = options;
    const context = await newContext(rest);
    if (signedIn && sessions.length) {
      await context.addCookies(sessions.map((s) => ({ name: "preflight_session", value: s.session, url: s.url })));
    }
    return context;
  };
  browser.newPage = async (options) => (await browser.newContext(options)).newPage();
  return browser;
}

async function launchChromium() {
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

/** A test file's demo server and browser: `before(async () => ({ server, browser } =
 * await startDemo()))`, and `stopDemo(server, browser)` after. */
export async function startDemo() {
  const server = await startServer();
  if (!server.apiKey) throw new Error(`the demo key is printed on first start:\n${server.log()}`);
  return { server, browser: await launchBrowser() };
}

export async function stopDemo(server, browser) {
  await browser?.close();
  server?.stop();
}

export const WIDE = { width: 1440, height: 900 };

/** A new page at `path`, once hydrated. `page.errors` collects page errors and console
 * errors, except 4xx answers: those are mistakes the page explains (a taken name). */
export async function openHydrated(server, context, path) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && !/status of 4\d\d/.test(m.text()) && errors.push(m.text()));
  page.errors = errors;
  await page.goto(server.url + path);
  await page.waitForSelector('main[data-hydrated="true"]', { timeout: 30_000 });
  return page;
}

/** The trimmed text of the first element matching `selector`. */
export const text = async (page, selector) => (await page.textContent(selector))?.trim();

/** Calls the REST API with the demo key; returns the parsed JSON body. */
/** A REST call with the server's admin key; throws unless 2xx. */
export async function api(server, method, path, body) {
  const response = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${server.adminKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
