import { useState } from "react";
import { useRequestDetail } from "../../api/hooks";
import type { StreamUpdate } from "../../api/stream";
import { CacheBadge } from "../../components/Badges";
import { CodeBlock } from "../../components/CodeBlock";
import { formatMs, formatUsd } from "../../lib/format";
import type { RequestFormat } from "../../lib/snippets";

const FORMATS: Record<RequestFormat, string> = { curl: "curl", python: "Python", js: "JS" };

/** One target's answer as it streams in, with what it took. */
export function Column({ target, update, onRerun, busy, code }: { target: string; update: StreamUpdate; onRerun: () => void; busy: boolean; code: (f: RequestFormat) => string }) {
  const [shown, setShown] = useState<RequestFormat | null>(null);
  // The cost is known once the request is logged, which happens before the stream ends.
  const detail = useRequestDetail(update.done ? update.requestId : null);
  const running = !update.done && !update.error && (update.text !== "" || update.requestId !== null || busy);
  return (
    <section className="card column" aria-label={`Answer from ${target}`} data-state={update.done ? (update.error ? "error" : "done") : running ? "streaming" : "idle"}>
      <header className="row between">
        <strong className="ellipsis">{target}</strong>
        <button className="ghost" onClick={onRerun} disabled={running} aria-label={`Run ${target} again`}>
          ↻
        </button>
      </header>
      <div className="muted small facts-line">
        {update.cache && <CacheBadge cache={update.cache} />} first token {formatMs(update.ttftMs)} · total {formatMs(update.totalMs)} · {update.promptTokens ?? "—"} in / {update.completionTokens ?? "—"} out ·{" "}
        {detail.data ? formatUsd(detail.data.cost_usd ?? 0) : "—"}
        {update.model && update.provider && <span> · answered by {update.provider}/{update.model}</span>}
      </div>
      {update.error && <div className="error" role="alert">{update.error}</div>}
      <div className="answer" data-testid="answer">{update.text || (running ? "…" : "")}</div>
      <div className="row tight">
        <span className="muted small">Copy as</span>
        {(Object.keys(FORMATS) as RequestFormat[]).map((f) => (
          <button key={f} className={`ghost small${shown === f ? " active" : ""}`} aria-pressed={shown === f} onClick={() => setShown(shown === f ? null : f)}>
            {FORMATS[f]}
          </button>
        ))}
      </div>
      {shown && <CodeBlock code={code(shown)} />}
    </section>
  );
}
