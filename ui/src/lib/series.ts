// Shapes /api/usage for the dashboard: periods in the viewer's days, and a day-by-day series
// with no gaps (a day without requests is a zero, not a missing point the line skips over).

export type Range = "today" | "7d" | "30d";

export interface DayUsage {
  day: number;
  requests: number;
  cost_usd: number;
  saved_usd: number;
}

export interface ChartPoint {
  day: number;
  actual: number;
  without: number;
  requests: number;
}

const DAY_MS = 86_400_000;

/** Local midnight `daysBack` days before `now`'s day. */
export function startOfDay(now: Date, daysBack = 0): number {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysBack);
  return d.getTime();
}

export function rangeStart(range: Range, now: Date): number {
  return startOfDay(now, range === "today" ? 0 : range === "7d" ? 6 : 29);
}

/** Minutes east of UTC, as /api/usage takes it. */
export function tzOffsetMinutes(at: Date): number {
  return -at.getTimezoneOffset();
}

/** One point per day from `since` through `now`'s day; cost without Sluice = actual + saved. */
export function fillDays(days: DayUsage[], since: number, now: Date): ChartPoint[] {
  const byDay = new Map(days.map((d) => [startOfDay(new Date(d.day)), d]));
  const points: ChartPoint[] = [];
  const last = startOfDay(now);
  // Step by calendar day, not 24 h, so a daylight-saving change does not shift the buckets.
  for (let cursor = new Date(since); cursor.getTime() <= last; cursor = new Date(cursor.getFullYear(), cursor.getMonth(), cursor.getDate() + 1)) {
    const key = startOfDay(cursor);
    const d = byDay.get(key);
    points.push({ day: key, actual: d?.cost_usd ?? 0, without: (d?.cost_usd ?? 0) + (d?.saved_usd ?? 0), requests: d?.requests ?? 0 });
    if (points.length > 400) break;
  }
  return points;
}

export { DAY_MS };
