// One chat call streamed through the gateway, for the Playground: text as it arrives, time to
// first token, usage and Sluice's headers; cancelled through the AbortSignal.

export interface StreamUpdate {
  text: string;
  ttftMs: number | null;
  totalMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  requestId: string | null;
  cache: string | null;
  provider: string | null;
  model: string | null;
  error: string | null;
  done: boolean;
}

export const EMPTY: StreamUpdate = { text: "", ttftMs: null, totalMs: null, promptTokens: null, completionTokens: null, requestId: null, cache: null, provider: null, model: null, error: null, done: false };

/** POSTs `body` (stream on) and reports progress through `onUpdate` until the end. */
export async function streamChat(origin: string, token: string, body: Record<string, unknown>, headers: Record<string, string>, signal: AbortSignal, onUpdate: (u: StreamUpdate) => void) {
  const started = performance.now();
  let u: StreamUpdate = { ...EMPTY };
  const push = (change: Partial<StreamUpdate>) => onUpdate((u = { ...u, ...change }));
  let response: Response;
  try {
    response = await fetch(`${origin}/v1/chat/completions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
      body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
      signal,
    });
  } catch (e) {
    return push({ error: signal.aborted ? "Stopped." : "Sluice is not answering. Is it still running?", done: true, totalMs: performance.now() - started });
  }
  const h = response.headers;
  push({ requestId: h.get("x-sluice-request-id"), cache: h.get("x-sluice-cache"), provider: h.get("x-sluice-provider"), model: h.get("x-sluice-model") });
  if (!response.ok || !response.body) {
    const data = await response.json().catch(() => null);
    return push({ error: data?.error?.message ?? `Sluice answered ${response.status}`, done: true, totalMs: performance.now() - started });
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = event.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("");
        if (!data || data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) push({ error: chunk.error.message ?? "The stream broke off." });
        const delta: string = chunk.choices?.[0]?.delta?.content ?? "";
        if (delta) push({ text: u.text + delta, ttftMs: u.ttftMs ?? performance.now() - started });
        if (chunk.usage) push({ promptTokens: chunk.usage.prompt_tokens ?? null, completionTokens: chunk.usage.completion_tokens ?? null });
      }
    }
  } catch {
    push({ error: signal.aborted ? "Stopped." : "The stream broke off." });
  }
  push({ done: true, totalMs: performance.now() - started });
}
