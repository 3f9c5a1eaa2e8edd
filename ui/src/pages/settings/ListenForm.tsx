import { useState, type FormEvent } from "react";
import { isDesktop, desktop } from "../../api/connection";
import { checkListen } from "../../lib/validate";

export function ListenForm({ current, active, onSave, saving }: { current: string; active: string; onSave: (listen: string) => void; saving: boolean }) {
  const [value, setValue] = useState(current);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const issue = checkListen(value);
    setProblem(issue);
    if (!issue && value.trim() !== current) onSave(value.trim());
  };
  const pending = current !== active;
  return (
    <form className="inline-form" onSubmit={submit}>
      <label className="field">
        <span>Listen address</span>
        <input value={value} onChange={(e) => setValue(e.target.value)} aria-invalid={!!problem} />
      </label>
      <button type="submit" disabled={saving}>
        Save
      </button>
      {problem && <div className="field-error">{problem}</div>}
      {pending && (
        <div className="warning small">
          Saved as {current}; Sluice still listens on {active} until it restarts.
          {isDesktop() && (
            <button type="button" onClick={() => desktop.relaunch()}>
              Restart now
            </button>
          )}
        </div>
      )}
    </form>
  );
}
