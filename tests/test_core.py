"""Tests for the NumPy core, ce_viz.core.

Accuracy is judged against an independent reference written with mpmath at 50 significant
digits and computed from the exact float inputs (every float is exactly an mpf). Properties
are drawn with Hypothesis; extreme inputs must give no NaN and let no warning escape.

Notation: ``d_i = (o_i - max o) / T`` (all <= 0), ``p = softmax(o / T)``, ``q_i = 1 - p_i``
and ``u = 2**-53``, the unit roundoff.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Sequence

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce_viz._reduce import FEW_ROWS, class_argmax
from ce_viz.core import (
    SUM_TOLERANCE,
    CEVizError,
    complement_probabilities,
    cross_entropy,
    descent_path,
    forward,
    grad_logits,
    log_softmax,
    loss_and_grad,
    loss_and_grad_for,
    numerical_grad,
    relative_error,
    softmax,
    softmax_jacobian,
    target_distribution,
    top_class,
)
from ce_viz.theory import mse_loss_and_grad_for

# --------------------------------------------------------------------------------------
# Constants and tables
# --------------------------------------------------------------------------------------

U = 2.0**-53
FLOAT_MAX = sys.float_info.max
FLOAT_TINY = sys.float_info.min  # the smallest normal float
INF = math.inf
NAN = math.nan
DPS = 50
REL_TOL = 1e-12
#: Below the smallest normal float the format itself has no relative precision, so every
#: relative bound is measured against at least FLOAT_TINY (an absolute floor of 2.2e-320).
TINY_ABS = REL_TOL * FLOAT_TINY


def grad_floor(T: float) -> float:
    """The absolute floor for dL/do and J: TINY_ABS for the result's own rounding, scaled up
    by 1/T when T < 1 because p (whose floor is TINY_ABS) is divided by T."""
    return TINY_ABS * max(1.0, 1.0 / T)


#: Finite-difference step: its O(h^2) truncation and O(u/h) rounding are both ~1e-10.
H = 1e-5

#: (logits, T): hand-picked hard cases for the accuracy tests, all logits in [-50, 50].
HARD_CASES: list[tuple[tuple[float, ...], float]] = [
    ((50.0, 0.0, 0.0), 1.0),  # p_0 rounds to 1; 1 - p_0 = 3.9e-22 must survive
    ((50.0, -50.0), 1.0),  # p_1 = e^-100
    ((-50.0, 50.0), 1.0),  # the same with the arg-max second
    ((-50.0, 50.0, 49.999), 1.0),  # a near-tie at the top
    ((0.0, 0.0), 1.0),  # an exact tie
    ((3.0, 3.0, 3.0, 3.0), 1.0),  # all tied
    ((50.0, 50.0, -50.0), 1.0),  # a tie at the top, one class far below
    ((2.0, 3.0, 4.0), 1.0),  # the seed example
    ((2.0, 3.0, 4.0), 0.25),  # sharper
    ((2.0, 3.0, 4.0), 4.0),  # flatter
    ((50.0, -50.0), 0.25),  # d_1 = -400, p_1 = e^-400
    ((-50.0, 50.0, 49.999), 0.25),
    ((50.0, 0.0, 0.0), 4.0),
    ((1e-9, 0.0, -1e-9), 1.0),  # nearly uniform
    ((*([-50.0] * 11), 50.0), 0.25),  # K = 12, one dominant class
    ((0.1, 0.2, 0.3), 0.3),  # T not a power of two: the division by T rounds
    ((-49.9, 50.0), 0.3),  # o - m and (o - m)/T both round; d_0 = -333
    ((-7.5, 12.25, 3.0, 3.0, -50.0), 3.0),
]

#: (logits, T): extreme but finite inputs, some of them beyond the float range in d or L.
EXTREME_CASES: list[tuple[tuple[float, ...], float]] = [
    ((1e300, -1e300), 1.0),
    ((1e300, 0.0, -1e300), 1e-10),  # (m - o)/T = 1e310: beyond the float range
    ((-1e300, 1e300, 1e300), 1e-300),  # a tie at a huge value, a tiny T
    ((1e300, -1e300), 1e300),  # a huge T brings d back to -2
    ((1e300, 1e300, 1e300), 1e-300),  # all tied
    ((1e-300, -1e-300), 1e-300),  # tiny logits, tiny T: d = -2
    ((5e-324, 0.0), 5e-324),  # a subnormal logit and T: d = -1 exactly
    ((1000.0, 0.0, -1000.0), 1.0),
    ((0.0, 2000.0), 1.0),
    ((1.5e308, -1.5e308), 4.0),  # o - m overflows, yet (o - m)/T = -7.5e307 does not
    ((FLOAT_MAX, -FLOAT_MAX), 1.0),
    ((FLOAT_MAX, -FLOAT_MAX), 2.0),  # L = FLOAT_MAX exactly for target 1
    ((FLOAT_MAX, -FLOAT_MAX, 0.0), 3.0),
    ((-FLOAT_MAX, 1.0, 2.0), 1e-300),
]

#: (logits, y, T, expected loss, why): a zero target weight must contribute 0, never
#: 0 * (-inf) = NaN, and a tiny weight on a huge gap must not overflow on the way.
LOSS_CASES: list[tuple[tuple[float, ...], tuple[float, ...], float, float, str]] = [
    # log p_0 = -2000 - log1p(e^-2000), p_0 = e^-2000 underflows to 0 in float.
    ((0.0, 2000.0), (0.0, 1.0), 1.0, 0.0, "L = log1p(e^-2000) ~ 1e-869 rounds to 0"),
    ((0.0, 2000.0), (0.5, 0.5), 1.0, 1000.0, "L = 0.5 * 2000 + log1p(e^-2000)"),
    # log p_0 = -1e310 is below the float range: -inf, weighted by y_0 = 0.
    ((0.0, 1e300), (0.0, 1.0), 1e-10, 0.0, "L = log1p(exp(-1e310)) = 0"),
    ((1e300, -1e300), (1.0, 0.0), 1e-300, 0.0, "L = log1p(exp(-2e600)) = 0"),
    ((-1e300, 1e300), (0.25, 0.75), 1.0, 0.5 * 1e300, "L = 0.25 * (1e300 + 1e300)"),
    ((1000.0, 0.0, -1000.0), (0.0, 0.0, 1.0), 1.0, 2000.0, "L = 2000 + log1p(~e^-1000)"),
    # m - o = 2e308 overflows, but y_1 (m - o_1) = 1e-300 * 2e308 = 2e8 does not.
    ((1e308, -1e308), (1.0, 1e-300), 1.0, 2 * (1e-300 * 1e308), "L = 1e-300 * 2e308"),
    # m - o = 3e308 overflows, but (m - o)/T = 7.5e307 does not.
    ((1.5e308, -1.5e308), (0.0, 1.0), 4.0, 1.5e308 / 2, "L = (1.5e308 + 1.5e308) / 4"),
    ((FLOAT_MAX, -FLOAT_MAX), (0.0, 1.0), 2.0, FLOAT_MAX, "L = 2 * FLOAT_MAX / 2"),
]

#: (logits, y, T): cases whose true loss exceeds FLOAT_MAX, so the loss must be +inf.
OVERFLOW_LOSS_CASES: list[tuple[tuple[float, ...], tuple[float, ...], float]] = [
    ((1e300, -1e300), (0.0, 1.0), 1e-10),  # L = 2e310
    ((1e300, 0.0, -1e300), (0.0, 0.5, 0.5), 1e-10),  # L = 1.5e310
    ((FLOAT_MAX, -FLOAT_MAX), (0.0, 1.0), 1.0),  # L = 3.6e308
    ((FLOAT_MAX, -FLOAT_MAX), (0.0, 1.0), 1.99),  # L = 1.005 * FLOAT_MAX
    ((0.0, 1.0), (1.0, 0.0), 5e-324),  # L = 1 / 5e-324 = 2e323
]

#: Functions of the logits alone, each checking its logits the same way.
LOGIT_FUNCTIONS: dict[str, Callable[[object], object]] = {
    "softmax": softmax,
    "log_softmax": log_softmax,
    "complement_probabilities": complement_probabilities,
    "softmax_jacobian": softmax_jacobian,
    "cross_entropy": lambda o: cross_entropy(o, [1.0, 0.0]),
    "grad_logits": lambda o: grad_logits(o, [1.0, 0.0]),
}

#: (logits, message pattern)
BAD_LOGITS: list[tuple[object, str]] = [
    ([1.0, NAN], r"logits must be finite, got .*nan.* at index 1"),
    ([INF, 0.0], r"logits must be finite, got .*inf.* at index 0"),
    ([0.0, -INF, 1.0], r"logits must be finite, got .*-inf.* at index 1"),
    ([[0.0, 1.0], [2.0, NAN]], r"logits must be finite, got .*nan.* at index \(1, 1\)"),
    ([1.0], r"at least 2 classes, got logits of shape \(1,\)"),
    ([[1.0], [2.0]], r"at least 2 classes, got logits of shape \(2, 1\)"),
    ([], r"at least 2 classes, got logits of shape \(0,\)"),
    (3.0, r"vector of class scores, got the scalar 3\.0"),
    (["a", "b"], r"logits must be numbers, got \['a', 'b'\]"),
]

#: (T, message pattern)
BAD_TEMPERATURES: list[tuple[object, str]] = [
    (0, r"T must be a finite number > 0, got 0$"),
    (0.0, r"T must be a finite number > 0, got 0\.0$"),
    (-1, r"T must be a finite number > 0, got -1$"),
    (NAN, r"T must be a finite number > 0, got nan$"),
    (INF, r"T must be a finite number > 0, got inf$"),
    (-INF, r"T must be a finite number > 0, got -inf$"),
    ("warm", r"T must be a number, got 'warm'"),
]

#: (y for the logits (2, 3, 4), message pattern)
BAD_Y: list[tuple[object, str]] = [
    ([-0.1, 0.6, 0.5], r"finite and non-negative, got .*-0\.1.* at index 0"),
    ([0.5, NAN, 0.5], r"finite and non-negative, got .*nan.* at index 1"),
    ([0.0, 0.0, INF], r"finite and non-negative, got .*inf.* at index 2"),
    ([0.2, 0.3, 0.4], r"must sum to 1 \(within 1e-09\), got a sum of 0\.9"),
    ([0.5, 0.5 - 2e-9, 0.0], r"must sum to 1 \(within 1e-09\), got a sum of 0\.99999999"),
    ([0.5, 0.5 + 2e-9, 0.0], r"must sum to 1 \(within 1e-09\), got a sum of 1\.00000000"),
    ([0.5, 0.5], r"target y of shape \(2,\) does not match logits of shape \(3,\)"),
    ([0.25] * 4, r"target y of shape \(4,\) does not match logits of shape \(3,\)"),
    (["a", "b", "c"], r"target y must be numbers"),
]

#: keyword arguments of target_distribution, and the message pattern
BAD_TARGET_ARGS: list[tuple[dict[str, object], str]] = [
    ({"K": 1, "target": 0}, r"K must be at least 2, got 1"),
    ({"K": 0, "target": 0}, r"K must be at least 2, got 0"),
    ({"K": 2.0, "target": 0}, r"K must be an integer, got 2\.0"),
    ({"K": True, "target": 0}, r"K must be an integer, got True"),
    ({"K": 3, "target": -1}, r"target class must be in 0\.\.2, got -1"),
    ({"K": 3, "target": 3}, r"target class must be in 0\.\.2, got 3"),
    ({"K": 3, "target": 1.0}, r"target class must be an integer, got 1\.0"),
    ({"K": 3, "target": 1.5}, r"target class must be an integer, got 1\.5"),
    ({"K": 3, "target": "1"}, r"target class must be an integer, got '1'"),
    ({"K": 3, "target": True}, r"target class must be an integer, got True"),
    ({"K": 3}, r"give exactly one of target .* and y"),
    ({"K": 3, "target": 0, "y": [1.0, 0.0, 0.0]}, r"give exactly one of target .* and y"),
    ({"K": 3, "y": [-0.1, 0.6, 0.5]}, r"non-negative, got .*-0\.1.* at index 0"),
    ({"K": 3, "y": [0.5, 0.5 - 2e-9, 0.0]}, r"must sum to 1 \(within 1e-09\)"),
    ({"K": 3, "y": [0.5, 0.5, 0.5]}, r"must sum to 1 \(within 1e-09\), got a sum of 1\.5"),
    ({"K": 3, "y": [0.5, 0.5]}, r"target y must have 3 entries, got shape \(2,\)"),
    ({"K": 2, "y": [[0.5, 0.5]]}, r"target y must have 2 entries, got shape \(1, 2\)"),
    ({"K": 3, "target": 0, "smoothing": -0.1}, r"eps must be in \[0, 1\), got -0\.1"),
    ({"K": 3, "target": 0, "smoothing": 1.0}, r"eps must be in \[0, 1\), got 1\.0"),
    ({"K": 3, "target": 0, "smoothing": 1.5}, r"eps must be in \[0, 1\), got 1\.5"),
    ({"K": 3, "target": 0, "smoothing": NAN}, r"eps must be in \[0, 1\), got nan"),
    ({"K": 3, "target": 0, "smoothing": "a"}, r"eps must be a number, got 'a'"),
]

#: (K, target, expected one-hot)
ONE_HOT_CASES: list[tuple[int, int, list[float]]] = [
    (2, 0, [1.0, 0.0]),
    (2, 1, [0.0, 1.0]),
    (3, 1, [0.0, 1.0, 0.0]),
    (5, 4, [0.0, 0.0, 0.0, 0.0, 1.0]),
]

#: (K, target, y, eps, expected): label smoothing y <- (1 - eps) y + eps / K, by hand.
SMOOTHING_CASES: list[tuple[int, int | None, list[float] | None, float, list[float]]] = [
    (4, 0, None, 0.2, [0.85, 0.05, 0.05, 0.05]),
    (2, 1, None, 0.5, [0.25, 0.75]),
    (3, None, [0.5, 0.5, 0.0], 0.3, [0.45, 0.45, 0.1]),
    (3, 2, None, 0.0, [0.0, 0.0, 1.0]),
    (10, 3, None, 0.1, [0.01, 0.01, 0.01, 0.91, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01]),
]

# --------------------------------------------------------------------------------------
# Hypothesis strategies
# --------------------------------------------------------------------------------------

RANDOM = settings(max_examples=150, deadline=None)
MODERATE_LOGIT = st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False)
MODERATE_T = st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0]) | st.floats(0.25, 4.0)
ANY_FINITE = st.floats(allow_nan=False, allow_infinity=False)
EXTREME_LOGIT = st.floats(-1e300, 1e300) | ANY_FINITE
EXTREME_T = st.sampled_from([1e-300, 1e-10, 1.0, 1e10, 1e300]) | st.floats(1e-300, 1e300)


@st.composite
def logit_vectors(draw: st.DrawFn, elements: st.SearchStrategy[float] = MODERATE_LOGIT):
    """Logit vectors with K = 2..12 classes."""
    k = draw(st.integers(2, 12))
    return np.array(draw(st.lists(elements, min_size=k, max_size=k)))


def soft_targets(k: int) -> st.SearchStrategy[np.ndarray]:
    """Distributions over k classes, zeros included, summing to 1 within a few ulps."""
    weights = st.lists(st.integers(0, 1000), min_size=k, max_size=k).filter(any)
    return weights.map(lambda w: np.array(w, dtype=np.float64) / sum(w))


@st.composite
def problems(draw: st.DrawFn, soft: bool):
    """(logits, T, y): moderate logits, moderate T, a one-hot or a soft target."""
    o = draw(logit_vectors())
    T = draw(MODERATE_T)
    if soft:
        return o, T, draw(soft_targets(o.size))
    return o, T, np.eye(o.size)[draw(st.integers(0, o.size - 1))]


# --------------------------------------------------------------------------------------
# The mpmath reference: d_i = (o_i - m)/T exactly (to 50 digits), then with
#   rest = sum of exp(d_j) over every class but one arg-max  (so s = sum exp(d) = 1 + rest),
#   log p_i = d_i - log1p(rest),  p_i = exp(d_i) / (1 + rest),
#   1 - p_i = sum_{j != i} exp(d_j) / (1 + rest)  (no cancellation even when p_i = 1 - 1e-170).
# log1p matters: 1 + e^-100 holds only 6 digits of e^-100 at 50 digits.
# --------------------------------------------------------------------------------------


def _mpf(x: float) -> mpmath.mpf:
    return mpmath.mpf(float(x))


def ref_parts(o: Sequence[float], T: float) -> tuple[list, list, mpmath.mpf]:
    """Reference d, exp(d) and rest = the sum of exp(d_j) over all but the first arg-max."""
    with mpmath.workdps(DPS):
        values = [_mpf(x) for x in o]
        top = max(values)
        d = [(x - top) / _mpf(T) for x in values]
        e = [mpmath.exp(di) for di in d]
        first = values.index(top)
        return d, e, mpmath.fsum(e[:first] + e[first + 1 :])


def ref_log_softmax(o: Sequence[float], T: float) -> list:
    with mpmath.workdps(DPS):
        d, _, rest = ref_parts(o, T)
        return [di - mpmath.log1p(rest) for di in d]


def ref_softmax(o: Sequence[float], T: float) -> list:
    with mpmath.workdps(DPS):
        _, e, rest = ref_parts(o, T)
        return [ei / (1 + rest) for ei in e]


def ref_complement(o: Sequence[float], T: float) -> list:
    with mpmath.workdps(DPS):
        _, e, rest = ref_parts(o, T)
        return [mpmath.fsum(e[:i] + e[i + 1 :]) / (1 + rest) for i in range(len(e))]


def ref_cross_entropy(o: Sequence[float], y: Sequence[float], T: float) -> mpmath.mpf:
    with mpmath.workdps(DPS):
        log_p = ref_log_softmax(o, T)
        return -mpmath.fsum(_mpf(yi) * lp for yi, lp in zip(y, log_p, strict=True) if yi)


def ref_grad(o: Sequence[float], y: Sequence[float], T: float) -> list:
    """(p_i - y_i)/T, with p_i - y_i written (1 - y_i) - (1 - p_i) when y_i is large."""
    with mpmath.workdps(DPS):
        p, q = ref_softmax(o, T), ref_complement(o, T)
        out = []
        for pi, qi, yi in zip(p, q, y, strict=True):
            diff = (1 - _mpf(yi)) - qi if yi >= 0.5 else pi - _mpf(yi)
            out.append(diff / _mpf(T))
        return out


def ref_jacobian(o: Sequence[float], T: float) -> list[list]:
    with mpmath.workdps(DPS):
        p, q = ref_softmax(o, T), ref_complement(o, T)
        k = len(p)
        return [
            [(p[i] * q[i] if i == j else -p[i] * p[j]) / _mpf(T) for j in range(k)]
            for i in range(k)
        ]


def ref_d_floats(o: Sequence[float], T: float) -> np.ndarray:
    """|d_i| as floats, for error bounds."""
    d, _, _ = ref_parts(o, T)
    return np.array([abs(float(di)) for di in d])


def _flatten(ref: object) -> list:
    if isinstance(ref, list | tuple):
        return [x for item in ref for x in _flatten(item)]
    return [ref]


def _where(what: str, i: int, actual: float, ref: mpmath.mpf, note: str = "") -> str:
    # Built only when an assertion fails: printing a reference like 1e-434294 is slow.
    return f"{what}[{i}]: got {actual!r}, reference {mpmath.nstr(ref, 17)} {note}"


def assert_matches(
    actual: object, ref: object, *, rtol: float = REL_TOL, atol: object = TINY_ABS, what: str = ""
) -> None:
    """Componentwise |actual - ref| <= rtol |ref| + atol; beyond the float range, +-inf.

    ``atol`` is a scalar or an array shaped like ``actual``. A reference within ``rtol`` of
    FLOAT_MAX may round either way, so there only the sign and "not NaN" are checked.
    """
    a = np.asarray(actual, dtype=np.float64).ravel()
    r = _flatten(ref)
    tol = np.broadcast_to(np.asarray(atol, dtype=np.float64), np.shape(actual)).ravel()
    assert a.size == len(r), f"{what}: {a.size} values, {len(r)} reference values"
    with mpmath.workdps(DPS):
        for i, (ai, ri, ti) in enumerate(zip(a.tolist(), r, tol.tolist(), strict=True)):
            assert not math.isnan(ai), _where(what, i, ai, ri)
            if abs(ri) > FLOAT_MAX * (1 + rtol):
                inf = math.copysign(INF, float(ri))
                assert ai == inf, _where(what, i, ai, ri, "(beyond the float range)")
            elif abs(ri) > FLOAT_MAX * (1 - rtol):
                assert (ai > 0) == (ri > 0), _where(what, i, ai, ri)
                assert abs(ai) >= FLOAT_MAX * (1 - 2 * rtol), _where(what, i, ai, ri)
            else:
                assert math.isfinite(ai), _where(what, i, ai, ri, "(the true value is finite)")
                err = abs(_mpf(ai) - ri)
                bound = rtol * abs(ri) + _mpf(ti)
                assert err <= bound, _where(what, i, ai, ri, f"error {mpmath.nstr(err, 3)}")


def no_warnings(compute: Callable[[], object]) -> object:
    """Run ``compute`` with every warning an error and NumPy's float errors set to warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            return compute()


