"""The semantic cache, live: near-duplicates answered from the cache with the real embedding
model, partitions, hard negatives, follow-ups, TTL, feedback, streamed replay through the
OpenAI SDK, restarts and concurrent clients."""

import concurrent.futures
import time

import pytest

from conftest import ROOT

MODEL_DIR = ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2"

QUESTION = "How do I reverse a list in Python?"
PARAPHRASE = "How can I reverse a list in Python?"


@pytest.fixture
def semantic(sluice_factory):
    def make(extra_toml="", name="s"):
        s = sluice_factory(extra_toml, env={"SLUICE_EMBED_MODEL_DIR": str(MODEL_DIR)}, name=name)
        wait_until_ready(s)
        return s

    return make


def wait_until_ready(s, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        model = s.get("/api/cache/status").json()["model"]
        if model["state"] == "ready":
            return
        assert model["state"] in ("loading", "downloading"), model
        time.sleep(0.1)
    raise TimeoutError("the embedding model did not load")


def ask(s, model, text, system=None, headers=None, **params):
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
    return s.post("/v1/chat/completions", json={"model": model, "messages": messages, **params}, headers=headers or {})


def settle(s):
    """Cache entries reach the vector table in the writer's next batch; a moment suffices."""
    time.sleep(0.3)


def content(r):
    return r.json()["choices"][0]["message"]["content"]


def test_a_rephrased_question_is_answered_from_the_cache(semantic, mock):
    s = semantic()
    first = ask(s, "mock/ok-sem-a", QUESTION)
    assert first.headers["x-sluice-cache"] == "miss"
    settle(s)
    second = ask(s, "mock/ok-sem-a", PARAPHRASE)
    assert second.headers["x-sluice-cache"] == "hit-semantic"
    assert content(second) == content(first) == f"Echo: {QUESTION}"
    assert mock.count("ok-sem-a") == 1
    detail = s.detail(second.headers["x-sluice-request-id"])
    assert detail["cache"] == "hit-semantic"
    assert detail["question"] == PARAPHRASE and detail["matched_question"] == QUESTION
    entries = s.get("/api/cache").json()["entries"]
    assert [e["id"] for e in entries] == [detail["cache_entry"]] and entries[0]["question"] == QUESTION
    status = s.get("/api/cache/status").json()
    assert status["semantic_hits"] == 1 and s.stats()["semantic_hits"] == 1 and s.stats()["cache_hits"] == 1


def test_partitions_never_mix_models_system_prompts_or_tools(semantic, mock):
    s = semantic()
    ask(s, "mock/ok-sem-b", QUESTION, system="Answer briefly.")
    settle(s)
    tools = [{"type": "function", "function": {"name": "run", "parameters": {"type": "object"}}}]
    assert ask(s, "mock2/ok-sem-b", PARAPHRASE, system="Answer briefly.").headers["x-sluice-cache"] == "miss", "another provider"
    assert ask(s, "mock/ok-sem-b2", PARAPHRASE, system="Answer briefly.").headers["x-sluice-cache"] == "miss", "another model"
    assert ask(s, "mock/ok-sem-b", PARAPHRASE, system="Answer in French.").headers["x-sluice-cache"] == "miss", "another system prompt"
    assert ask(s, "mock/ok-sem-b", PARAPHRASE, system="Answer briefly.", tools=tools).headers["x-sluice-cache"] == "miss", "tools"
    assert ask(s, "mock/ok-sem-b", PARAPHRASE, system="Answer briefly.", temperature=0).headers["x-sluice-cache"] == "miss", "greedy sampling"
    assert ask(s, "mock/ok-sem-b", PARAPHRASE, system="Answer briefly.").headers["x-sluice-cache"] == "hit-semantic"


HARD_NEGATIVES = [
    ("What is the exchange rate from USD to JPY?", "What is the exchange rate from JPY to USD?"),
    ("How do I split a €20 bill three ways?", "How do I split a €25 bill three ways?"),
    ("Is coffee good for your health?", "Is coffee not good for your health?"),
    ("What is the weather in Paris today?", "What was the weather in Paris yesterday?"),
    ("What does os.path.join do in Python?", "What does os.path.split do in Python?"),
    ("Summarize https://example.com/a for me", "Summarize https://example.com/b for me"),
    ('What does the error "connection refused" mean?', 'What does the error "connection reset" mean?'),
    ("Who won the World Cup in 2018?", "Who won the World Cup in 2022?"),
    ("Why does my_function raise a KeyError?", "Why does other_function raise a KeyError?"),
]


def test_hard_negatives_never_hit_at_the_defaults(semantic, mock):
    s = semantic()
    for i, (a, _) in enumerate(HARD_NEGATIVES):
        assert ask(s, "mock/ok-sem-c", a).headers["x-sluice-cache"] == "miss", a
    settle(s)
    for a, b in HARD_NEGATIVES:
        r = ask(s, "mock/ok-sem-c", b)
        assert r.headers["x-sluice-cache"] == "miss", f"{b!r} was answered with the answer to {a!r}"
        assert content(r) == f"Echo: {b}"


def conversation(first, answer, follow_up):
    return [{"role": "user", "content": first}, {"role": "assistant", "content": answer}, {"role": "user", "content": follow_up}]


def test_follow_ups_in_different_conversations_do_not_collide(semantic, mock):
    s = semantic()
    chat = lambda messages: s.post("/v1/chat/completions", json={"model": "mock/ok-sem-d", "messages": messages})
    lists = chat(conversation(QUESTION, "Use reversed().", "And in Java?"))
    assert lists.headers["x-sluice-cache"] == "miss"
    settle(s)
    maps = chat(conversation("How do I sort a dictionary by value in Python?", "Use sorted().", "And in Java?"))
    assert maps.headers["x-sluice-cache"] == "miss" and content(maps) == "Echo: And in Java?"
    standalone = chat([{"role": "user", "content": "And in Java?"}])
    assert standalone.headers["x-sluice-cache"] == "miss", "a first turn never matches a follow-up"
    same_topic = chat(conversation(PARAPHRASE, "Call reversed() on it.", "And in Java?"))
    assert same_topic.headers["x-sluice-cache"] == "hit-semantic"


def test_entries_expire_with_their_ttl(semantic, mock):
    # Long enough that a debug build on a busy machine embeds twice well within it.
    s = semantic('[[routes]]\nmodel = "news"\ntargets = ["mock/ok-sem-e"]\ncache = { ttl_secs = 4 }\n')
    stored_at = time.time()
    ask(s, "news", QUESTION)
    settle(s)
    assert ask(s, "news", PARAPHRASE).headers["x-sluice-cache"] == "hit-semantic"
    time.sleep(max(0, stored_at + 4.2 - time.time()))
    assert ask(s, "news", PARAPHRASE).headers["x-sluice-cache"] == "miss"
    assert mock.count("ok-sem-e") == 2


def test_route_overrides_switch_semantic_off_and_tighten_the_threshold(semantic, mock):
    routes = """
[[routes]]
model = "exact-only"
targets = ["mock/ok-sem-f"]
cache = { semantic = false }

[[routes]]
model = "strict"
targets = ["mock/ok-sem-f2"]
cache = { threshold = 0.999 }
"""
    s = semantic(routes)
    for model in ("exact-only", "strict"):
        ask(s, model, QUESTION)
    settle(s)
    for model in ("exact-only", "strict"):
        assert ask(s, model, PARAPHRASE).headers["x-sluice-cache"] == "miss", model
        assert ask(s, model, QUESTION).headers["x-sluice-cache"] == "hit-exact", model


def test_invalidation_and_likely_wrong_hits_are_counted(semantic, mock):
    s = semantic()
    ask(s, "mock/ok-sem-g", QUESTION)
    settle(s)
    hit = ask(s, "mock/ok-sem-g", PARAPHRASE)
    assert hit.headers["x-sluice-cache"] == "hit-semantic"
    retry = ask(s, "mock/ok-sem-g", PARAPHRASE, headers={"Cache-Control": "no-cache"})
    assert retry.headers["x-sluice-cache"] == "bypass" and content(retry) == f"Echo: {PARAPHRASE}"
    assert s.stats()["likely_wrong_hits"] == 1
    entry = s.detail(hit.headers["x-sluice-request-id"])["cache_entry"]
    bad = s.post("/api/cache/not-an-id/invalidate")
    assert bad.status_code == 400 and "64 hex digits" in bad.json()["error"]["message"]
    gone = s.post(f"/api/cache/{entry}/invalidate", json={"request_id": hit.headers["x-sluice-request-id"]})
    assert gone.status_code == 200, gone.text
    assert s.post(f"/api/cache/{entry}/invalidate").status_code == 404
    assert s.stats()["invalidated"] == 1
    assert ask(s, "mock/ok-sem-g", QUESTION).headers["x-sluice-cache"] != "hit-exact", "the entry is gone, exact lookups too"


def test_clear_and_search(semantic, mock):
    s = semantic()
    ask(s, "mock/ok-sem-h", QUESTION)
    ask(s, "mock/ok-sem-h", "What is the capital of France?")
    settle(s)
    found = s.get("/api/cache", params={"q": "france"}).json()["entries"]
    assert [e["question"] for e in found] == ["What is the capital of France?"]
    assert s.http().delete("/api/cache").json()["removed"] == 2
    assert s.get("/api/cache").json()["entries"] == []
    assert ask(s, "mock/ok-sem-h", PARAPHRASE).headers["x-sluice-cache"] == "miss"


def test_streamed_replay_is_read_by_the_openai_sdk(semantic, mock):
    s = semantic()
    client = s.client()
    first = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="mock/ok-sem-i", messages=[{"role": "user", "content": QUESTION}], stream=True) if c.choices)
    assert first == f"Echo: {QUESTION}"
    settle(s)
    raw = client.chat.completions.with_raw_response.create(model="mock/ok-sem-i", messages=[{"role": "user", "content": PARAPHRASE}], stream=True)
    assert raw.headers["x-sluice-cache"] == "hit-semantic"
    chunks = list(raw.parse())
    assert len(chunks) > 2, "replayed in the original chunking, not as one blob"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == first
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert mock.count("ok-sem-i") == 1


