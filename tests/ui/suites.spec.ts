// The Suites page in Chromium against `sluice serve`: a case made from a logged request, checks
// added in the case editor, a run on two mock targets with the mock judge, the grid, the totals
// and the pick, one click to a routing rule, export as YAML and import of that file. Photographed
// at 900×600 and larger into screenshots/suites-*.png.

import { expect, test, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MOCK_KEY, mockProvider, openSignedIn, startSluice, type Running } from "./sluice";

let sluice: Running;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(import.meta.dirname, "screenshots", `suites-${name}.png`), fullPage: true });
const api = (path: string) => fetch(`${sluice.url}${path}`, { headers: { Authorization: `Bearer ${sluice.token}` } }).then((r) => r.json());

const config = (mockUrl: string) =>
  `${mockProvider(mockUrl)}
[[providers]]
id = "mock2"
base_url = "${mockUrl}/v1"
api_key_env = "SLUICE_TEST_MOCK_KEY"

[log]
store_bodies = true

[[prices]]
model = "mock/fast-a"
input = 50.0
output = 50.0

[[prices]]
model = "mock2/fast-b"
input = 0.1
output = 0.1
`;

async function addTarget(target: string) {
  await page.getByLabel("Add target").fill(target);
  await page.getByRole("button", { name: "Add target" }).click();
}

