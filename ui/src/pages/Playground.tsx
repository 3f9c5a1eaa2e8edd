import { useRef, useState, type KeyboardEvent } from "react";
import { useSession } from "../api/hooks";
import { EMPTY, streamChat, type StreamUpdate } from "../api/stream";
import { AddToSuite } from "../components/AddToSuite";
import { caseFrom, EMPTY_DRAFT, problemOf, requestFor, variablesOf, type Draft } from "../lib/playground";
import { requestAs } from "../lib/snippets";
import { Column } from "./playground/Column";
import { Conversation } from "./playground/Conversation";
import { Diff } from "./playground/Diff";
import { Params } from "./playground/Params";
import { TargetsPicker } from "./routing/TargetsPicker";

const MAX_TARGETS = 6;

/** One prompt on up to six targets at once, each streaming into its own column. */
export function Playground() {
  const { origin, token } = useSession();
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [targets, setTargets] = useState<string[]>([]);
  const [answers, setAnswers] = useState<Record<string, StreamUpdate>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const running = useRef<Record<string, AbortController>>({});
  const change = (c: Partial<Draft>) => setDraft((d) => ({ ...d, ...c }));
  const names = variablesOf(draft);
  const busy = Object.values(answers).some((a) => !a.done);
  const shownOrigin = origin || window.location.origin;

  const runOne = (target: string) => {
    running.current[target]?.abort();
    const controller = new AbortController();
    running.current[target] = controller;
    const { body, headers } = requestFor(draft, target);
    setAnswers((a) => ({ ...a, [target]: { ...EMPTY } }));
    void streamChat(origin, token, body, headers, controller.signal, (u) => setAnswers((a) => ({ ...a, [target]: u })));
  };
  const run = () => {
    const issue = problemOf(draft, targets);
    setProblem(issue);
    if (!issue) targets.forEach(runOne);
  };
  const stop = () => Object.values(running.current).forEach((c) => c.abort());
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  };
  const shown = targets.filter((t) => answers[t]);
  const texts = Object.fromEntries(shown.filter((t) => answers[t].text).map((t) => [t, answers[t].text]));

  return (
    <>
      <section className="card" aria-label="Prompt">
        <label className="field">
          <span>System prompt</span>
          <textarea aria-label="System prompt" rows={2} value={draft.system} onChange={(e) => change({ system: e.target.value })} onKeyDown={onKey} />
        </label>
        <Conversation turns={draft.turns} onChange={(turns) => change({ turns })} onKey={onKey} />
        {names.length > 0 && (
          <div className="inline-form">
            {names.map((n) => (
              <label className="field" key={n}>
                <span>{`{{${n}}}`}</span>
                <input aria-label={`Value of ${n}`} value={draft.values[n] ?? ""} onChange={(e) => change({ values: { ...draft.values, [n]: e.target.value } })} onKeyDown={onKey} />
              </label>
            ))}
          </div>
        )}
        <Params draft={draft} onChange={change} />
        <span className="muted small">Targets (up to {MAX_TARGETS})</span>
        <TargetsPicker routes targets={targets} onChange={(t) => setTargets(t.slice(0, MAX_TARGETS))} />
        <div className="row">
          <button className="primary" onClick={run} disabled={busy}>
            Run <span className="muted small">Ctrl+Enter</span>
          </button>
          <button onClick={stop} disabled={!busy}>
            Stop
          </button>
          {problem && (
            <span className="field-error" role="alert">
              {problem}
            </span>
          )}
        </div>
        <details>
          <summary className="muted small">Save as a suite case</summary>
          <AddToSuite from={{ case: caseFrom(draft) }} />
        </details>
      </section>
      <div className="columns">
        {shown.map((t) => (
          <Column key={t} target={t} update={answers[t]} busy={busy} onRerun={() => runOne(t)} code={(f) => requestAs(f, shownOrigin, requestFor(draft, t).body, requestFor(draft, t).headers)} />
        ))}
      </div>
      {Object.keys(texts).length >= 2 && <Diff answers={texts} />}
    </>
  );
}
