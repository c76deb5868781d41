"""Fixtures for the browser tests: `streamlit run app.py` on a free loopback port, and
Debian's headless Chromium driven by Playwright.

These tests never skip: without /usr/bin/chromium they fail and say how to install it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from bench.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, served

ARTIFACTS = ROOT / "artifacts"

#: How long an ``expect`` waits for what it checks (Playwright's default is 5 s). A fresh
#: page's first chart waits for plotly.js (several MB) to load and compile, and on a slow
#: 2-core machine with both test workers busy that took over 5 s: three checks failed in
#: one CI run for charts not yet on the page, each passing alone. An ``expect`` returns as
#: soon as it holds, so this costs a passing test nothing.
EXPECT_TIMEOUT_MS = 20_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def app_server() -> Iterator[tuple[int, str]]:
    """The process id and base URL of a fresh `streamlit run app.py`, stopped after the
    session. Under pytest-xdist (`make test` runs `pytest -n 2`) each worker that runs a
    browser test has its own server, logging to artifacts/server-gw0.log, server-gw1.log."""
    ARTIFACTS.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    log_path = ARTIFACTS / (f"server-{worker}.log" if worker else "server.log")
    with log_path.open("wb") as log:
        try:
            with served(ROOT / "app.py", log=log) as (server, url):
                yield server.pid, url
        except RuntimeError as exc:
            pytest.fail(f"{exc}; see artifacts/{log_path.name}")


@pytest.fixture(scope="session")
def app_url(app_server: tuple[int, str]) -> str:
    """The base URL of the app under test."""
    return app_server[1]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium (one per pytest-xdist worker that runs a browser test)."""
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


def received_frames(page: Page) -> list[bytes]:
    """A list that collects, from now on, every websocket frame the page receives, as
    bytes (clear it to start again): what a rerun sent, to tell a fragment's rerun, which
    leaves the page's title out, from a whole page's."""
    received: list[bytes] = []

    def watch(ws) -> None:
        ws.on(
            "framereceived",
            lambda payload: received.append(
                bytes(payload, "latin-1") if isinstance(payload, str) else payload
            ),
        )

    page.on("websocket", watch)
    return received


def enter(page: Page, box: Locator, text: str, url: str) -> None:
    """Type ``text`` into ``box`` and press Enter; wait until the address bar matches the
    pattern ``url`` and the rerun has drawn."""
    box.fill(text)
    box.press("Enter")
    page.wait_for_url(re.compile(url))
    wait_for_app(page)
