import { diffWords } from "diff";
import { useState } from "react";

/** Two answers word by word: what the second leaves out (struck) and adds (underlined). */
export function Diff({ answers }: { answers: Record<string, string> }) {
  const names = Object.keys(answers);
  const [pair, setPair] = useState<[string, string]>([names[0], names[1]]);
  const [a, b] = pair.map((p, i) => (names.includes(p) ? p : names[i]));
  const pick = (i: 0 | 1) => (e: { target: { value: string } }) => setPair(i === 0 ? [e.target.value, b] : [a, e.target.value]);
  const parts = diffWords(answers[a] ?? "", answers[b] ?? "");
  return (
    <section className="card diff" aria-label="Diff">
      <div className="row">
        <strong>Diff</strong>
        {[a, b].map((value, i) => (
          <select key={i} aria-label={i === 0 ? "Diff from" : "Diff to"} value={value} onChange={pick(i as 0 | 1)}>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        ))}
      </div>
      <div className="answer" data-testid="diff">
        {parts.map((p, i) => (p.added ? <ins key={i}>{p.value}</ins> : p.removed ? <del key={i}>{p.value}</del> : <span key={i}>{p.value}</span>))}
      </div>
    </section>
  );
}
