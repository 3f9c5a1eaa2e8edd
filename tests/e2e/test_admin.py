"""The config through the admin API and by hand: validated, saved atomically, applied live."""

import time

from conftest import unique


def wait_until(check, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_put_valid_config_applies_without_restart(sluice):
    current = sluice.get("/api/config").json()
    config = current["config"]
    config["routes"] = [{"model": "newroute", "targets": ["mock2/ok-v"]}]
    r = sluice.http().put("/api/config", json={"config": config})
    assert r.status_code == 200, r.text
    assert r.json() == {"saved": True, "restart_required": False}
    assert sluice.chat("newroute", unique()).headers["x-sluice-provider"] == "mock2"
    assert 'model = "newroute"' in sluice.config_path.read_text()
    assert sluice.get("/api/config").json()["config"]["routes"][0]["model"] == "newroute"


def test_put_invalid_config_names_the_field_and_keeps_the_old(sluice):
    before = sluice.config_path.read_bytes()
    config = sluice.get("/api/config").json()["config"]
    config["routes"] = [{"model": "broken", "targets": ["nobody/x"]}]
    r = sluice.http().put("/api/config", json={"config": config})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == "config.routes[0].targets[0]"
    assert "unknown provider `nobody`" in err["message"]
    r = sluice.http().put("/api/config", json={"config": {"cache": {"ttl_secs": "soon"}}})
    assert r.status_code == 400 and r.json()["error"]["param"] == "config.cache.ttl_secs"
    assert sluice.config_path.read_bytes() == before
    assert sluice.chat("mock/ok-w", unique()).status_code == 200


def test_hand_edits_are_picked_up_and_bad_ones_reported(sluice):
    text = sluice.config_path.read_text()
    sluice.config_path.write_text(text + '\n[[routes]]\nmodel = "handmade"\ntargets = ["mock/ok-x"]\n')
    assert wait_until(lambda: sluice.chat("handmade", unique()).status_code == 200)
    sluice.config_path.write_text(text + '\n[[routes]]\nmodel = "handmade"\ntargets = "oops"\n')
    assert wait_until(lambda: sluice.get("/api/config").json()["reload_error"])
    error = sluice.get("/api/config").json()["reload_error"]
    assert str(sluice.config_path) in error and "targets" in error
    assert sluice.chat("handmade", unique()).status_code == 200, "the last good config stays in force"


def test_request_detail_and_paging(sluice):
    ids = [sluice.chat("mock/ok-y", unique()).headers["x-sluice-request-id"] for _ in range(3)]
    rows = sluice.log(2)
    assert [r["id"] for r in rows] == ids[:0:-1]
    older = sluice.get(f"/api/requests?limit=5&before={rows[-1]['ts']}").json()["requests"]
    assert ids[0] in [r["id"] for r in older]
    detail = sluice.detail(ids[0])
    assert detail["attempts"][0]["provider"] == "mock"
    assert detail["request_body"] is None, "bodies are not stored by default"
    assert sluice.get("/api/requests/req_nope").status_code == 404


def test_bodies_are_stored_when_asked(sluice_factory):
    s = sluice_factory("[log]\nstore_bodies = true\n")
    text = unique()
    rid = s.chat("mock/ok-z", text).headers["x-sluice-request-id"]
    d = s.detail(rid)
    assert text in d["request_body"] and f"Echo: {text}" in d["response_body"]
