// The policy editor and the simulator on the demo project, in Debian chromium:
// reorder rules and see the SDK sync endpoint's order change; edit a rule and see the
// inline preview count (and the server agree); lint warnings beside the rules; version
// history and restore; the simulator's numbers, transition matrix, per-event diff and
// permalink; screenshots of both pages in both themes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { artifacts, api, startDemo, stopDemo, openHydrated, WIDE, text } from "../server.mjs";

let server;
let browser;

before(async () => ({ server, browser } = await startDemo()));
after(() => stopDemo(server, browser));

const patterns = (page) => page.$$eval("tr.rule-row", (rows) => rows.map((r) => r.dataset.pattern));
const projectOf = (page) => new URL(page.url()).searchParams.get("project");
const sdkRules = async (project) => (await api(server, "GET", `/v1/projects/${project}/policies`)).rules.map((r) => `${r.pattern}:${r.action}`);

test("reorder rules in the dashboard and the SDK sync endpoint follows", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard/policies");
  const project = projectOf(page);
  assert.ok(project, "the URL names the project");
  const before = await patterns(page);
  assert.deepEqual(before, ["wire_*", "shell.exec", "payments.refund", "email.*"]);
  assert.deepEqual(await sdkRules(project), ["wire_*:block", "shell.exec:require_approval", "payments.refund:require_approval", "email.*:audit_only"]);
  assert.match(await text(page, "#precedence-note"), /last match wins/);
  await page.waitForSelector("#no-changes");

  // Move the first rule down: nothing is saved until Save; the change is listed and previewed.
  await page.click('[data-move-down="0"]');
  assert.deepEqual(await patterns(page), ["shell.exec", "wire_*", "payments.refund", "email.*"]);
  await page.waitForSelector("#pending-changes li.c-moved");
  await page.waitForSelector("#preview-flips", { timeout: 20_000 });
  // The two rules match different tools: reordering them flips nothing.
  assert.equal(await page.getAttribute("#preview-flips", "data-flipped"), "0");
  assert.deepEqual((await sdkRules(project))[0], "wire_*:block", "not saved yet");

  await page.fill("#save-message", "shell first");
  await page.click("#save-policy");
  await page.waitForFunction(() => document.querySelector("#policy-notice")?.textContent.includes("Saved version 2"));
  assert.match(await text(page, "#policy-notice"), /this change would flip 0 of [\d,]+ events in the last 7 days/);
  assert.deepEqual(await sdkRules(project), ["shell.exec:require_approval", "wire_*:block", "payments.refund:require_approval", "email.*:audit_only"]);
  const sync = await api(server, "GET", `/v1/projects/${project}/policies`);
  assert.equal(sync.version, 2);

  // The history lists the new version, by the signed-in account, with its diff and message.
  await page.waitForSelector('tr[data-version="2"].active-version');
  const row = await text(page, 'tr[data-version="2"]');
  assert.ok(row.includes(server.admin.email), row);
  assert.match(row, /shell first/);
  assert.match(row, /moved/);
  await page.waitForSelector("#no-changes");

  // Dragging a row onto another moves it there too; Discard puts everything back.
  await page.dragAndDrop('tr.rule-row[data-index="3"]', 'tr.rule-row[data-index="0"]');
  assert.deepEqual(await patterns(page), ["email.*", "shell.exec", "wire_*", "payments.refund"]);
  await page.waitForSelector("#pending-changes li.c-moved");
  await page.click("#discard");
  await page.waitForSelector("#no-changes");
  assert.deepEqual(await patterns(page), ["shell.exec", "wire_*", "payments.refund", "email.*"]);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("edit a rule: inline preview count, server run, lint, audit-only toggle, save and restore", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard/policies");
  const project = projectOf(page);
  const start = await patterns(page);
  const shell = start.indexOf("shell.exec");
  assert.ok(shell >= 0);
  await page.waitForSelector("#no-changes");

  // Edit shell.exec: hold → allow. The preview counts the flips as the form changes.
  await page.click(`[data-edit="${shell}"]`);
  await page.waitForSelector("#rule-form");
  assert.equal(await page.inputValue("#rule-pattern"), "shell.exec");
  await page.selectOption("#rule-action", "allow");
  await page.waitForSelector("#preview-flips", { timeout: 20_000 });
  await page.waitForFunction(() => Number(document.querySelector("#preview-flips")?.dataset.flipped) > 0);
  const flipped = Number(await page.getAttribute("#preview-flips", "data-flipped"));
  const scanned = Number(await page.getAttribute("#preview-flips", "data-scanned"));
  assert.ok(scanned >= flipped);
  const headline = await text(page, "#preview-flips");
  assert.match(headline, new RegExp(`would flip ${flipped.toLocaleString("en-US")} of ${scanned.toLocaleString("en-US")} events in the last 7 days`));
  assert.ok(await page.$('#save-bar li.c-changed'), "the edit is listed as a change");
  // Every flip is a hold becoming an allow.
  assert.ok(await page.$('#save-bar .transitions li[data-transition="held->allowed"]'));
  await page.screenshot({ path: `${artifacts}/policies-edit-light.png`, fullPage: true });

  // A bad field is named, and the preview says the set is invalid.
  await page.fill("#rule-cost", "cheap");
  await page.waitForSelector("#rule-errors");
  assert.match(await text(page, "#rule-errors"), /cost_max_usd/);
  assert.ok(await page.isDisabled("#save-policy"));
  await page.fill("#rule-cost", "");

  // The server's run over the same window agrees with the browser.
  await page.click("#run-server");
  await page.waitForSelector("#server-flips", { timeout: 30_000 });
  assert.match(await text(page, "#server-flips"), new RegExp(`would flip ${flipped.toLocaleString("en-US")} of ${scanned.toLocaleString("en-US")} events`));
  const runLink = await page.getAttribute("#server-permalink", "href");
  assert.match(runLink, /^\/dashboard\/simulations\//);

  await page.click("#rule-apply");
  await page.waitForSelector("#rule-form", { state: "detached" });

  // A catch-all rule at the end shadows every other: lint says so next to each rule.
  await page.click("#add-rule");
  await page.waitForSelector("#rule-form");
  assert.equal(await page.$("#rule-errors"), null, "a new rule is not wrong before anything is typed");
  assert.ok(await page.isDisabled("#rule-apply"));
  // Actions and the evaluation order read as words, not codes.
  assert.deepEqual(
    await page.$$eval("#rule-action option", (os) => os.map((o) => o.textContent)),
    ["Block", "Require approval", "Allow", "Audit only"],
  );
  assert.match(await text(page, "#precedence"), /Last match wins/);
  // The demo's require_approval rules carry the note on what each SDK enforces.
  assert.match(await text(page, "#require-approval-note"), /TypeScript Cloud SDK does not gate calls/);
  await page.fill("#rule-pattern", "*");
  await page.selectOption("#rule-action", "block");
  await page.click("#rule-apply");
  await page.waitForSelector("tr.lint-row");
  const lints = await page.$$eval("tr.lint-row", (rows) => rows.map((r) => r.dataset.lint));
  assert.deepEqual(lints, ["0", "1", "2", "3"]);
  assert.match(await text(page, 'tr.lint-row[data-lint="0"]'), /never decides: rule 4/);
  await page.click('[data-delete="4"]');
  await page.waitForSelector("tr.lint-row", { state: "detached" });

  // Audit-only toggle, and back to the action it had.
  const wire = (await patterns(page)).indexOf("wire_*");
  await page.click(`[data-toggle="${wire}"]`);
  assert.match(await text(page, `tr.rule-row[data-index="${wire}"]`), /Audit only/);
  assert.match(await text(page, "#pending-changes"), /audit-only #\d wire_\*: block → audit_only/);
  await page.click(`[data-toggle="${wire}"]`);
  assert.match(await text(page, `tr.rule-row[data-index="${wire}"]`), /Block/);

  // Save the edit: the SDK now gets shell.exec → allow.
  await page.click("#save-policy");
  await page.waitForFunction(() => document.querySelector("#policy-notice")?.textContent.includes("Saved version 3"));
  assert.match(await text(page, "#policy-notice"), new RegExp(`would flip ${flipped.toLocaleString("en-US")} of`));
  assert.ok((await sdkRules(project)).includes("shell.exec:allow"));
  assert.match(await text(page, 'tr[data-version="3"]'), /changed #\d shell\.exec: require_approval → allow/);

  // Restore version 1: confirm shows its effect, then it is the active set again.
  await page.click('[data-restore="1"]');
  await page.waitForSelector("#restore-effect");
  assert.match(await text(page, "#restore-effect"), /Restore version 1 as version 4\? Compared with the active version, this change would flip \d+ of/);
  await page.click("#confirm-restore");
  await page.waitForFunction(() => document.querySelector("#policy-notice")?.textContent.includes("Restored version 1 as version 4"));
  assert.deepEqual(await sdkRules(project), ["wire_*:block", "shell.exec:require_approval", "payments.refund:require_approval", "email.*:audit_only"]);
  await page.waitForSelector('tr[data-version="4"].active-version');
  assert.match(await text(page, 'tr[data-version="4"]'), /restore version 1/);

  // A stale page cannot overwrite a newer version: the save is refused with a clear message.
  const stale = await openHydrated(server, context, "/dashboard/policies");
  await stale.waitForSelector("#no-changes");
  await api(server, "POST", "/v1/policies/rules", { rule: { pattern: "db.drop", action: "block" } });
  await stale.click('[data-move-down="0"]');
  await stale.click("#save-policy");
  await stale.waitForSelector("#save-error");
  // The writer is named by its key's prefix, as the Settings page lists it.
  assert.match(
    await text(stale, "#save-error"),
    new RegExp(`not saved: version 5 by key:${server.adminKey.slice(0, 10)} was saved after the version 4 you edited`),
  );
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("simulator: numbers, transition matrix, per-event diff with filters, permalink; the URL carries the state", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const draft = JSON.stringify({ kind: "block", pattern: "payments.*" });
  const page = await openHydrated(server, context, `/dashboard/policies/simulate?window=30d&draft=${encodeURIComponent(draft)}`);
  await page.waitForSelector("#transition-matrix", { timeout: 30_000 });
  assert.equal(await page.inputValue("#sim-draft"), draft);
  assert.match(await text(page, "#sim-mode"), /One rule/);
  const scanned = Number((await text(page, "#n-scanned")).replace(/,/g, ""));
  const changed = Number((await text(page, "#n-changed")).replace(/,/g, ""));
  assert.ok(scanned > 0 && changed > 0, `scanned ${scanned}, changed ${changed}`);
  // The matrix: every flip cell sums to the changed count; the table lists the flips.
  const flipCells = await page.$$eval("#transition-matrix .cell.flip", (cells) => cells.map((c) => [c.dataset.cell, Number(c.textContent.replace(/,/g, ""))]));
  assert.ok(flipCells.length > 0);
  assert.equal(flipCells.reduce((n, [, c]) => n + c, 0), changed);
  assert.ok(flipCells.every(([k]) => k.endsWith("->blocked")), JSON.stringify(flipCells));
  assert.match(await text(page, "#diff-count"), new RegExp(`grouping ${changed.toLocaleString("en-US")} event`));
  await page.screenshot({ path: `${artifacts}/simulator-light.png`, fullPage: true });

  // Click a cell: the table shows exactly those events, and the URL says so.
  const [cell, count] = flipCells[0];
  await page.click(`#transition-matrix [data-cell="${cell}"]`);
  await page.waitForSelector("#transition-filter");
  // Repeats in one trace are one row with their count; the counts add up to the cell.
  const grouped = await page.$$eval("#event-diff tbody tr", (rows) => rows.map((r) => [r.dataset.transition, Number(r.dataset.count)]));
  assert.ok(grouped.every(([t]) => t === cell));
  if (grouped.length < 200) assert.equal(grouped.reduce((n, [, c]) => n + c, 0), count);
  // One row per event on request, in the URL too.
  await page.uncheck("#diff-grouped");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("rows") === "each");
  const transitions = await page.$$eval("#event-diff tbody tr", (rows) => rows.map((r) => r.dataset.transition));
  assert.equal(transitions.length, Math.min(count, 200));
  assert.ok(transitions.every((t) => t === cell));
  assert.ok(grouped.length <= transitions.length);
  await page.check("#diff-grouped");
  await page.waitForFunction((c) => new URL(location.href).searchParams.get("transition") === c, cell);
  // The search filter narrows further (nothing is called "zzz").
  await page.fill("#diff-search", "zzz");
  await page.waitForSelector("#diff-empty");
  await page.fill("#diff-search", "");
  await page.click("#clear-transition");
  await page.click("#show-matched");
  await page.waitForSelector("#event-diff");

  // Beyond the scope: the names seen in the last 30 days the draft would change, and
  // which of its rules decide.
  await page.waitForSelector("#blast-radius");
  assert.match(await text(page, "#blast-summary"), /names seen in the last 30 days/);
  await page.waitForSelector("#coverage");
  assert.match(await text(page, "#coverage-summary"), /^\d+ of \d+ rules? decided events in scope/);

  // Reloading the URL restores the same state.
  const url = page.url();
  assert.match(url, /show=matched/);
  const again = await openHydrated(server, context, url.replace(server.url, ""));
  await again.waitForSelector("#transition-matrix", { timeout: 30_000 });
  assert.equal(await text(again, "#n-changed"), await text(page, "#n-changed"));
  assert.ok(await again.$("#show-matched.active"));
  await again.close();

  // Save as permalink: the server agrees, and the permalink shows the same numbers.
  await page.click("#save-simulation");
  await page.waitForSelector("#saved-permalink", { timeout: 30_000 });
  assert.ok(await page.$("#sim-agreement"), await text(page, "#saved-simulation"));
  const link = await page.getAttribute("#saved-permalink", "href");
  await page.goto(server.url + link);
  await page.waitForSelector("#sim-numbers");
  assert.equal(Number((await text(page, "#n-changed")).replace(/,/g, "")), changed);
  assert.match(await text(page, "#sim-draft"), /payments\.\*/);
  assert.match(await text(page, "p.scope"), /Over events recorded since \d{4}-\d\d-\d\dT[\d:]+Z · baseline: recorded/);
  assert.match(await page.getAttribute("#edit-draft", "href"), /^\/dashboard\/policies\/simulate\?/);

  // The whole active set against itself flips nothing; a dataset scope works too.
  const sim = await openHydrated(server, context, "/dashboard/policies/simulate");
  await sim.waitForSelector("#transition-matrix", { timeout: 30_000 });
  await sim.click("#start-set");
  await sim.waitForFunction(() => document.querySelector("#sim-mode")?.textContent.includes("Whole rule set"));
  await sim.waitForFunction(() => document.querySelector("#n-changed")?.textContent === "0");
  assert.equal(await sim.$$eval("#transition-matrix .cell.flip", (c) => c.length), 0);
  const { datasets } = await api(server, "GET", "/v1/datasets");
  await sim.selectOption("#sim-scope", `dataset:${datasets[0].id}`);
  await sim.waitForFunction((id) => new URL(location.href).searchParams.get("dataset") === id, datasets[0].id);
  await sim.waitForSelector("#n-scanned", { timeout: 30_000 });
  // An invalid draft names its field.
  await sim.fill("#sim-draft", '{"kind": "deny", "pattern": "x"}');
  await sim.waitForSelector("#draft-error");
  assert.match(await text(sim, "#draft-error"), /kind/);
  assert.ok(await sim.isDisabled("#save-simulation"));
  // The page keeps the last numbers and matrix, dimmed, instead of emptying.
  assert.ok(await sim.isVisible(".stale #sim-numbers"), "the last numbers stay, dimmed");
  assert.ok(await sim.isVisible("#transition-matrix"), "the matrix stays");
  assert.equal(await sim.getAttribute(".matrix-wrap", "aria-hidden"), "true");
  assert.deepEqual(sim.errors, []);
  await context.close();
});

test("policies and simulator pages: screenshots in both themes, and without JavaScript", async () => {
  for (const theme of ["light", "dark"]) {
    const context = await browser.newContext({ viewport: WIDE });
    await context.addCookies([{ name: "preflight_theme", value: theme, url: server.url }]);
    const page = await openHydrated(server, context, "/dashboard/policies");
    assert.equal(await page.getAttribute("html", "data-theme"), theme);
    await page.waitForSelector("#versions");
    // Beside the rules: which of them decided the last 7 days' events.
    await page.waitForSelector("#coverage", { timeout: 30_000 });
    await page.screenshot({ path: `${artifacts}/policies-editor-${theme}.png`, fullPage: true });
    const sim = await openHydrated(server, context, "/dashboard/policies/simulate?window=30d");
    await sim.waitForSelector("#transition-matrix", { timeout: 30_000 });
    await sim.screenshot({ path: `${artifacts}/policies-simulator-${theme}.png`, fullPage: true });
    await context.close();
  }
  // At phone width neither page scrolls sideways (wide tables scroll in their box).
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  for (const path of ["/dashboard/policies", "/dashboard/policies/simulate?window=30d"]) {
    const p = await openHydrated(server, phone, path);
    await p.waitForSelector(path.includes("simulate") ? "#transition-matrix" : "#versions", { timeout: 30_000 });
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path}: no sideways scrolling at 390 px (${overflow} px over)`);
    await p.screenshot({ path: `${artifacts}/${path.includes("simulate") ? "policies-simulator" : "policies-editor"}-phone-light.png` });
    await p.close();
  }
  await phone.close();
  const plain = await browser.newContext({ javaScriptEnabled: false, viewport: WIDE });
  const page = await plain.newPage();
  for (const path of ["/dashboard/policies", "/dashboard/policies/simulate"]) {
    const response = await page.goto(server.url + path);
    assert.equal(response.status(), 200, path);
    assert.equal(await page.$(".error-box"), null, `${path} loads`);
  }
  // Without JavaScript the rules, the lint and the history are there.
  await page.goto(server.url + "/dashboard/policies");
  assert.ok((await page.$$("tr.rule-row")).length >= 4);
  assert.ok(await page.$("#versions"));
  await plain.close();
});
