import { useUndoThresholdChange } from "../../api/hooks";
import type { ThresholdChange } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { formatTimestamp } from "../../lib/format";

/** Every move verdicts made to a partition's threshold, newest first; each can be undone. */
export function ThresholdHistory({ changes }: { changes: ThresholdChange[] }) {
  const undo = useUndoThresholdChange();
  return (
    <section className="card" aria-label="Threshold history">
      <h2>Threshold changes</h2>
      <ErrorBox error={undo.error} title="Not undone:" />
      {changes.length === 0 ? (
        <p className="muted">No threshold has moved. A wrong semantic hit raises its partition's; a run of agreements lowers it.</p>
      ) : (
        <table className="table changes">
          <thead>
            <tr>
              <th className="col-num">#</th>
              <th className="col-time">When</th>
              <th className="partition">Partition</th>
              <th className="num">From</th>
              <th className="num">To</th>
              <th className="wide">Why</th>
              <th className="col-action" />
            </tr>
          </thead>
          <tbody>
            {changes.map((c) => (
              <tr key={c.id} className={c.undone ? "undone" : undefined}>
                <td className="col-num">{c.id}</td>
                <td className="col-time">{formatTimestamp(c.ts)}</td>
                <td className="ellipsis" title={c.partition}>
                  {c.rule} · {c.partition.slice(0, 8)}
                </td>
                <td className="num">{c.from.toFixed(3)}</td>
                <td className="num">{c.to.toFixed(3)}</td>
                <td className="ellipsis" title={c.reason}>
                  {c.reason}
                </td>
                <td className="col-action">
                  {c.undone ? (
                    <span className="muted small">undone</span>
                  ) : c.undoes === null ? (
                    <button className="ghost" onClick={() => undo.mutate(c.id)} disabled={undo.isPending} aria-label={`Undo change ${c.id}`}>
                      Undo
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
