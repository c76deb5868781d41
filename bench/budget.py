"""Performance budget: ce-viz against a minimal Streamlit app, side by side in one run.

    python -m bench budget

Both apps run under `streamlit run` on loopback and are driven by Debian's headless
Chromium through Playwright, alternating between them, ROUNDS times each (after one
uncounted warm-up round), each time in a fresh browser context (an empty cache, as on a
student's first visit):

* page load: from navigation until the script has finished, every Plotly chart has drawn
  its axes, and the count of chart SVGs has then held for 0.4 s (the time of its last
  change is taken). Target: at most 1.3 x the minimal app's.
* rerun: type a new value into the exact box of o1 and press Enter, until the loss shown
  has changed and every chart has drawn again. Target: at most 3 x the minimal app's.

The minimal app (bench/minimal_app.py) has one number input, one metric and one Plotly bar
chart. Medians are compared; the exit status is 0 when both targets are met.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time

from playwright.sync_api import Page, sync_playwright

from bench.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, served

ROUNDS = 7
DRAWN = (
    "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
    " const charts = [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')];"
    " return app && app.dataset.testScriptState === 'notRunning' && charts.length > 0"
    " && charts.every(c => c.querySelector('.xtick text')); }"
)
CHANGED = (
    "(before) => { const m = document.querySelector('[data-testid=\"stMetricValue\"]');"
    " return m && m.innerText !== before; }"
)


#: The number of chart SVGs on the page; the page is drawn once it holds for STEADY_S.
SVGS = "() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length"
STEADY_S = 0.4


def _settled(page: Page, start: float) -> float:
    """Seconds from ``start`` until the count of chart SVGs last changed, once it has held
    for STEADY_S (a chart redrawn late, as Streamlit's theme is applied, counts)."""
    count, changed = page.evaluate(SVGS), time.perf_counter()
    while time.perf_counter() - changed < STEADY_S:
        page.wait_for_timeout(20)
        now = page.evaluate(SVGS)
        if now != count:
            count, changed = now, time.perf_counter()
    return changed - start


def _measure(page: Page, url: str, value: str) -> tuple[float, float]:
    """Seconds to load ``url`` until drawn, and to rerun after typing ``value`` into o1."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=60000)
    load = _settled(page, start)
    page.wait_for_timeout(500)  # the widgets settle after the first run
    before = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    box = page.get_by_label("exact o1")
    box.click()
    box.fill(value)
    start = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(CHANGED, arg=before, timeout=60000)
    page.wait_for_function(DRAWN, timeout=60000)
    return load, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    del argv
    apps = {"ce-viz": ROOT / "app.py", "minimal": ROOT / "bench" / "minimal_app.py"}
    loads: dict[str, list[float]] = {name: [] for name in apps}
    reruns: dict[str, list[float]] = {name: [] for name in apps}
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(served(path))[1] for name, path in apps.items()}
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for round_ in range(ROUNDS + 1):
            order = list(apps) if round_ % 2 else list(apps)[::-1]
            for name in order:
                # A fresh context each time: an empty cache, as a student's first visit.
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                load, rerun = _measure(page, urls[name], f"{1.5 + (round_ % 5) * 0.25:g}")
                context.close()
                if round_:  # round 0 warms both up
                    loads[name].append(load)
                    reruns[name].append(rerun)
        browser.close()
    load = {k: statistics.median(v) for k, v in loads.items()}
    rerun = {k: statistics.median(v) for k, v in reruns.items()}
    load_ratio = load["ce-viz"] / load["minimal"]
    rerun_ratio = rerun["ce-viz"] / rerun["minimal"]
    print(f"performance budget: ce-viz (default view) against a minimal app, median of {ROUNDS}")
    print(f"{'':10}{'page load ms':>14}{'rerun ms':>12}")
    for name in apps:
        print(f"{name:10}{1e3 * load[name]:>14.0f}{1e3 * rerun[name]:>12.0f}")
    load_ok, rerun_ok = load_ratio <= 1.3, rerun_ratio <= 3.0
    print(f"page load ratio {load_ratio:.2f} (target <= 1.3): {'met' if load_ok else 'NOT met'}")
    print(f"rerun ratio {rerun_ratio:.2f} (target <= 3): {'met' if rerun_ok else 'NOT met'}")
    return 0 if load_ok and rerun_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
