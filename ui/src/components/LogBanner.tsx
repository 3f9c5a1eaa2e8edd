import { useHealth } from "../api/hooks";

/** Above every page while the request log is degraded: what is wrong, and that requests are
 * still answered (the message from the gateway says where this run's log is kept). */
export function LogBanner() {
  const problem = useHealth().data?.log.problem;
  if (!problem) return null;
  return (
    <div className="error" role="alert" aria-label="Request log">
      <strong>The request log is degraded.</strong> {problem.charAt(0).toUpperCase() + problem.slice(1)}.
    </div>
  );
}
