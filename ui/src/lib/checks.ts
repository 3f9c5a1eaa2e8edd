// Suite checks as the case editor shows them: a kind and one value typed as text, and back.

import type { CheckSpec } from "../api/types";

export const CHECK_KINDS = {
  contains: "contains",
  equals: "equals",
  regex: "matches regex",
  valid_json: "is valid JSON",
  json_schema: "matches JSON schema",
  max_latency_ms: "max latency (ms)",
  max_cost_usd: "max cost ($)",
  judge: "judge rubric",
} as const;

export type CheckKind = keyof typeof CHECK_KINDS;

/** A check as the editor holds it: `value` is the text typed (JSON for a schema). */
export interface CheckRow {
  kind: CheckKind;
  value: string;
  /** The judge's passing score, 0–1. */
  minScore?: string;
}

export function toRow(check: CheckSpec): CheckRow {
  const [kind, value] = Object.entries(check)[0] as [CheckKind, unknown];
  if (kind === "judge") {
    const j = value as { rubric: string; min_score?: number };
    return { kind, value: j.rubric, minScore: j.min_score === undefined ? "" : String(j.min_score) };
  }
  if (kind === "json_schema") return { kind, value: JSON.stringify(value, null, 2) };
  if (kind === "valid_json") return { kind, value: "" };
  return { kind, value: String(value) };
}

/** The check, or what to fix in the row. */
export function fromRow(row: CheckRow): CheckSpec | string {
  const v = row.value.trim();
  switch (row.kind) {
    case "valid_json":
      return { valid_json: true };
    case "json_schema":
      try {
        return { json_schema: JSON.parse(v) };
      } catch {
        return "The schema is not valid JSON.";
      }
    case "max_latency_ms":
    case "max_cost_usd": {
      const n = Number(v);
      if (!v || !Number.isFinite(n) || n < 0) return "Give a number ≥ 0.";
      return row.kind === "max_latency_ms" ? { max_latency_ms: Math.round(n) } : { max_cost_usd: n };
    }
    case "judge": {
      if (!v) return "Give the judge a rubric: what a good answer does.";
      const min = row.minScore?.trim();
      if (!min) return { judge: { rubric: row.value } };
      const n = Number(min);
      return n >= 0 && n <= 1 ? { judge: { rubric: row.value, min_score: n } } : "The passing score is 0–1.";
    }
    default:
      if (!row.value) return "Give the text to look for.";
      return { [row.kind]: row.value } as CheckSpec;
  }
}

/** A short description for lists. */
export function describe(check: CheckSpec): string {
  const row = toRow(check);
  const label = CHECK_KINDS[row.kind];
  if (row.kind === "valid_json" || row.kind === "json_schema") return label;
  const shown = row.value.length > 30 ? `${row.value.slice(0, 30)}…` : row.value;
  return `${label} ${row.kind === "judge" ? `“${shown}”` : shown}`;
}
