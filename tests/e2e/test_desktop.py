"""The desktop app in a real window: built with the UI embedded, run under Xvfb through
tauri-driver and WebKitWebDriver, with the session's keychain (gnome-keyring). The window opens on
the Dashboard, the in-process proxy answers, and a key set through the UI lands in the keychain and
in no file under the data dir.

`cargo xtask test` provides all of it: DESKTOP_BIN, tauri-driver, a display and a D-Bus session.
"""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from conftest import MOCK_KEY, ROOT, Proc
from webdriver import WebDriver

SHOTS = ROOT / "target" / "screenshots"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(thing, found):
    if not found:
        pytest.fail(f"{thing} is missing: run the suite with `cargo xtask test`, which provides it")


class Desktop:
    """The app started through tauri-driver with its own data dir and config."""

    def __init__(self, tmp_path, config_text, listen=None):
        self.app = Path(os.environ.get("DESKTOP_BIN", ROOT / "target" / "debug" / "sluice-desktop"))
        need(f"the desktop app ({self.app})", self.app.exists())
        need("tauri-driver", shutil.which("tauri-driver"))
        need("WebKitWebDriver", shutil.which("WebKitWebDriver"))
        need("a display (DISPLAY)", os.environ.get("DISPLAY"))
        need("a D-Bus session with a keychain", os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
        self.data_dir = tmp_path / "data"
        self.config = tmp_path / "config.toml"
        self.config.write_text(config_text)
        self.env = {**os.environ, "SLUICE_CONFIG": str(self.config), "SLUICE_DATA_DIR": str(self.data_dir), "SLUICE_LOG": "info"}
        self.env.pop("SLUICE_TOKEN", None)
        self.env.pop("SLUICE_LISTEN", None)
        if listen:
            self.env["SLUICE_LISTEN"] = listen
        port, native = free_port(), free_port()
        self.driver_proc = Proc(["tauri-driver", "--port", str(port), "--native-port", str(native)], env=self.env)
        deadline = time.time() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/status", timeout=1)
                break
            except httpx.TransportError:
                if time.time() > deadline:
                    raise RuntimeError(f"tauri-driver did not start:\n{self.driver_proc.output}")
                time.sleep(0.1)
        self.driver = WebDriver(f"http://127.0.0.1:{port}", {"tauri:options": {"application": str(self.app)}})

    def close(self):
        self.driver.quit()
        self.driver_proc.stop()


@pytest.fixture
def launch(tmp_path):
    started = []

    def start(config_text, listen=None):
        d = Desktop(tmp_path, config_text, listen)
        started.append(d)
        return d

    yield start
    for d in started:
        d.close()


def mock_config(mock, server="", key_env=None):
    key = f'api_key_env = "{key_env}"\n' if key_env else ""
    return f'{server}[[providers]]\nid = "mock"\nbase_url = "{mock.api}"\n{key}\n[[prices]]\nmodel = "mock-model"\ninput = 2.5\noutput = 10.0\n'


def test_window_proxy_and_keychain(launch, mock):
    listen = f"127.0.0.1:{free_port()}"
    app = launch(mock_config(mock), listen=listen)
    driver, url, data_dir = app.driver, f"http://{listen}", app.data_dir

    # The window opens on the Dashboard; nothing has gone through yet.
    assert driver.find("//h1").text == "Dashboard"
    driver.find("//h2[contains(., 'Nothing has gone through Sluice yet')]")
    driver.screenshot(SHOTS / "desktop-dashboard.png")

    # The proxy in the app answers, with the token the app made in its data dir.
    token = (data_dir / "token").read_text().strip()
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    headers = {"Authorization": f"Bearer {token}"}
    body = {"model": "mock/mock-model", "messages": [{"role": "user", "content": "hello from the desktop test"}]}
    refused = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers)
    assert refused.status_code == 401, refused.text

    # Set the key through the UI.
    driver.find("//a[normalize-space()='Providers & keys']").click()
    card = "//section[@aria-label='Provider mock']"
    driver.find(f"{card}//button[normalize-space()='Add key']").click()
    driver.find(f"{card}//input[@type='password']").type(MOCK_KEY)
    driver.find(f"{card}//button[normalize-space()='Save key']").click()
    status = driver.wait_text(f"{card}//*[@data-testid='key-status']", MOCK_KEY[-4:])
    assert "in the keychain" in status

    # It is in the keychain, under this data dir's service, and in no file.
    stored = subprocess.run(["secret-tool", "lookup", "service", f"sluice {data_dir}", "username", "mock"], capture_output=True, text=True, check=True)
    assert stored.stdout == MOCK_KEY
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert MOCK_KEY.encode() not in path.read_bytes(), path

    # And the proxy uses it at once.
    answered = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers)
    assert answered.status_code == 200, answered.text
    assert answered.headers["x-sluice-provider"] == "mock"

    # The request shows up in the window's log.
    driver.find("//a[normalize-space()='Requests']").click()
    driver.wait_text("//table", "mock/mock-model")
    driver.screenshot(SHOTS / "desktop-requests.png")


