import type { CaseResult } from "../../api/types";
import { formatMs, formatUsd } from "../../lib/format";

/** Case × target: pass or fail, judge score, cost and latency; a cell opens its answer. */
export function ResultsGrid({ results, targets, open, onOpen }: { results: CaseResult[]; targets: string[]; open: CaseResult | null; onOpen: (r: CaseResult) => void }) {
  const cases = [...new Set(results.map((r) => r.case))];
  const at = new Map(results.map((r) => [`${r.case}\u0000${r.target}`, r]));
  if (cases.length === 0) return null;
  return (
    <div className="grid-scroll">
      <table className="table grid" aria-label="Results">
        <thead>
          <tr>
            <th className="col-id">Case</th>
            {targets.map((t) => (
              <th key={t} className="ellipsis" title={t}>
                {t}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {cases.map((c) => (
            <tr key={c}>
              <td className="ellipsis" title={c}>
                {c}
              </td>
              {targets.map((t) => {
                const r = at.get(`${c}\u0000${t}`);
                if (!r) return <td key={t} className="muted">…</td>;
                return (
                  <td key={t}>
                    <button className={`cell ${r.passed ? "pass" : "fail"}${open === r ? " selected" : ""}`} aria-label={`${c} on ${t}: ${r.passed ? "passed" : "failed"}`} onClick={() => onOpen(r)}>
                      {r.passed ? "✓" : "✗"}
                      {r.judge_score !== undefined && <span> {(r.judge_score * 10).toFixed(0)}/10</span>}
                      <span className="muted small">
                        {" "}
                        {formatUsd(r.cost_usd)} · {formatMs(r.latency_ms)}
                      </span>
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
