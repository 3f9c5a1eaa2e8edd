"""Cost, savings and the stats that sum them."""

import pytest

from conftest import unique

PRICES = """
[[prices]]
model = "mock/big-s"
input = 10.0
output = 30.0

[[prices]]
model = "mock2/small-s"
input = 1.0
output = 2.0

[[prices]]
model = "mock/cached-4-t"
input = 1.0
cached_input = 0.1
output = 2.0

[[routes]]
model = "smart"
targets = ["mock/status-503-big-s", "mock2/small-s"]

[[prices]]
model = "mock/status-503-big-s"
input = 10.0
output = 30.0
"""


def test_cost_from_usage_and_savings_from_fallback(sluice_factory):
    s = sluice_factory(PRICES)
    r = s.chat("mock/big-s", unique())
    usage = r.json()["usage"]
    assert float(r.headers["x-sluice-cost-usd"]) == pytest.approx((usage["prompt_tokens"] * 10 + usage["completion_tokens"] * 30) / 1e6)
    assert float(r.headers["x-sluice-saved-usd"]) == 0
    r = s.chat("smart", unique())
    usage = r.json()["usage"]
    cost = (usage["prompt_tokens"] * 1 + usage["completion_tokens"] * 2) / 1e6
    baseline = (usage["prompt_tokens"] * 10 + usage["completion_tokens"] * 30) / 1e6
    assert float(r.headers["x-sluice-cost-usd"]) == pytest.approx(cost)
    assert float(r.headers["x-sluice-saved-usd"]) == pytest.approx(baseline - cost), "saved = the requested model's cost minus the actual"


def test_provider_cached_tokens_are_billed_at_the_cached_rate(sluice_factory):
    s = sluice_factory(PRICES)
    r = s.chat("mock/cached-4-t", unique("a b c d e f"))
    usage = r.json()["usage"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 4
    expected = ((usage["prompt_tokens"] - 4) * 1.0 + 4 * 0.1 + usage["completion_tokens"] * 2.0) / 1e6
    assert float(r.headers["x-sluice-cost-usd"]) == pytest.approx(expected)


def test_stats_add_up(sluice_factory):
    s = sluice_factory(PRICES)
    text = unique()
    costs, saved = 0.0, 0.0
    for model, t in [("mock/big-s", text), ("mock/big-s", text), ("smart", unique()), ("mock/status-400-s", "x")]:
        r = s.chat(model, t)
        costs += float(r.headers.get("x-sluice-cost-usd", 0))
        saved += float(r.headers.get("x-sluice-saved-usd", 0))
    st = s.stats()
    assert st["requests"] == 4
    assert st["cache_hits"] == 1
    assert st["upstream_calls"] == 4, "big-s, smart's 503 and its fallback, the 400"
    assert st["errors"] == 1
    assert st["cost_usd"] == pytest.approx(costs)
    assert st["saved_usd"] == pytest.approx(saved)
    rows = s.log(10)
    assert [r["model_requested"] for r in rows] == ["mock/status-400-s", "smart", "mock/big-s", "mock/big-s"], "newest first"
    for key in ["id", "ts", "model_requested", "provider", "model", "cache", "status", "latency_ms", "prompt_tokens", "completion_tokens", "cost_usd", "saved_usd"]:
        assert key in rows[0]


def test_missing_usage_is_estimated_and_marked(sluice_factory):
    s = sluice_factory('[[prices]]\nmodel = "mock/nousage-u"\ninput = 1.0\noutput = 1.0\n')
    r = s.chat("mock/nousage-u", "please count these tokens for me")
    assert "usage" not in r.json()
    row = s.log(1)[0]
    assert row["tokens_estimated"] and row["prompt_tokens"] > 5 and row["completion_tokens"] > 3
    assert row["cost_usd"] > 0
