import { describe, expect, it } from "vitest";
import type { Rule } from "../api/types";
import { checkRule, kindsOf, move, ruleErrorAt, shareAtOrAbove, without } from "./rules";

const rule = (r: Partial<Rule>): Rule => ({ name: "r", when: {}, then: {}, ...r });

describe("rules", () => {
  it("finds the problems a person can fix before saving", () => {
    expect(checkRule(rule({ name: "" }), [], [])).toEqual({ name: "Give the rule a name." });
    expect(checkRule(rule({ name: "a" }), ["a"], [])).toHaveProperty("name");
    const p = checkRule(rule({ when: { input_tokens: { min: 10, max: 5 }, difficulty: { min: 1.5 }, time: { from: "25:00", to: "06:00" } }, then: { targets: ["nope/x"], reject: "no" } }), [], ["openai"]);
    expect(Object.keys(p).sort()).toEqual(["then.reject", "then.targets", "when.difficulty", "when.input_tokens", "when.time.from"]);
    expect(checkRule(rule({ when: { model: "gpt-4*", difficulty: { min: 0.7 } }, then: { targets: ["openai/gpt-4.1"] } }), [], ["openai"])).toEqual({});
  });

  it("points server errors at a rule and a field", () => {
    expect(ruleErrorAt("config.rules[2].when.text.regex")).toEqual({ index: 2, field: "when.text.regex" });
    expect(ruleErrorAt("rules[0].name")).toEqual({ index: 0, field: "name" });
    expect(ruleErrorAt("config.budgets[0].usd")).toBeNull();
  });

  it("estimates the share a threshold passes", () => {
    expect(shareAtOrAbove(0.7, [])).toBeCloseTo(0.3);
    const recent = Array.from({ length: 40 }, (_, i) => i / 40);
    expect(shareAtOrAbove(0.5, recent)).toBe(0.5);
    expect(shareAtOrAbove(0.9, recent)).toBe(0.1);
  });

  it("lists, removes and reorders", () => {
    expect(kindsOf({ difficulty: { min: 0.5 }, model: "a", any: [{ tools: true }] })).toEqual(["model", "difficulty", "group"]);
    expect(without({ model: "a", any: [] }, "group")).toEqual({ model: "a" });
    expect(move(["a", "b", "c"], 2, 0)).toEqual(["c", "a", "b"]);
  });
});
