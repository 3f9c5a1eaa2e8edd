import { describe, expect, it } from "vitest";
import { curlFor } from "./snippets";

describe("curl", () => {
  it("quotes for a POSIX shell and leaves the token out", () => {
    const c = curlFor("http://127.0.0.1:8990", { model: "m", messages: [{ role: "user", content: "it's" }] }, { "x-sluice-tags": "playground" });
    expect(c).toContain("$SLUICE_TOKEN");
    expect(c).toContain(`'{"model":"m","messages":[{"role":"user","content":"it'\\''s"}],"stream":true}'`);
  });
});
