import { useRef, useState } from "react";
import { useCreateSuite, useSuites } from "../../api/hooks";
import type { SuiteProblem } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { formatPercent } from "../../lib/format";
import { Problems } from "./Problems";

/** Every suite, a new one, and importing a JSONL or YAML file. */
export function SuiteList({ selected, onSelect }: { selected: number | null; onSelect: (id: number) => void }) {
  const suites = useSuites();
  const create = useCreateSuite();
  const [name, setName] = useState("");
  const [imported, setImported] = useState<{ name: string; cases: number; problems: SuiteProblem[] } | null>(null);
  const file = useRef<HTMLInputElement>(null);

  const add = () => create.mutate({ name: name.trim(), cases: [] }, { onSuccess: (r) => (setName(""), onSelect(r.id)) });
  const importFile = async (f: File) => {
    const format = /\.ya?ml$/i.test(f.name) ? "yaml" : "jsonl";
    const suiteName = f.name.replace(/\.(jsonl|ya?ml|json)$/i, "");
    create.mutate({ name: suiteName, text: await f.text(), format }, { onSuccess: (r) => (setImported({ name: suiteName, cases: r.cases, problems: r.problems }), onSelect(r.id)) });
  };

  return (
    <section className="card suite-list" aria-label="Suites">
      <ul className="plain">
        {(suites.data ?? []).map((s) => {
          const last = s.last_run?.totals;
          return (
            <li key={s.id}>
              <button className={`ghost block${s.id === selected ? " active" : ""}`} aria-current={s.id === selected} onClick={() => onSelect(s.id)}>
                <strong>{s.name}</strong>
                <span className="muted small">
                  {s.cases} case{s.cases === 1 ? "" : "s"}
                  {last && last.length > 0 && ` · best ${formatPercent(Math.max(...last.map((t) => t.pass_rate)), 1)}`}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {suites.data?.length === 0 && <p className="muted small">No suites yet. Make one, import a file, or save a case from the Playground or a logged request.</p>}
      <div className="inline-form">
        <input aria-label="New suite name" placeholder="New suite name" value={name} onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === "Enter" && name.trim() && add()} />
        <button onClick={add} disabled={!name.trim()}>
          New suite
        </button>
      </div>
      <button onClick={() => file.current?.click()}>Import JSONL or YAML…</button>
      <input ref={file} type="file" accept=".jsonl,.json,.yaml,.yml" aria-label="Suite file" hidden onChange={(e) => e.target.files?.[0] && void importFile(e.target.files[0]).finally(() => (e.target.value = ""))} />
      <ErrorBox error={create.error} />
      {imported && (
        <div role="status" className={imported.problems.length ? "warning" : "ok-box"}>
          Imported {imported.cases} case{imported.cases === 1 ? "" : "s"} into {imported.name}.
          <Problems problems={imported.problems} what="left out" />
        </div>
      )}
    </section>
  );
}
