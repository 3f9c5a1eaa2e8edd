import { useState } from "react";
import { useCacheEntries, useCacheStatus, useClearCache, useInvalidateEntry } from "../api/hooks";
import { ErrorBox } from "../components/ErrorBox";
import { Stat } from "../components/Stat";
import { formatCount } from "../lib/format";
import { EntriesTable } from "./cache/EntriesTable";
import { ModelStatusLine } from "./cache/ModelStatusLine";
import { RouteCacheSettings } from "./cache/RouteCacheSettings";

export function Cache() {
  const [search, setSearch] = useState("");
  const status = useCacheStatus();
  const entries = useCacheEntries(search.trim());
  const invalidate = useInvalidateEntry();
  const clear = useClearCache();
  const s = status.data;

  const clearAll = () => {
    if (window.confirm("Remove every cached answer? Requests will go upstream until the cache fills again.")) clear.mutate();
  };

  return (
    <>
      <section className="card">
        <h2>Semantic caching</h2>
        <ErrorBox error={status.error} />
        {s && <ModelStatusLine model={s.model} />}
        {s && (
          <div className="stats four">
            <Stat label="Entries" value={formatCount(s.entries)} />
            <Stat label="Semantic hits" value={formatCount(s.semantic_hits)} hint="near-duplicates answered" />
            <Stat label="Likely wrong" value={formatCount(s.likely_wrong_hits)} hint="retried at once with no-cache" />
            <Stat label="Marked wrong" value={formatCount(s.invalidated)} hint="removed as wrong answers" />
          </div>
        )}
      </section>
      <RouteCacheSettings />
      <section className="card">
        <div className="row between">
          <h2>Cached answers</h2>
          <button className="danger" onClick={clearAll} disabled={clear.isPending || !s?.entries}>
            Clear cache
          </button>
        </div>
        <input type="search" aria-label="Search questions" placeholder="Search questions…" value={search} onChange={(e) => setSearch(e.target.value)} />
        <ErrorBox error={entries.error ?? invalidate.error ?? clear.error} />
        {entries.data && entries.data.length === 0 ? (
          <p className="muted">{search.trim() ? "No cached question matches." : "Nothing cached yet. Answers are kept as requests go through."}</p>
        ) : (
          <EntriesTable entries={entries.data ?? []} onInvalidate={(id) => invalidate.mutate({ id })} busy={invalidate.isPending} />
        )}
      </section>
    </>
  );
}
