// Feedback in the UI: thumbs down on an answer the cache gave takes it out of the cache (the
// next identical question asks the model again), and the verdict shows with the request.
// Photographed into screenshots/feedback-*.png.

import { expect, test } from "@playwright/test";
import { join } from "node:path";
import { MOCK_KEY, mockProvider, openSignedIn, startSluice } from "./sluice";

test("thumbs down on a cached answer takes it out of the cache", async ({ browser }) => {
  const sluice = await startSluice({ model: false, env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY }, config: mockProvider });
  const ask = () =>
    fetch(`${sluice.url}/v1/chat/completions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ model: "mock/m", messages: [{ role: "user", content: "Which is the tallest tree?" }] }),
    }).then((r) => r.headers.get("x-sluice-cache"));
  try {
    expect(await ask()).toBe("miss");
    expect(await ask()).toBe("hit-exact");
    const page = await openSignedIn(browser, sluice, "Requests");
    await page.locator("table.requests tbody tr").first().click();
    const detail = page.getByRole("complementary", { name: "Request detail" });
    await detail.getByRole("button", { name: "Wrong answer" }).click();
    await expect(detail.getByRole("status")).toHaveText("Removed from the cache and counted.");
    await expect(detail.getByRole("button", { name: "Wrong answer" })).toHaveAttribute("aria-pressed", "true");
    await page.screenshot({ path: join(import.meta.dirname, "screenshots", "feedback-wrong.png"), fullPage: true });
    expect(await ask()).toBe("miss");
    await page.close();
  } finally {
    await sluice.stop();
  }
});
