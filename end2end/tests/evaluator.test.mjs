// The dashboard runs the shared `policy` evaluator in the browser after hydration
// (the pattern playground at /dashboard/playground).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { artifacts, startDemo, stopDemo, openHydrated } from "../server.mjs";
import { loadCorpus, caseInputs, judgeCase, simulationInputs, judgeSimulation } from "../../policy/wasm/tests/corpus.mjs";

let server;
let browser;

before(async () => ({ server, browser } = await startDemo()));
after(() => stopDemo(server, browser));

test("the pattern tester filters in the browser, with no request to the server", async () => {
  const context = await browser.newContext();
  const page = await openHydrated(server, context, "/dashboard/playground");
  assert.equal(await page.textContent("#match-count"), "3 of 12 tools match");

  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.fill("#pattern", "?_transfer");
  await page.waitForFunction(() => document.querySelector("#match-count")?.textContent === "1 of 12 tools match");
  const matched = await page.$$eval('#tool-list li[data-match="true"] code', (els) => els.map((e) => e.textContent));
  assert.deepEqual(matched, ["a_transfer"]);

  await page.fill("#pattern", "*_admin");
  await page.waitForFunction(() => document.querySelector("#match-count")?.textContent === "1 of 12 tools match");
  await page.fill("#pattern", "[");
  await page.waitForFunction(() => document.querySelector("#match-count")?.textContent === "0 of 12 tools match");
  await page.fill("#pattern", "*");
  await page.waitForFunction(() => document.querySelector("#match-count")?.textContent === "12 of 12 tools match");

  assert.deepEqual(requests, [], "typing must not reach the server");
  assert.equal(new URL(page.url()).pathname, "/dashboard/playground");
  await page.screenshot({ path: `${artifacts}/dashboard-pattern-tester.png`, fullPage: true });
  await context.close();
});

test("without JavaScript the page still reads, filtered on the server from the URL", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${server.url}/dashboard/playground?pattern=${encodeURIComponent("wire_*")}`);
  assert.equal(await page.textContent("#match-count"), "1 of 12 tools match");
  // Typing changes nothing without the WASM evaluator: the live filtering above was client-side.
  await page.fill("#pattern", "*");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await page.textContent("#match-count"), "1 of 12 tools match");
  assert.equal(await page.getAttribute("main", "data-hydrated"), "false");
  await context.close();
});

test("the dashboard's own WASM bundle agrees with the case corpus", async () => {
  const { cases, simulations } = loadCorpus();
  const context = await browser.newContext();
  const page = await openHydrated(server, context, "/dashboard/playground");
  const inputs = { cases: cases.map(caseInputs), simulations: simulations.map(simulationInputs) };
  // The page's module is already initialised by hydration; importing it again returns that instance.
  const outputs = await page.evaluate(async ({ cases, simulations }) => {
    const bundle = await import("/pkg/preflight.js");
    return {
      cases: cases.map(([p, s]) => bundle.evaluate_json(p, s)),
      simulations: simulations.map(([d, e, u]) => bundle.simulate_json(d, e, u)),
    };
  }, inputs);
  const failures = [];
  cases.forEach((c, i) => {
    // Warnings are checked by the module test; here the verdicts matter.
    const problem = judgeCase({ ...c, warnings: undefined }, outputs.cases[i], "{}");
    if (problem) failures.push(`${c.file} :: ${c.id}: ${problem}`);
  });
  simulations.forEach((s, i) => {
    const problem = judgeSimulation(s, outputs.simulations[i]);
    if (problem) failures.push(`${s.file} :: ${s.id}: ${problem}`);
  });
  assert.deepEqual(failures, []);
  assert.ok(cases.length > 0);
  await context.close();
});
