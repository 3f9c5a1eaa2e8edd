"""Fixtures that run the real binaries: a mock OpenAI upstream and `sluice serve`, on loopback.

The binaries come from SLUICE_BIN and MOCK_UPSTREAM_BIN (set by `cargo xtask test`), else
from target/debug.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import openai
import pytest

ROOT = Path(__file__).resolve().parents[2]
MOCK_KEY = "sk-mock-provider-key-0123456789"


def _bin(env, name):
    path = Path(os.environ.get(env, ROOT / "target" / "debug" / name))
    if not path.exists():
        pytest.exit(f"{path} is missing: run `cargo xtask test`, which builds it", returncode=2)
    return str(path)


class Proc:
    """A child process whose stdout is read on a thread, so it never blocks on a full pipe."""

    def __init__(self, args, env=None, cwd=None):
        self.args = args
        self.lines = []
        self.p = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line)

    @property
    def output(self):
        return "".join(self.lines)

    def wait_for(self, pattern, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.output)
            if m:
                return m
            if self.p.poll() is not None:
                time.sleep(0.1)
                raise RuntimeError(f"{self.args[0]} exited ({self.p.returncode}):\n{self.output}")
            time.sleep(0.02)
        raise TimeoutError(f"{self.args[0]} did not print {pattern!r}:\n{self.output}")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self._reader.join(timeout=5)
        return self.p.returncode


@pytest.fixture(scope="session")
def mock():
    proc = Proc([_bin("MOCK_UPSTREAM_BIN", "mock-upstream"), "--key", MOCK_KEY])
    url = proc.wait_for(r"listening on (http://\S+)").group(1)
    yield Mock(url)
    proc.stop()


class Mock:
    def __init__(self, url):
        self.url = url
        self.api = url + "/v1"

    def stats(self):
        return httpx.get(self.url + "/_mock/stats").json()

    def count(self, model):
        return self.stats()["requests"].get(model, 0)

    def requests(self):
        return httpx.get(self.url + "/_mock/requests").json()["requests"]


def providers_toml(mock):
    return f"""
[[providers]]
id = "mock"
base_url = "{mock.api}"
api_key_env = "SLUICE_TEST_MOCK_KEY"

[[providers]]
id = "mock2"
base_url = "{mock.api}"
api_key_env = "SLUICE_TEST_MOCK_KEY"
"""


class Sluice:
    def __init__(self, tmp, config_text, env_extra=None, data_dir=None):
        self.dir = Path(tmp)
        self.data_dir = Path(data_dir) if data_dir else self.dir / "data"
        self.config_path = self.dir / "config.toml"
        if config_text is not None:
            self.config_path.write_text(config_text)
        self.token = "sluice-test-token-" + uuid.uuid4().hex
        self.env = {**os.environ, "SLUICE_TOKEN": self.token, "SLUICE_TEST_MOCK_KEY": MOCK_KEY, "SLUICE_LOG": "info"}
        self.env.update(env_extra or {})
        self.proc = None

    def start(self):
        self.proc = Proc(
            [_bin("SLUICE_BIN", "sluice"), "serve", "--config", str(self.config_path),
             "--data-dir", str(self.data_dir), "--listen", "127.0.0.1:0"],
            env=self.env,
        )
        self.url = self.proc.wait_for(r"sluice listening on (http://\S+)").group(1)
        self.api = self.url + "/v1"
        return self

    def stop(self, sig=signal.SIGTERM):
        return self.proc.stop(sig)

    def kill9(self):
        self.proc.p.kill()
        self.proc.p.wait()

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, **kw):
        return openai.OpenAI(base_url=self.api, api_key=self.token, max_retries=0, **kw)

    def http(self, **kw):
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=30, **kw)

    def get(self, path, **kw):
        return httpx.get(self.url + path, headers=self.headers, timeout=30, **kw)

    def post(self, path, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return httpx.post(self.url + path, headers=headers, timeout=30, **kw)

    def chat(self, model, text, headers=None, **params):
        body = {"model": model, "messages": [{"role": "user", "content": text}], **params}
        return self.post("/v1/chat/completions", json=body, headers=headers or {})

    def stats(self):
        return self.get("/api/stats").json()

    def log(self, limit=100):
        return self.get(f"/api/requests?limit={limit}").json()["requests"]

    def detail(self, request_id):
        return self.get(f"/api/requests/{request_id}").json()


@pytest.fixture
def sluice_factory(tmp_path, mock):
    started = []

    def make(extra_toml="", env=None, raw=None, name="s"):
        tmp = tmp_path / name
        tmp.mkdir(exist_ok=True)
        text = raw if raw is not None else providers_toml(mock) + extra_toml
        s = Sluice(tmp, text, env)
        s.start()
        started.append(s)
        return s

    yield make
    for s in started:
        if s.proc and s.proc.p.poll() is None:
            s.stop()


@pytest.fixture
def sluice(sluice_factory):
    return sluice_factory()


def unique(prefix="q"):
    return f"{prefix} {uuid.uuid4().hex[:10]}"
