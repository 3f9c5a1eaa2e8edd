import { useState, type FormEvent } from "react";
import { useSetKey } from "../../api/hooks";
import { ErrorBox } from "../../components/ErrorBox";
import { checkKey } from "../../lib/validate";

/** Takes a key in; the UI never gets it back, only whether it is set and its last 4. */
export function KeyForm({ provider, onDone }: { provider: string; onDone: () => void }) {
  const [key, setKey] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const setter = useSetKey();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const issue = checkKey(key);
    setProblem(issue);
    if (issue) return;
    setter.mutate({ provider, key: key.trim() }, { onSuccess: () => { setKey(""); onDone(); } });
  };

  return (
    <form className="key-form" onSubmit={submit}>
      <label className="field">
        <span>API key for {provider}</span>
        <input type="password" autoComplete="off" spellCheck={false} value={key} onChange={(e) => setKey(e.target.value)} aria-invalid={!!problem} />
      </label>
      {problem && <div className="field-error">{problem}</div>}
      <ErrorBox error={setter.error} title="Not saved:" />
      <div className="row">
        <button type="submit" className="primary" disabled={setter.isPending}>
          Save key
        </button>
        <button type="button" className="ghost" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
