// The dashboard on the demo project, in Debian chromium: curate traces into a dataset,
// draft a rule with the in-browser preview, simulate on the server, share the
// permalink; the theme cookie; the RunTree; thread headers; screenshots of every page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { artifacts, api, startDemo, stopDemo, openHydrated, WIDE, text } from "../server.mjs";

let server;
let browser;

before(async () => ({ server, browser } = await startDemo()));
after(() => stopDemo(server, browser));

test("curate → draft → preview in the browser → simulate on the server → permalink without JavaScript", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard/traces");

  // Select three traces: one click, then a shift-click two rows further.
  const boxes = page.locator("input.row-select");
  assert.ok((await boxes.count()) >= 5);
  await boxes.nth(0).click();
  await boxes.nth(2).click({ modifiers: ["Shift"] });
  await page.waitForFunction(() => document.querySelector("#selection-count")?.textContent === "3 traces selected");
  const picked = await page.$$eval("input.row-select:checked", (els) => els.map((e) => e.dataset.trace));
  assert.equal(picked.length, 3);
  await page.screenshot({ path: `${artifacts}/traces-selection-light.png` });

  // Add them to a new dataset.
  await page.click("#add-to-dataset");
  await page.click("#new-dataset");
  await page.fill("#new-dataset-name", "e2e-picks");
  await page.click("#create-dataset");
  await page.waitForFunction(() => document.querySelector("#add-result")?.textContent.includes("Added 3 traces to “e2e-picks” (new dataset)"));

  // Adding the same traces again reports them as already pinned.
  await page.click("#add-to-dataset");
  await page.click('.add-to-dataset button.menu-item:has-text("e2e-picks")');
  await page.waitForFunction(() => document.querySelector("#add-result")?.textContent.includes("Added 0 traces to “e2e-picks” · 3 already pinned"));

  // Open the dataset: the three traces are pinned.
  await page.click("#open-dataset");
  await page.waitForSelector(".dataset-page table.trace-table");
  const pinned = await page.$$eval(".dataset-page table.trace-table tbody tr", (rows) => rows.map((r) => r.dataset.trace));
  assert.deepEqual([...pinned].sort(), [...picked].sort());
  const datasetId = new URL(page.url()).pathname.split("/").pop();

  // The modal fetches the dataset's events once, then previews locally.
  await page.click("#run-draft");
  await page.waitForSelector("#preview-counts", { timeout: 20_000 });
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));

  const editor = page.locator("#draft-editor");
  const before = await text(page, "#preview-counts");
  await editor.fill('{"kind": "block", "pattern": "openai.*"}');
  await page.waitForFunction((b) => document.querySelector("#preview-counts")?.textContent !== b, before);
  const openai = await text(page, "#preview-counts");
  assert.match(openai, /^\d+ of \d+ events? match · \d+ would change verdict$/);
  assert.notEqual(openai, before);

  // A wrong field is explained at the text box, with its name; the box turns red and
  // the preview keeps its last numbers (dimmed), so the dialog does not jump.
  const tall = await page.$eval("#draft-modal", (m) => m.getBoundingClientRect().height);
  await editor.fill('{"kind": "deny", "pattern": "openai.*"}');
  await page.waitForSelector(".editor #draft-error");
  assert.match(await text(page, "#draft-error"), /^kind\s+unknown kind "deny"/);
  assert.equal(await page.getAttribute("#draft-editor", "aria-invalid"), "true");
  assert.ok(await page.$(".preview .stale"), "the last good preview stays, dimmed");
  const during = await page.$eval("#draft-modal", (m) => m.getBoundingClientRect().height);
  assert.ok(during >= tall * 0.9, `the dialog kept its size: ${tall} → ${during} px`);
  assert.equal(await page.isDisabled("#simulate"), true);
  await editor.fill('{"kind": "block", "pattern": "openai.*",');
  await page.waitForFunction(() => document.querySelector("#draft-error")?.textContent.includes("not valid JSON"));

  // Every event matches a catch-all.
  const draft = { kind: "require_approval", pattern: "*" };
  await editor.fill(JSON.stringify(draft, null, 2));
  await page.waitForSelector("#preview-counts");
  const preview = await text(page, "#preview-counts");
  const [, matched, scanned] = preview.match(/^(\d+) of (\d+)/);
  assert.equal(matched, scanned, "a catch-all matches every scanned event");
  assert.deepEqual(requests, [], "typing in the draft editor must not reach the server");
  await page.screenshot({ path: `${artifacts}/draft-modal-light.png` });

  // The server's authoritative run gives the same numbers, as does the REST API.
  await page.click("#simulate");
  await page.waitForSelector("#server-counts", { timeout: 20_000 });
  assert.equal(await text(page, "#server-counts"), preview);
  // The answer is brought into view, not left below the fold.
  await page.waitForFunction(() => {
    const r = document.querySelector("#server-result").getBoundingClientRect();
    return r.top > -2 && r.top < window.innerHeight;
  }, null, { timeout: 5_000 }).catch(async (e) => {
    const r = await page.$eval("#server-result", (el) => JSON.stringify({ rect: el.getBoundingClientRect(), h: window.innerHeight, scroll: document.querySelector(".modal-backdrop").scrollTop }));
    throw new Error(`the server result is not in view: ${r}`);
  });
  assert.ok(await page.isVisible("#agreement"));
  assert.equal(await page.$("#mismatch-banner"), null);
  const rest = await api(server, "POST", "/v1/policy/simulate/batch", { draft, dataset_id: datasetId });
  assert.equal(`${rest.events_matched} of ${rest.events_scanned}`, `${matched} of ${scanned}`);
  await page.screenshot({ path: `${artifacts}/draft-modal-simulated-light.png` });
  const permalink = await page.getAttribute("#permalink", "href");
  assert.match(permalink, /^\/dashboard\/simulations\/sim_/);
  // Escape closes the dialog.
  await page.keyboard.press("Escape");
  await page.waitForSelector("#draft-modal", { state: "detached" });
  assert.deepEqual(page.errors, []);

  // The permalink reads fully without JavaScript.
  const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: WIDE });
  const plain = await noJs.newPage();
  const response = await plain.goto(server.url + permalink);
  assert.equal(response.status(), 200);
  assert.equal(await text(plain, "#n-scanned"), String(rest.events_scanned));
  assert.equal(await text(plain, "#n-matched"), String(rest.events_matched));
  assert.equal(await text(plain, "#n-changed"), String(rest.events_would_have_changed));
  assert.equal(await text(plain, "#n-traces"), "3");
  assert.equal(await text(plain, "#sim-dataset"), "e2e-picks");
  assert.deepEqual(JSON.parse(await text(plain, "#sim-draft")), draft);
  assert.equal(await plain.getAttribute("main", "data-hydrated"), "false");
  await plain.screenshot({ path: `${artifacts}/simulation-nojs-light.png`, fullPage: true });
  await noJs.close();
  await context.close();
});

