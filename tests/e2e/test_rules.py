"""Routing rules through `sluice serve`: every condition and action kind end to end, budgets
that warn, refuse and fall through (across a restart), "why this route" on saved and unsaved
rules, saving from the admin API with comments kept, and bad rules refused."""

import datetime
import json

import httpx
import pytest

from conftest import MOCK_KEY, ROOT, providers_toml, unique

MODEL_DIR = ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2"


def anth_toml(mock):
    return f"""
[[providers]]
id = "anth"
kind = "anthropic"
base_url = "{mock.api}"
api_key_env = "SLUICE_TEST_MOCK_KEY"
"""


def window(offset_min, length_min):
    """A local time window starting `offset_min` from now, as "HH:MM" strings."""
    now = datetime.datetime.now()
    start = now + datetime.timedelta(minutes=offset_min)
    end = start + datetime.timedelta(minutes=length_min)
    return start.strftime("%H:%M"), end.strftime("%H:%M")


def conditions_toml(mock):
    open_from, open_to = window(-60, 120)
    shut_from, shut_to = window(120, 60)
    return providers_toml(mock) + anth_toml(mock) + f"""
[[rules]]
name = "closed-hours"
when = {{ model = "cond", time = {{ from = "{shut_from}", to = "{shut_to}" }} }}
then = {{ targets = ["mock/never"] }}

[[rules]]
name = "by-tag"
when = {{ model = "cond", tags = ["batch", "nightly"] }}
then = {{ targets = ["mock/tagged"] }}

[[rules]]
name = "from-aider"
when = {{ model = "cond", client = "aider/*" }}
then = {{ targets = ["mock/aider"] }}

[[rules]]
name = "anthropic-clients"
when = {{ model = "cond", client_api = "anthropic-messages" }}
then = {{ targets = ["mock/anthropic-client"] }}

[[rules]]
name = "tools"
when = {{ model = "cond", tools = true }}
then = {{ targets = ["mock/tools"] }}

[[rules]]
name = "images"
when = {{ model = "cond", images = true }}
then = {{ targets = ["mock/images"] }}

[[rules]]
name = "schema"
when = {{ model = "cond", json_schema = true }}
then = {{ targets = ["mock/schema"] }}

[[rules]]
name = "streams"
when = {{ model = "cond", stream = true }}
then = {{ targets = ["mock/streamed"] }}

[[rules]]
name = "long"
when = {{ model = "cond", input_tokens = {{ min = 200 }} }}
then = {{ targets = ["mock/long"] }}

[[rules]]
name = "translate"
when = {{ model = "cond", text = {{ contains = ["TRANSLATE"] }} }}
then = {{ targets = ["mock/translate"] }}

[[rules]]
name = "legal-system"
when = {{ model = "cond", text = {{ regex = "(?i)you are a (lawyer|paralegal)", in = "system" }} }}
then = {{ targets = ["mock/legal"] }}

[[rules]]
name = "not-short-any"
when = {{ model = "cond", any = [{{ text = {{ contains = ["alpha"] }} }}, {{ text = {{ contains = ["beta"] }} }}], not = {{ text = {{ contains = ["gamma"] }} }} }}
then = {{ targets = ["mock/alpha-beta"] }}

[[rules]]
name = "office-hours"
when = {{ model = "c*d", time = {{ from = "{open_from}", to = "{open_to}" }} }}
then = {{ targets = ["mock2/fallback"] }}
"""


def rule_of(r):
    return r.headers.get("x-sluice-rule")


@pytest.fixture
def cond(sluice_factory, mock):
    return sluice_factory(raw=conditions_toml(mock), name="cond")


