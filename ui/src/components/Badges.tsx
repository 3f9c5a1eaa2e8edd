export function CacheBadge({ cache }: { cache: string }) {
  const tone = cache.startsWith("hit") ? "ok" : cache === "bypass" ? "muted" : "plain";
  const label = cache === "hit-exact" ? "hit" : cache === "hit-semantic" ? "similar" : cache;
  return <span className={`badge ${tone}`} title={`x-sluice-cache: ${cache}`}>{label}</span>;
}

export function StatusBadge({ status }: { status: number }) {
  return <span className={`badge ${status >= 400 ? "bad" : "ok"}`}>{status === 499 ? "client left" : status}</span>;
}
