"""The local token, the Host check (DNS rebinding) and the Origin check (browser pages)."""

import re

import httpx

from conftest import ROOT


def test_token_is_required(sluice):
    r = httpx.post(sluice.api + "/chat/completions", json={"model": "mock/ok", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 401
    err = r.json()["error"]
    assert "token" in err["message"] and err["code"] == "invalid_api_key"
    assert httpx.get(sluice.url + "/api/stats", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(sluice.url + "/api/stats", headers={"x-api-key": sluice.token}).status_code == 200
    assert httpx.get(sluice.url + "/healthz").json() == {"status": "ok"}


def test_foreign_host_is_refused(sluice):
    r = httpx.get(sluice.url + "/api/stats", headers={**sluice.headers, "Host": "evil.example:80"})
    assert r.status_code == 403 and "allowed_hosts" in r.json()["error"]["message"]
    assert httpx.get(sluice.url + "/api/stats", headers={**sluice.headers, "Host": "localhost:1234"}).status_code == 200


def test_configured_host_is_accepted(sluice_factory):
    s = sluice_factory('[server]\nallowed_hosts = ["sluice.lan"]\n')
    assert httpx.get(s.url + "/api/stats", headers={**s.headers, "Host": "sluice.lan:8990"}).status_code == 200


def test_cross_origin_browser_request_is_refused(sluice):
    r = httpx.post(sluice.api + "/chat/completions", headers={**sluice.headers, "Origin": "https://evil.example"}, json={})
    assert r.status_code == 403 and "evil.example" in r.json()["error"]["message"]
    host = sluice.url.removeprefix("http://")
    same = httpx.get(sluice.url + "/api/stats", headers={**sluice.headers, "Origin": f"http://{host}"})
    assert same.status_code == 200 and "access-control-allow-origin" not in same.headers


def test_the_desktop_webview_gets_cors(sluice):
    pre = httpx.options(sluice.url + "/api/stats", headers={"Origin": "tauri://localhost", "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "tauri://localhost"
    r = httpx.get(sluice.url + "/api/stats", headers={**sluice.headers, "Origin": "tauri://localhost"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "tauri://localhost"


def test_wrong_tokens_back_off_and_the_right_token_never_does(sluice):
    # Ten wrong tokens a minute are answered as such; the next ones wait, in the client's shape.
    for _ in range(10):
        r = httpx.post(sluice.api + "/chat/completions", headers={"Authorization": "Bearer guess"}, json={})
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    r = httpx.post(sluice.api + "/chat/completions", headers={"Authorization": "Bearer guess"}, json={})
    assert r.status_code == 429 and r.json()["error"]["code"] == "wrong_token_backoff"
    assert 1 <= int(r.headers["retry-after"]) <= 60 and "try again in" in r.json()["error"]["message"]
    anthropic = httpx.post(sluice.url + "/v1/messages", headers={"x-api-key": "guess"}, json={})
    assert anthropic.status_code == 429 and anthropic.json()["type"] == "error" and anthropic.json()["error"]["type"] == "rate_limit_error"
    assert sluice.chat("mock/m", "hello").status_code == 200, "the right token is never held back"


def routes():
    """Every (method, path) the gateway's router declares, read from its source, so a route added
    later is checked too."""
    source = (ROOT / "crates" / "gateway" / "src" / "server" / "mod.rs").read_text()
    found = []
    for path, handlers in re.findall(r'\.route\("([^"]+)",\s*(.+)\)\s*$', source, re.M):
        concrete = re.sub(r"\{\*[^}]+\}", "x/y", re.sub(r"\{[^*}][^}]*\}", "x", path))
        for method in re.findall(r"\b(get|post|put|delete)\(", handlers):
            found.append((method.upper(), concrete))
    return found


def test_every_route_checks_the_host_the_origin_and_the_token(sluice):
    table = routes()
    assert len(table) >= 45 and ("POST", "/api/quality/changes/x/undo") in table, table
    for method, path in table:
        url = sluice.url + path
        foreign_host = httpx.request(method, url, headers={**sluice.headers, "Host": "evil.example"})
        assert foreign_host.status_code == 403, (method, path)
        foreign_origin = httpx.request(method, url, headers={**sluice.headers, "Origin": "https://evil.example"})
        assert foreign_origin.status_code == 403, (method, path)
        if path not in ("/healthz", "/api/hello"):
            # A missing token is refused (401, or 429 once the wrong-token back-off starts).
            assert httpx.request(method, url).status_code in (401, 429), (method, path)