def test_conditions_through_the_proxy(cond):
    s = cond
    cases = [
        ({"headers": {"x-sluice-tags": "nightly, batch"}}, "by-tag", "tagged"),
        ({"headers": {"x-sluice-tags": "batch"}}, "office-hours", "fallback"),
        ({"headers": {"user-agent": "aider/0.86"}}, "from-aider", "aider"),
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}, "tools", "tools"),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}}, "schema", "schema"),
        ({"text": "word " * 900}, "long", "long"),
        ({"text": "please translate this " + unique()}, "translate", "translate"),
        ({"system": "You are a Paralegal."}, "legal-system", "legal"),
        ({"text": "alpha " + unique()}, "not-short-any", "alpha-beta"),
        ({"text": "beta " + unique()}, "not-short-any", "alpha-beta"),
        ({"text": "alpha gamma " + unique()}, "office-hours", "fallback"),
        ({}, "office-hours", "fallback"),
    ]
    for case, want_rule, want_model in cases:
        body = {"model": "cond", "messages": [{"role": "user", "content": case.get("text", unique())}]}
        if "system" in case:
            body["messages"].insert(0, {"role": "system", "content": case["system"]})
        for k in ("tools", "response_format"):
            if k in case:
                body[k] = case[k]
        r = s.post("/v1/chat/completions", json=body, headers=case.get("headers", {}))
        assert r.status_code == 200, r.text
        assert (rule_of(r), r.headers["x-sluice-model"]) == (want_rule, want_model), case
        logged = s.detail(r.headers["x-sluice-request-id"])
        assert logged["rule"] == want_rule
    image = {"model": "cond", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}
    assert rule_of(s.post("/v1/chat/completions", json=image)) == "images"
    with s.http() as c:
        with c.stream("POST", "/v1/chat/completions", json={"model": "cond", "stream": True, "messages": [{"role": "user", "content": unique()}]}) as r:
            assert rule_of(r) == "streams" and r.headers["x-sluice-model"] == "streamed"
            r.read()
    r = httpx.post(s.url + "/v1/messages", headers={"x-api-key": s.token, "anthropic-version": "2023-06-01"},
                   json={"model": "cond", "max_tokens": 50, "messages": [{"role": "user", "content": unique()}]}, timeout=30)
    assert r.status_code == 200, r.text
    assert rule_of(r) == "anthropic-clients" and r.headers["x-sluice-model"] == "anthropic-client"
    tagged = [row for row in s.log(200) if row["rule"] == "by-tag"]
    assert tagged and tagged[0]["tags"] == "nightly,batch"
    # A model no rule names resolves by itself, under `default`.
    r = s.chat("mock/plain", unique())
    assert rule_of(r) == "default" and r.headers["x-sluice-model"] == "plain"


