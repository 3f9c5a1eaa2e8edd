import { useConfig, useInfo, useSaveConfig, useSetPaused } from "../api/hooks";
import type { Config } from "../api/types";
import { isDesktop } from "../api/connection";
import { ErrorBox } from "../components/ErrorBox";
import { Switch } from "../components/Switch";
import { TokenControls } from "../components/TokenControls";
import { DesktopSettings } from "./settings/DesktopSettings";
import { ListenForm } from "./settings/ListenForm";
import { TtlForm } from "./settings/TtlForm";

export function Settings() {
  const info = useInfo();
  const config = useConfig();
  const save = useSaveConfig();
  const pause = useSetPaused();

  if (!config.data || !info.data) return <ErrorBox error={config.error ?? info.error} />;
  const c = config.data.config;
  const change = (next: Partial<Config>) => save.mutate({ ...c, ...next });

  return (
    <>
      {config.data.reload_error && <div className="warning">The config file has an error and was not applied: {config.data.reload_error}</div>}
      <ErrorBox error={save.error ?? pause.error} title="Not saved:" />
      <section className="card">
        <h2>Proxy</h2>
        <Switch label="Proxy paused" hint="While paused, tools get an error and nothing is sent to providers." checked={info.data.paused} onChange={(p) => pause.mutate(p)} disabled={pause.isPending} />
        <ListenForm current={c.server.listen} onSave={(listen, saved) => save.mutate({ ...c, server: { ...c.server, listen } }, { onSuccess: (r) => saved(r.restart_required) })} saving={save.isPending} />
        <TokenControls />
      </section>
      <section className="card">
        <h2>Cache</h2>
        <Switch label="Answer repeated requests from the cache" checked={c.cache.exact} onChange={(exact) => change({ cache: { ...c.cache, exact } })} disabled={save.isPending} />
        <Switch
          label="Answer rephrased questions from the cache"
          hint="Uses a local embedding model; the similarity, per-route settings and cached answers are on the Cache page."
          checked={c.cache.semantic}
          onChange={(semantic) => change({ cache: { ...c.cache, semantic } })}
          disabled={save.isPending || !c.cache.exact}
        />
        <TtlForm seconds={c.cache.ttl_secs} onSave={(ttl_secs) => change({ cache: { ...c.cache, ttl_secs } })} saving={save.isPending} />
      </section>
      <section className="card">
        <h2>Request log</h2>
        <Switch
          label="Keep request and response bodies"
          hint="Bodies help you debug but hold your prompts and answers; they stay on this machine."
          checked={c.log.store_bodies}
          onChange={(store_bodies) => change({ log: { ...c.log, store_bodies } })}
          disabled={save.isPending}
        />
      </section>
      {isDesktop() && <DesktopSettings />}
      <section className="card">
        <h2>About</h2>
        <dl className="facts">
          <dt>Version</dt>
          <dd>{info.data.version}</dd>
          <dt>Data folder</dt>
          <dd><code>{info.data.data_dir}</code></dd>
          <dt>Config file</dt>
          <dd><code>{info.data.config_path}</code></dd>
          <dt>Keys</dt>
          <dd>{info.data.keychain.available ? "In the system keychain" : `Environment variables only (${info.data.keychain.problem})`}</dd>
        </dl>
      </section>
    </>
  );
}
