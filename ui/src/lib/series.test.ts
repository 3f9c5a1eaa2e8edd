import { describe, expect, it } from "vitest";
import { fillDays, rangeStart, startOfDay } from "./series";

describe("rangeStart", () => {
  it("starts today at local midnight and 7/30 days include today", () => {
    const now = new Date(2026, 10, 28, 15, 30);
    expect(rangeStart("today", now)).toBe(new Date(2026, 10, 28).getTime());
    expect(rangeStart("7d", now)).toBe(new Date(2026, 10, 22).getTime());
    expect(rangeStart("30d", now)).toBe(new Date(2026, 9, 30).getTime());
  });
});

describe("fillDays", () => {
  it("gives every day a point, zero where nothing happened, and adds savings back for 'without'", () => {
    const now = new Date(2026, 10, 28, 12);
    const since = rangeStart("7d", now);
    const nov24 = startOfDay(new Date(2026, 10, 24));
    const points = fillDays([{ day: nov24, requests: 3, cost_usd: 0.5, saved_usd: 0.25 }], since, now);
    expect(points).toHaveLength(7);
    expect(points[0]).toEqual({ day: since, actual: 0, without: 0, requests: 0 });
    expect(points[2]).toEqual({ day: nov24, actual: 0.5, without: 0.75, requests: 3 });
    expect(points[6].day).toBe(startOfDay(now));
  });

  it("matches the server's days by local midnight", () => {
    const now = new Date(2026, 10, 28, 12);
    const today = startOfDay(now);
    // The server reports the start of the viewer's day; a value inside the day maps to it too.
    const points = fillDays([{ day: today + 1000, requests: 1, cost_usd: 1, saved_usd: 0 }], today, now);
    expect(points).toEqual([{ day: today, actual: 1, without: 1, requests: 1 }]);
  });
});
