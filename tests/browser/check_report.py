#!/usr/bin/env python3
"""Load a rinse report.html from disk in headless Chromium and check it.

    check_report.py REPORT_HTML REPORT_JSON SCREENSHOT_PNG

Drives the Debian `chromium` through the DevTools protocol over a pipe
(--remote-debugging-pipe: commands on fd 3, replies on fd 4; standard library only).
Fails (exit 1) when the page logs a console error or throws, when it asks for anything
but file: or data: URLs, or when a number it shows (an element with `data-key="a.b.c"`)
differs from report.json at that path. Saves a full-page screenshot.

Exit 77 (and a line saying SKIPPED) when no chromium is installed.
"""

import base64
import contextlib
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60.0


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class Browser:
    def __init__(self, exe, profile):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        # Chromium expects the pipe as fds 3 (its input) and 4 (its output).
        def setup():
            # Through fds out of the way first, so neither dup2 clobbers the other.
            a, b = os.dup2(to_chrome_r, 100), os.dup2(from_chrome_w, 101)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            # Kept open in the child after `setup` (which runs before the others close).
            pass_fds=(3, 4),
            # The checker runs no threads, so a function between fork and exec is safe.
            preexec_fn=setup,  # noqa: PLW1509
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._next = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            if time.time() > deadline:
                raise TimeoutError("no reply from chromium")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self._next += 1
        mid = self._next
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + TIMEOUT
        while True:
            m = self._read_message(deadline)
            if m.get("id") == mid:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_for(self, method):
        deadline = time.time() + TIMEOUT
        for i, m in enumerate(self.events):
            if m.get("method") == method:
                del self.events[i]
                return m
        while True:
            m = self._read_message(deadline)
            if m.get("method") == method:
                return m
            self.events.append(m)

    def close(self):
        # The browser may already be gone; it is waited for (or killed) below.
        with contextlib.suppress(OSError, ValueError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def lookup(v, path):
    for part in path.split("."):
        if isinstance(v, dict):
            v = v.get(part)
        elif isinstance(v, list) and part.isdigit() and int(part) < len(v):
            v = v[int(part)]
        else:
            return None
    return v


def same(shown, value):
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return shown.strip() == str(value)
    if isinstance(value, float):
        try:
            return math.isclose(float(shown), value, abs_tol=0.0005 + 1e-9)
        except ValueError:
            return False
    return shown.strip() == str(value)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    html, report_json, png = (pathlib.Path(a).resolve() for a in sys.argv[1:])
    exe = find_chromium()
    if exe is None:
        print("SKIPPED: no chromium installed (apt-get install chromium)")
        return 77
    report = json.loads(report_json.read_text())
    failures = []
    with tempfile.TemporaryDirectory(prefix="rinse-chromium-") as profile:
        b = Browser(exe, profile)
        try:
            target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = b.send(
                "Target.attachToTarget", {"targetId": target, "flatten": True}
            )["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                b.send(f"{domain}.enable", session=session)
            b.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            b.send("Page.navigate", {"url": html.as_uri()}, session=session)
            b.wait_for("Page.loadEventFired")
            keys = b.send(
                "Runtime.evaluate",
                {
                    "expression": "JSON.stringify(Array.from(document.querySelectorAll"
                    "('[data-key]')).map(e => [e.dataset.key, e.textContent]))",
                    "returnByValue": True,
                },
                session=session,
            )["result"]["value"]
            shot = b.send(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True},
                session=session,
            )
            png.parent.mkdir(parents=True, exist_ok=True)
            png.write_bytes(base64.b64decode(shot["data"]))
            # Let late console messages arrive.
            b.send("Runtime.evaluate", {"expression": "1"}, session=session)
        finally:
            b.close()
    for m in b.events:
        method, p = m.get("method"), m.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in (
            "error",
            "assert",
        ):
            failures.append(f"console error: {p.get('args')}")
        elif method == "Runtime.exceptionThrown":
            failures.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            failures.append(f"log error: {p['entry'].get('text')}")
        elif method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if not url.startswith(("file:", "data:", "about:")):
                failures.append(f"the page asked for {url}")
    shown = json.loads(keys)
    if len(shown) < 10:
        failures.append(f"only {len(shown)} numbers tagged with data-key")
    for key, text in shown:
        value = lookup(report, key)
        if not same(text, value):
            failures.append(f"{key}: page shows {text!r}, report.json has {value!r}")
    for must in ("records.read", "records.kept", "records.rejected", "bytes.text_in"):
        if must not in {k for k, _ in shown}:
            failures.append(f"{must} is not shown")
    if failures:
        for f in failures:
            print(f"FAIL: {f}")
        return 1
    print(f"ok: {len(shown)} numbers match report.json; screenshot {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
