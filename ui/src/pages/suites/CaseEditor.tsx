import { useState } from "react";
import type { CaseSpec, ChatTurn } from "../../api/types";
import { CHECK_KINDS, fromRow, toRow, type CheckKind, type CheckRow } from "../../lib/checks";

/** JSON typed in a textarea: the object, or what is wrong with it. */
function parseObject(text: string, what: string): Record<string, unknown> | string {
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? v : `${what} must be a JSON object.`;
  } catch {
    return `${what} is not valid JSON.`;
  }
}

const json = (v: unknown) => (v && Object.keys(v).length ? JSON.stringify(v, null, 2) : "");

/** One case: its prompt (or conversation), variables, parameters and checks. */
export function CaseEditor({ initial, onSave, onCancel, serverError }: { initial: CaseSpec; onSave: (c: CaseSpec) => void; onCancel: () => void; serverError: string | null }) {
  const [id, setId] = useState(initial.id ?? "");
  const [system, setSystem] = useState(initial.system ?? "");
  const [turns, setTurns] = useState<ChatTurn[]>(initial.messages ?? [{ role: "user", content: initial.prompt ?? "" }]);
  const [vars, setVars] = useState(json(initial.vars));
  const [params, setParams] = useState(json(initial.params));
  const [checks, setChecks] = useState<CheckRow[]>((initial.checks ?? []).map(toRow));
  const [problem, setProblem] = useState<string | null>(null);

  const setTurn = (i: number, t: ChatTurn) => setTurns(turns.map((x, j) => (j === i ? t : x)));
  const setCheck = (i: number, c: CheckRow) => setChecks(checks.map((x, j) => (j === i ? c : x)));
  const save = () => {
    const v = parseObject(vars, "Variables");
    const p = parseObject(params, "Parameters");
    const built = checks.map(fromRow);
    const bad = built.findIndex((c) => typeof c === "string");
    const issue = !id.trim() ? "Give the case an id." : typeof v === "string" ? v : typeof p === "string" ? p : bad >= 0 ? `Check ${bad + 1}: ${built[bad]}` : turns.some((t) => !t.content.trim()) ? "Every turn needs text." : null;
    setProblem(issue);
    if (issue || typeof v === "string" || typeof p === "string") return;
    const single = turns.length === 1 && turns[0].role === "user";
    onSave({
      id: id.trim(),
      ...(system.trim() ? { system } : {}),
      ...(single ? { prompt: turns[0].content } : { messages: turns }),
      ...(Object.keys(v).length ? { vars: v } : {}),
      ...(Object.keys(p).length ? { params: p } : {}),
      ...(built.length ? { checks: built as Exclude<(typeof built)[number], string>[] } : {}),
    });
  };

  return (
    <section className="card case-editor" aria-label={`Case ${initial.id ?? "new"}`}>
      <label className="field">
        <span>Id</span>
        <input aria-label="Case id" value={id} onChange={(e) => setId(e.target.value)} />
      </label>
      <label className="field">
        <span>System prompt</span>
        <textarea aria-label="Case system prompt" rows={2} value={system} onChange={(e) => setSystem(e.target.value)} />
      </label>
      {turns.map((t, i) => (
        <div className="field" key={i}>
          <div className="row between">
            <select aria-label={`Turn ${i + 1} role`} value={t.role} onChange={(e) => setTurn(i, { ...t, role: e.target.value as ChatTurn["role"] })}>
              <option value="user">user</option>
              <option value="assistant">assistant</option>
            </select>
            {turns.length > 1 && (
              <button className="ghost" aria-label={`Remove turn ${i + 1}`} onClick={() => setTurns(turns.filter((_, j) => j !== i))}>
                ✕
              </button>
            )}
          </div>
          <textarea aria-label={`Turn ${i + 1}`} rows={3} value={t.content} onChange={(e) => setTurn(i, { ...t, content: e.target.value })} />
        </div>
      ))}
      <button className="ghost small" onClick={() => setTurns([...turns, { role: turns[turns.length - 1]?.role === "user" ? "assistant" : "user", content: "" }])}>
        + Add turn
      </button>
      <div className="inline-form">
        <label className="field grow">
          <span>Variables (JSON)</span>
          <textarea aria-label="Variables" rows={2} placeholder='{"country": "France"}' value={vars} onChange={(e) => setVars(e.target.value)} />
        </label>
        <label className="field grow">
          <span>Parameters (JSON)</span>
          <textarea aria-label="Parameters" rows={2} placeholder='{"temperature": 0}' value={params} onChange={(e) => setParams(e.target.value)} />
        </label>
      </div>
      <span className="muted small">Checks</span>
      {checks.map((c, i) => (
        <div className="inline-form check-row" key={i}>
          <select aria-label={`Check ${i + 1} kind`} value={c.kind} onChange={(e) => setCheck(i, { kind: e.target.value as CheckKind, value: "" })}>
            {Object.entries(CHECK_KINDS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
          {c.kind === "json_schema" ? (
            <textarea aria-label={`Check ${i + 1} value`} rows={3} value={c.value} onChange={(e) => setCheck(i, { ...c, value: e.target.value })} />
          ) : c.kind !== "valid_json" ? (
            <input aria-label={`Check ${i + 1} value`} value={c.value} onChange={(e) => setCheck(i, { ...c, value: e.target.value })} />
          ) : null}
          {c.kind === "judge" && <input aria-label={`Check ${i + 1} passing score`} placeholder="0.7" className="narrow" value={c.minScore ?? ""} onChange={(e) => setCheck(i, { ...c, minScore: e.target.value })} />}
          <button className="ghost" aria-label={`Remove check ${i + 1}`} onClick={() => setChecks(checks.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button className="ghost small" onClick={() => setChecks([...checks, { kind: "contains", value: "" }])}>
        + Add check
      </button>
      {(problem ?? serverError) && (
        <div className="field-error" role="alert">
          {problem ?? serverError}
        </div>
      )}
      <div className="row">
        <button className="primary" onClick={save}>
          Save case
        </button>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </section>
  );
}