def one_hots(k: int) -> list[np.ndarray]:
    return list(np.eye(k))


def hard_soft_targets(o: Sequence[float], T: float) -> list[np.ndarray]:
    """Soft targets for a hard case: uniform, smoothed one-hot, and the rounded true p."""
    k = len(o)
    smoothed = 0.9 * np.eye(k)[int(np.argmin(o))] + 0.1 / k
    rounded_p = np.array([float(pi) for pi in ref_softmax(o, T)])  # p - y is ~ ulp(p)
    return [np.full(k, 1.0 / k), smoothed, rounded_p]


HARD_ONE_HOT = [(o, T, y) for o, T in HARD_CASES for y in one_hots(len(o))]
HARD_SOFT = [(o, T, y) for o, T in HARD_CASES for y in hard_soft_targets(o, T)]


def _case_id(case: object) -> str:
    return repr(case)[:60]


# --------------------------------------------------------------------------------------
# Accuracy against the mpmath reference
# --------------------------------------------------------------------------------------


def check_probabilities(o: Sequence[float], T: float) -> None:
    assert_matches(softmax(o, T), ref_softmax(o, T), what="softmax")
    assert_matches(complement_probabilities(o, T), ref_complement(o, T), what="1 - p")


def check_log_softmax(o: Sequence[float], T: float) -> None:
    assert_matches(log_softmax(o, T), ref_log_softmax(o, T), what="log_softmax")


