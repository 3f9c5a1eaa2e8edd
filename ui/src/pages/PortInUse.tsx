// The desktop app could not start its gateway (usually: the port is taken). Say so and offer
// a free port instead of a dead window.

import { useState } from "react";
import { desktop, type DesktopState } from "../api/connection";
import { checkListen } from "../lib/validate";

type Problem = Exclude<DesktopState, { state: "running" }>;

export function PortInUse({ state, onStarted }: { state: Problem; onStarted: (s: DesktopState) => void }) {
  const [listen, setListen] = useState(state.state === "port_in_use" ? state.suggestion : "127.0.0.1:8990");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const start = async () => {
    const problem = checkListen(listen);
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    try {
      const next = await desktop.start(listen);
      if (next.state === "running") onStarted(next);
      else setError(next.message);
    } catch (e) {
      setError(String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="center-page">
      <div className="card narrow">
        <h1>{state.state === "port_in_use" ? "The port is taken" : "Sluice could not start"}</h1>
        <p>{state.message}</p>
        <label className="field">
          <span>Listen on</span>
          <input value={listen} onChange={(e) => setListen(e.target.value)} aria-invalid={!!error} />
        </label>
        <p className="muted small">
          {state.state === "port_in_use" && !state.remembered ? "SLUICE_LISTEN sets the address, so this choice lasts until Sluice quits." : "Sluice remembers this address."} Point your tools at the new port afterwards (the Connect page shows it).
        </p>
        {error && <div className="error" role="alert">{error}</div>}
        <button className="primary" onClick={start} disabled={busy}>
          {busy ? "Starting…" : `Start on ${listen}`}
        </button>
      </div>
    </div>
  );
}
