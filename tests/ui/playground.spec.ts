// The Playground in Chromium against `sluice serve`: a prompt with a variable on two mock
// targets that stream at different speeds, both columns filling live; Stop mid-stream; a
// missing variable's value refused; re-running one column. Photographed at 900×600 and larger
// into screenshots/playground-*.png.

import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { MOCK_KEY, mockProvider, openSignedIn, startSluice, type Running } from "./sluice";

let sluice: Running;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(import.meta.dirname, "screenshots", `playground-${name}.png`), fullPage: true });
const column = (target: string) => page.getByRole("region", { name: `Answer from ${target}` });

async function addTarget(target: string) {
  await page.getByLabel("Add target").fill(target);
  await page.getByRole("button", { name: "Add target" }).click();
}

test.describe.serial("Playground", () => {
  test.beforeAll(async ({ browser }) => {
    sluice = await startSluice({
      model: false,
      env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY },
      config: mockProvider,
    });
    page = await openSignedIn(browser, sluice, "Playground");
  });

  test.afterAll(async () => {
    await page?.close();
    await sluice?.stop();
  });

  test("runs a prompt with a variable on two targets, both streaming live", async () => {
    await shot("empty");
    await page.getByLabel("Message").fill("Tell me about {{topic}} in three short words please");
    await addTarget("mock/delay-20-fast");
    await addTarget("mock/delay-250-slow");
    await page.getByRole("button", { name: "Run Ctrl+Enter" }).click();
    await expect(page.getByRole("alert")).toContainText("Give {{topic}} a value.");
    await page.getByLabel("Value of topic").fill("sluices");
    await page.getByLabel("Message").press("Control+Enter");
    await expect(column("mock/delay-20-fast")).toHaveAttribute("data-state", "done");
    // The slow one is still streaming, with part of its answer shown.
    await expect(column("mock/delay-250-slow")).toHaveAttribute("data-state", "streaming");
    await expect(column("mock/delay-250-slow").getByTestId("answer")).toContainText("Echo:");
    await column("mock/delay-250-slow").scrollIntoViewIfNeeded();
    await shot("streaming");
    await expect(column("mock/delay-20-fast").getByTestId("answer")).toHaveText("Echo: Tell me about sluices in three short words please");
    await expect(column("mock/delay-250-slow")).toHaveAttribute("data-state", "done", { timeout: 15_000 });
    await expect(column("mock/delay-20-fast")).toContainText("first token");
    await expect(column("mock/delay-20-fast")).toContainText("answered by mock/delay-20-fast");
    await column("mock/delay-20-fast").scrollIntoViewIfNeeded();
    await shot("done");
    // The request as sent, as curl, runs from a shell with the token in SLUICE_TOKEN.
    await column("mock/delay-20-fast").getByRole("button", { name: "As curl" }).click();
    const curl = await column("mock/delay-20-fast").locator("pre").textContent();
    expect(curl).not.toContain(sluice.token);
    await shot("curl");
    const out = execFileSync("bash", ["-c", curl!], { env: { ...process.env, SLUICE_TOKEN: sluice.token }, encoding: "utf8" });
    expect(out).toContain("data: ");
    expect(out).toContain("sluices");
  });

  test("stops every column mid-stream, and one column runs again", async () => {
    await page.getByRole("button", { name: "Remove target mock/delay-20-fast" }).click();
    await page.getByRole("button", { name: "Run Ctrl+Enter" }).click();
    const slow = column("mock/delay-250-slow");
    await expect(slow.getByTestId("answer")).toContainText("Echo:");
    await page.getByRole("button", { name: "Stop" }).click();
    await expect(slow).toHaveAttribute("data-state", "error");
    await expect(slow.getByRole("alert")).toContainText("Stopped.");
    const partial = await slow.getByTestId("answer").textContent();
    expect(partial).not.toBe("Echo: Tell me about sluices in three short words please");
    await slow.scrollIntoViewIfNeeded();
    await shot("stopped");
    await page.setViewportSize({ width: 900, height: 600 });
    await shot("small");
    await page.setViewportSize({ width: 1100, height: 720 });
    await slow.getByRole("button", { name: "Run mock/delay-250-slow again" }).click();
    await expect(slow).toHaveAttribute("data-state", "done", { timeout: 15_000 });
    const logged = await (await fetch(`${sluice.url}/api/requests?limit=10`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json();
    expect(logged.requests.every((r: { tags: string | null }) => r.tags === "playground")).toBe(true);
    expect(logged.requests.every((r: { cache: string }) => r.cache === "bypass")).toBe(true);
  });
});
