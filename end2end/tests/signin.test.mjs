// Sign-in in Debian chromium: a visitor without a session is sent to /signin and back
// to the page asked for; a wrong password is explained; sign-out ends the session;
// the first-run admin sees the demo project.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { artifacts, startDemo, stopDemo } from "../server.mjs";

let server;
let browser;

before(async () => ({ server, browser } = await startDemo()));
after(() => stopDemo(server, browser));

test("sign in, land on the page asked for, sign out", async () => {
  const context = await browser.newContext({ signedIn: false, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.url + "/dashboard/traces?verdict=blocked");
  assert.match(page.url(), /\/signin\?next=/);
  await page.screenshot({ path: `${artifacts}/signin.png` });

  await page.fill("#email", server.admin.email);
  await page.fill("#password", "not-the-password");
  await page.click("button[type=submit]");
  assert.equal(await page.textContent(".signin-error"), "Wrong email or password.");
  await page.screenshot({ path: `${artifacts}/signin-wrong-password.png` });

  await page.fill("#password", server.admin.password);
  await page.click("button[type=submit]");
  await page.waitForURL(/\/dashboard\/traces\?.*verdict=blocked/);
  await page.waitForSelector('main[data-hydrated="true"]', { timeout: 30_000 });
  assert.match(await page.textContent("#signed-in-as"), /admin@localhost \(admin\)/);
  const cookie = (await context.cookies()).find((c) => c.name === "preflight_session");
  assert.ok(cookie.httpOnly, "the session cookie is HttpOnly");
  assert.equal(cookie.sameSite, "Lax");

  await page.click("#user-menu");
  await page.click("#sign-out");
  await page.waitForURL(/\/signin$/);
  await page.goto(server.url + "/dashboard");
  assert.match(page.url(), /\/signin\?next=/, "the old session no longer works");
  await context.close();
});
