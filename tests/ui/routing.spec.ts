// The Routing page in Chromium against `sluice serve`: create a rule with two conditions,
// reorder rules (drag and the arrows), see validation errors (the page's and the server's, at
// the field), move the quality ↔ cost slider, test a request on the unsaved rules, save, send
// a request and find it under its rule; a used-up budget shows a banner. Every state is
// photographed into screenshots/routing-*.png.

import { expect, test, type Page } from "@playwright/test";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MOCK_KEY, mockProvider, modelReady, openSignedIn, startSluice, type Running } from "./sluice";

let sluice: Running;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(import.meta.dirname, "screenshots", `routing-${name}.png`), fullPage: true });

async function chat(model: string, content: string) {
  const r = await fetch(`${sluice.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
  });
  await r.text();
  return { status: r.status, rule: r.headers.get("x-sluice-rule"), model: r.headers.get("x-sluice-model") };
}

const rows = () => page.locator("table.rules tbody tr[data-rule]");

test.describe.serial("Routing page", () => {
  test.beforeAll(async ({ browser }) => {
    sluice = await startSluice({
      env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY },
      config: (mock) => `${mockProvider(mock)}\n# hand-written: keep me\n[[routes]]\nmodel = "fast"\ntargets = ["mock/fast-model"]\n`,
    });
    // Difficulty needs the embedding model, which loads in the background: a rule tested
    // before it is ready cannot match (seen on a loaded CI machine).
    await modelReady(sluice);
    page = await openSignedIn(browser, sluice, "Routing");
  });

  test.afterAll(async () => {
    await page?.close();
    await sluice?.stop();
  });

  test("creates a rule with two conditions and moves the quality ↔ cost slider", async () => {
    await expect(page.locator("table.rules")).toContainText("route:fast");
    await shot("empty");
    await page.getByRole("button", { name: "Add rule" }).click();
    const editor = page.getByRole("region", { name: /^Rule / });
    await editor.getByLabel("Rule name").fill("hard");
    await editor.getByLabel("Requested model", { exact: true }).fill("auto");
    await editor.getByLabel("Add condition").selectOption("difficulty");
    await expect(editor.getByLabel("Difficulty from")).toHaveValue("0.7");
    await editor.getByLabel("Add target").fill("mock/strong-model");
    await editor.getByRole("button", { name: "Add target" }).click();
    const share = editor.getByTestId("share");
    await expect(share).toContainText("≈ 30 % of requests to mock/strong-model");
    await editor.getByLabel("Quality to cost").fill("0.9");
    await expect(share).toContainText("≈ 10 % of requests to mock/strong-model");
    await expect(editor.getByLabel("Difficulty from")).toHaveValue("0.9");
    await shot("rule-editor");

    await page.getByRole("button", { name: "Add rule" }).click();
    await editor.getByLabel("Rule name").fill("cheap");
    await editor.getByLabel("Requested model", { exact: true }).fill("auto");
    await editor.getByLabel("Add condition").selectOption("tools");
    await editor.getByLabel("Has tools", { exact: true }).selectOption("false");
    await editor.getByLabel("Add target").fill("mock/cheap-model");
    await editor.getByRole("button", { name: "Add target" }).click();
    await expect(rows()).toHaveCount(2);
  });

  test("reorders by dragging and with the arrows", async () => {
    await rows().nth(1).dragTo(rows().nth(0));
    await expect(rows().nth(0)).toHaveAttribute("data-rule", "cheap");
    await shot("reordered");
    await page.getByRole("button", { name: "Move cheap down" }).click();
    await expect(rows().nth(0)).toHaveAttribute("data-rule", "hard");
  });

  test("shows validation errors at the field, the page's and the server's", async () => {
    await rows().nth(0).click();
    const editor = page.getByRole("region", { name: "Rule hard" });
    await editor.getByLabel("Difficulty from").fill("1.5");
    await expect(editor.locator('[data-field="when.difficulty"]')).toContainText("between 0 and 1");
    await shot("invalid-range");
    await editor.getByLabel("Difficulty from").fill("0.9");
    await expect(editor.locator('[data-field="when.difficulty"]')).toHaveCount(0);
    // A regex only the server can judge (Rust's syntax): saving is refused, naming the field.
    await editor.getByLabel("Add condition").selectOption("text");
    await editor.getByLabel("Text regex").fill("(unclosed");
    await page.getByRole("button", { name: "Save rules" }).click();
    await expect(editor.locator('[data-field="when.text.regex"]')).toContainText("does not compile");
    await shot("invalid-regex");
    await editor.getByRole("button", { name: "Remove Text match" }).click();
    const saved = await (await fetch(`${sluice.url}/api/config`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json();
    expect(saved.config.rules).toEqual([]);
  });

  test("tests a request on the unsaved rules", async () => {
    const editor = page.getByRole("region", { name: "Rule hard" });
    // Every prompt scores at least 0: this rule now takes every `auto` request.
    await editor.getByLabel("Quality to cost").fill("0");
    const box = page.getByRole("region", { name: "Test a request" });
    await box.getByLabel("Request JSON").fill(JSON.stringify({ model: "auto", messages: [{ role: "user", content: "Prove that there are infinitely many primes." }] }));
    await box.getByRole("button", { name: "Test" }).click();
    await expect(box.getByTestId("verdict-rule")).toHaveText("hard");
    await expect(box.getByTestId("verdict")).toContainText("mock/strong-model");
    await expect(box.getByTestId("verdict")).toContainText("difficulty ≥ 0");
    await shot("test-box");
  });

  test("saves, keeps the file's comments, and a request shows up under its rule", async () => {
    await page.getByRole("button", { name: "Save rules" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
    const r = await chat("auto", "Prove that there are infinitely many primes.");
    expect(r).toMatchObject({ status: 200, rule: "hard", model: "strong-model" });
    const hard = rows().filter({ hasText: "hard" });
    await expect(hard.locator("td").nth(2)).toHaveText("1");
    await shot("saved");
    const configPath = JSON.parse(await (await fetch(`${sluice.url}/api/info`, { headers: { Authorization: `Bearer ${sluice.token}` } })).text()).config_path;
    expect(readFileSync(configPath, "utf8")).toContain("# hand-written: keep me");
    await page.getByRole("link", { name: "Requests" }).click();
    await expect(page.getByRole("heading", { name: "Requests" })).toBeVisible();
    await page.getByRole("combobox", { name: "Rule", exact: true }).selectOption("hard");
    await expect(page.locator("table.requests tbody tr")).toHaveCount(1);
    await page.locator("table.requests tbody tr").first().click();
    const detail = page.getByRole("complementary", { name: "Request detail" });
    await expect(detail).toContainText("hard");
    await expect(detail).toContainText("difficulty");
    await shot("request-under-rule");
  });

  test("a used-up budget shows a banner", async () => {
    const headers = { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" };
    const { config } = await (await fetch(`${sluice.url}/api/config`, { headers })).json();
    config.budgets = [{ name: "daily-cap", usd: 0.000001, period: "day" }];
    const put = await fetch(`${sluice.url}/api/config`, { method: "PUT", headers, body: JSON.stringify({ config }) });
    expect(put.status).toBe(200);
    expect((await chat("mock/mock-model", "one priced call")).status).toBe(200);
    await page.getByRole("link", { name: "Routing" }).click();
    await expect(page.getByRole("status", { name: "Budgets" })).toContainText("Budget daily-cap");
    await expect(page.getByRole("status", { name: "Budgets" })).toContainText("Requests it covers are refused");
    expect((await chat("mock/mock-model", "over budget")).status).toBe(429);
    await shot("budget-banner");
  });

  test("a hand edit of the config file shows up on the open page", async () => {
    const info = await (await fetch(`${sluice.url}/api/info`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json();
    appendFileSync(info.config_path, `\n# added by hand\n[[rules]]\nname = "by-hand"\nwhen = { model = "manual" }\nthen = { targets = ["mock/manual-model"] }\n`);
    await expect(rows().filter({ hasText: "by-hand" })).toBeVisible({ timeout: 10_000 });
    await shot("hand-edit");
    expect((await chat("manual", "hello")).rule).toBe("by-hand");
  });

  test("a rule sets its own compression", async () => {
    await rows().filter({ hasText: "by-hand" }).click();
    const editor = page.getByRole("region", { name: "Rule by-hand" });
    await editor.getByLabel("Compression", { exact: true }).selectOption("retrieval");
    await editor.getByLabel("Compression keeps").fill("150");
    await expect(editor.getByText("Keep between 1 and 100 % of the tokens.")).toBeVisible();
    await editor.getByLabel("Compression keeps").fill("10");
    await page.getByRole("button", { name: "Save rules" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
    const { config } = await (await fetch(`${sluice.url}/api/config`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json();
    const rule = config.rules.find((r: { name: string }) => r.name === "by-hand");
    expect(rule.then.compress).toEqual({ retrieval: true, ratio: 0.1 });
    await shot("compression");
  });
});
