"""The quality loop, live: sampled semantic hits and fallback answers are asked again of the
reference and judged in the background; a wrong hit leaves the cache and raises its partition's
threshold (bounded, logged, undoable, kept over a restart); the sample share and the daily cap
hold (the mock counts the judge's calls); a judge that answers garbage or never answers gives
an "unknown" verdict that changes nothing."""

import time

import pytest

from conftest import unique
from test_semantic import MODEL_DIR, wait_until_ready

QUESTION = "How do I reverse a list in Python?"
PARAPHRASE = "How can I reverse a list in Python?"

# Prices make every sample cost something, for the cap.
PRICES = """
[[prices]]
model = "mock/judge-echo-q"
input = 1000.0
output = 1000.0

[[prices]]
model = "mock/judge-q"
input = 1000.0
output = 1000.0

[[prices]]
model = "mock/ok-q"
input = 100.0
output = 100.0
"""


def quality_toml(judge, sample=1.0, cap=1.0, extra=""):
    return f"""
[cache]
semantic = true

[quality]
judge = "{judge}"
sample = {sample}
daily_cap_usd = {cap}
threshold_max = 0.99
{extra}
""" + PRICES


def start(sluice_factory, toml, name="s"):
    s = sluice_factory(toml, env={"SLUICE_EMBED_MODEL_DIR": str(MODEL_DIR)}, name=name)
    wait_until_ready(s)
    return s


def ask(s, model, text):
    r = s.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": text}]})
    assert r.status_code == 200, r.text
    return r


def quality(s):
    r = s.get("/api/quality")
    assert r.status_code == 200, r.text
    return r.json()


def settled(s, samples, timeout=20):
    """Waits until `samples` verdicts are stored (samples run in the background)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        q = quality(s)
        if sum(r["agree"] + r["disagree"] + r["unknown"] for r in q["rules"]) >= samples:
            return q
        time.sleep(0.1)
    raise TimeoutError(f"{samples} verdicts did not arrive: {quality(s)}")


def hit(s, model):
    ask(s, model, QUESTION)
    time.sleep(0.3)  # the entry reaches the vector table in the writer's next batch
    r = ask(s, model, PARAPHRASE)
    assert r.headers["x-sluice-cache"] == "hit-semantic"
    return r


def test_a_wrong_hit_is_judged_leaves_the_cache_and_raises_its_threshold_undoably(sluice_factory, mock):
    s = start(sluice_factory, quality_toml("mock/judge-echo-q"))
    judged_before = mock.count("judge-echo-q")
    wrong = hit(s, "mock/ok-q")
    q = settled(s, 1)
    # The reference (the same request, uncached) and the judge twice, in both orders.
    assert mock.count("judge-echo-q") == judged_before + 2
    [rule] = q["rules"]
    assert (rule["name"], rule["agree"], rule["disagree"], rule["alert"]) == ("default", 0, 1, False)
    [d] = q["disagreements"]
    assert d["request_id"] == wrong.headers["x-sluice-request-id"] and d["kind"] == "semantic"
    assert (d["question"], d["answer"], d["reference_answer"]) == (PARAPHRASE, f"Echo: {QUESTION}", f"Echo: {PARAPHRASE}")
    assert d["reason"] == "mock judge" and d["cost_usd"] > 0 and d["similarity"] > 0.95
    [change] = q["changes"]
    assert change["from"] == pytest.approx(0.95) and change["to"] == pytest.approx(min(0.99, max(0.96, d["similarity"] + 0.002)), abs=1e-4)
    assert "wrong hit at similarity" in change["reason"] and change["request_id"] == d["request_id"]
    [partition] = q["partitions"]
    assert partition["threshold"] == pytest.approx(change["to"]) and partition["name"] == d["partition"]
    assert q["today"]["samples"] == 1 and q["today"]["spent_usd"] == pytest.approx(d["cost_usd"])
    # The wrong entry is gone: the paraphrase, and the question itself, ask the model again.
    assert ask(s, "mock/ok-q", PARAPHRASE).headers["x-sluice-cache"] == "miss"
    # The loop's own calls are logged under their tags, cost money and never count as saved.
    checks = [r for r in s.log() if r.get("tags") and "quality" in r["tags"]]
    assert checks and all(not r["saved_usd"] for r in checks)
    # Undo puts the threshold back, as a change of its own; a second undo is refused.
    undone = s.post(f"/api/quality/changes/{change['id']}/undo")
    assert undone.status_code == 200, undone.text
    assert (undone.json()["from"], undone.json()["to"], undone.json()["undoes"]) == (pytest.approx(change["to"]), pytest.approx(0.95), change["id"])
    again = s.post(f"/api/quality/changes/{change['id']}/undo")
    assert again.status_code == 409 and f"#{change['id']}" in again.json()["error"]["message"]
    assert s.post("/api/quality/changes/999/undo").status_code == 404
    # A restart keeps the verdicts, the history and the thresholds.
    s.stop()
    s.start()
    q = quality(s)
    assert [c["id"] for c in q["changes"]] == [undone.json()["id"], change["id"]] and q["changes"][1]["undone"]
    assert q["partitions"][0]["threshold"] == pytest.approx(0.95) and q["rules"][0]["disagree"] == 1


def test_agreements_never_remove_entries_and_feedback_moves_the_threshold(sluice_factory, mock):
    s = start(sluice_factory, quality_toml("mock/judge-q"))
    first = hit(s, "mock/ok-q")
    settled(s, 1)
    q = quality(s)
    assert q["rules"][0]["agree"] == 1 and q["changes"] == [] and q["disagreements"] == []
    assert ask(s, "mock/ok-q", PARAPHRASE).headers["x-sluice-cache"] == "hit-semantic", "an agreement keeps the entry"
    # A person's thumbs-down on a semantic hit counts as a wrong verdict for its partition.
    r = s.post(f"/api/requests/{first.headers['x-sluice-request-id']}/feedback", json={"verdict": "bad"})
    assert r.status_code == 200, r.text
    [change] = quality(s)["changes"]
    assert (change["from"], change["to"], change["reason"]) == (pytest.approx(0.95), pytest.approx(0.96), "an answer marked wrong")


def test_the_sample_share_and_the_daily_cap_hold(sluice_factory, mock):
    # Half the hits are sampled: of 60, far from 0 and from 60 (binomial; outside 15–45 is
    # about 1 in 10,000). Each sample asks the reference once (the judge's identical calls
    # come from the exact cache after the first).
    s = start(sluice_factory, quality_toml("mock/judge-q", sample=0.5, extra="tune = false"), name="half")
    ask(s, "mock/ok-q", QUESTION)
    time.sleep(0.3)
    asked = mock.count("ok-q")
    for _ in range(60):
        assert ask(s, "mock/ok-q", PARAPHRASE).headers["x-sluice-cache"] == "hit-semantic"
    q = settled(s, quality(s)["today"]["samples"])
    sampled = q["today"]["samples"]
    assert 15 <= sampled <= 45 and q["today"]["skipped_cap"] == 0
    assert mock.count("ok-q") - asked == sampled
    s.stop()

    # An unpriced judge, so every sample costs the reference's one answer: with a cap of 2.5
    # of them, two run, then none, however many hits follow.
    c = start(sluice_factory, quality_toml("mock/judge-free-q", cap=0.000001, extra="tune = false"), name="capped")
    ask(c, "mock/ok-q", QUESTION)
    time.sleep(0.3)
    ask(c, "mock/ok-q", PARAPHRASE)
    one = settled(c, 1)["today"]["spent_usd"]
    assert one > 0
    c.stop()
    c.config_path.write_text(c.config_path.read_text().replace("daily_cap_usd = 1e-06", f"daily_cap_usd = {one * 2.5}"))
    c.start()
    wait_until_ready(c)
    asked = mock.count("ok-q")
    for _ in range(6):
        ask(c, "mock/ok-q", PARAPHRASE)
        time.sleep(0.2)
    q = settled(c, 2)
    assert q["today"]["spent_usd"] == pytest.approx(one * 2) and q["today"]["spent_usd"] <= one * 2.5
    assert mock.count("ok-q") - asked == 1, "one more sample fitted under the cap"
    assert (q["today"]["samples"], q["today"]["skipped_cap"]) == (1, 5)


def test_a_cheaper_fallback_is_judged_against_the_baseline(sluice_factory, mock):
    toml = quality_toml("mock/judge-q") + """