test("fixtures: pin → expect → a draft that breaks it → regression first → the permalink never changes, without JavaScript", async () => {
  // Pin two traces that have allowed calls.
  const { traces } = await api(server, "GET", "/v1/traces?limit=50");
  const withAllowed = traces.filter((t) => (t.verdicts?.allowed ?? 0) > 0).map((t) => t.trace_id);
  assert.ok(withAllowed.length >= 2, "the demo has traces with allowed calls");
  const [kept, other] = withAllowed;
  const dataset = await api(server, "POST", "/v1/datasets", { name: "e2e-fixtures" });
  await api(server, "POST", `/v1/datasets/${dataset.id}/items`, { trace_ids: [kept, other] });

  // Expect, in the dashboard: the first trace keeps every recorded verdict.
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, `/dashboard/datasets/${dataset.id}`);
  await page.waitForSelector("#expect-form");
  await page.selectOption("#expect-trace", kept);
  await page.fill("#expect-pattern", "*");
  await page.selectOption("#expect-verdict", "recorded");
  await page.click("#expect-save");
  await page.waitForSelector("#dataset-expectations .expectations-table tbody tr", { timeout: 20_000 });
  const { expectations } = await api(server, "GET", `/v1/datasets/${dataset.id}/expectations`);
  assert.deepEqual(expectations.map((e) => [e.trace_id, e.pattern, e.verdict]), [[kept, "*", "recorded"]]);

  // A draft that blocks everything breaks it: the server run lists the regression first.
  await page.click("#run-draft");
  await page.waitForSelector("#preview-counts", { timeout: 20_000 });
  await page.fill("#draft-editor", '{"kind": "block", "pattern": "*"}');
  await page.waitForFunction(() => /would change verdict$/.test(document.querySelector("#preview-counts")?.textContent ?? ""));
  await page.click("#simulate");
  await page.waitForSelector("#server-result #regressions", { timeout: 20_000 });
  assert.match(await text(page, "#server-result #expect-summary"), /^1 broken · 0 kept/);
  const order = await page.$$eval("#server-result #expectations table", (ts) => ts.map((t) => t.id || t.className));
  assert.equal(order[0], "regressions", `regressions come first: ${order}`);
  const brokenTrace = await page.$eval("#server-result #regressions tbody tr a", (a) => a.title);
  assert.equal(brokenTrace, kept);
  assert.ok(await page.$("#server-result #coverage"), "coverage beside the result");
  assert.match(await text(page, "#server-result #blast-summary"), /of \d+ names seen in the last 30 days would change verdict/);
  assert.ok((await page.$$("#server-result #blast-table tbody tr")).length >= 1);
  await page.screenshot({ path: `${artifacts}/fixtures-regression-light.png`, fullPage: true });
  const permalink = await page.getAttribute("#permalink", "href");
  assert.deepEqual(page.errors, []);
  await context.close();

  // Without JavaScript the permalink shows the receipt; editing the dataset does not change it.
  const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: WIDE });
  const plain = await noJs.newPage();
  const read = async () => {
    const response = await plain.goto(server.url + permalink);
    assert.equal(response.status(), 200);
    return {
      numbers: await text(plain, "#sim-numbers"),
      expectations: await text(plain, "#expect-summary"),
      regression: await plain.$eval("#regressions tbody tr a", (a) => a.title),
      digest: await text(plain, "#sim-digest"),
      dataset: await text(plain, "p.scope"),
      og: await plain.getAttribute('meta[property="og:description"]', "content"),
    };
  };
  const before = await read();
  assert.equal(before.regression, kept);
  assert.match(before.og, /^block `\*` · \d+ of \d+ events match · \d+ would change verdict · 1 expectation broken$/);
  await plain.screenshot({ path: `${artifacts}/fixtures-permalink-nojs-light.png`, fullPage: true });
  await api(server, "DELETE", `/v1/datasets/${dataset.id}/items/${other}`);
  await api(server, "DELETE", `/v1/datasets/${dataset.id}/expectations/${expectations[0].id}`);
  assert.deepEqual(await read(), before, "a receipt renders from what was stored");

  // It prints as a document: no navigation or controls, the numbers and findings kept.
  await plain.emulateMedia({ media: "print" });
  assert.equal(await plain.isVisible("nav.sidebar, .sidebar"), false);
  assert.equal(await plain.isVisible("#rerun"), false);
  assert.ok(await plain.isVisible("#sim-numbers"));
  assert.ok(await plain.isVisible("#regressions"));
  await plain.pdf({ path: `${artifacts}/fixtures-permalink.pdf` });
  await noJs.close();

  // And in the dark theme, still without JavaScript.
  const dark = await browser.newContext({ javaScriptEnabled: false, viewport: WIDE });
  await dark.addCookies([{ name: "preflight_theme", value: "dark", url: server.url }]);
  const darkPage = await dark.newPage();
  await darkPage.goto(server.url + permalink);
  assert.equal(await darkPage.getAttribute("html", "data-theme"), "dark");
  assert.equal(await text(darkPage, "#expect-summary"), before.expectations);
  await darkPage.screenshot({ path: `${artifacts}/fixtures-permalink-nojs-dark.png`, fullPage: true });
  await dark.close();
});

