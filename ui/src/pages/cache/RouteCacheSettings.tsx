import { useEffect, useState, type FormEvent } from "react";
import { useConfig, useSaveConfig } from "../../api/hooks";
import type { Config, RouteCache } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { checkThreshold, checkTtlMinutes } from "../../lib/validate";

/** One route's overrides as typed: blank fields follow the global settings. */
interface Row {
  semantic: "" | "on" | "off";
  threshold: string;
  ttlMinutes: string;
}

function toRow(c: RouteCache | undefined): Row {
  return {
    semantic: c?.semantic === undefined ? "" : c.semantic ? "on" : "off",
    threshold: c?.threshold?.toString() ?? "",
    ttlMinutes: c?.ttl_secs === undefined ? "" : String(Math.round(c.ttl_secs / 60)),
  };
}

function fromRow(row: Row, old: RouteCache | undefined): RouteCache | undefined {
  const c: RouteCache = { exact: old?.exact };
  if (row.semantic) c.semantic = row.semantic === "on";
  if (row.threshold.trim()) c.threshold = Number(row.threshold);
  if (row.ttlMinutes.trim()) c.ttl_secs = Number(row.ttlMinutes) * 60;
  return Object.values(c).some((v) => v !== undefined) ? c : undefined;
}

/** The global similarity threshold and each route's semantic on/off, threshold and lifetime. */
export function RouteCacheSettings() {
  const config = useConfig();
  const save = useSaveConfig();
  const current = config.data?.config;
  const [threshold, setThreshold] = useState("");
  const [rows, setRows] = useState<Row[]>([]);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!current) return;
    setThreshold(String(current.cache.threshold));
    setRows(current.routes.map((r) => toRow(r.cache)));
  }, [current]);

  if (!current) return <ErrorBox error={config.error} />;

  const setRow = (i: number, change: Partial<Row>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const issue =
      checkThreshold(threshold, false) ??
      rows.map((r, i) => {
        const bad = checkThreshold(r.threshold, true) ?? (r.ttlMinutes.trim() ? checkTtlMinutes(r.ttlMinutes) : null);
        return bad && `${current.routes[i].model}: ${bad}`;
      }).find(Boolean) ??
      null;
    setProblem(issue);
    if (issue) return;
    const next: Config = {
      ...current,
      cache: { ...current.cache, threshold: Number(threshold) },
      routes: current.routes.map((r, i) => ({ ...r, cache: fromRow(rows[i], r.cache) })),
    };
    save.mutate(next);
  };

  return (
    <form className="card" onSubmit={submit} aria-label="Cache settings" noValidate>
      <h2>Settings</h2>
      <label className="field">
        <span>Similarity a rephrased question needs (0.5–1; higher: fewer, surer hits)</span>
        <input inputMode="decimal" value={threshold} onChange={(e) => setThreshold(e.target.value)} aria-label="Similarity threshold" />
      </label>
      {rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Route</th>
              <th>Rephrased questions</th>
              <th>Similarity</th>
              <th>Keep answers (min)</th>
            </tr>
          </thead>
          <tbody>
            {current.routes.map((route, i) => (
              <tr key={route.model}>
                <td>{route.model}</td>
                <td>
                  <select aria-label={`Semantic caching for ${route.model}`} value={rows[i]?.semantic ?? ""} onChange={(e) => setRow(i, { semantic: e.target.value as Row["semantic"] })}>
                    <option value="">As everywhere ({current.cache.semantic ? "on" : "off"})</option>
                    <option value="on">On</option>
                    <option value="off">Off (identical only)</option>
                  </select>
                </td>
                <td>
                  <input aria-label={`Similarity for ${route.model}`} inputMode="decimal" placeholder={String(current.cache.threshold)} value={rows[i]?.threshold ?? ""} onChange={(e) => setRow(i, { threshold: e.target.value })} />
                </td>
                <td>
                  <input aria-label={`Lifetime for ${route.model}`} inputMode="numeric" placeholder={current.cache.ttl_secs ? String(current.cache.ttl_secs / 60) : "forever"} value={rows[i]?.ttlMinutes ?? ""} onChange={(e) => setRow(i, { ttlMinutes: e.target.value })} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rows.length === 0 && <p className="muted small">Routes you add in the config file get their own overrides here.</p>}
      {problem && <div className="field-error">{problem}</div>}
      <ErrorBox error={save.error} title="Not saved:" />
      <button type="submit" disabled={save.isPending}>
        Save
      </button>
      {save.isSuccess && !save.isPending && <span className="muted small"> Saved.</span>}
    </form>
  );
}