[[prices]]
model = "mock/flaky-1-big-q"
input = 1000.0
output = 1000.0

[[rules]]
name = "fallback"
when = { model = "smart-q" }
then = { targets = ["mock/flaky-1-big-q", "mock/ok-q"] }
"""
    s = start(sluice_factory, toml)
    r = ask(s, "smart-q", unique("Which is bigger?"))
    assert r.headers["x-sluice-provider"] == "mock" and float(r.headers["x-sluice-saved-usd"]) > 0
    q = settled(s, 1)
    [rule] = q["rules"]
    assert (rule["name"], rule["agree"]) == ("fallback", 1)
    assert [t["name"] for t in q["targets"]] == ["mock/ok-q"] and q["targets"][0]["saved_usd"] > 0
    assert mock.count("flaky-1-big-q") == 2, "the baseline answered the reference"
    # The prompt is labelled for the difficulty router, and stays labelled over a restart.
    assert q["labelled_prompts"] == 1
    s.stop()
    s.start()
    assert quality(s)["labelled_prompts"] == 1


@pytest.mark.parametrize("judge, extra", [("mock/garbage-q", ""), ("mock/judge-hang-q", "[router]\ntimeout_secs = 1")])
def test_a_judge_that_fails_gives_unknown_and_changes_nothing(sluice_factory, mock, judge, extra):
    toml = quality_toml(judge) + extra
    s = start(sluice_factory, toml)
    hit(s, "mock/ok-q")
    q = settled(s, 1)
    assert q["rules"][0]["unknown"] == 1 and q["changes"] == []
    assert ask(s, "mock/ok-q", PARAPHRASE).headers["x-sluice-cache"] == "hit-semantic", "the entry stays"
