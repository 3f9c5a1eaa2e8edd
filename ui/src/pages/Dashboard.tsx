import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useAnyRequests, useUsage } from "../api/hooks";
import { ErrorBox } from "../components/ErrorBox";
import { Stat } from "../components/Stat";
import { formatCount, formatDay, formatMs, formatPercent, formatTokens, formatUsd } from "../lib/format";
import { fillDays, type Range } from "../lib/series";
import type { Usage } from "../api/types";

const RANGES: { id: Range; label: string }[] = [
  { id: "today", label: "Today" },
  { id: "7d", label: "7 days" },
  { id: "30d", label: "30 days" },
];

export function Dashboard() {
  const [range, setRange] = useState<Range>("7d");
  const usage = useUsage(range);
  const anyRequests = useAnyRequests();

  if (anyRequests.data === false) return <FirstSteps />;
  return (
    <>
      <div className="toolbar">
        <div className="segmented" role="tablist" aria-label="Period">
          {RANGES.map((r) => (
            <button key={r.id} role="tab" aria-selected={r.id === range} className={r.id === range ? "active" : undefined} onClick={() => setRange(r.id)}>
              {r.label}
            </button>
          ))}
        </div>
      </div>
      <ErrorBox error={usage.error} title="Could not load the numbers:" />
      <Totals usage={usage.data} />
      <section className="card">
        <h2>Cost with and without Sluice</h2>
        <div className="chart">{usage.data && <CostChart usage={usage.data} />}</div>
      </section>
      <section className="card">
        <h2>By provider and model</h2>
        <Breakdown usage={usage.data} />
      </section>
    </>
  );
}

function Totals({ usage }: { usage: Usage | undefined }) {
  const t = usage?.totals;
  const without = t ? t.cost_usd + t.saved_usd : 0;
  return (
    <div className="stats">
      <Stat label="Spent" value={formatUsd(t?.cost_usd)} hint={t ? `${formatUsd(without)} without Sluice` : undefined} />
      <Stat label="Saved" value={formatUsd(t?.saved_usd)} hint={t ? `${formatPercent(t.saved_usd, without)} of the bill` : undefined} />
      <Stat
        label="Compression"
        value={formatUsd(t?.compressed_saved_usd)}
        hint={t ? `${formatTokens(t.compressed_tokens_saved)} tokens not sent, in ${formatCount(t.compressed_requests)} calls` : undefined}
      />
      <Stat label="Cache hit rate" value={t ? formatPercent(t.cache_hits, t.requests) : "—"} hint={t ? `${formatCount(t.cache_hits)} answered from cache` : undefined} />
      <Stat label="Requests" value={formatCount(t?.requests)} hint={t ? `${formatTokens(t.prompt_tokens + t.completion_tokens)} tokens, ${formatCount(t.errors)} failed` : undefined} />
      <Stat label="Latency p50 / p95" value={t ? `${formatMs(t.p50_ms)} / ${formatMs(t.p95_ms)}` : "—"} />
    </div>
  );
}

function CostChart({ usage }: { usage: Usage }) {
  const points = fillDays(usage.days, usage.since, new Date());
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 8 }} barGap={2}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--line)" />
        <XAxis dataKey="day" tickFormatter={formatDay} stroke="var(--muted)" fontSize={12} />
        <YAxis tickFormatter={(v: number) => formatUsd(v)} stroke="var(--muted)" fontSize={12} width={72} />
        <Tooltip cursor={{ fill: "var(--line)", fillOpacity: 0.4 }} labelFormatter={(d) => formatDay(Number(d))} formatter={(v) => formatUsd(Number(v))} contentStyle={{ background: "var(--panel)", border: "1px solid var(--line)" }} />
        <Legend />
        <Bar dataKey="without" name="Without Sluice" fill="var(--muted)" fillOpacity={0.35} isAnimationActive={false} />
        <Bar dataKey="actual" name="Actual cost" fill="var(--accent)" isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}

function Breakdown({ usage }: { usage: Usage | undefined }) {
  if (!usage) return <p className="muted">Loading…</p>;
  if (usage.by_model.length === 0) return <p className="muted">No requests in this period.</p>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th>Provider / model</th>
          <th className="num">Requests</th>
          <th className="num">Cache hits</th>
          <th className="num">Tokens</th>
          <th className="num">Cost</th>
          <th className="num">Saved</th>
        </tr>
      </thead>
      <tbody>
        {usage.by_model.map((m) => (
          <tr key={`${m.provider}/${m.model}`}>
            <td>{m.provider ? `${m.provider}/${m.model}` : <span className="muted">no upstream (failed before a provider answered)</span>}</td>
            <td className="num">{formatCount(m.requests)}</td>
            <td className="num">{formatPercent(m.cache_hits, m.requests)}</td>
            <td className="num">{formatTokens(m.tokens)}</td>
            <td className="num">{formatUsd(m.cost_usd)}</td>
            <td className="num">{formatUsd(m.saved_usd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FirstSteps() {
  return (
    <section className="card empty">
      <h2>Nothing has gone through Sluice yet</h2>
      <ol>
        <li>
          <a href="#/providers">Add a provider and its API key</a> (OpenAI, Groq, Mistral, a local Ollama, …). The key goes into your system keychain.
        </li>
        <li>
          <a href="#/connect">Point your tool at Sluice</a>: its base URL and token, with setup for the OpenAI SDKs, curl, Continue, Aider and more.
        </li>
        <li>Send a request. Spend, savings and cache hits show up here as they happen.</li>
      </ol>
    </section>
  );
}
