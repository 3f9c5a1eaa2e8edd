import { useState } from "react";
import { useMakeRule, useRun, useRunAction } from "../../api/hooks";
import type { CaseResult, RunDetail } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { formatMs, formatPercent, formatTimestamp, formatUsd } from "../../lib/format";
import { ResultsGrid } from "./ResultsGrid";

const pct = (x: number) => formatPercent(x, 1);

/** A run: progress while it runs, then totals per target, the pick, and every answer. */
export function RunView({ id }: { id: number }) {
  const run = useRun(id);
  const action = useRunAction();
  const rule = useMakeRule();
  const [open, setOpen] = useState<CaseResult | null>(null);
  if (!run.data) return <ErrorBox error={run.error} />;
  const { state, progress, report, options, started_ms, models } = run.data;
  const done = progress.answered + progress.graded;

  return (
    <section className="card" aria-label={`Run ${id}`} data-state={state}>
      <div className="row between">
        <h3>
          Run {id} <span className="muted small">{formatTimestamp(started_ms)} · {state}</span>
        </h3>
        {state === "running" && <button onClick={() => action.mutate({ run: id, action: "cancel" })}>Cancel</button>}
        {state === "cancelled" && <button onClick={() => action.mutate({ run: id, action: "resume" })}>Resume</button>}
      </div>
      {state !== "done" && (
        <div className="row">
          <progress aria-label="Run progress" max={progress.total * 2} value={done} />
          <span className="muted small">
            {progress.answered} of {progress.total} answered · {progress.graded} graded
          </span>
        </div>
      )}
      <ErrorBox error={action.error} />
      <Totals run={run.data} />
      {state === "done" && report.recommendation && (
        <div className="ok-box" role="status" aria-label="Recommendation">
          <strong>Pick {report.recommendation.target}</strong>: {report.recommendation.reason}.{" "}
          <button onClick={() => rule.mutate(id)} disabled={rule.isPending}>
            Make a routing rule
          </button>
          {rule.data && (
            <span>
              {" "}
              Rule <code>{rule.data.rule}</code> added: requests tagged <code>{run.data.suite}</code> go there. <a href="#/routing">Routing</a>
            </span>
          )}
        </div>
      )}
      <ErrorBox error={rule.error} />
      <ResultsGrid results={report.results} targets={options.targets} onOpen={setOpen} open={open} />
      {open && <Answer result={open} model={models[open.target]} onClose={() => setOpen(null)} />}
    </section>
  );
}

function Totals({ run }: { run: RunDetail }) {
  const reference = run.options.reference;
  return (
    <div className="grid-scroll">
    <table className="table totals">
      <thead>
        <tr>
          <th>Target</th>
          <th className="num">Pass</th>
          <th className="wide">95 % interval</th>
          <th className="num">Judge</th>
          <th className="num">$ / 1k cases</th>
          <th className="num">Judge $</th>
          <th className="num">p50</th>
          <th className="num">p95</th>
          {reference && <th className="num">vs {reference}</th>}
        </tr>
      </thead>
      <tbody>
        {run.report.totals.map((t) => (
          <tr key={t.target} className={run.report.recommendation?.target === t.target ? "selected" : undefined}>
            <td className="ellipsis" title={run.models[t.target] ? `answered by ${run.models[t.target]}` : t.target}>
              {t.target}
            </td>
            <td className="num">
              {t.passed}/{t.cases}
            </td>
            <td>
              {pct(t.pass_rate_low)}–{pct(t.pass_rate_high)}
            </td>
            <td className="num">{t.judge_mean === null ? "—" : (t.judge_mean * 10).toFixed(1)}</td>
            <td className="num">{formatUsd(t.usd_per_1000)}</td>
            <td className="num">{formatUsd(t.judge_usd)}</td>
            <td className="num">{formatMs(t.p50_ms)}</td>
            <td className="num">{formatMs(t.p95_ms)}</td>
            {reference && <td className="num">{t.versus_reference ? `${t.versus_reference[0]}W ${t.versus_reference[1]}L ${t.versus_reference[2]}T` : "—"}</td>}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

function Answer({ result, model, onClose }: { result: CaseResult; model?: string; onClose: () => void }) {
  return (
    <section className="answer-detail" aria-label={`Answer of ${result.target} to ${result.case}`}>
      <div className="row between">
        <strong>
          {result.case} on {result.target}
        </strong>
        <button className="ghost" aria-label="Close the answer" onClick={onClose}>
          ✕
        </button>
      </div>
      <div className="muted small">
        {formatMs(result.latency_ms)} · {formatUsd(result.cost_usd)}
        {result.judge_usd > 0 && ` · judge ${formatUsd(result.judge_usd)}`}
        {model && ` · answered by ${model}`}
        {result.versus_reference && ` · vs reference: ${result.versus_reference === "target" ? "better" : result.versus_reference === "reference" ? "worse" : "tie"}`}
      </div>
      {result.error && <div className="error">{result.error}</div>}
      {result.answer !== undefined && <pre className="body">{result.answer}</pre>}
      <ul className="checks">
        {result.checks.map((c, i) => (
          <li key={i} className={c.passed ? "ok-text" : "bad-text"}>
            {c.passed ? "✓" : "✗"} {c.check}
            {c.detail && <span className="muted"> — {c.detail}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
