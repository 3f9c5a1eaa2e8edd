import { useState, type FormEvent } from "react";
import { checkTtlMinutes } from "../../lib/validate";

/** Cache lifetime, edited in minutes (the config keeps seconds). */
export function TtlForm({ seconds, onSave, saving }: { seconds: number; onSave: (seconds: number) => void; saving: boolean }) {
  const [minutes, setMinutes] = useState(String(Math.round(seconds / 60)));
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const issue = checkTtlMinutes(minutes);
    setProblem(issue);
    if (!issue) onSave(Number(minutes) * 60);
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label className="field">
        <span>Keep answers for (minutes, 0 = until cleared)</span>
        <input inputMode="numeric" value={minutes} onChange={(e) => setMinutes(e.target.value)} aria-invalid={!!problem} />
      </label>
      <button type="submit" disabled={saving}>
        Save
      </button>
      {problem && <div className="field-error">{problem}</div>}
    </form>
  );
}
