"""Benchmark: the loss landscape grid against plain NumPy and against a three-exponential floor.

    python -m bench landscape        (from the project root)

What it measures, on a 401 x 401 grid of two logits at K = 2, 10 and 32 classes:

* ``loss_grid``: ``ce_viz.landscape.loss_grid``, which folds the K - 2 fixed logits into one
  group and so works on (401, 401) arrays whatever K is, from gaps that never cancel;
* the plain baseline: what a direct NumPy implementation does. It builds the full
  (401, 401, K) array of logit vectors (the current logits everywhere, the two plotted ones
  replaced by the grid values) and takes ``logsumexp - y . z`` along the last axis, with
  the max subtracted. No validation, no helper: just NumPy;
* the floor: the least work any grid can do. The others' log-sum-exp ``c`` is one number, so
  each point needs ``m = max(a, b, c)``, three exponentials and one log:
  ``L = (sum y) (m + log(e^(a-m) + e^(b-m) + e^(c-m))) - y_a a - y_b b - sum y_i o_i``.
  It is fast but not accurate where the loss is tiny (``1 + x`` drops ``x`` below 1e-16),
  which is why loss_grid does not simply do this.

The three are timed in the same run, interleaved (each repeat times every K for all three, in
an order that rotates from one repeat to the next) after a warm-up, so that noise from a
shared machine hits them alike. Each timed call follows an untimed call of the same function,
so each meets the heap as it leaves it (as in a ``timeit`` loop), and none pays for pages
another one freed: at 401 x 401 a fresh page-faulted array costs about 0.3 ms, a large
part of a 2 ms grid. Each time is the median of REPEATS runs; the minimum is shown
too. The ratios are loss_grid / floor and loss_grid / plain (medians). loss_grid's accuracy is
checked against ``ce_viz.core.cross_entropy`` on the full (401, 401, K) array (the largest
relative difference over the grid), outside the timing.

Target: loss_grid / floor <= 1.5 at K = 10. The exit status is 0 if it is met and loss_grid
agrees with the core to 1e-12, 1 otherwise. Numbers go to stdout; nothing is written to disk.
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
REPEATS = 11
TARGET_K = 10
TARGET_RATIO = 1.5
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


def full_logits(pb: Problem) -> np.ndarray:
    """The (N, N, K) logits: the current ones everywhere, the plotted pair from the grid."""
    i, j = pb.axes
    full = np.empty((pb.a.size, pb.b.size, pb.logits.size))
    full[...] = pb.logits
    full[:, :, i] = pb.a[:, None]
    full[:, :, j] = pb.b[None, :]
    return full


def plain(pb: Problem) -> np.ndarray:
    """Plain NumPy: the (N, N, K) logits, then logsumexp - y . z along the classes."""
    z = full_logits(pb) / T
    m = z.max(axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(z - m).sum(axis=-1))
    return lse * pb.y.sum() - (z * pb.y).sum(axis=-1)


def floor(pb: Problem) -> np.ndarray:
    """Three exponentials and one log per point: the others' log-sum-exp is one number."""
    i, j = pb.axes
    keep = np.ones(pb.logits.size, dtype=bool)
    keep[[i, j]] = False
    rest = pb.logits[keep] / T
    c = rest.max() + np.log(np.exp(rest - rest.max()).sum()) if rest.size else -np.inf
    a, b = pb.a[:, None] / T, pb.b[None, :] / T
    m = np.maximum(np.maximum(a, b), c)
    lse = m + np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m))
    y_rest_o = float((pb.y[keep] * rest).sum())
    return lse * pb.y.sum() - pb.y[i] * a - pb.y[j] * b - y_rest_o


def reference(pb: Problem) -> np.ndarray:
    """The core's cross_entropy on every grid point's full logit vector: the accuracy check."""
    return np.asarray(cross_entropy(full_logits(pb), pb.y, T))


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


FUNCTIONS: dict[str, Callable[[Problem], np.ndarray]] = {
    "loss_grid": fast,
    "floor": floor,
    "plain": plain,
}


def main() -> int:
    problems = {K: make_problem(K) for K in KS}
    # Warm-up, and the accuracy check against the core, outside the timing.
    differences = {
        K: max_relative_difference(fast(pb), reference(pb)) for K, pb in problems.items()
    }
    for pb in problems.values():
        floor(pb)
        plain(pb)
    names = list(FUNCTIONS)
    times: dict[tuple[str, int], list[float]] = {(f, K): [] for f in names for K in KS}
    for repeat in range(REPEATS):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for K, pb in problems.items():
            for name in order:
                FUNCTIONS[name](pb)  # the heap as this function leaves it, as in a loop
                times[name, K].append(seconds(FUNCTIONS[name], pb))

    def col(name: str, K: int) -> str:
        median, least = statistics.median(times[name, K]), min(times[name, K])
        return f"{1e3 * median:8.2f} ({1e3 * least:6.2f})"

    print(f"loss landscape: {N} x {N} grid, T = {T}, median (min) of {REPEATS} interleaved runs")
    print(f"machine: {machine()}")
    print()
    header = (
        f"{'K':>3}  {'loss_grid ms':>17}  {'floor ms':>17}  {'plain ms':>17}  "
        f"{'/ floor':>7}  {'/ plain':>7}  {'rel diff':>8}"
    )
    print(header)
    print("-" * len(header))
    ratios = {}
    for K in KS:
        f_med = statistics.median(times["loss_grid", K])
        ratios[K] = f_med / statistics.median(times["floor", K])
        to_plain = f_med / statistics.median(times["plain", K])
        print(
            f"{K:>3}  {col('loss_grid', K):>17}  {col('floor', K):>17}  {col('plain', K):>17}  "
            f"{ratios[K]:7.2f}  {to_plain:7.3f}  {differences[K]:8.1e}"
        )
    print()
    met = ratios[TARGET_K] <= TARGET_RATIO
    agree = max(differences.values()) <= AGREEMENT
    print(
        f"target loss_grid / floor <= {TARGET_RATIO} at K = {TARGET_K}: "
        f"{'met' if met else 'NOT met'} (ratio {ratios[TARGET_K]:.2f})"
    )
    print(
        f"loss_grid agrees with the core to <= {AGREEMENT:g} relative: "
        f"{'yes' if agree else 'NO'} (max {max(differences.values()):.2e})"
    )
    return 0 if met and agree else 1


if __name__ == "__main__":
    sys.exit(main())
