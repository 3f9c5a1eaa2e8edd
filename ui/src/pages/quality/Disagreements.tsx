import type { QualityVerdict } from "../../api/types";
import { formatTimestamp, formatUsd } from "../../lib/format";

const KINDS = { semantic: "semantic hit", cheaper: "cheaper target", compressed: "compressed prompt" } as const;

/** The latest answers the judge found worse than the reference's, side by side. */
export function Disagreements({ verdicts }: { verdicts: QualityVerdict[] }) {
  return (
    <section className="card" aria-label="Latest disagreements">
      <h2>Latest disagreements</h2>
      {verdicts.length === 0 && <p className="muted">None: every checked saving held up so far.</p>}
      {verdicts.map((v) => (
        <article className="disagreement" key={v.request_id} aria-label={`Disagreement on ${v.request_id}`}>
          <div className="facts-line small">
            <span className="badge warn">{KINDS[v.kind]}</span> {formatTimestamp(v.ts)} · rule <strong>{v.rule}</strong> · {v.target} against {v.reference}
            {v.similarity !== null && <> · similarity {v.similarity.toFixed(3)}</>} · check cost {formatUsd(v.cost_usd)} ·{" "}
            <a href={`#/requests/${v.request_id}`}>request</a>
          </div>
          <p className="question">{v.question}</p>
          <div className="side-by-side">
            <div>
              <div className="small muted">Answer given ({v.target})</div>
              <pre className="body">{v.answer}</pre>
            </div>
            <div>
              <div className="small muted">Reference ({v.reference})</div>
              <pre className="body">{v.reference_answer ?? "—"}</pre>
            </div>
          </div>
          <div className="small">
            <strong>Judge:</strong> {v.reason || "no reason given"}
          </div>
        </article>
      ))}
    </section>
  );
}
