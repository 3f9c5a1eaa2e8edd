// The Cache page on a machine without the embedding model: it says why semantic caching waits,
// and its Download button fetches the model (from a loopback server laid out like Hugging
// Face, via SLUICE_MODEL_URL), showing progress until the model is ready.

import { expect, test } from "@playwright/test";
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { MODEL_DIR, startSluice, type Running } from "./sluice";

let sluice: Running;
let files: Server;

test.beforeAll(async () => {
  // Serves `<base>/resolve/<revision>/<file>` from the test model, slowly enough to see progress.
  files = createServer((req, res) => {
    const path = join(MODEL_DIR, (req.url ?? "").split("/").pop() ?? "");
    res.writeHead(200, { "Content-Length": statSync(path).size });
    const stream = createReadStream(path, { highWaterMark: 1 << 20 });
    stream.on("data", () => {
      stream.pause();
      setTimeout(() => stream.resume(), 20);
    });
    stream.pipe(res);
  });
  await new Promise<void>((ok) => files.listen(0, "127.0.0.1", ok));
  const port = (files.address() as { port: number }).port;
  sluice = await startSluice({ model: false, env: { SLUICE_MODEL_URL: `http://127.0.0.1:${port}/sentence-transformers/all-MiniLM-L6-v2` } });
});

test.afterAll(async () => {
  await sluice?.stop();
  files?.close();
});

test("downloads the missing embedding model from the Cache page", async ({ page }) => {
  const shot = (name: string) => page.screenshot({ path: join(import.meta.dirname, "screenshots", `${name}.png`), fullPage: true });
  await page.goto(sluice.url);
  await page.getByLabel("Token").fill(sluice.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Cache" }).click();
  await expect(page.getByText("Waiting for the model")).toBeVisible();
  await expect(page.getByText("only identical requests are answered")).toBeVisible();
  await shot("cache-model-missing");
  await page.getByRole("button", { name: "Download the model" }).click();
  await expect(page.getByRole("progressbar", { name: "Model download" })).toBeVisible();
  await shot("cache-model-downloading");
  await expect(page.getByText("Rephrased questions are answered from the cache")).toBeVisible({ timeout: 30_000 });
});