def test_entries_survive_a_restart(semantic, mock, tmp_path):
    s = semantic()
    ask(s, "mock/ok-sem-j", QUESTION)
    settle(s)
    s.stop()
    s.start()
    wait_until_ready(s)
    assert ask(s, "mock/ok-sem-j", PARAPHRASE).headers["x-sluice-cache"] == "hit-semantic"


def test_concurrent_readers_and_writers(semantic, mock):
    s = semantic()
    topics = ["reverse a list in Python", "read a file in Rust", "center a div in CSS", "parse JSON in Go",
              "sort an array in JavaScript", "create a virtual environment in Python", "install Docker on Debian", "undo a git commit"]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        firsts = list(pool.map(lambda t: ask(s, "mock/ok-sem-k", f"How do I {t}?"), topics))
    assert all(r.status_code == 200 and r.headers["x-sluice-cache"] == "miss" for r in firsts)
    settle(s)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        seconds = list(pool.map(lambda t: ask(s, "mock/ok-sem-k", f"How can I {t}?"), topics * 2))
    for t, r in zip(topics * 2, seconds):
        assert r.headers["x-sluice-cache"] == "hit-semantic", t
        assert content(r) == f"Echo: How do I {t}?"
    assert mock.count("ok-sem-k") == len(topics)


