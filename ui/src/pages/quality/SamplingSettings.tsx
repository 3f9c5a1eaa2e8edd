import { useEffect, useState, type FormEvent } from "react";
import { useConfig, useSaveConfig } from "../../api/hooks";
import type { QualityOverview } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { Stat } from "../../components/Stat";
import { Switch } from "../../components/Switch";
import { formatCount, formatUsd } from "../../lib/format";
import { formProblem, fromForm, toForm, type QualityForm } from "../../lib/quality";

/** Today's sampling against its cap, and the `[quality]` settings. */
export function SamplingSettings({ overview }: { overview: QualityOverview }) {
  const config = useConfig();
  const save = useSaveConfig();
  const current = config.data?.config;
  const [form, setForm] = useState<QualityForm>(() => toForm(overview.config));
  const [problem, setProblem] = useState<string | null>(null);
  const { today, config: q } = overview;

  useEffect(() => {
    if (current?.quality) setForm(toForm(current.quality as QualityOverview["config"]));
  }, [current]);

  const set = (change: Partial<QualityForm>) => setForm({ ...form, ...change });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const issue = formProblem(form);
    setProblem(issue);
    if (!issue && current) save.mutate({ ...current, quality: fromForm(form) });
  };
  const used = q.daily_cap_usd > 0 ? Math.min(1, today.spent_usd / q.daily_cap_usd) : 1;

  return (
    <form className="card" onSubmit={submit} aria-label="Sampling" noValidate>
      <h2>Sampling</h2>
      {!q.judge && <div className="warning">Sampling is off: name a judge model below, and a share of cache hits, cheaper answers and compressed requests will be checked against the reference.</div>}
      <div className="stats four">
        <Stat label="Checks spent today" value={formatUsd(today.spent_usd)} hint={`of ${formatUsd(q.daily_cap_usd)} a day`} />
        <Stat label="Checked today" value={formatCount(today.samples)} hint={`${Math.round(q.sample * 1000) / 10} % of savings`} />
        <Stat label="Skipped at the cap" value={formatCount(today.skipped_cap)} hint="until midnight UTC" />
        <Stat label="Skipped, busy" value={formatCount(today.skipped_busy)} hint="4 checks at once at most" />
      </div>
      <div className="meter" role="meter" aria-label="Daily cap used" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(used * 100)}>
        <div style={{ width: `${used * 100}%` }} className={used >= 1 ? "full" : undefined} />
      </div>
      <p className="muted small">
        {formatCount(overview.labelled_prompts)} prompts labelled for the difficulty router: a cheaper answer judged worse than the baseline's marks its prompt as one that needs the stronger model.
      </p>
      <div className="settings-grid">
        <label className="field judge">
          <span>Judge (provider/model or a route)</span>
          <input aria-label="Judge model" value={form.judge} placeholder="e.g. openai/gpt-4o" onChange={(e) => set({ judge: e.target.value })} />
        </label>
        <label className="field">
          <span>Sample (%)</span>
          <input aria-label="Sample share" inputMode="decimal" value={form.samplePercent} onChange={(e) => set({ samplePercent: e.target.value })} />
        </label>
        <label className="field">
          <span>Daily cap (USD)</span>
          <input aria-label="Daily cap" inputMode="decimal" value={form.capUsd} onChange={(e) => set({ capUsd: e.target.value })} />
        </label>
        <label className="field">
          <span>Alert below (%)</span>
          <input aria-label="Alert floor" inputMode="decimal" value={form.floorPercent} onChange={(e) => set({ floorPercent: e.target.value })} />
        </label>
        <label className="field">
          <span>Lowest threshold</span>
          <input aria-label="Lowest threshold" inputMode="decimal" value={form.min} onChange={(e) => set({ min: e.target.value })} />
        </label>
        <label className="field">
          <span>Highest threshold</span>
          <input aria-label="Highest threshold" inputMode="decimal" value={form.max} onChange={(e) => set({ max: e.target.value })} />
        </label>
      </div>
      <div className="row">
        <Switch label="Verdicts move semantic thresholds" hint="within the lowest and highest above" checked={form.tune} onChange={(tune) => set({ tune })} />
        <button type="submit" disabled={save.isPending || !current}>
          Save
        </button>
        {save.isSuccess && !save.isPending && <span className="muted small">Saved.</span>}
      </div>
      {problem && <div className="field-error">{problem}</div>}
      <ErrorBox error={save.error ?? config.error} title="Not saved:" />
    </form>
  );
}