test("a draft can run over a trace selection without a dataset", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard/traces?tool=wire_transfer");
  await page.click("#select-page");
  const n = await page.locator("input.row-select:checked").count();
  assert.ok(n >= 1);
  await page.click("#run-draft-selection");
  await page.waitForSelector("#preview-counts", { timeout: 20_000 });
  await page.fill("#draft-editor", '{"kind": "allow", "pattern": "wire_*"}');
  await page.waitForFunction(() => /^[1-9]\d* of/.test(document.querySelector("#preview-counts")?.textContent ?? ""));
  const preview = await text(page, "#preview-counts");
  assert.match(preview, /[1-9]\d* would change verdict$/, "blocked wires would become allowed");
  await page.click("#simulate");
  await page.waitForSelector("#server-counts", { timeout: 20_000 });
  assert.equal(await text(page, "#server-counts"), preview);
  await context.close();
});

test("dark mode toggles and survives a reload, rendered by the server", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard");
  assert.equal(await page.getAttribute("html", "data-theme"), "light");
  // The URL names the project, and every navigation link carries it.
  const project = new URL(page.url()).searchParams.get("project");
  assert.match(project, /^proj_/);
  const hrefs = await page.$$eval("nav.nav a", (as) => as.map((a) => new URL(a.href).searchParams.get("project")));
  assert.deepEqual(new Set(hrefs), new Set([project]));
  await page.click("#user-menu");
  await page.click("#theme-toggle");
  await page.waitForSelector('html[data-theme="dark"]');

  // The server's HTML already carries the theme (no flash of the light one).
  const html = await (await context.request.get(server.url + "/dashboard/traces")).text();
  assert.match(html, /<html lang="en" data-theme="dark">/);
  await page.reload();
  await page.waitForSelector('main[data-hydrated="true"]');
  assert.equal(await page.getAttribute("html", "data-theme"), "dark");

  await page.click("#user-menu");
  await page.click("#theme-toggle");
  await page.waitForSelector('html[data-theme="light"]');
  const again = await (await context.request.get(server.url + "/dashboard")).text();
  assert.match(again, /<html lang="en" data-theme="light">/);
  await context.close();
});

