import { describe, expect, it } from "vitest";
import { agreementRows, formProblem, fromForm, toForm } from "./quality";

describe("agreementRows", () => {
  it("gives each rule's daily agreement in %, skipping days it has no verdict", () => {
    const { rows, rules } = agreementRows([
      { day: 2, rule: "cheap", agree: 3, disagree: 1 },
      { day: 1, rule: "cheap", agree: 1, disagree: 0 },
      { day: 1, rule: "default", agree: 0, disagree: 0 },
      { day: 2, rule: "default", agree: 2, disagree: 1 },
    ]);
    expect(rules).toEqual(["cheap", "default"]);
    expect(rows).toEqual([
      { day: 1, cheap: 100 },
      { day: 2, cheap: 75, default: 66.7 },
    ]);
  });
});

describe("the sampling form", () => {
  const config = { judge: "openai/gpt-4o", sample: 0.02, daily_cap_usd: 0.5, floor: 0.9, tune: true, threshold_min: 0.9, threshold_max: 0.99 };

  it("round-trips the config through percentages", () => {
    const form = toForm(config);
    expect(form.samplePercent).toBe("2");
    expect(fromForm(form)).toEqual(config);
    expect(fromForm({ ...form, judge: " " })).not.toHaveProperty("judge");
  });

  it("names the first field to fix", () => {
    const form = toForm(config);
    expect(formProblem(form)).toBeNull();
    expect(formProblem({ ...form, samplePercent: "150" })).toMatch(/^Sample/);
    expect(formProblem({ ...form, capUsd: "" })).toMatch(/^Daily cap/);
    expect(formProblem({ ...form, min: "0.99", max: "0.95" })).toMatch(/^Highest threshold/);
  });
});
