"""Bad requests get 4xx errors in the OpenAI shape that say what to fix."""

import httpx
import pytest


def post_raw(s, content, headers=None):
    return httpx.post(s.api + "/chat/completions", content=content, headers={**s.headers, "Content-Type": "application/json", **(headers or {})})


def assert_openai_error(r, status):
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    return err


def test_malformed_json(sluice):
    err = assert_openai_error(post_raw(sluice, b'{"model": "mock/ok", "messages": ['), 400)
    assert "not valid JSON" in err["message"] and "line 1" in err["message"]


def test_invalid_utf8(sluice):
    err = assert_openai_error(post_raw(sluice, b'{"model": "mock/ok", "messages": [{"role": "user", "content": "\xff\xfe"}]}'), 400)
    assert "UTF-8" in err["message"]


@pytest.mark.parametrize("body,param", [
    ({"messages": [{"role": "user", "content": "x"}]}, "model"),
    ({"model": 42, "messages": [{"role": "user", "content": "x"}]}, "model"),
    ({"model": "mock/ok", "messages": "hello"}, "messages"),
    ({"model": "mock/ok", "messages": []}, "messages"),
    ({"model": "mock/ok", "messages": [{"content": "x"}]}, "messages[0].role"),
    ({"model": "mock/ok", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
    ({"model": "mock/ok", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "stream"),
    ({"model": "mock/ok", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1}, "max_tokens"),
    # A malformed image part used to go upstream and come back as the provider's 500.
    ({"model": "mock/ok", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 5}}]}]}, "messages[0].content[0].image_url.url"),
    ({"model": "mock/ok", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}]}, "messages[0].content[0].image_url.url"),
    ({"model": "mock/ok", "messages": [{"role": "user", "content": [{"text": "no type"}]}]}, "messages[0].content[0].type"),
    ({"model": "mock/ok", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"parameters": {}}}]}, "tools[0].function.name"),
])
def test_wrong_types_name_the_parameter(sluice, body, param):
    err = assert_openai_error(httpx.post(sluice.api + "/chat/completions", json=body, headers=sluice.headers), 400)
    assert err["param"] == param


def test_not_an_object(sluice):
    assert "JSON object" in assert_openai_error(post_raw(sluice, b"[1,2]"), 400)["message"]


def test_oversized_body(sluice_factory):
    s = sluice_factory("[server]\nmax_body_bytes = 2048\n")
    big = b'{"model": "mock/ok", "messages": [{"role": "user", "content": "' + b"x" * 4096 + b'"}]}'
    err = assert_openai_error(post_raw(s, big), 413)
    assert "2 KiB" in err["message"] and "max_body_bytes" in err["message"]

    def chunks():
        yield big
    err = assert_openai_error(httpx.post(s.api + "/chat/completions", content=chunks(), headers={**s.headers, "Content-Type": "application/json"}), 413)
    assert "max_body_bytes" in err["message"], "a chunked body without Content-Length is limited too"


def test_nesting_past_128_levels_is_refused_in_each_clients_shape(sluice):
    deep = "[" * 200 + "]" * 200
    message = '{"role": "user", "content": "hi"}'
    for path, body, shaped in [
        ("/v1/chat/completions", f'{{"model": "mock/ok", "messages": [{message}], "metadata": {deep}}}', lambda j: j["error"]["type"] == "invalid_request_error"),
        ("/v1/messages", f'{{"model": "mock/ok", "max_tokens": 5, "messages": [{message}], "metadata": {deep}}}', lambda j: j["type"] == "error"),
        ("/v1/responses", f'{{"model": "mock/ok", "input": "hi", "metadata": {deep}}}', lambda j: j["error"]["type"] == "invalid_request_error"),
        ("/v1beta/models/mock/ok:generateContent", f'{{"contents": [{{"parts": [{{"text": "hi"}}]}}], "x": {deep}}}', lambda j: j["error"]["status"] == "INVALID_ARGUMENT"),
    ]:
        r = httpx.post(sluice.url + path, content=body, headers={**sluice.headers, "Content-Type": "application/json"})
        assert r.status_code == 400 and shaped(r.json()), (path, r.text)
        assert "more than 128 levels deep" in r.json()["error"]["message"] and "flatten" in r.json()["error"]["message"], (path, r.text)
    assert sluice.chat("mock/ok", "hi").status_code == 200


def test_unknown_endpoint(sluice):
    err = assert_openai_error(httpx.get(sluice.url + "/v1/nothing", headers=sluice.headers), 404)
    assert "/v1/nothing" in err["message"]


def test_an_overlong_model_name_is_refused_not_echoed(sluice_factory, mock):
    """A 100,000-character model name once came back in a 100 KB x-sluice-model header."""
    from test_anthropic import anthropic_toml
    s = sluice_factory(raw=anthropic_toml(mock))
    name = "m" * 100_000
    chat = s.chat(name, "hi")
    assert chat.status_code == 400 and chat.json()["error"]["param"] == "model"
    assert all(len(v) < 1000 for v in chat.headers.values())
    messages = s.post("/v1/messages", json={"model": name, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert messages.status_code == 400 and messages.json()["type"] == "error" and "model name" in messages.json()["error"]["message"]


def test_overlong_tags_are_refused_naming_the_header(sluice):
    """x-sluice-tags is logged with every request: a few short words, not a dump."""
    too_many = sluice.chat("mock/ok", "hi", headers={"x-sluice-tags": ",".join(f"t{i}" for i in range(17))})
    assert too_many.status_code == 400 and too_many.json()["error"]["param"] == "x-sluice-tags"
    assert "at most 16" in too_many.json()["error"]["message"]
    too_long = sluice.chat("mock/ok", "hi", headers={"x-sluice-tags": "ok, " + "t" * 65})
    assert too_long.status_code == 400 and "at most 64" in too_long.json()["error"]["message"]
    fine = sluice.chat("mock/ok", "hi", headers={"x-sluice-tags": ",".join(["t" * 64] * 16)})
    assert fine.status_code == 200
    assert [r["status"] for r in sluice.log()].count(400) == 0, "a refused request is not a logged call"
