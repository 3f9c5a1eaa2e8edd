import { useState } from "react";
import { useAddCase, useCreateSuite, useSuites } from "../api/hooks";
import type { CaseSpec } from "../api/types";
import { ErrorBox } from "./ErrorBox";

const NEW = "__new__";

/** Saves a case (given, or made from a logged request) into a suite, or into a new one. */
export function AddToSuite({ from }: { from: { request: string } | { case: CaseSpec } }) {
  const suites = useSuites();
  const create = useCreateSuite();
  const add = useAddCase();
  const [suite, setSuite] = useState("");
  const [name, setName] = useState("");
  const list = suites.data ?? [];
  const chosen = suite || (list[0] ? String(list[0].id) : NEW);
  const body = "request" in from ? { from_request: from.request } : { case: from.case };

  const save = () => {
    add.reset();
    if (chosen !== NEW) return add.mutate({ suite: Number(chosen), ...body });
    create.mutate({ name: name.trim(), cases: [] }, { onSuccess: (r) => (setSuite(String(r.id)), add.mutate({ suite: r.id, ...body })) });
  };
  return (
    <div className="add-to-suite">
      <div className="inline-form">
        <select aria-label="Suite to add to" value={chosen} onChange={(e) => setSuite(e.target.value)}>
          {list.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
          <option value={NEW}>New suite…</option>
        </select>
        {chosen === NEW && <input aria-label="New suite name" placeholder="Suite name" value={name} onChange={(e) => setName(e.target.value)} />}
        <button onClick={save} disabled={(chosen === NEW && !name.trim()) || add.isPending}>
          Add to suite
        </button>
      </div>
      {add.data && (
        <span className="ok-text small" role="status">
          Added as case <code>{add.data.case.id}</code>. <a href="#/suites">Suites</a>
        </span>
      )}
      <ErrorBox error={create.error ?? add.error} />
    </div>
  );
}
