import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { RunSummary } from "../../api/types";
import { formatDay, formatTimestamp } from "../../lib/format";
import { historyRows } from "../../lib/history";

const COLORS = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"];

/** Pass rate and cost per target over the suite's finished runs; a run can be opened. */
export function History({ runs, shown, onShow }: { runs: RunSummary[]; shown: number | null; onShow: (run: number) => void }) {
  const { rows, targets } = historyRows(runs);
  return (
    <section className="card" aria-label="History">
      <div className="row between">
        <h3>Over time</h3>
        <select aria-label="Show run" value={shown ?? ""} onChange={(e) => onShow(Number(e.target.value))}>
          {[...runs].reverse().map((r) => (
            <option key={r.id} value={r.id}>
              Run {r.id} · {formatTimestamp(r.started_ms)} · {r.state}
            </option>
          ))}
        </select>
      </div>
      {rows.length > 1 && (
        <div className="history-charts">
          {(["pass", "cost"] as const).map((kind) => (
            <div className="chart small-chart" key={kind} aria-label={kind === "pass" ? "Pass rate over time" : "Cost over time"}>
              <ResponsiveContainer>
                <LineChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="started_ms" tickFormatter={formatDay} fontSize={11} />
                  <YAxis fontSize={11} width={44} domain={kind === "pass" ? [0, 100] : ["auto", "auto"]} unit={kind === "pass" ? "%" : ""} />
                  <Tooltip labelFormatter={(ms) => formatTimestamp(Number(ms))} formatter={(v) => (kind === "pass" ? `${v} %` : `$${Number(v).toFixed(4)} / 1k`)} />
                  <Legend wrapperStyle={{ fontSize: 11 }} />
                  {targets.map((t, i) => (
                    <Line key={t} dataKey={`${kind}:${t}`} name={`${t} ${kind === "pass" ? "pass rate" : "$/1k cases"}`} stroke={COLORS[i % COLORS.length]} isAnimationActive={false} dot />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
