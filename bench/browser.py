"""Server CPU per edit as a real browser makes it: "Watch it learn" against the minimal app.

    python -m bench browser          (from the project root; 60 edits each)
    python -m bench.browser EDITS

Both apps run under ``streamlit run`` on loopback; Debian's headless Chromium (Playwright)
opens ``?view=train`` and the minimal app (bench/minimal_app.py) in a page each and edits
them in turn, after WARM_UP uncounted edits each:

* the train view: a learning rate never typed before into its box, Enter, until the
  address bar carries it and the script has finished (the view's settings are in a
  fragment: the browser asks for that fragment alone, and every edit trains again);
* the minimal app: a new value in its box, Enter, until its metric shows the loss for it
  and the script has finished.

Each server's CPU is read from /proc (user plus system, in 10 ms ticks: only means over many
edits count) before and after each edit, with the edit's wall time. A server also spends
CPU while idle (its event loop, the open page's connection): each server's idle rate is
measured with both pages open and nothing edited, IDLE_S seconds before the edits and
IDLE_S after, and ``less idle`` subtracts that rate times the edit's wall time. Reported
per app: the mean CPU per edit, its wall time, the idle rate and the CPU less idle; the
ratios of both.
Target (issue "One layer back, and a classifier you can watch learn"): a retrain at most
5x the minimal app, less idle. The exit status is 0 when it is met.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from playwright.sync_api import Page, sync_playwright

from bench.load import cpu_s
from bench.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, served

EDITS = 60
WARM_UP = 3
#: Seconds of quiet, before the edits and after them, in which each server's idle CPU is read.
IDLE_S = 5.0
CPU_TARGET = 5.0
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TIMEOUT_MS = 60_000


@dataclass
class Edits:
    """One app's counted edits (CPU seconds of its server, wall seconds) and its server's
    idle rate (CPU seconds a second with nothing edited)."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    idle: float = 0.0


def _train_edit(page: Page, k: int) -> None:
    """A learning rate no edit typed before; done when the address bar carries it."""
    text = f"{0.2 + 0.0007 * k:.4f}"
    box = page.get_by_role("spinbutton", name="Learning rate")
    box.fill(text)
    box.press("Enter")

    def carries(url: str) -> bool:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        return abs(float(query.get("train_lr", ["nan"])[0]) - float(text)) < 1e-9

    page.wait_for_url(carries, timeout=TIMEOUT_MS)
    page.wait_for_selector(DONE, state="attached", timeout=TIMEOUT_MS)


def _minimal_edit(page: Page, k: int) -> None:
    """A new o1; done when the metric shows the loss the minimal app computes for it."""
    x = round(3.0 + 0.001 * k, 3)
    o = np.array([2.0, x, 4.0])
    loss = -np.log(np.exp(o[1]) / np.exp(o).sum())
    box = page.get_by_label("exact o1")
    box.fill(f"{x:.3f}")
    box.press("Enter")
    metric = page.locator('[data-testid="stMetricValue"]', has_text=f"{loss:.4f}")
    metric.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_selector(DONE, state="attached", timeout=TIMEOUT_MS)


def measure(edits: int) -> dict[str, Edits]:
    """Edit the two apps in turn in Chromium, ``edits`` counted edits each."""
    results = {"minimal app": Edits(), "retrain": Edits()}
    with contextlib.ExitStack() as stack:
        mini, mini_url = stack.enter_context(served(ROOT / "bench" / "minimal_app.py"))
        app, app_url = stack.enter_context(served(ROOT / "app.py"))
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        pages = {}
        for name, url in (("minimal app", mini_url), ("retrain", f"{app_url}/?view=train")):
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(url)
            page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=TIMEOUT_MS)
            page.wait_for_selector(DONE, state="attached", timeout=TIMEOUT_MS)
            pages[name] = page
        turns: dict[str, tuple[Callable[[Page, int], None], int]] = {
            "minimal app": (_minimal_edit, mini.pid),
            "retrain": (_train_edit, app.pid),
        }
        for k in range(WARM_UP):
            for name, (edit, _) in turns.items():
                edit(pages[name], k)
        idle = _quiet({name: pid for name, (_, pid) in turns.items()})
        for k in range(WARM_UP, WARM_UP + edits):
            for name, (edit, pid) in turns.items():
                cpu, start = cpu_s(pid), time.perf_counter()
                edit(pages[name], k)
                results[name].wall.append(time.perf_counter() - start)
                results[name].cpu.append(cpu_s(pid) - cpu)
        after = _quiet({name: pid for name, (_, pid) in turns.items()})
        for name, result in results.items():
            result.idle = (idle[name] + after[name]) / 2
    return results


def _quiet(pids: dict[str, int]) -> dict[str, float]:
    """Each server's CPU seconds a second over IDLE_S seconds in which nothing is edited
    (after a second for the last edit's work to end)."""
    time.sleep(1.0)
    before = {name: cpu_s(pid) for name, pid in pids.items()}
    time.sleep(IDLE_S)
    return {name: (cpu_s(pid) - before[name]) / IDLE_S for name, pid in pids.items()}


def report(results: dict[str, Edits]) -> bool:
    """Print each app's figures and the ratios; whether the retrain is within CPU_TARGET."""
    mini, train = results["minimal app"], results["retrain"]
    idle = {name: e.idle for name, e in results.items()}
    less_idle = {
        name: statistics.mean(e.cpu) - e.idle * statistics.mean(e.wall)
        for name, e in results.items()
    }
    print(f"server CPU per edit in headless Chromium, {len(mini.cpu)} edits each, in turn")
    print()
    header = f"{'edit of':<12} {'ms CPU':>7} {'ms wall':>8} {'idle ms/s':>10} {'ms less idle':>13}"
    print(header)
    print("-" * len(header))
    for name, e in results.items():
        print(
            f"{name:<12} {1e3 * statistics.mean(e.cpu):7.1f} {1e3 * statistics.mean(e.wall):8.0f}"
            f" {1e3 * idle[name]:10.1f} {1e3 * less_idle[name]:13.1f}"
        )
    raw = statistics.mean(train.cpu) / statistics.mean(mini.cpu)
    ratio = less_idle["retrain"] / less_idle["minimal app"]
    met = ratio <= CPU_TARGET
    print()
    print(f"retrain / minimal app: {raw:.2f}x as measured, {ratio:.2f}x less idle")
    print(
        f"target: a retrain <= {CPU_TARGET:g}x the minimal app, less idle: "
        f"{'met' if met else 'NOT met'}"
    )
    return met


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and (not args[0].isdigit() or int(args[0]) < 1):
        print(f"bench browser: {args[0]}: the edits per app, a number, 1 or more")
        return 2
    return 0 if report(measure(int(args[0]) if args else EDITS)) else 1


if __name__ == "__main__":
    sys.exit(main())
