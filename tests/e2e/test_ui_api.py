"""The admin API the UI is built on: usage for the dashboard, log filters, token rotation, pausing
the proxy, testing a provider, and the UI's own files at `/`."""

import time

import httpx

from conftest import unique


def test_usage_totals_days_and_breakdown(sluice):
    sluice.chat("mock/m", "same question")
    sluice.chat("mock/m", "same question")
    sluice.chat("mock2/status-500", unique())
    time.sleep(0.3)
    usage = sluice.get("/api/usage", params={"since": 0, "tz_offset_min": 60}).json()
    totals = usage["totals"]
    assert (totals["requests"], totals["cache_hits"], totals["errors"]) == (3, 1, 1)
    assert totals["p50_ms"] is not None and totals["p95_ms"] >= totals["p50_ms"]
    assert len(usage["days"]) == 1 and usage["days"][0]["requests"] == 3
    # Days start at the viewer's midnight: UTC+1 midnight is 23:00 UTC.
    assert (usage["days"][0]["day"] + 3_600_000) % 86_400_000 == 0
    models = {(m["provider"], m["model"]): m["requests"] for m in usage["by_model"]}
    assert models[("mock", "m")] == 2
    assert sluice.get("/api/usage", params={"since": int(time.time() * 1000) + 60_000}).json()["totals"]["requests"] == 0
    bad = sluice.get("/api/usage", params={"since": 0, "tz_offset_min": 5000})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "tz_offset_min"
    assert sluice.get("/api/usage").status_code == 400


def test_request_log_filters(sluice):
    sluice.chat("mock/m", "filter me")
    sluice.chat("mock/m", "filter me")
    sluice.chat("mock2/m", unique())
    sluice.chat("mock/status-404", unique())
    time.sleep(0.3)

    def seen(**params):
        return [f"{r['provider']}/{r['cache']}/{r['status']}" for r in sluice.get("/api/requests", params=params).json()["requests"]]

    assert seen(cache="hit") == ["mock/hit-exact/200"]
    assert seen(cache="miss", status="ok") == ["mock2/miss/200", "mock/miss/200"]
    assert [s.split("/")[-1] for s in seen(status="error")] == ["404"]
    assert seen(provider="mock2") == ["mock2/miss/200"]
    assert len(seen(model="m")) == 3
    assert seen(model="nothing-like-this") == []
    assert len(seen(limit=1)) == 1


def test_token_rotation(sluice_factory):
    s = sluice_factory(env={"SLUICE_TOKEN": ""})
    s.token = (s.data_dir / "token").read_text().strip()
    old = s.token
    r = s.post("/api/token/rotate")
    assert r.status_code == 200
    new = r.json()["token"]
    assert new != old and (s.data_dir / "token").read_text().strip() == new
    assert s.get("/api/stats").status_code == 401
    s.token = new
    assert s.get("/api/stats").status_code == 200


def test_a_token_from_the_environment_is_not_rotated(sluice):
    r = sluice.post("/api/token/rotate")
    assert r.status_code == 409 and "SLUICE_TOKEN" in r.json()["error"]["message"]
    assert sluice.get("/api/info").json()["token_fixed"] is True


def test_pausing_refuses_proxy_calls_but_keeps_the_admin_api(sluice):
    assert sluice.http().put("/api/proxy", json={"paused": True}).json() == {"paused": True}
    paused = sluice.chat("mock/m", unique())
    assert paused.status_code == 503 and paused.json()["error"]["code"] == "paused"
    assert sluice.get("/api/info").json()["paused"] is True
    assert sluice.http().put("/api/proxy", json={"paused": "yes"}).status_code == 400
    sluice.http().put("/api/proxy", json={"paused": False})
    assert sluice.chat("mock/m", unique()).status_code == 200


def test_provider_connection_test(sluice_factory, mock):
    s = sluice_factory(extra_toml='\n[[providers]]\nid = "down"\nbase_url = "http://127.0.0.1:9/v1"\n\n[[providers]]\nid = "off"\nbase_url = "http://127.0.0.1:9/v1"\nenabled = false\n')
    ok = s.post("/api/providers/mock/test").json()
    assert ok["ok"] is True and ok["models"] and ok["latency_ms"] >= 0
    down = s.post("/api/providers/down/test").json()
    assert down["ok"] is False and "cannot reach down" in down["error"]
    assert s.post("/api/providers/off/test").status_code == 400
    assert s.post("/api/providers/nobody/test").status_code == 404


def test_the_ui_is_served_without_the_token_and_the_api_is_not(sluice):
    index = httpx.get(sluice.url + "/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in index.headers["content-security-policy"]
    assert '<div id="root">' in index.text
    # The UI's own routes reload to the UI; a missing file is a 404, not the page.
    assert httpx.get(sluice.url + "/requests").text == index.text
    assert httpx.get(sluice.url + "/assets/nope.js").status_code == 404
    script = index.text.split('src="')[1].split('"')[0]
    asset = httpx.get(sluice.url + script)
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert httpx.get(sluice.url + "/api/stats").status_code == 401
    assert httpx.get(sluice.url + "/v1/models").status_code == 401
    assert httpx.post(sluice.url + "/").status_code in (401, 404)
