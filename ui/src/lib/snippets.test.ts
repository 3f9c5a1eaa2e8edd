import { describe, expect, it } from "vitest";
import { requestAs } from "./snippets";

const body = { model: "m", messages: [{ role: "user", content: "it's" }], response_format: { type: "json_object" }, seed: null, logprobs: false };
const headers = { "x-sluice-tags": "playground" };

describe("a Playground request as code", () => {
  it("quotes curl for a POSIX shell and leaves the token out", () => {
    const c = requestAs("curl", "http://127.0.0.1:8990", body, headers);
    expect(c).toContain("$SLUICE_TOKEN");
    expect(c).toContain(`'{"model":"m","messages":[{"role":"user","content":"it'\\''s"}],"response_format":{"type":"json_object"},"seed":null,"logprobs":false,"stream":true}'`);
  });

  it("writes Python literals and keyword arguments", () => {
    const p = requestAs("python", "http://h", body, headers);
    expect(p).toContain('api_key=os.environ["SLUICE_TOKEN"]');
    expect(p).toContain('    model="m",\n    messages=[\n        {\n            "role": "user",\n            "content": "it\'s",\n        },\n    ],');
    expect(p).toContain("seed=None,\n    logprobs=False,\n    stream=True,");
    expect(p).toContain('extra_headers={\n        "x-sluice-tags": "playground",\n    },');
  });

  it("writes a JavaScript call with the headers as request options", () => {
    const j = requestAs("js", "http://h", body, headers);
    expect(j).toContain("apiKey: process.env.SLUICE_TOKEN");
    expect(j).toContain('{ headers: {"x-sluice-tags":"playground"} }');
  });
});
