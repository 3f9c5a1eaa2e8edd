import { describe, expect, it } from "vitest";
import { checkBaseUrl, checkKey, checkListen, checkProviderId, checkThreshold, checkTtlMinutes } from "./validate";

describe("form checks", () => {
  it("provider ids: lowercase, unique, present", () => {
    expect(checkProviderId("my-llm_2", [])).toBeNull();
    expect(checkProviderId("", [])).toMatch(/short id/);
    expect(checkProviderId("My LLM", [])).toMatch(/lowercase/);
    expect(checkProviderId("openai", ["openai"])).toMatch(/already/);
  });
  it("base URLs: http(s), no credentials or query", () => {
    expect(checkBaseUrl("https://api.example.com/v1")).toBeNull();
    expect(checkBaseUrl("http://127.0.0.1:11434/v1")).toBeNull();
    expect(checkBaseUrl("api.example.com")).toMatch(/not a URL/);
    expect(checkBaseUrl("ftp://example.com")).toMatch(/https:\/\//);
    expect(checkBaseUrl("https://user:sk-123@example.com/v1")).toMatch(/Leave keys out/);
    expect(checkBaseUrl("https://example.com/v1?key=sk")).toMatch(/Leave keys out/);
  });
  it("keys: one token, long enough", () => {
    expect(checkKey("sk-abcdef123456")).toBeNull();
    expect(checkKey("  ")).toMatch(/Paste/);
    expect(checkKey("sk abc def 1234")).toMatch(/spaces/);
    expect(checkKey("sk-1")).toMatch(/too short/);
  });
  it("listen addresses: ip:port in range", () => {
    expect(checkListen("127.0.0.1:8990")).toBeNull();
    expect(checkListen("[::1]:8990")).toBeNull();
    expect(checkListen("localhost:8990")).toMatch(/address and port/);
    expect(checkListen("127.0.0.1:99999")).toMatch(/between 1 and 65535/);
    expect(checkListen("127.0.0.300:80")).toMatch(/0–255/);
  });
  it("TTL: whole minutes, 0 or more", () => {
    expect(checkTtlMinutes("0")).toBeNull();
    expect(checkTtlMinutes("90")).toBeNull();
    expect(checkTtlMinutes("")).toMatch(/number of minutes/);
    expect(checkTtlMinutes("1.5")).toMatch(/whole number/);
    expect(checkTtlMinutes("-3")).toMatch(/whole number/);
  });
});

describe("checkThreshold", () => {
  it("takes similarities between 0.5 and 1, and blank only where it means the global setting", () => {
    expect(checkThreshold("0.95", false)).toBeNull();
    expect(checkThreshold("1", false)).toBeNull();
    expect(checkThreshold("", true)).toBeNull();
    expect(checkThreshold("", false)).toMatch(/between 0.5 and 1/);
    expect(checkThreshold("0.3", true)).toMatch(/between 0.5 and 1/);
    expect(checkThreshold("95", true)).toMatch(/e.g. 0.95/);
    expect(checkThreshold("abc", true)).toMatch(/similarity/);
  });
});
