// The web UI served by `sluice serve`, in Debian's Chromium: sign in, add a provider and its
// key (into the real keychain), send requests through the proxy, and see them in Requests and
// the savings on the Dashboard. Every page is photographed into screenshots/.

import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MOCK_KEY, startSluice, type Running } from "./sluice";

let sluice: Running;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(import.meta.dirname, "screenshots", `${name}.png`), fullPage: true });

async function api(path: string, init: RequestInit = {}) {
  const r = await fetch(`${sluice.url}${path}`, { ...init, headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" } });
  return r.json();
}

async function chat(content: string) {
  const r = await fetch(`${sluice.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "mock/mock-model", messages: [{ role: "user", content }] }),
  });
  return { status: r.status, cache: r.headers.get("x-sluice-cache"), body: await r.text() };
}

/** The same mock model through Anthropic's Messages API, as Claude Code would ask. */
async function message(content: string) {
  const r = await fetch(`${sluice.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": sluice.token, "anthropic-version": "2023-06-01", "Content-Type": "application/json" },
    body: JSON.stringify({ model: "mock/mock-model", max_tokens: 100, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content }] }),
  });
  return { status: r.status, cache: r.headers.get("x-sluice-cache"), body: await r.text() };
}

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test.describe.serial("Sluice in a browser", () => {
  test.beforeAll(async ({ browser }) => {
    sluice = await startSluice();
    page = await browser.newPage();
  });

  test.afterAll(async () => {
    await page?.close();
    await sluice?.stop();
  });

  test("signs in with the token, refusing a wrong one", async () => {
    await page.goto(sluice.url);
    await expect(page.getByRole("heading", { name: "Sign in to Sluice" })).toBeVisible();
    await shot("sign-in");
    await page.getByLabel("Token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("missing or wrong Sluice token");
    await page.getByLabel("Token").fill(sluice.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Nothing has gone through Sluice yet" })).toBeVisible();
    await shot("dashboard-empty");
  });

  test("adds a provider and its key, with errors for bad input", async () => {
    await page.getByRole("link", { name: "Providers & keys" }).click();
    const form = page.getByRole("form", { name: "Add a provider" });
    await form.getByLabel("Service").selectOption({ label: "Other OpenAI-compatible endpoint…" });
    await form.getByLabel("Id").fill("Mock Provider");
    await form.getByLabel("Base URL").fill("not a url");
    await form.getByRole("button", { name: "Add provider" }).click();
    await expect(form.getByText("Use lowercase letters, digits")).toBeVisible();
    await expect(form.getByText("This is not a URL")).toBeVisible();
    await shot("providers-form-errors");

    await form.getByLabel("Id").fill("mock");
    await form.getByLabel("Base URL").fill(`${sluice.mockUrl}/v1`);
    await form.getByRole("button", { name: "Add provider" }).click();
    const card = page.getByRole("region", { name: "Provider mock" });
    await expect(card).toBeVisible();
    await expect(card.getByTestId("key-status")).toContainText("No key");

    // Without a key the mock refuses, and the test says so in the upstream's words.
    await card.getByRole("button", { name: "Test connection" }).click();
    await expect(card.getByRole("alert")).toContainText("401");

    await card.getByRole("button", { name: "Add key" }).click();
    await card.getByLabel("API key for mock").fill("sk with spaces");
    await card.getByRole("button", { name: "Save key" }).click();
    await expect(card.getByText("The key has spaces or line breaks")).toBeVisible();
    await card.getByLabel("API key for mock").fill(MOCK_KEY);
    await card.getByRole("button", { name: "Save key" }).click();
    await expect(card.getByTestId("key-status")).toContainText(`••••${MOCK_KEY.slice(-4)}`);
    await expect(card.getByTestId("key-status")).toContainText("in the keychain");

    await card.getByRole("button", { name: "Test connection" }).click();
    await expect(card.getByRole("status")).toContainText("Connected in");
    await shot("providers");

    // The key is in the OS keychain, filed under this data dir's service.
    const stored = execFileSync("secret-tool", ["lookup", "service", `sluice ${sluice.dataDir}`, "username", "mock"]).toString();
    expect(stored).toBe(MOCK_KEY);
  });

  test("shows requests sent through the proxy, live, with filters and detail", async () => {
    await page.getByRole("link", { name: "Requests" }).click();
    await expect(page.getByText("No requests yet")).toBeVisible();
    const first = await chat("What is a sluice gate?");
    expect(first.status, first.body).toBe(200);
    expect(first.cache).toBe("miss");
    expect((await chat("What is a sluice gate?")).cache).toBe("hit-exact");
    const anthropic = await message("And a lock?");
    expect(anthropic.status, anthropic.body).toBe(200);
    expect(anthropic.cache).toBe("miss");

    const rows = page.locator("table.requests tbody tr");
    await expect(rows).toHaveCount(3);
    await expect(rows.first().locator(".client-api")).toHaveText("Anthropic");
    await expect(rows.last().locator(".client-api")).toHaveText("OpenAI chat");
    await rows.first().click();
    const translated = page.getByRole("complementary", { name: "Request detail" });
    await expect(translated).toContainText("through the Anthropic API");
    // The mock speaks OpenAI's API: it answered without Anthropic's extended thinking, and says so.
    await expect(translated).toContainText("Left out");
    await expect(translated).toContainText("thinking");
    await shot("requests-translated-detail");
    await page.getByLabel("Cache").selectOption("hit");
    await expect(rows).toHaveCount(1);
    await rows.first().click();
    const detail = page.getByRole("complementary", { name: "Request detail" });
    await expect(detail).toContainText("Answered from the cache");
    await expect(detail).toContainText("mock/mock-model");
    await shot("requests-detail");
    await detail.getByRole("button", { name: "Close" }).click();
    await page.getByLabel("Cache").selectOption("");
    await expect(rows).toHaveCount(3);
    await shot("requests");
  });

  test("shows spend and savings on the dashboard", async () => {
    await page.getByRole("link", { name: "Dashboard" }).click();
    const stats = await (await fetch(`${sluice.url}/api/stats`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json();
    expect(stats.saved_usd).toBeGreaterThan(0);
    // The hit saved what the first call cost: a fraction of a cent, shown to two significant digits.
    const saved = page.locator(".stat", { hasText: "Saved" }).locator(".stat-value");
    await expect(saved).toHaveText(`$${Number(stats.saved_usd.toPrecision(2))}`);
    await expect(page.locator(".stat", { hasText: "Cache hit rate" }).locator(".stat-value")).toHaveText("33%");
    await expect(page.locator(".stat", { hasText: "Requests" }).locator(".stat-value")).toHaveText("3");
    await expect(page.getByRole("cell", { name: "mock/mock-model" })).toBeVisible();
    await expect(page.locator(".chart").getByRole("application")).toBeVisible();
    await shot("dashboard");
  });

  test("the cache page shows a semantic hit, takes a wrong-answer report and per-route settings", async () => {
    for (let i = 0; (await api("/api/cache/status")).model.state !== "ready"; i++) {
      expect(i, "the embedding model loads").toBeLessThan(300);
      await new Promise((ok) => setTimeout(ok, 100));
    }
    expect((await chat("How do I reverse a list in Python?")).cache).toBe("miss");
    await new Promise((ok) => setTimeout(ok, 300));
    expect((await chat("How can I reverse a list in Python?")).cache).toBe("hit-semantic");
    // Past the model's window: stored for identical requests only, still listed and searchable.
    expect((await chat(`Summarize: ${"The report covers revenue and costs. ".repeat(60)}`)).cache).toBe("miss");

    await page.getByRole("link", { name: "Cache" }).click();
    await expect(page.getByText("Rephrased questions are answered from the cache")).toBeVisible();
    await expect(page.locator(".stat", { hasText: "Semantic hits" }).locator(".stat-value")).toHaveText("1");
    const entries = page.locator("table.entries tbody tr");
    await expect(entries.filter({ hasText: "How do I reverse a list in Python?" })).toHaveCount(1);
    await page.getByLabel("Search questions").fill("python");
    await expect(entries).toHaveCount(1);
    await expect(entries.locator(".badge", { hasText: "identical requests only" })).toHaveCount(0);
    await page.getByLabel("Search questions").fill("report covers");
    await expect(entries).toHaveCount(1);
    await expect(entries.locator(".badge", { hasText: "identical requests only" })).toBeVisible();
    await page.getByLabel("Search questions").fill("");
    await shot("cache");
    await page.getByLabel("Search questions").fill("nothing like this");
    await expect(page.getByText("No cached question matches.")).toBeVisible();
    await page.getByLabel("Search questions").fill("");

    await page.getByRole("link", { name: "Requests" }).click();
    // The Cache page has a "Cache" label too: wait until it has gone.
    await expect(page.getByRole("heading", { name: "Requests" })).toBeVisible();
    await page.getByLabel("Cache").selectOption("hit-semantic");
    await page.locator("table.requests tbody tr").first().click();
    const detail = page.getByRole("complementary", { name: "Request detail" });
    await expect(detail).toContainText("How can I reverse a list in Python?");
    await expect(detail).toContainText("Answered as");
    await shot("requests-semantic-detail");
    await detail.getByRole("button", { name: "Wrong answer" }).click();
    await expect(detail).toContainText("Removed from the cache and counted.");
    await detail.getByRole("button", { name: "Close" }).click();
    await page.getByLabel("Cache").selectOption("");

    const { config } = await api("/api/config");
    config.routes = [{ model: "fast", targets: ["mock/mock-model"] }];
    await api("/api/config", { method: "PUT", body: JSON.stringify({ config }) });
    await page.getByRole("link", { name: "Cache" }).click();
    await page.reload();
    await expect(page.locator(".stat", { hasText: "Marked wrong" }).locator(".stat-value")).toHaveText("1");
    await page.getByLabel("Similarity threshold").fill("0.3");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Use a similarity between 0.5 and 1")).toBeVisible();
    await page.getByLabel("Similarity threshold").fill("0.95");
    await page.getByLabel("Semantic caching for fast").selectOption("on");
    await page.getByLabel("Similarity for fast").fill("0.98");
    await page.getByLabel("Lifetime for fast").fill("30");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Saved.")).toBeVisible();
    const saved = (await api("/api/config")).config.routes[0].cache;
    expect(saved).toEqual({ semantic: true, threshold: 0.98, ttl_secs: 1800 });
    await shot("cache-settings");

    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Clear cache" }).click();
    await expect(page.getByText("Nothing cached yet.")).toBeVisible();
  });

  test("connect and settings pages work, and bad settings are refused", async () => {
    await page.getByRole("link", { name: "Connect" }).click();
    await expect(page.getByLabel("Base URL")).toHaveText(`${sluice.url}/v1`);
    await page.getByRole("tab", { name: "curl" }).click();
    await expect(page.locator(".code-block pre")).toContainText(`${sluice.url}/v1/chat/completions`);
    await expect(page.getByText("Cursor cannot use Sluice")).toBeVisible();
    await shot("connect");

    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByLabel("Listen address").fill("127.0.0.1:99999");
    await page.getByRole("button", { name: "Save" }).first().click();
    await expect(page.getByText("The port must be between 1 and 65535")).toBeVisible();
    const bodies = page.getByRole("switch", { name: /Keep request and response bodies/ });
    await bodies.click(); // the switch shows the saved state, once the server has it
    await expect(bodies).toBeChecked();
    await shot("settings");
    const config = await (await fetch(`${sluice.url}/api/config`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json();
    expect(config.config.log.store_bodies).toBe(true);

    const rephrased = page.getByRole("switch", { name: /Answer rephrased questions/ });
    await expect(rephrased).toBeChecked();
    await rephrased.click();
    await expect(rephrased).not.toBeChecked();
    expect((await api("/api/config")).config.cache.semantic).toBe(false);
    // The route "fast" switched semantic caching on for itself, so the model stays loaded.
    expect((await api("/api/cache/status")).model.state).toBe("ready");
    await rephrased.click();
    await expect(rephrased).toBeChecked();
    expect((await api("/api/config")).config.cache.semantic).toBe(true);
  });

  test("fits the smallest window (900×600) and follows a dark OS theme", async () => {
    await page.setViewportSize({ width: 900, height: 600 });
    for (const name of ["Dashboard", "Requests", "Cache", "Providers & keys", "Settings", "Connect"]) {
      await page.getByRole("link", { name }).click();
      await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} scrolls sideways at 900×600`).toBeLessThanOrEqual(0);
    }
    await page.getByRole("link", { name: "Dashboard" }).click();
    await shot("dashboard-900x600");
    await page.emulateMedia({ colorScheme: "dark" });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(18, 21, 27)");
    await shot("dashboard-dark");
    await page.getByRole("link", { name: "Requests" }).click();
    await page.locator("table.requests tbody tr").first().click();
    await shot("requests-dark-900x600");
  });

  test("the key never lands in a file under the data dir", async () => {
    for (const file of files(sluice.dataDir)) {
      expect(readFileSync(file).includes(MOCK_KEY), file).toBe(false);
    }
  });
});
