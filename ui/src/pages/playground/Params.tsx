import type { Draft, ResponseFormat } from "../../lib/playground";
import { Switch } from "../../components/Switch";

/** Sampling, the answer's format (text, JSON, a JSON schema), tools, and the cache. */
export function Params({ draft, onChange }: { draft: Draft; onChange: (change: Partial<Draft>) => void }) {
  return (
    <>
      <div className="inline-form">
        <label className="field">
          <span>Temperature</span>
          <input aria-label="Temperature" type="number" step="0.1" value={draft.temperature} onChange={(e) => onChange({ temperature: e.target.value })} />
        </label>
        <label className="field">
          <span>Max tokens</span>
          <input aria-label="Max tokens" type="number" value={draft.maxTokens} onChange={(e) => onChange({ maxTokens: e.target.value })} />
        </label>
        <label className="field">
          <span>Answer format</span>
          <select aria-label="Answer format" value={draft.format} onChange={(e) => onChange({ format: e.target.value as ResponseFormat })}>
            <option value="text">text</option>
            <option value="json">JSON</option>
            <option value="schema">JSON schema</option>
          </select>
        </label>
        <Switch label="Use the cache" hint="Off: every run asks the model" checked={draft.cache} onChange={(cache) => onChange({ cache })} />
      </div>
      {draft.format === "schema" && (
        <label className="field">
          <span>JSON schema</span>
          <textarea aria-label="JSON schema" className="mono" rows={4} placeholder='{"type": "object", "properties": {"city": {"type": "string"}}}' value={draft.schema} onChange={(e) => onChange({ schema: e.target.value })} />
        </label>
      )}
      <details open={draft.tools !== ""}>
        <summary className="muted small">Tools (JSON)</summary>
        <textarea aria-label="Tools" className="mono" rows={4} placeholder='[{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]' value={draft.tools} onChange={(e) => onChange({ tools: e.target.value })} />
      </details>
    </>
  );
}
