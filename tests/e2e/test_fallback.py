"""Routes with ordered targets: failover on 503, 429, timeouts and early stream cuts; the
circuit breaker; cancellation of abandoned streams."""

import time

import httpx
import openai
import pytest

from conftest import unique


def route(name, *targets, timeout=None):
    t = ", ".join(f'"{x}"' for x in targets)
    extra = f"\ntimeout_secs = {timeout}" if timeout else ""
    return f'[[routes]]\nmodel = "{name}"\ntargets = [{t}]{extra}\n'


def test_503_falls_over_to_the_next_target(sluice_factory):
    s = sluice_factory(route("r", "mock/status-503-a", "mock2/ok-a"))
    r = s.chat("r", unique())
    assert r.status_code == 200 and r.headers["x-sluice-provider"] == "mock2"
    attempts = s.detail(r.headers["x-sluice-request-id"])["attempts"]
    assert [(a["provider"], a["status"]) for a in attempts] == [("mock", 503), ("mock2", 200)]


def test_429_with_long_retry_after_moves_on_and_cools_down(sluice_factory, mock):
    s = sluice_factory(route("r", "mock/status-429-ra-30-b", "mock2/ok-b"))
    t0 = time.time()
    assert s.chat("r", unique()).headers["x-sluice-provider"] == "mock2"
    assert time.time() - t0 < 5, "a long Retry-After is not waited for when another target exists"
    health = {t["target"]: t for t in s.get("/api/health").json()["targets"]}
    assert health["mock/status-429-ra-30-b"]["state"] == "open"
    assert health["mock/status-429-ra-30-b"]["retry_in_secs"] > 20
    before = mock.count("status-429-ra-30-b")
    s.chat("r", unique())
    assert mock.count("status-429-ra-30-b") == before, "a target that asked to wait is skipped"


def test_short_retry_after_on_the_last_target_is_waited_out(sluice_factory):
    s = sluice_factory(route("r", "mock/flaky-1-flakystatus-429-ra-1-c"))
    t0 = time.time()
    r = s.chat("r", unique())
    assert r.status_code == 200
    assert time.time() - t0 >= 0.9
    attempts = s.detail(r.headers["x-sluice-request-id"])["attempts"]
    assert [a["status"] for a in attempts] == [429, 200]


def test_timeout_falls_over(sluice_factory):
    s = sluice_factory(route("r", "mock/hang-d", "mock2/ok-d", timeout=1))
    r = s.chat("r", unique())
    assert r.status_code == 200 and r.headers["x-sluice-provider"] == "mock2"
    attempts = s.detail(r.headers["x-sluice-request-id"])["attempts"]
    assert "within 1 s" in attempts[0]["error"]


def test_all_targets_failing_returns_the_upstream_error(sluice_factory):
    s = sluice_factory(route("r", "mock/status-503-e", "mock2/status-502-e"))
    r = s.chat("r", unique())
    assert r.status_code == 502
    assert "mock failure 502" in r.json()["error"]["message"]


def test_circuit_breaker_skips_a_failing_target(sluice_factory, mock):
    s = sluice_factory("[router]\nfailure_threshold = 3\ncooldown_secs = 60\n" + route("r", "mock/status-503-f", "mock2/ok-f"))
    for _ in range(6):
        assert s.chat("r", unique()).status_code == 200
    assert mock.count("status-503-f") == 3, "after 3 failures the target is skipped"
    state = {t["target"]: t["state"] for t in s.get("/api/health").json()["targets"]}
    assert state["mock/status-503-f"] == "open"


def test_stream_cut_before_first_chunk_falls_over(sluice_factory):
    s = sluice_factory(route("r", "mock/cut-0-g", "mock2/ok-g"))
    text = unique("whole answer")
    chunks = list(s.client().chat.completions.create(model="r", messages=[{"role": "user", "content": text}], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == f"Echo: {text}"


def test_stream_cut_midway_ends_in_an_error_event(sluice_factory):
    s = sluice_factory(route("r", "mock/cut-3-h", "mock2/ok-h"))
    got = []
    with pytest.raises(openai.APIError) as e:
        for c in s.client().chat.completions.create(model="r", messages=[{"role": "user", "content": unique("a b c d e f")}], stream=True):
            got.append(c)
    assert len(got) == 3, "chunks before the cut reached the client; no failover after that"
    assert "incomplete" in str(e.value)
    row = s.log(1)[0]
    assert row["status"] == 502 and "broke off" in row["error"]


def test_client_hang_up_cancels_the_upstream_call(sluice_factory, mock):
    s = sluice_factory()
    before = mock.stats()["streams_cancelled"]
    body = {"model": "mock/delay-300-i", "stream": True, "messages": [{"role": "user", "content": "one two three four five six seven eight"}]}
    with httpx.stream("POST", s.url + "/v1/chat/completions", json=body, headers=s.headers, timeout=10) as r:
        lines = r.iter_lines()
        assert next(lines).startswith("data: ")
    deadline = time.time() + 5
    while time.time() < deadline and mock.stats()["streams_cancelled"] == before:
        time.sleep(0.05)
    assert mock.stats()["streams_cancelled"] == before + 1
    deadline = time.time() + 5
    while time.time() < deadline and not s.log(1):
        time.sleep(0.05)
    assert s.log(1)[0]["status"] == 499
