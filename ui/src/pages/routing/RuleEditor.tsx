import type { Rule, Then, When } from "../../api/types";
import { Switch } from "../../components/Switch";
import { blank, CONDITION_KINDS, kindsOf, without, type ConditionKind, type RuleProblems } from "../../lib/rules";
import { ConditionRow } from "./ConditionRow";
import { DifficultySlider } from "./DifficultySlider";
import { FieldError } from "./FieldError";
import { CompressPicker } from "./CompressPicker";
import { TargetsPicker } from "./TargetsPicker";

interface Props {
  rule: Rule;
  onChange: (rule: Rule) => void;
  problems: RuleProblems;
  intents: string[];
  budgets: string[];
}

const num = (s: string) => (s.trim() === "" ? undefined : Number(s));

/** One rule: its name, its conditions (all must hold) and what it does. */
export function RuleEditor({ rule, onChange, problems, intents, budgets }: Props) {
  const setWhen = (when: When) => onChange({ ...rule, when });
  const setThen = (change: Partial<Then>) => onChange({ ...rule, then: { ...rule.then, ...change } });
  const kinds = kindsOf(rule.when);
  const rejects = rule.then.reject !== undefined;
  return (
    <section className="card" aria-label={`Rule ${rule.name || "(new)"}`}>
      <div className="inline-form">
        <label className="field">
          <span>Name</span>
          <input aria-label="Rule name" value={rule.name} onChange={(e) => onChange({ ...rule, name: e.target.value })} />
        </label>
        <Switch label="Enabled" checked={rule.enabled !== false} onChange={(on) => onChange({ ...rule, enabled: on ? undefined : false })} />
      </div>
      <FieldError problems={problems} field="name" />

      <h3>When all of these hold</h3>
      {kinds.length === 0 && <p className="muted small">No conditions: this rule matches every request.</p>}
      {kinds.map((k) => (
        <ConditionRow key={k} kind={k} when={rule.when} onChange={setWhen} onRemove={() => setWhen(without(rule.when, k))} intents={intents} budgets={budgets} problems={problems} />
      ))}
      <FieldError problems={problems} field="when" />
      <select aria-label="Add condition" value="" onChange={(e) => e.target.value && setWhen({ ...rule.when, ...blank(e.target.value as ConditionKind) })}>
        <option value="">+ Add condition…</option>
        {CONDITION_KINDS.filter((k) => !kinds.includes(k.kind)).map((k) => (
          <option key={k.kind} value={k.kind}>
            {k.label}
          </option>
        ))}
      </select>
      {rule.when.difficulty?.min !== undefined && (
        <DifficultySlider threshold={rule.when.difficulty.min} targets={rule.then.targets ?? []} onChange={(min) => setWhen({ ...rule.when, difficulty: { ...rule.when.difficulty, min } })} />
      )}

      <h3>Then</h3>
      <Switch label="Refuse these requests" checked={rejects} onChange={(on) => setThen({ reject: on ? "" : undefined, targets: on ? undefined : rule.then.targets })} />
      {rejects ? (
        <label className="field">
          <span>Message the client sees</span>
          <input aria-label="Refusal message" value={rule.then.reject} onChange={(e) => setThen({ reject: e.target.value })} />
        </label>
      ) : (
        <>
          <span className="muted small">Targets, tried in order (none: the requested model as usual)</span>
          <TargetsPicker targets={rule.then.targets ?? []} onChange={(targets) => setThen({ targets: targets.length ? targets : undefined })} />
        </>
      )}
      <FieldError problems={problems} field="then.reject" />
      <FieldError problems={problems} field="then.targets" />
      {Object.keys(problems).filter((f) => f.startsWith("then.targets[")).map((f) => <FieldError key={f} problems={problems} field={f} />)}
      <div className="inline-form">
        <label className="field">
          <span>Cap max_tokens</span>
          <input aria-label="Cap max_tokens" type="number" value={rule.then.max_tokens ?? ""} onChange={(e) => setThen({ max_tokens: num(e.target.value) })} />
        </label>
        <label className="field">
          <span>Cap temperature</span>
          <input aria-label="Cap temperature" type="number" step="0.1" value={rule.then.temperature ?? ""} onChange={(e) => setThen({ temperature: num(e.target.value) })} />
        </label>
        <label className="field">
          <span>Cache</span>
          <select aria-label="Cache policy" value={rule.then.cache?.exact === false ? "off" : "on"} onChange={(e) => setThen({ cache: e.target.value === "off" ? { exact: false, semantic: false } : undefined })}>
            <option value="on">as in Settings</option>
            <option value="off">off</option>
          </select>
        </label>
        <CompressPicker value={rule.then.compress} onChange={(compress) => setThen({ compress })} />
        <label className="field">
          <span>Tags for the log</span>
          <input aria-label="Rule tags" value={(rule.then.tags ?? []).join(", ")} onChange={(e) => setThen({ tags: e.target.value.split(",").map((t) => t.trim()).filter(Boolean) })} />
        </label>
      </div>
      <FieldError problems={problems} field="then.max_tokens" />
      <FieldError problems={problems} field="then.temperature" />
      <FieldError problems={problems} field="then.compress.ratio" />
    </section>
  );
}
