// Rules as the Routing page edits them: which condition kinds there are, checks the page runs
// before asking the server, where a server error points, and what share of traffic a
// difficulty threshold sends on.

import type { Rule, When } from "../api/types";

export type ConditionKind = Exclude<keyof When, "all" | "any" | "not"> | "group";

/** The kinds the "Add condition" menu offers, in the order rows show. */
export const CONDITION_KINDS: { kind: ConditionKind; label: string }[] = [
  { kind: "model", label: "Requested model" },
  { kind: "client_api", label: "Client API" },
  { kind: "client", label: "Client (User-Agent)" },
  { kind: "tags", label: "Tags (x-sluice-tags)" },
  { kind: "input_tokens", label: "Input tokens" },
  { kind: "tools", label: "Has tools" },
  { kind: "images", label: "Has images" },
  { kind: "json_schema", label: "Asks for a JSON schema" },
  { kind: "stream", label: "Streams" },
  { kind: "text", label: "Text match" },
  { kind: "difficulty", label: "Difficulty" },
  { kind: "intent", label: "Intent" },
  { kind: "time", label: "Time of day" },
  { kind: "budget", label: "Budget used" },
  { kind: "group", label: "Any of / none of (JSON)" },
];

export const CLIENT_APIS = ["openai-chat", "openai-responses", "anthropic-messages", "gemini"];

/** The condition kinds a `when` has set, in menu order. */
export function kindsOf(when: When): ConditionKind[] {
  return CONDITION_KINDS.map((k) => k.kind).filter((k) => (k === "group" ? !!(when.all?.length || when.any?.length || when.not) : when[k] !== undefined));
}

/** A new condition's starting value. */
export function blank(kind: ConditionKind): Partial<When> {
  switch (kind) {
    case "model":
      return { model: "*" };
    case "client_api":
      return { client_api: "openai-chat" };
    case "client":
      return { client: "*" };
    case "tags":
      return { tags: [] };
    case "input_tokens":
      return { input_tokens: { max: 2000 } };
    case "tools":
    case "images":
    case "json_schema":
    case "stream":
      return { [kind]: true };
    case "text":
      return { text: { contains: [] } };
    case "difficulty":
      return { difficulty: { min: 0.7 } };
    case "intent":
      return { intent: "" };
    case "time":
      return { time: { from: "09:00", to: "18:00" } };
    case "budget":
      return { budget: { name: "", max: 0.8 } };
    case "group":
      return { any: [] };
  }
}

export function without(when: When, kind: ConditionKind): When {
  const next = { ...when };
  if (kind === "group") {
    delete next.all;
    delete next.any;
    delete next.not;
  } else delete next[kind];
  return next;
}

/** Problems by field path inside the rule (`name`, `when.time.from`, `then.targets`). */
export type RuleProblems = Record<string, string>;

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function checkRange(r: { min?: number; max?: number } | undefined, field: string, out: RuleProblems, lo = 0, hi = Infinity) {
  if (!r) return;
  if (r.min === undefined && r.max === undefined) out[field] = "Give a minimum, a maximum or both.";
  else if ([r.min, r.max].some((v) => v !== undefined && (!Number.isFinite(v) || v < lo || v > hi))) out[field] = hi === Infinity ? `Use numbers ≥ ${lo}.` : `Use numbers between ${lo} and ${hi}.`;
  else if (r.min !== undefined && r.max !== undefined && r.min >= r.max) out[field] = "The minimum must be below the maximum (the maximum is exclusive), or this never matches.";
}

/** What the page can tell before the server does; the server checks everything again. */
export function checkRule(rule: Rule, others: string[], providers: string[]): RuleProblems {
  const out: RuleProblems = {};
  const name = rule.name.trim();
  if (!name) out.name = "Give the rule a name.";
  else if (others.includes(name)) out.name = `Another rule is called ${name}.`;
  else if (name === "default" || name.startsWith("route:")) out.name = "`default` and `route:…` are names Sluice uses itself.";
  const w = rule.when;
  if (w.model !== undefined && !w.model.trim()) out["when.model"] = "Give a model name or pattern, e.g. gpt-4* (or remove the condition).";
  if (w.client !== undefined && !w.client.trim()) out["when.client"] = "Give a User-Agent pattern, e.g. aider/* (or remove the condition).";
  if (w.tags !== undefined && w.tags.length === 0) out["when.tags"] = "List at least one tag.";
  checkRange(w.input_tokens, "when.input_tokens", out);
  checkRange(w.difficulty, "when.difficulty", out, 0, 1);
  if (w.text && !(w.text.contains?.length || w.text.regex)) out["when.text"] = "Give words to look for, a regular expression, or both.";
  if (w.intent !== undefined && !w.intent) out["when.intent"] = "Pick an intent class.";
  if (w.time) {
    if (!TIME.test(w.time.from)) out["when.time.from"] = "Write a 24-hour time like 09:30.";
    else if (!TIME.test(w.time.to)) out["when.time.to"] = "Write a 24-hour time like 18:00.";
    else if (w.time.from === w.time.to) out["when.time"] = "From and to are the same, so this never matches.";
  }
  if (w.budget) {
    if (!w.budget.name) out["when.budget.name"] = "Pick a budget.";
    else checkRange({ min: w.budget.min, max: w.budget.max }, "when.budget", out);
  }
  const t = rule.then;
  if (t.reject !== undefined && t.targets?.length) out["then.reject"] = "A rule either refuses requests or routes them: clear the targets or the refusal.";
  if (t.reject !== undefined && !t.reject.trim()) out["then.reject"] = "Say why requests are refused; clients show this message.";
  const unknown = (t.targets ?? []).find((x) => !providers.includes(x.split("/")[0]) || !/^[^/]+\/.+/.test(x));
  if (unknown) out["then.targets"] = `${unknown} is not "provider/model" with a configured provider.`;
  if (t.max_tokens !== undefined && !(Number.isInteger(t.max_tokens) && t.max_tokens >= 1)) out["then.max_tokens"] = "Use a whole number of at least 1.";
  if (t.temperature !== undefined && !(t.temperature >= 0 && t.temperature <= 2)) out["then.temperature"] = "Use a temperature between 0 and 2.";
  if (t.compress?.ratio !== undefined && !(t.compress.ratio > 0 && t.compress.ratio <= 1)) out["then.compress.ratio"] = "Keep between 1 and 100 % of the tokens.";
  return out;
}

/** Where a server error about rules points: `config.rules[2].when.text.regex` → rule 2, `when.text.regex`. */
export function ruleErrorAt(param: string | null): { index: number; field: string } | null {
  const m = /^(?:config\.)?rules\[(\d+)\]\.?(.*)$/.exec(param ?? "");
  return m ? { index: Number(m[1]), field: m[2] } : null;
}

/**
 * The share of requests a `difficulty ≥ threshold` condition passes: from recent requests'
 * scores when there are enough, else from the score's meaning (a percentile of typical
 * prompts, so ≥ 0.7 is about 30 %).
 */
export function shareAtOrAbove(threshold: number, recent: number[]): number {
  if (recent.length >= 20) return recent.filter((d) => d >= threshold).length / recent.length;
  return Math.max(0, Math.min(1, 1 - threshold));
}

/** Moves the item at `from` to `to`, shifting the rest. */
export function move<T>(list: T[], from: number, to: number): T[] {
  const next = [...list];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item);
  return next;
}
