// Measured, not asserted (docs/benchmarks.md), against release builds:
// - the Playground on six targets that stream 200 chunks/s each: how long after the click on
//   Run each request leaves the browser (Resource Timing), and the UI's longest frame meanwhile
//   (a requestAnimationFrame loop, and Long Animation Frame entries, which are frames > 50 ms);
// - a stored suite run started from the admin API: 1,000 cases × 3 targets on three providers at
//   4 calls at once each, wall time to done, and the most calls the mock saw at once per target.

import { expect, test } from "@playwright/test";
import { MOCK_KEY, mockProvider, openSignedIn, startSluice } from "../sluice";

const TARGETS = ["a", "b", "c", "d", "e", "f"].map((x) => `mock/delay-5-${x}`);
const providers = (mockUrl: string) =>
  mockProvider(mockUrl) + ["p1", "p2", "p3"].map((p) => `\n[[providers]]\nid = "${p}"\nbase_url = "${mockUrl}/v1"\napi_key_env = "SLUICE_TEST_MOCK_KEY"\n`).join("");

const row = (measure: string, value: string) => console.log(`| ${measure} | ${value} |`);

test("Playground: six streaming targets", async ({ browser }) => {
  const sluice = await startSluice({ model: false, env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY }, config: providers });
  try {
    const page = await openSignedIn(browser, sluice, "Playground");
    // 400 words echoed back: two seconds of streaming per column at 200 chunks/s.
    await page.getByLabel("Message").fill(Array.from({ length: 400 }, (_, i) => `word${i}`).join(" "));
    for (const t of TARGETS) {
      await page.getByLabel("Add target").fill(t);
      await page.getByRole("button", { name: "Add target" }).click();
    }
    await page.evaluate(() => {
      const w = window as unknown as { bench: { click: number; gaps: number[]; loaf: number[]; on: boolean } };
      w.bench = { click: 0, gaps: [], loaf: [], on: true };
      document.addEventListener("click", () => (w.bench.click = performance.now()), { capture: true });
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.bench.loaf.push(e.duration))).observe({ type: "long-animation-frame" });
      let last = performance.now();
      const tick = (now: number) => {
        w.bench.gaps.push(now - last);
        last = now;
        if (w.bench.on) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.getByRole("button", { name: "Run Ctrl+Enter" }).click();
    for (const t of TARGETS) await expect(page.getByRole("region", { name: `Answer from ${t}` })).toHaveAttribute("data-state", "done", { timeout: 60_000 });
    const m = await page.evaluate(() => {
      const w = window as unknown as { bench: { click: number; gaps: number[]; loaf: number[]; on: boolean } };
      w.bench.on = false;
      const sent = performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/v1/chat/completions") && e.startTime >= w.bench.click);
      const gaps = w.bench.gaps.slice(1).sort((a, b) => a - b);
      return { leave: sent.map((e) => e.startTime - w.bench.click), frames: gaps.length, maxGap: gaps[gaps.length - 1], p99: gaps[Math.floor(gaps.length * 0.99)], loaf: w.bench.loaf };
    });
    expect(m.leave).toHaveLength(TARGETS.length);
    row("Playground, 6 targets: click on Run to each request leaving the browser (first – last)", `${Math.min(...m.leave).toFixed(1)} – ${Math.max(...m.leave).toFixed(1)} ms`);
    row(`Playground, 6 columns streaming 200 chunks/s each: longest frame (p99) over ${m.frames} frames`, `${m.maxGap.toFixed(1)} ms (${m.p99.toFixed(1)} ms)`);
    row("… frames over 50 ms (Long Animation Frames)", `${m.loaf.length}${m.loaf.length ? ` (longest ${Math.max(...m.loaf).toFixed(0)} ms)` : ""}`);
    await page.close();
  } finally {
    await sluice.stop();
  }
});

test("a stored suite run: 1,000 cases × 3 targets", async () => {
  const sluice = await startSluice({ model: false, env: { SLUICE_TEST_MOCK_KEY: MOCK_KEY }, config: providers });
  try {
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${sluice.url}${path}`, { method, headers: { Authorization: `Bearer ${sluice.token}`, "Content-Type": "application/json" }, body: body && JSON.stringify(body) });
      expect(r.status).toBe(200);
      return r.json();
    };
    const cases = Array.from({ length: 1000 }, (_, i) => ({ id: `c${i}`, prompt: `question ${i}`, checks: [{ contains: `${i}` }, { regex: "^Echo" }, { max_latency_ms: 5000 }] }));
    const suite = await call("POST", "/api/suites", { name: "bench", cases });
    const targets = ["p1/fast-x", "p2/fast-y", "p3/fast-z"];
    const began = performance.now();
    const run = await call("POST", `/api/suites/${suite.id}/runs`, { targets, per_provider: 4 });
    let state = "running";
    while (state === "running") {
      await new Promise((ok) => setTimeout(ok, 50));
      state = (await call("GET", `/api/runs/${run.id}`)).state;
    }
    const wall = (performance.now() - began) / 1000;
    const done = await call("GET", `/api/runs/${run.id}`);
    expect(done.report.totals.map((t: { passed: number }) => t.passed)).toEqual([1000, 1000, 1000]);
    const inFlight = (await (await fetch(`${sluice.mockUrl}/_mock/stats`)).json()).max_in_flight;
    row("stored suite run, 1,000 cases × 3 targets, 4 at once per provider: start to done", `${wall.toFixed(2)} s`);
    row("… most calls at once the mock saw per target", targets.map((t) => `${t}: ${inFlight[t.split("/")[1]]}`).join(", "));
  } finally {
    await sluice.stop();
  }
});