def check_cross_entropy(o: Sequence[float], T: float, y: Sequence[float]) -> None:
    assert_matches(cross_entropy(o, y, T), ref_cross_entropy(o, y, T), what="loss")


def check_grad_one_hot(o: Sequence[float], T: float, y: Sequence[float]) -> None:
    assert_matches(grad_logits(o, y, T), ref_grad(o, y, T), atol=grad_floor(T), what="grad")


def soft_grad_slack(o: Sequence[float], T: float, y: Sequence[float]) -> np.ndarray:
    """Absolute slack for p_i - y_i: 4u (1 + |d_i| + max_j |d_j|) max(p_i, y_i) / T.

    When y_i is close to p_i the subtraction cancels and exposes the absolute error of p_i
    unscaled. That error is not a few ulps: forming d = (o - m)/T in floats leaves an
    absolute error of about u |d|, which exp turns into a relative error u |d_i| of
    exp(d_i) and up to u max|d| of the normaliser. For |d| -> 0 the slack is 4u max(p_i, y_i),
    the bound one would expect from correctly rounded p_i alone; with y = round(p) and
    |d| ~ 300 the core really is ~470 u max(p_i, y_i) away, and any float implementation
    that forms d in double precision is too.
    """
    d = ref_d_floats(o, T)
    p = np.array([float(pi) for pi in ref_softmax(o, T)])
    return 4 * U * (1 + d + d.max()) * np.maximum(p, np.asarray(y)) / T


