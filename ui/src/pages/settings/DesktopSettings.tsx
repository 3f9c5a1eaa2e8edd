// What only the desktop app can do: start at login, start minimized, update itself.

import { useEffect, useState } from "react";
import { desktop, type DesktopSettings as Settings, type UpdateStatus } from "../../api/connection";
import { ErrorBox } from "../../components/ErrorBox";
import { Switch } from "../../components/Switch";

export function DesktopSettings() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [update, setUpdate] = useState<UpdateStatus | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    desktop.settings().then(setSettings, setError);
  }, []);

  const change = (next: Settings) => {
    setError(null);
    desktop.saveSettings(next).then(setSettings, setError);
  };
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card">
      <h2>Desktop</h2>
      <ErrorBox error={error} />
      {settings && (
        <>
          <Switch label="Start Sluice when I log in" checked={settings.start_at_login} onChange={(on) => change({ ...settings, start_at_login: on })} />
          <Switch label="Start minimized to the tray" checked={settings.start_minimized} onChange={(on) => change({ ...settings, start_minimized: on })} />
        </>
      )}
      <div className="row">
        <button disabled={busy} onClick={() => run(async () => setUpdate(await desktop.checkUpdate()))}>
          Check for updates
        </button>
        {update && !update.available && <span className="muted small">Sluice {update.current} is the newest version.</span>}
        {update?.available && (
          <>
            <span>Version {update.version} is available.</span>
            <button className="primary" disabled={busy} onClick={() => run(desktop.installUpdate)}>
              Install and restart
            </button>
          </>
        )}
      </div>
    </section>
  );
}
