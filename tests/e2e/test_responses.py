"""OpenAI's Responses API through `sluice serve`, driven by the official openai SDK: passed
through to an OpenAI target (`oai/…`) and translated for the others (`mock/…` chat,
`anth/…` Anthropic, `gem/…` Gemini)."""

import openai
import pytest

from conftest import unique
from test_gemini import gemini_toml

TOOLS = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]


@pytest.fixture
def sluice(sluice_factory, mock):
    return sluice_factory(raw=gemini_toml(mock))


@pytest.mark.parametrize("target", ["oai", "mock", "anth", "gem"])
def test_plain_and_streamed(sluice, target):
    c = sluice.client()
    text = unique("hello responses")
    done = c.responses.create(model=f"{target}/plain", instructions="Be brief.", input=text, store=False)
    assert done.output_text == f"Echo: {text}" and done.status == "completed" and done.usage.input_tokens > 0
    with c.responses.stream(model=f"{target}/stream", input=[{"role": "user", "content": text}], store=False) as s:
        deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
        final = s.get_final_response()
    assert "".join(deltas) == f"Echo: {text}" and final.output_text == f"Echo: {text}"
    row = sluice.log(1)[0]
    assert (row["client_api"], row["provider"], row["status"]) == ("openai-responses", target, 200)
    assert row["completion_tokens"] > 0 and not row["tokens_estimated"]


@pytest.mark.parametrize("target", ["oai", "mock", "anth", "gem"])
def test_a_function_turn(sluice, target):
    c = sluice.client()
    question = [{"role": "user", "content": unique("weather?")}]
    first = c.responses.create(model=f"{target}/mock-tool", input=question, tools=TOOLS, store=False)
    call = [o for o in first.output if o.type == "function_call"][0]
    assert call.name == "get_weather" and call.arguments == '{"city":"Paris"}'
    follow = question + [call.model_dump(exclude_none=True), {"type": "function_call_output", "call_id": call.call_id, "output": "Sunny"}]
    second = c.responses.create(model=f"{target}/mock-tool", input=follow, tools=TOOLS, store=False)
    # Gemini takes a tool's result as an object: plain text goes in as {"result": …}.
    assert second.output_text == ('Tool said: {"result":"Sunny"}' if target == "gem" else "Tool said: Sunny")


def test_what_needs_state_is_refused_by_name(sluice):
    with pytest.raises(openai.BadRequestError) as e:
        sluice.client().responses.create(model="mock/x", input="x", previous_response_id="resp_123")
    assert e.value.body["param"] == "previous_response_id"
    with pytest.raises(openai.BadRequestError) as e:
        sluice.client().responses.create(model="mock/x", input="x", extra_body={"conversation": "conv_1"})
    assert "conversation" in e.value.message and "`mock`" in e.value.message


def test_a_hosted_tool_is_dropped_for_a_translated_target_but_passed_to_openai(sluice, mock):
    c = sluice.client()
    for target in ["oai", "mock"]:
        c.responses.create(model=f"{target}/hosted", input=unique("x"), tools=[{"type": "web_search"}], store=False)
    sent = [r for r in mock.requests() if r["path"] in ("/v1/responses", "/v1/chat/completions")][-2:]
    assert sent[0]["path"] == "/v1/responses" and sent[0]["body"]["tools"] == [{"type": "web_search"}]
    assert sent[1]["path"] == "/v1/chat/completions" and sent[1]["body"]["tools"] == []