def test_actions_cap_cache_reject_and_tag(sluice_factory, mock):
    s = sluice_factory(anth_toml(mock) + """
[[rules]]
name = "capped"
when = { model = "capped" }
then = { targets = ["mock/capped"], max_tokens = 100, temperature = 0.2, tags = ["capped"] }

[[rules]]
name = "capped-native"
when = { model = "claude-capped" }
then = { targets = ["anth/claude-capped"], max_tokens = 64, temperature = 0.5 }

[[rules]]
name = "uncached"
when = { model = "uncached" }
then = { targets = ["mock/uncached"], cache = { exact = false, semantic = false } }

[[rules]]
name = "short-ttl"
when = { model = "short-ttl" }
then = { targets = ["mock/short-ttl"], cache = { ttl_secs = 1 } }

[[rules]]
name = "no-gpt5"
when = { model = "gpt-5*" }
then = { reject = "GPT-5 is not allowed in this project; use `capped`." }
""")
    r = s.chat("capped", unique(), max_tokens=5000, temperature=1.5)
    assert rule_of(r) == "capped"
    sent = [q for q in mock.requests() if q.get("body", {}).get("model") == "capped"][-1]["body"]
    assert sent["max_tokens"] == 100 and sent["temperature"] == 0.2
    r = s.chat("capped", unique(), max_tokens=10, temperature=0.1)
    sent = [q for q in mock.requests() if q.get("body", {}).get("model") == "capped"][-1]["body"]
    assert sent["max_tokens"] == 10 and sent["temperature"] == 0.1, "values under the caps stay"
    assert s.detail(r.headers["x-sluice-request-id"])["tags"] == "capped"
    # An Anthropic client to an Anthropic target: the body passes through, capped in its own fields.
    r = httpx.post(s.url + "/v1/messages", headers={"x-api-key": s.token, "anthropic-version": "2023-06-01"},
                   json={"model": "claude-capped", "max_tokens": 4000, "temperature": 1.0, "messages": [{"role": "user", "content": unique()}]}, timeout=30)
    assert r.status_code == 200, r.text
    sent = [q for q in mock.requests() if q.get("body", {}).get("model") == "claude-capped"][-1]["body"]
    assert sent["max_tokens"] == 64 and sent["temperature"] == 0.5
    # Cache off for one rule, a TTL for another.
    q = unique()
    assert s.chat("uncached", q).headers["x-sluice-cache"] == "bypass"
    assert s.chat("uncached", q).headers["x-sluice-cache"] == "bypass"
    q = unique()
    s.chat("short-ttl", q)
    assert s.chat("short-ttl", q).headers["x-sluice-cache"] == "hit-exact"
    import time
    time.sleep(1.2)
    assert s.chat("short-ttl", q).headers["x-sluice-cache"] == "miss", "the rule's TTL expired the entry"
    # Reject, in each client's error shape.
    r = s.chat("gpt-5.1", unique())
    assert r.status_code == 400 and rule_of(r) == "no-gpt5"
    err = r.json()["error"]
    assert err["code"] == "rejected_by_rule" and "GPT-5 is not allowed" in err["message"] and "no-gpt5" in err["message"]
    r = httpx.post(s.url + "/v1/messages", headers={"x-api-key": s.token, "anthropic-version": "2023-06-01"},
                   json={"model": "gpt-5-mini", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}, timeout=30)
    assert r.status_code == 400 and r.json()["type"] == "error" and "GPT-5 is not allowed" in r.json()["error"]["message"]
    assert mock.count("gpt-5.1") == 0 and mock.count("gpt-5-mini") == 0
    ex = s.post("/api/route/explain", json={"request": {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}}).json()
    assert ex["rule"] == "no-gpt5" and ex["outcome"]["refused"]["code"] == "rejected_by_rule"


def test_difficulty_and_intent_decide_with_one_embedding(sluice_factory, mock):
    s = sluice_factory("""
[[intents]]
name = "code"
examples = ["Write a Python function that sorts a list", "Fix the bug in this JavaScript code", "How do I implement a binary tree in Rust?"]

[[intents]]
name = "chit-chat"
examples = ["Hi, how are you today?", "Tell me a joke", "What's up? Nice weather, isn't it?"]

[[rules]]
name = "code"
when = { model = "auto", intent = "code" }
then = { targets = ["mock/coder"] }

[[rules]]
name = "hard"
when = { model = "auto", difficulty = { min = 0.6 } }
then = { targets = ["mock2/strong"] }

[[rules]]
name = "easy"
when = { model = "auto" }
then = { targets = ["mock/weak"] }
""", env={"SLUICE_EMBED_MODEL_DIR": str(MODEL_DIR)})
    wait_for_model(s)
    r = s.chat("auto", "Write a Rust function that parses a JSON string into a struct")
    assert rule_of(r) == "code"
    prompts = [
        "hello there, how is your day going?",
        "Let G be a finite group and H a normal subgroup of index 7. Statement 1 | Every element of G of order 7 lies outside H. Statement 2 | G/H is cyclic.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer:",
        "Janet has 3 apples and buys 17 boxes of 12 apples each, then gives away 15% of them. How many apples does she have left?",
        "What is the capital of France?",
    ]
    scores = []
    for p in prompts:
        r = s.chat("auto", p)
        assert r.status_code == 200
        d = s.detail(r.headers["x-sluice-request-id"])
        assert d["difficulty"] is not None and 0 <= d["difficulty"] <= 1
        assert rule_of(r) == ("hard" if d["difficulty"] >= 0.6 else "easy"), (p, d["difficulty"])
        scores.append(d["difficulty"])
    assert len(set(scores)) == len(scores), "each prompt gets its own score"
    ex = s.post("/api/route/explain", json={"request": {"model": "auto", "messages": [{"role": "user", "content": "hello there, how is your day going?"}]}}).json()
    assert ex["intent"]["name"] == "chit-chat" and ex["intent"]["similarity"] > 0.25
    assert abs(ex["difficulty"] - scores[0]) < 1e-4, "explain and the live path score alike"


