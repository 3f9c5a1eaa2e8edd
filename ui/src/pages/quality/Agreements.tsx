import { useState } from "react";
import type { Agreement, QualityOverview } from "../../api/types";
import { formatUsd } from "../../lib/format";

const GROUPS = { rules: "By rule", targets: "By target", partitions: "By cache partition" } as const;
type Group = keyof typeof GROUPS;

const pct = (x: number) => `${Math.round(x * 100)} %`;

/** Agreement with the reference per rule, target or cache partition, with its 95 % interval. */
export function Agreements({ overview }: { overview: QualityOverview }) {
  const [group, setGroup] = useState<Group>("rules");
  const rows = overview[group];
  return (
    <section className="card" aria-label="Agreement">
      <div className="row between">
        <h2>Agreement with the reference</h2>
        <div className="tabs" role="tablist" aria-label="Group by">
          {(Object.keys(GROUPS) as Group[]).map((g) => (
            <button key={g} role="tab" aria-selected={g === group} className={g === group ? "active" : undefined} onClick={() => setGroup(g)}>
              {GROUPS[g]}
            </button>
          ))}
        </div>
      </div>
      {rows.length === 0 ? (
        <p className="muted">No verdicts in the last {overview.days} days. Checked answers show here as the judge grades them.</p>
      ) : (
        <div className="grid-scroll">
          <table className="table agreements">
            <thead>
              <tr>
                <th className="name">{group === "rules" ? "Rule" : group === "targets" ? "Target" : "Partition"}</th>
                <th className="num">Agree</th>
                <th className="wide">95 % interval</th>
                <th className="num">Verdicts</th>
                <th className="num">Saved</th>
                <th className="num">Checks cost</th>
                {group === "partitions" && <th className="num">Threshold</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <Row key={a.name} a={a} floor={overview.config.floor} partition={group === "partitions"} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Row({ a, floor, partition }: { a: Agreement; floor: number; partition: boolean }) {
  const name = partition ? `${a.rule ?? "?"} · ${a.name.slice(0, 8)}` : a.name;
  return (
    <tr className={a.alert ? "alert" : undefined}>
      <td className="ellipsis" title={partition ? `partition ${a.name} of rule ${a.rule}` : a.name}>
        {name} {a.alert && <span className="badge bad">below floor</span>}
      </td>
      <td className="num">{a.rate === null ? "—" : pct(a.rate)}</td>
      <td>
        <Interval a={a} floor={floor} />
      </td>
      <td className="num" title={`${a.agree} agree, ${a.disagree} disagree, ${a.unknown} unknown`}>
        {a.agree}/{a.agree + a.disagree}
        {a.unknown > 0 && <span className="muted"> +{a.unknown}?</span>}
      </td>
      <td className="num">{formatUsd(a.saved_usd)}</td>
      <td className="num">{formatUsd(a.cost_usd)}</td>
      {partition && <td className="num">{a.threshold == null ? "as set" : a.threshold.toFixed(3)}</td>}
    </tr>
  );
}

/** The interval as a bar on 0–100 %, the rate as a tick and the floor as a line. */
function Interval({ a, floor }: { a: Agreement; floor: number }) {
  return (
    <div className="interval" aria-label={`${pct(a.low)} to ${pct(a.high)}`} title={`${pct(a.low)}–${pct(a.high)}`}>
      <div className="track">
        <div className="range" style={{ left: `${a.low * 100}%`, width: `${(a.high - a.low) * 100}%` }} />
        {a.rate !== null && <div className="tick" style={{ left: `${a.rate * 100}%` }} />}
        <div className="floor" style={{ left: `${floor * 100}%` }} />
      </div>
      <span className="small muted">
        {pct(a.low)}–{pct(a.high)}
      </span>
    </div>
  );
}
