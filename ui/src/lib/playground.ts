// The Playground's prompt as the page holds it, and what it becomes: a request per target
// (as sent to Sluice), a reason it cannot be sent yet, or a suite case.

import type { CaseSpec, ChatTurn } from "../api/types";
import { fill, missingValue, variablesIn } from "./vars";

export type ResponseFormat = "text" | "json" | "schema";

export interface Draft {
  system: string;
  turns: ChatTurn[];
  values: Record<string, string>;
  temperature: string;
  maxTokens: string;
  format: ResponseFormat;
  /** A JSON schema, or `{name, schema}` as OpenAI's `json_schema` takes it. */
  schema: string;
  /** A JSON array of tools (OpenAI's shape; a bare function definition is wrapped). */
  tools: string;
  cache: boolean;
}

export const EMPTY_DRAFT: Draft = { system: "", turns: [{ role: "user", content: "" }], values: {}, temperature: "", maxTokens: "", format: "text", schema: "", tools: "", cache: false };

export function variablesOf(d: Draft): string[] {
  return variablesIn(d.system, ...d.turns.map((t) => t.content));
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The request fields besides model and messages; a string says what to fix. */
function params(d: Draft): Record<string, unknown> | string {
  const p: Record<string, unknown> = {};
  if (d.temperature.trim()) p.temperature = Number(d.temperature);
  if (d.maxTokens.trim()) p.max_tokens = Number(d.maxTokens);
  if (d.format === "json") p.response_format = { type: "json_object" };
  if (d.format === "schema") {
    const s = parse(d.schema) as Record<string, unknown> | undefined;
    if (!s || typeof s !== "object" || Array.isArray(s)) return "The JSON schema is not a JSON object.";
    p.response_format = { type: "json_schema", json_schema: "schema" in s && "name" in s ? s : { name: "answer", schema: s } };
  }
  if (d.tools.trim()) {
    const tools = parse(d.tools);
    if (!Array.isArray(tools) || tools.some((t) => !t || typeof t !== "object")) return "Tools must be a JSON array of tool objects.";
    p.tools = tools.map((t) => ("type" in t ? t : { type: "function", function: t }));
  }
  return p;
}

/** Why the draft cannot be sent to `targets` yet, or null. */
export function problemOf(d: Draft, targets: string[]): string | null {
  const missing = missingValue(variablesOf(d), d.values);
  const last = d.turns[d.turns.length - 1];
  if (!last || !last.content.trim()) return "Write a message to send.";
  if (last.role !== "user") return "End the conversation with a user turn.";
  if (d.turns.some((t) => !t.content.trim())) return "Every turn needs text (or remove it).";
  if (targets.length === 0) return "Add at least one target.";
  if (missing) return `Give {{${missing}}} a value.`;
  const p = params(d);
  return typeof p === "string" ? p : null;
}

/** The request for one target, as it is sent to Sluice (checked by `problemOf` first). */
export function requestFor(d: Draft, target: string): { body: Record<string, unknown>; headers: Record<string, string> } {
  const messages = [...(d.system.trim() ? [{ role: "system", content: fill(d.system, d.values) }] : []), ...d.turns.map((t) => ({ role: t.role, content: fill(t.content, d.values) }))];
  const p = params(d);
  const body: Record<string, unknown> = { model: target, messages, ...(typeof p === "string" ? {} : p) };
  const headers: Record<string, string> = { "x-sluice-tags": "playground", ...(d.cache ? {} : { "Cache-Control": "no-store" }) };
  return { body, headers };
}

/** The draft as a suite case: the templates with their variables, not filled in. */
export function caseFrom(d: Draft): CaseSpec {
  const names = variablesOf(d);
  const p = params(d);
  const single = d.turns.length === 1;
  return {
    ...(d.system.trim() ? { system: d.system } : {}),
    ...(single ? { prompt: d.turns[0].content } : { messages: d.turns }),
    ...(names.length ? { vars: Object.fromEntries(names.map((n) => [n, d.values[n] ?? ""])) } : {}),
    ...(typeof p !== "string" && Object.keys(p).length ? { params: p } : {}),
  };
}
