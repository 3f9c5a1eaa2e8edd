"""Gemini's API through `sluice serve`, driven by the official google-genai SDK, against a Gemini
target (`gem/…`, the request passed through) and an OpenAI-compatible one (`mock/…`, translated
both ways); the other clients against a Gemini target; and fail-over across all three formats."""

import base64

import anthropic
import httpx
import pytest
from google import genai
from google.genai import errors, types

from conftest import MOCK_KEY, unique
from test_anthropic import anthropic_toml

WEATHER = types.FunctionDeclaration(name="get_weather", description="Weather in a city",
                                    parameters_json_schema={"type": "object", "properties": {"city": {"type": "string"}}})


def gemini_toml(mock):
    return anthropic_toml(mock) + f"""
[[providers]]
id = "gem"
kind = "gemini"
base_url = "{mock.url}/v1beta"
api_key_env = "SLUICE_TEST_MOCK_KEY"

[[routes]]
model = "three-formats"
targets = ["anth/mock-overloaded", "mock/mock-status-503", "gem/three-c"]
"""


@pytest.fixture
def sluice(sluice_factory, mock):
    return sluice_factory(raw=gemini_toml(mock))


def client(sluice):
    """Keep it in a variable: the SDK closes its connections when the client is collected."""
    return genai.Client(api_key=sluice.token, http_options=types.HttpOptions(base_url=sluice.url, retry_options=types.HttpRetryOptions(attempts=1)))


def last_upstream(mock, path):
    return [r for r in mock.requests() if r["path"] == path][-1]


@pytest.mark.parametrize("target", ["gem", "mock"])
def test_plain_and_streamed(sluice, target):
    text = unique("hello gemini")
    c = client(sluice)
    done = c.models.generate_content(model=f"{target}/plain", contents=text,
                                                   config=types.GenerateContentConfig(system_instruction="Be brief.", max_output_tokens=50))
    assert done.text == f"Echo: {text}"
    assert done.candidates[0].finish_reason == types.FinishReason.STOP and done.usage_metadata.prompt_token_count > 0
    pieces = [ch.text for ch in c.models.generate_content_stream(model=f"{target}/stream", contents=text) if ch.text]
    assert len(pieces) > 1 and "".join(pieces) == f"Echo: {text}"
    row = sluice.log(1)[0]
    assert (row["client_api"], row["provider"], row["status"]) == ("gemini", target, 200)
    assert row["completion_tokens"] > 0 and not row["tokens_estimated"]


def test_a_gemini_target_gets_the_request_as_it_came(sluice, mock):
    body = {"contents": [{"role": "user", "parts": [{"text": unique("as is")}]}],
            "generationConfig": {"topK": 4, "thinkingConfig": {"thinkingBudget": 0}},
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]}
    r = httpx.post(sluice.url + "/v1beta/models/gem/as-is:generateContent", json=body, headers={"x-goog-api-key": sluice.token}, timeout=30)
    assert r.status_code == 200, r.text
    seen = last_upstream(mock, "/v1beta/models:generateContent")
    assert seen["body"] == body and seen["headers"]["x-goog-api-key"] == MOCK_KEY


@pytest.mark.parametrize("target", ["gem", "mock"])
def test_a_function_turn_keeps_its_signature(sluice, mock, target):
    c = client(sluice)
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])],
                                         automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
    question = types.Content(role="user", parts=[types.Part(text=unique("weather in Paris?"))])
    first = c.models.generate_content(model=f"{target}/mock-tool", contents=[question], config=config)
    call = first.function_calls[0]
    assert call.name == "get_weather" and call.args == {"city": "Paris"}
    if target == "gem":
        assert first.candidates[0].content.parts[0].thought_signature == b"signature"
    answer = types.Part.from_function_response(name="get_weather", response={"sky": "clear"})
    second = c.models.generate_content(model=f"{target}/mock-tool", contents=[question, first.candidates[0].content, types.Content(role="user", parts=[answer])], config=config)
    assert second.text == 'Tool said: {"sky":"clear"}'
    if target == "gem":
        sent = last_upstream(mock, "/v1beta/models:generateContent")["body"]
        assert sent["contents"][1]["parts"][0]["thoughtSignature"] == "c2lnbmF0dXJl"


