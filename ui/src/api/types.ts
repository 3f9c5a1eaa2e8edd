// The admin API's shapes (crates/gateway/src/server/admin).

export interface Preset {
  id: string;
  name: string;
  kind: string;
  base_url: string;
  key_env: string | null;
}

export interface Info {
  version: string;
  listen: string;
  base_url: string;
  data_dir: string;
  config_path: string;
  token_fixed: boolean;
  paused: boolean;
  keychain: { available: boolean; service: string | null; problem: string | null };
  presets: Preset[];
}

/** `GET /api/health`: the request log's state (the targets' is read by the Routing page). */
export interface Health {
  log: { ok: boolean; problem: string | null };
}

export interface UsageTotals {
  requests: number;
  cache_hits: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  saved_usd: number;
  p50_ms: number | null;
  p95_ms: number | null;
  /** Compression, counted apart from caching and routing. */
  compressed_requests: number;
  compressed_tokens_saved: number;
  compressed_saved_usd: number;
}

export interface ModelUsage {
  provider: string | null;
  model: string | null;
  requests: number;
  cache_hits: number;
  tokens: number;
  cost_usd: number;
  saved_usd: number;
}

export interface Usage {
  since: number;
  totals: UsageTotals;
  days: import("../lib/series").DayUsage[];
  by_model: ModelUsage[];
}

export interface RequestRow {
  id: string;
  ts: number;
  model_requested: string;
  provider: string | null;
  model: string | null;
  cache: string;
  status: number;
  latency_ms: number;
  ttft_ms: number | null;
  stream: boolean;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  cache_write_tokens: number | null;
  tokens_estimated: boolean;
  cost_usd: number | null;
  saved_usd: number | null;
  error: string | null;
  /** The API the client called: openai-chat, openai-responses, anthropic-messages, gemini. */
  client_api: string;
  /** The rule that decided the request (`default`: none, the model name alone). */
  rule: string;
  /** The difficulty router's score, when a rule asked for it. */
  difficulty: number | null;
  /** Comma-separated: x-sluice-tags and the rule's tags. */
  tags: string | null;
}

export interface RequestDetail extends RequestRow {
  attempts: { provider: string; model: string; status: number | null; error: string | null; latency_ms: number }[];
  request_body: string | null;
  response_body: string | null;
  /** The cache entry that answered (hit-exact or hit-semantic). */
  cache_entry: string | null;
  question: string | null;
  matched_question: string | null;
  /** What a target of another API answered without (e.g. "thinking, top_k"). */
  left_out: string | null;
  compressed: Compressed | null;
  /** Why compression, switched on, left the request as it was. */
  compress_note: string | null;
  feedback: { verdict: "good" | "bad"; note: string | null; ts: number } | null;
}

export interface Compressed {
  /** Input tokens before and after. */
  before: number;
  after: number;
  levers: string[];
  /** The beginnings of the parts kept and dropped. */
  kept: string[];
  dropped: string[];
  /** Input cost as it was and compressed, when the target has a price. */
  usd?: [number, number];
}

export type ModelStatus =
  | { state: "off" }
  | { state: "missing" | "loading" | "ready"; dir: string }
  | { state: "downloading"; dir: string; done: number; total: number }
  | { state: "failed"; dir: string; error: string }
  | { state: "remote"; embedder: string }
  | { state: "unavailable"; embedder: string; error: string };

export interface CacheStatus {
  model: ModelStatus;
  entries: number;
  semantic_hits: number;
  likely_wrong_hits: number;
  invalidated: number;
}

export interface CacheEntry {
  id: string;
  /** The text it was embedded with, or (identical requests only) the last user turn. */
  question: string | null;
  /** Whether rephrasings may be answered with it. */
  semantic: boolean;
  model_requested: string;
  provider: string;
  model: string;
  created_at: number;
  expires_at: number | null;
  hits: number;
  last_hit_at: number | null;
  saved_usd: number;
}

export interface RouteCache {
  exact?: boolean;
  semantic?: boolean;
  threshold?: number;
  ttl_secs?: number;
}

export interface ProviderConfig {
  id: string;
  kind?: string;
  base_url?: string;
  api_key_env?: string;
  enabled?: boolean;
  models?: string[];
}

