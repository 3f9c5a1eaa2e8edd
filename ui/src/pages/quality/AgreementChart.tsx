import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { QualityOverview } from "../../api/types";
import { formatDay } from "../../lib/format";
import { agreementRows } from "../../lib/quality";

const COLORS = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"];

/** Each rule's agreement per day (UTC). */
export function AgreementChart({ series }: { series: QualityOverview["series"] }) {
  const { rows, rules } = agreementRows(series);
  if (rows.length === 0) return null;
  return (
    <section className="card" aria-label="Agreement over time">
      <h2>Over time</h2>
      <div className="chart small-chart">
        <ResponsiveContainer>
          <LineChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="day" tickFormatter={formatDay} fontSize={11} />
            <YAxis fontSize={11} width={44} domain={[0, 100]} unit="%" />
            <Tooltip labelFormatter={(ms) => formatDay(Number(ms))} formatter={(v) => `${v} %`} />
            <Legend wrapperStyle={{ fontSize: 11 }} />
            {rules.map((r, i) => (
              <Line key={r} dataKey={r} name={`${r} agreement`} stroke={COLORS[i % COLORS.length]} isAnimationActive={false} dot connectNulls />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
