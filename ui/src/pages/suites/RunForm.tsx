import { useState } from "react";
import { useModelPrices, useStartRun } from "../../api/hooks";
import { ErrorBox } from "../../components/ErrorBox";
import { TargetsPicker } from "../routing/TargetsPicker";

/** What to run the suite on: targets, the judge, a reference, limits and the margin. */
export function RunForm({ suite, ready, onStarted }: { suite: number; ready: boolean; onStarted: (run: number) => void }) {
  const models = useModelPrices();
  const start = useStartRun();
  const [targets, setTargets] = useState<string[]>([]);
  const [judge, setJudge] = useState("");
  const [reference, setReference] = useState("");
  const [perProvider, setPerProvider] = useState("4");
  const [margin, setMargin] = useState("5");

  const run = () =>
    start.mutate(
      { suite, targets, judge: judge.trim() || null, reference: reference || null, per_provider: Number(perProvider), margin: Number(margin) / 100 },
      { onSuccess: (r) => onStarted(r.id) },
    );
  return (
    <section className="card" aria-label="Run the suite">
      <h3>Run</h3>
      <span className="muted small">Targets</span>
      <TargetsPicker routes targets={targets} onChange={setTargets} />
      <div className="inline-form">
        <label className="field">
          <span>Judge model</span>
          <input aria-label="Judge model" list="judge-models" placeholder="provider/model" value={judge} onChange={(e) => setJudge(e.target.value)} />
          <datalist id="judge-models">
            {(models.data ?? []).map((m) => (
              <option key={m.target} value={m.target} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Compare with</span>
          <select aria-label="Reference target" value={reference} onChange={(e) => setReference(e.target.value)}>
            <option value="">no reference</option>
            {targets.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Calls at once per provider</span>
          <input aria-label="Calls at once per provider" type="number" min={1} max={64} value={perProvider} onChange={(e) => setPerProvider(e.target.value)} />
        </label>
        <label className="field">
          <span>Margin (points)</span>
          <input aria-label="Margin" type="number" min={0} max={100} value={margin} onChange={(e) => setMargin(e.target.value)} />
        </label>
      </div>
      <button className="primary" onClick={run} disabled={!ready || targets.length === 0 || start.isPending}>
        Run suite
      </button>
      <ErrorBox error={start.error} />
    </section>
  );
}
