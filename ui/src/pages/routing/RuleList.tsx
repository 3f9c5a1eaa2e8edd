import { useState } from "react";
import type { Rule, RuleStats } from "../../api/types";
import { formatMs, formatUsd } from "../../lib/format";

interface Props {
  rules: Rule[];
  routes: string[];
  selected: number | null;
  stats: RuleStats[];
  invalid: Set<number>;
  onSelect: (i: number) => void;
  onMove: (from: number, to: number) => void;
}

function summary(rule: Rule): string {
  const when = Object.keys(rule.when);
  const then = rule.then.reject !== undefined ? "refuse" : rule.then.targets?.join(" → ") || "the requested model";
  return `${when.length ? when.join(", ") : "every request"} → ${then}`;
}

/** A rule's requests, cost, saved, median latency and errors over the chosen days. */
function Figures({ f }: { f: RuleStats | undefined }) {
  return (
    <>
      <td className="col-num">{f?.requests ?? 0}</td>
      <td className="col-num">{formatUsd(f?.cost_usd ?? 0)}</td>
      <td className="col-num">{formatUsd(f?.saved_usd ?? 0)}</td>
      <td className="col-num">{formatMs(f?.p50_latency_ms ?? null)}</td>
      <td className="col-num">{f?.errors ?? 0}</td>
    </>
  );
}

/** The rules in order (first match wins): drag a row, or use its arrows, to reorder. */
export function RuleList({ rules, routes, selected, stats, invalid, onSelect, onMove }: Props) {
  const [dragged, setDragged] = useState<number | null>(null);
  const figures = (name: string) => stats.find((s) => s.rule === name);
  return (
    <table className="table rules" aria-label="Rules">
      <thead>
        <tr>
          <th className="col-order">#</th>
          <th>Rule</th>
          <th className="col-num">Requests</th>
          <th className="col-num">Cost</th>
          <th className="col-num">Saved</th>
          <th className="col-num">p50</th>
          <th className="col-num">Errors</th>
          <th className="col-move" />
        </tr>
      </thead>
      <tbody>
        {rules.map((r, i) => {
          const f = figures(r.name);
          return (
            <tr
              key={i}
              draggable
              data-rule={r.name}
              className={[selected === i ? "selected" : "", invalid.has(i) ? "invalid" : "", r.enabled === false ? "disabled" : ""].join(" ")}
              onClick={() => onSelect(i)}
              onDragStart={() => setDragged(i)}
              onDragOver={(e) => e.preventDefault()}
              onDrop={() => dragged !== null && dragged !== i && onMove(dragged, i)}
              onDragEnd={() => setDragged(null)}
            >
              <td className="muted">{i + 1}</td>
              <td>
                <strong>{r.name || "(unnamed)"}</strong>
                {r.enabled === false && <span className="badge plain">off</span>}
                <div className="muted small ellipsis">{summary(r)}</div>
              </td>
              <Figures f={f} />
              <td>
                <button type="button" className="ghost" aria-label={`Move ${r.name} up`} disabled={i === 0} onClick={(e) => (e.stopPropagation(), onMove(i, i - 1))}>
                  ↑
                </button>
                <button type="button" className="ghost" aria-label={`Move ${r.name} down`} disabled={i === rules.length - 1} onClick={(e) => (e.stopPropagation(), onMove(i, i + 1))}>
                  ↓
                </button>
              </td>
            </tr>
          );
        })}
        {routes.map((model) => {
          const f = figures(`route:${model}`);
          return (
            <tr key={model} className="disabled" title="A [[routes]] entry: the simplest rule, after the ones above">
              <td className="muted">·</td>
              <td>
                <strong>route:{model}</strong>
                <div className="muted small">model is {model}</div>
              </td>
              <Figures f={f} />
              <td />
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
