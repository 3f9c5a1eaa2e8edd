// A request log that cannot use its database: the proxy still answers, and every page says so
// above its title, with the gateway's reason (photographed into screenshots/log-degraded.png).

import { expect, test } from "@playwright/test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MOCK_KEY, mockProvider, openSignedIn, startSluice } from "./sluice";

test("a corrupt database: requests are answered and logged in memory, and every page says the log is degraded", async ({ browser }) => {
  const corrupt = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "sluice.db"), "this is not an SQLite database ".repeat(200));
  };
  const sluice = await startSluice({ model: false, env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY }, config: mockProvider, dataDir: corrupt });
  try {
    const answer = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ model: "mock/m", messages: [{ role: "user", content: "still answered" }] }),
    });
    expect(answer.status).toBe(200);
    const page = await openSignedIn(browser, sluice, "Dashboard");
    const banner = page.getByRole("alert", { name: "Request log" });
    await expect(banner).toContainText("The request log is degraded.");
    await expect(banner).toContainText("not a database");
    await expect(banner).toContainText("requests are still answered");
    await page.setViewportSize({ width: 1100, height: 720 });
    await page.screenshot({ path: join(import.meta.dirname, "screenshots", "log-degraded.png") });
    await page.getByRole("link", { name: "Requests" }).click();
    await expect(banner).toBeVisible();
    await expect(page.getByRole("cell", { name: "mock/m" }).first()).toBeVisible();
  } finally {
    await sluice.stop();
  }
});
