import { useState } from "react";
import { useInfo, useSession } from "../api/hooks";
import { CodeBlock } from "../components/CodeBlock";
import { CopyField } from "../components/CopyField";
import { TokenControls } from "../components/TokenControls";
import { ErrorBox } from "../components/ErrorBox";
import { snippets } from "../lib/snippets";

export function Connect() {
  const info = useInfo();
  const { token } = useSession();
  const [tab, setTab] = useState("python");

  if (!info.data) return <ErrorBox error={info.error} />;
  const all = snippets(info.data.base_url, token);
  const shown = all.find((s) => s.id === tab) ?? all[0];

  return (
    <>
      <section className="card">
        <p>Point any OpenAI-compatible tool at this base URL, with the token as its API key. Your provider keys stay in Sluice.</p>
        <CopyField label="Base URL" value={info.data.base_url} />
        <TokenControls />
      </section>
      <section className="card">
        <h2>Set up a tool</h2>
        <div className="tabs" role="tablist" aria-label="Tools">
          {all.map((s) => (
            <button key={s.id} role="tab" aria-selected={s.id === shown.id} className={s.id === shown.id ? "active" : undefined} onClick={() => setTab(s.id)}>
              {s.label}
            </button>
          ))}
        </div>
        {shown.note && <p className="muted small">{shown.note}</p>}
        <CodeBlock code={shown.code} />
        <p className="muted small">
          Use a route name or <code>provider/model</code> (e.g. <code>openai/gpt-4o-mini</code>) as the model. Cursor sends requests from its own cloud, which cannot reach a server on your computer, so Cursor cannot use Sluice.
        </p>
      </section>
    </>
  );
}
