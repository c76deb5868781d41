"""Benchmark: the loss landscape grid against the straightforward vectorised evaluation.

    python -m bench landscape        (from the project root)

What it measures, on a 401 x 401 grid of two logits at K = 2, 10 and 32 classes:

* ``loss_grid``: ``ce_viz.landscape.loss_grid``, which folds the K - 2 fixed logits into two
  constants and so works on (401, 401) arrays whatever K is;
* the baseline: build the full (401, 401, K) array of logit vectors (the current logits
  everywhere, the two plotted ones replaced by the grid values) and call
  ``ce_viz.core.cross_entropy`` on it, which is what a direct implementation does.

The allocator is left as it is. loss_grid works on blocks of rows small enough that its
temporaries come from memory the process already holds, so its time does not depend on
what ran before it; the baseline's 13 MB arrays are mapped afresh and page-faulted on each
call, as they would be in the app.

The two are timed in the same run, interleaved (each repeat times every K for both, in an
order that alternates from one repeat to the next) after a warm-up, so that noise from a
shared machine hits both alike. Each time is the median of REPEATS runs; the minimum is
shown too. The ratio is loss_grid / baseline (medians). The two results are compared as
well: the largest relative difference over the grid.

Target: ratio <= 0.1 at K = 10. The exit status is 0 if it is met and the two agree to
1e-12, 1 otherwise. Numbers go to stdout; nothing is written to disk.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ce_viz.core import cross_entropy, target_distribution
from ce_viz.landscape import default_axes, loss_grid

N = 401
KS = (2, 10, 32)
REPEATS = 7
TARGET_K = 10
TARGET_RATIO = 0.1
AGREEMENT = 1e-12
T = 1.0
SMOOTHING = 0.1  # the smoothed target has weight on every class: every term of the loss


@dataclass(frozen=True)
class Problem:
    """One landscape: logits, target, the plotted pair and the grid values."""

    logits: np.ndarray
    y: np.ndarray
    axes: tuple[int, int]
    a: np.ndarray
    b: np.ndarray


def make_problem(K: int) -> Problem:
    """Logits in [-4, 4], true class 0 smoothed, the default plane, +-10 around the logits."""
    o = np.random.default_rng(K).uniform(-4.0, 4.0, K)
    axes = default_axes(o, 0)
    y = target_distribution(K, target=0, smoothing=SMOOTHING)
    a = o[axes[0]] + np.linspace(-10.0, 10.0, N)
    b = o[axes[1]] + np.linspace(-10.0, 10.0, N)
    return Problem(o, y, axes, a, b)


def fast(pb: Problem) -> np.ndarray:
    return loss_grid(pb.logits, pb.y, pb.axes, pb.a, pb.b, T)


def baseline(pb: Problem) -> np.ndarray:
    """Build the (N, N, K) logits and evaluate the core's cross_entropy on all of them."""
    i, j = pb.axes
    full = np.empty((pb.a.size, pb.b.size, pb.logits.size))
    full[...] = pb.logits
    full[:, :, i] = pb.a[:, None]
    full[:, :, j] = pb.b[None, :]
    return np.asarray(cross_entropy(full, pb.y, T))


def seconds(f: Callable[[Problem], np.ndarray], pb: Problem) -> float:
    start = time.perf_counter()
    f(pb)
    return time.perf_counter() - start


def max_relative_difference(x: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(x - ref) / np.maximum(np.abs(ref), 1e-300)))


def machine() -> str:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    return (
        f"numpy {np.__version__}, Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {cpu}, {os.cpu_count()} cores ({usable} usable)"
    )


def main() -> int:
    problems = {K: make_problem(K) for K in KS}
    # Warm-up, and the agreement check on the same calls.
    differences = {K: max_relative_difference(fast(pb), baseline(pb)) for K, pb in problems.items()}
    times: dict[tuple[str, int], list[float]] = {(f, K): [] for f in ("fast", "base") for K in KS}
    for repeat in range(REPEATS):
        for K, pb in problems.items():
            order = (("fast", fast), ("base", baseline))
            for name, f in order if repeat % 2 == 0 else order[::-1]:
                times[name, K].append(seconds(f, pb))

    print(f"loss landscape: {N} x {N} grid, T = {T}, median (min) of {REPEATS} interleaved runs")
    print(f"machine: {machine()}")
    print()
    header = (
        f"{'K':>3}  {'loss_grid ms':>17}  {'baseline ms':>19}  {'ratio':>7}  {'max rel diff':>12}"
    )
    print(header)
    print("-" * len(header))
    ratios = {}
    for K in KS:
        f_med, b_med = statistics.median(times["fast", K]), statistics.median(times["base", K])
        ratios[K] = f_med / b_med
        f_col = f"{1e3 * f_med:8.2f} ({1e3 * min(times['fast', K]):6.2f})"
        b_col = f"{1e3 * b_med:9.2f} ({1e3 * min(times['base', K]):7.2f})"
        print(f"{K:>3}  {f_col:>17}  {b_col:>19}  {ratios[K]:7.4f}  {differences[K]:12.2e}")
    print()
    met = ratios[TARGET_K] <= TARGET_RATIO
    agree = max(differences.values()) <= AGREEMENT
    print(
        f"target ratio <= {TARGET_RATIO} at K = {TARGET_K}: "
        f"{'met' if met else 'NOT met'} (ratio {ratios[TARGET_K]:.4f})"
    )
    print(
        f"agreement <= {AGREEMENT:g} relative: {'yes' if agree else 'NO'} "
        f"(max {max(differences.values()):.2e})"
    )
    return 0 if met and agree else 1


if __name__ == "__main__":
    sys.exit(main())
