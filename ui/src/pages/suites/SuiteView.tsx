import { useState } from "react";
import { ApiError } from "../../api/client";
import { download } from "../../api/download";
import { useDeleteSuite, useSaveSuite, useSession, useSuite } from "../../api/hooks";
import type { CaseSpec } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { describe } from "../../lib/checks";
import { formatPercent } from "../../lib/format";
import { CaseEditor } from "./CaseEditor";
import { History } from "./History";
import { Problems } from "./Problems";
import { RunForm } from "./RunForm";
import { RunView } from "./RunView";

const preview = (c: CaseSpec) => c.prompt ?? c.messages?.[c.messages.length - 1]?.content ?? "";

/** One suite: its cases, a run, its latest (or a chosen) run's results, and its history. */
export function SuiteView({ id }: { id: number }) {
  const session = useSession();
  const suite = useSuite(id);
  const save = useSaveSuite();
  const remove = useDeleteSuite();
  const [editing, setEditing] = useState<number | "new" | null>(null);
  const [shownRun, setShownRun] = useState<number | null>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  if (!suite.data) return <ErrorBox error={suite.error} />;
  const { name, cases, runs, falls, problems } = suite.data;
  const run = shownRun ?? runs[runs.length - 1]?.id ?? null;

  const saveCases = (next: CaseSpec[], done?: () => void) => save.mutate({ id, name, cases: next }, { onSuccess: done });
  const saveCase = (c: CaseSpec) => saveCases(editing === "new" ? [...cases, c] : cases.map((x, i) => (i === editing ? c : x)), () => setEditing(null));
  const exportAs = (format: "jsonl" | "yaml") => download(session, `/api/suites/${id}/export?format=${format}`).catch(setExportError);
  const serverError = save.error instanceof ApiError ? save.error.message : null;

  return (
    <div className="suite-view">
      <section className="card" aria-label={`Suite ${name}`}>
        <div className="row between">
          <h2>{name}</h2>
          <div className="row tight">
            <button onClick={() => exportAs("jsonl")}>Export JSONL</button>
            <button onClick={() => exportAs("yaml")}>Export YAML</button>
            <button className="danger" onClick={() => window.confirm(`Delete the suite ${name} and its runs?`) && remove.mutate(id)}>
              Delete
            </button>
          </div>
        </div>
        <ErrorBox error={exportError ?? remove.error} />
        {falls.length > 0 && (
          <div className="warning" role="status" aria-label="Falls">
            {falls.map((f) => (
              <div key={f.target}>
                <strong>{f.target}</strong> passes {formatPercent(f.pass_rate, 1)} in run {f.run}, down from {formatPercent(f.previous_pass_rate, 1)} in run {f.previous_run}.
              </div>
            ))}
          </div>
        )}
        <Problems problems={problems} what="cannot run" />
        <table className="table cases">
          <thead>
            <tr>
              <th className="col-id">Case</th>
              <th>Asks</th>
              <th>Checks</th>
              <th className="col-action" />
            </tr>
          </thead>
          <tbody>
            {cases.map((c, i) => (
              <tr key={c.id ?? i}>
                <td className="ellipsis" title={c.id}>
                  {c.id}
                </td>
                <td className="ellipsis" title={preview(c)}>
                  {c.messages && <span className="badge muted">{c.messages.length} turns</span>} {preview(c)}
                </td>
                <td className="ellipsis">{(c.checks ?? []).map(describe).join(" · ") || <span className="muted">none</span>}</td>
                <td className="col-action">
                  <button className="ghost" aria-label={`Edit case ${c.id}`} onClick={() => (save.reset(), setEditing(i))}>
                    Edit
                  </button>
                  <button className="ghost" aria-label={`Remove case ${c.id}`} onClick={() => saveCases(cases.filter((_, j) => j !== i))}>
                    ✕
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {cases.length === 0 && <p className="muted small">No cases yet.</p>}
        {editing === null && (
          <button onClick={() => (save.reset(), setEditing("new"))}>
            Add case
          </button>
        )}
      </section>
      {editing !== null && (
        <CaseEditor key={String(editing)} initial={editing === "new" ? { id: `case-${cases.length + 1}`, prompt: "" } : cases[editing]} onSave={saveCase} onCancel={() => setEditing(null)} serverError={serverError} />
      )}
      <RunForm suite={id} ready={cases.length > 0} onStarted={setShownRun} />
      {runs.length > 1 && <History runs={runs} shown={run} onShow={setShownRun} />}
      {run !== null && <RunView key={run} id={run} />}
    </div>
  );
}
