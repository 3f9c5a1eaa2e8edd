// One fetch wrapper for the admin API: adds the token, turns error bodies into ApiError with
// the server's own message (it says what to fix).

import type { Connection } from "./connection";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

export type Client = <T>(path: string, init?: { method?: string; body?: unknown }) => Promise<T>;

export function createClient(connection: Connection): Client {
  return async <T,>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(connection.origin + path, {
        method: init.method ?? "GET",
        headers: { Authorization: `Bearer ${connection.token}`, ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}) },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      });
    } catch {
      throw new ApiError("Sluice is not answering. Is it still running?", 0);
    }
    const text = await response.text();
    const data = text ? safeJson(text) : null;
    if (!response.ok) {
      const e = (data as { error?: { message?: string; param?: string; code?: string } } | null)?.error;
      throw new ApiError(e?.message ?? `Sluice answered ${response.status}`, response.status, e?.param ?? null, e?.code ?? null);
    }
    return data as T;
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
