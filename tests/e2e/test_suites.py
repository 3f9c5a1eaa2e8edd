"""`sluice eval prompts`: a suite run headless through the gateway against mock targets, with
each check kind, the mock judge (graded and pairwise with swapped order), per-provider
concurrency, 429 backoff, cached judge calls, broken lines, and the exit codes."""

import json
import subprocess

from conftest import MOCK_KEY, _bin, providers_toml


def write_suite(path, lines):
    path.write_text("".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines))


def eval_prompts(tmp, mock, suite, *args, extra_toml=""):
    config = tmp / "config.toml"
    config.write_text(providers_toml(mock) + extra_toml)
    cmd = [_bin("SLUICE_BIN", "sluice"), "eval", "prompts", "--suite", str(suite), "--config", str(config), "--data-dir", str(tmp / "data"), *args]
    env = {"SLUICE_TEST_MOCK_KEY": MOCK_KEY, "PATH": "/usr/bin:/bin", "SLUICE_LOG": "warn"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


CASES = [
    {"id": "greet", "system": "Be brief.", "prompt": "Say {{word}} please", "vars": {"word": "GOOD"},
     "checks": [{"contains": "good"}, {"regex": "^Echo: "}, {"judge": {"rubric": "The answer says GOOD"}}]},
    {"id": "exact", "prompt": "hi", "checks": [{"equals": "Echo: hi"}]},
    {"id": "json", "prompt": "{\"city\": \"Paris\"}", "checks": [{"valid_json": True}]},
    {"id": "fast", "prompt": "quick", "checks": [{"max_latency_ms": 250}, {"max_cost_usd": 1.0}]},
    "this line is broken",
    {"id": "typo", "prompt": "Hello {{nmae}}", "vars": {"name": "Ada"}},
]

PRICES = """
[[prices]]
model = "mock/fast-a"
input = 50.0
output = 50.0

[[prices]]
model = "mock2/delay-400-b"
input = 0.1
output = 0.1
"""


def test_a_suite_runs_checks_judges_and_recommends(tmp_path, mock):
    suite = tmp_path / "smoke.jsonl"
    write_suite(suite, CASES)
    out = eval_prompts(tmp_path, mock, suite, "--targets", "mock/fast-a,mock2/delay-400-b", "--judge", "mock/judge-g", "--json", "--min-pass", "0.3", extra_toml=PRICES)
    assert out.returncode == 0, out.stderr
    assert "line 5, case line 5" in out.stderr and "case typo, prompt: unknown variable `nmae`" in out.stderr
    report = json.loads(out.stdout)
    totals = {t["target"]: t for t in report["totals"]}
    results = {(r["case"], r["target"]): r for r in report["results"]}
    fast, slow = totals["mock/fast-a"], totals["mock2/delay-400-b"]
    # 4 runnable cases + 2 unreadable lines counted as failed; json fails (the mock echoes).
    assert (fast["cases"], fast["passed"]) == (6, 3), fast
    assert (slow["cases"], slow["passed"]) == (6, 2), "the 400 ms target misses the latency check"
    assert results[("fast", "mock2/delay-400-b")]["checks"][0] == {"check": "within 250 ms", "passed": False, "detail": results[("fast", "mock2/delay-400-b")]["checks"][0]["detail"]}
    greet = results[("greet", "mock/fast-a")]
    assert greet["passed"] and greet["judge_score"] == 0.9 and greet["judge_usd"] >= 0
    assert results[("json", "mock/fast-a")]["checks"][0]["detail"].startswith("not JSON")
    assert fast["judge_mean"] == 0.9 and 0 < fast["pass_rate_low"] < fast["pass_rate"] < fast["pass_rate_high"] < 1
    assert fast["usd_per_1000"] > slow["usd_per_1000"] > 0
    assert report["recommendation"]["target"] == "mock/fast-a", "the cheaper one is 17 points behind, outside the 5-point margin"
    assert [p["case"] for p in report["problems"]] == ["line 5", "typo"]
    # The bar: 50 % is met by neither (3/6 and 2/6 are below)... 0.5 is met by fast only.
    below = eval_prompts(tmp_path, mock, suite, "--targets", "mock/fast-a,mock2/delay-400-b", "--judge", "mock/judge-g", "--min-pass", "0.5", extra_toml=PRICES)
    assert below.returncode == 1 and "below the bar of 50 %: mock2/delay-400-b" in below.stderr
    assert "recommended: mock/fast-a" in below.stdout and "failed: json on mock/fast-a" in below.stdout


def test_judge_calls_are_cached_and_comparisons_swap_the_order(tmp_path, mock):
    suite = tmp_path / "s.jsonl"
    write_suite(suite, [{"id": "a", "prompt": "GOOD one", "checks": [{"judge": {"rubric": "says GOOD"}}]}, {"id": "b", "prompt": "plain", "checks": [{"judge": {"rubric": "says GOOD", "min_score": 0.5}}]}])
    first = eval_prompts(tmp_path, mock, suite, "--targets", "mock/t1-c", "--judge", "mock/judge-c", "--json", "--min-pass", "0")
    assert first.returncode == 0, first.stderr
    assert [r["passed"] for r in json.loads(first.stdout)["results"]] == [True, False]
    judged = mock.count("judge-c")
    assert judged == 2
    again = eval_prompts(tmp_path, mock, suite, "--targets", "mock/t1-c", "--judge", "mock/judge-c", "--json", "--min-pass", "0")
    assert again.returncode == 0 and mock.count("judge-c") == judged, "the same question and answer are not judged twice"
    assert mock.count("t1-c") == 4, "answers are not cached: the point is to see the model"
    # Pairwise against a reference target: a judge that always picks the first position
    # disagrees with itself once the order is swapped, which is a tie.
    biased = eval_prompts(tmp_path, mock, suite, "--targets", "mock/t2-c", "--reference", "mock2/ref-c", "--judge", "mock/judge-first-c", "--json", "--min-pass", "0")
    totals = {t["target"]: t for t in json.loads(biased.stdout)["totals"]}
    assert totals["mock/t2-c"]["versus_reference"] == [0, 0, 2], "the reference is run too, though not listed"
    assert "versus_reference" not in totals["mock2/ref-c"]


def test_per_provider_limit_and_429_backoff(tmp_path, mock):
    suite = tmp_path / "s.jsonl"
    write_suite(suite, [{"id": f"c{i}", "prompt": f"question {i}"} for i in range(8)])
    out = eval_prompts(tmp_path, mock, suite, "--targets", "mock/delay-150-conc", "--per-provider", "2", "--json")
    assert out.returncode == 0, out.stderr
    assert mock.stats()["max_in_flight"]["delay-150-conc"] == 2
    write_suite(suite, [{"id": "one", "prompt": "retry me"}])
    # Three 429s in a row: more than the gateway retries within one request, so only the
    # suite runner's own backoff gets the answer.
    out = eval_prompts(tmp_path, mock, suite, "--targets", "mock/flaky-3-flakystatus-429-bo", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"][0]["passed"] and mock.count("flaky-3-flakystatus-429-bo") == 4


def test_a_suite_that_cannot_run_exits_2(tmp_path, mock):
    suite = tmp_path / "broken.jsonl"
    write_suite(suite, ["not json", {"id": "x", "prompt": "y", "checks": [{"regex": "(("}]}])
    out = eval_prompts(tmp_path, mock, suite, "--targets", "mock/m")
    assert out.returncode == 2 and "has no case that can run" in out.stderr and "checks[0]: does not compile" in out.stderr
    out = eval_prompts(tmp_path, mock, tmp_path / "missing.jsonl", "--targets", "mock/m")
    assert out.returncode == 2 and "cannot read" in out.stderr
