import type { SuiteProblem } from "../../api/types";

/** Cases that cannot run, each with its line (or item), case and field. */
export function Problems({ problems, what }: { problems: SuiteProblem[]; what: string }) {
  if (problems.length === 0) return null;
  return (
    <ul className="problems" aria-label={`Cases ${what}`}>
      {problems.map((p) => (
        <li key={`${p.line}-${p.case}`}>
          Line {p.line}, case <code>{p.case}</code>, {p.field}: {p.message} ({what})
        </li>
      ))}
    </ul>
  );
}