def wait_for_model(s, timeout=60):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        if s.get("/api/cache/status").json().get("model", {}).get("state") == "ready":
            return
        time.sleep(0.2)
    raise AssertionError("the embedding model did not load")


PRICED = """
[[prices]]
model = "mock/pricey"
input = 100000.0
output = 100000.0

[[prices]]
model = "mock2/cheap"
input = 0.0
output = 0.0
"""


def test_budget_warns_then_falls_through_to_a_cheaper_rule_across_a_restart(sluice_factory, mock, tmp_path):
    # Each call costs ~(prompt + completion tokens) × 0.1 USD at these prices: ~1 USD.
    config = PRICED + """
[[budgets]]
name = "pricey-daily"
usd = 4.0
period = "day"
rule = "pricey"
on_exceed = "fall-through"

[[rules]]
name = "pricey"
when = { model = "smart" }
then = { targets = ["mock/pricey"] }

[[rules]]
name = "cheap"
when = { model = "smart" }
then = { targets = ["mock2/cheap"] }
"""
    s = sluice_factory(config, name="budget")
    seen = []
    for _ in range(12):
        r = s.chat("smart", unique("one two three four"))
        assert r.status_code == 200
        seen.append((rule_of(r), r.headers.get("x-sluice-budget")))
        if rule_of(r) == "cheap":
            break
    assert seen[-1][0] == "cheap", seen
    assert any(b and b.startswith("pricey-daily;") and "state=warning" in b for _, b in seen), f"a warning came first: {seen}"
    state = {b["name"]: b for b in s.get("/api/budgets").json()["budgets"]}["pricey-daily"]
    assert state["state"] == "exceeded" and state["spent_usd"] >= 4.0
    assert "budget pricey-daily is" in s.proc.output
    s.stop()
    again = sluice_factory(config, name="budget")
    r = again.chat("smart", unique())
    assert rule_of(r) == "cheap", "spend counted before the restart still counts"
    explained = again.post("/api/route/explain", json={"request": {"model": "smart", "messages": [{"role": "user", "content": "x"}]}}).json()
    assert explained["rules"][0]["skipped"] == "budget `pricey-daily` is used up"


def test_budget_refuses_in_each_clients_shape(sluice_factory, mock):
    s = sluice_factory(anth_toml(mock) + PRICED + """
[[budgets]]
name = "all-spend"
usd = 1.0
period = "month"
""")
    for _ in range(5):
        r = s.chat("mock/pricey", unique("one two three four"))
        if r.status_code == 429:
            break
    assert r.status_code == 429
    err = r.json()["error"]
    assert err["code"] == "budget_exceeded" and "all-spend" in err["message"] and "this month" in err["message"]
    r = httpx.post(s.url + "/v1/messages", headers={"x-api-key": s.token, "anthropic-version": "2023-06-01"},
                   json={"model": "mock/pricey", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}, timeout=30)
    assert r.status_code == 429 and r.json()["type"] == "error" and "all-spend" in r.json()["error"]["message"]
    ex = s.post("/api/route/explain", json={"request": {"model": "mock/pricey", "messages": [{"role": "user", "content": "hi"}]}}).json()
    assert ex["outcome"]["refused"]["status"] == 429 and "all-spend" in ex["outcome"]["refused"]["message"]


