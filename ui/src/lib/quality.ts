// The Quality page's figures: agreement day by day as chart rows, and the sampling settings
// as a form (percentages and dollars as typed) checked the way the server checks them.

import type { QualityConfig, QualityOverview } from "../api/types";

export interface AgreementRow {
  day: number;
  [rule: string]: number;
}

/** One row per day, each rule's agreement in % (days without its verdicts left out). */
export function agreementRows(series: QualityOverview["series"]): { rows: AgreementRow[]; rules: string[] } {
  const rules: string[] = [];
  const byDay = new Map<number, AgreementRow>();
  for (const s of series) {
    if (!rules.includes(s.rule)) rules.push(s.rule);
    const judged = s.agree + s.disagree;
    if (judged === 0) continue;
    const row = byDay.get(s.day) ?? { day: s.day };
    row[s.rule] = Math.round((s.agree / judged) * 1000) / 10;
    byDay.set(s.day, row);
  }
  return { rows: [...byDay.values()].sort((a, b) => a.day - b.day), rules };
}

export interface QualityForm {
  judge: string;
  samplePercent: string;
  capUsd: string;
  floorPercent: string;
  tune: boolean;
  min: string;
  max: string;
}

export function toForm(c: QualityConfig): QualityForm {
  return {
    judge: c.judge ?? "",
    samplePercent: String(round(c.sample * 100)),
    capUsd: String(c.daily_cap_usd),
    floorPercent: String(round(c.floor * 100)),
    tune: c.tune,
    min: String(c.threshold_min),
    max: String(c.threshold_max),
  };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** The first thing to fix, in the form's words, or null. */
export function formProblem(f: QualityForm): string | null {
  const num = (s: string) => (s.trim() === "" ? NaN : Number(s));
  const sample = num(f.samplePercent);
  if (!(sample >= 0 && sample <= 100)) return "Sample: a share from 0 to 100 %.";
  const cap = num(f.capUsd);
  if (!(cap >= 0)) return "Daily cap: an amount in USD, 0 or more.";
  const floor = num(f.floorPercent);
  if (!(floor >= 0 && floor <= 100)) return "Alert floor: an agreement from 0 to 100 %.";
  const [min, max] = [num(f.min), num(f.max)];
  if (!(min >= 0.5 && min <= 1)) return "Lowest threshold: a similarity from 0.5 to 1.";
  if (!(max >= 0.5 && max <= 1) || max < min) return "Highest threshold: a similarity from 0.5 to 1, at least the lowest.";
  return null;
}

export function fromForm(f: QualityForm): QualityConfig {
  const judge = f.judge.trim();
  return {
    ...(judge ? { judge } : {}),
    sample: round(Number(f.samplePercent) / 100),
    daily_cap_usd: Number(f.capUsd),
    floor: round(Number(f.floorPercent) / 100),
    tune: f.tune,
    threshold_min: Number(f.min),
    threshold_max: Number(f.max),
  };
}