def check_grad_soft(o: Sequence[float], T: float, y: Sequence[float]) -> None:
    slack = soft_grad_slack(o, T, y) + grad_floor(T)
    assert_matches(grad_logits(o, y, T), ref_grad(o, y, T), atol=slack, what="grad")


def check_jacobian(o: Sequence[float], T: float) -> None:
    # Off-diagonal -p_i p_j can fall below FLOAT_TINY (e^-400 * e^-400 at T = 0.25).
    assert_matches(softmax_jacobian(o, T), ref_jacobian(o, T), atol=grad_floor(T), what="J")


@pytest.mark.parametrize(("o", "T"), HARD_CASES, ids=_case_id)
def test_probabilities_match_reference_hard(o: tuple[float, ...], T: float) -> None:
    """softmax and 1 - p agree with mpmath to 1e-12 relative on the hand-picked hard cases."""
    check_probabilities(o, T)


@RANDOM
@given(logit_vectors(), MODERATE_T)
def test_probabilities_match_reference(o: np.ndarray, T: float) -> None:
    """softmax and 1 - p agree with mpmath to 1e-12 relative for logits in [-50, 50]."""
    check_probabilities(o, T)


@pytest.mark.parametrize(("o", "T"), HARD_CASES, ids=_case_id)
def test_log_softmax_matches_reference_hard(o: tuple[float, ...], T: float) -> None:
    """log_softmax agrees with mpmath to 1e-12 relative on the hand-picked hard cases."""
    check_log_softmax(o, T)


@RANDOM
@given(logit_vectors(), MODERATE_T)
def test_log_softmax_matches_reference(o: np.ndarray, T: float) -> None:
    """log_softmax agrees with mpmath to 1e-12 relative for logits in [-50, 50]."""
    check_log_softmax(o, T)


@pytest.mark.parametrize(("o", "T", "y"), HARD_ONE_HOT + HARD_SOFT, ids=_case_id)
def test_cross_entropy_matches_reference_hard(o: tuple[float, ...], T: float, y) -> None:
    """The loss agrees with mpmath to 1e-12 relative on hard cases, one-hot and soft."""
    check_cross_entropy(o, T, y)


@RANDOM
@given(st.booleans().flatmap(lambda soft: problems(soft=soft)))
def test_cross_entropy_matches_reference(problem: tuple[np.ndarray, float, np.ndarray]) -> None:
    """The loss agrees with mpmath to 1e-12 relative, for one-hot and soft targets."""
    check_cross_entropy(*problem)


@pytest.mark.parametrize(("o", "T", "y"), HARD_ONE_HOT, ids=_case_id)
def test_grad_one_hot_matches_reference_hard(o: tuple[float, ...], T: float, y) -> None:
    """dL/do for a one-hot target agrees with mpmath to 1e-12 relative in every component."""
    check_grad_one_hot(o, T, y)


@RANDOM
@given(problems(soft=False))
def test_grad_one_hot_matches_reference(problem: tuple[np.ndarray, float, np.ndarray]) -> None:
    """dL/do for a one-hot target agrees with mpmath to 1e-12 relative in every component."""
    check_grad_one_hot(*problem)


@pytest.mark.parametrize(("o", "T", "y"), HARD_SOFT, ids=_case_id)
def test_grad_soft_matches_reference_hard(o: tuple[float, ...], T: float, y) -> None:
    """dL/do for soft targets is within 1e-12 relative plus the cancellation slack of p - y."""
    check_grad_soft(o, T, y)


@RANDOM
@given(problems(soft=True))
def test_grad_soft_matches_reference(problem: tuple[np.ndarray, float, np.ndarray]) -> None:
    """dL/do for soft targets is within 1e-12 relative plus the cancellation slack of p - y."""
    check_grad_soft(*problem)


def test_soft_grad_slack_is_needed_and_small() -> None:
    """For y = round(p) the error in p - y exceeds 4u max(p, y)/T yet stays below 1e-12 of it."""
    o, T = (-49.9, 50.0), 0.3  # fl(-49.9 - 50) / 0.3 rounds twice; d_0 ~ -333
    y = hard_soft_targets(o, T)[2]
    g = grad_logits(o, y, T)
    ref = ref_grad(o, y, T)
    with mpmath.workdps(DPS):
        err = np.array([float(abs(_mpf(gi) - ri)) for gi, ri in zip(g, ref, strict=True)])
    scale = np.maximum(softmax(o, T), y) / T
    assert np.max(err / scale) > 4 * U  # about 440 u: a few-ulp bound would fail here
    assert np.all(err <= 1e-12 * scale)
    assert np.all(err <= soft_grad_slack(o, T, y))


@pytest.mark.parametrize(("o", "T"), HARD_CASES, ids=_case_id)
def test_jacobian_matches_reference_hard(o: tuple[float, ...], T: float) -> None:
    """softmax_jacobian agrees with mpmath to 1e-12 relative on the hand-picked hard cases."""
    check_jacobian(o, T)


@RANDOM
@given(logit_vectors(), MODERATE_T)
def test_jacobian_matches_reference(o: np.ndarray, T: float) -> None:
    """softmax_jacobian agrees with mpmath to 1e-12 relative for logits in [-50, 50]."""
    check_jacobian(o, T)


def test_confident_and_right_keeps_the_tiny_gradient() -> None:
    """For logits (50, 0, 0) and target 0, dL/do_0 = -(1 - p_0) = -2e-22, not 0."""
    g0 = grad_logits([50.0, 0.0, 0.0], [1.0, 0.0, 0.0])[0]
    expected = -2 * math.exp(-50) / (1 + 2 * math.exp(-50))
    assert g0 != 0.0
    assert math.isclose(g0, expected, rel_tol=1e-14)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@RANDOM
@given(logit_vectors(), MODERATE_T)
def test_probabilities_sum_to_one(o: np.ndarray, T: float) -> None:
    """p sums to 1 within 4K ulps and lies in [0, 1]."""
    p = softmax(o, T)
    assert abs(p.sum() - 1.0) <= 4 * o.size * U
    assert np.all((p >= 0.0) & (p <= 1.0))


@RANDOM
@given(problems(soft=False))
def test_one_hot_gradient_sums_to_zero(problem: tuple[np.ndarray, float, np.ndarray]) -> None:
    """For a one-hot target the gradient sums to 0 within a few ulps of its scale, 1/T."""
    o, T, y = problem
    g = grad_logits(o, y, T)
    assert abs(g.sum()) <= 4 * o.size * U / T


def fd_tolerance(o: np.ndarray, T: float, f_scale: float) -> float:
    """Tolerance for a central difference of a function of size f_scale at logits o.

    Truncation h^2/6 |f'''|, with every third derivative of log-sum-exp(o/T) or of
    softmax(o/T) below 1/T^3 (a polynomial in p scaled by T^-3). Rounding: each value is
    off by at most ~16 u |f|, and the step o_i +- h is itself rounded by up to ulp(o_i)/2,
    which moves the quotient by ulp(o_i)/(2h) times the slope (<= 1/T); both over 2h.
    """
    truncation = H**2 / (6 * T**3)
    rounding = (16 * U * (f_scale + 1) + float(np.spacing(np.abs(o).max())) / T) / (2 * H)
    return 2 * (truncation + rounding)


