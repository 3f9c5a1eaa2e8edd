// Every read and change the UI makes, in one place. Lists the UI watches live refetch on an
// interval and keep showing the previous data while they do, so nothing jumps.

import { createContext, useContext } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Client } from "./client";
import type { BudgetState, CaseSpec, CacheEntry, CacheStatus, Config, ConfigResponse, Explanation, Health, Info, KeyInfo, ModelPrice, ProviderTest, QualityOverview, ThresholdChange, RequestDetail, RequestFilter, RequestRow, Rule, RuleStats, RunDetail, RunOptions, SuiteDetail, SuiteProblem, SuiteSummary, Usage } from "./types";
import { rangeStart, tzOffsetMinutes, type Range } from "../lib/series";

export interface Session {
  client: Client;
  origin: string;
  token: string;
  /** Called after the token changed (rotation), so later calls use the new one. */
  onToken: (token: string) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in session");
  return session;
}

const LIVE_MS = 2000;

export function useInfo() {
  const { client } = useSession();
  return useQuery({ queryKey: ["info"], queryFn: () => client<Info>("/api/info"), refetchInterval: 5000 });
}

export function useHealth() {
  const { client } = useSession();
  return useQuery({ queryKey: ["health"], queryFn: () => client<Health>("/api/health"), refetchInterval: 5000 });
}

export function useUsage(range: Range) {
  const { client } = useSession();
  return useQuery({
    queryKey: ["usage", range],
    queryFn: () => {
      const now = new Date();
      return client<Usage>(`/api/usage?since=${rangeStart(range, now)}&tz_offset_min=${tzOffsetMinutes(now)}`);
    },
    refetchInterval: LIVE_MS,
    placeholderData: keepPreviousData,
  });
}

export function useRequests(filter: RequestFilter) {
  const { client } = useSession();
  const params = new URLSearchParams({ limit: "200" });
  for (const [k, v] of Object.entries(filter)) if (v) params.set(k, v);
  return useQuery({
    queryKey: ["requests", filter],
    queryFn: () => client<{ requests: RequestRow[] }>(`/api/requests?${params}`).then((r) => r.requests),
    refetchInterval: LIVE_MS,
    placeholderData: keepPreviousData,
  });
}

/** Whether anything has gone through Sluice yet; asks until the answer is yes, then stops. */
export function useAnyRequests() {
  const { client } = useSession();
  return useQuery({
    queryKey: ["any-requests"],
    queryFn: () => client<{ requests: RequestRow[] }>("/api/requests?limit=1").then((r) => r.requests.length > 0),
    refetchInterval: (query) => (query.state.data ? false : LIVE_MS),
  });
}

export function useRequestDetail(id: string | null) {
  const { client } = useSession();
  return useQuery({ queryKey: ["request", id], queryFn: () => client<RequestDetail>(`/api/requests/${encodeURIComponent(id!)}`), enabled: !!id });
}

export function useCacheStatus() {
  const { client } = useSession();
  return useQuery({
    queryKey: ["cache-status"],
    queryFn: () => client<CacheStatus>("/api/cache/status"),
    // Fast while the model arrives, so progress moves and "ready" shows up promptly.
    refetchInterval: (query) => (["loading", "downloading"].includes(query.state.data?.model.state ?? "") ? 300 : LIVE_MS),
  });
}

export function useCacheEntries(search: string) {
  const { client } = useSession();
  return useQuery({
    queryKey: ["cache-entries", search],
    queryFn: () => client<{ entries: CacheEntry[] }>(`/api/cache?${new URLSearchParams({ q: search, limit: "200" })}`).then((r) => r.entries),
    refetchInterval: LIVE_MS,
    placeholderData: keepPreviousData,
  });
}

/** `live` polls, so a hand edit of the config file shows up on a page that is open. */
export function useConfig(live = false) {
  const { client } = useSession();
  return useQuery({ queryKey: ["config"], queryFn: () => client<ConfigResponse>("/api/config"), refetchInterval: live ? LIVE_MS : false });
}

