// Runs the real binaries for a browser test: a mock OpenAI upstream that demands a key, and
// `sluice serve` on its own data dir, using the session's keychain (the test runner starts a
// D-Bus session with gnome-keyring). Binaries come from SLUICE_BIN / MOCK_UPSTREAM_BIN, as in
// tests/e2e, else target/debug.

import { expect, type Browser, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
export const MOCK_KEY = "sk-ui-test-key-0123456789abcd";

function bin(env: string, name: string): string {
  return process.env[env] ?? join(ROOT, "target", "debug", name);
}

function started(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`no ${pattern} within 20 s:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        ok(m);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", (code) => fail(new Error(`exited with ${code}:\n${out}`)));
  });
}

export interface Running {
  url: string;
  token: string;
  dataDir: string;
  mockUrl: string;
  stop: () => Promise<void>;
}

/** The test copy of the embedding model, beside the checkout. */
export const MODEL_DIR = join(ROOT, "..", "shared", "models", "all-MiniLM-L6-v2");

/** `model: false` starts without the embedding model; `env` adds variables; `config` adds to
 * the config file, given the mock's URL; `dataDir` prepares the data dir before the start. */
export async function startSluice({ model = true, env = {}, config: extra, dataDir: prepare }: { model?: boolean; env?: Record<string, string>; config?: (mockUrl: string) => string; dataDir?: (dir: string) => void } = {}): Promise<Running> {
  const mock = spawn(bin("MOCK_UPSTREAM_BIN", "mock-upstream"), ["--key", MOCK_KEY], { stdio: ["ignore", "pipe", "pipe"] });
  const mockUrl = (await started(mock, /listening on (http:\/\/\S+)/))[1];
  const dir = mkdtempSync(join(tmpdir(), "sluice-ui-"));
  const dataDir = join(dir, "data");
  prepare?.(dataDir);
  const config = join(dir, "config.toml");
  // Prices for the mock's model, so cost and savings are more than zero.
  writeFileSync(config, `[server]\nlisten = "127.0.0.1:0"\n\n[[prices]]\nmodel = "mock-model"\ninput = 2.5\noutput = 10.0\n${extra?.(mockUrl) ?? ""}`);
  const token = `ui-test-${Date.now()}`;
  const sluice = spawn(bin("SLUICE_BIN", "sluice"), ["serve"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SLUICE_CONFIG: config, SLUICE_DATA_DIR: dataDir, SLUICE_TOKEN: token, SLUICE_LOG: "warn", ...(model ? { SLUICE_EMBED_MODEL_DIR: MODEL_DIR } : {}), ...env },
  });
  const url = (await started(sluice, /listening on (http:\/\/\S+)/))[1];
  const stop = async () => {
    for (const child of [sluice, mock]) {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.on("exit", ok));
        child.kill("SIGTERM");
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, token, dataDir, mockUrl, stop };
}

/** Waits until the embedding model has loaded (it loads in the background after start). */
export async function modelReady(sluice: Running) {
  await expect
    .poll(async () => (await (await fetch(`${sluice.url}/api/cache/status`, { headers: { Authorization: `Bearer ${sluice.token}` } })).json()).model.state, { timeout: 60_000 })
    .toBe("ready");
}

/** The mock as provider `mock` (its key from SLUICE_TEST_MOCK_KEY), for `config`. */
export const mockProvider = (mockUrl: string) => `\n[[providers]]\nid = "mock"\nbase_url = "${mockUrl}/v1"\napi_key_env = "SLUICE_TEST_MOCK_KEY"\n`;

/** A new page, signed in with the token, on the section whose link is `section`. */
export async function openSignedIn(browser: Browser, sluice: Running, section: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(sluice.url);
  await page.getByLabel("Token").fill(sluice.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: section }).click();
  await expect(page.getByRole("heading", { name: section })).toBeVisible();
  return page;
}
