import { useState } from "react";
import { useConfig, useRequests } from "../api/hooks";
import type { RequestFilter, RequestRow } from "../api/types";
import { CacheBadge, StatusBadge } from "../components/Badges";
import { ErrorBox } from "../components/ErrorBox";
import { formatClientApi, formatMs, formatTimestamp, formatTokens, formatUsd } from "../lib/format";
import { RequestDetailPanel } from "./requests/RequestDetailPanel";

/** `#/requests/<id>` opens that request (links from other pages). */
function linkedRequest(): string | null {
  const id = window.location.hash.replace(/^#\/?/, "").split("/")[1];
  return id ? decodeURIComponent(id) : null;
}

export function Requests() {
  const [filter, setFilter] = useState<RequestFilter>({});
  const [selected, setSelected] = useState<string | null>(linkedRequest);
  const requests = useRequests(filter);
  const config = useConfig();
  const providers = config.data?.config.providers.map((p) => p.id) ?? [];
  const rules = [...(config.data?.config.rules ?? []).map((r) => r.name), ...(config.data?.config.routes ?? []).map((r) => `route:${r.model}`), "default"];
  const set = (k: keyof RequestFilter) => (e: React.ChangeEvent<HTMLSelectElement | HTMLInputElement>) => setFilter({ ...filter, [k]: e.target.value || undefined });

  return (
    <div className={selected ? "split" : undefined}>
      <div className="split-main">
        <div className="filters" aria-label="Filters">
          <select aria-label="Status" value={filter.status ?? ""} onChange={set("status")}>
            <option value="">Any status</option>
            <option value="ok">Succeeded</option>
            <option value="error">Failed</option>
          </select>
          <select aria-label="Cache" value={filter.cache ?? ""} onChange={set("cache")}>
            <option value="">Any cache result</option>
            <option value="hit">Cache hits</option>
            <option value="hit-exact">Exact hits</option>
            <option value="hit-semantic">Semantic hits</option>
            <option value="miss">Misses</option>
            <option value="bypass">Bypassed</option>
          </select>
          <select aria-label="Provider" value={filter.provider ?? ""} onChange={set("provider")}>
            <option value="">Any provider</option>
            {providers.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
          <select aria-label="Rule" value={filter.rule ?? ""} onChange={set("rule")}>
            <option value="">Any rule</option>
            {rules.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <input aria-label="Model" placeholder="Model, e.g. gpt-4o-mini" value={filter.model ?? ""} onChange={set("model")} />
        </div>
        <ErrorBox error={requests.error} title="Could not load the log:" />
        {requests.data && requests.data.length === 0 ? (
          <p className="muted">{Object.values(filter).some(Boolean) ? "No requests match these filters." : "No requests yet. They appear here as they happen."}</p>
        ) : (
          <RequestTable rows={requests.data ?? []} selected={selected} onSelect={setSelected} />
        )}
      </div>
      {selected && <RequestDetailPanel id={selected} onClose={() => setSelected(null)} />}
    </div>
  );
}

function RequestTable({ rows, selected, onSelect }: { rows: RequestRow[]; selected: string | null; onSelect: (id: string) => void }) {
  return (
    <table className="table requests">
      <thead>
        <tr>
          <th className="col-time">Time</th>
          <th>Model</th>
          <th className="col-badge">Cache</th>
          <th className="col-badge">Status</th>
          <th className="num">Latency</th>
          <th className="num">Tokens</th>
          <th className="num">Cost</th>
          <th className="num">Saved</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id} className={r.id === selected ? "selected" : undefined} onClick={() => onSelect(r.id)} tabIndex={0} onKeyDown={(e) => e.key === "Enter" && onSelect(r.id)}>
            <td className="col-time">{formatTimestamp(r.ts)}</td>
            <td className="ellipsis" title={r.provider ? `${r.model_requested} → ${r.provider}/${r.model}` : r.model_requested}>
              {r.model_requested}
              {r.provider && `${r.provider}/${r.model}` !== r.model_requested && <span className="muted"> → {r.provider}/{r.model}</span>}
              <div className="client-api muted">{formatClientApi(r.client_api)}</div>
            </td>
            <td className="col-badge"><CacheBadge cache={r.cache} /></td>
            <td className="col-badge"><StatusBadge status={r.status} /></td>
            <td className="num">{formatMs(r.latency_ms)}</td>
            <td className="num">{r.prompt_tokens == null ? "—" : formatTokens((r.prompt_tokens ?? 0) + (r.completion_tokens ?? 0))}</td>
            <td className="num">{formatUsd(r.cost_usd)}</td>
            <td className="num">{formatUsd(r.saved_usd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
