import { useState, type FormEvent } from "react";
import { isDesktop, desktop } from "../../api/connection";
import { checkListen } from "../../lib/validate";

/** The listen address takes effect at the next start; after a save that changed it, say so. */
export function ListenForm({ current, onSave, saving }: { current: string; onSave: (listen: string, saved: (restartRequired: boolean) => void) => void; saving: boolean }) {
  const [value, setValue] = useState(current);
  const [problem, setProblem] = useState<string | null>(null);
  const [restartFor, setRestartFor] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const listen = value.trim();
    const issue = checkListen(listen);
    setProblem(issue);
    if (!issue && listen !== current) onSave(listen, (restart) => setRestartFor(restart ? listen : null));
  };
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
      {restartFor && (
        <div className="warning small">
          Saved. Sluice listens on {restartFor} from its next start; point your tools there then.
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