@RANDOM
@given(st.booleans().flatmap(lambda soft: problems(soft=soft)))
def test_gradient_matches_finite_differences(problem: tuple[np.ndarray, float, np.ndarray]) -> None:
    """grad_logits equals the central difference of cross_entropy to O(h^2) + rounding."""
    o, T, y = problem
    numeric = numerical_grad(lambda v: cross_entropy(v, y, T), o, eps=H)
    tol = fd_tolerance(o, T, cross_entropy(o, y, T))
    np.testing.assert_allclose(grad_logits(o, y, T), numeric, rtol=0, atol=tol)


@RANDOM
@given(logit_vectors(), MODERATE_T)
def test_jacobian_matches_finite_differences(o: np.ndarray, T: float) -> None:
    """Row i of softmax_jacobian equals the central difference of p_i, for every i."""
    jac = softmax_jacobian(o, T)
    tol = fd_tolerance(o, T, 1.0)
    for i in range(o.size):
        numeric = numerical_grad(lambda v, i=i: float(softmax(v, T)[i]), o, eps=H)
        np.testing.assert_allclose(jac[i], numeric, rtol=0, atol=tol, err_msg=f"row {i}")


@RANDOM
@given(logit_vectors(), MODERATE_T)
def test_jacobian_is_symmetric_with_rows_summing_to_zero(o: np.ndarray, T: float) -> None:
    """J = J^T exactly, and row i sums to 0 within 4K ulps of p_i / T."""
    jac = softmax_jacobian(o, T)
    p = softmax(o, T)
    np.testing.assert_array_equal(jac, jac.T)
    slack = 4 * o.size * U * p / T + grad_floor(T)
    assert np.all(np.abs(jac.sum(axis=1)) <= slack)


#: Logits and shifts on the grid k / 2^20 (|k| < 2^41): o + c is then exact in floats,
#: so the true p, L and dL/do are unchanged by the shift and only the core's rounding shows.
GRID = 2.0**-20
GRID_LOGIT = st.integers(-50 * 2**20, 50 * 2**20).map(lambda k: k * GRID)
GRID_SHIFT = st.integers(-(2**40), 2**40).map(lambda k: k * GRID)  # |c| <= 1.05e6


@RANDOM
@given(
    st.integers(2, 12).flatmap(lambda k: st.lists(GRID_LOGIT, min_size=k, max_size=k)),
    GRID_SHIFT,
    MODERATE_T,
    st.data(),
)
def test_shift_invariance(o: list[float], c: float, T: float, data: st.DataObject) -> None:
    """Adding c to every logit leaves p, the loss and the gradient unchanged (2e-12)."""
    o_arr = np.array(o)
    shifted = o_arr + c
    np.testing.assert_array_equal(shifted - c, o_arr)  # the shift really is exact
    y = np.eye(o_arr.size)[data.draw(st.integers(0, o_arr.size - 1))]
    # Each result is within 1e-12 of the same true value, so they are within 2e-12.
    np.testing.assert_allclose(softmax(shifted, T), softmax(o_arr, T), rtol=2e-12)
    assert math.isclose(cross_entropy(shifted, y, T), cross_entropy(o_arr, y, T), rel_tol=2e-12)
    np.testing.assert_allclose(grad_logits(shifted, y, T), grad_logits(o_arr, y, T), rtol=2e-12)


@st.composite
def batches(draw: st.DrawFn):
    """(logits of shape (n1, n2, K), T, soft targets of the same shape)."""
    n1, n2, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(2, 8))
    values = draw(st.lists(MODERATE_LOGIT, min_size=n1 * n2 * k, max_size=n1 * n2 * k))
    ys = [draw(soft_targets(k)) for _ in range(n1 * n2)]
    return np.array(values).reshape(n1, n2, k), draw(MODERATE_T), np.array(ys).reshape(n1, n2, k)


@RANDOM
@given(batches())
def test_batch_matches_rows(batch: tuple[np.ndarray, float, np.ndarray]) -> None:
    """Every function over leading axes gives the same values as row by row."""
    o, T, y = batch
    row_functions: dict[str, Callable[[np.ndarray, np.ndarray], object]] = {
        "softmax": lambda v, _: softmax(v, T),
        "log_softmax": lambda v, _: log_softmax(v, T),
        "complement_probabilities": lambda v, _: complement_probabilities(v, T),
        "softmax_jacobian": lambda v, _: softmax_jacobian(v, T),
        "cross_entropy": lambda v, w: cross_entropy(v, w, T),
        "grad_logits": lambda v, w: grad_logits(v, w, T),
    }
    for name, f in row_functions.items():
        whole = np.asarray(f(o, y))
        rows = np.array(
            [[f(o[i, j], y[i, j]) for j in range(o.shape[1])] for i in range(o.shape[0])]
        )
        assert whole.shape == rows.shape, name
        # Equal up to the last bit or two: NumPy may take SIMD paths for the batch.
        np.testing.assert_allclose(whole, rows, rtol=1e-14, atol=grad_floor(T), err_msg=name)


@RANDOM
@given(batches())
def test_one_target_broadcasts_over_a_batch(batch: tuple[np.ndarray, float, np.ndarray]) -> None:
    """A single target row y of shape (K,) applies to every row of a batch of logits."""
    o, T, y = batch
    row = y[0, 0]
    loss = cross_entropy(o, row, T)
    grad = grad_logits(o, row, T)
    assert np.shape(loss) == o.shape[:2]
    for i, j in np.ndindex(*o.shape[:2]):
        assert math.isclose(loss[i, j], cross_entropy(o[i, j], row, T), rel_tol=1e-14)
        np.testing.assert_allclose(grad[i, j], grad_logits(o[i, j], row, T), rtol=1e-14)


# --------------------------------------------------------------------------------------
# Extreme inputs
# --------------------------------------------------------------------------------------


def extreme_targets(k: int) -> list[np.ndarray]:
    """Every one-hot, the uniform target, and 1 on class 0 with 1e-300 on every other."""
    tiny_rest = np.array([1.0] + [1e-300] * (k - 1))
    return [*one_hots(k), np.full(k, 1.0 / k), tiny_rest]


def check_extreme(o: Sequence[float], T: float, y: np.ndarray) -> None:
    """No NaN, no warning; every result on the right side of the float range."""
    o = np.asarray(o, dtype=np.float64)
    results = no_warnings(
        lambda: {
            "p": softmax(o, T),
            "log p": log_softmax(o, T),
            "1 - p": complement_probabilities(o, T),
            "L": cross_entropy(o, y, T),
            "dL/do": grad_logits(o, y, T),
            "J": softmax_jacobian(o, T),
        }
    )
    for name, value in results.items():
        assert not np.isnan(value).any(), f"NaN in {name}"
    p = results["p"]
    assert abs(p.sum() - 1.0) <= 4 * o.size * U
    assert np.all((results["1 - p"] >= 0.0) & (results["1 - p"] <= 1.0))
    assert np.all(results["log p"] <= 0.0)
    # The loss and log p: +-inf exactly where the true value is beyond the float range,
    # and accurate to 1e-12 relative wherever it is not.
    assert_matches(results["L"], ref_cross_entropy(o, y, T), what="L")
    assert_matches(results["log p"], ref_log_softmax(o, T), what="log p")
    if np.count_nonzero(y) == 1:
        assert_matches(results["dL/do"], ref_grad(o, y, T), atol=grad_floor(T), what="grad")