export interface Range {
  min?: number;
  max?: number;
}

/** A rule's conditions, as in the config (`[[rules]] when`). */
export interface When {
  model?: string;
  client_api?: string;
  client?: string;
  tags?: string[];
  input_tokens?: Range;
  tools?: boolean;
  images?: boolean;
  json_schema?: boolean;
  stream?: boolean;
  text?: { contains?: string[]; regex?: string; in?: "user" | "system" | "any" };
  difficulty?: Range;
  intent?: string;
  time?: { from: string; to: string };
  budget?: { name: string; min?: number; max?: number };
  all?: When[];
  any?: When[];
  not?: When;
}

/** `[compress]`, or a rule's own. */
export interface CompressPolicy {
  retrieval?: boolean;
  pruning?: boolean;
  ratio?: number;
  max_tokens?: number;
  min_tokens?: number;
  recent_messages?: number;
  with_tools?: boolean;
  summary_model?: string;
  summary_timeout_secs?: number;
}

export interface Then {
  targets?: string[];
  max_tokens?: number;
  temperature?: number;
  cache?: RouteCache;
  compress?: CompressPolicy;
  timeout_secs?: number;
  reject?: string;
  tags?: string[];
}

export interface Rule {
  name: string;
  enabled?: boolean;
  when: When;
  then: Then;
}

export interface BudgetConfig {
  name: string;
  usd: number;
  period: "day" | "month";
  provider?: string;
  rule?: string;
  on_exceed?: "reject" | "fall-through";
}

export interface BudgetState {
  name: string;
  usd: number;
  period: "day" | "month";
  spent_usd: number;
  share: number;
  on_exceed: "reject" | "fall-through";
  state: "ok" | "warning" | "exceeded";
}

export interface ModelPrice {
  target: string;
  input: number | null;
  output: number | null;
}

export interface RuleStats {
  rule: string;
  requests: number;
  errors: number;
  cost_usd: number;
  saved_usd: number;
  p50_latency_ms: number | null;
}

export interface Check {
  condition: string;
  value: unknown;
  matched: boolean;
}

export interface Explanation {
  rule: string;
  rules: { rule: string; matched: boolean; skipped?: string; checks: Check[] }[];
  difficulty: number | { unavailable: string } | null;
  intent: { name: string; similarity: number } | { unavailable: string } | null;
  input_tokens: number;
  tags: string[];
  outcome:
    | { refused: { status: number; code: string | null; message: string } }
    | {
        targets: { target: string; health: { state: string }; input_usd_per_mtok: number | null; output_usd_per_mtok: number | null; estimated_input_usd: number | null }[];
        estimated_input_tokens: number;
        timeout_secs: number;
      };
  budgets: BudgetState[];
}

export interface Config {
  server: { listen: string; allowed_hosts: string[]; allowed_origins: string[]; max_body_bytes: number };
  providers: ProviderConfig[];
  routes: { model: string; targets: string[]; timeout_secs?: number; cache?: RouteCache }[];
  rules: Rule[];
  intents: { name: string; examples: string[] }[];
  budgets: BudgetConfig[];
  cache: { exact: boolean; semantic: boolean; ttl_secs: number; max_temperature: number; cache_multiple_choices: boolean; threshold: number };
  log: { store_bodies: boolean; retention_days: number };
  [section: string]: unknown;
}

export interface ConfigResponse {
  config: Config;
  path: string;
  reload_error: string | null;
}

export interface KeyInfo {
  provider: string;
  set: boolean;
  last4: string | null;
  source: "keychain" | "env" | null;
  env_var: string | null;
}

export type ProviderTest =
  | { ok: true; latency_ms: number; models: string[] }
  | { ok: false; latency_ms: number; status: number | null; error: string };

export interface RequestFilter {
  status?: string;
  cache?: string;
  provider?: string;
  model?: string;
  rule?: string;
}

/** A check as a suite file writes it: `{"contains": "Paris"}`, `{"judge": {...}}`, … */
export type CheckSpec =
  | { equals: string }
  | { contains: string }
  | { regex: string }
  | { valid_json: boolean }
  | { json_schema: unknown }
  | { max_latency_ms: number }
  | { max_cost_usd: number }
  | { judge: { rubric: string; min_score?: number } };

