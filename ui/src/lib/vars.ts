// `{{variables}}` in Playground prompts, as prompt suites write them.

const VAR = /\{\{\s*([A-Za-z_][\w-]*)\s*\}\}/g;

/** The variable names in the texts, first appearance first. */
export function variablesIn(...texts: string[]): string[] {
  const names: string[] = [];
  for (const t of texts) for (const m of t.matchAll(VAR)) if (!names.includes(m[1])) names.push(m[1]);
  return names;
}

/** The text with every variable replaced by its value. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(VAR, (_, name: string) => values[name] ?? "");
}

/** The first variable without a value, if any. */
export function missingValue(names: string[], values: Record<string, string>): string | null {
  return names.find((n) => !(values[n] ?? "").trim()) ?? null;
}
