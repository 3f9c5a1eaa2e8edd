// Copy-paste setup for the tools people point at Sluice.

export interface Snippet {
  id: string;
  label: string;
  note?: string;
  code: string;
}

export function snippets(baseUrl: string, token: string, model = "gpt-4o-mini"): Snippet[] {
  return [
    {
      id: "python",
      label: "OpenAI Python",
      code: `from openai import OpenAI

client = OpenAI(base_url="${baseUrl}", api_key="${token}")
reply = client.chat.completions.create(
    model="${model}",
    messages=[{"role": "user", "content": "Hello"}],
)
print(reply.choices[0].message.content)`,
    },
    {
      id: "js",
      label: "OpenAI JS",
      code: `import OpenAI from "openai";

const client = new OpenAI({ baseURL: "${baseUrl}", apiKey: "${token}" });
const reply = await client.chat.completions.create({
  model: "${model}",
  messages: [{ role: "user", content: "Hello" }],
});
console.log(reply.choices[0].message.content);`,
    },
    {
      id: "curl",
      label: "curl",
      code: `curl ${baseUrl}/chat/completions \\
  -H "Authorization: Bearer ${token}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello"}]}'`,
    },
    {
      id: "continue",
      label: "Continue",
      note: "In ~/.continue/config.yaml:",
      code: `models:
  - name: Sluice
    provider: openai
    model: ${model}
    apiBase: ${baseUrl}
    apiKey: ${token}`,
    },
    {
      id: "aider",
      label: "Aider",
      code: `export OPENAI_API_BASE=${baseUrl}
export OPENAI_API_KEY=${token}
aider --model openai/${model}`,
    },
    {
      id: "openwebui",
      label: "Open WebUI",
      note: "Admin settings → Connections → OpenAI API. Run Open WebUI on this machine (or its container with --network=host), since Sluice answers only on 127.0.0.1.",
      code: `API base URL: ${baseUrl}
API key:      ${token}`,
    },
    {
      id: "langchain",
      label: "LangChain",
      code: `from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="${model}", base_url="${baseUrl}", api_key="${token}")
print(llm.invoke("Hello").content)`,
    },
  ];
}

/** A JSON value as a Python literal (True, False, None; JSON strings are Python strings). */
function python(value: unknown, indent = ""): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value !== "object") return JSON.stringify(value);
  const inner = indent + "    ";
  const items = Array.isArray(value) ? value.map((v) => python(v, inner)) : Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${python(v, inner)}`);
  if (items.length === 0) return Array.isArray(value) ? "[]" : "{}";
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${items.map((i) => inner + i).join(",\n")},\n${indent}${close}`;
}

export type RequestFormat = "curl" | "python" | "js";

/**
 * A request to Sluice as the Playground sends it (streamed), as a curl command or a Python or
 * JavaScript program with the OpenAI SDK. The token is read from `$SLUICE_TOKEN`, so copied
 * code carries no secret.
 */
export function requestAs(format: RequestFormat, origin: string, body: Record<string, unknown>, headers: Record<string, string>): string {
  const streamed = { ...body, stream: true };
  if (format === "python") {
    const args = Object.entries(streamed).map(([k, v]) => `    ${k}=${python(v, "    ")},`);
    return `import os
from openai import OpenAI

client = OpenAI(base_url="${origin}/v1", api_key=os.environ["SLUICE_TOKEN"])
stream = client.chat.completions.create(
${args.join("\n")}
    extra_headers=${python(headers, "    ")},
)
for chunk in stream:
    if chunk.choices:
        print(chunk.choices[0].delta.content or "", end="", flush=True)
print()`;
  }
  if (format === "js") {
    return `import OpenAI from "openai";

const client = new OpenAI({ baseURL: "${origin}/v1", apiKey: process.env.SLUICE_TOKEN });
const stream = await client.chat.completions.create(${JSON.stringify(streamed, null, 2)}, { headers: ${JSON.stringify(headers)} });
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
console.log();`;
  }
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = [`curl -sN ${origin}/v1/chat/completions`, `  -H "Authorization: Bearer $SLUICE_TOKEN"`, `  -H "Content-Type: application/json"`];
  for (const [k, v] of Object.entries(headers)) lines.push(`  -H ${quote(`${k}: ${v}`)}`);
  lines.push(`  -d ${quote(JSON.stringify(streamed))}`);
  return lines.join(" \\\n");
}
