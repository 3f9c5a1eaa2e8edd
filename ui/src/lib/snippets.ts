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

/**
 * A request to Sluice as a curl command, streamed as the Playground sends it. The token is
 * left as `$SLUICE_TOKEN`, so a copied command carries no secret.
 */
export function curlFor(origin: string, body: Record<string, unknown>, headers: Record<string, string>): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = [`curl -sN ${origin}/v1/chat/completions`, `  -H "Authorization: Bearer $SLUICE_TOKEN"`, `  -H "Content-Type: application/json"`];
  for (const [k, v] of Object.entries(headers)) lines.push(`  -H ${quote(`${k}: ${v}`)}`);
  lines.push(`  -d ${quote(JSON.stringify({ ...body, stream: true }))}`);
  return lines.join(" \\\n");
}