@pytest.mark.parametrize(
    ("o", "T", "y"),
    [(o, T, y) for o, T in EXTREME_CASES for y in extreme_targets(len(o))],
    ids=_case_id,
)
def test_extreme_inputs_hard(o: tuple[float, ...], T: float, y: np.ndarray) -> None:
    """Hand-picked extreme inputs: no NaN, no warning, inf only beyond the float range."""
    check_extreme(o, T, y)


@settings(max_examples=200, deadline=None)
@given(logit_vectors(EXTREME_LOGIT), EXTREME_T, st.data())
def test_extreme_inputs(o: np.ndarray, T: float, data: st.DataObject) -> None:
    """Any finite logits with T in [1e-300, 1e300]: no NaN, no warning, inf only if true."""
    y = data.draw(st.sampled_from(extreme_targets(o.size)) | soft_targets(o.size))
    check_extreme(o, T, y)


@pytest.mark.parametrize(("o", "y", "T", "expected", "why"), LOSS_CASES, ids=_case_id)
def test_loss_of_extreme_cases(
    o: tuple[float, ...], y: tuple[float, ...], T: float, expected: float, why: str
) -> None:
    """Zero weights times log 0 give 0, not NaN; tiny weights on huge gaps stay finite."""
    with mpmath.workdps(DPS):
        true_loss = ref_cross_entropy(o, y, T)
        assert abs(true_loss - _mpf(expected)) <= 1e-15 * abs(true_loss) + TINY_ABS, why
    loss = no_warnings(lambda: cross_entropy(o, y, T))
    assert math.isclose(loss, expected, rel_tol=1e-15), f"{why}: got {loss!r}"


def test_thousand_logits_give_a_loss_of_exactly_2000() -> None:
    """Logits (1000, 0, -1000) with target 2: L = 2000.0 exactly, and log p_2 = -2000.0."""
    assert cross_entropy([1000.0, 0.0, -1000.0], [0.0, 0.0, 1.0]) == 2000.0
    assert log_softmax([1000.0, 0.0, -1000.0])[2] == -2000.0


def test_zero_weight_on_an_underflowed_probability() -> None:
    """Logits (0, 2000), y = (0, 1): p_0 underflows to 0, log p_0 = -2000, L = 0, no NaN."""
    p = softmax([0.0, 2000.0])
    assert p[0] == 0.0
    assert log_softmax([0.0, 2000.0])[0] == -2000.0
    assert cross_entropy([0.0, 2000.0], [0.0, 1.0]) == 0.0
    np.testing.assert_array_equal(grad_logits([0.0, 2000.0], [0.0, 1.0]), [0.0, 0.0])


@pytest.mark.parametrize(("o", "y", "T"), OVERFLOW_LOSS_CASES, ids=_case_id)
def test_loss_is_inf_only_beyond_the_float_range(
    o: tuple[float, ...], y: tuple[float, ...], T: float
) -> None:
    """Where the true loss exceeds 1.797e308 (checked with mpmath) the loss is +inf."""
    assert ref_cross_entropy(o, y, T) > FLOAT_MAX
    assert no_warnings(lambda: cross_entropy(o, y, T)) == INF


def test_finite_loss_cases_are_within_the_float_range() -> None:
    """Every expected finite loss in the table is truly below FLOAT_MAX (mpmath)."""
    for o, y, T, _, why in LOSS_CASES:
        assert ref_cross_entropy(o, y, T) <= FLOAT_MAX, why


def test_spread_beyond_float_range_with_large_T() -> None:
    """Logits (1.5e308, -1.5e308) at T = 4: log p_1 = -7.5e307, finite though o - m overflows."""
    log_p = no_warnings(lambda: log_softmax([1.5e308, -1.5e308], T=4.0))
    np.testing.assert_array_equal(log_p, [0.0, -1.5e308 / 2])


# --------------------------------------------------------------------------------------
# The seed example: logits (2, 3, 4), target 1, closed forms written out with math
# --------------------------------------------------------------------------------------

SEED_LOGITS = [2.0, 3.0, 4.0]
SEED_Y = [0.0, 1.0, 0.0]
SEED_Z = math.exp(2.0) + math.exp(3.0) + math.exp(4.0)


def test_seed_probabilities() -> None:
    """p = e^o / (e^2 + e^3 + e^4) = (0.0900, 0.2447, 0.6652) to 4 decimals."""
    expected = [math.exp(2.0) / SEED_Z, math.exp(3.0) / SEED_Z, math.exp(4.0) / SEED_Z]
    p = softmax(SEED_LOGITS)
    np.testing.assert_allclose(p, expected, rtol=1e-15)
    assert [round(float(x), 4) for x in p] == [0.0900, 0.2447, 0.6652]


def test_seed_loss() -> None:
    """L = log(e^-1 + 1 + e) = 1.407606, which rounds to 1.4076, not the seed's 1.406."""
    closed_form = math.log(math.exp(-1.0) + 1.0 + math.e)  # log Z - 3
    loss = cross_entropy(SEED_LOGITS, SEED_Y)
    assert math.isclose(loss, closed_form, rel_tol=1e-15)
    assert round(loss, 4) == 1.4076
    assert round(loss, 6) == 1.407606
    assert round(loss, 3) == 1.408


def test_seed_loss_of_1_406_came_from_rounding_p_first() -> None:
    """-log(0.245), with p_1 rounded to 3 decimals first, rounds to 1.406, the seed's value."""
    p1_rounded = round(math.exp(3.0) / SEED_Z, 3)
    assert p1_rounded == 0.245
    assert round(-math.log(p1_rounded), 3) == 1.406
    assert round(cross_entropy(SEED_LOGITS, SEED_Y), 3) != 1.406


def test_seed_gradient() -> None:
    """dL/do = p - y; the middle entry -(e^2 + e^4)/Z rounds to -0.7553, not the seed's -0.775."""
    middle = -(math.exp(2.0) + math.exp(4.0)) / SEED_Z
    g = grad_logits(SEED_LOGITS, SEED_Y)
    assert math.isclose(g[1], middle, rel_tol=1e-15)
    np.testing.assert_allclose(g[[0, 2]], [math.exp(2.0) / SEED_Z, math.exp(4.0) / SEED_Z])
    assert round(float(g[1]), 4) == -0.7553
    assert round(float(g[1]), 3) == -0.755
    assert round(float(g[1]), 6) == -0.755272


# --------------------------------------------------------------------------------------
# target_distribution
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("K", "target", "expected"), ONE_HOT_CASES)
def test_one_hot_target(K: int, target: int, expected: list[float]) -> None:
    """target_distribution(K, target=k) is the one-hot vector at k."""
    y = target_distribution(K, target=target)
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(target_distribution(K, target=np.int64(target)), expected)


def test_soft_target_is_passed_through_as_a_copy() -> None:
    """A valid soft y comes back unchanged, and changing the result leaves the input alone."""
    given_y = np.array([0.25, 0.5, 0.25])
    y = target_distribution(3, y=given_y)
    np.testing.assert_array_equal(y, [0.25, 0.5, 0.25])
    y[0] = 9.0
    assert given_y[0] == 0.25


@pytest.mark.parametrize(("K", "target", "y", "eps", "expected"), SMOOTHING_CASES)
def test_label_smoothing(
    K: int, target: int | None, y: list[float] | None, eps: float, expected: list[float]
) -> None:
    """Label smoothing gives (1 - eps) y + eps / K, which still sums to 1."""
    smoothed = target_distribution(K, target=target, y=y, smoothing=eps)
    np.testing.assert_allclose(smoothed, expected, rtol=1e-15, atol=1e-17)
    assert abs(smoothed.sum() - 1.0) <= 2 * K * U


