// The Playground in Chromium against `sluice serve`: a prompt with a variable on two mock
// targets that stream at different speeds, both columns filling live; the request copied as
// curl, Python and JavaScript and run with the official SDKs; a diff of two answers; a
// conversation with JSON mode; Stop mid-stream; a missing variable's value refused; re-running
// one column; the prompt saved as a suite case. Photographed at 900×600 and larger into
// screenshots/playground-*.png.

import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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
      config: (url) => `${mockProvider(url)}\n[[routes]]\nmodel = "quick"\ntargets = ["mock/delay-20-fast"]\n`,
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
    // The request as sent runs as copied, with the token in SLUICE_TOKEN: curl from a shell,
    // Python and JavaScript with the OpenAI SDKs.
    const fast = column("mock/delay-20-fast");
    const env = { ...process.env, SLUICE_TOKEN: sluice.token };
    const copied = async (format: string) => {
      await fast.getByRole("button", { name: format, exact: true }).click();
      const code = (await fast.locator("pre").textContent())!;
      expect(code).not.toContain(sluice.token);
      return code;
    };
    const curl = await copied("curl");
    await shot("curl");
    const out = execFileSync("bash", ["-c", curl], { env, encoding: "utf8" });
    expect(out).toContain("data: ");
    expect(out).toContain("sluices");
    const scratch = mkdtempSync(join(tmpdir(), "sluice-snippet-"));
    writeFileSync(join(scratch, "snippet.py"), await copied("Python"));
    const python = process.env.E2E_PYTHON ?? resolve(import.meta.dirname, "../../target/e2e-venv/bin/python");
    expect(execFileSync(python, [join(scratch, "snippet.py")], { env, encoding: "utf8" })).toBe("Echo: Tell me about sluices in three short words please\n");
    // An .mjs beside this spec, so `import "openai"` resolves to tests/ui/node_modules.
    const js = join(import.meta.dirname, "test-results", "snippet.mjs");
    writeFileSync(js, await copied("JS"));
    expect(execFileSync("node", [js], { env, encoding: "utf8" })).toBe("Echo: Tell me about sluices in three short words please\n");
  });

  test("diffs two answers, and sends a conversation in JSON mode", async () => {
    const diff = page.getByRole("region", { name: "Diff" });
    await expect(diff.getByTestId("diff")).toBeVisible();
    // The two echoes are the same text: nothing added or removed.
    await expect(diff.locator("ins, del")).toHaveCount(0);
    await page.getByRole("button", { name: "+ Add turn" }).click();
    await page.getByLabel("Turn 2", { exact: true }).fill("Sluices hold water.");
    await page.getByRole("button", { name: "+ Add turn" }).click();
    await page.getByLabel("Turn 3", { exact: true }).fill("And {{topic}} in winter?");
    await page.getByLabel("Answer format").selectOption("json");
    await page.getByRole("button", { name: "Run Ctrl+Enter" }).click();
    await expect(column("mock/delay-20-fast")).toHaveAttribute("data-state", "done");
    await expect(column("mock/delay-20-fast").getByTestId("answer")).toHaveText("Echo: And sluices in winter?");
    await expect(column("mock/delay-250-slow")).toHaveAttribute("data-state", "done", { timeout: 15_000 });
    const sent = (await (await fetch(`${sluice.mockUrl}/_mock/requests`)).json()).requests.at(-1).body;
    expect(sent.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(sent.response_format).toEqual({ type: "json_object" });
    // A different answer on one side shows as a word diff.
    await page.getByLabel("Turn 3", { exact: true }).fill("And {{topic}} in spring?");
    await column("mock/delay-20-fast").getByRole("button", { name: "Run mock/delay-20-fast again" }).click();
    await expect(column("mock/delay-20-fast").getByTestId("answer")).toHaveText("Echo: And sluices in spring?");
    await expect(diff.locator("del")).toHaveText("spring");
    await expect(diff.locator("ins")).toHaveText("winter");
    await diff.scrollIntoViewIfNeeded();
    await shot("diff");
    await page.getByRole("button", { name: "Remove turn 3" }).click();
    await page.getByRole("button", { name: "Remove turn 2" }).click();
    await page.getByLabel("Answer format").selectOption("text");
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

  test("saves the prompt as a case of a new suite", async () => {
    await page.getByText("Save as a suite case").click();
    await page.getByLabel("New suite name").fill("from playground");
    await page.getByRole("button", { name: "Add to suite" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Added as case" })).toBeVisible();
    const suites = await (await fetch(`${sluice.url}/api/suites`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json();
    const suite = await (await fetch(`${sluice.url}/api/suites/${suites.suites[0].id}`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json();
    expect(suite.cases).toEqual([{ id: "case-1", prompt: "Tell me about {{topic}} in three short words please", vars: { topic: "sluices" } }]);
  });

  test("offers routes by name as targets", async () => {
    await expect(page.locator("#target-models option[value='quick']")).toHaveText("route");
    await addTarget("quick");
    await expect(page.locator("ol.targets li").filter({ hasText: "quick" })).toContainText("route");
    await page.getByRole("button", { name: "Run Ctrl+Enter" }).click();
    await expect(column("quick")).toHaveAttribute("data-state", "done", { timeout: 15_000 });
    await expect(column("quick")).toContainText("answered by mock/delay-20-fast");
  });
});