test("the RunTree nests children, policy decisions under their calls, and shows a span's payload", async () => {
  const { traces } = await api(server, "GET", "/v1/traces?tool=wire_transfer&limit=1");
  const traceId = traces[0].trace_id;
  const { events } = await api(server, "GET", `/v1/traces/${traceId}`);
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, `/dashboard/traces/${traceId}`);

  const roots = await page.$$eval("#runtree > details", (els) => els.map((e) => e.dataset.span));
  assert.deepEqual(roots, events.filter((e) => !e.parent_span_id).map((e) => e.span_id));
  const rendered = await page.$$eval("#runtree details", (els) => els.length);
  assert.equal(rendered, events.length);
  // Every event sits under its parent's node.
  for (const e of events.filter((e) => e.parent_span_id)) {
    const parent = await page.$eval(`#runtree details[data-span="${e.span_id}"]`, (el) => el.parentElement.closest("details").dataset.span);
    assert.equal(parent, e.parent_span_id, `${e.name} nests under its parent`);
  }
  const call = events.find((e) => e.kind === "tool_call" && e.tool === "wire_transfer");
  const decision = await page.$(`#runtree details[data-span="${call.span_id}"] > .children > details[data-kind="policy_decision"]`);
  assert.ok(decision, "the policy decision renders as a child row of the call it evaluated");

  // Collapsing a node hides its children.
  const root = `#runtree details[data-span="${roots[0]}"]`;
  await page.click(`${root} > summary .twisty`);
  assert.equal(await page.$eval(root, (el) => el.open), false);
  assert.equal(await page.isVisible(`#runtree details[data-span="${call.span_id}"]`), false);
  await page.click(`${root} > summary .twisty`);
  assert.equal(await page.$eval(root, (el) => el.open), true);

  // Selecting a span shows its head at once, from the row the page has, while its
  // fields and payload come from the server (held back here to tell the two apart).
  let releaseSpan;
  const held = new Promise((resolve) => { releaseSpan = resolve; });
  await page.route("**/api/read/get_span*", async (route) => { await held; await route.continue(); });
  await page.click(`#runtree details[data-span="${call.span_id}"] > summary a.span-link`);
  await page.waitForFunction((name) => document.querySelector("#span-title")?.textContent.includes(name), call.name, { timeout: 2_000 });
  assert.equal(await page.$("#span-payload"), null, "the payload is still on its way");
  releaseSpan();
  await page.waitForSelector("#span-payload");
  const payload = JSON.parse(await text(page, "#span-payload"));
  assert.equal(payload.tool, "wire_transfer");
  assert.match(page.url(), new RegExp(`span=${call.span_id}`));
  await page.screenshot({ path: `${artifacts}/runtree-light.png` });
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("a RunTree of 5,000 spans stays responsive", async () => {
  const traceId = "e2e" + "f".repeat(29);
  const start = Date.now() - 60_000;
  const events = [];
  for (let i = 0; i < 5000; i++) {
    // 500 groups of ten: a leader under the root, nine spans under the leader.
    const parent = i === 0 ? null : (i - 1) % 10 === 0 ? "s0" : `s${i - ((i - 1) % 10)}`;
    events.push({
      type: "span", trace_id: traceId, span_id: `s${i}`, parent_span_id: parent,
      kind: i === 0 ? "agent_call" : i % 2 ? "tool_call" : "llm_call", name: i === 0 ? "bulk.run" : `step.${i}`,
      timestamp: new Date(start + i * 10).toISOString(), duration_ms: 8, agent_name: "bulk-agent", status: "ok",
    });
  }
  const result = await api(server, "POST", "/v1/events/ingest", { events });
  assert.equal(result.accepted, 5000);
  const context = await browser.newContext({ viewport: WIDE });
  // The page opens on the first 1,000 spans in time order and offers the rest.
  const first = await openHydrated(server, context, `/dashboard/traces/${traceId}`);
  assert.equal(await first.$$eval("#runtree details", (els) => els.length), 1000);
  const shown = await first.$$eval("#runtree details", (els) => els.map((e) => e.dataset.span));
  assert.ok(shown.includes("s999") && !shown.includes("s1000"), "the earliest 1,000 spans");
  assert.match(await text(first, "#runtree-more"), /first 1000 of 5000 spans/);
  await first.click("#runtree-more a");
  await first.waitForFunction(() => document.querySelectorAll("#runtree details").length === 5000);
  assert.match(first.url(), /spans=all/);
  assert.equal(await first.$("#runtree-more"), null);
  await first.close();

  const started = Date.now();
  const page = await openHydrated(server, context, `/dashboard/traces/${traceId}?spans=all`);
  const loaded = Date.now() - started;
  assert.equal(await page.$$eval("#runtree details", (els) => els.length), 5000);
  const t0 = Date.now();
  await page.click('#runtree details[data-span="s0"] > summary .twisty');
  assert.equal(await page.$eval('#runtree details[data-span="s0"]', (el) => el.open), false);
  const toggle = Date.now() - t0;
  await page.click('#runtree details[data-span="s0"] > summary .twisty');

  // Selecting a span loads that span only: the tree is not fetched or rebuilt again.
  const requests = [];
  page.on("request", (r) => requests.push(new URL(r.url()).pathname));
  const t1 = Date.now();
  await page.click('#runtree details[data-span="s4"] > summary a.span-link');
  await page.waitForSelector("#span-payload");
  const select = Date.now() - t1;
  assert.deepEqual(requests.filter((p) => p.startsWith("/api/")).map((p) => p.replace(/\d+$/, "")), ["/api/read/get_span"]);
  console.log(`5,000 spans: hydrated in ${loaded} ms, collapse in ${toggle} ms, select in ${select} ms`);
  assert.ok(toggle < 1500, `collapsing took ${toggle} ms`);
  await context.close();
});

test("a thread header shows the turns, verdict counts and cost", async () => {
  const { threads } = await api(server, "GET", "/v1/threads");
  const busiest = threads.reduce((a, b) => (b.turns > a.turns ? b : a));
  const { thread, turns } = await api(server, "GET", `/v1/threads/${busiest.session_id}`);
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, `/dashboard/threads/${busiest.session_id}`);
  assert.equal(await text(page, '#thread-header [data-stat="turns"] b'), String(thread.turns));
  for (const verdict of ["allowed", "blocked", "held", "redacted", "errored"]) {
    const shown = await page.$(`#thread-header [data-verdict="${verdict}"] b`);
    if (thread.verdicts[verdict] > 0 || verdict === "allowed") {
      assert.equal((await shown.textContent()).trim(), String(thread.verdicts[verdict]), verdict);
    } else {
      assert.equal(shown, null, `${verdict} is left out at zero`);
    }
  }
  const cost = thread.cost_usd < 0.01 ? `$${thread.cost_usd.toFixed(4)}` : `$${thread.cost_usd.toFixed(2)}`;
  assert.equal(await text(page, '#thread-header [data-stat="cost"]'), cost);
  // The turns in order, each linking to its RunTree.
  const links = await page.$$eval(".thread-page tbody tr td.mono a", (as) => as.map((a) => new URL(a.href).pathname));
  assert.deepEqual(links, turns.map((t) => `/dashboard/traces/${t.trace_id}`));
  await context.close();
});

