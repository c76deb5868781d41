"""Tests for the loss landscape, ce_viz.landscape.

The reference for every grid is the core itself: the full ``(n_a, n_b, K)`` array of logits
is built here point by point and handed to ``cross_entropy`` / ``grad_logits``, whose own
accuracy (1e-12 relative against mpmath) is established in test_core.py. The landscape's
shortcut, which folds the K - 2 fixed logits into two constants, must agree with it.

Notation: the plotted classes are ``i, j = axes``; ``a`` and ``b`` are their logits on the
grid; the other K - 2 classes are "fixed"; ``p = softmax(o / T)``; ``u = 2**-53``.
"""

from __future__ import annotations

import math
import sys
import tracemalloc
import warnings
from collections.abc import Callable

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce_viz.core import (
    CEVizError,
    cross_entropy,
    grad_logits,
    softmax,
    target_distribution,
)
from ce_viz.landscape import (
    Descent,
    default_axes,
    descend,
    descend_relative,
    descent_field,
    entropy,
    logit_gap,
    logit_gap_change,
    loss_change_grid,
    loss_change_slice,
    loss_grid,
    loss_slice,
    optimal_logit_gap,
)

# --------------------------------------------------------------------------------------
# Constants and tables
# --------------------------------------------------------------------------------------

U = 2.0**-53
REL_TOL = 1e-12
#: The absolute floor, used only where the loss itself is ~0: 1e-12 of the smallest normal
#: float, as in test_core.py. Nowhere else is any absolute slack allowed on the loss.
TINY_ABS = REL_TOL * sys.float_info.min
#: Finite-difference step: truncation ~h^2/(6 T^3) and rounding ~u L / h are both < 1e-8
#: for T >= 0.25 and the moderate grids used with it.
H = 1e-5
FD_TOL = 1e-7

KS = (2, 3, 10, 32)
TS = (0.25, 1.0, 3.0)
#: Offsets from the current logits: a 5 x 7 grid, so that a swapped index shows.
A_OFFSETS = (-6.0, -2.5, 0.0, 1.25, 6.0)
B_OFFSETS = (-7.0, -3.0, -1.0, 0.0, 0.5, 2.0, 7.0)


def base_logits(K: int, scale: float = 4.0) -> np.ndarray:
    """K distinct logits in [-scale, scale], fixed per K so that failures reproduce."""
    return np.round(np.random.default_rng(K).uniform(-scale, scale, K), 3)


def axes_pairs(K: int) -> list[tuple[int, int]]:
    """Both orders of the pair (0, K - 1), and for K > 2 also (2, 1)."""
    pairs = [(0, K - 1), (K - 1, 0)]
    return [*pairs, (2, 1)] if K > 2 else pairs


def targets(K: int, axes: tuple[int, int]) -> dict[str, np.ndarray]:
    """Targets whose loss is either bounded away from 0 or carried by a plotted class.

    A one-hot target on a *fixed* class is left out here on purpose: see
    test_loss_grid_is_relatively_accurate_with_the_target_on_a_fixed_class.
    """
    i, j = axes
    pair = np.zeros(K)
    pair[i], pair[j] = 0.3, 0.7
    soft = np.random.default_rng(100 + K).uniform(0.05, 1.0, K)
    fixed = next((c for c in range(K) if c not in axes), i)
    return {
        "one-hot on a": np.eye(K)[i],
        "one-hot on b": np.eye(K)[j],
        "soft on the pair": pair,
        "soft on every class": soft / soft.sum(),
        "smoothed eps=0.1": target_distribution(K, target=fixed, smoothing=0.1),
    }


#: (K, axes, target name, T) for the accuracy matrix.
GRID_CASES = [
    (K, axes, name, T)
    for K in KS
    for axes in axes_pairs(K)
    for name in targets(K, axes)
    for T in TS
]

#: (K, axes, target name) at T = 0.01 with logits and grid in [-200, 200]: o/T reaches 2e4,
#: so exp(o/T) overflows and only a shifted evaluation gives a number. Grid values close
#: to each other make the largest two terms compete.
EXTREME_GRID = (-200.0, -199.99, -50.0, 0.0, 120.5, 199.995, 200.0)
EXTREME_CASES = [
    (K, axes, name)
    for K in KS
    for axes in axes_pairs(K)[:2]
    for name in ("one-hot on a", "one-hot on b", "soft on every class", "smoothed eps=0.1")
]

#: (logits, k, expected axes): true class first, then the strongest wrong class.
DEFAULT_AXES_CASES: list[tuple[list[float], int, tuple[int, int]]] = [
    ([2.0, 3.0, 4.0], 1, (1, 2)),  # the seed: class 2 is the strongest wrong one
    ([2.0, 3.0, 4.0], 2, (2, 1)),  # the true class has the largest logit
    ([9.0, -1.0, 3.0, 3.5], 0, (0, 3)),  # the true class largest, K = 4
    ([1.0, 0.0], 0, (0, 1)),  # K = 2: the only other class
    ([0.0, 1.0], 1, (1, 0)),
    ([0.0, 7.0, 7.0], 0, (0, 1)),  # a tie between wrong classes: the first
    ([7.0, 7.0, 0.0], 0, (0, 1)),  # a tie with the true class: the wrong one
    ([7.0, 7.0, 0.0], 1, (1, 0)),
    ([3.0, 3.0, 3.0, 3.0], 2, (2, 0)),  # all tied
    ([-1e300, 5.0, 1e300], 2, (2, 1)),
]

#: (K, eps): label smoothing cases for optimal_logit_gap.
GAP_CASES = [(2, 0.1), (3, 0.1), (3, 0.5), (10, 0.1), (10, 0.01), (32, 0.2), (3, 0.999)]

#: (kwargs for loss_grid and descent_field, message pattern)
BAD_GRID_ARGS: list[tuple[dict[str, object], str]] = [
    ({"axes": (1, 1)}, r"axes must be two different classes in 0\.\.2, got \(1, 1\)"),
    ({"axes": (0, 3)}, r"axes must be two different classes in 0\.\.2, got \(0, 3\)"),
    ({"axes": (-1, 0)}, r"axes must be two different classes in 0\.\.2, got \(-1, 0\)"),
    ({"axes": (0, None)}, r"axes must be two class indices, got \(0, None\)"),
    ({"axes": 5}, r"axes must be two class indices, got 5"),
    ({"axes": (0, 1, 2)}, r"axes must be two class indices, got \(0, 1, 2\)"),
    ({"a_values": []}, r"a_values must be a non-empty 1-D array of finite numbers"),
    ({"a_values": [0.0, math.nan]}, r"a_values must be a non-empty 1-D array of finite"),
    ({"b_values": [math.inf]}, r"b_values must be a non-empty 1-D array of finite numbers"),
    ({"b_values": [[0.0, 1.0]]}, r"b_values must be a non-empty 1-D array of finite numbers"),
    ({"a_values": 1.0}, r"a_values must be a non-empty 1-D array of finite numbers"),
    ({"logits": [[2.0, 3.0, 4.0]]}, r"one sample of logits, got shape \(1, 3\)"),
    ({"logits": [2.0, math.nan, 4.0]}, r"logits must be finite, got nan at index 1"),
    ({"y": [0.5, 0.5]}, r"target y of shape \(2,\) does not match logits of shape \(3,\)"),
    ({"y": [0.2, 0.3, 0.4]}, r"target y must sum to 1"),
    ({"T": 0.0}, r"temperature T must be a finite number > 0, got 0\.0"),
    ({"T": math.nan}, r"temperature T must be a finite number > 0, got nan"),
]

