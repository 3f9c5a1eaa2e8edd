import { useEffect, useState } from "react";
import { useExplain, useRequestDetail, useRequests } from "../../api/hooks";
import type { Explanation, Rule } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { CLIENT_APIS } from "../../lib/rules";
import { formatUsd } from "../../lib/format";

const SAMPLE = JSON.stringify({ model: "auto", messages: [{ role: "user", content: "Write a haiku about routers." }] }, null, 2);

/** Paste a request or pick a logged one: which rule the edited (unsaved) rules pick, and why. */
export function TestBox({ rules }: { rules: Rule[] }) {
  const [text, setText] = useState(SAMPLE);
  const [api, setApi] = useState("openai-chat");
  const [userAgent, setUserAgent] = useState("");
  const [tags, setTags] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const explain = useExplain();
  const logged = useRequests({});
  const [pickedId, setPickedId] = useState<string | null>(null);
  const picked = useRequestDetail(pickedId);
  useEffect(() => {
    const d = picked.data;
    if (!d) return;
    setApi(d.client_api);
    // The body is kept only with `log.store_bodies`; otherwise start from its model and question.
    setText(d.request_body ?? JSON.stringify({ model: d.model_requested, messages: [{ role: "user", content: d.question ?? "…" }] }, null, 2));
  }, [picked.data]);

  const run = () => {
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      return setProblem("The request is not JSON. Paste a request body, e.g. the sample.");
    }
    setProblem(null);
    const headers: Record<string, string> = {};
    if (userAgent.trim()) headers["user-agent"] = userAgent.trim();
    if (tags.trim()) headers["x-sluice-tags"] = tags.trim();
    explain.mutate({ request, api, headers, rules });
  };

  return (
    <section className="card" aria-label="Test a request">
      <h2>Test a request</h2>
      <p className="muted small">Runs the rules as edited here, before saving: which rule matches, each condition's value, and what the targets would cost.</p>
      <div className="inline-form">
        <select aria-label="Client API" value={api} onChange={(e) => setApi(e.target.value)}>
          {CLIENT_APIS.map((a) => <option key={a}>{a}</option>)}
        </select>
        <select aria-label="Pick a logged request" value={pickedId ?? ""} onChange={(e) => setPickedId(e.target.value || null)}>
          <option value="">Pick a logged request…</option>
          {(logged.data ?? []).slice(0, 50).map((r) => (
            <option key={r.id} value={r.id}>
              {new Date(r.ts).toLocaleTimeString()} · {r.model_requested} · {r.rule}
            </option>
          ))}
        </select>
        <input aria-label="User-Agent" placeholder="User-Agent (optional)" value={userAgent} onChange={(e) => setUserAgent(e.target.value)} />
        <input aria-label="Tags header" placeholder="x-sluice-tags (optional)" value={tags} onChange={(e) => setTags(e.target.value)} />
      </div>
      <textarea aria-label="Request JSON" rows={7} className="mono" value={text} onChange={(e) => setText(e.target.value)} />
      <div className="row">
        <button onClick={run} disabled={explain.isPending}>
          {explain.isPending ? "Testing…" : "Test"}
        </button>
      </div>
      {problem && <div className="field-error" role="alert">{problem}</div>}
      <ErrorBox error={explain.error} title="Cannot test:" />
      {explain.data && <Verdict e={explain.data} />}
    </section>
  );
}

function Verdict({ e }: { e: Explanation }) {
  const d = e.difficulty;
  const intent = e.intent;
  return (
    <div className="verdict" data-testid="verdict">
      <p>
        Rule <strong data-testid="verdict-rule">{e.rule}</strong>
        {typeof d === "number" && <> · difficulty {d.toFixed(2)}</>}
        {d && typeof d === "object" && <span className="muted"> · difficulty unavailable: {d.unavailable}</span>}
        {intent && "name" in intent && <> · intent {intent.name} ({intent.similarity.toFixed(2)})</>} · ~{e.input_tokens} input tokens
      </p>
      {"refused" in e.outcome && (
        <div className="warning">
          Refused ({e.outcome.refused.status}): {e.outcome.refused.message}
        </div>
      )}
      {"targets" in e.outcome && (
        <ol className="targets">
          {e.outcome.targets.map((t) => (
            <li key={t.target}>
              <code>{t.target}</code> <span className={`badge ${t.health.state === "closed" ? "ok" : "warn"}`}>{t.health.state === "closed" ? "healthy" : t.health.state}</span>{" "}
              <span className="muted small">input ≈ {t.estimated_input_usd === null ? "price unknown" : formatUsd(t.estimated_input_usd)}</span>
            </li>
          ))}
        </ol>
      )}
      <details open>
        <summary>Conditions, rule by rule</summary>
        {e.rules.map((r) => (
          <div key={r.rule} className="trace">
            <strong>{r.rule}</strong> {r.matched ? <span className="badge ok">matched</span> : <span className="badge plain">{r.skipped ?? "no"}</span>}
            <ul>
              {r.checks.map((c, i) => (
                <li key={i} className={c.matched ? "ok-text" : "muted"}>
                  {c.matched ? "✓" : "✗"} {c.condition}: <code>{JSON.stringify(c.value)}</code>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </details>
    </div>
  );
}