test("every page renders without JavaScript, in both themes, and at phone width", async () => {
  const { traces } = await api(server, "GET", "/v1/traces?tool=payments.refund&limit=1");
  const { threads } = await api(server, "GET", "/v1/threads");
  const { datasets } = await api(server, "GET", "/v1/datasets");
  // A run made through the REST API has a dashboard permalink too.
  const sim = await api(server, "POST", "/v1/policy/simulate/batch", {
    draft: { kind: "block", pattern: "payments.*" },
    dataset_id: datasets[0].id,
  });
  const pages = {
    home: "/dashboard",
    traces: "/dashboard/traces",
    trace: `/dashboard/traces/${traces[0].trace_id}`,
    threads: "/dashboard/threads",
    thread: `/dashboard/threads/${threads[0].session_id}`,
    datasets: "/dashboard/datasets",
    dataset: `/dashboard/datasets/${datasets[0].id}`,
    modal: `/dashboard/datasets/${datasets[0].id}?run=draft`,
    policies: "/dashboard/policies",
    audit: "/dashboard/audit",
    approvals: "/dashboard/approvals",
    playground: "/dashboard/playground",
    simulation: `/dashboard/simulations/${sim.simulation_id}`,
  };
  for (const theme of ["light", "dark"]) {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: WIDE });
    await context.addCookies([{ name: "preflight_theme", value: theme, url: server.url }]);
    const page = await context.newPage();
    for (const [name, path] of Object.entries(pages)) {
      const response = await page.goto(server.url + path);
      assert.equal(response.status(), 200, path);
      assert.equal(await page.getAttribute("html", "data-theme"), theme);
      assert.equal(await page.$(".error-box"), null, `${path} loads`);
      await page.screenshot({ path: `${artifacts}/${name}-${theme}.png` });
    }
    await context.close();
  }
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await openHydrated(server, phone, "/dashboard/traces");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at 390 px (${overflow} px over)`);
  // Every column the phone shows is inside the window, the verdicts too.
  const lastHeader = await page.locator("table.trace-table thead th:visible").last().boundingBox();
  assert.ok(lastHeader.x + lastHeader.width <= 390, `the last column ends at ${lastHeader.x + lastHeader.width} px`);
  assert.equal(await page.locator("table.trace-table thead th:visible").last().innerText(), "Verdicts");
  await page.screenshot({ path: `${artifacts}/traces-phone-light.png` });
  await page.goto(server.url + pages.trace);
  await page.waitForSelector('main[data-hydrated="true"]');
  await page.screenshot({ path: `${artifacts}/trace-phone-light.png` });
  // The trace page's "Add to dataset" menu stays inside the window.
  await page.click("#add-to-dataset");
  const menuBox = await page.locator(".add-to-dataset .menu-panel").boundingBox();
  assert.ok(menuBox.x >= 0 && menuBox.x + menuBox.width <= 390, `the menu fits: ${JSON.stringify(menuBox)}`);
  await page.keyboard.press("Escape");
  // The nav's icons keep their names when the labels are hidden.
  const unnamed = await page.$$eval(".nav a.nav-link", (links) => links.filter((a) => !a.getAttribute("aria-label")).length);
  assert.equal(unnamed, 0, "every nav link has an accessible name at phone width");
  // The draft modal fits the phone: its close button and the server run on screen.
  await page.goto(server.url + pages.modal);
  await page.waitForSelector('main[data-hydrated="true"]');
  await page.waitForSelector("#draft-modal");
  for (const id of ["#close-modal", "#simulate"]) {
    const box = await page.locator(id).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${id} is on screen at 390 px: ${JSON.stringify(box)}`);
  }
  const modalWidth = await page.$eval("#draft-modal", (m) => m.getBoundingClientRect().width);
  assert.ok(modalWidth <= 390, `the modal is ${modalWidth} px wide at 390 px`);
  await page.screenshot({ path: `${artifacts}/modal-phone-light.png` });
  await phone.close();
});

