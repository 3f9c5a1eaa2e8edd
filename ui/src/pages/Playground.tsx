import { useRef, useState, type KeyboardEvent } from "react";
import { useSession } from "../api/hooks";
import { EMPTY, streamChat, type StreamUpdate } from "../api/stream";
import { Switch } from "../components/Switch";
import { curlFor } from "../lib/snippets";
import { fill, missingValue, variablesIn } from "../lib/vars";
import { Column } from "./playground/Column";
import { TargetsPicker } from "./routing/TargetsPicker";

const MAX_TARGETS = 6;

/** One prompt on up to six targets at once, each streaming into its own column. */
export function Playground() {
  const { origin, token } = useSession();
  const [system, setSystem] = useState("");
  const [user, setUser] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [temperature, setTemperature] = useState("");
  const [maxTokens, setMaxTokens] = useState("");
  const [targets, setTargets] = useState<string[]>([]);
  const [cache, setCache] = useState(false);
  const [answers, setAnswers] = useState<Record<string, StreamUpdate>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const running = useRef<Record<string, AbortController>>({});
  const names = variablesIn(system, user);
  const busy = Object.values(answers).some((a) => !a.done);

  /** The request for one target, as it is sent to Sluice. */
  const request = (target: string) => {
    const messages = [...(system.trim() ? [{ role: "system", content: fill(system, values) }] : []), { role: "user", content: fill(user, values) }];
    const body: Record<string, unknown> = { model: target, messages };
    if (temperature.trim()) body.temperature = Number(temperature);
    if (maxTokens.trim()) body.max_tokens = Number(maxTokens);
    const headers: Record<string, string> = { "x-sluice-tags": "playground", ...(cache ? {} : { "Cache-Control": "no-store" }) };
    return { body, headers };
  };
  const runOne = (target: string) => {
    running.current[target]?.abort();
    const controller = new AbortController();
    running.current[target] = controller;
    const { body, headers } = request(target);
    setAnswers((a) => ({ ...a, [target]: { ...EMPTY } }));
    void streamChat(origin, token, body, headers, controller.signal, (u) => setAnswers((a) => ({ ...a, [target]: u })));
  };
  const run = () => {
    const missing = missingValue(names, values);
    const issue = !user.trim() ? "Write a message to send." : targets.length === 0 ? "Add at least one target." : missing ? `Give {{${missing}}} a value.` : null;
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

  return (
    <>
      <section className="card" aria-label="Prompt">
        <label className="field">
          <span>System prompt</span>
          <textarea aria-label="System prompt" rows={2} value={system} onChange={(e) => setSystem(e.target.value)} onKeyDown={onKey} />
        </label>
        <label className="field">
          <span>Message</span>
          <textarea aria-label="Message" rows={4} value={user} placeholder="Write {{variables}} to fill in below" onChange={(e) => setUser(e.target.value)} onKeyDown={onKey} />
        </label>
        {names.length > 0 && (
          <div className="inline-form">
            {names.map((n) => (
              <label className="field" key={n}>
                <span>{`{{${n}}}`}</span>
                <input aria-label={`Value of ${n}`} value={values[n] ?? ""} onChange={(e) => setValues({ ...values, [n]: e.target.value })} onKeyDown={onKey} />
              </label>
            ))}
          </div>
        )}
        <div className="inline-form">
          <label className="field">
            <span>Temperature</span>
            <input aria-label="Temperature" type="number" step="0.1" value={temperature} onChange={(e) => setTemperature(e.target.value)} />
          </label>
          <label className="field">
            <span>Max tokens</span>
            <input aria-label="Max tokens" type="number" value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} />
          </label>
          <Switch label="Use the cache" hint="Off: every run asks the model" checked={cache} onChange={setCache} />
        </div>
        <span className="muted small">Targets (up to {MAX_TARGETS})</span>
        <TargetsPicker targets={targets} onChange={(t) => setTargets(t.slice(0, MAX_TARGETS))} />
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
      </section>
      <div className="columns">
        {targets.filter((t) => answers[t]).map((t) => (
          <Column key={t} target={t} update={answers[t]} busy={busy} onRerun={() => runOne(t)} curl={curlFor(origin || window.location.origin, request(t).body, request(t).headers)} />
        ))}
      </div>
    </>
  );
}