export function useKeys() {
  const { client } = useSession();
  return useQuery({ queryKey: ["keys"], queryFn: () => client<KeyInfo[]>("/api/keys") });
}

/** A change that, once done, refreshes what it affects. */
function useChange<A, R>(run: (client: Client, args: A) => Promise<R>, refresh: string[][]) {
  const { client } = useSession();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (args: A) => run(client, args),
    onSuccess: () => Promise.all(refresh.map((queryKey) => queries.invalidateQueries({ queryKey }))),
  });
}

export function useSaveConfig() {
  return useChange((client, config: Config) => client<{ saved: boolean; restart_required: boolean }>("/api/config", { method: "PUT", body: { config } }), [["config"], ["keys"], ["info"], ["budgets"]]);
}

export function useSetKey() {
  return useChange((client, { provider, key }: { provider: string; key: string }) => client(`/api/keys/${encodeURIComponent(provider)}`, { method: "PUT", body: { key } }), [["keys"]]);
}

export function useRemoveKey() {
  return useChange((client, provider: string) => client(`/api/keys/${encodeURIComponent(provider)}`, { method: "DELETE" }), [["keys"]]);
}

export function useTestProvider() {
  return useChange((client, provider: string) => client<ProviderTest>(`/api/providers/${encodeURIComponent(provider)}/test`, { method: "POST" }), []);
}

const CACHE_VIEWS = [["cache-entries"], ["cache-status"], ["request"]];

/** Removes an entry whose answer was wrong (and counts it). */
export function useInvalidateEntry() {
  return useChange(
    (client, { id, requestId }: { id: string; requestId?: string }) => client(`/api/cache/${encodeURIComponent(id)}/invalidate`, { method: "POST", body: { request_id: requestId } }),
    CACHE_VIEWS,
  );
}

/** Downloads the embedding model, or imports it from a folder (`from`). */
export function useFetchModel() {
  return useChange((client, from: string | undefined) => client("/api/cache/model", { method: "POST", body: { from } }), [["cache-status"]]);
}

export function useClearCache() {
  return useChange((client, _: void) => client<{ removed: number }>("/api/cache", { method: "DELETE" }), CACHE_VIEWS);
}

export function useSetPaused() {
  return useChange((client, paused: boolean) => client("/api/proxy", { method: "PUT", body: { paused } }), [["info"]]);
}

export function useRotateToken() {
  const { onToken } = useSession();
  const change = useChange((client, _: void) => client<{ token: string }>("/api/token/rotate", { method: "POST" }), []);
  return { ...change, mutate: () => change.mutate(undefined, { onSuccess: (r) => onToken(r.token) }) };
}

export function useBudgets() {
  const { client } = useSession();
  return useQuery({ queryKey: ["budgets"], queryFn: () => client<{ budgets: BudgetState[] }>("/api/budgets").then((r) => r.budgets), refetchInterval: LIVE_MS });
}

export function useRuleStats(days: number) {
  const { client } = useSession();
  return useQuery({
    queryKey: ["rule-stats", days],
    queryFn: () => client<{ rules: RuleStats[] }>(`/api/rules/stats?days=${days}`).then((r) => r.rules),
    refetchInterval: LIVE_MS,
    placeholderData: keepPreviousData,
  });
}

export function useModelPrices() {
  const { client } = useSession();
  return useQuery({ queryKey: ["model-prices"], queryFn: () => client<{ models: ModelPrice[] }>("/api/models").then((r) => r.models), staleTime: 60_000 });
}

/** The difficulty scores of recent requests, for the share a threshold would send. */
export function useRecentDifficulty() {
  const { client } = useSession();
  return useQuery({
    queryKey: ["recent-difficulty"],
    queryFn: () => client<{ requests: RequestRow[] }>("/api/requests?limit=1000").then((r) => r.requests.map((x) => x.difficulty).filter((d): d is number => d !== null)),
    staleTime: 10_000,
  });
}

