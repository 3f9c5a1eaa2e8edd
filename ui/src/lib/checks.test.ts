import { describe as group, expect, it } from "vitest";
import { describe, fromRow, toRow } from "./checks";

group("suite checks in the editor", () => {
  it("round-trips every kind", () => {
    const checks = [{ contains: "Paris" }, { equals: "4" }, { regex: "^\\d+$" }, { valid_json: true }, { json_schema: { type: "object" } }, { max_latency_ms: 2000 }, { max_cost_usd: 0.01 }, { judge: { rubric: "polite", min_score: 0.5 } }, { judge: { rubric: "kind" } }];
    for (const c of checks) expect(fromRow(toRow(c))).toEqual(c);
  });

  it("says what to fix", () => {
    expect(fromRow({ kind: "json_schema", value: "{oops" })).toBe("The schema is not valid JSON.");
    expect(fromRow({ kind: "max_latency_ms", value: "-1" })).toBe("Give a number ≥ 0.");
    expect(fromRow({ kind: "judge", value: "x", minScore: "7" })).toBe("The passing score is 0–1.");
    expect(fromRow({ kind: "contains", value: "" })).toBe("Give the text to look for.");
  });

  it("describes briefly", () => {
    expect(describe({ judge: { rubric: "Polite, declines clearly, under sixty words" } })).toBe("judge rubric “Polite, declines clearly, unde…”");
    expect(describe({ valid_json: true })).toBe("is valid JSON");
  });
});