def test_explain_saved_and_unsaved_rules(sluice_factory, mock):
    s = sluice_factory(PRICED + """
[[rules]]
name = "short"
when = { model = "smart", input_tokens = { max = 100 } }
then = { targets = ["mock2/cheap", "mock/pricey"] }
""")
    req = {"model": "smart", "messages": [{"role": "user", "content": "what is two plus two"}]}
    ex = s.post("/api/route/explain", json={"request": req}).json()
    assert ex["rule"] == "short"
    assert ex["rules"][0]["checks"] == [
        {"condition": "model matches smart", "value": "smart", "matched": True},
        {"condition": "input tokens < 100", "value": 5, "matched": True},
    ]
    targets = ex["outcome"]["targets"]
    assert [t["target"] for t in targets] == ["mock2/cheap", "mock/pricey"]
    assert targets[0]["health"]["state"] == "closed" and targets[1]["input_usd_per_mtok"] == 100000.0
    assert targets[1]["estimated_input_usd"] > targets[0]["estimated_input_usd"]
    unsaved = [{"name": "long-first", "when": {"model": "smart", "input_tokens": {"min": 3}}, "then": {"targets": ["mock/pricey"]}}]
    ex = s.post("/api/route/explain", json={"request": req, "rules": unsaved}).json()
    assert ex["rule"] == "long-first" and ex["outcome"]["targets"][0]["target"] == "mock/pricey"
    bad = [{"name": "x", "when": {"text": {"regex": "(("}}}]
    r = s.post("/api/route/explain", json={"request": req, "rules": bad})
    assert r.status_code == 400 and r.json()["error"]["param"] == "rules[0].when.text.regex"
    ex = s.post("/api/route/explain", json={"api": "anthropic-messages", "request": {"model": "smart", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}}).json()
    assert ex["rule"] == "short"
    assert s.chat("smart", unique()).headers["x-sluice-rule"] == "short", "trying rules changes nothing live"


def test_bad_rules_are_refused_and_the_running_ones_stay(sluice_factory, mock):
    s = sluice_factory("""
# routing, by hand
[[rules]]
name = "keep"   # the one that matters
when = { model = "smart" }
then = { targets = ["mock/kept"] }
""")
    config = s.get("/api/config").json()["config"]
    for rule, field in [
        ({"name": "bad", "when": {"text": {"regex": "(unclosed"}}}, "config.rules[0].when.text.regex"),
        ({"name": "bad", "when": {"model": "x"}, "then": {"targets": ["ghost/model"]}}, "config.rules[0].then.targets[0]"),
        ({"name": "bad", "when": {"input_tokens": {"min": 10, "max": 10}}}, "config.rules[0].when.input_tokens"),
    ]:
        r = s.http().put("/api/config", json={"config": {**config, "rules": [rule] + config["rules"]}})
        assert r.status_code == 400 and r.json()["error"]["param"] == field, r.text
    r = s.http().put("/api/config", json={"config": {**config, "budgets": [{"name": "b", "usd": -5, "period": "day"}]}})
    assert r.status_code == 400 and r.json()["error"]["param"] == "config.budgets[0].usd"
    assert s.chat("smart", unique()).headers["x-sluice-model"] == "kept"
    # A good edit through the API keeps the hand-written comments.
    config["rules"][0]["then"]["max_tokens"] = 300
    config["rules"].append({"name": "new", "when": {"model": "other"}, "then": {"targets": ["mock2/other"]}})
    assert s.http().put("/api/config", json={"config": config}).status_code == 200
    text = s.config_path.read_text()
    assert "# routing, by hand" in text and "# the one that matters" in text, text
    assert s.chat("other", unique()).headers["x-sluice-rule"] == "new"


def test_rule_stats(sluice_factory, mock):
    s = sluice_factory("""
[[rules]]
name = "counted"
when = { model = "counted" }
then = { targets = ["mock/counted"] }
""")
    for _ in range(3):
        s.chat("counted", unique())
    s.chat("mock/status-500-x", unique())
    rows = {r["rule"]: r for r in s.get("/api/rules/stats?days=7").json()["rules"]}
    assert rows["counted"]["requests"] == 3 and rows["counted"]["errors"] == 0 and rows["counted"]["p50_latency_ms"] > 0
    assert rows["default"]["errors"] == 1


