"""The OpenAI endpoints through `sluice serve`, driven by the official openai SDK."""

import json

import httpx
import openai
import pytest

from conftest import MOCK_KEY, unique


def test_chat_not_streamed(sluice):
    text = unique("hello there")
    raw = sluice.client().chat.completions.with_raw_response.create(
        model="mock/ok", messages=[{"role": "user", "content": text}]
    )
    done = raw.parse()
    assert done.choices[0].message.content == f"Echo: {text}"
    assert done.usage.completion_tokens == 4
    assert raw.headers["x-sluice-cache"] == "miss"
    assert raw.headers["x-sluice-provider"] == "mock"
    assert raw.headers["x-sluice-model"] == "ok"
    assert raw.headers["x-sluice-request-id"].startswith("req_")
    assert "x-sluice-cost-usd" in raw.headers


def test_chat_streamed_arrives_in_chunks(sluice):
    text = unique("stream me please")
    stream = sluice.client().chat.completions.create(
        model="mock/ok-stream", messages=[{"role": "user", "content": text}], stream=True
    )
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert len(pieces) == 5, pieces
    assert "".join(pieces) == f"Echo: {text}"
    row = sluice.log(1)[0]
    assert row["stream"] and row["status"] == 200
    assert row["completion_tokens"] == 5 and not row["tokens_estimated"], "usage is requested upstream even when the client did not ask"


def test_include_usage_only_when_asked(sluice):
    client = sluice.client()
    chunks = list(client.chat.completions.create(
        model="mock/ok-usage", messages=[{"role": "user", "content": unique()}], stream=True,
        stream_options={"include_usage": True},
    ))
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    chunks = list(client.chat.completions.create(
        model="mock/ok-usage", messages=[{"role": "user", "content": unique()}], stream=True,
    ))
    assert all(c.usage is None for c in chunks)


def test_tools_round_trip(sluice):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    client = sluice.client()
    done = client.chat.completions.create(model="mock/tool", messages=[{"role": "user", "content": unique("weather?")}], tools=tools)
    call = done.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}
    assert done.choices[0].finish_reason == "tool_calls"
    args = ""
    for chunk in client.chat.completions.create(model="mock/tool", messages=[{"role": "user", "content": unique("weather?")}], tools=tools, stream=True):
        for tc in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            args += tc.function.arguments or ""
    assert json.loads(args) == {"city": "Paris"}


def test_unknown_fields_images_and_response_format_pass_through(sluice, mock):
    marker = unique("img")
    content = [{"type": "text", "text": marker}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]
    sluice.client().chat.completions.create(
        model="mock/ok-pass", messages=[{"role": "user", "content": content}],
        response_format={"type": "json_object"}, extra_body={"vendor_knob": {"depth": 3}},
    )
    sent = [r for r in mock.requests() if marker in json.dumps(r["body"])][-1]
    assert sent["body"]["messages"][0]["content"] == content
    assert sent["body"]["response_format"] == {"type": "json_object"}
    assert sent["body"]["vendor_knob"] == {"depth": 3}
    assert sent["authorization"] == f"Bearer {MOCK_KEY}", "the provider's key goes upstream, never the client's token"
    assert sluice.token not in json.dumps(sent)


def test_embeddings(sluice):
    out = sluice.client().embeddings.create(model="mock/emb", input=["one two", "three"])
    assert len(out.data) == 2 and len(out.data[0].embedding) == 8
    assert out.usage.prompt_tokens == 3


def test_models_lists_providers_and_routes(sluice_factory):
    s = sluice_factory('[[routes]]\nmodel = "fast"\ntargets = ["mock/ok"]\n')
    ids = {m.id for m in s.client().models.list()}
    assert {"mock/mock-a", "mock2/mock-b", "fast"} <= ids


def test_upstream_4xx_passes_through_unchanged(sluice):
    with pytest.raises(openai.BadRequestError) as e:
        sluice.client().chat.completions.create(model="mock/status-400", messages=[{"role": "user", "content": "x"}])
    assert e.value.status_code == 400
    assert "mock failure 400" in e.value.message
    assert e.value.response.headers["x-sluice-request-id"]
    row = sluice.log(1)[0]
    assert row["status"] == 400 and len(sluice.detail(row["id"])["attempts"]) == 1, "a 400 is not retried elsewhere"


def test_unknown_route_says_what_to_do(sluice_factory, tmp_path):
    s = sluice_factory(raw="")
    r = s.chat("gpt-4o-mini", "hi")
    assert r.status_code == 404
    assert "no provider is configured" in r.json()["error"]["message"]


def test_azure_openai_deployments(sluice_factory, mock):
    s = sluice_factory(raw=f"""
[[providers]]
id = "azure"
kind = "azure"
base_url = "{mock.url}/openai"
api_key_env = "SLUICE_TEST_MOCK_KEY"
api_version = "2025-04-01-preview"
""")
    text = unique("hello azure")
    done = s.client().chat.completions.create(model="azure/my-gpt-deployment", messages=[{"role": "user", "content": text}])
    assert done.choices[0].message.content == f"Echo: {text}"
    stream = s.client().chat.completions.create(model="azure/my-gpt-deployment", messages=[{"role": "user", "content": text + "!"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == f"Echo: {text}!"
    assert "azure my-gpt-deployment 2025-04-01-preview" in mock.stats()["events"]
    bad = httpx.put(s.url + "/api/config", headers=s.headers, json={"config": {"providers": [{"id": "az2", "kind": "azure"}]}})
    assert bad.status_code == 400 and "providers[0].base_url" in bad.text
