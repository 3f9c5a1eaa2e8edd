import type { CacheEntry } from "../../api/types";
import { formatCount, formatTimestamp, formatUsd } from "../../lib/format";

export function EntriesTable({ entries, onInvalidate, busy }: { entries: CacheEntry[]; onInvalidate: (id: string) => void; busy: boolean }) {
  return (
    <table className="table entries">
      <thead>
        <tr>
          <th>Question</th>
          <th className="col-model">Model</th>
          <th className="num">Hits</th>
          <th className="num">Saved</th>
          <th className="col-time">Stored</th>
          <th className="col-time">Expires</th>
          <th className="col-action" aria-label="Actions" />
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id}>
            <td className="question">
              <span className="text" title={e.question ?? undefined}>{e.question}</span>
              {!e.semantic && <span className="badge muted" title="Not embedded: only the identical request is answered with it">identical requests only</span>}
            </td>
            <td title={`${e.provider}/${e.model}`}>{e.model_requested}</td>
            <td className="num">{formatCount(e.hits)}</td>
            <td className="num">{formatUsd(e.saved_usd)}</td>
            <td>{formatTimestamp(e.created_at)}</td>
            <td>{e.expires_at ? formatTimestamp(e.expires_at) : "never"}</td>
            <td>
              <button className="ghost small" onClick={() => onInvalidate(e.id)} disabled={busy} title="Remove this answer and count it as wrong">
                Wrong answer
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