@RANDOM
@given(st.integers(2, 12), st.data(), st.floats(0.0, 1.0, exclude_max=True))
def test_smoothed_targets_are_distributions(K: int, data: st.DataObject, eps: float) -> None:
    """Smoothed targets sum to 1, every entry is at least eps/K and at most 1 - eps + eps/K."""
    target = data.draw(st.integers(0, K - 1))
    y = target_distribution(K, target=target, smoothing=eps)
    assert abs(y.sum() - 1.0) <= 4 * K * U
    assert np.all(y >= eps / K * (1 - 2 * U))
    assert y[target] <= (1 - eps + eps / K) * (1 + 2 * U)
    assert y.argmax() == target or eps > 0.99


def test_sum_tolerance_accepts_1e_10_off() -> None:
    """y off from summing to 1 by 1e-10 is accepted, by target_distribution and the loss."""
    y = [0.5, 0.5 - 1e-10, 0.0]
    np.testing.assert_array_equal(target_distribution(3, y=y), y)
    assert math.isfinite(cross_entropy([2.0, 3.0, 4.0], y))
    assert SUM_TOLERANCE == 1e-9


# --------------------------------------------------------------------------------------
# Bad input: CEVizError, a ValueError, with a message naming the bad value
# --------------------------------------------------------------------------------------


def test_error_is_a_value_error() -> None:
    """CEVizError subclasses ValueError, so callers catching ValueError see it."""
    assert issubclass(CEVizError, ValueError)


@pytest.mark.parametrize("name", list(LOGIT_FUNCTIONS))
@pytest.mark.parametrize(("logits", "pattern"), BAD_LOGITS, ids=_case_id)
def test_bad_logits(name: str, logits: object, pattern: str) -> None:
    """NaN or infinite logits, fewer than 2 classes or non-numbers raise a clear CEVizError."""
    with pytest.raises(CEVizError, match=pattern):
        LOGIT_FUNCTIONS[name](logits)