def test_without_the_model_exact_caching_still_works_and_the_status_says_why(sluice, mock):
    status = sluice.get("/api/cache/status").json()
    assert status["model"]["state"] == "missing" and status["model"]["dir"].endswith("all-MiniLM-L6-v2")
    ask(sluice, "mock/ok-sem-l", QUESTION)
    assert ask(sluice, "mock/ok-sem-l", PARAPHRASE).headers["x-sluice-cache"] == "miss"
    assert ask(sluice, "mock/ok-sem-l", QUESTION).headers["x-sluice-cache"] == "hit-exact"


def test_texts_longer_than_the_model_reads_are_exact_only(semantic, mock):
    s = semantic()
    report = "The quarterly report covers revenue, costs, hiring and the roadmap in detail. " * 40
    ask(s, "mock/ok-sem-m", f"Summarize this: {report} Final note: the board approved the plan.")
    settle(s)
    other = ask(s, "mock/ok-sem-m", f"Summarize this: {report} Final note: the board rejected the plan.")
    assert other.headers["x-sluice-cache"] == "miss", "the texts differ only past the model's window"
    entries = s.get("/api/cache", params={"q": "quarterly report"}).json()["entries"]
    assert len(entries) == 2 and not any(e["semantic"] for e in entries), "stored for identical requests only"
    assert all(e["question"].startswith("Summarize this: The quarterly") and e["question"].endswith("…") for e in entries), "searchable, shown cut"


def test_a_providers_embedding_model_can_do_the_embedding(sluice_factory, mock):
    """The mock's embeddings hash the whole text (8 numbers), so only the same words match:
    `seed` changes the exact key but not the partition, which makes the second ask a semantic hit."""
    s = sluice_factory('[cache]\nembedder = "mock/embed-hash"\n')
    assert s.get("/api/cache/status").json()["model"] == {"state": "remote", "embedder": "mock/embed-hash"}
    assert ask(s, "mock/ok-sem-n", QUESTION, seed=1).headers["x-sluice-cache"] == "miss"
    settle(s)
    assert ask(s, "mock/ok-sem-n", QUESTION, seed=2).headers["x-sluice-cache"] == "hit-semantic"
    assert ask(s, "mock/ok-sem-n", PARAPHRASE).headers["x-sluice-cache"] == "miss"
    assert mock.count("embed-hash") == 3
    bad = s.http().put("/api/config", json={"config": {**s.get("/api/config").json()["config"], "cache": {"embedder": "nowhere/x"}}})
    assert bad.status_code == 400 and "cache.embedder" in bad.text


def test_a_no_cache_request_is_embedded_beside_its_upstream_call(sluice_factory, mock):
    """`no-cache` skips the lookup, so the request need not wait for its vector: it goes upstream
    at once and its answer is stored for rephrasings when the embedding arrives. The mock's
    embedder answers after 300 ms; the chat request must reach the mock before that answer."""
    s = sluice_factory('[cache]\nembedder = "mock/embed-hash-delay-300"\n')
    fresh = ask(s, "mock/ok-sem-nc", QUESTION, seed=1, headers={"Cache-Control": "no-cache"})
    assert fresh.headers["x-sluice-cache"] == "bypass" and content(fresh) == f"Echo: {QUESTION}"
    events = mock.stats()["events"]
    chat, embedded = events.index("chat ok-sem-nc"), events.index("embedded embed-hash-delay-300")
    assert chat < embedded, events[chat - 1:]
    settle(s)
    assert ask(s, "mock/ok-sem-nc", QUESTION, seed=2).headers["x-sluice-cache"] == "hit-semantic", "stored with its vector"
