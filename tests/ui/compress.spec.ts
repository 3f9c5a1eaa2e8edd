// Compression in the UI: a request whose long system prompt was cut shows the tokens before and
// after, the saving and what was kept and dropped in its detail; the dashboard counts
// compression apart. Photographed into screenshots/compress-*.png.

import { expect, test } from "@playwright/test";
import { join } from "node:path";
import { MOCK_KEY, mockProvider, openSignedIn, startSluice } from "./sluice";

const TOPICS = ["lighthouse keeper polished the brass lamp", "apple orchard produced crisp fruit", "mountain observatory housed a telescope", "corner bakery baked rye loaves", "narrow gauge railway climbed to the quarry", "county library kept rare maps"];
const SYSTEM = TOPICS.map((t, i) => `# Part ${i + 1}\n\nThe ${t} every single day of the long year. Visitors came from far away to see how the ${t} in the old way. Records of it were kept in a ledger for ${i + 2} decades.`).join("\n\n");

test("a compressed request shows what was kept and dropped, and the dashboard counts it", async ({ browser }) => {
  const sluice = await startSluice({
    model: false,
    env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY },
    config: (url) => `${mockProvider(url)}\n[compress]\nretrieval = true\nratio = 0.2\nmin_tokens = 100\n\n[[prices]]\nmodel = "mock/m"\ninput = 3.0\noutput = 15.0\n`,
  });
  try {
    const r = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ model: "mock/m", messages: [{ role: "system", content: SYSTEM }, { role: "user", content: "For how many decades were records of the bakery kept?" }] }),
    });
    expect(r.status).toBe(200);
    const [, before, after] = r.headers.get("x-sluice-compressed")!.match(/tokens=(\d+)->(\d+)/)!;
    const page = await openSignedIn(browser, sluice, "Requests");
    await page.locator("table.requests tbody tr").first().click();
    const detail = page.getByRole("complementary", { name: "Request detail" });
    await expect(detail).toContainText(`${before} → ${after} tokens (retrieval)`);
    await detail.getByText(/kept, \d+ dropped/).click();
    await expect(detail.locator("ul.compressed li.ok-text").filter({ hasText: "bakery" }).first()).toBeVisible();
    await expect(detail.locator("ul.compressed li.muted").first()).toBeVisible();
    await page.screenshot({ path: join(import.meta.dirname, "screenshots", "compress-detail.png"), fullPage: true });
    await page.getByRole("link", { name: "Dashboard" }).click();
    const stat = page.locator(".stat").filter({ hasText: "Compression" });
    await expect(stat).toContainText(`${Number(before) - Number(after)} tokens not sent, in 1 calls`);
    await page.screenshot({ path: join(import.meta.dirname, "screenshots", "compress-dashboard.png"), fullPage: true });
    await page.close();
  } finally {
    await sluice.stop();
  }
});
