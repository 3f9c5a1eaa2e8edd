"""The desktop app in a real window: built with the UI embedded, run under Xvfb through
tauri-driver and WebKitWebDriver, with the session's keychain (gnome-keyring). The window opens on
the Dashboard, the in-process proxy answers, and a key set through the UI lands in the keychain and
in no file under the data dir.

`cargo xtask test` provides all of it: DESKTOP_BIN, tauri-driver, a display and a D-Bus session.
"""

import os
import shutil
import socket
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


@pytest.fixture
def desktop(tmp_path, mock):
    app = Path(os.environ.get("DESKTOP_BIN", ROOT / "target" / "debug" / "sluice-desktop"))
    need(f"the desktop app ({app})", app.exists())
    need("tauri-driver", shutil.which("tauri-driver"))
    need("WebKitWebDriver", shutil.which("WebKitWebDriver"))
    need("a display (DISPLAY)", os.environ.get("DISPLAY"))
    need("a D-Bus session with a keychain", os.environ.get("DBUS_SESSION_BUS_ADDRESS"))

    data_dir = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(f'[[providers]]\nid = "mock"\nbase_url = "{mock.api}"\n\n[[prices]]\nmodel = "mock-model"\ninput = 2.5\noutput = 10.0\n')
    listen = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "SLUICE_CONFIG": str(config), "SLUICE_DATA_DIR": str(data_dir), "SLUICE_LISTEN": listen, "SLUICE_LOG": "info"}
    env.pop("SLUICE_TOKEN", None)
    port, native = free_port(), free_port()
    driver_proc = Proc(["tauri-driver", "--port", str(port), "--native-port", str(native)], env=env)
    deadline = time.time() + 20
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/status", timeout=1)
            break
        except httpx.TransportError:
            if time.time() > deadline:
                raise RuntimeError(f"tauri-driver did not start:\n{driver_proc.output}")
            time.sleep(0.1)
    driver = WebDriver(f"http://127.0.0.1:{port}", {"tauri:options": {"application": str(app)}})
    yield driver, f"http://{listen}", data_dir
    driver.quit()
    driver_proc.stop()
    print(driver_proc.output[-4000:])


def test_window_proxy_and_keychain(desktop):
    driver, url, data_dir = desktop

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