BAD_GRID_AXES_TYPES = [
    pytest.param({"axes": (0, 1.5)}, r"axes must be two class indices"),
    pytest.param({"axes": ("0", "1")}, r"axes must be two class indices"),
    pytest.param({"axes": (True, 0)}, r"axes must be two class indices"),
]

#: (kwargs for descend, message pattern)
BAD_DESCEND_ARGS: list[tuple[dict[str, object], str]] = [
    ({"lr": 0.0}, r"learning rate must be a finite number > 0, got 0\.0"),
    ({"lr": -0.5}, r"learning rate must be a finite number > 0, got -0\.5"),
    ({"lr": math.nan}, r"learning rate must be a finite number > 0, got nan"),
    ({"lr": math.inf}, r"learning rate must be a finite number > 0, got inf"),
    ({"lr": None}, r"learning rate must be a number, got None"),
    ({"steps": -1}, r"steps must be a whole number >= 0, got -1"),
    ({"steps": True}, r"steps must be a whole number >= 0, got True"),
    ({"steps": 2.0}, r"steps must be a whole number >= 0, got 2\.0"),
    ({"steps": "3"}, r"steps must be a whole number >= 0, got '3'"),
    ({"free": [True, False]}, r"free must have one entry per class, got shape \(2,\)"),
    ({"free": [[True, False, True]]}, r"free must have one entry per class, got shape \(1, 3\)"),
    ({"logits": [[2.0, 3.0, 4.0]]}, r"one sample of logits, got shape \(1, 3\)"),
    ({"logits": [2.0, math.inf, 4.0]}, r"logits must be finite, got inf at index 1"),
    ({"y": [0.0, 1.0]}, r"target y of shape \(2,\) does not match logits of shape \(3,\)"),
    ({"T": -1.0}, r"temperature T must be a finite number > 0, got -1\.0"),
]

#: (axis for loss_slice on 3 classes, message pattern)
BAD_SLICE_AXES: list[object] = [
    (3, r"axis must be a class in 0\.\.2, got 3"),
    (-1, r"axis must be a class in 0\.\.2, got -1"),
    pytest.param(
        1.5,
        r"axis must be a class",
    ),
    pytest.param(
        "x",
        r"axis must be a class",
    ),
    pytest.param(
        None,
        r"axis must be a class",
    ),
]

#: (K, eps, message pattern) for optimal_logit_gap
BAD_GAP_ARGS: list[object] = [
    (1, 0.1, r"number of classes K must be at least 2, got 1"),
    (0, 0.1, r"number of classes K must be at least 2, got 0"),
    (3, -0.1, r"smoothing eps must be in \[0, 1\), got -0\.1"),
    (3, 1.0, r"smoothing eps must be in \[0, 1\), got 1\.0"),
    (3, 1.5, r"smoothing eps must be in \[0, 1\), got 1\.5"),
    (3, math.nan, r"smoothing eps must be in \[0, 1\), got nan"),
    pytest.param(
        2.5,
        0.1,
        r"K must be an integer",
    ),
    pytest.param(
        3,
        "0.1",
        r"smoothing eps must be a number",
    ),
]

# --------------------------------------------------------------------------------------
# Hypothesis strategies
# --------------------------------------------------------------------------------------

RANDOM = settings(max_examples=150, deadline=None)
MODERATE_LOGIT = st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False)
MODERATE_T = st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0]) | st.floats(0.25, 4.0)
GRID_VALUES = st.lists(MODERATE_LOGIT, min_size=1, max_size=6)


@st.composite
def planes(draw: st.DrawFn):
    """(logits, y, axes, a, b, T) with K in 2..12 or 32 and a target of the kinds above.

    The target is one-hot on a plotted class, soft on the plotted pair, or soft on every
    class with at least eps/K = 0.1/K on each (so its loss is at least H(y) > 0.19).
    """
    K = draw(st.integers(2, 12) | st.just(32))
    o = np.array(draw(st.lists(MODERATE_LOGIT, min_size=K, max_size=K)))
    i, j = draw(st.lists(st.integers(0, K - 1), min_size=2, max_size=2, unique=True))
    kind = draw(st.sampled_from(["one-hot", "pair", "spread"]))
    if kind == "one-hot":
        y = np.eye(K)[draw(st.sampled_from([i, j]))]
    elif kind == "pair":
        w = draw(st.integers(0, 1000)) / 1000
        y = np.zeros(K)
        y[i], y[j] = w, 1.0 - w
    else:
        weights = np.array(draw(st.lists(st.integers(0, 1000), min_size=K, max_size=K)))
        base = weights / weights.sum() if weights.any() else np.eye(K)[0]
        y = 0.9 * base + 0.1 / K
    a, b = np.array(draw(GRID_VALUES)), np.array(draw(GRID_VALUES))
    return o, y, (i, j), a, b, draw(MODERATE_T)


@st.composite
def descent_problems(draw: st.DrawFn):
    """(logits, y, T): K in 2..8, moderate logits, a one-hot or a smoothed soft target."""
    K = draw(st.integers(2, 8))
    o = np.array(draw(st.lists(st.floats(-20.0, 20.0), min_size=K, max_size=K)))
    if draw(st.booleans()):
        y = np.eye(K)[draw(st.integers(0, K - 1))]
    else:
        weights = np.array(draw(st.lists(st.integers(1, 100), min_size=K, max_size=K)))
        y = weights / weights.sum()
    return o, y, draw(MODERATE_T)


# --------------------------------------------------------------------------------------
# The independent reference: the full grid of logit vectors, one point at a time
# --------------------------------------------------------------------------------------


