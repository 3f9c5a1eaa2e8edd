// A browser reaching `sluice serve` signs in with the local token; the desktop window never
// sees this page.

import { useState, type FormEvent } from "react";
import { createClient } from "../api/client";

export function SignIn({ error, onSignedIn }: { error: string | null; onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | null>(error);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setProblem("Paste the token first.");
    setBusy(true);
    try {
      await createClient({ origin: "", token: t })("/api/info");
      onSignedIn(t);
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="center-page">
      <form className="card narrow" onSubmit={submit}>
        <h1>Sign in to Sluice</h1>
        <p className="muted">
          Paste the local token. It is in the file <code>token</code> in Sluice's data folder (<code>sluice serve</code> prints where at start-up), unless <code>SLUICE_TOKEN</code> sets it.
        </p>
        <label className="field">
          <span>Token</span>
          <input type="password" autoFocus autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} aria-invalid={!!problem} />
        </label>
        {problem && <div className="error" role="alert">{problem}</div>}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
