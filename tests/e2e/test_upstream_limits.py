"""Upstreams that misbehave are ended with a clear error, in the client's shape and in the log:
a stream that goes silent (or trickles bytes that never make an event) past
`[router] stream_idle_secs`, and answers too large to hold — a body over 64 MiB, a stream
event over 16 MiB."""

import json

import httpx


def events(r):
    return [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]


def test_a_silent_stream_is_ended_with_an_error(sluice_factory):
    s = sluice_factory("[router]\nstream_idle_secs = 1\n")
    r = s.post("/v1/chat/completions", json={"model": "mock/delay-4000-idle", "stream": True, "messages": [{"role": "user", "content": "one two three"}]})
    assert r.status_code == 200
    last = events(r)[-1]
    assert last["error"]["code"] == "stream_interrupted" and "sent nothing for 1 s" in last["error"]["message"], last
    [row] = [x for x in s.log() if x["model_requested"] == "mock/delay-4000-idle"]
    assert row["status"] == 502 and "stream_idle_secs" in row["error"]


def test_answers_too_large_to_hold_are_refused(sluice_factory, mock):
    s = sluice_factory()
    big = s.post("/v1/chat/completions", json={"model": "mock/size-66000-big", "messages": [{"role": "user", "content": "x"}]})
    assert big.status_code == 502 and "over 64 MiB" in big.json()["error"]["message"]
    streamed = s.post("/v1/chat/completions", json={"model": "mock/size-17000-big", "stream": True, "messages": [{"role": "user", "content": "x"}]})
    assert "over 16 MiB" in events(streamed)[-1]["error"]["message"]
    # Nothing of them was kept: the log row says why, and the next ordinary call is answered.
    rows = [x for x in s.log() if x["model_requested"].startswith("mock/size-")]
    assert len(rows) == 2 and all(x["status"] == 502 for x in rows)
    assert s.chat("mock/m", "still fine").status_code == 200
    assert httpx.get(s.url + "/healthz").status_code == 200
