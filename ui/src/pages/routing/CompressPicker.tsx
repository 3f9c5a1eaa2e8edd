import type { CompressPolicy } from "../../api/types";

const LEVERS = {
  default: "as in the config ([compress])",
  off: "off",
  retrieval: "long system prompts",
  pruning: "old turns",
  both: "long system prompts and old turns",
} as const;

type Levers = keyof typeof LEVERS;

function leversOf(c: CompressPolicy | undefined): Levers {
  if (!c) return "default";
  if (c.retrieval && c.pruning) return "both";
  return c.retrieval ? "retrieval" : c.pruning ? "pruning" : "off";
}

/** A rule's compression: which levers, and the share of tokens kept. Other settings stay. */
export function CompressPicker({ value, onChange }: { value: CompressPolicy | undefined; onChange: (c: CompressPolicy | undefined) => void }) {
  const levers = leversOf(value);
  // A lever that is off is left out, as the server writes it back.
  const on = (yes: boolean) => (yes ? true : undefined);
  const pick = (l: Levers) => (l === "default" ? onChange(undefined) : onChange({ ...value, retrieval: on(l === "retrieval" || l === "both"), pruning: on(l === "pruning" || l === "both") }));
  return (
    <>
      <label className="field">
        <span>Compression</span>
        <select aria-label="Compression" value={levers} onChange={(e) => pick(e.target.value as Levers)}>
          {Object.entries(LEVERS).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {levers !== "default" && levers !== "off" && (
        <label className="field">
          <span>Keep (% of tokens)</span>
          <input
            aria-label="Compression keeps"
            type="number"
            min={1}
            max={100}
            placeholder="25"
            value={value?.ratio === undefined ? "" : Math.round(value.ratio * 1000) / 10}
            onChange={(e) => onChange({ ...value, ratio: e.target.value === "" ? undefined : Number(e.target.value) / 100 })}
          />
        </label>
      )}
    </>
  );
}
