"""The exact cache: hits with headers and savings, Cache-Control, streamed replay, TTL, and
what never gets cached."""

import time

import httpx

from conftest import unique

PRICED = """
[[prices]]
model = "mock/priced"
input = 2.0
output = 8.0
"""


def test_second_identical_request_is_an_exact_hit(sluice_factory, mock):
    s = sluice_factory(PRICED)
    text = unique()
    first = s.chat("mock/priced", text, temperature=0)
    second = s.chat("mock/priced", text, temperature=0.0)
    assert first.headers["x-sluice-cache"] == "miss"
    assert second.headers["x-sluice-cache"] == "hit-exact"
    assert second.json() == first.json()
    assert float(second.headers["x-sluice-cost-usd"]) == 0
    assert float(second.headers["x-sluice-saved-usd"]) == float(first.headers["x-sluice-cost-usd"]) > 0
    assert mock.count("priced") == 1


def test_different_parameters_miss(sluice):
    text = unique()
    assert sluice.chat("mock/ok-j", text).headers["x-sluice-cache"] == "miss"
    assert sluice.chat("mock/ok-j", text, max_tokens=5).headers["x-sluice-cache"] == "miss"
    assert sluice.chat("mock2/ok-j", text).headers["x-sluice-cache"] == "miss", "another provider is another answer"


def test_cache_control(sluice, mock):
    text = unique()
    no_store = sluice.chat("mock/ok-k", text, headers={"Cache-Control": "no-store"})
    assert no_store.headers["x-sluice-cache"] == "bypass"
    assert sluice.chat("mock/ok-k", text).headers["x-sluice-cache"] == "miss", "no-store stored nothing"
    assert sluice.chat("mock/ok-k", text).headers["x-sluice-cache"] == "hit-exact"
    refreshed = sluice.chat("mock/ok-k", text, headers={"Cache-Control": "no-cache"})
    assert refreshed.headers["x-sluice-cache"] == "bypass"
    assert mock.count("ok-k") == 3


def test_hot_sampling_and_n_bypass(sluice):
    text = unique()
    for _ in range(2):
        assert sluice.chat("mock/ok-l", text, temperature=1.7).headers["x-sluice-cache"] == "bypass"
        assert sluice.chat("mock/ok-l", text, n=2).headers["x-sluice-cache"] == "bypass"


def test_errors_are_never_cached(sluice, mock):
    text = unique()
    for _ in range(2):
        r = sluice.chat("mock/status-500-m", text)
        assert r.status_code == 500
    assert mock.count("status-500-m") == 2


def test_streamed_answer_replays_as_a_stream_for_the_sdk(sluice, mock):
    client = sluice.client()
    text = unique("replay this answer")
    msgs = [{"role": "user", "content": text}]
    first = list(client.chat.completions.create(model="mock/ok-n", messages=msgs, stream=True))
    raw = client.chat.completions.with_raw_response.create(model="mock/ok-n", messages=msgs, stream=True)
    assert raw.headers["x-sluice-cache"] == "hit-exact"
    replay = list(raw.parse())
    assert [c.model_dump() for c in replay] == [c.model_dump() for c in first], "the original chunking, chunk for chunk"
    whole = client.chat.completions.create(model="mock/ok-n", messages=msgs)
    assert whole.choices[0].message.content == f"Echo: {text}", "a streamed answer also serves non-streamed clients"
    assert mock.count("ok-n") == 1


def test_whole_answer_replays_as_a_stream(sluice):
    client = sluice.client()
    msgs = [{"role": "user", "content": unique("whole then stream")}]
    whole = client.chat.completions.create(model="mock/ok-o", messages=msgs)
    chunks = list(client.chat.completions.create(model="mock/ok-o", messages=msgs, stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == whole.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_ttl_expiry(sluice_factory):
    s = sluice_factory('[cache]\nttl_secs = 1\n')
    text = unique()
    s.chat("mock/ok-p", text)
    assert s.chat("mock/ok-p", text).headers["x-sluice-cache"] == "hit-exact"
    time.sleep(1.2)
    assert s.chat("mock/ok-p", text).headers["x-sluice-cache"] == "miss"


def test_route_can_turn_the_cache_off(sluice_factory):
    s = sluice_factory('[[routes]]\nmodel = "live"\ntargets = ["mock/ok-q"]\ncache = { exact = false }\n')
    text = unique()
    for _ in range(2):
        assert s.chat("live", text).headers["x-sluice-cache"] == "bypass"


def test_cache_survives_a_restart(sluice_factory, tmp_path):
    s = sluice_factory()
    text = unique()
    s.chat("mock/ok-r", text)
    s.stop()
    s.start()
    assert s.chat("mock/ok-r", text).headers["x-sluice-cache"] == "hit-exact"
