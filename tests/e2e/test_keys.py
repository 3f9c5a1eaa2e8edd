"""Provider keys through the admin API: into the OS keychain (the session's gnome-keyring under
`cargo xtask test`), never back out, and an explanation when there is no keychain."""

import subprocess

from conftest import MOCK_KEY

NO_ENV_KEY = """
[[providers]]
id = "mock"
base_url = "{api}"
api_key_env = "SLUICE_TEST_UNSET_KEY_VAR"
"""


def keychain_lookup(s, provider):
    r = subprocess.run(["secret-tool", "lookup", "service", f"sluice {s.data_dir.resolve()}", "username", provider], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def test_a_key_set_through_the_api_is_used_at_once_and_never_shown(sluice_factory, mock):
    s = sluice_factory(raw=NO_ENV_KEY.format(api=mock.api))
    info = s.get("/api/info").json()
    assert info["keychain"]["available"], f"run under `cargo xtask test` (needs a D-Bus session with a keychain): {info['keychain']}"

    before = s.chat("mock/m", "hello")
    assert before.status_code == 401
    assert "no API key for provider `mock`" in before.json()["error"]["message"]

    r = s.http().put("/api/keys/mock", json={"key": MOCK_KEY})
    assert r.status_code == 200, r.text
    assert MOCK_KEY not in r.text
    listed = s.get("/api/keys")
    assert listed.json() == [{"provider": "mock", "set": True, "last4": MOCK_KEY[-4:], "source": "keychain", "env_var": "SLUICE_TEST_UNSET_KEY_VAR"}]
    assert MOCK_KEY not in listed.text
    assert keychain_lookup(s, "mock") == MOCK_KEY
    assert s.chat("mock/m", "hello").status_code == 200

    r = s.http().delete("/api/keys/mock")
    assert r.json() == {"provider": "mock", "removed": True}
    assert keychain_lookup(s, "mock") is None
    assert s.get("/api/keys").json()[0]["set"] is False
    assert s.chat("mock/m", "hello again").status_code == 401
    assert s.http().delete("/api/keys/mock").json()["removed"] is False

    s.stop()
    everything = b"".join(p.read_bytes() for p in s.data_dir.rglob("*") if p.is_file()) + s.proc.output.encode()
    assert MOCK_KEY.encode() not in everything


def test_keys_survive_a_restart(sluice_factory, mock, tmp_path):
    s = sluice_factory(raw=NO_ENV_KEY.format(api=mock.api))
    assert s.http().put("/api/keys/mock", json={"key": MOCK_KEY}).status_code == 200
    s.stop()
    s.start()
    assert s.get("/api/keys").json()[0]["source"] == "keychain"
    assert s.chat("mock/m", "after restart").status_code == 200


def test_bad_key_requests_say_what_to_fix_without_echoing_the_key(sluice):
    http = sluice.http()
    empty = http.put("/api/keys/mock", json={"key": "  "})
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "key"
    spaced = http.put("/api/keys/mock", json={"key": "sk-abc def-123456"})
    assert spaced.status_code == 400 and "paste just the key" in spaced.json()["error"]["message"]
    assert "sk-abc" not in spaced.text
    garbled = http.put("/api/keys/mock", content=b'{"key": "sk-secret-garbled-123456"')
    assert garbled.status_code == 400 and "sk-secret" not in garbled.text
    missing = http.put("/api/keys/mock", json={"token": "x"})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "key"
    unknown = http.put("/api/keys/nobody", json={"key": MOCK_KEY})
    assert unknown.status_code == 404 and "add it on the Providers page" in unknown.json()["error"]["message"]


def test_without_a_keychain_the_api_explains_the_env_fallback(sluice_factory):
    # No session bus: the keychain cannot be reached, as on a headless server.
    s = sluice_factory(env={"DBUS_SESSION_BUS_ADDRESS": "disabled:"})
    keychain = s.get("/api/info").json()["keychain"]
    assert keychain["available"] is False and keychain["problem"]
    r = s.http().put("/api/keys/mock", json={"key": MOCK_KEY})
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "keychain_unavailable"
    assert "environment variable" in r.json()["error"]["message"]
    assert MOCK_KEY not in r.text
    # The env var keeps working, and the listing says where the key comes from.
    keys = {k["provider"]: k for k in s.get("/api/keys").json()}
    assert keys["mock"] == {"provider": "mock", "set": True, "last4": MOCK_KEY[-4:], "source": "env", "env_var": "SLUICE_TEST_MOCK_KEY"}
    assert s.chat("mock/m", "env key").status_code == 200
