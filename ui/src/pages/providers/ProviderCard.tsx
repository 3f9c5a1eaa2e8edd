import { useState } from "react";
import { useRemoveKey, useTestProvider } from "../../api/hooks";
import type { KeyInfo, Preset, ProviderConfig } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { Switch } from "../../components/Switch";
import { formatMs } from "../../lib/format";
import { KeyForm } from "./KeyForm";

interface Props {
  provider: ProviderConfig;
  preset: Preset | undefined;
  keyInfo: KeyInfo | undefined;
  keychainAvailable: boolean;
  onChange: (next: ProviderConfig) => void;
  onRemove: () => void;
  busy: boolean;
}

export function ProviderCard({ provider, preset, keyInfo, keychainAvailable, onChange, onRemove, busy }: Props) {
  const enabled = provider.enabled !== false;
  const test = useTestProvider();
  const removeKey = useRemoveKey();
  const [editingKey, setEditingKey] = useState(false);
  const needsKey = preset ? preset.key_env !== null : true;

  return (
    <section className="card provider" aria-label={`Provider ${provider.id}`}>
      <header className="provider-head">
        <div>
          <h2>{preset?.name ?? provider.id}</h2>
          <div className="muted small">
            <code>{provider.id}</code> · {provider.base_url ?? preset?.base_url}
          </div>
        </div>
        <Switch label="Enabled" checked={enabled} disabled={busy} onChange={(on) => onChange({ ...provider, enabled: on })} />
      </header>

      <div className="row key-row">
        <KeyStatus info={keyInfo} needsKey={needsKey} />
        {keychainAvailable && !editingKey && (
          <button onClick={() => setEditingKey(true)}>{keyInfo?.source === "keychain" ? "Replace key" : "Add key"}</button>
        )}
        {keyInfo?.source === "keychain" && !editingKey && (
          <button className="ghost danger" disabled={removeKey.isPending} onClick={() => removeKey.mutate(provider.id)}>
            Remove key
          </button>
        )}
      </div>
      {editingKey && <KeyForm provider={provider.id} onDone={() => setEditingKey(false)} />}
      <ErrorBox error={removeKey.error} title="Could not remove the key:" />

      <div className="row">
        <button onClick={() => test.mutate(provider.id)} disabled={!enabled || test.isPending}>
          {test.isPending ? "Testing…" : "Test connection"}
        </button>
        <button
          className="ghost danger"
          disabled={busy}
          onClick={() => window.confirm(`Remove ${provider.id} from Sluice? Routes that use it must be changed first.`) && onRemove()}
        >
          Remove provider
        </button>
      </div>
      <ErrorBox error={test.error} />
      {test.data && <TestResult result={test.data} />}
    </section>
  );
}

function KeyStatus({ info, needsKey }: { info: KeyInfo | undefined; needsKey: boolean }) {
  if (!info) return <span className="muted">…</span>;
  if (info.set) {
    const where = info.source === "keychain" ? "in the keychain" : `from $${info.env_var}`;
    return (
      <span className="key-status" data-testid="key-status">
        Key set {info.last4 ? <code>••••{info.last4}</code> : null} <span className="muted">{where}</span>
      </span>
    );
  }
  return (
    <span className="key-status muted" data-testid="key-status">
      {needsKey ? `No key${info.env_var ? ` (nor $${info.env_var})` : ""}` : "No key needed"}
    </span>
  );
}

function TestResult({ result }: { result: import("../../api/types").ProviderTest }) {
  if (!result.ok) {
    return (
      <div className="error" role="alert">
        Failed after {formatMs(result.latency_ms)}: {result.error}
      </div>
    );
  }
  return (
    <div className="ok-box" role="status">
      Connected in {formatMs(result.latency_ms)}: {result.models.length} models.
      {result.models.length > 0 && <div className="models">{result.models.slice(0, 40).join(", ")}{result.models.length > 40 ? ", …" : ""}</div>}
    </div>
  );
}