def test_a_second_launch_hands_over_to_the_first(launch, mock):
    app = launch(mock_config(mock), listen=f"127.0.0.1:{free_port()}")
    app.driver.find("//h1")
    second = subprocess.run([str(app.app)], env=app.env, capture_output=True, text=True, timeout=30)
    assert second.returncode == 0, second.stderr
    assert "gateway listening" not in second.stderr, "the second launch must not start a gateway of its own"
    assert app.driver.find("//h1").text == "Dashboard", "the first instance keeps running"


def test_a_taken_port_is_reported_and_another_offered(launch, mock):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = launch(mock_config(mock, server=f'[server]\nlisten = "127.0.0.1:{port}"\n\n'))
        driver = app.driver
        assert driver.find("//h1").text == "The port is taken"
        driver.screenshot(SHOTS / "desktop-port-in-use.png")
        assert f"127.0.0.1:{port}" in driver.text("//body")
        driver.find("//button[starts-with(normalize-space(), 'Start on')]").click()
        assert driver.find("//nav").text
        driver.wait_text("//h1", "Dashboard")
        # It listens where it said, and remembers that for the next start.
        saved = app.config.read_text()
        new_listen = saved.split('listen = "')[1].split('"')[0]
        assert new_listen != f"127.0.0.1:{port}"
        assert httpx.get(f"http://{new_listen}/healthz").json() == {"status": "ok"}


def test_quitting_finishes_requests_in_flight_and_keeps_the_log(tmp_path, mock):
    """SIGTERM takes the tray's Quit path: a streaming answer in progress completes, and the
    request log on disk has every answered request."""
    app = Path(os.environ.get("DESKTOP_BIN", ROOT / "target" / "debug" / "sluice-desktop"))
    need("a display (DISPLAY)", os.environ.get("DISPLAY"))
    data_dir, config = tmp_path / "data", tmp_path / "config.toml"
    config.write_text(mock_config(mock, key_env="SLUICE_TEST_MOCK_KEY"))
    listen = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "SLUICE_CONFIG": str(config), "SLUICE_DATA_DIR": str(data_dir), "SLUICE_LISTEN": listen, "SLUICE_TOKEN": "quit-test-token", "SLUICE_TEST_MOCK_KEY": MOCK_KEY}
    proc = Proc([str(app)], env=env)
    proc.wait_for("gateway listening")
    headers = {"Authorization": "Bearer quit-test-token"}
    url = f"http://{listen}/v1/chat/completions"
    answered = [httpx.post(url, headers=headers, json={"model": "mock/m", "messages": [{"role": "user", "content": f"q{i}"}]}).headers["x-sluice-request-id"] for i in range(5)]

    # A slow stream (the mock waits 1.5 s before answering) is in flight when the signal comes.
    with httpx.stream("POST", url, headers=headers, timeout=30, json={"model": "mock/delay-1500", "stream": True, "messages": [{"role": "user", "content": "slow"}]}) as slow:
        assert slow.status_code == 200
        proc.p.send_signal(signal.SIGTERM)
        try:
            body = slow.read().decode()
        except httpx.HTTPError as e:
            raise AssertionError(f"the stream broke off: {e}\n{proc.output}")
        answered.append(slow.headers["x-sluice-request-id"])
    assert "data: [DONE]" in body
    assert proc.p.wait(timeout=20) == 0, proc.output
    with sqlite3.connect(data_dir / "sluice.db") as db:
        logged = {row[0] for row in db.execute("SELECT id FROM requests")}
    assert set(answered) <= logged
