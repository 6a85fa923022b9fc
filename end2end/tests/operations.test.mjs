// The operations pages on the demo project, in Debian chromium: approvals decided in
// the dashboard as an SDK polling the REST API sees them; API keys created and revoked
// in Settings with a scope; the audit log's filters and its CSV/JSONL export; the home overview's
// chart and the links behind its numbers; screenshots of each page in both themes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { artifacts, api, startDemo, stopDemo, openHydrated, WIDE, text } from "../server.mjs";

let server;
let browser;

before(async () => ({ server, browser } = await startDemo()));
after(() => stopDemo(server, browser));

/** A REST call with an explicit key; returns the status and parsed body. */
async function call(method, path, key, body) {
  const response = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Parses CSV (RFC 4180: quoted fields, doubled quotes, CRLF rows). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  if (field !== "" || row.length) rows.push([...row, field]);
  return rows;
}

test("an approval requested through the API appears by itself, is approved with a reason, and the SDK's poll sees it", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard/approvals");
  const before = await page.locator(".approval").count();
  assert.ok(before >= 1, "the demo has pending approvals");

  // Requested after the page opened: the Pending tab picks it up without a reload.
  // Requested with the agent key, as an SDK does.
  const { body: created } = await call("POST", "/v1/approvals", server.apiKey, {
    action: "payments.refund",
    context: { agent: "billing-agent", amount_usd: 1250, customer: "cus_e2e" },
  });
  assert.equal(created.status, "pending");
  const card = page.locator(`.approval[data-approval="${created.id}"]`);
  await card.waitFor({ timeout: 15_000 });
  assert.match(await card.locator("header").innerText(), new RegExp(`by key:${server.apiKey.slice(0, 10)}`));
  assert.match(await card.locator(".context-fields").innerText(), /amount_usd\s+1250/);
  assert.match(await card.locator(".context-fields").innerText(), /customer\s+cus_e2e/);
  await page.screenshot({ path: `${artifacts}/approvals-pending-live-light.png` });

  await card.locator('input[name="reason"]').fill("customer verified by phone");
  await card.locator("button.approve").click();
  await page.waitForSelector("#decision-notice");
  assert.equal(
    (await page.textContent("#decision-notice")).trim(),
    "Approved “payments.refund”: customer verified by phone",
  );
  await page.waitForSelector(`.approval[data-approval="${created.id}"]`, { state: "detached" });

  // What the SDK polling GET /v1/approvals/{id} with its agent key sees.
  const { body: polled } = await call("GET", `/v1/approvals/${created.id}`, server.apiKey);
  assert.equal(polled.status, "approved");
  assert.equal(polled.reason, "customer verified by phone");
  assert.equal(polled.decided_by, server.admin.email, "the signed-in account decided");

  // The agent's own key can poll but never decide: 403, naming the scope that could.
  const own = await call("GET", `/v1/approvals/${created.id}`, server.apiKey);
  assert.equal(own.status, 200);
  const self = await call("POST", `/v1/approvals/${created.id}/decision`, server.apiKey, { decision: "rejected" });
  assert.equal(self.status, 403);
  assert.equal(self.body.error.code, "insufficient_scope");
  assert.deepEqual(self.body.error.required_scopes, ["admin"]);
  // Only the first decision counts, whichever side makes it.
  const again = await call("POST", `/v1/approvals/${created.id}/decision`, server.adminKey, { decision: "rejected" });
  assert.equal(again.status, 409);

  // Reject another, then read both on the Decided tab: who, when, why.
  const second = await api(server, "POST", "/v1/approvals", { action: "shell.exec", context: { cmd: "rm -rf /tmp/x" } });
  const secondCard = page.locator(`.approval[data-approval="${second.id}"]`);
  await secondCard.waitFor({ timeout: 15_000 });
  await secondCard.locator('input[name="reason"]').fill("not during an incident");
  await secondCard.locator("button.reject").click();
  await page.waitForFunction(() => document.querySelector("#decision-notice")?.textContent.startsWith("Rejected"));
  assert.equal((await api(server, "GET", `/v1/approvals/${second.id}`)).status, "rejected");

  await page.click("#tab-decided");
  await page.waitForURL(/tab=decided/);
  const decided = page.locator(`.decided-table tr[data-approval="${created.id}"]`);
  await decided.waitFor();
  assert.equal((await decided.locator(".decided-by").innerText()).trim(), server.admin.email);
  assert.equal((await decided.locator(".reason").innerText()).trim(), "customer verified by phone");
  const rejected = page.locator(`.decided-table tr[data-approval="${second.id}"]`);
  assert.match(await rejected.innerText(), /rejected[\s\S]*not during an incident/);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("deciding an approval works without JavaScript too", async () => {
  const created = await api(server, "POST", "/v1/approvals", { action: "wire_transfer", context: { amount_usd: 90 } });
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: WIDE });
  const page = await context.newPage();
  await page.goto(server.url + "/dashboard/approvals");
  const card = page.locator(`.approval[data-approval="${created.id}"]`);
  await card.locator('input[name="reason"]').fill("plain form");
  await card.locator("button.reject").click();
  await page.waitForLoadState("load");
  const polled = await api(server, "GET", `/v1/approvals/${created.id}`);
  assert.equal(polled.status, "rejected");
  assert.equal(polled.reason, "plain form");
  await context.close();
});

