import { describe, expect, it } from "vitest";
import { formatClientApi, formatMs, formatPercent, formatTimestamp, formatTokens, formatUsd } from "./format";

describe("formatUsd", () => {
  it("shows cents for ordinary amounts, with separators", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(1234.5)).toBe("$1,234.50");
    expect(formatUsd(0.01)).toBe("$0.01");
  });
  it("keeps two significant digits below a cent instead of rounding to $0.00", () => {
    expect(formatUsd(0.000085)).toBe("$0.000085");
    expect(formatUsd(0.0042)).toBe("$0.0042");
    expect(formatUsd(0.00123456)).toBe("$0.0012");
  });
  it("marks amounts too small to show, and missing ones", () => {
    expect(formatUsd(1e-9)).toBe("<$0.000001");
    expect(formatUsd(null)).toBe("—");
    expect(formatUsd(Number.NaN)).toBe("—");
  });
});

describe("formatTokens", () => {
  it("writes small counts in full and large ones compactly", () => {
    expect(formatTokens(44)).toBe("44");
    expect(formatTokens(99_999)).toBe("99,999");
    expect(formatTokens(1_234_567)).toBe("1.2M");
    expect(formatTokens(null)).toBe("—");
  });
});

describe("formatMs and formatPercent", () => {
  it("picks a unit a person reads at a glance", () => {
    expect(formatMs(0.22)).toBe("0.22 ms");
    expect(formatMs(41.6)).toBe("42 ms");
    expect(formatMs(1534)).toBe("1.53 s");
    expect(formatMs(null)).toBe("—");
  });
  it("has no percentage of nothing", () => {
    expect(formatPercent(1, 3)).toBe("33%");
    expect(formatPercent(1, 200)).toBe("0.5%");
    expect(formatPercent(0, 0)).toBe("—");
  });
});

describe("formatTimestamp", () => {
  it("shows only the time for today", () => {
    const now = new Date(2026, 10, 28, 15, 0).getTime();
    const today = formatTimestamp(new Date(2026, 10, 28, 9, 5, 7).getTime(), now);
    const earlier = formatTimestamp(new Date(2026, 10, 20, 9, 5, 7).getTime(), now);
    expect(today).toMatch(/05/);
    expect(today).not.toMatch(/Nov/);
    expect(earlier).toMatch(/Nov/);
  });
});

describe("formatClientApi", () => {
  it("names the API a request came in through, and passes unknown ones on", () => {
    expect(formatClientApi("anthropic-messages")).toBe("Anthropic");
    expect(formatClientApi("openai-responses")).toBe("OpenAI Responses");
    expect(formatClientApi("some-future-api")).toBe("some-future-api");
  });
});
