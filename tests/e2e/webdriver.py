"""A few W3C WebDriver calls over httpx, enough to drive the desktop app through tauri-driver."""

import subprocess
import time

import httpx


class WebDriver:
    def __init__(self, url, capabilities, timeout=60):
        self.http = httpx.Client(base_url=url, timeout=timeout)
        r = self.http.post("/session", json={"capabilities": {"alwaysMatch": capabilities}})
        r.raise_for_status()
        self.session = f"/session/{r.json()['value']['sessionId']}"

    def _call(self, method, path, body=None):
        r = self.http.request(method, self.session + path, json=body)
        value = r.json().get("value")
        if r.status_code >= 400:
            raise RuntimeError(f"WebDriver {method} {path}: {value}")
        return value

    def find(self, xpath, timeout=20):
        """The first element matching `xpath`, waiting for it to appear."""
        deadline = time.time() + timeout
        while True:
            found = self._call("POST", "/elements", {"using": "xpath", "value": xpath})
            if found:
                return Element(self, next(iter(found[0].values())))
            if time.time() > deadline:
                raise TimeoutError(f"no element {xpath} within {timeout} s; page text: {self.text('//body')[:2000]}")
            time.sleep(0.2)

    def text(self, xpath):
        """The text content of the first match, "" if none. (WebKitWebDriver's own element text
        leaves out text clipped with `text-overflow: ellipsis`.)"""
        return self.script(
            "const n = document.evaluate(arguments[0], document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;"
            "return n ? n.textContent : '';",
            xpath,
        )

    def wait_text(self, xpath, wanted, timeout=20):
        deadline = time.time() + timeout
        while wanted not in (seen := self.text(xpath)):
            if time.time() > deadline:
                raise TimeoutError(f"{xpath} never showed {wanted!r}; it shows {seen!r}")
            time.sleep(0.2)
        return seen

    def script(self, source, *args):
        return self._call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def screenshot(self, path):
        """The whole (Xvfb) screen, through ImageMagick: WebKitWebDriver's own screenshot hangs
        when the app runs without WebKit's DMA-BUF renderer, as it does by default."""
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", "root", str(path)], check=True, timeout=30)

    def quit(self):
        try:
            self.http.delete(self.session)
        finally:
            self.http.close()


class Element:
    def __init__(self, driver, element_id):
        self.driver = driver
        self.path = f"/element/{element_id}"

    @property
    def text(self):
        return self.driver._call("GET", self.path + "/text")

    def click(self):
        self.driver._call("POST", self.path + "/click", {})

    def type(self, text):
        self.driver._call("POST", self.path + "/value", {"text": text})
