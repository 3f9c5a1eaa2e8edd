// The Quality page with verdicts from real sampling: five wrong semantic hits (one per system
// prompt, so five partitions) judged by the mock's echo judge, and a cheaper fallback answer
// judged as good as the baseline's. The alert, the agreement tables, the disagreements side by
// side, undoing a threshold change, the settings form, and the page before any verdict.
// Photographed at 1100×720 and 900×600 into screenshots/quality-*.png.

import { expect, test, type Page } from "@playwright/test";
import { join } from "node:path";
import { MOCK_KEY, mockProvider, modelReady, openSignedIn, startSluice, type Running } from "./sluice";

const QUESTION = "How do I reverse a list in Python?";
const PARAPHRASE = "How can I reverse a list in Python?";
const SYSTEMS = ["Answer briefly.", "Answer in detail.", "You are a tutor.", "Reply in one line.", "Be precise."];

const config = (mockUrl: string) =>
  mockProvider(mockUrl) +
  `
[cache]
semantic = true

[quality]
judge = "mock/judge-echo-q"
sample = 1.0
daily_cap_usd = 1.0

[[prices]]
model = "mock/judge-echo-q"
input = 1000.0
output = 1000.0

[[prices]]
model = "mock/ok-q"
input = 100.0
output = 100.0

[[prices]]
model = "mock/flaky-1-big-q"
input = 1000.0
output = 1000.0

[[rules]]
name = "fallback"
when = { model = "smart-q" }
then = { targets = ["mock/flaky-1-big-q", "mock/ok-q"] }
`;

async function chat(sluice: Running, model: string, text: string, system?: string) {
  const messages = [...(system ? [{ role: "system", content: system }] : []), { role: "user", content: text }];
  const r = await fetch(`${sluice.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages }),
  });
  expect(r.status).toBe(200);
  return r.headers.get("x-sluice-cache");
}

async function verdicts(sluice: Running): Promise<number> {
  const r = await fetch(`${sluice.url}/api/quality`, { headers: { Authorization: `Bearer ${sluice.token}` } });
  const q = await r.json();
  return q.rules.reduce((n: number, r: { agree: number; disagree: number; unknown: number }) => n + r.agree + r.disagree + r.unknown, 0);
}

const shots = (page: Page) => async (name: string, region?: string) => {
  for (const [w, h, suffix] of [[1100, 720, ""], [900, 600, "-narrow"]] as const) {
    await page.setViewportSize({ width: w, height: h });
    if (region) await page.getByRole(region === "Sampling" ? "form" : "region", { name: region, exact: true }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(import.meta.dirname, "screenshots", `quality-${name}${suffix}.png`) });
  }
};

test("verdicts, disagreements, an undone threshold change and the settings", async ({ browser }) => {
  test.setTimeout(120_000);
  const sluice = await startSluice({ env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY }, config });
  try {
    await modelReady(sluice);
    for (const system of SYSTEMS) {
      expect(await chat(sluice, "mock/ok-q", QUESTION, system)).toBe("miss");
    }
    await new Promise((ok) => setTimeout(ok, 400));
    // One at a time: at most 4 checks run at once, and more would be skipped.
    for (const [i, system] of SYSTEMS.entries()) {
      expect(await chat(sluice, "mock/ok-q", PARAPHRASE, system)).toBe("hit-semantic");
      await expect.poll(() => verdicts(sluice), { timeout: 30_000 }).toBe(i + 1);
    }
    await chat(sluice, "smart-q", "Which is bigger, a whale or a shark?");
    await expect.poll(() => verdicts(sluice), { timeout: 30_000 }).toBe(6);

    const page = await openSignedIn(browser, sluice, "Quality");
    const shot = shots(page);
    await expect(page.getByRole("alert").filter({ hasText: "Rule default agrees" })).toContainText("0 %");
    const sampling = page.getByRole("form", { name: "Sampling" });
    await expect(sampling.locator(".stat").filter({ hasText: "Checked today" })).toContainText("6");
    await expect(sampling).toContainText("1 prompts labelled for the difficulty router");
    const agreement = page.getByRole("region", { name: "Agreement", exact: true });
    const rows = agreement.locator("tbody tr");
    await expect(rows).toHaveCount(2);
    await expect(rows.filter({ hasText: "default" })).toContainText("0/5");
    await expect(rows.filter({ hasText: "default" })).toContainText("below floor");
    await expect(rows.filter({ hasText: "fallback" })).toContainText("1/1");
    await shot("overview");
    await agreement.getByRole("tab", { name: "By target" }).click();
    await expect(rows.filter({ hasText: "mock/ok-q" })).toContainText("1/6");
    await agreement.getByRole("tab", { name: "By cache partition" }).click();
    await expect(rows).toHaveCount(5);
    await expect(rows.first().locator("td").last()).toHaveText("0.990");
    await shot("partitions", "Agreement");

    const disagreements = page.getByRole("region", { name: "Latest disagreements" });
    const first = disagreements.getByRole("article").first();
    await expect(disagreements.getByRole("article")).toHaveCount(5);
    await expect(first.locator(".question")).toHaveText(PARAPHRASE);
    await expect(first.locator("pre").first()).toHaveText(`Echo: ${QUESTION}`);
    await expect(first.locator("pre").last()).toHaveText(`Echo: ${PARAPHRASE}`);
    await expect(first).toContainText("Judge: mock judge");
    await shot("disagreements", "Latest disagreements");

    const history = page.getByRole("region", { name: "Threshold history" });
    await expect(history.locator("tbody tr")).toHaveCount(5);
    await history.getByRole("button", { name: "Undo change 5" }).click();
    await expect(history.locator("tbody tr")).toHaveCount(6);
    await expect(history.locator("tbody tr").first()).toContainText("undo of change #5");
    await expect(history.locator("tbody tr").nth(1)).toContainText("undone");
    await expect(history.getByRole("button", { name: "Undo change 5" })).toHaveCount(0);
    await shot("history", "Threshold history");

    await sampling.getByLabel("Sample share").fill("150");
    await sampling.getByRole("button", { name: "Save" }).click();
    await expect(sampling.locator(".field-error")).toHaveText("Sample: a share from 0 to 100 %.");
    await shot("settings-refused", "Sampling");
    await sampling.getByLabel("Sample share").fill("5");
    await sampling.getByRole("button", { name: "Save" }).click();
    await expect(sampling.getByText("Saved.")).toBeVisible();
    const saved = await (await fetch(`${sluice.url}/api/config`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json();
    expect(saved.config.quality.sample).toBe(0.05);
    await expect(sampling.locator(".stat").filter({ hasText: "Checked today" })).toContainText("5 % of savings");
    await page.close();
  } finally {
    await sluice.stop();
  }
});

test("before any verdict: sampling off until a judge is named", async ({ browser }) => {
  const sluice = await startSluice({ model: false, env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY }, config: mockProvider });
  try {
    const page = await openSignedIn(browser, sluice, "Quality");
    const sampling = page.getByRole("form", { name: "Sampling" });
    await expect(sampling.locator(".warning")).toContainText("Sampling is off");
    await expect(page.getByRole("region", { name: "Agreement", exact: true })).toContainText("No verdicts in the last 30 days");
    await expect(page.getByRole("region", { name: "Threshold history" })).toContainText("No threshold has moved");
    await shots(page)("empty");
    await sampling.getByLabel("Judge model").fill("mock/judge-q");
    await sampling.getByRole("button", { name: "Save" }).click();
    await expect(sampling.locator(".warning")).toHaveCount(0);
    await page.close();
  } finally {
    await sluice.stop();
  }
});
