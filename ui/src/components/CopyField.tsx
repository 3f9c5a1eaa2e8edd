import { useState } from "react";

/** A value to copy into another tool; `secret` hides it until asked. */
export function CopyField({ label, value, secret = false }: { label: string; value: string; secret?: boolean }) {
  const [shown, setShown] = useState(!secret);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(value);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div className="copy-field">
      <span className="label">{label}</span>
      <code aria-label={label}>{shown ? value : "•".repeat(Math.min(value.length, 24))}</code>
      <span className="actions">
        {secret && (
          <button type="button" className="ghost" onClick={() => setShown(!shown)}>
            {shown ? "Hide" : "Show"}
          </button>
        )}
        <button type="button" onClick={copy}>
          {copied ? "Copied" : "Copy"}
        </button>
      </span>
    </div>
  );
}