export interface ExplainAsk {
  request: unknown;
  api?: string;
  headers?: Record<string, string>;
  rules?: Rule[];
}

/** "Why this route" for a request, on the rules being edited (unsaved). */
export function useExplain() {
  return useChange((client, ask: ExplainAsk) => client<Explanation>("/api/route/explain", { method: "POST", body: ask }), []);
}

export function useSuites() {
  const { client } = useSession();
  return useQuery({ queryKey: ["suites"], queryFn: () => client<{ suites: SuiteSummary[] }>("/api/suites").then((r) => r.suites), refetchInterval: LIVE_MS });
}

export function useSuite(id: number | null) {
  const { client } = useSession();
  return useQuery({ queryKey: ["suite", id], queryFn: () => client<SuiteDetail>(`/api/suites/${id}`), enabled: id !== null, refetchInterval: LIVE_MS });
}

/** A run, followed closely while it runs. */
export function useRun(id: number | null) {
  const { client } = useSession();
  return useQuery({
    queryKey: ["run", id],
    queryFn: () => client<RunDetail>(`/api/runs/${id}`),
    enabled: id !== null,
    refetchInterval: (query) => (query.state.data?.state === "running" ? 400 : false),
  });
}

const SUITE_VIEWS = [["suites"], ["suite"]];

export type NewSuite = { name: string; cases?: CaseSpec[] } | { name: string; text: string; format: "jsonl" | "yaml" };

export function useCreateSuite() {
  return useChange((client, body: NewSuite) => client<{ id: number; cases: number; problems: SuiteProblem[] }>("/api/suites", { method: "POST", body }), SUITE_VIEWS);
}

export function useSaveSuite() {
  return useChange((client, { id, name, cases }: { id: number; name: string; cases: CaseSpec[] }) => client(`/api/suites/${id}`, { method: "PUT", body: { name, cases } }), SUITE_VIEWS);
}

export function useDeleteSuite() {
  return useChange((client, id: number) => client(`/api/suites/${id}`, { method: "DELETE" }), SUITE_VIEWS);
}

/** Appends a case made from a logged request, or given (the Playground's). */
export function useAddCase() {
  return useChange(
    (client, { suite, ...body }: { suite: number; from_request?: string; case?: CaseSpec }) => client<{ case: CaseSpec }>(`/api/suites/${suite}/cases`, { method: "POST", body }),
    SUITE_VIEWS,
  );
}

export function useStartRun() {
  return useChange(
    (client, { suite, ...options }: { suite: number } & Partial<RunOptions>) => client<{ id: number }>(`/api/suites/${suite}/runs`, { method: "POST", body: options }),
    SUITE_VIEWS,
  );
}

/** Cancel or resume a run. */
export function useRunAction() {
  return useChange((client, { run, action }: { run: number; action: "cancel" | "resume" }) => client(`/api/runs/${run}/${action}`, { method: "POST" }), [...SUITE_VIEWS, ["run"]]);
}

export function useMakeRule() {
  return useChange((client, run: number) => client<{ rule: string }>(`/api/runs/${run}/rule`, { method: "POST" }), [["config"]]);
}

/** Says whether an answer was right; a wrong one from the cache leaves the cache. */
export function useFeedback() {
  return useChange(
    (client, { id, verdict }: { id: string; verdict: "good" | "bad" }) => client<{ removed_cache_entry: string | null }>(`/api/requests/${encodeURIComponent(id)}/feedback`, { method: "POST", body: { verdict } }),
    [["request"], ...CACHE_VIEWS],
  );
}

export function useQuality(days: number) {
  const { client } = useSession();
  return useQuery({ queryKey: ["quality", days], queryFn: () => client<QualityOverview>(`/api/quality?days=${days}`), refetchInterval: LIVE_MS, placeholderData: keepPreviousData });
}

export function useUndoThresholdChange() {
  return useChange((client, id: number) => client<ThresholdChange>(`/api/quality/changes/${id}/undo`, { method: "POST" }), [["quality"]]);
}
