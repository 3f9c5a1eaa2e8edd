import { useConfig, useInfo, useKeys, useSaveConfig } from "../api/hooks";
import type { Config, KeyInfo, Preset, ProviderConfig } from "../api/types";
import { ErrorBox } from "../components/ErrorBox";
import { AddProvider } from "./providers/AddProvider";
import { ProviderCard } from "./providers/ProviderCard";

export function Providers() {
  const config = useConfig();
  const keys = useKeys();
  const info = useInfo();
  const save = useSaveConfig();

  if (!config.data || !info.data) return <ErrorBox error={config.error ?? info.error} />;
  const current = config.data.config;
  const presets = info.data.presets;
  const keychain = info.data.keychain;

  const update = (providers: ProviderConfig[], then?: () => void) => save.mutate({ ...current, providers } as Config, { onSuccess: then });

  return (
    <>
      {!keychain.available && (
        <div className="warning" role="status">
          <strong>The system keychain is not available</strong> ({keychain.problem}). Sluice cannot save keys here. Set each provider's key in its environment variable (shown below) before starting Sluice instead; Sluice never writes keys to a file.
        </div>
      )}
      <ErrorBox error={save.error} title="Could not save:" />
      {current.providers.length === 0 && <p className="muted">No providers yet. Add one below: pick a known service or any OpenAI-compatible endpoint.</p>}
      {current.providers.map((p, i) => (
        <ProviderCard
          key={p.id}
          provider={p}
          preset={presets.find((x) => x.id === p.id)}
          keyInfo={keys.data?.find((k: KeyInfo) => k.provider === p.id)}
          keychainAvailable={keychain.available}
          onChange={(next) => update(current.providers.map((q, j) => (j === i ? next : q)))}
          onRemove={() => update(current.providers.filter((_, j) => j !== i))}
          busy={save.isPending}
        />
      ))}
      <AddProvider presets={presets.filter((p: Preset) => !current.providers.some((q) => q.id === p.id))} taken={current.providers.map((p) => p.id)} keychainAvailable={keychain.available} onAdd={(p, then) => update([...current.providers, p], then)} busy={save.isPending} />
    </>
  );
}
