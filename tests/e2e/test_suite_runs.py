"""Suites kept in SQLite and run from the admin API (the Suites page's back end): import and
export as JSONL and YAML with broken lines named, cases from logged requests, runs against mock
targets with the mock judge, cancel and resume, resume after kill -9 without asking again what
was answered, falls between runs, and one click to a routing rule."""

import json
import time

import yaml

from conftest import Sluice, providers_toml, unique

CASES = [
    {"id": "greet", "prompt": "Say {{word}}", "vars": {"word": "GOOD"}, "checks": [{"contains": "good"}, {"judge": {"rubric": "Says GOOD"}}]},
    {"id": "exact", "system": "Be brief.", "prompt": "hi", "checks": [{"equals": "Echo: hi"}]},
]


def jsonl(lines):
    return "".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines)


def make_suite(s, name, lines):
    r = s.post("/api/suites", json={"name": name, "text": jsonl(lines), "format": "jsonl"})
    assert r.status_code == 200, r.text
    return r.json()


def wait_run(s, run, states=("done",), timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = s.get(f"/api/runs/{run}").json()
        if got["state"] in states:
            return got
        time.sleep(0.1)
    raise AssertionError(f"run {run} did not reach {states}: {got}")


def test_import_export_and_edits_keep_what_is_stored(sluice):
    made = make_suite(sluice, "smoke", [*CASES, "not json", {"id": "typo", "prompt": "Hi {{nmae}}"}])
    assert made["cases"] == 2
    assert [(p["line"], p["case"], p["field"]) for p in made["problems"]] == [(3, "line 3", "line"), (4, "typo", "prompt")]
    again = sluice.post("/api/suites", json={"name": "smoke"})
    assert again.status_code == 409 and "exists" in again.json()["error"]["message"]

    sid = made["id"]
    exported = sluice.get(f"/api/suites/{sid}/export?format=yaml")
    assert exported.headers["content-disposition"] == 'attachment; filename="smoke.yaml"'
    assert [c["id"] for c in yaml.safe_load(exported.text)] == ["greet", "exact"]
    back = sluice.post("/api/suites", json={"name": "smoke copy", "text": exported.text, "format": "yaml"}).json()
    assert back["cases"] == 2 and back["problems"] == []
    copy = sluice.get(f"/api/suites/{back['id']}").json()
    assert copy["cases"] == CASES, "a YAML round trip keeps every field"
    lines = sluice.get(f"/api/suites/{sid}/export?format=jsonl").text.splitlines()
    assert [json.loads(l) for l in lines] == CASES

    bad = [*CASES, {"id": "schema", "prompt": "x", "checks": [{"json_schema": {"type": 12}}]}]
    refused = sluice.http().put(f"/api/suites/{sid}", json={"name": "smoke", "cases": bad})
    assert refused.status_code == 400
    err = refused.json()["error"]
    assert err["param"] == "cases[2].checks[0]" and "case schema" in err["message"] and "not a valid JSON schema" in err["message"]
    assert sluice.get(f"/api/suites/{sid}").json()["cases"] == CASES, "a refused edit loses nothing"
    assert sluice.http().put(f"/api/suites/{sid}", json={"name": "smoke copy", "cases": CASES}).status_code == 409

    names = [s["name"] for s in sluice.get("/api/suites").json()["suites"]]
    assert names == ["smoke", "smoke copy"]
    assert sluice.http().delete(f"/api/suites/{back['id']}").json() == {"deleted": True}
    assert sluice.get(f"/api/suites/{back['id']}").status_code == 404


def test_cases_come_from_logged_requests_in_any_api(sluice_factory):
    s = sluice_factory("[log]\nstore_bodies = true\n")
    sid = make_suite(s, "from-log", [])["id"]
    asked = unique("capital of France")
    r = s.chat("mock/m", asked, temperature=0.2)
    anthropic = s.post("/v1/messages", json={"model": "mock/m", "max_tokens": 50, "system": "Be terse.",
                                            "messages": [{"role": "user", "content": "one"}, {"role": "assistant", "content": "1"}, {"role": "user", "content": [{"type": "text", "text": "two"}]}]})
    assert anthropic.status_code == 200, anthropic.text
    ids = [r.headers["x-sluice-request-id"], anthropic.headers["x-sluice-request-id"]]
    added = [s.post(f"/api/suites/{sid}/cases", json={"from_request": i}).json()["case"] for i in ids]
    assert added[0] == {"id": ids[0], "prompt": asked, "params": {"temperature": 0.2}}
    assert added[1]["system"] == "Be terse." and added[1]["params"] == {"max_tokens": 50}
    assert added[1]["messages"] == [{"role": "user", "content": "one"}, {"role": "assistant", "content": "1"}, {"role": "user", "content": "two"}]
    given = s.post(f"/api/suites/{sid}/cases", json={"case": {"id": added[0]["id"], "prompt": "again"}}).json()["case"]
    assert given["id"] == added[0]["id"] + "-2", "ids stay unique"
    assert len(s.get(f"/api/suites/{sid}").json()["cases"]) == 3
    missing = s.post(f"/api/suites/{sid}/cases", json={"from_request": "nope"})
    assert missing.status_code == 404


def test_a_run_reports_falls_and_becomes_a_rule(sluice_factory):
    prices = '\n[[prices]]\nmodel = "mock/fast-a"\ninput = 50.0\noutput = 50.0\n\n[[prices]]\nmodel = "mock2/fast-b"\ninput = 0.1\noutput = 0.1\n'
    s = sluice_factory(prices)
    sid = make_suite(s, "greetings", CASES)["id"]
    bad = s.post(f"/api/suites/{sid}/runs", json={"targets": ["mock/fast-a", "gone/x"]})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "targets[1]" and "no provider `gone`" in bad.json()["error"]["message"]

    start = {"targets": ["mock/fast-a", "mock2/fast-b"], "judge": "mock/judge-r", "per_provider": 2}
    run = s.post(f"/api/suites/{sid}/runs", json=start).json()["id"]
    got = wait_run(s, run)
    assert got["progress"] == {"answered": 4, "graded": 4, "total": 4}
    assert got["prices"] == {"mock/fast-a": [50.0, 50.0], "mock2/fast-b": [0.1, 0.1]}
    totals = {t["target"]: t for t in got["report"]["totals"]}
    assert totals["mock/fast-a"]["passed"] == 2 and totals["mock2/fast-b"]["passed"] == 2
    assert got["report"]["recommendation"]["target"] == "mock2/fast-b", "as good and cheaper"
    greet = next(r for r in got["report"]["results"] if r["case"] == "greet" and r["target"] == "mock/fast-a")
    assert greet["answer"] == "Echo: Say GOOD" and greet["judge_score"] == 0.9

    # The suite changes; a new run fails a case the last one passed: a fall per target.
    tightened = [CASES[0], {**CASES[1], "checks": [{"equals": "something else"}]}]
    assert s.http().put(f"/api/suites/{sid}", json={"name": "greetings", "cases": tightened}).status_code == 200
    second = s.post(f"/api/suites/{sid}/runs", json=start).json()["id"]
    wait_run(s, second)
    suite = s.get(f"/api/suites/{sid}").json()
    assert [r["id"] for r in suite["runs"]] == [run, second]
    assert all(r["totals"] for r in suite["runs"]), "each finished run keeps its totals for the history chart"
    assert {(f["target"], f["previous_pass_rate"], f["pass_rate"]) for f in suite["falls"]} == {("mock/fast-a", 1.0, 0.5), ("mock2/fast-b", 1.0, 0.5)}
    assert s.get(f"/api/runs/{run}").json()["report"]["totals"][0]["passed"] == 2, "an old run reads as it ran"

    made = s.post(f"/api/runs/{run}/rule").json()
    assert made == {"rule": "suite:greetings"}
    rules = s.get("/api/config").json()["config"]["rules"]
    assert rules[0]["when"] == {"tags": ["greetings"]} and rules[0]["then"]["targets"] == ["mock2/fast-b", "mock/fast-a"]
    tagged = s.chat("some-model", "hello", headers={"x-sluice-tags": "greetings"})
    assert tagged.headers["x-sluice-rule"] == "suite:greetings" and tagged.headers["x-sluice-provider"] == "mock2"


def test_cancel_then_resume_asks_only_what_is_missing(sluice, mock):
    model = f"mock/delay-300-{unique('c').split()[1]}"
    sid = make_suite(sluice, "slow", [{"id": f"c{i}", "prompt": f"q{i}"} for i in range(6)])["id"]
    run = sluice.post(f"/api/suites/{sid}/runs", json={"targets": [model], "per_provider": 1}).json()["id"]
    deadline = time.time() + 20
    while sluice.get(f"/api/runs/{run}").json()["progress"]["answered"] < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert sluice.post(f"/api/runs/{run}/cancel").json() == {"cancelled": True}
    cancelled = sluice.get(f"/api/runs/{run}").json()
    assert cancelled["state"] == "cancelled" and 2 <= cancelled["progress"]["answered"] < 6
    asked_before = mock.count(model.split("/", 1)[1])
    time.sleep(0.5)
    assert mock.count(model.split("/", 1)[1]) == asked_before, "a cancelled run asks nothing more"
    assert sluice.post(f"/api/runs/{run}/resume").json() == {"resumed": True}
    done = wait_run(sluice, run)
    assert done["progress"] == {"answered": 6, "graded": 6, "total": 6}
    assert mock.count(model.split("/", 1)[1]) <= asked_before + 6 - cancelled["progress"]["answered"]
    assert sluice.post(f"/api/runs/{run}/resume").status_code == 409


def test_a_run_resumes_after_kill_9(tmp_path, mock):
    model = f"delay-400-{unique('k').split()[1]}"
    s = Sluice(tmp_path, providers_toml(mock)).start()
    sid = make_suite(s, "durable", [{"id": f"c{i}", "prompt": f"q{i}", "checks": [{"contains": f"q{i}"}]} for i in range(6)])["id"]
    run = s.post(f"/api/suites/{sid}/runs", json={"targets": [f"mock/{model}"], "per_provider": 1}).json()["id"]
    deadline = time.time() + 20
    while s.get(f"/api/runs/{run}").json()["progress"]["answered"] < 3 and time.time() < deadline:
        time.sleep(0.05)
    s.kill9()
    answered = mock.count(model)
    s = Sluice(tmp_path, None, data_dir=s.data_dir)
    s.start()
    try:
        done = wait_run(s, run)
        assert done["progress"] == {"answered": 6, "graded": 6, "total": 6}
        assert done["report"]["totals"][0]["passed"] == 6
        # At most the one call in flight at the kill is asked again.
        assert mock.count(model) <= 6 + 1, (answered, mock.count(model))
    finally:
        s.stop()
