import { useState, type FormEvent } from "react";
import { useSetKey } from "../../api/hooks";
import type { Preset, ProviderConfig } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { checkBaseUrl, checkKey, checkProviderId } from "../../lib/validate";

const CUSTOM = "custom";

interface Props {
  presets: Preset[];
  taken: string[];
  keychainAvailable: boolean;
  onAdd: (provider: ProviderConfig, then: () => void) => void;
  busy: boolean;
}

export function AddProvider({ presets, taken, keychainAvailable, onAdd, busy }: Props) {
  const [choice, setChoice] = useState(presets[0]?.id ?? CUSTOM);
  const [id, setId] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const [key, setKey] = useState("");
  const [problems, setProblems] = useState<Record<string, string | null>>({});
  const setKeyMutation = useSetKey();

  const preset = presets.find((p) => p.id === choice);
  const custom = !preset;
  const wantsKey = keychainAvailable && (custom || preset.key_env !== null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = {
      id: custom ? checkProviderId(id.trim(), taken) : null,
      base_url: custom ? checkBaseUrl(baseUrl.trim()) : null,
      key: wantsKey && key ? checkKey(key) : null,
    };
    setProblems(found);
    if (Object.values(found).some(Boolean)) return;
    const provider: ProviderConfig = custom ? { id: id.trim(), kind: "openai-compatible", base_url: baseUrl.trim() } : { id: preset.id };
    onAdd(provider, () => {
      if (wantsKey && key) setKeyMutation.mutate({ provider: provider.id, key: key.trim() }, { onSuccess: () => setKey("") });
      setId("");
      setBaseUrl("");
      setChoice(presets.find((p) => p.id !== provider.id)?.id ?? CUSTOM);
    });
  };

  return (
    <form className="card" onSubmit={submit} aria-label="Add a provider" noValidate>
      <h2>Add a provider</h2>
      <label className="field">
        <span>Service</span>
        <select value={choice} onChange={(e) => setChoice(e.target.value)}>
          {presets.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
          <option value={CUSTOM}>Other OpenAI-compatible endpoint…</option>
        </select>
      </label>
      {custom && (
        <>
          <label className="field">
            <span>Id</span>
            <input value={id} placeholder="my-llm" onChange={(e) => setId(e.target.value)} aria-invalid={!!problems.id} />
          </label>
          {problems.id && <div className="field-error">{problems.id}</div>}
          <label className="field">
            <span>Base URL</span>
            <input value={baseUrl} placeholder="https://api.example.com/v1" onChange={(e) => setBaseUrl(e.target.value)} aria-invalid={!!problems.base_url} />
          </label>
          {problems.base_url && <div className="field-error">{problems.base_url}</div>}
        </>
      )}
      {wantsKey && (
        <>
          <label className="field">
            <span>API key (optional now)</span>
            <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} aria-invalid={!!problems.key} />
          </label>
          {problems.key && <div className="field-error">{problems.key}</div>}
        </>
      )}
      <ErrorBox error={setKeyMutation.error} title="Provider added, but the key was not saved:" />
      <button type="submit" className="primary" disabled={busy}>
        Add provider
      </button>
    </form>
  );
}
