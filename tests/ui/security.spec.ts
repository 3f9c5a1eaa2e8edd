// The served UI's security surface in a real browser: a strict Content-Security-Policy (its
// own scripts, styles and origin only) under which every page is opened and used with no
// violation; and the token kept for the tab only, never in localStorage.

import { expect, test } from "@playwright/test";
import { MOCK_KEY, mockProvider, openSignedIn, startSluice } from "./sluice";

const PAGES = ["Dashboard", "Connect", "Providers & keys", "Routing", "Playground", "Suites", "Quality", "Requests", "Cache", "Settings"];

test("every page works under the Content-Security-Policy", async ({ browser }) => {
  const sluice = await startSluice({ model: false, env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY }, config: mockProvider });
  try {
    const index = await fetch(sluice.url);
    const csp = index.headers.get("content-security-policy") ?? "";
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) {
      expect(csp).toContain(directive);
    }
    // A request, so the dashboard's charts and the log have something to draw.
    await fetch(`${sluice.url}/v1/chat/completions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ model: "mock/m", messages: [{ role: "user", content: "hello" }] }),
    });
    const page = await openSignedIn(browser, sluice, "Dashboard");
    const violations: string[] = [];
    page.on("console", (m) => {
      if (m.text().includes("Content Security Policy")) violations.push(m.text());
    });
    await page.evaluate(() => document.addEventListener("securitypolicyviolation", (e) => console.error(`Content Security Policy: ${e.violatedDirective} ${e.blockedURI}`)));
    for (const name of PAGES) {
      await page.getByRole("link", { name }).click();
      await expect(page.getByRole("heading", { name, exact: true })).toBeVisible();
    }
    await page.getByRole("link", { name: "Requests" }).click();
    await page.locator("table.requests tbody tr").first().click();
    await expect(page.getByRole("complementary", { name: "Request detail" })).toBeVisible();
    await page.getByRole("link", { name: "Dashboard" }).click();
    await expect(page.locator(".recharts-surface").first()).toBeVisible();
    expect(violations).toEqual([]);
    await page.close();
  } finally {
    await sluice.stop();
  }
});

test("the token is kept for the tab, not on disk", async ({ browser }) => {
  const sluice = await startSluice({ model: false, env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY }, config: mockProvider });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(sluice.url);
    await page.getByLabel("Token").fill(sluice.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    await page.reload();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    const other = await context.newPage();
    await other.goto(sluice.url);
    await expect(other.getByRole("heading", { name: "Sign in to Sluice" })).toBeVisible();
    await context.close();
  } finally {
    await sluice.stop();
  }
});