def full_logits(o: np.ndarray, axes: tuple[int, int], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The (n_a, n_b, K) array whose [r, s] row is o with o[i] = a[r] and o[j] = b[s]."""
    i, j = axes
    out = np.empty((len(a), len(b), len(o)))
    for r, a_r in enumerate(a):
        for s, b_s in enumerate(b):
            row = np.array(o, dtype=np.float64)
            row[i], row[j] = a_r, b_s
            out[r, s] = row
    return out


def assert_rel(
    got: np.ndarray, ref: np.ndarray, *, rtol: float = REL_TOL, atol: object = TINY_ABS, what: str
) -> None:
    """|got - ref| <= rtol |ref| + atol everywhere, both finite; names the worst point."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, expected {ref.shape}"
    assert np.all(np.isfinite(got)), f"{what}: non-finite values {got[~np.isfinite(got)]}"
    excess = np.abs(got - ref) - (rtol * np.abs(ref) + atol)
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    assert excess[worst] <= 0, (
        f"{what}[{worst}]: got {got[worst]!r}, reference {ref[worst]!r}, relative error "
        f"{abs(got[worst] - ref[worst]) / max(abs(ref[worst]), 1e-300):.3g}"
    )


def grid_case(K: int, axes: tuple[int, int], name: str, scale: float = 4.0):
    """(logits, y, a, b) for a case of GRID_CASES: the 5 x 7 grid around the logits."""
    o = base_logits(K, scale)
    i, j = axes
    a = o[i] + np.array(A_OFFSETS)
    b = o[j] + np.array(B_OFFSETS)
    return o, targets(K, axes)[name], a, b


def no_warnings(compute: Callable[[], object]) -> object:
    """Run ``compute`` with every warning an error and NumPy's float errors set to warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            return compute()


def _case_id(case: object) -> str:
    return repr(case)[:60]


# --------------------------------------------------------------------------------------
# loss_grid against the core, point by point
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("K", "axes", "name", "T"), GRID_CASES, ids=_case_id)
def test_loss_grid_matches_the_core(K: int, axes: tuple[int, int], name: str, T: float) -> None:
    """loss_grid equals cross_entropy on the full (5, 7, K) array to 1e-12 relative."""
    o, y, a, b = grid_case(K, axes, name)
    ref = cross_entropy(full_logits(o, axes, a, b), y, T)
    assert_rel(loss_grid(o, y, axes, a, b, T), ref, what=f"loss K={K} {name}")


@pytest.mark.parametrize(("K", "axes", "name"), EXTREME_CASES, ids=_case_id)
def test_loss_grid_extreme_values(K: int, axes: tuple[int, int], name: str) -> None:
    """Logits and grid in [-200, 200] at T = 0.01 (exp(o/T) overflows): no warning, no NaN,
    and 1e-12 relative agreement with the core."""
    o = base_logits(K, scale=200.0)
    y = targets(K, axes)[name]
    a = b = np.array(EXTREME_GRID)
    got = no_warnings(lambda: loss_grid(o, y, axes, a, b, 0.01))
    ref = cross_entropy(full_logits(o, axes, a, b), y, 0.01)
    assert np.max(ref) > 1e4  # the grid really reaches losses of order (o_max - o_i) / T
    assert_rel(got, ref, what=f"loss K={K} {name}")


@RANDOM
@given(planes())
def test_loss_grid_matches_the_core_random(problem) -> None:
    """For random logits, grids, axes, T and targets, loss_grid equals the core to 1e-12."""
    o, y, axes, a, b, T = problem
    ref = cross_entropy(full_logits(o, axes, a, b), y, T)
    assert_rel(loss_grid(o, y, axes, a, b, T), ref, what="loss")


#: (logits, y, T, grid point (a, b)): a one-hot target on a fixed class that wins by ~10/T,
#: so the loss is ~4.5e-5, a small but ordinary number.
FIXED_CLASS_CASES = [
    ([0.0, 0.0, 200.0, 199.9], [0.0, 0.0, 1.0, 0.0], 0.01, (-200.0, -200.0)),
    ([0.0, 0.0, 50.0, 40.0], [0.0, 0.0, 1.0, 0.0], 1.0, (-50.0, -50.0)),
]


@pytest.mark.parametrize(("o", "y", "T", "point"), FIXED_CLASS_CASES, ids=_case_id)
def test_loss_grid_is_relatively_accurate_with_the_target_on_a_fixed_class(
    o: list[float], y: list[float], T: float, point: tuple[float, float]
) -> None:
    """A one-hot target on a fixed (not plotted) class: still 1e-12 relative to the core."""
    a, b = [point[0]], [point[1]]
    ref = cross_entropy(full_logits(np.array(o), (0, 1), a, b), y, T)
    assert 1e-5 < ref[0, 0] < 1e-4  # log1p(e^-10) = 4.54e-5: far from "~0"
    assert_rel(loss_grid(o, y, (0, 1), a, b, T), ref, what="loss")


def test_loss_grid_beyond_the_float_range_like_the_core() -> None:
    """Logits (1e300, -1e300) at T = 1e-10: the core gives inf (L = 2e310); so must the grid."""
    assert cross_entropy([1e300, -1e300], [0.0, 1.0], 1e-10) == math.inf
    got = no_warnings(lambda: loss_grid([0.0, 0.0], [0.0, 1.0], (0, 1), [1e300], [-1e300], 1e-10))
    assert got[0, 0] == math.inf


#: K = 2, target 0, a = 193.834, b = 193.839, T = 0.01: the gap (b - a)/T = 0.5 is formed
#: exactly by the core (b - a is exact by Sterbenz, then one rounding), so its loss
#: 0.974077 and gradient are good to ~1e-16 (3e-17 against mpmath here).
CLOSE_O, CLOSE_Y, CLOSE_T = [193.834, 193.839], [1.0, 0.0], 0.01


def test_close_logits_at_small_T_keep_the_loss_accurate() -> None:
    """Two close logits near 194 at T = 0.01: loss_grid within 1e-12 of the core (2e-12)."""
    ref = cross_entropy(CLOSE_O, CLOSE_Y, CLOSE_T)
    gap = (193.839 - 193.834) / CLOSE_T
    assert math.isclose(ref, gap + math.log1p(math.exp(-gap)), rel_tol=1e-15)
    got = loss_grid(CLOSE_O, CLOSE_Y, (0, 1), [CLOSE_O[0]], [CLOSE_O[1]], CLOSE_T)
    assert_rel(got, np.array([[ref]]), what="loss")


def test_close_logits_at_small_T_keep_the_field_accurate() -> None:
    """Two close logits near 194 at T = 0.01: descent_field within 1e-12 of the core (1.2e-12)."""
    du, dv = descent_field(CLOSE_O, CLOSE_Y, (0, 1), [CLOSE_O[0]], [CLOSE_O[1]], CLOSE_T)
    g = grad_logits(CLOSE_O, CLOSE_Y, CLOSE_T)
    assert_rel(du, np.array([[-g[0]]]), what="-dL/da")
    assert_rel(dv, np.array([[-g[1]]]), what="-dL/db")


def test_grid_index_semantics() -> None:
    """Element [r, s] has o[axes[0]] = a_values[r] and o[axes[1]] = b_values[s] (5 x 7)."""
    o = np.array([0.5, -1.0, 2.0, 0.25])
    y = np.array([0.1, 0.2, 0.3, 0.4])
    a = np.array([-2.0, -1.0, 0.0, 1.0, 3.0])
    b = np.array([-3.0, -1.5, 0.0, 0.5, 1.0, 2.0, 4.0])
    grid = loss_grid(o, y, (3, 1), a, b, 0.5)
    assert grid.shape == (5, 7)
    for r in range(5):
        for s in range(7):
            point = o.copy()
            point[3], point[1] = a[r], b[s]
            expected = cross_entropy(point, y, 0.5)
            assert math.isclose(grid[r, s], expected, rel_tol=REL_TOL), (r, s)
    # Swapping the axes and the value lists transposes the grid.
    swapped = loss_grid(o, y, (1, 3), b, a, 0.5)
    assert swapped.shape == (7, 5)
    np.testing.assert_allclose(swapped, grid.T, rtol=1e-14)


def test_loss_grid_does_not_change_its_inputs() -> None:
    """The logits, target and value arrays passed in are left as they were."""
    o, y = np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5])
    a, b = np.array([0.0, 1.0]), np.array([2.0, 3.0, 4.0])
    loss_grid(o, y, (0, 2), a, b)
    descent_field(o, y, (0, 2), a, b)
    np.testing.assert_array_equal(o, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(y, [0.2, 0.3, 0.5])
    np.testing.assert_array_equal(a, [0.0, 1.0])
    np.testing.assert_array_equal(b, [2.0, 3.0, 4.0])


# --------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("T", [0.25, 1.0, 3.0])
def test_two_class_loss_is_softplus_of_the_gap(T: float) -> None:
    """For K = 2 and target 0, L(a, b) = log(1 + exp((b - a)/T)), written with math."""
    a = np.array([-8.0, -1.5, 0.0, 0.3, 8.0])
    b = np.array([-8.0, -2.0, -0.1, 0.0, 1.0, 2.5, 8.0])
    grid = loss_grid([0.0, 0.0], [1.0, 0.0], (0, 1), a, b, T)
    for r, a_r in enumerate(a):
        for s, b_s in enumerate(b):
            expected = math.log1p(math.exp((b_s - a_r) / T))
            assert math.isclose(grid[r, s], expected, rel_tol=REL_TOL), (a_r, b_s)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("T", TS)
def test_equal_logits_give_log_K(K: int, T: float) -> None:
    """All logits equal, the grid at that value: L = log K, whatever the target."""
    o = np.full(K, 1.75)
    rng = np.random.default_rng(K)
    for y in (np.eye(K)[K - 1], rng.dirichlet(np.ones(K)), np.full(K, 1.0 / K)):
        for axes in ((0, 1), (K - 1, 0)):
            grid = loss_grid(o, y, axes, [-1.0, 1.75, 3.0], [1.75], T)
            assert math.isclose(grid[1, 0], math.log(K), rel_tol=1e-14), (y, axes)


# --------------------------------------------------------------------------------------
# descent_field
# --------------------------------------------------------------------------------------


def check_field_against_core(o, y, axes, a, b, T) -> None:
    """(-dL/da, -dL/db) equals minus grad_logits's two components to 1e-12.

    Relative to the component, with an absolute 1e-12 y_c / T where the target's own weight
    y_c is subtracted: p_c - y_c cancels there (and only there), as in test_core.py.
    """
    du, dv = descent_field(o, y, axes, a, b, T)
    g = grad_logits(full_logits(np.asarray(o), axes, a, b), y, T)
    for field, c, name in ((du, axes[0], "-dL/da"), (dv, axes[1], "-dL/db")):
        atol = REL_TOL * y[c] / T + TINY_ABS / T
        assert_rel(field, -g[..., c], atol=atol, what=name)


@pytest.mark.parametrize(("K", "axes", "name", "T"), GRID_CASES, ids=_case_id)
def test_descent_field_matches_the_core(K: int, axes: tuple[int, int], name: str, T) -> None:
    """descent_field is minus the core's gradient components at every grid point."""
    o, y, a, b = grid_case(K, axes, name)
    check_field_against_core(o, y, axes, a, b, T)


@RANDOM
@given(planes())
def test_descent_field_matches_the_core_random(problem) -> None:
    """descent_field is minus grad_logits at each point, for random planes."""
    check_field_against_core(*problem)


@pytest.mark.parametrize(("K", "axes", "name"), EXTREME_CASES, ids=_case_id)
def test_descent_field_extreme_values(K: int, axes: tuple[int, int], name: str) -> None:
    """Logits and grid in [-200, 200] at T = 0.01: no warning, and the core's gradient."""
    o = base_logits(K, scale=200.0)
    y = targets(K, axes)[name]
    a = b = np.array(EXTREME_GRID)
    no_warnings(lambda: descent_field(o, y, axes, a, b, 0.01))
    check_field_against_core(o, y, axes, a, b, 0.01)


@pytest.mark.parametrize(("K", "axes", "name", "T"), GRID_CASES, ids=_case_id)
def test_descent_field_is_minus_the_slope_of_the_grid(
    K: int, axes: tuple[int, int], name: str, T: float
) -> None:
    """descent_field equals minus the central differences of loss_grid in a and in b."""
    o, y, a, b = grid_case(K, axes, name)
    du, dv = descent_field(o, y, axes, a, b, T)
    slope_a = (loss_grid(o, y, axes, a + H, b, T) - loss_grid(o, y, axes, a - H, b, T)) / (2 * H)
    slope_b = (loss_grid(o, y, axes, a, b + H, T) - loss_grid(o, y, axes, a, b - H, T)) / (2 * H)
    np.testing.assert_allclose(du, -slope_a, rtol=0, atol=FD_TOL)
    np.testing.assert_allclose(dv, -slope_b, rtol=0, atol=FD_TOL)


def test_descent_field_points_downhill_at_the_seed() -> None:
    """At the seed (2, 3, 4), target 1, plane (1, 2): raise o_1 by 1 - p_1, lower o_2 by p_2."""
    z = math.exp(2.0) + math.exp(3.0) + math.exp(4.0)
    du, dv = descent_field([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], (1, 2), [3.0], [4.0])
    assert math.isclose(du[0, 0], (math.exp(2.0) + math.exp(4.0)) / z, rel_tol=1e-14)
    assert math.isclose(dv[0, 0], -math.exp(4.0) / z, rel_tol=1e-14)


# --------------------------------------------------------------------------------------
# loss_slice
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("T", TS)
def test_loss_slice_is_a_line_of_the_grid(K: int, T: float) -> None:
    """loss_slice along class c equals loss_grid's column at the other logit's current value,
    and cross_entropy with only o[c] changed."""
    o = base_logits(K)
    y = np.random.default_rng(K).dirichlet(np.ones(K))
    for c in {0, K // 2, K - 1}:
        values = o[c] + np.linspace(-5.0, 5.0, 11)
        other = (c + 1) % K
        line = loss_slice(o, y, c, values, T)
        assert line.shape == (11,)
        column = loss_grid(o, y, (c, other), values, [o[other]], T)[:, 0]
        np.testing.assert_allclose(line, column, rtol=1e-14)
        rows = np.tile(o, (11, 1))
        rows[:, c] = values
        assert_rel(line, cross_entropy(rows, y, T), what=f"slice along {c}")


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("T", TS)
def test_loss_slice_tangent_is_p_minus_y_over_T(K: int, T: float) -> None:
    """The slope of the slice at the current logit is (p_c - y_c)/T: the derivation's tangent."""
    o = base_logits(K)
    rng = np.random.default_rng(K + 1)
    p = softmax(o, T)
    for y in (np.eye(K)[K - 1], rng.dirichlet(np.ones(K))):
        for c in range(K):
            down, up = loss_slice(o, y, c, [o[c] - H, o[c] + H], T)
            slope = (up - down) / (2 * H)
            assert abs(slope - (p[c] - y[c]) / T) <= FD_TOL, (c, slope)


# --------------------------------------------------------------------------------------
# descend
# --------------------------------------------------------------------------------------


def test_descend_starts_at_the_start_and_records_every_step() -> None:
    """path[0] is the start; path has steps + 1 rows and losses steps + 1 entries."""
    start = np.array([2.0, 3.0, 4.0])
    run = descend(start, [0.0, 1.0, 0.0], lr=0.5, steps=7, T=2.0)
    assert isinstance(run, Descent)
    assert run.path.shape == (8, 3)
    assert run.losses.shape == (8,)
    np.testing.assert_array_equal(run.path[0], start)
    np.testing.assert_array_equal(start, [2.0, 3.0, 4.0])  # the input is not moved


def test_descend_with_zero_steps() -> None:
    """steps = 0 gives the start alone, and its loss."""
    run = descend([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], lr=1.0, steps=0)
    np.testing.assert_array_equal(run.path, [[2.0, 3.0, 4.0]])
    assert run.losses.tolist() == [cross_entropy([2.0, 3.0, 4.0], [0.0, 1.0, 0.0])]


@RANDOM
@given(descent_problems(), st.floats(0.01, 3.0), st.integers(1, 20))
def test_descend_steps_are_gradient_steps(problem, lr: float, steps: int) -> None:
    """Each row is the previous one minus lr * grad_logits, to the last bit; each loss is
    cross_entropy of its row."""
    o, y, T = problem
    run = descend(o, y, lr, steps, T)
    for k in range(steps):
        expected = run.path[k] - lr * grad_logits(run.path[k], y, T)
        np.testing.assert_array_equal(run.path[k + 1], expected, err_msg=f"step {k + 1}")
    rows = np.array([cross_entropy(row, y, T) for row in run.path])
    np.testing.assert_allclose(run.losses, rows, rtol=1e-14)


@RANDOM
@given(descent_problems(), st.floats(1e-3, 1.0), st.integers(1, 30))
def test_descend_never_raises_the_loss(problem, fraction: float, steps: int) -> None:
    """With lr <= T^2 every step lowers the loss (or leaves it, within rounding).

    The Hessian of L in the logits is (diag(p) - p p^T) / T^2. For a unit vector x,
    x^T (diag(p) - p p^T) x is the variance of x under p, at most (max x - min x)^2 / 4
    <= (sqrt 2)^2 / 4 = 1/2 (Popoviciu). So L is convex with gradient Lipschitz constant
    S = 1/(2 T^2), and the descent lemma gives L(o - lr g) <= L(o) - lr (1 - S lr / 2) |g|^2,
    a decrease for any lr < 2/S = 4 T^2. lr <= T^2 is a quarter of that bound, where the
    decrease is at least (3/4) lr |g|^2. The slack below is only the loss's own rounding.
    """
    o, y, T = problem
    run = descend(o, y, fraction * T**2, steps, T)
    slack = 8 * U * np.abs(run.losses[:-1]) + TINY_ABS
    rises = run.losses[1:] - run.losses[:-1]
    assert np.all(rises <= slack), f"largest rise {rises.max()!r}"


def test_descend_freezes_the_masked_logits() -> None:
    """free=False logits keep their exact start value; free ones take gradient steps."""
    start = np.array([2.0, 3.0, 4.0, -1.0])
    y = np.array([0.0, 1.0, 0.0, 0.0])
    free = np.array([False, True, True, False])
    run = descend(start, y, lr=0.7, steps=25, T=0.5, free=free)
    np.testing.assert_array_equal(run.path[:, ~free], np.tile(start[~free], (26, 1)))
    for k in range(25):
        g = grad_logits(run.path[k], y, 0.5)
        np.testing.assert_array_equal(run.path[k + 1, free], (run.path[k] - 0.7 * g)[free])
    assert np.all(np.diff(run.path[:, 1]) > 0)  # the true class rises
    assert np.all(np.diff(run.losses) < 0)


def test_hard_target_keeps_falling_and_the_logits_diverge_slowly() -> None:
    """A one-hot target has no minimum: the loss keeps falling and the gap grows like log t.

    From logits (0, 0, 0) with target 0 at lr = 1, the two wrong logits stay equal, and with
    the gap g the step raises it by (1 - p_0) + p_1 = 3 e^-g / (1 + 2 e^-g) ~ 3 e^-g. So
    e^g ~ 3 t: doubling t from 250 to 500 adds ~log 2 to the gap.
    """
    run = descend([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], lr=1.0, steps=500)
    gap = logit_gap(run.path, 0)
    assert gap[500] > gap[250] > gap[100] > 0
    assert run.losses[500] < run.losses[250] < run.losses[100]
    assert np.all(np.diff(run.losses) < 0)
    assert abs((gap[500] - gap[250]) - math.log(2)) < 0.01
    assert abs(gap[500] - math.log(3 * 500)) < 0.05
    assert run.losses[500] > 1e-3  # still far from 0: slow, not a blow-up


def test_label_smoothing_settles_at_the_entropy() -> None:
    """With eps = 0.1 (K = 3) descent converges: L -> H(y), gap -> log(y_k / y_j) = log 28."""
    y = target_distribution(3, target=0, smoothing=0.1)
    run = descend([0.0, 0.0, 0.0], y, lr=2.0, steps=2000)
    assert abs(run.losses[-1] - entropy(y)) <= 1e-6
    # At the optimum p = y, so o_0 - o_j = log(y_0 / y_j) = log((0.9 + 0.1/3) / (0.1/3)).
    expected_gap = math.log((1 - 0.1 + 0.1 / 3) / (0.1 / 3))
    assert math.isclose(expected_gap, math.log(28.0), rel_tol=1e-14)
    assert abs(logit_gap(run.path, 0)[-1] - expected_gap) <= 1e-6
    assert abs(logit_gap(run.path, 0)[-1] - optimal_logit_gap(3, 0.1)) <= 1e-6
    np.testing.assert_allclose(softmax(run.path[-1]), y, atol=1e-9)


# --------------------------------------------------------------------------------------
# entropy, optimal_logit_gap, logit_gap, default_axes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("K", KS)
def test_entropy_of_uniform_is_log_K(K: int) -> None:
    """H(uniform over K) = log K."""
    assert math.isclose(entropy(np.full(K, 1.0 / K)), math.log(K), rel_tol=1e-14)


@pytest.mark.parametrize("K", KS)
def test_entropy_of_one_hot_is_zero(K: int) -> None:
    """H(one-hot) = +0.0 exactly: 0 log 0 counts as 0, and no -0.0 comes back."""
    h = entropy(np.eye(K)[K - 1])
    assert h == 0.0
    assert math.copysign(1.0, h) == 1.0


def test_entropy_closed_forms() -> None:
    """H(1/4, 3/4) by hand; zero weights add nothing: H(1/2, 1/2, 0) = log 2."""
    expected = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert math.isclose(entropy([0.25, 0.75]), expected, rel_tol=1e-15)
    assert math.isclose(entropy([0.5, 0.5, 0.0]), math.log(2.0), rel_tol=1e-15)
    assert entropy([0.5, 0.0, 0.5]) == entropy([0.5, 0.5])


@RANDOM
@given(st.integers(2, 12).flatmap(lambda k: st.lists(st.integers(1, 1000), min_size=k, max_size=k)))
def test_entropy_is_the_cross_entropy_at_logits_log_y(weights: list[int]) -> None:
    """cross_entropy(log y, y) = H(y) for y > 0: the loss's minimum, reached at p = y."""
    y = np.array(weights, dtype=np.float64) / sum(weights)
    assert math.isclose(cross_entropy(np.log(y), y), entropy(y), rel_tol=1e-12)


@RANDOM
@given(descent_problems())
def test_entropy_is_below_every_loss(problem) -> None:
    """cross_entropy(o, y) >= H(y) for any logits (Gibbs' inequality), up to rounding."""
    o, y, T = problem
    assert cross_entropy(o, y, T) >= entropy(y) * (1 - 1e-14)


def test_entropy_rejects_a_bad_target() -> None:
    """A negative weight or a sum other than 1 raises CEVizError."""
    with pytest.raises(CEVizError, match=r"non-negative, got -0\.5 at index 0"):
        entropy([-0.5, 1.5])
    with pytest.raises(CEVizError, match=r"must sum to 1"):
        entropy([0.5, 0.6])


@pytest.mark.parametrize(("K", "eps"), GAP_CASES)
def test_optimal_logit_gap_closed_form(K: int, eps: float) -> None:
    """The gap is log((1 - eps + eps/K) / (eps/K)), and logits with that gap give p = y."""
    gap = optimal_logit_gap(K, eps)
    assert math.isclose(gap, math.log((1 - eps + eps / K) / (eps / K)), rel_tol=1e-14)
    # Independently: softmax of (gap, 0, ..., 0) is the smoothed target, the gradient is 0.
    o = np.zeros(K)
    o[0] = gap
    y = target_distribution(K, target=0, smoothing=eps)
    np.testing.assert_allclose(softmax(o), y, rtol=1e-13)
    np.testing.assert_allclose(grad_logits(o, y), 0.0, atol=1e-15)


def test_optimal_logit_gap_without_smoothing_is_infinite() -> None:
    """eps = 0: no minimum, the gap is +inf."""
    assert optimal_logit_gap(3, 0.0) == math.inf
    assert optimal_logit_gap(2, 0) == math.inf


@pytest.mark.parametrize(("K", "eps", "pattern"), BAD_GAP_ARGS, ids=_case_id)
def test_optimal_logit_gap_rejects_bad_input(K: object, eps: object, pattern: str) -> None:
    """K < 2, a non-integer K, and eps outside [0, 1) or not a number raise CEVizError."""
    with pytest.raises(CEVizError, match=pattern):
        optimal_logit_gap(K, eps)  # type: ignore[arg-type]


def test_logit_gap() -> None:
    """logit_gap is o_k - max of the other logits, row by row, and for one row."""
    path = np.array([[2.0, 3.0, 4.0], [5.0, 3.0, 1.0], [1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(logit_gap(path, 0), [-2.0, 2.0, 0.0])
    np.testing.assert_array_equal(logit_gap(path, 2), [1.0, -4.0, -1.0])
    assert float(logit_gap([0.5, -1.0], 1)) == -1.5


@pytest.mark.parametrize(("logits", "k", "expected"), DEFAULT_AXES_CASES, ids=_case_id)
def test_default_axes(logits: list[float], k: int, expected: tuple[int, int]) -> None:
    """The true class first, then the strongest wrong class (the first of a tie), as ints."""
    axes = default_axes(logits, k)
    assert axes == expected
    assert all(type(v) is int for v in axes)
    loss_grid(logits, np.eye(len(logits))[k], axes, [0.0], [0.0])  # a valid plane


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------

GRID_DEFAULTS: dict[str, object] = {
    "logits": [2.0, 3.0, 4.0],
    "y": [0.0, 1.0, 0.0],
    "axes": (1, 2),
    "a_values": [0.0, 1.0],
    "b_values": [0.0, 1.0],
    "T": 1.0,
}
DESCEND_DEFAULTS: dict[str, object] = {
    "logits": [2.0, 3.0, 4.0],
    "y": [0.0, 1.0, 0.0],
    "lr": 1.0,
    "steps": 3,
    "T": 1.0,
    "free": None,
}


@pytest.mark.parametrize("f", [loss_grid, descent_field], ids=lambda f: f.__name__)
@pytest.mark.parametrize(("kwargs", "pattern"), BAD_GRID_ARGS + BAD_GRID_AXES_TYPES, ids=_case_id)
def test_grid_functions_reject_bad_input(
    f: Callable[..., object], kwargs: dict[str, object], pattern: str
) -> None:
    """Equal, out-of-range or non-integer axes, empty/NaN/2-D grids, 2-D logits, bad y or T
    raise CEVizError with a message naming the problem."""
    with pytest.raises(CEVizError, match=pattern):
        f(**{**GRID_DEFAULTS, **kwargs})


@pytest.mark.parametrize(("kwargs", "pattern"), BAD_DESCEND_ARGS, ids=_case_id)
def test_descend_rejects_bad_input(kwargs: dict[str, object], pattern: str) -> None:
    """lr <= 0 or NaN, negative, bool or non-integer steps, a wrongly shaped free mask,
    2-D logits, bad y or T raise CEVizError."""
    with pytest.raises(CEVizError, match=pattern):
        descend(**{**DESCEND_DEFAULTS, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize(("axis", "pattern"), BAD_SLICE_AXES, ids=_case_id)
def test_loss_slice_rejects_bad_axis(axis: object, pattern: str) -> None:
    """An axis outside 0..K-1 or not an integer raises CEVizError."""
    with pytest.raises(CEVizError, match=pattern):
        loss_slice([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], axis, [0.0, 1.0])  # type: ignore[arg-type]


def test_loss_slice_rejects_bad_values() -> None:
    """Empty or NaN slice values raise CEVizError."""
    with pytest.raises(CEVizError, match=r"a_values must be a non-empty 1-D array"):
        loss_slice([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 0, [])
    with pytest.raises(CEVizError, match=r"a_values must be a non-empty 1-D array"):
        loss_slice([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 0, [math.nan])


def test_loss_slice_rejects_2d_logits() -> None:
    """2-D logits raise CEVizError, as in loss_grid."""
    with pytest.raises(CEVizError, match=r"one sample of logits, got shape \(1, 3\)"):
        loss_slice([[2.0, 3.0, 4.0]], [0.0, 1.0, 0.0], 0, [0.0])


# --------------------------------------------------------------------------------------
# Relative: moves from the current logits, exact at any scale
# --------------------------------------------------------------------------------------

#: An absolute tolerance for a change of the loss near moderate logits: the change is a
#: difference of numbers up to ~|offset|/T + |log p| ~ 100, each good to a few ulps.
CHANGE_ATOL = 1e-12

#: Logits far beyond what o + d can hold (float spacing ~1e284 at 1e300, 0.125 at 1e15),
#: with the plane, the target and T.
HUGE_CASES = [
    ([1e300, -1e300, 0.0], (1, 0), [0.0, 1.0, 0.0], 1.0),
    ([1e300, -1e300, 0.0], (0, 2), [0.0, 0.0, 1.0], 0.01),
    ([1e300, 1e300, 1e300], (0, 1), [0.5, 0.5, 0.0], 1.0),
    ([1e15, 0.0, -1e15], (1, 0), [0.0, 1.0, 0.0], 100.0),
    ([1e300 - 2e285, 1e300, -1e300, 5.0], (0, 1), [0.25, 0.25, 0.25, 0.25], 1e285),
    ([-1e300, 0.0], (0, 1), [0.99, 0.01], 0.01),
]
MOVES = np.array([-50.0, -6.0, -0.5, 0.0, 0.25, 3.0, 50.0])


def mp_loss(o: list[float], y: list[float], T: float, d: dict[int, float]) -> mpmath.mpf:
    """L(o + d) with mpmath at 400 digits: enough to hold 1e300 + 0.25 exactly."""
    with mpmath.workdps(400):
        z = [(mpmath.mpf(v) + mpmath.mpf(d.get(c, 0.0))) / mpmath.mpf(T) for c, v in enumerate(o)]
        top = max(z)
        lse = top + mpmath.log(mpmath.fsum(mpmath.exp(zi - top) for zi in z))
        return mpmath.fsum(-mpmath.mpf(w) * (zi - lse) for w, zi in zip(y, z, strict=True) if w)


@pytest.mark.parametrize(("o", "axes", "y", "T"), HUGE_CASES, ids=_case_id)
def test_loss_change_grid_is_exact_at_any_scale(o, axes, y, T) -> None:
    """L(o + d) - L(o) agrees with mpmath at 400 digits, where o + d is not even a float."""
    got = no_warnings(lambda: loss_change_grid(o, y, axes, MOVES, MOVES[::-1], T))
    i, j = axes
    for r, da in enumerate(MOVES):
        for s_, db in enumerate(MOVES[::-1]):
            with mpmath.workdps(400):
                exact = mp_loss(o, y, T, {i: da, j: db}) - mp_loss(o, y, T, {})
            scale = 1.0 + (abs(da) + abs(db)) / T
            assert abs(got[r, s_] - float(exact)) <= 1e-14 * scale, (da, db, got[r, s_], exact)


@pytest.mark.parametrize(("K", "axes", "name", "T"), GRID_CASES, ids=_case_id)
def test_loss_change_grid_is_loss_grid_minus_the_loss(K: int, axes, name: str, T: float) -> None:
    """At moderate logits the change equals loss_grid at o + d less the current loss."""
    o, y, a, b = grid_case(K, axes, name)
    i, j = axes
    got = loss_change_grid(o, y, axes, a - o[i], b - o[j], T)
    expected = loss_grid(o, y, axes, a, b, T) - cross_entropy(o, y, T)
    np.testing.assert_allclose(got, expected, rtol=0, atol=CHANGE_ATOL)


@RANDOM
@given(planes())
def test_loss_change_grid_matches_the_core_random(problem) -> None:
    """Random planes: the change equals cross_entropy at each moved point less at o."""
    o, y, axes, a, b, T = problem
    moved = full_logits(o, axes, o[axes[0]] + a, o[axes[1]] + b)
    expected = cross_entropy(moved, y, T) - cross_entropy(o, y, T)
    got = loss_change_grid(o, y, axes, a, b, T)
    scale = 1.0 + np.abs(expected) + (np.abs(a)[:, None] + np.abs(b)[None, :]) / T
    assert np.all(np.abs(got - expected) <= 1e-13 * scale)


def test_loss_change_is_shift_invariant() -> None:
    """Logits 1e300 apart from 0 by a constant give the landscape of the logits near 0."""
    d = np.linspace(-6.0, 6.0, 13)
    for T in (0.01, 1.0, 100.0):
        far = loss_change_grid([1e300] * 3, [0.0, 1.0, 0.0], (1, 0), d, d, T)
        near = loss_change_grid([0.0] * 3, [0.0, 1.0, 0.0], (1, 0), d, d, T)
        np.testing.assert_array_equal(far, near)
        assert far[6, 6] == 0.0
        assert np.ptp(far) > 0.1  # a landscape, not a flat sheet, even at T = 100


def test_loss_change_slice_is_a_line_of_the_grid() -> None:
    """The slice is the grid's column at no move of the other logit, and 0 at no move."""
    o, y = [1e15, 0.0, -1e15], [0.2, 0.5, 0.3]
    got = loss_change_slice(o, y, 1, MOVES, T=0.5)
    np.testing.assert_array_equal(got, loss_change_grid(o, y, (1, 2), MOVES, [0.0], 0.5)[:, 0])
    assert got[list(MOVES).index(0.0)] == 0.0
    with pytest.raises(CEVizError, match=r"axis must be a class in 0\.\.2, got 3"):
        loss_change_slice(o, y, 3, MOVES)


@pytest.mark.parametrize(("K", "axes", "name", "T"), GRID_CASES[::4], ids=_case_id)
def test_relative_descent_field_is_the_field_at_the_moved_logits(
    K: int, axes, name: str, T: float
) -> None:
    """descent_field(relative=True) at moves d is descent_field at o + d."""
    o, y, a, b = grid_case(K, axes, name)
    i, j = axes
    u, v = descent_field(o, y, axes, a - o[i], b - o[j], T, relative=True)
    u_ref, v_ref = descent_field(o, y, axes, a, b, T)
    np.testing.assert_allclose(u, u_ref, rtol=0, atol=1e-13 / T)
    np.testing.assert_allclose(v, v_ref, rtol=0, atol=1e-13 / T)


@pytest.mark.parametrize(("o", "axes", "y", "T"), HUGE_CASES, ids=_case_id)
def test_relative_descent_field_at_huge_logits_is_minus_the_gradient(o, axes, y, T) -> None:
    """At no move the relative field is -(p - y)/T from the core, with no warning, and it is
    finite everywhere on the grid."""
    u, v = no_warnings(lambda: descent_field(o, y, axes, MOVES, MOVES, T, relative=True))
    g = grad_logits(o, y, T)
    zero = list(MOVES).index(0.0)
    assert u[zero, zero] == pytest.approx(-g[axes[0]], abs=1e-15 / T)
    assert v[zero, zero] == pytest.approx(-g[axes[1]], abs=1e-15 / T)
    assert np.all(np.isfinite(u))
    assert np.all(np.isfinite(v))


@RANDOM
@given(descent_problems(), st.floats(0.01, 3.0), st.integers(0, 20))
def test_relative_descent_is_descent_less_its_start(problem, lr: float, steps: int) -> None:
    """At moderate logits the relative run is descend's path and losses less their start,
    up to rounding, which a step too long for the curvature amplifies. The Hessian's
    eigenvalues lie in [0, 1/(2 T^2)], so a step multiplies a difference by at most
    max(1, lr/(2 T^2) - 1): by no more than 1 while lr <= 4 T^2 (at (0, 0, 0), y uniform,
    T = 0.25 and lr = 2, rounding of 1e-16 grows to 5e-12 in 5 steps)."""
    o, y, T = problem
    run = descend(o, y, lr, steps, T)
    rel = descend_relative(o, y, lr, steps, T)
    assert rel.relative
    assert not run.relative
    growth = max(1.0, lr / (2 * T**2) - 1.0) ** steps
    scale = (1.0 + np.abs(run.path - o).max()) * growth
    np.testing.assert_allclose(rel.path, run.path - o, rtol=0, atol=1e-12 * scale / T)
    change = run.losses - run.losses[0]
    np.testing.assert_allclose(rel.losses, change, rtol=0, atol=1e-11 * scale / T)
    assert rel.path[0].tolist() == [0.0] * len(o)
    assert rel.losses[0] == 0.0


@pytest.mark.parametrize("T", [0.01, 1.0, 100.0])
def test_relative_descent_moves_where_float_logits_cannot(T: float) -> None:
    """From (1e300, -1e300, 0) with target 1, p = (1, 0, 0) stays put, the gradient is
    (1, -1, 0)/T at every step, and descend's logits cannot move at all; the relative run
    moves lr/T per step and the loss falls by exactly 2 lr/T^2 per step."""
    o, y = [1e300, -1e300, 0.0], [0.0, 1.0, 0.0]
    frozen = descend(o, y, lr=0.5, steps=10, T=T)
    assert np.all(frozen.path == o)  # the float64 logits cannot hold the steps
    run = no_warnings(lambda: descend_relative(o, y, lr=0.5, steps=10, T=T))
    t = np.arange(11)
    np.testing.assert_allclose(run.path[:, 0], -0.5 * t / T, rtol=1e-15)
    np.testing.assert_allclose(run.path[:, 1], 0.5 * t / T, rtol=1e-15)
    assert np.all(run.path[:, 2] == 0.0)
    np.testing.assert_allclose(run.losses, -t / T**2, rtol=1e-14)


def test_relative_descent_keeps_the_frozen_logits_and_checks_its_input() -> None:
    """free=False logits never move; bad input gets descend's messages."""
    free = np.array([True, False, True])
    run = descend_relative([1e15, 0.0, -1e15], [0.0, 0.0, 1.0], 2.0, 30, 0.5, free)
    assert np.all(run.path[:, 1] == 0.0)
    assert np.all(np.diff(run.losses) < 0)
    for kwargs, pattern in BAD_DESCEND_ARGS:
        with pytest.raises(CEVizError, match=pattern):
            descend_relative(**{**DESCEND_DEFAULTS, **kwargs})  # type: ignore[arg-type]


def test_logit_gap_change() -> None:
    """The change of o_k - max o_j is exact at huge logits and equals logit_gap's at small."""
    o = [1e300, -1e300, 0.0]
    moves = [[0.0, 0.0, 0.0], [-0.5, 0.5, 0.0], [-2e300, 0.0, 3.0]]
    np.testing.assert_array_equal(logit_gap_change(o, moves, 1), [0.0, 1.0, 1e300])
    rng = np.random.default_rng(7)
    small = rng.uniform(-5.0, 5.0, 4)
    d = rng.uniform(-3.0, 3.0, (20, 4))
    expected = logit_gap(small + d, 2) - logit_gap(small[None, :], 2)
    np.testing.assert_allclose(logit_gap_change(small, d, 2), expected, atol=1e-14)


# --------------------------------------------------------------------------------------
# The cost does not grow with K
# --------------------------------------------------------------------------------------

N_BIG = 401


def traced_peak(compute: Callable[[], object]) -> int:
    """The peak of traced allocations (NumPy reports its buffers to tracemalloc) in bytes."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        compute()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("f", "arrays"), [(loss_grid, 10), (descent_field, 12)], ids=["loss_grid", "descent_field"]
)
def test_grid_never_allocates_an_n_by_n_by_K_array(f: Callable[..., object], arrays: int) -> None:
    """At K = 2000 on a 401 x 401 grid the peak memory is a dozen (n, n) float arrays, not
    the 2.6 GB of one (n, n, K) array, and it is the same as at K = 3."""
    grid = np.linspace(-10.0, 10.0, N_BIG)
    plane = N_BIG * N_BIG * 8

    def peak(K: int) -> int:
        o = np.linspace(-3.0, 3.0, K)
        y = np.full(K, 1.0 / K)
        return traced_peak(lambda: f(o, y, (0, K - 1), grid, grid, 1.0))

    small, big = peak(3), peak(2000)
    assert big < arrays * plane, f"peak {big / plane:.1f} (n, n) arrays"
    assert big - small < 64 * 2000  # a few length-K vectors at most
    assert big < 1e-2 * plane * 2000  # far below one (n, n, K) array