export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
}

export interface CaseSpec {
  id?: string;
  system?: string;
  prompt?: string;
  messages?: ChatTurn[];
  vars?: Record<string, unknown>;
  params?: Record<string, unknown>;
  checks?: CheckSpec[];
}

export interface SuiteProblem {
  line: number;
  case: string;
  field: string;
  message: string;
}

export interface TargetTotals {
  target: string;
  cases: number;
  passed: number;
  pass_rate: number;
  pass_rate_low: number;
  pass_rate_high: number;
  judge_mean: number | null;
  usd_per_1000: number;
  judge_usd: number;
  p50_ms: number | null;
  p95_ms: number | null;
  /** Wins, losses and ties against the reference. */
  versus_reference?: [number, number, number];
}

export interface RunSummary {
  id: number;
  suite_id: number;
  started_ms: number;
  finished_ms: number | null;
  state: "running" | "done" | "cancelled";
  totals: TargetTotals[] | null;
}

export interface SuiteSummary {
  id: number;
  name: string;
  cases: number;
  updated_ms: number;
  last_run: RunSummary | null;
}

export interface Fall {
  target: string;
  run: number;
  previous_run: number;
  pass_rate: number;
  previous_pass_rate: number;
}

export interface SuiteDetail {
  id: number;
  name: string;
  cases: CaseSpec[];
  problems: SuiteProblem[];
  runs: RunSummary[];
  falls: Fall[];
}

export interface CaseResult {
  case: string;
  target: string;
  passed: boolean;
  checks: { check: string; passed: boolean; detail?: string }[];
  answer?: string;
  error?: string;
  latency_ms: number | null;
  cost_usd: number;
  judge_score?: number;
  judge_usd: number;
  versus_reference?: "target" | "reference" | "tie";
}

export interface RunOptions {
  targets: string[];
  judge: string | null;
  reference: string | null;
  per_provider: number;
  margin: number;
}

export interface RunDetail {
  id: number;
  suite_id: number;
  suite: string;
  state: RunSummary["state"];
  started_ms: number;
  finished_ms: number | null;
  options: RunOptions;
  prices: Record<string, [number, number] | null>;
  models: Record<string, string>;
  progress: { answered: number; graded: number; total: number };
  report: {
    totals: TargetTotals[];
    recommendation: { target: string; reason: string } | null;
    problems: SuiteProblem[];
    results: CaseResult[];
  };
}

export interface QualityConfig {
  judge?: string;
  sample: number;
  daily_cap_usd: number;
  floor: number;
  tune: boolean;
  threshold_min: number;
  threshold_max: number;
}

/** Verdicts on one rule, target or cache partition, with the agreement's 95 % interval. */
export interface Agreement {
  name: string;
  /** A partition's rule. */
  rule?: string;
  agree: number;
  disagree: number;
  unknown: number;
  cost_usd: number;
  saved_usd: number;
  rate: number | null;
  low: number;
  high: number;
  alert: boolean;
  /** A partition's current threshold, when verdicts moved it. */
  threshold?: number | null;
}

export interface QualityVerdict {
  request_id: string;
  ts: number;
  kind: "semantic" | "cheaper" | "compressed";
  rule: string;
  target: string;
  reference: string;
  partition: string | null;
  similarity: number | null;
  verdict: "agree" | "disagree" | "unknown";
  reason: string;
  question: string;
  answer: string;
  reference_answer: string | null;
  cost_usd: number;
  saved_usd: number | null;
}

export interface ThresholdChange {
  id: number;
  ts: number;
  partition: string;
  rule: string;
  from: number;
  to: number;
  reason: string;
  request_id: string | null;
  undoes: number | null;
  undone: boolean;
}

export interface QualityOverview {
  days: number;
  config: QualityConfig;
  today: { day: number; spent_usd: number; samples: number; skipped_cap: number; skipped_busy: number };
  /** Prompts verdicts labelled for the difficulty router. */
  labelled_prompts: number;
  alerts: { rule: string; rate: number; floor: number }[];
  rules: Agreement[];
  targets: Agreement[];
  partitions: Agreement[];
  series: { day: number; rule: string; agree: number; disagree: number }[];
  disagreements: QualityVerdict[];
  changes: ThresholdChange[];
}