test("an unknown trace is a 404 page that says so", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto(server.url + "/dashboard/traces/nope");
  assert.equal(response.status(), 404);
  assert.match(await text(page, ".not-found h2"), /No such trace/);
  await context.close();
});

test("datasets: create, rename, delete with confirmation, remove a pinned trace", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard/datasets");
  await page.fill('.create-dataset input[name="name"]', "scratch");
  await page.fill('.create-dataset input[name="description"]', "made by the e2e test");
  await page.click('.create-dataset button[type="submit"]');
  const row = page.locator('.datasets-table tr:has(a:text-is("scratch"))');
  await row.waitFor();

  // A taken name is explained.
  await page.fill('.create-dataset input[name="name"]', "scratch");
  await page.click('.create-dataset button[type="submit"]');
  await page.waitForSelector('.create-dataset .form-error:has-text("already exists")');

  await row.locator('summary:has-text("Rename")').click();
  await row.locator('input[name="name"]').fill("scratch-renamed");
  await row.locator('button:has-text("Rename")').click();
  const renamed = page.locator('.datasets-table tr:has(a:text-is("scratch-renamed"))');
  await renamed.waitFor();

  await renamed.locator('summary:has-text("Delete")').click();
  assert.match(await renamed.locator(".confirm p").textContent(), /Delete “scratch-renamed”\?/);
  await renamed.locator('button:has-text("Delete dataset")').click();
  await renamed.waitFor({ state: "detached" });

  // Remove one pinned trace from a demo dataset.
  const { datasets } = await api(server, "GET", "/v1/datasets");
  const risky = datasets.find((d) => d.name === "risky-shell-and-wires");
  await page.goto(`${server.url}/dashboard/datasets/${risky.id}`);
  await page.waitForSelector('main[data-hydrated="true"]');
  const rows = page.locator(".dataset-page table.trace-table tbody tr");
  const before = await rows.count();
  const first = await rows.first().getAttribute("data-trace");
  // Unpinning asks first.
  await rows.first().locator('summary:has-text("Remove")').click();
  assert.match(await rows.first().locator(".confirm p").textContent(), /Unpin this trace from the dataset\?/);
  await rows.first().locator('button:has-text("Unpin trace")').click();
  await page.waitForFunction((id) => !document.querySelector(`.dataset-page table.trace-table tbody tr[data-trace="${id}"]`), first);
  assert.equal(await rows.count(), before - 1);
  const detail = await api(server, "GET", `/v1/datasets/${risky.id}`);
  assert.equal(detail.items.length, before - 1);
  assert.deepEqual(page.errors, []);
  await context.close();
});
