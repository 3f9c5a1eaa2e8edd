import { expect, it } from "vitest";
import type { RunSummary, TargetTotals } from "../api/types";
import { historyRows } from "./history";

const totals = (target: string, pass_rate: number, usd_per_1000: number) => ({ target, pass_rate, usd_per_1000 }) as TargetTotals;

it("keeps finished runs, one series per target", () => {
  const runs: RunSummary[] = [
    { id: 1, suite_id: 1, started_ms: 10, finished_ms: 20, state: "done", totals: [totals("a", 0.5, 2)] },
    { id: 2, suite_id: 1, started_ms: 30, finished_ms: null, state: "cancelled", totals: null },
    { id: 3, suite_id: 1, started_ms: 40, finished_ms: 50, state: "done", totals: [totals("a", 0.75, 2), totals("b", 1, 0.1)] },
  ];
  const { rows, targets } = historyRows(runs);
  expect(targets).toEqual(["a", "b"]);
  expect(rows).toEqual([
    { run: 1, started_ms: 10, "pass:a": 50, "cost:a": 2 },
    { run: 3, started_ms: 40, "pass:a": 75, "cost:a": 2, "pass:b": 100, "cost:b": 0.1 },
  ]);
});
