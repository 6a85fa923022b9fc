// Browser preview benchmark (BENCHMARKS.md, benchmark 5): in Debian chromium, the
// policy evaluator compiled to WebAssembly re-evaluates a draft over N recorded events
// after each "keystroke", timed with performance.now(). Also prints the size of the
// WebAssembly bundles, raw and gzip. Not a test: nothing fails on a slow figure.
//
//   node end2end/bench/preview.mjs            # EVENTS=10000 RUNS=60 by default
//
// Needs policy/wasm/pkg (./scripts/build-policy-wasm); the dashboard bundle size is
// read from target/site/pkg when a release build is there.
import { createServer } from "node:http";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const root = new URL("../..", import.meta.url).pathname;
const EVENTS = Number(process.env.EVENTS ?? 10_000);
const RUNS = Number(process.env.RUNS ?? 60);
const pkg = `${root}policy/wasm/pkg`;

function spread(samples) {
  const v = [...samples].sort((a, b) => a - b);
  const at = (q) => v[Math.round((v.length - 1) * q)];
  const f = (x) => `${x.toFixed(2)} ms`;
  return `p50 ${f(at(0.5))}  p95 ${f(at(0.95))}  min ${f(v[0])}  max ${f(v[v.length - 1])}  (n=${v.length})`;
}

function size(path) {
  const bytes = readFileSync(path);
  return `${(bytes.length / 1024).toFixed(0)} KB raw, ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(0)} KB gzip`;
}

console.log(`machine: ${cpus()[0]?.model ?? "unknown CPU"} · ${cpus().length} cores · load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
if (!existsSync(`${pkg}/policy_wasm_bg.wasm`)) {
  console.error("error: policy/wasm/pkg is missing: run ./scripts/build-policy-wasm first");
  process.exit(1);
}

// The page: loads the module, keeps the events (as the dashboard keeps its scope's
// events), and exposes one function per measurement.
const page = `<!doctype html><meta charset="utf-8"><script type="module">
import init, { simulate, check, Policy } from "/pkg/policy_wasm.js";
await init();
window.bench = { simulate, check, Policy };
window.ready = true;
</script>`;
const server = createServer((req, res) => {
  if (req.url === "/") {
    res.writeHead(200, { "content-type": "text/html" });
    return res.end(page);
  }
  const file = req.url.startsWith("/pkg/") ? `${pkg}/${req.url.slice(5).split("?")[0]}` : null;
  if (!file || file.includes("..") || !existsSync(file)) {
    res.writeHead(404);
    return res.end();
  }
  const type = file.endsWith(".wasm") ? "application/wasm" : "text/javascript";
  res.writeHead(200, { "content-type": type });
  res.end(readFileSync(file));
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const tab = await browser.newPage();
  await tab.goto(url);
  await tab.waitForFunction(() => window.ready === true);
  console.log(`chromium ${browser.version()} · ${EVENTS} events · ${RUNS} keystrokes`);
  const result = await tab.evaluate(
    ({ EVENTS, RUNS }) => {
      const kinds = ["tool_call", "llm_call", "mcp_tool_call", "agent_call"];
      const verdicts = ["allowed", "allowed", "blocked", "held", "errored"];
      const events = [];
      for (let i = 0; i < EVENTS; i++) {
        const svc = i % 97;
        const tool = [`svc${svc}.op${(i * 6) % 2000}`, `svc${svc}.create`, `x.tok${(i * 6 + 2) % 2000}.y`, `payments.refund`, `other.service.call${i % 1024}`][i % 5];
        events.push({ kind: kinds[i % 4], tool, agent: `team${i % 5}-bot`, cost_usd: i % 2 ? null : 0.01 * (i % 10), trace_id: `trace${Math.floor(i / 50)}`, span_id: `span${i}`, recorded: verdicts[i % 5] });
      }
      const eventsJson = JSON.stringify(events);
      // Typing "payments.*" into the pattern field, one draft per keystroke; then the
      // same with a 200-rule draft set whose last rule is being typed.
      const typed = "payments.re*";
      const single = [];
      const bigRules = [];
      for (let i = 0; i < 200; i++) bigRules.push({ pattern: [`svc${i % 97}.op${i}`, `svc${i % 97}.*`, `*tok${i}*`, `svc${i % 97}.o?${i}`, `svc${i % 97}.[a-m]*${i}`][i % 5], action: ["block", "allow", "require_approval", "audit_only"][i % 4] });
      const timings = { check: [], simulate1: [], simulate200: [] };
      let last = null;
      for (let k = 0; k < RUNS; k++) {
        const pattern = typed.slice(0, 1 + (k % typed.length));
        const draft = JSON.stringify({ kind: "block", pattern });
        let t = performance.now();
        window.bench.check(draft);
        timings.check.push(performance.now() - t);
        t = performance.now();
        last = window.bench.simulate(draft, eventsJson, "keep_recorded");
        timings.simulate1.push(performance.now() - t);
        const set = JSON.stringify({ rules: [...bigRules.slice(0, 199), { pattern, action: "block" }] });
        t = performance.now();
        window.bench.simulate(set, eventsJson, "allow");
        timings.simulate200.push(performance.now() - t);
      }
      const summary = JSON.parse(last);
      return { timings, scanned: summary.events_scanned ?? summary.summary?.events_scanned, bytes: eventsJson.length, ok: summary.ok };
    },
    { EVENTS, RUNS },
  );
  console.log(`preview: events as JSON ${(result.bytes / 1e6).toFixed(2)} MB, parsed by each call; ${result.scanned} events scanned per run (ok: ${result.ok})`);
  console.log(`  check draft              ${spread(result.timings.check)}`);
  console.log(`  simulate, 1-rule draft   ${spread(result.timings.simulate1)}`);
  console.log(`  simulate, 200-rule set   ${spread(result.timings.simulate200)}`);
} finally {
  await browser.close();
  server.close();
}

console.log("bundles:");
console.log(`  policy module    policy/wasm/pkg/policy_wasm_bg.wasm: ${size(`${pkg}/policy_wasm_bg.wasm`)}`);
const site = `${root}target/site/pkg`;
if (existsSync(site)) {
  for (const f of readdirSync(site).filter((f) => f.endsWith(".wasm") || f.endsWith(".js"))) {
    console.log(`  dashboard        target/site/pkg/${f}: ${size(`${site}/${f}`)}`);
  }
} else {
  console.log("  dashboard        target/site/pkg missing: build it with CARGO_TARGET_DIR=target/leptos cargo leptos build --release");
}
