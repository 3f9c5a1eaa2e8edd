import { useState } from "react";
import { useConfig, useModelPrices } from "../../api/hooks";
import type { ModelPrice } from "../../api/types";

const price = (m: ModelPrice | undefined) => (m && m.input !== null ? `$${m.input} / $${m.output} per 1M tokens` : "price unknown");

/** Ordered targets: picked from the providers' models (with prices) or typed, tried in order;
 * `routes` also offers the config's `[[routes]]` by name (a request may name one; a rule may not). */
export function TargetsPicker({ targets, onChange, routes = false }: { targets: string[]; onChange: (t: string[]) => void; routes?: boolean }) {
  const models = useModelPrices();
  const config = useConfig();
  const routeNames = routes ? (config.data?.config.routes ?? []).map((r) => r.model) : [];
  const [adding, setAdding] = useState("");
  const known = models.data ?? [];
  const add = () => {
    if (adding.trim() && !targets.includes(adding.trim())) onChange([...targets, adding.trim()]);
    setAdding("");
  };
  return (
    <div>
      <ol className="targets">
        {targets.map((t, i) => (
          <li key={t}>
            <code>{t}</code> <span className="muted small">{routeNames.includes(t) ? "route" : price(known.find((m) => m.target === t))}</span>
            <button type="button" className="ghost" aria-label={`Remove target ${t}`} onClick={() => onChange(targets.filter((x) => x !== t))}>
              ✕
            </button>
            {i > 0 && (
              <button type="button" className="ghost" aria-label={`Try ${t} earlier`} onClick={() => onChange([...targets.slice(0, i - 1), t, targets[i - 1], ...targets.slice(i + 1)])}>
                ↑
              </button>
            )}
          </li>
        ))}
      </ol>
      <div className="inline-form">
        <input aria-label="Add target" list="target-models" placeholder="provider/model" value={adding} onChange={(e) => setAdding(e.target.value)} onKeyDown={(e) => e.key === "Enter" && (e.preventDefault(), add())} />
        <datalist id="target-models">
          {known.map((m) => (
            <option key={m.target} value={m.target}>
              {price(m)}
            </option>
          ))}
          {routeNames.map((r) => (
            <option key={`route:${r}`} value={r}>
              route
            </option>
          ))}
        </datalist>
        <button type="button" onClick={add} disabled={!adding.trim()}>
          Add target
        </button>
      </div>
    </div>
  );
}
