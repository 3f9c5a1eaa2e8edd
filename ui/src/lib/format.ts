// How numbers read in the UI: money to the cent (or to four significant digits below a cent,
// where LLM calls live), tokens with thousands separators or k/M, latency in ms or s.

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usdSmall = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 2 });
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export function formatUsd(value: number | null | undefined): string {
  if (value == null || Number.isNaN(value)) return "—";
  if (value === 0) return "$0.00";
  const abs = Math.abs(value);
  if (abs < 0.01) {
    // Below a cent, "$0.00" would hide the cost of every single call.
    if (abs < 0.000001) return value < 0 ? "-<$0.000001" : "<$0.000001";
    return usdSmall.format(value);
  }
  return usd.format(value);
}

export function formatTokens(value: number | null | undefined): string {
  if (value == null) return "—";
  return value < 100_000 ? integer.format(value) : compact.format(value);
}

export function formatCount(value: number | null | undefined): string {
  return value == null ? "—" : integer.format(value);
}

export function formatMs(value: number | null | undefined): string {
  if (value == null) return "—";
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)} s`;
}

export function formatPercent(part: number, whole: number): string {
  if (!whole) return "—";
  const p = (100 * part) / whole;
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)}%`;
}

const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTime = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const day = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

/** A log timestamp: the time alone when it is today, else date and time. */
export function formatTimestamp(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  return new Date(now).toDateString() === d.toDateString() ? time.format(d) : dateTime.format(d);
}

export function formatDay(ms: number): string {
  return day.format(new Date(ms));
}

const CLIENT_APIS: Record<string, string> = {
  "openai-chat": "OpenAI chat",
  "openai-responses": "OpenAI Responses",
  "anthropic-messages": "Anthropic",
  gemini: "Gemini",
};

/** The API a request came in through, as a person calls it. */
export function formatClientApi(api: string): string {
  return CLIENT_APIS[api] ?? api;
}
