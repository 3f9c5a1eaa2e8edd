import { useState } from "react";
import { useSuites } from "../api/hooks";
import { SuiteList } from "./suites/SuiteList";
import { SuiteView } from "./suites/SuiteView";

/** Prompt suites: the list on the left, the chosen one (cases, runs, results) beside it. */
export function Suites() {
  const suites = useSuites();
  const [chosen, setChosen] = useState<number | null>(null);
  const ids = (suites.data ?? []).map((s) => s.id);
  const selected = chosen !== null && ids.includes(chosen) ? chosen : (ids[0] ?? null);
  return (
    <div className="suites">
      <SuiteList selected={selected} onSelect={setChosen} />
      {selected !== null && <SuiteView key={selected} id={selected} />}
    </div>
  );
}