def test_eval_route_on_a_tiny_file(tmp_path):
    """Every prompt gains from the strong model, so the curve is the diagonal whatever the
    scores: CPT(50 %) = 0.5, CPT(80 %) = 0.8, APGR = 0.5, by hand."""
    data = tmp_path / "tiny.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"question number {i}", "weak_correct": False, "strong_correct": True}) + "\n" for i in range(10)))
    import subprocess
    from conftest import _bin
    out = subprocess.run([_bin("SLUICE_BIN", "sluice"), "eval", "route", "--data", str(data), "--model-dir", str(MODEL_DIR)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    m = json.loads(out.stdout)["metrics"]
    assert m["prompts"] == 10 and m["weak_accuracy"] == 0 and m["strong_accuracy"] == 1
    assert abs(m["cpt_50"] - 0.5) < 1e-9 and abs(m["cpt_80"] - 0.8) < 1e-9 and abs(m["apgr"] - 0.5) < 1e-9
    assert [round(p[2], 6) for p in m["curve"]] == [k / 10 for k in range(11)]
    folds = subprocess.run([_bin("SLUICE_BIN", "sluice"), "eval", "route", "--data", str(data), "--model-dir", str(MODEL_DIR), "--folds", "2"],
                           capture_output=True, text=True, timeout=120)
    assert folds.returncode == 0 and json.loads(folds.stdout)["router"] == "out-of-fold, 2 folds"
    data.write_text('{"prompt": "x"}\n')
    bad = subprocess.run([_bin("SLUICE_BIN", "sluice"), "eval", "route", "--data", str(data), "--model-dir", str(MODEL_DIR)], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "line 1" in bad.stderr


def test_one_embedding_serves_the_rule_and_the_semantic_cache(sluice_factory, mock):
    """The mock embedder counts its calls: the intent examples once, then one per request,
    shared by the intent condition and the semantic cache's lookup and store."""
    s = sluice_factory("""
[cache]
embedder = "mock/embed-hash-rules"

[[intents]]
name = "greeting"
examples = ["hello", "good morning"]

[[rules]]
name = "greeting"
when = { model = "auto", intent = "greeting" }
then = { targets = ["mock/greeter"] }

[[rules]]
name = "rest"
when = { model = "auto" }
then = { targets = ["mock/other"] }
""")
    r = s.chat("auto", unique())
    assert r.status_code == 200 and r.headers["x-sluice-cache"] == "miss"
    assert mock.count("embed-hash-rules") == 2 + 1, "two examples, then the request once"
    s.chat("auto", unique())
    assert mock.count("embed-hash-rules") == 4
    ex = s.post("/api/route/explain", json={"request": {"model": "auto", "messages": [{"role": "user", "content": "x"}]}}).json()
    assert "unavailable" in ex["difficulty"] and "all-MiniLM-L6-v2" in ex["difficulty"]["unavailable"]


def test_a_budget_condition_switches_before_the_budget_acts(sluice_factory, mock):
    """`budget = {name, min}` holds once that share is spent: here the spend-aware rule takes
    over at 50 %, well before the budget itself would refuse anything."""
    s = sluice_factory(PRICED + """
[[budgets]]
name = "month"
usd = 4.0
period = "month"

[[rules]]
name = "thrifty"
when = { model = "smart", all = [{ budget = { name = "month", min = 0.5 } }] }
then = { targets = ["mock2/cheap"] }

[[rules]]
name = "normal"
when = { model = "smart" }
then = { targets = ["mock/pricey"] }
""")
    seen = []
    for _ in range(6):
        r = s.chat("smart", unique("one two three four"))
        assert r.status_code == 200
        seen.append(rule_of(r))
    assert seen[0] == "normal" and seen[-1] == "thrifty" and seen.index("thrifty") >= 2, seen
    assert all(x == "thrifty" for x in seen[seen.index("thrifty"):]), "cheap calls cost nothing, so it stays"
    share = {b["name"]: b for b in s.get("/api/budgets").json()["budgets"]}["month"]["share"]
    assert 0.5 <= share < 1.0