test.describe.serial("Suites", () => {
  test.beforeAll(async ({ browser }) => {
    sluice = await startSluice({ model: false, env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY }, config });
    const asked = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ model: "mock/fast-a", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say GOOD morning" }] }),
    });
    expect(asked.status).toBe(200);
    page = await openSignedIn(browser, sluice, "Requests");
  });

  test.afterAll(async () => {
    await page?.close();
    await sluice?.stop();
  });

  test("a logged request becomes a case of a new suite, and gets checks", async () => {
    await page.locator("table.requests tbody tr").first().click();
    const detail = page.getByRole("complementary", { name: "Request detail" });
    await detail.getByLabel("New suite name").fill("greetings");
    await detail.getByRole("button", { name: "Add to suite" }).click();
    await expect(detail.getByRole("status")).toContainText("Added as case");
    await detail.getByRole("link", { name: "Suites" }).click();
    const suite = page.getByRole("region", { name: "Suite greetings" });
    await expect(suite.locator("table.cases tbody tr")).toHaveCount(1);
    await expect(suite).toContainText("Say GOOD morning");
    await shot("from-request");

    await suite.getByRole("button", { name: /^Edit case/ }).click();
    const editor = page.locator("section.case-editor");
    await expect(editor.getByLabel("Case system prompt")).toHaveValue("Be brief.");
    await editor.getByLabel("Case id").fill("greet");
    await editor.getByRole("button", { name: "+ Add check" }).click();
    await editor.getByLabel("Check 1 value").fill("good morning");
    await editor.getByRole("button", { name: "+ Add check" }).click();
    await editor.getByLabel("Check 2 kind").selectOption("judge");
    await editor.getByLabel("Check 2 value").fill("Says GOOD");
    await editor.getByRole("button", { name: "+ Add check" }).click();
    await editor.getByLabel("Check 3 kind").selectOption("json_schema");
    await editor.getByLabel("Check 3 value").fill("{not json");
    await shot("case-editor");
    await editor.getByRole("button", { name: "Save case" }).click();
    await expect(editor.getByRole("alert")).toHaveText("Check 3: The schema is not valid JSON.");
    await editor.getByRole("button", { name: "Remove check 3" }).click();
    await editor.getByRole("button", { name: "Save case" }).click();
    await expect(editor).toHaveCount(0);
    await expect(suite.locator("table.cases tbody tr").first()).toContainText("contains good morning · judge rubric “Says GOOD”");
    // A second case, written by hand.
    await suite.getByRole("button", { name: "Add case" }).click();
    await editor.getByLabel("Turn 1", { exact: true }).fill("hi");
    await editor.getByRole("button", { name: "+ Add check" }).click();
    await editor.getByLabel("Check 1 kind").selectOption("equals");
    await editor.getByLabel("Check 1 value").fill("Echo: hi");
    await editor.getByRole("button", { name: "Save case" }).click();
    await expect(suite.locator("table.cases tbody tr")).toHaveCount(2);
  });

  test("runs on two targets with a judge; the grid, totals and pick; a rule in one click", async () => {
    await addTarget("mock/fast-a");
    await addTarget("mock2/fast-b");
    await page.getByLabel("Judge model").fill("mock/judge-r");
    await page.getByRole("button", { name: "Run suite" }).click();
    const run = page.getByRole("region", { name: /^Run \d+$/ });
    await expect(run).toHaveAttribute("data-state", "done", { timeout: 20_000 });
    const grid = run.getByRole("table", { name: "Results" });
    await expect(grid.getByRole("button", { name: /passed$/ })).toHaveCount(4);
    await expect(run.getByRole("status", { name: "Recommendation" })).toContainText("Pick mock2/fast-b");
    await expect(run.locator("table.totals tbody tr")).toHaveCount(2);
    await expect(run.locator("table.totals tbody tr").first()).toContainText("2/2");
    await run.scrollIntoViewIfNeeded();
    await shot("run");
    await grid.getByRole("button", { name: "greet on mock/fast-a: passed" }).click();
    const answer = run.getByRole("region", { name: "Answer of mock/fast-a to greet" });
    await expect(answer).toContainText("Echo: Say GOOD morning");
    await expect(answer).toContainText("judge scores ≥ 0.7 — 9.0/10: mock judge");
    await answer.scrollIntoViewIfNeeded();
    await shot("answer");

    await run.getByRole("button", { name: "Make a routing rule" }).click();
    await expect(run.getByRole("status", { name: "Recommendation" })).toContainText("Rule suite:greetings added");
    const { config } = await api("/api/config");
    expect(config.rules[0]).toMatchObject({ name: "suite:greetings", when: { tags: ["greetings"] }, then: { targets: ["mock2/fast-b", "mock/fast-a"] } });

    // A second run: the history charts each target's pass rate and cost over the runs.
    await page.getByRole("button", { name: "Run suite" }).click();
    await expect(page.getByRole("region", { name: /^Run \d+$/ })).toHaveAttribute("data-state", "done", { timeout: 20_000 });
    const history = page.getByRole("region", { name: "History" });
    await expect(history.getByLabel("Pass rate over time").locator(".recharts-line")).toHaveCount(2);
    await expect(history.getByLabel("Show run")).toHaveValue(/\d+/);
    await history.scrollIntoViewIfNeeded();
    await shot("history");
    await page.setViewportSize({ width: 900, height: 600 });
    await shot("small");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("exports as YAML, and the file imports as a new suite", async () => {
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export YAML" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe("greetings.yaml");
    const text = readFileSync((await file.path())!, "utf8");
    expect(text).toContain("- contains: good morning");
    // The same file with a broken case added: the rest still imports, the broken one is named.
    await page.getByLabel("Suite file").setInputFiles({ name: "greetings-copy.yaml", mimeType: "application/yaml", buffer: Buffer.from(`${text}- prompt: "Hi {{nmae}}"\n`) });
    const imported = page.getByRole("status").filter({ hasText: "Imported" });
    await expect(imported).toContainText("Imported 2 cases into greetings-copy.");
    await expect(imported).toContainText("Line 3, case line 3, prompt: unknown variable `nmae`");
    await expect(page.getByRole("region", { name: "Suite greetings-copy" }).locator("table.cases tbody tr")).toHaveCount(2);
    await shot("imported");
    const { suites } = await api("/api/suites");
    expect(suites.map((s: { name: string; cases: number }) => [s.name, s.cases])).toEqual([["greetings", 2], ["greetings-copy", 2]]);
  });
});
