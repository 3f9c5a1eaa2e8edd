import { useState } from "react";
import { useQuality } from "../api/hooks";
import { ErrorBox } from "../components/ErrorBox";
import { Agreements } from "./quality/Agreements";
import { AgreementChart } from "./quality/AgreementChart";
import { Disagreements } from "./quality/Disagreements";
import { SamplingSettings } from "./quality/SamplingSettings";
import { ThresholdHistory } from "./quality/ThresholdHistory";

const PERIODS = [7, 30, 90] as const;

/** What each saving costs in quality: sampled answers judged against the reference. */
export function Quality() {
  const [days, setDays] = useState<number>(30);
  const quality = useQuality(days);
  const q = quality.data;
  return (
    <>
      <div className="toolbar">
        <div className="segmented" role="tablist" aria-label="Period">
          {PERIODS.map((d) => (
            <button key={d} role="tab" aria-selected={d === days} className={d === days ? "active" : undefined} onClick={() => setDays(d)}>
              {d} days
            </button>
          ))}
        </div>
      </div>
      <ErrorBox error={quality.error} />
      {q && (
        <>
          {q.alerts.map((a) => (
            <div className="warning" role="alert" key={a.rule}>
              Rule <strong>{a.rule}</strong> agrees with its reference {Math.round(a.rate * 100)} % of the time, under your floor of {Math.round(a.floor * 100)} %.
            </div>
          ))}
          <SamplingSettings overview={q} />
          <Agreements overview={q} />
          <AgreementChart series={q.series} />
          <Disagreements verdicts={q.disagreements} />
          <ThresholdHistory changes={q.changes} />
        </>
      )}
    </>
  );
}