@pytest.mark.parametrize(
    "f",
    [softmax, log_softmax, complement_probabilities, softmax_jacobian],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize(("T", "pattern"), BAD_TEMPERATURES, ids=_case_id)
def test_bad_temperature(f: Callable[..., object], T: object, pattern: str) -> None:
    """T <= 0, NaN, infinite or not a number raises CEVizError naming T's value."""
    with pytest.raises(CEVizError, match=pattern):
        f([2.0, 3.0, 4.0], T)


@pytest.mark.parametrize("f", [cross_entropy, grad_logits], ids=lambda f: f.__name__)
@pytest.mark.parametrize(("T", "pattern"), BAD_TEMPERATURES, ids=_case_id)
def test_bad_temperature_in_loss_and_gradient(
    f: Callable[..., object], T: object, pattern: str
) -> None:
    """The loss and the gradient reject a bad T the same way."""
    with pytest.raises(CEVizError, match=pattern):
        f([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], T)


@pytest.mark.parametrize("f", [cross_entropy, grad_logits], ids=lambda f: f.__name__)
@pytest.mark.parametrize(("y", "pattern"), BAD_Y, ids=_case_id)
def test_bad_target_y(f: Callable[..., object], y: object, pattern: str) -> None:
    """A negative, non-finite, wrongly summing or wrongly shaped y raises a clear CEVizError."""
    with pytest.raises(CEVizError, match=pattern):
        f([2.0, 3.0, 4.0], y)


@pytest.mark.parametrize(("kwargs", "pattern"), BAD_TARGET_ARGS, ids=_case_id)
def test_bad_target_distribution(kwargs: dict[str, object], pattern: str) -> None:
    """Bad K, target, y or smoothing raise CEVizError naming the bad value."""
    with pytest.raises(CEVizError, match=pattern):
        target_distribution(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# The helpers: numerical_grad and relative_error
# --------------------------------------------------------------------------------------


def test_numerical_grad_of_a_known_function() -> None:
    """The central difference of sum(sin o) is cos o to within O(eps^2)."""
    o = np.array([0.3, -1.2, 2.0])
    numeric = numerical_grad(lambda v: float(np.sin(v).sum()), o, eps=1e-5)
    np.testing.assert_allclose(numeric, np.cos(o), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(o, [0.3, -1.2, 2.0])  # the point is left as it was


@pytest.mark.parametrize(
    ("logits", "eps", "pattern"),
    [
        ([0.0, NAN], 1e-5, r"logits must be finite"),
        ([0.0, 1.0], 0.0, r"step must be a finite number > 0, got 0\.0"),
        ([0.0, 1.0], -1e-5, r"step must be a finite number > 0, got -1e-05"),
        ([0.0, 1.0], INF, r"step must be a finite number > 0, got inf"),
        ([0.0, 1.0], "small", r"step must be a number, got 'small'"),
    ],
    ids=_case_id,
)
def test_numerical_grad_rejects_bad_input(logits: list[float], eps: object, pattern: str) -> None:
    """numerical_grad rejects non-finite points and steps that are not finite and positive."""
    with pytest.raises(CEVizError, match=pattern):
        numerical_grad(lambda v: float(v.sum()), logits, eps=eps)  # type: ignore[arg-type]


def test_relative_error() -> None:
    """relative_error is |a - b| / max(|b|, floor), so an exact 0 does not divide by 0."""
    np.testing.assert_allclose(
        relative_error([1.1, -2.0, 1e-310], [1.0, -2.5, 0.0]), [0.1, 0.2, 1e-10]
    )
    assert relative_error(0.0, 0.0) == 0.0


def _step_by_step(o: list[float], y: list[float], lr: float, steps: int, T: float, free):
    """The descent as a loop of grad_logits calls: o - lr * free * the gradient."""
    path = [np.array(o, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] - lr * free * grad_logits(path[-1], y, T))
    return np.array(path)


@pytest.mark.parametrize(
    ("o", "y", "T"),
    [
        ([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 1.0),
        ([1000.0, 0.0, -1000.0], [0.0, 0.0, 1.0], 0.5),
        ([0.3, -1.0, 2.0, 0.0], [0.1, 0.6, 0.3, 0.0], 7.0),
        ([1.0, 1.0, -0.0, 0.0], [0.0, 0.0, 1.0, 0.0], 1.0),  # ties, and both zeros
        ([1.7e308, -1.7e308, 0.0], [0.0, 1.0, 0.0], 0.5),  # a spread beyond the floats
        ([1e300, 0.0], [0.0, 1.0], 1e-3),  # (o - m)/T overflows
        (list(np.linspace(-3.0, 3.0, 16)), [1.0] + [0.0] * 15, 2.0),  # the floats' most
        (list(np.linspace(-3.0, 3.0, 17)), [1.0] + [0.0] * 16, 2.0),  # the arrays' path
    ],
)
def test_descent_path_is_the_step_by_step_loop(o: list[float], y: list[float], T: float) -> None:
    """descent_path checks its inputs once; each step is bit for bit o - lr * free * the
    grad_logits of the step before, with and without a mask of free logits: one sample of
    up to 16 classes steps on Python floats, and falls back to the arrays' careful path for
    a spread beyond the float range."""
    for free in (1.0, np.array([1.0, 0.0] + [1.0] * (len(o) - 2))):
        path = descent_path(o, y, 0.5, 30, T, free)
        assert np.array_equal(path, _step_by_step(o, y, 0.5, 30, T, free))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(2, 16).flatmap(
        lambda K: st.tuples(
            st.lists(MODERATE_LOGIT | ANY_FINITE, min_size=K, max_size=K),
            st.integers(0, K - 1),
            st.floats(1e-2, 1e2),
            st.floats(1e-3, 10.0),
            st.lists(st.booleans(), min_size=K, max_size=K),
        )
    )
)
def test_one_samples_descent_on_floats_is_the_arrays_bit_for_bit(case) -> None:
    """Random samples, true classes, temperatures, rates and free logits: the floats' path
    and the loop of grad_logits agree in every bit (the float path repeats the arrays'
    operations in their order; NumPy's exp is called on both)."""
    o, k, T, lr, free = case
    y = [0.0] * len(o)
    y[k] = 1.0
    mask = np.array(free, dtype=float)
    assert np.array_equal(descent_path(o, y, lr, 12, T, mask), _step_by_step(o, y, lr, 12, T, mask))


# --------------------------------------------------------------------------------------
# Many classes (reductions along the row) and the one-pass forward of a batch
# --------------------------------------------------------------------------------------


@st.composite
def wide_problems(draw: st.DrawFn):
    """(logits, T, soft y) with K = 17..40: the classes are reduced along the row there."""
    k = draw(st.integers(17, 40))
    o = np.array(draw(st.lists(MODERATE_LOGIT, min_size=k, max_size=k)))
    return o, draw(MODERATE_T), draw(soft_targets(k))


@settings(max_examples=60, deadline=None)
@given(wide_problems())
def test_many_classes_match_reference(problem: tuple[np.ndarray, float, np.ndarray]) -> None:
    """Past 16 classes (another way to reduce over them) every function still matches."""
    o, T, y = problem
    check_probabilities(o, T)
    check_log_softmax(o, T)
    check_cross_entropy(o, T, y)
    check_grad_soft(o, T, y)


def tied_batch(K: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits from a few integers (many ties at the max) and soft targets with tied maxima."""
    rng = np.random.default_rng(seed)
    o = rng.integers(-2, 3, (n, K)).astype(np.float64)
    y = rng.integers(0, 3, (n, K)).astype(np.float64)
    y[:, 0] += y.sum(axis=1) == 0
    return o, y / y.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("K", [2, 3, 5, 16])
def test_both_ways_of_the_class_arg_max_find_the_first_one(K: int) -> None:
    """A few rows stored row by row take NumPy's arg-max, many rows or classes stored
    apart the class-by-class passes: on either side of FEW_ROWS, and in either memory
    order, both give NumPy's first arg-max (ties included) and the row's max."""
    for n in (FEW_ROWS - 1, FEW_ROWS, FEW_ROWS + 1, 3 * FEW_ROWS):
        o, _ = tied_batch(K, n, n + K)
        stacks = [o.reshape(3, -1, K)] if n % 3 == 0 else []
        for stored in (o, np.asfortranarray(o), *stacks):
            top, best = class_argmax(stored)
            np.testing.assert_array_equal(top, stored.argmax(axis=-1))
            np.testing.assert_array_equal(best, stored.max(axis=-1))


@pytest.mark.parametrize("K", [2, 3, 5, 16, 17, 40, 1000])
@pytest.mark.parametrize("order", ["C", "F"])
def test_forward_is_cross_entropy_and_softmax_bit_for_bit(K: int, order: str) -> None:
    """forward's loss, p of the true class and confidence are the same floats as
    cross_entropy and softmax give; the predicted and true classes are NumPy's first
    arg-max of the logits and of y, ties included; memory order changes nothing."""
    o, y = tied_batch(K, 300, K)
    o, y = np.asarray(o, order=order), np.asarray(y, order=order)
    for T in (1.0, 0.3):
        f = forward(o, y, T)
        p = softmax(o, T)
        np.testing.assert_array_equal(f.loss, cross_entropy(o, y, T))
        np.testing.assert_array_equal(f.predicted, np.argmax(o, axis=1))
        np.testing.assert_array_equal(f.true_class, np.argmax(y, axis=1))
        np.testing.assert_array_equal(f.confidence, p.max(axis=1))
        np.testing.assert_array_equal(f.p_true, p[np.arange(len(o)), f.true_class])


@pytest.mark.parametrize("K", [2, 9, 16, 17, 40])
def test_rows_give_the_batch_numbers_bit_for_bit(K: int) -> None:
    """A row alone and the same row in a batch (either memory order) give the same floats:
    both shapes reduce over the classes the same way, and p − y at the arg-max, written
    for a batch in fewer passes, is the one sample's (1 − y) − r/(1 + r)."""
    o, y = tied_batch(K, 50, 100 + K)
    o += np.random.default_rng(K).normal(0.0, 1e-3, o.shape)  # ties and near-ties
    o[0, :2] = (1e300, -1e300)  # a spread past the float range
    o[1, 0] += 40.0  # p rounds to 1 at the top: only the careful 1 − p keeps p − y there
    for batch in (o, np.asfortranarray(o)):
        whole_p, whole_loss = softmax(batch, 0.7), cross_entropy(batch, y, 0.7)
        whole_g = grad_logits(batch, y, 0.7)
        for i in range(len(o)):
            np.testing.assert_array_equal(whole_p[i], softmax(o[i], 0.7))
            assert whole_loss[i] == cross_entropy(o[i], y[i], 0.7)
            np.testing.assert_array_equal(whole_g[i], grad_logits(o[i], y[i], 0.7))


@pytest.mark.parametrize("K", [2, 3, 5, 17, 40])
def test_top_class_is_the_arg_max_and_softmax_there(K: int) -> None:
    """top_class, what the decision regions shade from, is the first arg-max of the logits
    (ties included) and softmax's value there to a few units in the last place, at three
    T and far logits, in either memory order; and it matches a 50-digit reference."""
    o, _ = tied_batch(K, 300, 11 * K)
    o[0, 0] = 1e300
    o[1] = np.linspace(-700.0, 40.0, K)
    o[2, :2] = -1e300
    for T, stored in ((1.0, o), (0.3, np.asfortranarray(o)), (25.0, o)):
        top, p_top = top_class(stored, T)
        p = softmax(o, T)
        np.testing.assert_array_equal(top, o.argmax(axis=1))
        np.testing.assert_allclose(p_top, p[np.arange(len(o)), top], rtol=4 * K * U, atol=0)
        with mpmath.workdps(DPS):
            for row in (1, 2, 3):
                scaled = [mpmath.mpf(float(v)) / mpmath.mpf(T) for v in o[row]]
                exact = mpmath.exp(max(scaled)) / mpmath.fsum(mpmath.exp(v) for v in scaled)
                # A sum of K terms and a division: at most (K + 1) roundings.
                assert abs(p_top[row] - float(exact)) <= (K + 1) * U * float(exact)


def test_loss_and_grad_for_checks_once_and_gives_the_same_floats() -> None:
    """loss_and_grad_for, a training loop's loss, gives loss_and_grad's floats for new logits
    on every call (its checks: the test below)."""
    o, y = tied_batch(5, 120, 3)
    for T in (1.0, 0.3):
        step = loss_and_grad_for(y, T)
        for shift in (0.0, 2.5, -40.0):
            got, want = step(o + shift), loss_and_grad(o + shift, y, T)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize("step_for", [loss_and_grad_for, mse_loss_and_grad_for])
def test_a_training_step_checks_its_targets_once_and_its_logits_each_call(
    step_for: Callable[..., Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]],
) -> None:
    """Cross-entropy's and MSE's training step (one mechanism, ``fixed_targets``): bad
    targets are named when the step is made, logits of another shape or not finite when
    it is called."""
    o, y = tied_batch(5, 120, 3)
    with pytest.raises(CEVizError, match="must sum to 1"):
        step_for(y * 2)
    with pytest.raises(CEVizError, match="do not match targets"):
        step_for(y)(o[:10])
    bad = o.copy()
    bad[3, 1] = np.nan
    with pytest.raises(CEVizError, match="finite"):
        step_for(y)(bad)


@pytest.mark.parametrize("K", [2, 3, 17, 40])
def test_loss_and_grad_is_cross_entropy_and_grad_logits_bit_for_bit(K: int) -> None:
    """loss_and_grad, the training step's one pass, gives the same floats as
    cross_entropy and grad_logits called apart, ties, T and far logits included."""
    o, y = tied_batch(K, 200, 7 * K)
    o[0, 0] = 1e300  # a spread past the float range: the far branch of the loss
    for T in (1.0, 0.3, 25.0):
        loss, g = loss_and_grad(o, y, T)
        np.testing.assert_array_equal(loss, cross_entropy(o, y, T))
        np.testing.assert_array_equal(g, grad_logits(o, y, T))
