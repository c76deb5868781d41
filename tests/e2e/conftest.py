"""Fixtures for the browser tests: `streamlit run app.py` on a free loopback port, and
Debian's headless Chromium driven by Playwright.

These tests never skip: without /usr/bin/chromium they fail and say how to install it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "artifacts"


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """The base URL of a fresh `streamlit run app.py`, stopped after the session."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("streamlit run app.py did not come up; see artifacts/server.log")
                time.sleep(0.25)
        yield url
    finally:
        server.terminate()
        server.wait(15)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (`make test` does).")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page at a laptop-sized viewport that collects JavaScript errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.js_errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.js_errors.append(str(exc)))  # type: ignore[attr-defined]
    yield pg
    context.close()


def wait_for_app(page: Page) -> None:
    """Wait until the script has finished running and Plotly has drawn."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length === 0 || "
        "[...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
        # Drawn: tick labels on a 2-D chart, or the WebGL scene of a 3-D one.
        ".every(c => c.querySelector('.main-svg') && "
        "(c.querySelector('.xtick text') || c.querySelector('.gl-container')))",
        timeout=30000,
    )


def shoot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(700)  # widgets fill in their values just after the run ends
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
