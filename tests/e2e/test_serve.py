"""`sluice serve` as a process: start-up errors, draining on SIGTERM, keys that never leak."""

import os
import signal
import subprocess
import threading
import time

import httpx

from conftest import MOCK_KEY, Proc, Sluice, _bin, providers_toml, unique


def run_serve(tmp_path, config_text, *extra):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(config_text)
    return subprocess.run(
        [_bin("SLUICE_BIN", "sluice"), "serve", "--config", str(cfg), "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0", *extra],
        capture_output=True, text=True, timeout=30,
    ), cfg


def test_bad_config_exits_non_zero_naming_file_and_field(tmp_path):
    out, cfg = run_serve(tmp_path, '[[providers]]\nid = "openai"\n[[routes]]\nmodel = "x"\ntargets = ["groq/llama"]\n')
    assert out.returncode != 0
    assert str(cfg) in out.stderr and "routes[0].targets[0]" in out.stderr and "unknown provider `groq`" in out.stderr
    out, cfg = run_serve(tmp_path, "[server]\nlisten = 8990\n")
    assert out.returncode != 0 and "[server] listen (line 2)" in out.stderr


def test_port_in_use_is_explained(sluice, tmp_path):
    port = sluice.url.rsplit(":", 1)[1]
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    out = subprocess.run([_bin("SLUICE_BIN", "sluice"), "serve", "--config", str(cfg), "--data-dir", str(tmp_path / "d2"), "--listen", f"127.0.0.1:{port}"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "in use" in out.stderr and "--listen" in out.stderr


def test_defaults_without_config_find_providers_in_env(tmp_path):
    env = {**os.environ, "SLUICE_TOKEN": "t0k3n", "GROQ_API_KEY": "gsk-test", "OPENAI_API_KEY": ""}
    p = Proc([_bin("SLUICE_BIN", "sluice"), "serve", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0"], env=env)
    url = p.wait_for(r"listening on (http://\S+)").group(1)
    cfg = httpx.get(url + "/api/config", headers={"Authorization": "Bearer t0k3n"}).json()
    assert [x["id"] for x in cfg["config"]["providers"]] == ["groq"]
    assert cfg["path"] == str(tmp_path / "d" / "config.toml")
    p.stop()


def test_generated_token_is_private(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_TOKEN"}
    p = Proc([_bin("SLUICE_BIN", "sluice"), "serve", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0"], env=env)
    url = p.wait_for(r"listening on (http://\S+)").group(1)
    token_file = tmp_path / "d" / "token"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    token = token_file.read_text().strip()
    assert httpx.get(url + "/api/stats", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    p.stop()


def test_sigterm_drains_in_flight_streams_and_flushes_the_log(sluice):
    body = {"model": "mock/delay-150-aa", "stream": True, "messages": [{"role": "user", "content": "one two three four five six"}]}
    lines = []

    def consume():
        with httpx.stream("POST", sluice.api + "/chat/completions", json=body, headers=sluice.headers, timeout=30) as r:
            lines.extend(r.iter_lines())

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.4)
    sluice.proc.p.send_signal(signal.SIGTERM)
    t.join(20)
    assert sluice.proc.p.wait(20) == 0
    assert "data: [DONE]" in lines, "the in-flight stream finished"
    wal = sluice.data_dir / "sluice.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0, "a clean stop leaves the whole log in sluice.db"
    sluice.start()
    row = sluice.log(1)[0]
    assert row["model_requested"] == "mock/delay-150-aa" and row["status"] == 200


def test_provider_keys_never_leak(sluice_factory, mock):
    wrong = "sk-wrong-key-that-must-not-leak-42"
    s = sluice_factory('[[providers]]\nid = "badkey"\nbase_url = "%s"\napi_key_env = "BAD_KEY"\n' % mock.api, env={"BAD_KEY": wrong, "SLUICE_LOG": "debug"})
    r = s.chat("badkey/ok-ab", unique())
    assert r.status_code == 401
    assert wrong not in r.text and "[redacted]" in r.text, "upstream errors that echo the key are redacted"
    s.chat("mock/ok-ab", unique())
    s.stop()
    for path in s.dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert wrong.encode() not in data and MOCK_KEY.encode() not in data, path
    assert wrong not in s.proc.output and MOCK_KEY not in s.proc.output


def test_missing_key_is_explained(sluice_factory, mock):
    s = sluice_factory('[[providers]]\nid = "nokey"\nbase_url = "%s"\napi_key_env = "UNSET_KEY_VAR"\n' % mock.api)
    r = s.chat("nokey/ok", "x")
    assert r.status_code == 401 and "UNSET_KEY_VAR" in r.json()["error"]["message"]
