import { useState } from "react";
import { useRequestDetail } from "../../api/hooks";
import type { StreamUpdate } from "../../api/stream";
import { CacheBadge } from "../../components/Badges";
import { CodeBlock } from "../../components/CodeBlock";
import { formatMs, formatUsd } from "../../lib/format";

/** One target's answer as it streams in, with what it took. */
export function Column({ target, update, onRerun, busy, curl }: { target: string; update: StreamUpdate; onRerun: () => void; busy: boolean; curl: string }) {
  const [showCurl, setShowCurl] = useState(false);
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
      <button className="ghost small" onClick={() => setShowCurl(!showCurl)}>
        {showCurl ? "Hide curl" : "As curl"}
      </button>
      {showCurl && <CodeBlock code={curl} />}
    </section>
  );
}
