"""Anthropic's Messages API through `sluice serve`, driven by the official anthropic SDK, against
an Anthropic target (`anth/…`, the request passed through) and an OpenAI-compatible one
(`mock/…`, translated both ways); and the openai SDK against an Anthropic target."""

import base64

import anthropic
import httpx
import pytest

from conftest import MOCK_KEY, providers_toml, unique

TOOLS = [{"name": "get_weather", "description": "Weather in a city",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]


def anthropic_toml(mock):
    return providers_toml(mock) + f"""
[[providers]]
id = "oai"
kind = "openai"
base_url = "{mock.api}"
api_key_env = "SLUICE_TEST_MOCK_KEY"

[[providers]]
id = "anth"
kind = "anthropic"
base_url = "{mock.api}"
api_key_env = "SLUICE_TEST_MOCK_KEY"

[[prices]]
model = "anth/mock-cached-40-cachewrite-20"
input = 3.0
output = 15.0
cached_input = 0.30
cache_write = 3.75

[[routes]]
model = "chain"
targets = ["anth/mock-overloaded", "mock/chain-b"]
"""


@pytest.fixture
def sluice(sluice_factory, mock):
    return sluice_factory(raw=anthropic_toml(mock))


def client(sluice, **kw):
    return anthropic.Anthropic(base_url=sluice.url, api_key=sluice.token, max_retries=0, **kw)


def last_upstream(mock, path):
    return [r for r in mock.requests() if r["path"] == path][-1]


@pytest.mark.parametrize("target", ["anth", "mock"])
def test_plain_and_streamed(sluice, mock, target):
    text = unique("hello claude")
    raw = client(sluice).messages.with_raw_response.create(
        model=f"{target}/plain", max_tokens=100, system="Be brief.", messages=[{"role": "user", "content": text}])
    msg = raw.parse()
    assert msg.content[0].type == "text" and msg.content[0].text == f"Echo: {text}"
    assert msg.stop_reason == "end_turn" and msg.usage.output_tokens > 0 and msg.usage.input_tokens > 0
    assert raw.headers["x-sluice-provider"] == target and raw.headers["x-sluice-cache"] == "miss"

    text = unique("stream to claude")
    with client(sluice).messages.stream(model=f"{target}/stream", max_tokens=100,
                                        messages=[{"role": "user", "content": text}]) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1 and "".join(pieces) == f"Echo: {text}"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0
    row = sluice.log(1)[0]
    assert row["client_api"] == "anthropic-messages" and row["status"] == 200 and row["provider"] == target
    assert row["completion_tokens"] > 0 and not row["tokens_estimated"]


def test_an_anthropic_target_gets_the_request_as_it_came(sluice, mock):
    body = {"model": "anth/as-is", "max_tokens": 64, "top_k": 5, "metadata": {"user_id": "u1"},
            "system": [{"type": "text", "text": "Long rules.", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": unique("q")}]}]}
    r = httpx.post(sluice.url + "/v1/messages?beta=true", json=body, timeout=30,
                   headers={"x-api-key": sluice.token, "anthropic-version": "2023-06-01", "anthropic-beta": "prompt-caching-2024-07-31"})
    assert r.status_code == 200, r.text
    seen = last_upstream(mock, "/v1/messages")
    assert seen["body"] == {**body, "model": "as-is"}, "no lossy round trip"
    assert seen["headers"]["x-api-key"] == MOCK_KEY, "the provider's key, never the Sluice token"
    assert seen["headers"]["anthropic-beta"] == "prompt-caching-2024-07-31"
    assert seen["headers"]["anthropic-version"]


def test_a_translated_target_gets_openai_chat(sluice, mock):
    png = base64.b64encode(b"\x89PNG fake").decode()
    client(sluice).messages.create(model="mock/translated", max_tokens=64, system="Rules.", stop_sequences=["END"],
                                   messages=[{"role": "user", "content": [
                                       {"type": "text", "text": "what is this"},
                                       {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}]}])
    body = last_upstream(mock, "/v1/chat/completions")["body"]
    assert body["messages"][0] == {"role": "system", "content": "Rules."}
    assert body["messages"][1]["content"][1] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}
    assert body["max_tokens"] == 64 and body["stop"] == ["END"]


@pytest.mark.parametrize("target", ["anth", "mock"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_turn(sluice, target, stream):
    c = client(sluice)
    question = [{"role": "user", "content": unique("weather in Paris?")}]
    kw = dict(model=f"{target}/mock-tool", max_tokens=100, tools=TOOLS, messages=question)
    if stream:
        with c.messages.stream(**kw) as s:
            first = s.get_final_message()
    else:
        first = c.messages.create(**kw)
    call = [b for b in first.content if b.type == "tool_use"][0]
    assert first.stop_reason == "tool_use" and call.name == "get_weather" and call.input == {"city": "Paris"}
    follow = question + [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "Sunny, 24C"}]}]
    second = c.messages.create(model=f"{target}/mock-tool", max_tokens=100, tools=TOOLS, messages=follow)
    assert second.content[0].text == "Tool said: Sunny, 24C"


@pytest.mark.parametrize("stream", [False, True])
def test_thinking_keeps_its_signature(sluice, stream):
    kw = dict(model="anth/mock-thinking", max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024},
              messages=[{"role": "user", "content": unique("think")}])
    if stream:
        with client(sluice).messages.stream(**kw) as s:
            msg = s.get_final_message()
    else:
        msg = client(sluice).messages.create(**kw)
    assert msg.content[0].type == "thinking"
    assert msg.content[0].signature == "EqQBCkYIBxgCKkAmock+sig/=="
    assert msg.content[0].thinking == "The user wants an answer."


def test_prompt_cache_reads_and_writes_are_priced(sluice):
    raw = client(sluice).messages.with_raw_response.create(
        model="anth/mock-cached-40-cachewrite-20", max_tokens=10, messages=[{"role": "user", "content": unique("cached")}])
    usage = raw.parse().usage
    assert usage.cache_read_input_tokens == 40 and usage.cache_creation_input_tokens == 20
    expected = (usage.input_tokens * 3.0 + 40 * 0.30 + 20 * 3.75 + usage.output_tokens * 15.0) / 1e6
    assert float(raw.headers["x-sluice-cost-usd"]) == pytest.approx(expected, rel=1e-9)
    row = sluice.log(1)[0]
    assert row["cached_tokens"] == 40 and row["cache_write_tokens"] == 20
    assert row["prompt_tokens"] == usage.input_tokens + 60


@pytest.mark.parametrize("target", ["anth", "mock"])
def test_count_tokens(sluice, mock, target):
    n = client(sluice).messages.count_tokens(model=f"{target}/count", messages=[{"role": "user", "content": "one two three four"}])
    assert n.input_tokens > 0
    if target == "anth":
        seen = last_upstream(mock, "/v1/messages/count_tokens")
        assert seen["body"]["model"] == "count" and "max_tokens" not in seen["body"]
        assert n.input_tokens == 4 + 3, "the upstream's own count"


def test_errors_come_in_anthropic_shape(sluice):
    c = client(sluice)
    with pytest.raises(anthropic.BadRequestError) as e:
        c.messages.create(model="anth/mock-status-400", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert "mock failure" in str(e.value)
    r = httpx.post(sluice.url + "/v1/messages", headers={"x-api-key": sluice.token},
                   json={"model": "anth/m", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 400 and r.json()["type"] == "error"
    assert r.json()["error"]["type"] == "invalid_request_error" and "max_tokens" in r.json()["error"]["message"]
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=sluice.url, api_key="wrong", max_retries=0).messages.create(
            model="anth/m", max_tokens=5, messages=[{"role": "user", "content": "x"}])


def test_what_a_translated_target_cannot_take_is_refused_by_name(sluice, mock):
    before = mock.count("refuse")
    with pytest.raises(anthropic.BadRequestError) as e:
        client(sluice).messages.create(model="mock/refuse", max_tokens=5, extra_body={"container": "c1"}, messages=[{"role": "user", "content": "x"}])
    assert "container" in str(e.value) and "`mock`" in str(e.value)
    assert mock.count("refuse") == before, "nothing was sent"


def test_overloaded_fails_over_across_formats_mid_list(sluice):
    text = unique("fail over")
    with client(sluice).messages.stream(model="chain", max_tokens=50, messages=[{"role": "user", "content": text}]) as s:
        pieces = list(s.text_stream)
        final = s.get_final_message()
    assert "".join(pieces) == f"Echo: {text}" and final.stop_reason == "end_turn"
    detail = sluice.detail(sluice.log(1)[0]["id"])
    assert [(a["provider"], a["status"]) for a in detail["attempts"]] == [("anth", 529), ("mock", 200)]


def test_an_error_event_mid_stream_is_raised(sluice):
    with pytest.raises(anthropic.APIStatusError, match="Overloaded"):
        with client(sluice).messages.stream(model="anth/mock-errorevent", max_tokens=50,
                                            messages=[{"role": "user", "content": unique("x")}]) as s:
            list(s.text_stream)
    assert sluice.log(1)[0]["status"] == 502


@pytest.mark.parametrize("stream", [False, True])
def test_cache_hits_replay_in_the_clients_format(sluice, stream):
    text = unique("cache me")
    kw = dict(model="anth/cache", max_tokens=50, extra_body={"temperature": 0}, messages=[{"role": "user", "content": text}])
    client(sluice).messages.create(**kw)
    if stream:
        with client(sluice).messages.stream(**kw) as s:
            msg = s.get_final_message()
    else:
        msg = client(sluice).messages.create(**kw)
    assert msg.content[0].text == f"Echo: {text}"
    assert sluice.log(1)[0]["cache"] == "hit-exact"


def test_openai_clients_reach_anthropic_targets(sluice, mock):
    oa = sluice.client()
    text = unique("from openai")
    done = oa.chat.completions.create(model="anth/oa", messages=[{"role": "system", "content": "Sys."}, {"role": "user", "content": text}])
    assert done.choices[0].message.content == f"Echo: {text}" and done.usage.prompt_tokens > 0
    sent = last_upstream(mock, "/v1/messages")["body"]
    assert sent["system"] == [{"type": "text", "text": "Sys."}] and sent["max_tokens"] > 0
    stream = oa.chat.completions.create(model="anth/oa-stream", messages=[{"role": "user", "content": text}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == f"Echo: {text}"
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": TOOLS[0]["input_schema"]}}]
    called = oa.chat.completions.create(model="anth/mock-tool", messages=[{"role": "user", "content": "weather?"}], tools=tools)
    assert called.choices[0].finish_reason == "tool_calls"
    assert called.choices[0].message.tool_calls[0].function.arguments == '{"city":"Paris"}'
    with pytest.raises(Exception) as e:
        oa.chat.completions.create(model="anth/oa", messages=[{"role": "user", "content": "x"}], n=2)
    assert "`n`" in str(e.value)


def test_probes_and_the_model_list(sluice):
    assert httpx.head(sluice.url + "/").status_code == 200
    assert httpx.head(sluice.url + "/api/hello").status_code == 200
    models = client(sluice).models.list()
    ids = [m.id for m in models.data]
    assert "chain" in ids and all(m.type == "model" for m in models.data)


def test_what_translation_leaves_out_still_tells_cached_answers_apart(sluice):
    """Earlier thinking is not in the internal form; two conversations that differ only there
    must not share a cached answer, while the same conversation again is a hit."""
    c = client(sluice)
    q = unique("second question")

    def ask(thought):
        history = [{"role": "user", "content": "first question"},
                   {"role": "assistant", "content": [{"type": "thinking", "thinking": thought, "signature": "sig"}, {"type": "text", "text": "first answer"}]},
                   {"role": "user", "content": q}]
        raw = c.messages.with_raw_response.create(model="anth/cache-thinking", max_tokens=20, messages=history, extra_body={"temperature": 0})
        return raw.headers["x-sluice-cache"]

    assert ask("thought A") == "miss"
    assert ask("thought B") == "miss", "a different earlier thought is a different request"
    assert ask("thought A") == "hit-exact"


def test_what_a_translated_target_answers_without_is_logged(sluice):
    c = client(sluice)
    kw = dict(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024}, extra_body={"top_k": 5})
    c.messages.create(model="mock/wishes", messages=[{"role": "user", "content": unique("think")}], **kw)
    assert sluice.detail(sluice.log(1)[0]["id"])["left_out"] == "thinking, top_k"
    c.messages.create(model="anth/wishes", messages=[{"role": "user", "content": unique("think")}], **kw)
    assert sluice.detail(sluice.log(1)[0]["id"])["left_out"] is None, "an Anthropic target got them"
