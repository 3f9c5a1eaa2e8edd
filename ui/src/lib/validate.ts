// Form checks the UI runs before it sends anything, worded as what to do.

export type Check = string | null;

export function checkProviderId(id: string, taken: string[]): Check {
  if (!id) return "Give the provider a short id, e.g. my-llm. Clients address its models as id/model.";
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(id)) return "Use lowercase letters, digits, - and _ only, starting with a letter or digit.";
  if (taken.includes(id)) return `There is already a provider called ${id}.`;
  return null;
}

export function checkBaseUrl(url: string): Check {
  if (!url) return "Enter the API's base URL, e.g. https://api.example.com/v1.";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "This is not a URL. It should look like https://api.example.com/v1.";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "The URL must start with https:// (or http:// for a server on this machine).";
  if (parsed.username || parsed.password || parsed.search) return "Leave keys out of the URL: no user:password@ and no ?query. Add the key separately.";
  return null;
}

export function checkKey(key: string): Check {
  const k = key.trim();
  if (!k) return "Paste the provider's API key.";
  if (/\s/.test(k)) return "The key has spaces or line breaks in it: paste just the key.";
  if (k.length < 8) return "This is too short to be an API key.";
  return null;
}

export function checkListen(addr: string): Check {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(addr.trim());
  if (!m) return "Write an address and port, e.g. 127.0.0.1:8990.";
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return "The port must be between 1 and 65535.";
  if (m[1].startsWith("[")) return null;
  if (m[1].split(".").some((part) => Number(part) > 255)) return "That is not an IP address: each part must be 0–255.";
  return null;
}

export function checkTtlMinutes(text: string): Check {
  if (text.trim() === "") return "Enter a number of minutes (0 keeps answers until you clear them).";
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) return "Use a whole number of minutes, 0 or more.";
  return null;
}

/** A semantic threshold as typed; blank means "as the global setting" where that is allowed. */
export function checkThreshold(text: string, blankAllowed: boolean): Check {
  if (text.trim() === "") return blankAllowed ? null : "Enter a similarity between 0.5 and 1 (0.95 is the default).";
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0.5 || n > 1) return "Use a similarity between 0.5 and 1, e.g. 0.95; higher means fewer, surer hits.";
  return null;
}
