import { useFeedback, useRequestDetail } from "../../api/hooks";
import { AddToSuite } from "../../components/AddToSuite";
import { CacheBadge, StatusBadge } from "../../components/Badges";
import { ErrorBox } from "../../components/ErrorBox";
import type { Compressed } from "../../api/types";
import { formatClientApi, formatMs, formatTimestamp, formatTokens, formatUsd } from "../../lib/format";

export function RequestDetailPanel({ id, onClose }: { id: string; onClose: () => void }) {
  const detail = useRequestDetail(id);
  const d = detail.data;
  return (
    <aside className="detail card" aria-label="Request detail">
      <header className="row between">
        <h2>Request</h2>
        <button className="ghost" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      <ErrorBox error={detail.error} />
      {d && (
        <>
          <dl className="facts">
            <dt>Id</dt>
            <dd><code>{d.id}</code></dd>
            <dt>Time</dt>
            <dd>{formatTimestamp(d.ts)}</dd>
            <dt>Asked for</dt>
            <dd>
              {d.model_requested} <span className="muted">through the {formatClientApi(d.client_api)} API</span>
            </dd>
            <dt>Answered by</dt>
            <dd>{d.provider ? `${d.provider}/${d.model}` : "—"}</dd>
            <dt>Rule</dt>
            <dd>
              <a href="#/routing">{d.rule}</a>
              {d.difficulty !== null && <span className="muted"> · difficulty {d.difficulty.toFixed(2)}</span>}
            </dd>
            {d.tags && (
              <>
                <dt>Tags</dt>
                <dd>{d.tags.split(",").join(", ")}</dd>
              </>
            )}
            {d.left_out && (
              <>
                <dt>Left out</dt>
                <dd title="Ways of working only the client's own API has; a target of another API answered without them">{d.left_out}</dd>
              </>
            )}
            {(d.compressed || d.compress_note) && (
              <>
                <dt>Compressed</dt>
                <dd>{d.compressed ? <Compression c={d.compressed} /> : <span className="muted">{d.compress_note}</span>}</dd>
              </>
            )}
            <dt>Result</dt>
            <dd>
              <StatusBadge status={d.status} /> <CacheBadge cache={d.cache} /> {d.stream && <span className="badge plain">streamed</span>}
            </dd>
            <dt>Latency</dt>
            <dd>{formatMs(d.latency_ms)}{d.ttft_ms != null && ` (first token ${formatMs(d.ttft_ms)})`}</dd>
            <dt>Tokens</dt>
            <dd>
              {formatTokens(d.prompt_tokens)} in, {formatTokens(d.completion_tokens)} out
              {d.cached_tokens ? `, ${formatTokens(d.cached_tokens)} cached by the provider` : ""}
              {d.cache_write_tokens ? `, ${formatTokens(d.cache_write_tokens)} written to its cache` : ""}
              {d.tokens_estimated && <span className="muted"> (estimated)</span>}
            </dd>
            <dt>Cost</dt>
            <dd>{formatUsd(d.cost_usd)}</dd>
            <dt>Saved</dt>
            <dd>{formatUsd(d.saved_usd)}</dd>
          </dl>
          {d.error && <div className="error">{d.error}</div>}
          {d.matched_question && (
            <>
              <h3>Matched</h3>
              <dl className="facts">
                <dt>Asked</dt>
                <dd>{d.question}</dd>
                <dt>Answered as</dt>
                <dd>{d.matched_question}</dd>
              </dl>
            </>
          )}
          <Verdict id={d.id} given={d.feedback?.verdict ?? null} fromCache={d.cache_entry !== null} />
          <h3>Route</h3>
          {d.attempts.length === 0 ? (
            <p className="muted small">{d.cache.startsWith("hit") ? "Answered from the cache; no upstream call." : "No upstream call was made."}</p>
          ) : (
            <ol className="attempts">
              {d.attempts.map((a, i) => (
                <li key={i}>
                  {a.provider}/{a.model}: {a.status ?? "no answer"} in {formatMs(a.latency_ms)}
                  {a.error && <div className="muted small">{a.error}</div>}
                </li>
              ))}
            </ol>
          )}
          <h3>Bodies</h3>
          {d.request_body || d.response_body ? (
            <>
              <Body title="Request" text={d.request_body} />
              <Body title="Response" text={d.response_body} />
              {d.request_body && (
                <>
                  <h3>Test it again</h3>
                  <AddToSuite from={{ request: d.id }} />
                </>
              )}
            </>
          ) : (
            <p className="muted small">Not kept. Turn on “Keep request and response bodies” in Settings to see them for new requests.</p>
          )}
        </>
      )}
    </aside>
  );
}

function Body({ title, text }: { title: string; text: string | null }) {
  if (!text) return null;
  let pretty = text;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Streamed responses are kept as SSE text; show them as they are.
  }
  return (
    <details>
      <summary>{title}</summary>
      <pre className="body">{pretty}</pre>
    </details>
  );
}

function Compression({ c }: { c: Compressed }) {
  return (
    <>
      {formatTokens(c.before)} → {formatTokens(c.after)} tokens ({c.levers.join(", ")})
      {c.usd && <span className="muted"> · {formatUsd(c.usd[0] - c.usd[1])} saved</span>}
      <details>
        <summary className="muted small">
          {c.kept.length} kept, {c.dropped.length} dropped{c.dropped.length === 40 ? "+" : ""}
        </summary>
        <ul className="compressed">
          {c.kept.map((k, i) => (
            <li key={`k${i}`} className="ok-text">
              kept: {k}
            </li>
          ))}
          {c.dropped.map((k, i) => (
            <li key={`d${i}`} className="muted">
              dropped: {k}
            </li>
          ))}
        </ul>
      </details>
    </>
  );
}

/** Says whether the answer was right; "wrong" on a cached answer takes it out of the cache. */
function Verdict({ id, given, fromCache }: { id: string; given: "good" | "bad" | null; fromCache: boolean }) {
  const feedback = useFeedback();
  const say = (verdict: "good" | "bad") => feedback.mutate({ id, verdict });
  const removed = feedback.data?.removed_cache_entry;
  return (
    <>
      <div className="row tight">
        <button className={`ghost small${given === "good" ? " active" : ""}`} aria-pressed={given === "good"} onClick={() => say("good")} disabled={feedback.isPending}>
          Right answer
        </button>
        <button className={`ghost small${given === "bad" ? " active" : ""}`} aria-pressed={given === "bad"} onClick={() => say("bad")} disabled={feedback.isPending}>
          Wrong answer
        </button>
        {removed ? (
          <span className="ok-text small" role="status">
            Removed from the cache and counted.
          </span>
        ) : (
          fromCache && given !== "bad" && <span className="muted small">“Wrong” removes the cached answer so the next ask goes upstream.</span>
        )}
      </div>
      <ErrorBox error={feedback.error} />
    </>
  );
}
