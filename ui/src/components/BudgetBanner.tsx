import { useBudgets } from "../api/hooks";
import { formatUsd } from "../lib/format";

/** Budgets past 80 % (or used up), above every page. */
export function BudgetBanner() {
  const budgets = useBudgets();
  const alarming = (budgets.data ?? []).filter((b) => b.state !== "ok");
  if (alarming.length === 0) return null;
  return (
    <div className={alarming.some((b) => b.state === "exceeded") ? "error" : "warning"} role="status" aria-label="Budgets">
      {alarming.map((b) => (
        <div key={b.name}>
          <strong>Budget {b.name}</strong>: {formatUsd(b.spent_usd)} of {formatUsd(b.usd)} {b.period === "day" ? "today" : "this month"} ({Math.round(b.share * 100)} %).{" "}
          {b.state === "exceeded" ? (b.on_exceed === "reject" ? "Requests it covers are refused." : "Requests it covers go to the next rule.") : "It acts at 100 %."}{" "}
          <a href="#/routing">Routing</a>
        </div>
      ))}
    </div>
  );
}
