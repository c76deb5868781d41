"""Server CPU per rerun after a logit edit: every view of ce-viz against the minimal app.

    python -m bench cpu              (from the project root)
    python -m bench.cpu ROUNDS       (more or fewer reruns per view; default 30)

Each app runs under ``streamlit.testing.v1.AppTest`` in this process. After one warm-up
run, each rerun types a new value into the first logit's exact box (the minimal app's one
box) and reruns the script; what is measured is the process's CPU time
(``time.process_time``, every thread) for that rerun. Every value is new, so no cache keyed
on the state can answer for the view: what is measured is the work a class's edits cost.
Views without logit boxes are edited in their own input: one layer back's sample x (its
digits tab: the digit), the training's learning rate (``python -m bench train`` has more),
the batch view's worst-rows box. The views and the minimal app alternate, round by round,
so that noise from a shared machine hits them alike; medians are compared.

Targets (issue "A lecture hall on one link", goal 1): at most 3x the minimal app on the
default view, at most 5x on every view. The exit status is 0 when both are met.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from bench.landscape import machine
from ce_viz.state import VIEWS

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 30
DEFAULT_TARGET = 3.0
VIEW_TARGET = 5.0


class Driver:
    """One app under AppTest, rerun with a new value in one number box each time."""

    def __init__(self, script: Path, box: str, query: dict[str, str], whole: bool = False) -> None:
        self.at = AppTest.from_file(str(script), default_timeout=120)
        self.at.query_params.update(query)
        self.at.run()
        assert not self.at.exception, [e.value for e in self.at.exception]
        self.box = box
        self.whole = whole
        self.edits = 0

    def edit(self) -> Any:
        """The box with its next value typed in, not yet run: new every time, so no cache
        can answer (a whole-number box cycles through 1 to 100)."""
        value = 1 + self.edits % 100 if self.whole else 3.0 + 0.001 * self.edits
        return self.at.number_input(key=self.box).set_value(value)

    def rerun(self) -> float:
        """CPU seconds of one rerun after the next edit."""
        self.edits += 1
        widget = self.edit()
        start = time.process_time()
        widget.run()
        spent = time.process_time() - start
        assert not self.at.exception, [e.value for e in self.at.exception]
        return spent


class SampleDriver(Driver):
    """One layer back's linear tab: a new sample x typed into its text box each time (its
    logits come from Wx + b, so the sidebar has no logit boxes on that view)."""

    def edit(self) -> Any:
        return self.at.text_input(key=self.box).set_value(f"{3.0 + 0.001 * self.edits:g}, -0.5, 2")


def compare(
    minimal: Driver, drivers: dict[str, Driver], targets: dict[str, float], rounds: int, title: str
) -> bool:
    """Rerun the minimal app and each driver in turn, ``rounds`` times after a warm-up of
    two reruns each (imports, and whatever a driver's first values fill), and print each
    one's median CPU and its ratio to the minimal app's. Whether every ratio is within
    its target."""
    for driver in (minimal, *drivers.values()):
        driver.rerun()
        driver.rerun()
    times: dict[str, list[float]] = {"minimal app": [], **{name: [] for name in drivers}}
    for _ in range(rounds):
        times["minimal app"].append(minimal.rerun())
        for name, driver in drivers.items():
            times[name].append(driver.rerun())
    base = statistics.median(times["minimal app"])
    print(f"{title}, median of {rounds} (AppTest, one process)")
    print(f"machine: {machine()}")
    print()
    width = max(len(name) for name in times) + 2
    header = f"{'rerun of':<{width}} {'ms CPU':>8} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    met = True
    for name, spent in times.items():
        median = statistics.median(spent)
        ratio = median / base
        target = targets.get(name)
        ok = target is None or ratio <= target
        met = met and ok
        flag = "" if ok else f"   <- over {target:g}x"
        print(f"{name:<{width}} {1e3 * median:8.1f} {ratio:7.2f}{flag}")
    return met


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    rounds = int(args[0]) if args else ROUNDS
    minimal = Driver(ROOT / "bench" / "minimal_app.py", "num_1", {})
    views = {
        view: Driver(ROOT / "app.py", "num_0", {"view": view})
        for view in VIEWS
        if view not in ("batch", "train", "layer")
    }
    # One layer back: a new sample x on the linear tab, a new digit on the digits tab.
    views["layer"] = SampleDriver(ROOT / "app.py", "x_text", {"view": "layer"})
    views["layer/digits"] = Driver(
        ROOT / "app.py", "digit", {"view": "layer", "layer": "digits"}, whole=True
    )
    # Watch it learn has no logit boxes either (the sample does not train it): the edit is
    # its learning rate, a new one each time, so every rerun trains again.
    views["train"] = Driver(ROOT / "app.py", "train_lr", {"view": "train"})
    # The batch view has no logit boxes (its sidebar holds no inputs): the edit there is
    # the number of worst rows, which reruns the view on the file's cached summary.
    views["batch"] = Driver(ROOT / "app.py", "worst", {"view": "batch"}, whole=True)
    # The landscape's second tab builds other charts: measured too.
    views["landscape/slice"] = Driver(
        ROOT / "app.py", "num_0", {"view": "landscape", "part": "slice"}
    )
    targets = {view: DEFAULT_TARGET if view == "gradient" else VIEW_TARGET for view in views}
    title = "server CPU per rerun after a logit edit"
    met = compare(minimal, views, targets, rounds, title)
    print()
    print(
        f"targets: default view <= {DEFAULT_TARGET:g}x, every view <= {VIEW_TARGET:g}x the "
        f"minimal app: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
