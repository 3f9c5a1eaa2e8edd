import { describe, expect, it } from "vitest";
import { caseFrom, EMPTY_DRAFT, problemOf, requestFor, type Draft } from "./playground";

const draft = (d: Partial<Draft>): Draft => ({ ...EMPTY_DRAFT, ...d });

describe("the Playground's prompt", () => {
  it("becomes a request with the conversation, variables and parameters", () => {
    const d = draft({
      system: "Answer in {{lang}}.",
      turns: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }, { role: "user", content: "Capital of {{country}}?" }],
      values: { lang: "French", country: "Peru" },
      temperature: "0.2",
      format: "schema",
      schema: '{"type": "object"}',
      tools: '[{"name": "lookup", "parameters": {"type": "object"}}]',
    });
    expect(problemOf(d, ["a/b"])).toBeNull();
    const { body, headers } = requestFor(d, "a/b");
    expect(body.messages).toEqual([
      { role: "system", content: "Answer in French." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
      { role: "user", content: "Capital of Peru?" },
    ]);
    expect(body.response_format).toEqual({ type: "json_schema", json_schema: { name: "answer", schema: { type: "object" } } });
    expect(body.tools).toEqual([{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }]);
    expect(headers).toEqual({ "x-sluice-tags": "playground", "Cache-Control": "no-store" });
    expect(caseFrom(d)).toMatchObject({ system: "Answer in {{lang}}.", vars: { lang: "French", country: "Peru" }, params: { temperature: 0.2 } });
  });

  it("says what to fix", () => {
    expect(problemOf(draft({}), ["a/b"])).toBe("Write a message to send.");
    expect(problemOf(draft({ turns: [{ role: "user", content: "x" }, { role: "assistant", content: "y" }] }), ["a/b"])).toBe("End the conversation with a user turn.");
    expect(problemOf(draft({ turns: [{ role: "user", content: "{{x}}" }] }), ["a/b"])).toBe("Give {{x}} a value.");
    expect(problemOf(draft({ turns: [{ role: "user", content: "x" }] }), [])).toBe("Add at least one target.");
    expect(problemOf(draft({ turns: [{ role: "user", content: "x" }], format: "schema", schema: "{" }), ["a/b"])).toBe("The JSON schema is not a JSON object.");
    expect(problemOf(draft({ turns: [{ role: "user", content: "x" }], tools: "{}" }), ["a/b"])).toBe("Tools must be a JSON array of tool objects.");
    expect(caseFrom(draft({ turns: [{ role: "user", content: "x" }] }))).toEqual({ prompt: "x" });
  });
});