def test_thought_signatures_survive_a_trip_through_the_internal_form(sluice, mock):
    """An OpenAI client's Gemini call: the signature goes out on the tool call and comes back."""
    oa = sluice.client()
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    first = oa.chat.completions.create(model="gem/mock-tool", messages=[{"role": "user", "content": "weather?"}], tools=tools)
    call = first.choices[0].message.tool_calls[0]
    assert call.model_extra["thought_signature"] == "c2lnbmF0dXJl"
    follow = [{"role": "user", "content": "weather?"}, first.choices[0].message.model_dump(exclude_none=True),
              {"role": "tool", "tool_call_id": call.id, "content": '{"sky": "clear"}'}]
    second = oa.chat.completions.create(model="gem/mock-tool", messages=follow, tools=tools)
    assert second.choices[0].message.content == 'Tool said: {"sky":"clear"}'
    sent = last_upstream(mock, "/v1beta/models:generateContent")["body"]
    assert sent["contents"][1]["parts"][0]["thoughtSignature"] == call.model_extra["thought_signature"]
    assert sent["contents"][2]["parts"][0]["functionResponse"] == {"name": "get_weather", "response": {"sky": "clear"}}


def test_images_and_count_tokens(sluice, mock):
    png = base64.b64encode(b"\x89PNG fake").decode()
    c = client(sluice)
    c.models.generate_content(model="mock/image", contents=[types.Part.from_bytes(data=b"\x89PNG fake", mime_type="image/png"), "what is this?"])
    sent = last_upstream(mock, "/v1/chat/completions")["body"]
    assert sent["messages"][0]["content"][0] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}
    assert c.models.count_tokens(model="gem/count", contents="one two three").total_tokens == 5, "the upstream's own count"
    assert c.models.count_tokens(model="mock/count", contents="one two three").total_tokens > 0


def test_errors_and_blocked_prompts(sluice):
    c = client(sluice)
    with pytest.raises(errors.ClientError) as e:
        c.models.generate_content(model="gem/mock-status-400", contents="x")
    assert e.value.code == 400 and "mock failure" in e.value.message
    with pytest.raises(errors.ClientError) as e:
        wrong = genai.Client(api_key="wrong", http_options=types.HttpOptions(base_url=sluice.url))
        wrong.models.generate_content(model="gem/x", contents="x")
    assert e.value.code == 401
    with pytest.raises(errors.ClientError) as e:
        c.models.generate_content(model="mock/refuse", contents="x", config=types.GenerateContentConfig(response_logprobs=True))
    assert "responseLogprobs" in e.value.message and "`mock`" in e.value.message
    blocked = c.models.generate_content(model="gem/blocked", contents=unique("x"))
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.SAFETY


def test_other_clients_reach_gemini_targets(sluice):
    text = unique("to gemini")
    oa = sluice.client()
    assert oa.chat.completions.create(model="gem/oa", messages=[{"role": "user", "content": text}]).choices[0].message.content == f"Echo: {text}"
    stream = oa.chat.completions.create(model="gem/oa-stream", messages=[{"role": "user", "content": text}], stream=True)
    assert "".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices) == f"Echo: {text}"
    an = anthropic.Anthropic(base_url=sluice.url, api_key=sluice.token, max_retries=0)
    with an.messages.stream(model="gem/an", max_tokens=50, messages=[{"role": "user", "content": text}]) as s:
        assert "".join(s.text_stream) == f"Echo: {text}"
    emb = oa.embeddings.create(model="gem/embed", input=["one two", "three"])
    assert [d.embedding[0] for d in emb.data] == [2.0, 1.0]


@pytest.mark.parametrize("api", ["openai", "anthropic", "gemini"])
def test_a_route_fails_over_across_three_formats_streaming(sluice, api):
    text = unique("three formats")
    if api == "openai":
        stream = sluice.client().chat.completions.create(model="three-formats", messages=[{"role": "user", "content": text}], stream=True)
        got = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    elif api == "anthropic":
        with anthropic.Anthropic(base_url=sluice.url, api_key=sluice.token, max_retries=0).messages.stream(
                model="three-formats", max_tokens=50, messages=[{"role": "user", "content": text}]) as s:
            got = "".join(s.text_stream)
    else:
        c = client(sluice)
        got = "".join(ch.text or "" for ch in c.models.generate_content_stream(model="three-formats", contents=text))
    assert got == f"Echo: {text}"
    attempts = sluice.detail(sluice.log(1)[0]["id"])["attempts"]
    assert [(a["provider"], a["status"]) for a in attempts] == [("anth", 529), ("mock", 503), ("gem", 200)]


def test_cache_hits_replay_as_gemini(sluice):
    text = unique("cache gemini")
    config = types.GenerateContentConfig(temperature=0)
    c = client(sluice)
    c.models.generate_content(model="gem/cache", contents=text, config=config)
    assert "".join(ch.text or "" for ch in c.models.generate_content_stream(model="gem/cache", contents=text, config=config)) == f"Echo: {text}"
    assert sluice.log(1)[0]["cache"] == "hit-exact"