test("a key created in Settings works until it is revoked there, then gets 401", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard/settings");
  const keysBefore = await page.locator(".keys-table tbody tr").count();
  assert.ok(keysBefore >= 1, "the demo key is listed");

  await page.selectOption("#key-scope", "read");
  await page.click("#create-key");
  await page.waitForSelector("#new-key-text");
  assert.match(await page.textContent(".new-key"), /New read key/);
  const key = await page.inputValue("#new-key-text");
  assert.match(key, /^jj_\S{20,}$/);
  await page.click("#copy-key");
  await page.waitForSelector("#copy-result");
  await page.screenshot({ path: `${artifacts}/settings-new-key-light.png` });

  // Listed by prefix (never the whole key), newest first.
  const prefix = key.slice(0, 10);
  const row = page.locator(`.keys-table tr[data-prefix="${prefix}"]`);
  await row.waitFor();
  assert.equal(await page.locator(".keys-table tbody tr").count(), keysBefore + 1);
  assert.ok(!(await page.content()).includes(`>${key}<`), "the full key is not in the table");

  assert.equal((await row.locator(".key-scope").innerText()).trim(), "read");
  const ok = await call("GET", "/v1/traces?limit=1", key);
  assert.equal(ok.status, 200, "the new key authenticates");
  const write = await call("POST", "/v1/datasets", key, { name: "from a read key" });
  assert.equal(write.status, 403, "a read key changes nothing");

  await row.locator("summary:has-text('Revoke')").click();
  // The confirmation opens over the table's edge, not cut off by it.
  const revokeBox = await row.locator("button.revoke-key").boundingBox();
  const onTop = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest("button")?.className ?? "", {
    x: revokeBox.x + revokeBox.width / 2,
    y: revokeBox.y + revokeBox.height / 2,
  });
  assert.match(onTop, /revoke-key/, "the Revoke key button is whole and on top");
  await row.locator("button.revoke-key").click();
  await page.waitForSelector(`.keys-table tr.revoked[data-prefix="${prefix}"]`);
  assert.match(await page.locator(`.keys-table tr[data-prefix="${prefix}"] .key-status`).innerText(), /revoked/);
  // Once revoked, the key is no longer offered for copying.
  await page.waitForSelector("#new-key-text", { state: "detached" });

  const refused = await call("GET", "/v1/traces?limit=1", key);
  assert.equal(refused.status, 401, "a revoked key is refused");
  assert.equal((await call("GET", "/v1/traces?limit=1", server.adminKey)).status, 200, "other keys still work");
  assert.equal((await call("GET", "/v1/traces?limit=1", server.apiKey)).status, 403, "an agent key reads no traces");

  // Retention: saved, shown, and a wrong value explained.
  await page.fill("#retention-days", "45");
  await page.click("#save-retention");
  await page.waitForSelector("#retention-saved");
  assert.match(await page.textContent("#retention-saved"), /45 days/);
  await page.waitForFunction(() => /45 days/.test(document.querySelector(".projects-table tr.selected")?.textContent ?? ""));
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("projects are created and renamed in Settings", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard/settings");
  await page.fill("#new-project-name", "e2e-ops");
  await page.click("#create-project");
  // The new project's settings open, with no key yet.
  await page.waitForFunction(() => document.querySelector("#current-project")?.textContent === "e2e-ops", null, { timeout: 15_000 });
  await page.waitForSelector("#no-keys");
  const id = new URL(page.url()).searchParams.get("project");
  assert.match(id, /^proj_/);

  // A taken name is explained, not a crash.
  await page.fill("#new-project-name", "e2e-ops");
  await page.click("#create-project");
  await page.waitForSelector(".settings-projects .form-error");
  assert.match(await page.textContent(".settings-projects .form-error"), /already exists/);

  const row = page.locator(`.projects-table tr[data-project="${id}"]`);
  // Menus behave as menus: one open at a time, Escape closes it and refocuses its button.
  const rename = row.locator("summary:has-text('Rename')");
  await rename.click();
  const other = page.locator(`.projects-table tbody tr:not([data-project="${id}"]) summary:has-text('Rename')`);
  assert.ok((await other.count()) > 0, "the demo project is listed too");
  {
    await other.first().click();
    assert.equal(await page.locator("details.menu[open]").count(), 1, "opening a menu closes the other");
  }
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("details.menu[open]").count(), 0, "Escape closes the open menu");
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "SUMMARY", "the focus is back on its button");
  await page.click("h1");
  await rename.click();
  await page.click("h1");
  assert.equal(await page.locator("details.menu[open]").count(), 0, "a click elsewhere closes it");
  await rename.click();
  await row.locator('input[name="name"]').fill("e2e-ops-renamed");
  await row.locator('button:has-text("Rename")').click();
  await page.waitForFunction((pid) => document.querySelector(`.projects-table tr[data-project="${pid}"]`)?.textContent.includes("e2e-ops-renamed"), id);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("audit chips filter by URL, pages go back in time, and the export holds exactly the filtered rows", async () => {
  const context = await browser.newContext({ viewport: WIDE, acceptDownloads: true });
  const page = await openHydrated(server, context, "/dashboard/audit");
  const chipCount = async (filter) => Number(await page.textContent(`a.filter-chip[data-filter="${filter}"] .n`));
  const all = await chipCount("all");
  const blocked = await chipCount("blocked");
  const held = await chipCount("held");
  assert.ok(all > 50, `enough audit events to page (${all})`);
  assert.ok(blocked > 0 && held > 0);
  for (const chip of ["all", "blocked", "held", "redacted", "errored", "approvals", "budget"]) {
    assert.equal(await page.locator(`a.filter-chip[data-filter="${chip}"]`).count(), 1, chip);
  }

  // Paging: the next page is older and distinct.
  const firstPage = await page.$$eval(".audit-table tbody tr td:last-child a", (as) => as.map((a) => a.href));
  await page.click("#audit-older");
  await page.waitForURL(/cursor=/);
  await page.waitForFunction((first) => {
    const links = [...document.querySelectorAll(".audit-table tbody tr td:last-child a")].map((a) => a.href);
    return links.length > 0 && links.join() !== first.join();
  }, firstPage);

  // The Blocked chip is a link carrying the filter.
  await page.click('a.filter-chip[data-filter="blocked"]');
  await page.waitForURL(/filter=blocked/);
  await page.waitForFunction(() => document.querySelector('a.filter-chip[data-filter="blocked"]')?.classList.contains("active"));
  const verdicts = await page.$$eval(".audit-table tbody tr", (rows) => rows.map((r) => r.dataset.verdict));
  assert.ok(verdicts.length > 0);
  assert.ok(verdicts.every((v) => v === "blocked"), verdicts.join());
  assert.ok(!page.url().includes("cursor="), "a chip starts at the newest page");
  await page.screenshot({ path: `${artifacts}/audit-blocked-light.png` });

  // CSV of the filtered rows, downloaded from the page's own link.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
  assert.match(download.suggestedFilename(), /^preflight-audit-demo-blocked\.csv$/);
  const csvText = await (await context.request.get(server.url + (await page.getAttribute("#export-csv", "href")))).text();
  const rows = parseCsv(csvText);
  assert.deepEqual(rows[0], ["time", "agent", "kind", "tool", "verdict", "status", "rule", "trace_id", "span_id", "session_id", "approval_id"]);
  const body = rows.slice(1);
  assert.equal(body.length, blocked, "one CSV row per blocked audit event");
  assert.ok(body.every((r) => r.length === 11 && r[4] === "blocked"));
  assert.ok(body.some((r) => r[6].startsWith("block ")), "the deciding rule is exported");
  assert.ok(body.every((r) => !Number.isNaN(Date.parse(r[0]))));

  // JSONL for the Held chip, over plain GET with the headers a browser saves by.
  await page.click('a.filter-chip[data-filter="held"]');
  await page.waitForURL(/filter=held/);
  // The URL changes first; the export links follow once the held rows have loaded.
  await page.waitForFunction(() => document.querySelector("#export-jsonl")?.getAttribute("href")?.endsWith("filter=held"));
  const jsonlHref = await page.getAttribute("#export-jsonl", "href");
  assert.match(jsonlHref, /\/dashboard\/audit\/export\.jsonl\?project=proj_\w+&filter=held$/);
  const response = await context.request.get(server.url + jsonlHref);
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-disposition"], /attachment; filename="preflight-audit-demo-held\.jsonl"/);
  const lines = (await response.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(lines.length, held);
  assert.ok(lines.every((l) => l.verdict === "held" && l.trace_id && l.span_id && "rule" in l));

  // Without a session there is no export.
  const anonymous = await fetch(server.url + jsonlHref, { redirect: "manual" });
  assert.notEqual(anonymous.status, 200);
  assert.ok(!(await anonymous.text()).includes('"verdict"'), "no audit rows without signing in");

  // A filter that does not exist is a clear 422, on the page and on the export.
  const bad = await context.request.get(server.url + "/dashboard/audit/export.csv?filter=denied");
  assert.equal(bad.status(), 422);
  assert.match(await bad.text(), /filter: unknown filter "denied"/);
  await page.goto(server.url + "/dashboard/audit?filter=denied");
  await page.waitForSelector(".audit-page .form-error");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("home draws the verdict and cost charts, and its numbers open the filtered lists", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard");
  // Whole UTC hours covering the last 24 hours: 25 bars, 24 when now is on the hour.
  const bars = await page.locator("#verdict-chart g.bar").count();
  assert.ok(bars === 25 || bars === 24, `hourly bars over 24 hours: ${bars}`);
  assert.ok((await page.locator("#verdict-chart rect.seg").count()) > 0, "some bars have segments");
  assert.ok((await page.locator("#cost-chart rect.seg.cost").count()) > 0, "the demo's LLM calls cost something");
  const barTotal = await page.$$eval("#verdict-chart g.bar", (gs) => gs.reduce((n, g) => n + Number(g.dataset.total), 0));
  const cardTotal = await page.$$eval("#verdict-counts .stat-card b", (bs) => bs.reduce((n, b) => n + Number(b.textContent), 0));
  assert.equal(barTotal, cardTotal, "the bars add up to the counts");
  await page.screenshot({ path: `${artifacts}/home-overview-light.png`, fullPage: true });

  // The range lives in the URL.
  await page.click('a.range-chip:has-text("7d")');
  await page.waitForURL(/range=7d/);
  // Six-hour blocks covering 7 days: 29, or 28 when now is on a block's boundary.
  await page.waitForFunction(() => [28, 29].includes(document.querySelectorAll("#verdict-chart g.bar").length));

  // A count opens the traces behind it.
  const blocked = Number(await page.textContent('#verdict-counts a[data-verdict="blocked"] b'));
  assert.ok(blocked > 0);
  await page.click('#verdict-counts a[data-verdict="blocked"]');
  await page.waitForURL(/\/dashboard\/traces\?/);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("verdict"), "blocked");
  assert.equal(url.searchParams.get("range"), "7d");
  await page.waitForSelector("table.trace-table tbody tr[data-trace]");
  assert.equal(await page.inputValue("#filter-verdict"), "blocked");
  // The filter form names only the filters set: no empty parameters, no stray `&=`.
  await page.fill("#filter-tool", " payments ");
  await page.click('.filters button[type="submit"]');
  await page.waitForURL(/tool=payments/);
  const filtered = new URL(page.url());
  assert.equal(filtered.searchParams.get("tool"), "payments");
  for (const [key, value] of filtered.searchParams) assert.ok(key && value, `empty parameter in ${page.url()}`);
  assert.ok(!filtered.searchParams.has("agent") && !filtered.searchParams.has("session"), page.url());
  assert.equal(filtered.searchParams.get("verdict"), "blocked");
  assert.equal(filtered.searchParams.get("range"), "7d");
  await page.goBack();

  // A top blocked tool opens its traces; the pending count opens the approvals.
  await page.goBack();
  await page.waitForSelector("#top-blocked li a");
  const tool = (await page.textContent("#top-blocked li a.mono")).trim();
  await page.click("#top-blocked li a.mono");
  await page.waitForURL(/\/dashboard\/traces\?/);
  const toolUrl = new URL(page.url());
  assert.equal(toolUrl.searchParams.get("tool"), tool);
  assert.equal(toolUrl.searchParams.get("verdict"), "blocked");
  await page.goBack();
  await page.click("#pending-count");
  await page.waitForURL(/\/dashboard\/approvals/);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("the operations pages render without JavaScript in both themes (screenshots)", async () => {
  const pages = {
    "ops-home": "/dashboard?range=30d",
    "ops-audit": "/dashboard/audit",
    "ops-approvals": "/dashboard/approvals",
    "ops-approvals-decided": "/dashboard/approvals?tab=decided",
    "ops-settings": "/dashboard/settings",
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
      await page.screenshot({ path: `${artifacts}/${name}-${theme}.png`, fullPage: true });
    }
    // Settings is in the navigation.
    assert.equal(await page.locator('.nav a.nav-link[href^="/dashboard/settings"]').count(), 1);
    await context.close();
  }
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  for (const path of ["/dashboard", "/dashboard/audit", "/dashboard/approvals", "/dashboard/settings"]) {
    const page = await openHydrated(server, phone, path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path}: no sideways scrolling at 390 px (${overflow} px over)`);
    await page.screenshot({ path: `${artifacts}/phone${path.replaceAll("/", "-")}-light.png`, fullPage: true });
    await page.close();
  }
  await phone.close();
});

test("a row's menu in a table that scrolls sideways opens whole, over the page", async () => {
  const context = await browser.newContext({ viewport: { width: 400, height: 900 } });
  const page = await openHydrated(server, context, "/dashboard/settings");
  const wrap = page.locator(".keys-table").locator("xpath=ancestor::div[contains(@class, 'table-wrap')][1]");
  assert.ok(await wrap.evaluate((w) => w.scrollWidth > w.clientWidth), "the keys table scrolls sideways at 400 px");
  const revokedBefore = await page.locator(".keys-table tr.revoked").count();
  const row = page.locator(".keys-table tbody tr:not(.revoked)").first();
  await row.locator("summary:has-text('Revoke')").click();
  const box = await row.locator("button.revoke-key").boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 400, `the confirmation is inside the window: ${JSON.stringify(box)}`);
  const onTop = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest("button")?.className ?? "", {
    x: box.x + box.width / 2,
    y: box.y + box.height / 2,
  });
  assert.match(onTop, /revoke-key/, "the Revoke key button is whole and on top, not cut off by the table");
  // Scrolling the table would leave it behind: it closes instead. Nothing was revoked.
  await wrap.evaluate((w) => { w.scrollLeft = 40; });
  await page.waitForFunction(() => !document.querySelector(".keys-table details.menu[open]"));
  assert.equal(await page.locator(".keys-table tr.revoked").count(), revokedBefore);
  await context.close();
});

test("the audit page's Changes view names who changed what: an account or a key's prefix", async () => {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await openHydrated(server, context, "/dashboard/audit");
  await page.click(".changes-chip");
  await page.waitForURL(/view=changes/);
  await page.waitForSelector(".changes-table");
  // The approval the agent key asked for, and the decision the signed-in admin made.
  const requested = await page.locator('.changes-table tr[data-kind="approval_requested"] .actor').allInnerTexts();
  assert.ok(requested.includes(`key:${server.apiKey.slice(0, 10)}`), requested.join(", "));
  const decided = await page.locator('.changes-table tr[data-kind="approval_decided"] .actor').allInnerTexts();
  assert.ok(decided.includes(server.admin.email), decided.join(", "));
  // The key created in Settings, by the admin.
  const created = await page.locator('.changes-table tr[data-kind="key_created"]').allInnerTexts();
  assert.ok(created.some((row) => row.includes(server.admin.email) && row.includes("read key")), created.join("\n"));
  await page.screenshot({ path: `${artifacts}/audit-changes-light.png` });
  assert.deepEqual(page.errors, []);
  await context.close();
});
