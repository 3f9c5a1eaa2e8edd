"""Feedback on answers (`POST /api/requests/{id}/feedback`): a wrong answer from the cache
takes its entry out (the next identical question asks the model again); a verdict is kept
with the request, the latest winning; an unknown id is a 404 naming it; bad bodies say what
to send."""

from conftest import unique


def test_a_wrong_cached_answer_leaves_the_cache(sluice, mock):
    question = unique("What is the tallest tree?")
    first = sluice.chat("mock/m", question)
    hit = sluice.chat("mock/m", question)
    assert hit.headers["x-sluice-cache"] == "hit-exact"
    asked = mock.count("m")
    r = sluice.post(f"/api/requests/{hit.headers['x-sluice-request-id']}/feedback", json={"verdict": "bad", "note": "wrong tree"})
    assert r.status_code == 200, r.text
    assert r.json()["removed_cache_entry"] is not None
    again = sluice.chat("mock/m", question)
    assert again.headers["x-sluice-cache"] == "miss"
    assert mock.count("m") == asked + 1
    detail = sluice.detail(hit.headers["x-sluice-request-id"])
    assert (detail["feedback"]["verdict"], detail["feedback"]["note"]) == ("bad", "wrong tree")
    # The latest verdict wins; a good verdict removes nothing.
    ok = sluice.post(f"/api/requests/{first.headers['x-sluice-request-id']}/feedback", json={"verdict": "good"})
    assert ok.json()["removed_cache_entry"] is None
    assert sluice.post(f"/api/requests/{hit.headers['x-sluice-request-id']}/feedback", json={"verdict": "good"}).status_code == 200
    assert sluice.detail(hit.headers["x-sluice-request-id"])["feedback"]["verdict"] == "good"


def test_unknown_ids_and_bad_bodies_are_named(sluice):
    r = sluice.post("/api/requests/req_nope/feedback", json={"verdict": "bad"})
    assert r.status_code == 404 and "`req_nope`" in r.json()["error"]["message"]
    real = sluice.chat("mock/m", unique("hello")).headers["x-sluice-request-id"]
    r = sluice.post(f"/api/requests/{real}/feedback", json={"verdict": "meh"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "verdict" and '"good" or "bad"' in r.json()["error"]["message"]
    assert sluice.detail(real)["feedback"] is None
