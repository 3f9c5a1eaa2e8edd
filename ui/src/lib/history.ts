// A suite's finished runs as chart rows: one per run, a pass rate and a cost per target.

import type { RunSummary } from "../api/types";

export interface HistoryRow {
  run: number;
  started_ms: number;
  [series: string]: number;
}

/** Rows for finished runs, oldest first, and every target that appears in any of them. */
export function historyRows(runs: RunSummary[]): { rows: HistoryRow[]; targets: string[] } {
  const targets: string[] = [];
  const rows = runs
    .filter((r) => r.state === "done" && r.totals)
    .map((r) => {
      const row: HistoryRow = { run: r.id, started_ms: r.started_ms };
      for (const t of r.totals!) {
        if (!targets.includes(t.target)) targets.push(t.target);
        row[`pass:${t.target}`] = Math.round(t.pass_rate * 1000) / 10;
        row[`cost:${t.target}`] = t.usd_per_1000;
      }
      return row;
    });
  return { rows, targets };
}
