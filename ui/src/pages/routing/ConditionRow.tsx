import type { Range, When } from "../../api/types";
import { CLIENT_APIS, CONDITION_KINDS, type ConditionKind, type RuleProblems } from "../../lib/rules";
import { FieldError } from "./FieldError";

interface Props {
  kind: ConditionKind;
  when: When;
  onChange: (when: When) => void;
  onRemove: () => void;
  intents: string[];
  budgets: string[];
  problems: RuleProblems;
}

const num = (s: string) => (s.trim() === "" ? undefined : Number(s));
const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

function RangeFields({ value, onChange, step, label }: { value: Range; onChange: (r: Range) => void; step?: string; label: string }) {
  return (
    <>
      <input aria-label={`${label} from`} placeholder="from" type="number" step={step} value={value.min ?? ""} onChange={(e) => onChange({ ...value, min: num(e.target.value) })} />
      <span className="muted">to below</span>
      <input aria-label={`${label} to`} placeholder="to" type="number" step={step} value={value.max ?? ""} onChange={(e) => onChange({ ...value, max: num(e.target.value) })} />
    </>
  );
}

/** One condition of a rule: its label, its value's inputs, and remove. */
export function ConditionRow({ kind, when, onChange, onRemove, intents, budgets, problems }: Props) {
  const label = CONDITION_KINDS.find((k) => k.kind === kind)!.label;
  const set = (change: Partial<When>) => onChange({ ...when, ...change });
  const input = (() => {
    switch (kind) {
      case "model":
      case "client":
        return <input aria-label={label} value={when[kind] ?? ""} placeholder={kind === "model" ? "gpt-4* or auto" : "aider/*"} onChange={(e) => set({ [kind]: e.target.value })} />;
      case "client_api":
        return (
          <select aria-label={label} value={when.client_api} onChange={(e) => set({ client_api: e.target.value })}>
            {CLIENT_APIS.map((a) => <option key={a}>{a}</option>)}
          </select>
        );
      case "tags":
        return <input aria-label={label} value={(when.tags ?? []).join(", ")} placeholder="batch, nightly" onChange={(e) => set({ tags: list(e.target.value) })} />;
      case "input_tokens":
        return <RangeFields label={label} value={when.input_tokens ?? {}} onChange={(r) => set({ input_tokens: r })} />;
      case "difficulty":
        return <RangeFields label={label} step="0.05" value={when.difficulty ?? {}} onChange={(r) => set({ difficulty: r })} />;
      case "tools":
      case "images":
      case "json_schema":
      case "stream":
        return (
          <select aria-label={label} value={String(when[kind])} onChange={(e) => set({ [kind]: e.target.value === "true" })}>
            <option value="true">yes</option>
            <option value="false">no</option>
          </select>
        );
      case "text": {
        const t = when.text ?? {};
        return (
          <>
            <input aria-label="Text contains" placeholder="words, comma-separated" value={(t.contains ?? []).join(", ")} onChange={(e) => set({ text: { ...t, contains: list(e.target.value) } })} />
            <input aria-label="Text regex" placeholder="regular expression" value={t.regex ?? ""} onChange={(e) => set({ text: { ...t, regex: e.target.value || undefined } })} />
            <select aria-label="Text in" value={t.in ?? "user"} onChange={(e) => set({ text: { ...t, in: e.target.value as "user" } })}>
              <option value="user">last user message</option>
              <option value="system">system prompt</option>
              <option value="any">either</option>
            </select>
          </>
        );
      }
      case "intent":
        return (
          <select aria-label={label} value={when.intent} onChange={(e) => set({ intent: e.target.value })}>
            <option value="">pick a class…</option>
            {intents.map((i) => <option key={i}>{i}</option>)}
          </select>
        );
      case "time":
        return (
          <>
            <input aria-label="From time" placeholder="09:00" value={when.time?.from ?? ""} onChange={(e) => set({ time: { from: e.target.value, to: when.time?.to ?? "" } })} />
            <span className="muted">to</span>
            <input aria-label="To time" placeholder="18:00" value={when.time?.to ?? ""} onChange={(e) => set({ time: { from: when.time?.from ?? "", to: e.target.value } })} />
          </>
        );
      case "budget": {
        const b = when.budget ?? { name: "" };
        return (
          <>
            <select aria-label="Budget" value={b.name} onChange={(e) => set({ budget: { ...b, name: e.target.value } })}>
              <option value="">pick a budget…</option>
              {budgets.map((n) => <option key={n}>{n}</option>)}
            </select>
            <RangeFields label="Budget share" step="0.05" value={b} onChange={(r) => set({ budget: { name: b.name, ...r } })} />
          </>
        );
      }
      case "group":
        return <GroupJson when={when} onChange={onChange} />;
    }
  })();
  const field = kind === "group" ? "when.any" : `when.${kind}`;
  const nested = Object.keys(problems).filter((f) => f.startsWith(`${field}.`));
  return (
    <div className="condition" data-kind={kind}>
      <div className="inline-form">
        <span className="condition-label">{label}</span>
        {input}
        <button type="button" className="ghost" aria-label={`Remove ${label}`} onClick={onRemove}>
          ✕
        </button>
      </div>
      <FieldError problems={problems} field={field} />
      {nested.map((f) => <FieldError key={f} problems={problems} field={f} />)}
    </div>
  );
}

/** `any`, `all` and `not` edited as JSON: nesting is rare and a form for it would be large. */
function GroupJson({ when, onChange }: { when: When; onChange: (w: When) => void }) {
  const group = { any: when.any, all: when.all, not: when.not };
  return (
    <textarea
      aria-label="Condition groups (JSON)"
      rows={3}
      defaultValue={JSON.stringify(group)}
      onBlur={(e) => {
        try {
          const parsed = JSON.parse(e.target.value) as Pick<When, "any" | "all" | "not">;
          onChange({ ...when, any: parsed.any, all: parsed.all, not: parsed.not });
        } catch {
          e.target.setCustomValidity("This is not JSON, e.g. {\"any\": [{\"tools\": true}, {\"images\": true}]}");
          e.target.reportValidity();
        }
      }}
    />
  );
}
