"""Tests for the teaching facts behind p − y, ce_viz.theory.

Every expected value comes from an independent reference: a closed form written out here,
an mpmath evaluation at 50 significant digits from the exact float inputs, or central finite
differences of the loss the function claims to differentiate. Properties are drawn with
Hypothesis. Where a float format's own rounding decides what is true (the overflow thresholds
of float16 and float32), the test states the rounding and checks the true behaviour.

Notation: ``p = softmax(o / T)``, ``y`` the target, ``u = 2**-53`` the unit roundoff.
"""

from __future__ import annotations

import itertools
import math
import sys
import warnings
from collections.abc import Callable, Sequence

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ce_viz.core import (
    CEVizError,
    cross_entropy,
    grad_logits,
    numerical_grad,
    softmax,
    softmax_jacobian,
)
from ce_viz.theory import (
    TEMPERATURES,
    binary_cross_entropy_with_logits,
    binary_pair,
    chain_rule,
    distillation_grad,
    distillation_grad_norms,
    gradient_sweep,
    hessian_eigenvalues,
    loss_hessian,
    mse_grad,
    mse_loss,
    mse_loss_and_grad,
    mse_loss_and_grad_for,
    naive_softmax,
    overflow_threshold,
    restrict,
    restricted_softmax,
    sigmoid,
    simplex_grid,
    simplex_problem,
    temperature_gradient,
    temperature_sweep,
)

# --------------------------------------------------------------------------------------
# Constants and tables
# --------------------------------------------------------------------------------------

U = 2.0**-53
FLOAT_MAX = sys.float_info.max
INF = math.inf
NAN = math.nan
DPS = 50
REL_TOL = 1e-12
TINY_ABS = 1e-300
#: Finite-difference step: O(h^2) truncation and O(u/h) rounding both ~1e-10.
H = 1e-5
#: The temperatures of the Hypothesis properties for the MSE and Hessian checks.
SMALL_T = (0.5, 1.0, 2.0)

#: (logits, y, T, why): hand cases for mse_loss and mse_grad.
MSE_CASES: list[tuple[tuple[float, ...], tuple[float, ...], float, str]] = [
    ((0.0, 0.0), (1.0, 0.0), 1.0, "p = (1/2, 1/2): L = 1/4 + 1/4"),
    ((2.0, 3.0, 4.0), (0.0, 1.0, 0.0), 1.0, "the seed example"),
    ((2.0, 3.0, 4.0), (0.25, 0.5, 0.25), 2.0, "a soft target, T = 2"),
    ((-10.0, 5.0, 0.0), (1.0, 0.0, 0.0), 1.0, "confidently wrong"),
    ((1.0, 1.0, 1.0, 1.0), (0.25, 0.25, 0.25, 0.25), 0.5, "p = y exactly: L = 0"),
]

#: (logits, true class): a confidently wrong model, the true class far below the arg-max.
CONFIDENTLY_WRONG: list[tuple[tuple[float, ...], int]] = [
    ((-10.0, 5.0, 0.0), 0),
    ((-10.0, 10.0, 0.0), 0),
    ((-12.0, 0.0), 0),
    ((5.0, -10.0, 0.0, 2.0), 1),
    ((3.0, 1.0, -9.0), 2),
]

#: (other logits, T): the true class 0's logit sweeps from -15 to 15 in front of these.
SWEEP_CASES: list[tuple[tuple[float, ...], float]] = [
    ((5.0, 0.0), 1.0),
    ((0.0, 0.0), 1.0),
    ((2.0, -1.0, 3.0), 1.0),
    ((5.0, 0.0), 2.0),
    ((1.0,), 1.0),
]

#: (student, teacher): fixed pairs whose p_s - p_t does not vanish at large T.
DISTILL_PAIRS: list[tuple[tuple[float, ...], tuple[float, ...]]] = [
    ((1.0, 0.0, -1.0), (0.0, 1.0, 2.0)),
    ((2.0, -1.0), (0.5, 0.5)),
    ((0.3, -1.2, 2.0, 1.7), (1.0, 1.0, -2.0, 0.0)),
    ((0.0, 0.0, 0.0), (2.0, 3.0, 4.0)),  # the view's student (all zeros), seed teacher
]

#: (bad temperatures for temperature_sweep, why)
BAD_SWEEP_TEMPERATURES: list[tuple[object, str]] = [
    ([1.0, 0.0], "zero"),
    ([-1.0], "negative"),
    ([1.0, NAN], "nan"),
    ([INF], "inf"),
    ([[1.0, 2.0]], "2-D"),
    (1.0, "a scalar, 0-D"),
]

#: (dtype, overflow threshold log(max) to 2 decimals)
THRESHOLDS: list[tuple[type, float]] = [
    (np.float16, 11.09),
    (np.float32, 88.72),
    (np.float64, 709.78),
]

#: (p, classes, expected): renormalised by hand.
RESTRICT_CASES: list[tuple[object, list[int], object]] = [
    ([0.1, 0.2, 0.3, 0.4], [0, 3], [0.2, 0.8]),
    ([0.5, 0.25, 0.25], [1, 2], [0.5, 0.5]),
    ([0.1, 0.2, 0.7], [2, 0, 1], [0.7, 0.1, 0.2]),  # the order of the classes is kept
    ([0.0, 0.6, 0.0, 0.4], [0, 1, 2], [0.0, 1.0, 0.0]),  # a zero inside is fine
    ([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7]], [1, 2], [[1.0, 0.0], [2.0 / 9.0, 7.0 / 9.0]]),
]

#: (p, classes): the chosen classes carry no probability.
ZERO_MASS_CASES: list[tuple[object, list[int]]] = [
    ([0.5, 0.5, 0.0], [2]),
    ([0.0, 0.0, 1.0], [0, 1]),
    ([[0.5, 0.5, 0.0], [0.0, 0.3, 0.7]], [0]),  # one row of a batch is enough
    ([0.5, 0.5, 0.0], []),  # the empty subset has mass 0
]

#: (logits, y, expected (k, j, z, t), why): the binary pair, worked by hand. The cases
#: marked "was 0/0" put no target weight on classes 0 and 1, the pair the view used to take.
BINARY_PAIR_CASES: list[
    tuple[tuple[float, ...], tuple[float, ...], tuple[int, int, float, float], str]
] = [
    ((0.3, 1.7), (0.0, 1.0), (1, 0, 1.7 - 0.3, 1.0), "K = 2, target 1"),
    ((3.0, 1.0), (1.0, 0.0), (0, 1, 2.0, 1.0), "K = 2, target 0"),
    ((3.0, 1.0), (0.9, 0.1), (0, 1, 2.0, 0.9), "K = 2, smoothed: t = y_k"),
    ((1.0, 2.0, 3.0), (0.0, 0.0, 1.0), (2, 1, 1.0, 1.0), "target 2: was 0/0"),
    ((1000.0, 0.0, -1000.0), (0.0, 0.0, 1.0), (2, 0, -2000.0, 1.0), "huge preset: was 0/0"),
    ((2.0, 3.0, 4.0), (0.0, 0.0, 1.0), (2, 1, 1.0, 1.0), "y = (0, 0, 1): was 0/0"),
    (
        (1.2, -0.5, 3.1, 0.4, 2.2, -1.3, 0.8, 2.9, -0.2, 1.7),
        tuple(float(i == 7) for i in range(10)),
        (7, 2, 2.9 - 3.1, 1.0),
        "10-class preset: was 0/0",
    ),
    ((2.0, 3.0, 4.0), (0.1, 0.8, 0.1), (1, 2, -1.0, 0.8 / 0.9), "soft seed: t = 8/9"),
    ((0.0, 5.0, 5.0), (0.8, 0.1, 0.1), (0, 1, -5.0, 0.8 / 0.9), "tied rivals: lowest index"),
    ((1.0, 2.0, 3.0), (0.5, 0.5, 0.0), (0, 2, -2.0, 1.0), "tied y: lowest index, y_j = 0"),
    ((1e300, -1e300, 0.0), (0.0, 1.0, 0.0), (1, 0, -2e300, 1.0), "the UI's largest logits"),
]

#: (logits, y, trio, T, phrases the message must hold): the simplex cannot be drawn.
SIMPLEX_PROBLEMS: list[tuple[tuple[float, ...], tuple[float, ...], list[int], float, list[str]]] = [
    (
        (0.0, 0.0, 0.0, 1000.0),
        (1.0, 0.0, 0.0, 0.0),
        [0, 1, 2],
        1.0,
        [
            "The probabilities of o0 · a, o1 · b and o2 · c all underflow to 0 next to o3 · d",
            "more than about 745.1 below it",
            "e.g. o0 · a, o1 · b and o3 · d.",
        ],
    ),
    (
        (0.0, 0.0, 0.0, 10.0),
        (0.0, 0.0, 1.0, 0.0),
        [2, 1, 0],
        0.01,
        [
            "all underflow to 0 next to o3 · d",
            "more than about 7.451 below",
            "e.g. o0 · a, o2 · c and o3 · d.",
        ],
    ),
    (
        (2.0, 3.0, 4.0, 5.0),
        (0.0, 0.0, 0.0, 1.0),
        [0, 1, 2],
        1.0,
        [
            "The target puts no weight on o0 · a, o1 · b and o2 · c",
            "includes the true class, e.g. o1 · b, o2 · c and o3 · d.",
        ],
    ),
]

#: (n, expected rows, as integer numerators over n)
SIMPLEX_CASES: list[tuple[int, list[tuple[int, int, int]]]] = [
    (3, [(1, 1, 1)]),
    (4, [(1, 1, 2), (1, 2, 1), (2, 1, 1)]),
    (5, [(1, 1, 3), (1, 2, 2), (1, 3, 1), (2, 1, 2), (2, 2, 1), (3, 1, 1)]),
]

BAD_SIMPLEX_N: list[object] = [2, 1, 0, -3, 3.0, 4.5, True, "5", None, np.int64(2)]

# --------------------------------------------------------------------------------------
# Hypothesis strategies
# --------------------------------------------------------------------------------------

RANDOM = settings(max_examples=100, deadline=None)
LOGIT = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False)


@st.composite
def logit_vectors(draw: st.DrawFn, k_min: int = 2, k_max: int = 8) -> np.ndarray:
    """Logit vectors with K = k_min..k_max classes, each logit in [-10, 10]."""
    k = draw(st.integers(k_min, k_max))
    return np.array(draw(st.lists(LOGIT, min_size=k, max_size=k)))


def soft_targets(k: int) -> st.SearchStrategy[np.ndarray]:
    """Distributions over k classes, zeros included."""
    weights = st.lists(st.integers(0, 1000), min_size=k, max_size=k).filter(any)
    return weights.map(lambda w: np.array(w, dtype=np.float64) / sum(w))


def targets(k: int) -> st.SearchStrategy[np.ndarray]:
    """A one-hot target or a soft one."""
    return st.integers(0, k - 1).map(lambda i: np.eye(k)[i]) | soft_targets(k)


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float]:
    """(logits, y, T): K = 2..8, logits in [-10, 10], one-hot or soft y, T in {0.5, 1, 2}."""
    o = draw(logit_vectors())
    return o, draw(targets(o.size)), draw(st.sampled_from(SMALL_T))


# --------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------


def _mpf(x: float) -> mpmath.mpf:
    return mpmath.mpf(float(x))


def ref_softmax(o: Sequence[float], T: float) -> list:
    """softmax(o / T) at 50 digits from the exact float inputs."""
    with mpmath.workdps(DPS):
        scaled = [_mpf(x) / _mpf(T) for x in o]
        top = max(scaled)
        e = [mpmath.exp(s - top) for s in scaled]
        total = mpmath.fsum(e)
        return [ei / total for ei in e]


def ref_jacobian(o: Sequence[float], T: float) -> list[list]:
    """dp_i/do_j = p_i (delta_ij - p_j) / T."""
    with mpmath.workdps(DPS):
        p = ref_softmax(o, T)
        k = len(p)
        return [
            [p[i] * ((1 if i == j else 0) - p[j]) / _mpf(T) for j in range(k)] for i in range(k)
        ]


def ref_mse_loss(o: Sequence[float], y: Sequence[float], T: float) -> mpmath.mpf:
    with mpmath.workdps(DPS):
        p = ref_softmax(o, T)
        return mpmath.fsum((pi - _mpf(yi)) ** 2 for pi, yi in zip(p, y, strict=True))


def ref_mse_grad(o: Sequence[float], y: Sequence[float], T: float) -> list:
    """The chain rule written out: dL/do_j = sum_i 2 (p_i - y_i) dp_i/do_j."""
    with mpmath.workdps(DPS):
        p = ref_softmax(o, T)
        J = ref_jacobian(o, T)
        k = len(p)
        return [mpmath.fsum(2 * (p[i] - _mpf(y[i])) * J[i][j] for i in range(k)) for j in range(k)]


def ref_softplus(z: mpmath.mpf) -> mpmath.mpf:
    """log(1 + e^z), with no overflow for large z."""
    return z + mpmath.log1p(mpmath.exp(-z)) if z > 0 else mpmath.log1p(mpmath.exp(z))


def ref_binary_ce(z: float, t: float) -> mpmath.mpf:
    """-(1 - t) log(1 - sigmoid z) - t log sigmoid z = (1 - t) softplus(z) + t softplus(-z)."""
    with mpmath.workdps(DPS):
        zz, tt = _mpf(z), _mpf(t)
        return (1 - tt) * ref_softplus(zz) + tt * ref_softplus(-zz)


def ref_sigmoid(z: float) -> mpmath.mpf:
    with mpmath.workdps(DPS):
        return 1 / (1 + mpmath.exp(-_mpf(z)))


def hand_softmax(o: Sequence[float], T: float) -> np.ndarray:
    """softmax(o / T) in floats with math.exp, shifted by the largest logit."""
    top = max(o)
    e = [math.exp((x - top) / T) for x in o]
    total = math.fsum(e)
    return np.array([ei / total for ei in e])


def entropy(p: np.ndarray) -> float:
    """-sum p log p in nats, 0 log 0 = 0."""
    return -math.fsum(float(pi) * math.log(pi) for pi in p if pi > 0)


def as_floats(ref: Sequence) -> np.ndarray:
    return np.array([float(r) for r in ref])


def assert_close_mp(
    actual: object, ref: object, rtol: float = REL_TOL, atol: float = TINY_ABS, what: str = ""
) -> None:
    """|actual - ref| <= rtol |ref| + atol componentwise, measured at 50 digits."""
    a = np.atleast_1d(np.asarray(actual, dtype=np.float64)).ravel().tolist()
    r = list(ref) if isinstance(ref, list | tuple) else [ref]
    assert len(a) == len(r), what
    with mpmath.workdps(DPS):
        for i, (ai, ri) in enumerate(zip(a, r, strict=True)):
            err = abs(_mpf(ai) - ri)
            assert err <= rtol * abs(ri) + atol, (
                f"{what}[{i}]: got {ai!r}, reference {mpmath.nstr(ri, 17)}, "
                f"error {mpmath.nstr(err, 3)}"
            )


def no_warnings(compute: Callable[[], object]) -> object:
    """Run ``compute`` with every warning an error and NumPy's float errors set to warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            return compute()


def numerical_jacobian(f: Callable[[np.ndarray], np.ndarray], o: Sequence[float]) -> np.ndarray:
    """Central differences of a vector function: row i is the gradient of f(o)_i."""
    k = len(f(np.asarray(o, dtype=np.float64)))
    return np.array([numerical_grad(lambda v, i=i: float(f(v)[i]), o, eps=H) for i in range(k)])


def _case_id(case: object) -> str:
    return repr(case)[:60]


# --------------------------------------------------------------------------------------
# MSE on the softmax output against cross-entropy
# --------------------------------------------------------------------------------------


def test_mse_of_equal_logits_by_hand() -> None:
    """Logits (0, 0), target 0: p = (1/2, 1/2), L = 2 (1/2)^2 = 1/2, grad = (-1/2, 1/2)."""
    assert mse_loss([0.0, 0.0], [1.0, 0.0]) == 0.5
    # dL/do_0 = 2 (p_0 - 1) p_0 p_1 - 2 p_1 p_1 p_0 = 2 (-1/2)(1/4) - 2 (1/2)(1/4) = -1/2
    np.testing.assert_array_equal(mse_grad([0.0, 0.0], [1.0, 0.0]), [-0.5, 0.5])


@pytest.mark.parametrize(("o", "y", "T", "why"), MSE_CASES, ids=_case_id)
def test_mse_loss_is_sum_of_squares(
    o: tuple[float, ...], y: tuple[float, ...], T: float, why: str
) -> None:
    """mse_loss = sum_i (p_i - y_i)^2, with p from math.exp and from mpmath."""
    p = hand_softmax(o, T)
    by_hand = math.fsum((pi - yi) ** 2 for pi, yi in zip(p, y, strict=True))
    loss = mse_loss(o, y, T)
    assert isinstance(loss, float)
    assert math.isclose(loss, by_hand, rel_tol=1e-13, abs_tol=1e-16), why
    assert_close_mp(loss, ref_mse_loss(o, y, T), atol=1e-16, what=why)


@RANDOM
@given(problems())
def test_mse_loss_matches_reference(problem: tuple[np.ndarray, np.ndarray, float]) -> None:
    """mse_loss agrees with sum (p - y)^2 at 50 digits to 1e-12 relative plus 1e-15."""
    o, y, T = problem
    assert_close_mp(mse_loss(o, y, T), ref_mse_loss(o, y, T), atol=1e-15, what="mse")


@RANDOM
@given(problems())
def test_mse_grad_matches_finite_differences(
    problem: tuple[np.ndarray, np.ndarray, float],
) -> None:
    """mse_grad agrees with central differences of mse_loss and with the chain rule at 50 digits."""
    o, y, T = problem
    g = mse_grad(o, y, T)
    numeric = numerical_grad(lambda v: mse_loss(v, y, T), o, eps=H)
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)
    assert_close_mp(g, ref_mse_grad(o, y, T), rtol=1e-10, atol=1e-14 / T, what="mse grad")


@RANDOM
@given(problems())
def test_mse_grad_sums_to_zero(problem: tuple[np.ndarray, np.ndarray, float]) -> None:
    """The MSE gradient sums to 0: adding a constant to every logit leaves p unchanged."""
    o, y, T = problem
    g = mse_grad(o, y, T)
    assert abs(math.fsum(g)) <= 8 * o.size * U * (1.0 + np.abs(g).max()) / T


@pytest.mark.parametrize(("o", "k"), CONFIDENTLY_WRONG, ids=_case_id)
def test_confidently_wrong_mse_true_class_gradient_vanishes(o: tuple[float, ...], k: int) -> None:
    """Confidently wrong: MSE's true-class gradient is < 1e-3, cross-entropy's is ~ -1."""
    y = np.eye(len(o))[k]
    p = hand_softmax(o, 1.0)
    assert p[k] < 1e-5  # the premise: the model gives the true class almost nothing
    mse_k = mse_grad(o, y)[k]
    # Closed form: dL/do_k = 2 p_k [(p_k - 1)(1 - p_k) - sum_{j != k} p_j^2].
    rest = math.fsum(pj**2 for j, pj in enumerate(p) if j != k)
    closed = 2.0 * p[k] * ((p[k] - 1.0) * (1.0 - p[k]) - rest)
    assert math.isclose(mse_k, closed, rel_tol=1e-12)
    assert abs(mse_k) < 1e-3
    ce_k = grad_logits(o, y)[k]
    assert abs(ce_k - (-1.0)) < 1e-3
    assert abs(ce_k) > 1e3 * abs(mse_k)


def test_confidently_wrong_mse_gradient_on_other_classes_need_not_vanish() -> None:
    """At o = (-10, 5, 0), target 0, the MSE gradient's norm is 0.0186: only p_0 is saturated."""
    # With p_0 ~ 0 the loss is ~ 1 + p_1^2 + p_2^2 and p_1 = 1 - p_2, so dL/do_2 ~
    # (4 p_2 - 2) p_2 (1 - p_2) = -0.0133 for p_2 = 1/(1 + e^5): the wrong classes still trade
    # probability. Only a fully saturated wrong answer, o = (-10, 10, 0), makes the norm < 1e-3.
    p2 = 1.0 / (1.0 + math.exp(5.0))
    approx = (4.0 * p2 - 2.0) * p2 * (1.0 - p2)
    g = mse_grad([-10.0, 5.0, 0.0], [1.0, 0.0, 0.0])
    assert math.isclose(g[2], approx, rel_tol=1e-4)
    assert math.isclose(g[1], -approx, rel_tol=1e-4)
    assert 0.018 < float(np.linalg.norm(g)) < 0.019
    assert float(np.linalg.norm(mse_grad([-10.0, 10.0, 0.0], [1.0, 0.0, 0.0]))) < 1e-3


@pytest.mark.parametrize(("rest", "T"), SWEEP_CASES, ids=_case_id)
def test_true_class_gradient_shapes_over_a_sweep(rest: tuple[float, ...], T: float) -> None:
    """As o_k sweeps -15..15, CE's |dL/do_k| falls monotonically; MSE's rises, then falls."""
    values = np.linspace(-15.0, 15.0, 301)
    y = np.eye(len(rest) + 1)[0]
    ce = np.array([abs(grad_logits([x, *rest], y, T)[0]) for x in values])
    mse = np.array([abs(mse_grad([x, *rest], y, T)[0]) for x in values])
    # Cross-entropy: |p_k - 1| / T, strictly decreasing, from ~1/T to ~0.
    assert np.all(np.diff(ce) < 0)
    assert ce[0] > 0.999 / T
    assert ce[-1] < 1e-2 * ce[0]
    # MSE: a single interior peak, tiny at both ends.
    peak = int(np.argmax(mse))
    assert 0 < peak < len(values) - 1
    assert np.all(np.diff(mse[: peak + 1]) > 0)
    assert np.all(np.diff(mse[peak:]) < 0)
    assert mse[0] < 1e-3 * mse[peak]
    assert mse[-1] < 1e-3 * mse[peak]
    # Where the model is confidently wrong, CE pulls hardest and MSE hardly at all.
    assert ce[0] > 1e3 * mse[0]


# --------------------------------------------------------------------------------------
# The Hessian of the cross-entropy
# --------------------------------------------------------------------------------------


def test_hessian_of_equal_logits_by_hand() -> None:
    """Logits (0, 0), T = 2: H = (diag p - p p^T)/T^2 = [[1/16, -1/16], [-1/16, 1/16]]."""
    np.testing.assert_array_equal(
        loss_hessian([0.0, 0.0], T=2.0), [[0.0625, -0.0625], [-0.0625, 0.0625]]
    )


@RANDOM
@given(logit_vectors(), st.sampled_from(SMALL_T), st.data())
def test_hessian_matches_numerical_hessian(o: np.ndarray, T: float, data: st.DataObject) -> None:
    """loss_hessian equals finite differences of grad_logits for one-hot and soft targets alike."""
    H_analytic = loss_hessian(o, T)
    one_hot = np.eye(o.size)[data.draw(st.integers(0, o.size - 1))]
    soft = data.draw(soft_targets(o.size))
    for y in (one_hot, soft):
        numeric = numerical_jacobian(lambda v, y=y: grad_logits(v, y, T), o)
        np.testing.assert_allclose(H_analytic, numeric, rtol=1e-6, atol=1e-8)


@RANDOM
@given(logit_vectors(), st.sampled_from(SMALL_T))
def test_hessian_closed_form_and_structure(o: np.ndarray, T: float) -> None:
    """H = (diag p - p p^T)/T^2 = J/T: symmetric, PSD, rows summing to 0."""
    H_analytic = loss_hessian(o, T)
    p = hand_softmax(o, T)
    closed = (np.diag(p) - np.outer(p, p)) / T**2
    np.testing.assert_allclose(H_analytic, closed, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(H_analytic, softmax_jacobian(o, T) / T)
    np.testing.assert_array_equal(H_analytic, H_analytic.T)
    assert np.linalg.eigvalsh(H_analytic).min() >= -1e-15
    assert np.all(np.abs(H_analytic.sum(axis=1)) <= 8 * o.size * U / T**2)


@pytest.mark.parametrize("o", [(2.0, 3.0, 4.0), (-10.0, 5.0, 0.0), (0.5, 0.5, 0.5, -1.0)])
def test_hessian_eigenvalues(o: tuple[float, ...]) -> None:
    """hessian_eigenvalues: ascending, >= 0, the smallest 0 (the all-ones direction)."""
    ev = hessian_eigenvalues(o, 0.5)
    p = hand_softmax(o, 0.5)
    np.testing.assert_allclose(
        ev, np.linalg.eigvalsh((np.diag(p) - np.outer(p, p)) / 0.25), rtol=1e-10, atol=1e-15
    )
    assert np.all(np.diff(ev) >= 0)
    assert ev.min() >= -1e-15
    assert abs(ev[0]) <= 1e-15


def test_hessian_eigenvalues_two_classes() -> None:
    """K = 2: H = p_0 p_1 [[1, -1], [-1, 1]] has eigenvalues 0 and 2 p_0 p_1."""
    p0 = 1.0 / (1.0 + math.e)  # logits (0, 1)
    np.testing.assert_allclose(
        hessian_eigenvalues([0.0, 1.0]), [0.0, 2.0 * p0 * (1.0 - p0)], rtol=1e-14, atol=1e-17
    )


# --------------------------------------------------------------------------------------
# The chain rule through the softmax
# --------------------------------------------------------------------------------------


@RANDOM
@given(problems())
def test_chain_rule_product_is_p_minus_y(problem: tuple[np.ndarray, np.ndarray, float]) -> None:
    """chain_rule: dL/dp = -y/p (0 where y = 0), J = softmax_jacobian, J^T dL/dp = (p - y)/T."""
    o, y, T = problem
    dl_dp, J, product = chain_rule(o, y, T)
    p = hand_softmax(o, T)
    expected_dl_dp = np.where(y > 0, -y / np.where(y > 0, p, 1.0), 0.0)
    np.testing.assert_allclose(dl_dp, expected_dl_dp, rtol=1e-12)
    np.testing.assert_array_equal(J, softmax_jacobian(o, T))
    np.testing.assert_allclose(product, (p - y) / T, rtol=1e-8, atol=1e-12 / T)


def test_chain_rule_zero_weight_on_an_underflowed_probability() -> None:
    """o = (2000, 0), y = (1, 0): p_1 underflows to 0, yet dL/dp_1 = 0 and the product is 0."""
    dl_dp, _, product = no_warnings(lambda: chain_rule([2000.0, 0.0], [1.0, 0.0]))
    np.testing.assert_array_equal(dl_dp, [-1.0, 0.0])
    np.testing.assert_array_equal(product, [0.0, 0.0])


@pytest.mark.parametrize(
    ("o", "T"),
    [((10.0, 0.0), 0.01), ((800.0, 0.0), 1.0), ((745.0, 0.0), 1.0)],
    ids=_case_id,
)
def test_chain_rule_confidently_wrong_beyond_the_float_range(
    o: tuple[float, ...], T: float
) -> None:
    """True class 1 with p_1 below the float range: the product is still (p - y)/T = (1, -1)/T."""
    # p_1 = e^-1000 (or e^-800, e^-745): -y_1/p_1 is beyond the float range, but the product
    # J^T dL/dp = (p - y)/T = (1 - 0, 0 - 1)/T is an ordinary number, as grad_logits gives.
    _, _, product = no_warnings(lambda: chain_rule(o, [0.0, 1.0], T))
    np.testing.assert_allclose(product, [1.0 / T, -1.0 / T], rtol=1e-12)


# --------------------------------------------------------------------------------------
# Temperature and distillation
# --------------------------------------------------------------------------------------


@RANDOM
@given(
    logit_vectors(),
    st.lists(st.floats(0.1, 100.0) | st.sampled_from([0.1, 1.0, 100.0]), min_size=1, max_size=6),
)
def test_temperature_sweep_rows_are_softmax(o: np.ndarray, temperatures: list[float]) -> None:
    """Row i of temperature_sweep is softmax(o / T_i), against mpmath."""
    rows = temperature_sweep(o, temperatures)
    assert rows.shape == (len(temperatures), o.size)
    for row, T in zip(rows, temperatures, strict=True):
        assert_close_mp(row, ref_softmax(o, T), atol=1e-300, what=f"T={T}")


def test_temperature_sweep_limits() -> None:
    """Large T gives nearly uniform rows, small T the one-hot vector at the arg-max."""
    o = [0.3, -1.2, 2.0, 1.7]
    hot, flat = temperature_sweep(o, [1e-3, 1e6])
    # T = 1e-3: p_j <= e^-(2.0 - 1.7)/1e-3 = e^-300 ~ 5e-131 for every j but the arg-max.
    np.testing.assert_allclose(hot, [0.0, 0.0, 1.0, 0.0], rtol=0, atol=1e-130)
    # T = 1e6: p_i = 1/4 (1 + (o_i - mean o)/T + ...), within (3.2/1e6) / 4 of 1/4.
    np.testing.assert_allclose(flat, [0.25] * 4, rtol=0, atol=1e-6)
    assert np.abs(flat - 0.25).max() > 0  # not exactly uniform: still o/T


def test_temperature_sweep_entropy_increases_with_T() -> None:
    """For fixed generic logits the entropy of softmax(o/T) increases strictly with T."""
    o = [0.3, -1.2, 2.0, 1.7]
    temperatures = np.logspace(-1, 3, 60)
    rows = temperature_sweep(o, temperatures)
    h = np.array([entropy(row) for row in rows])
    assert np.all(np.diff(h) > 0)
    # From about that of a near one-hot to about log K.
    assert h[0] < 0.25
    assert math.log(4) - 1e-5 < h[-1] < math.log(4)


@pytest.mark.parametrize(("temperatures", "why"), BAD_SWEEP_TEMPERATURES, ids=_case_id)
def test_temperature_sweep_rejects_bad_temperatures(temperatures: object, why: str) -> None:
    """Zero, negative, NaN or infinite temperatures, or not a 1-D array, raise CEVizError."""
    with pytest.raises(CEVizError, match=r"temperatures must be a 1-D array"):
        temperature_sweep([0.0, 1.0], temperatures)


@pytest.mark.parametrize(
    ("logits", "pattern"),
    [([[0.0, 1.0], [1.0, 0.0]], r"one sample of logits"), ([0.0, NAN], r"must be finite")],
    ids=_case_id,
)
def test_temperature_sweep_rejects_bad_logits(logits: object, pattern: str) -> None:
    """A batch of logits or a NaN logit raises CEVizError."""
    with pytest.raises(CEVizError, match=pattern):
        temperature_sweep(logits, [1.0])


@RANDOM
@given(logit_vectors(), st.data(), st.floats(0.5, 20.0))
def test_distillation_grad_closed_forms(o: np.ndarray, data: st.DataObject, T: float) -> None:
    """scaled = T (p_s - p_t), unscaled = (p_s - p_t)/T, p from math.exp."""
    teacher = np.array(data.draw(st.lists(LOGIT, min_size=o.size, max_size=o.size)))
    diff = hand_softmax(o, T) - hand_softmax(teacher, T)
    tol = 1e-14 * o.size
    np.testing.assert_allclose(distillation_grad(o, teacher, T), T * diff, rtol=0, atol=tol * T)
    np.testing.assert_allclose(
        distillation_grad(o, teacher, T, scaled=False), diff / T, rtol=0, atol=tol / T
    )


@pytest.mark.parametrize("T", [0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize(("student", "teacher"), DISTILL_PAIRS, ids=_case_id)
def test_distillation_grad_matches_finite_differences(
    student: tuple[float, ...], teacher: tuple[float, ...], T: float
) -> None:
    """Each gradient is the central difference of its loss, T^2 H(p_t, p_s) or H(p_t, p_s)."""
    p_t = softmax(teacher, T)
    scaled_numeric = numerical_grad(lambda v: T**2 * cross_entropy(v, p_t, T), student, eps=H)
    unscaled_numeric = numerical_grad(lambda v: cross_entropy(v, p_t, T), student, eps=H)
    np.testing.assert_allclose(
        distillation_grad(student, teacher, T), scaled_numeric, rtol=1e-6, atol=1e-8 * T**2
    )
    np.testing.assert_allclose(
        distillation_grad(student, teacher, T, scaled=False),
        unscaled_numeric,
        rtol=1e-6,
        atol=1e-8,
    )


@pytest.mark.parametrize(("student", "teacher"), DISTILL_PAIRS, ids=_case_id)
def test_distillation_grad_scaling_with_T(
    student: tuple[float, ...], teacher: tuple[float, ...]
) -> None:
    """At T = 10, 100, 1000 the unscaled norm falls 100x a decade; the scaled one settles."""
    Ts = [10.0, 100.0, 1000.0]
    unscaled = [float(np.linalg.norm(distillation_grad(student, teacher, T, False))) for T in Ts]
    scaled = [float(np.linalg.norm(distillation_grad(student, teacher, T))) for T in Ts]
    for a, b in itertools.pairwise(unscaled):
        assert abs(a / b / 100.0 - 1.0) < 0.05
    ratios = [a / b for a, b in itertools.pairwise(scaled)]
    assert all(abs(r - 1.0) < 0.05 for r in ratios)
    assert abs(ratios[1] - 1.0) < abs(ratios[0] - 1.0)  # converging
    # The limit: softmax(o/T) ~ (1 + (o - mean o)/T)/K, so T (p_s - p_t) -> (s - t - mean)/K.
    s, t = np.array(student), np.array(teacher)
    limit = ((s - s.mean()) - (t - t.mean())) / s.size
    # The next term is O(1/T) of the limit's size.
    np.testing.assert_allclose(
        distillation_grad(student, teacher, 1000.0), limit, rtol=0, atol=1e-3 * np.abs(limit).max()
    )


@pytest.mark.parametrize(
    ("student", "teacher"),
    [([1.0, 0.0], [1.0, 0.0, 0.0]), ([[1.0, 0.0, 0.0]], [1.0, 0.0, 0.0])],
    ids=_case_id,
)
def test_distillation_grad_rejects_shape_mismatch(student: object, teacher: object) -> None:
    """Student and teacher logits of different shapes raise CEVizError."""
    with pytest.raises(CEVizError, match=r"differ in shape"):
        distillation_grad(student, teacher, 2.0)


@pytest.mark.parametrize("T", [0.0, -1.0, NAN])
def test_distillation_grad_rejects_bad_temperature(T: float) -> None:
    """A temperature that is not a finite number > 0 raises CEVizError."""
    with pytest.raises(CEVizError, match=r"T must be a finite number > 0"):
        distillation_grad([1.0, 0.0], [0.0, 1.0], T)


# --------------------------------------------------------------------------------------
# Numerical stability: the naive softmax and where exp overflows
# --------------------------------------------------------------------------------------


@RANDOM
@given(logit_vectors())
def test_naive_softmax_agrees_for_small_logits(o: np.ndarray) -> None:
    """For logits in [-10, 10] the naive exp(o)/sum exp(o) matches mpmath to 1e-13."""
    assert_close_mp(no_warnings(lambda: naive_softmax(o)), ref_softmax(o, 1.0), rtol=1e-13)


def test_naive_softmax_overflows_at_1000() -> None:
    """[1000, 0]: e^1000 = inf, so p = (inf/inf, 1/inf) = (nan, 0), with no warning."""
    p = no_warnings(lambda: naive_softmax([1000.0, 0.0]))
    assert math.isnan(p[0])
    assert p[1] == 0.0
    np.testing.assert_array_equal(softmax([1000.0, 0.0]), [1.0, 0.0])  # the stable form


def test_naive_softmax_float32_overflows_at_the_threshold() -> None:
    """float32: finite just below log(max) = 88.7228, NaN just above, no warning either way."""
    threshold = overflow_threshold(np.float32)
    below = no_warnings(lambda: naive_softmax([threshold - 0.01, 0.0], np.float32))
    above = no_warnings(lambda: naive_softmax([threshold + 0.01, 0.0], np.float32))
    assert below.dtype == np.float32
    assert np.all(np.isfinite(below))
    assert below[0] == np.float32(1.0)
    assert math.isnan(above[0])
    # One float32 step either side of the real boundary.
    lo, hi = dtype_bracket(np.float32, threshold)
    assert np.all(np.isfinite(no_warnings(lambda: naive_softmax([lo, 0.0], np.float32))))
    assert math.isnan(no_warnings(lambda: naive_softmax([hi, 0.0], np.float32))[0])
    # float64 is fine far past the float32 threshold.
    assert np.all(np.isfinite(naive_softmax([threshold + 0.01, 0.0])))


def dtype_bracket(dtype: type, x: float) -> tuple[np.floating, np.floating]:
    """The largest value of ``dtype`` that is <= x, and the next one up."""
    v = dtype(x)
    lo = v if float(v) <= x else np.nextafter(v, dtype(-np.inf))
    return lo, np.nextafter(lo, dtype(np.inf))


@pytest.mark.parametrize(("dtype", "rounded"), THRESHOLDS, ids=lambda c: repr(c))
def test_overflow_threshold_is_log_max(dtype: type, rounded: float) -> None:
    """overflow_threshold = log(finfo.max): 11.09, 88.72, 709.78, and agrees with mpmath."""
    threshold = overflow_threshold(dtype)
    assert isinstance(threshold, float)
    assert math.isclose(threshold, math.log(float(np.finfo(dtype).max)), rel_tol=2 * U)
    assert round(threshold, 2) == rounded
    with mpmath.workdps(DPS):
        assert_close_mp(threshold, mpmath.log(_mpf(np.finfo(dtype).max)), rtol=2 * U)


@pytest.mark.parametrize(("dtype", "rounded"), THRESHOLDS, ids=lambda c: repr(c))
def test_overflow_threshold_brackets_the_overflow(dtype: type, rounded: float) -> None:
    """In dtype, exp is finite at the last value <= the threshold and inf at the next one."""
    # The threshold is the real number log(max); float16 and float32 cannot hold it. Rounded to
    # the nearest float16 it becomes 11.09375 (log 65504 = 11.08987) and to the nearest float32
    # 88.72283935546875 (log max = 88.72283911), both above the real boundary, so exp of the
    # rounded value is inf there; the value one step below, 11.0859375 or 88.72283172607422, is
    # the largest with a finite exp. In float64 log(max) = 709.782712893384 is itself the last
    # finite one.
    threshold = overflow_threshold(dtype)
    lo, hi = dtype_bracket(dtype, threshold)
    assert float(lo) <= threshold < float(hi)
    finite = no_warnings(lambda: np.exp(lo))
    assert finite.dtype == dtype
    assert np.isfinite(finite)
    assert finite > np.finfo(dtype).max / 1.01  # really at the top of the range
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(hi))


def test_overflow_threshold_float64_is_itself_the_last_finite() -> None:
    """float64: exp(threshold) is finite, exp(nextafter(threshold, inf)) is inf."""
    threshold = overflow_threshold(np.float64)
    assert math.isfinite(math.exp(threshold))
    with pytest.raises(OverflowError):
        math.exp(math.nextafter(threshold, INF))


def test_overflow_threshold_of_narrow_types_rounds_up() -> None:
    """float16 and float32 round their threshold up to 11.09375 and 88.72283935546875."""
    assert float(np.float16(overflow_threshold(np.float16))) == 11.09375
    assert float(np.float32(overflow_threshold(np.float32))) == 88.72283935546875
    assert dtype_bracket(np.float16, overflow_threshold(np.float16))[0] == np.float16(11.0859375)
    assert dtype_bracket(np.float32, overflow_threshold(np.float32))[0] == np.float32(
        88.72283172607421875
    )


# --------------------------------------------------------------------------------------
# The sigmoid and the binary case
# --------------------------------------------------------------------------------------

HUGE_Z = [1e300, -1e300, FLOAT_MAX, -FLOAT_MAX, 1000.0, -1000.0, 745.0, -745.0, 36.0, -36.0]


@pytest.mark.parametrize("z", HUGE_Z)
def test_sigmoid_is_stable_for_huge_z(z: float) -> None:
    """sigmoid(+-1e300) and beyond: no warning, in [0, 1], 1 or 0 to the float's precision."""
    s = no_warnings(lambda: sigmoid(z))
    assert isinstance(s, float)
    assert 0.0 <= s <= 1.0
    assert_close_mp(s, ref_sigmoid(z), rtol=4 * U, atol=1e-320)


def test_sigmoid_of_an_array() -> None:
    """sigmoid works elementwise on arrays: sigmoid(0) = 1/2, sigmoid(+-1e300) = 1, 0."""
    s = no_warnings(lambda: sigmoid(np.array([0.0, 1e300, -1e300, math.log(3.0)])))
    np.testing.assert_allclose(s, [0.5, 1.0, 0.0, 0.75], rtol=4 * U)


@RANDOM
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_sigmoid_symmetry(z: float) -> None:
    """sigmoid(z) + sigmoid(-z) = 1 within 4u for every finite z, with no warnings."""
    s, s_neg = no_warnings(lambda: (sigmoid(z), sigmoid(-z)))
    assert 0.0 <= s <= 1.0
    assert abs(s + s_neg - 1.0) <= 4 * U


@RANDOM
@given(st.floats(-30.0, 30.0))
def test_sigmoid_matches_formula(z: float) -> None:
    """For moderate z, sigmoid(z) = 1/(1 + exp(-z)) and agrees with mpmath to 4u relative."""
    s = sigmoid(z)
    assert math.isclose(s, 1.0 / (1.0 + math.exp(-z)), rel_tol=8 * U)
    assert_close_mp(s, ref_sigmoid(z), rtol=4 * U)


BINARY_CASES: list[tuple[float, float, float]] = [
    (0.0, 0.0, 1.0),
    (2.0, 3.0, 0.0),
    (-50.0, 50.0, 0.5),
    (0.0, 50.0, 1.0 - 1e-10),  # z > 0 and t near 1: (1 - t) z + log1p(e^-z) = 5.0e-9
    (0.0, 40.0, 0.9999),
    (0.0, 50.0, 0.9999999999999999),  # 1 - t = 2^-53: L = 50 * 2^-53 + e^-50 = 5.6e-15
]


@pytest.mark.parametrize(("o0", "o1", "t"), BINARY_CASES, ids=_case_id)
def test_binary_cross_entropy_matches_reference(o0: float, o1: float, t: float) -> None:
    """binary_cross_entropy_with_logits(z, t) agrees with mpmath to 1e-12 relative."""
    z = o1 - o0
    assert_close_mp(binary_cross_entropy_with_logits(z, t), ref_binary_ce(z, t), what="bce")


@settings(max_examples=200, deadline=None)
@given(st.floats(-50.0, 50.0), st.floats(-50.0, 50.0), st.floats(0.0, 1.0))
@example(0.0, 50.0, 1.0 - 1e-10)
def test_binary_case_identity(o0: float, o1: float, t: float) -> None:
    """K = 2: cross_entropy([o0, o1], [1 - t, t]) = binary_cross_entropy_with_logits(o1 - o0, t)."""
    z = o1 - o0
    ce = cross_entropy([o0, o1], [1.0 - t, t])
    bce = binary_cross_entropy_with_logits(z, t)
    assert abs(ce - bce) <= REL_TOL * abs(ce) + 1e-300, (ce, bce)


@RANDOM
@given(st.floats(-50.0, 50.0), st.floats(-50.0, 50.0), st.floats(0.0, 1.0))
def test_binary_softmax_is_sigmoid_and_gradient(o0: float, o1: float, t: float) -> None:
    """K = 2: softmax(o)_1 = sigmoid(o1 - o0) and dL/do = (-(sigmoid z - t), sigmoid z - t)."""
    z = o1 - o0
    s = sigmoid(z)
    p1 = softmax([o0, o1])[1]
    assert abs(p1 - s) <= 4 * U * s + 1e-300
    g = grad_logits([o0, o1], [1.0 - t, t])
    diff = s - t
    # Both sides subtract numbers of size ~1: compare to a few ulps of 1, not of the difference.
    np.testing.assert_allclose(g, [-diff, diff], rtol=1e-12, atol=4 * U)


# --------------------------------------------------------------------------------------
# The binary pair
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("o", "y", "expected", "why"), BINARY_PAIR_CASES, ids=_case_id)
def test_binary_pair_by_hand(
    o: tuple[float, ...], y: tuple[float, ...], expected: tuple[int, int, float, float], why: str
) -> None:
    """The pair is the true class and its strongest rival; t is finite, never 0/0."""
    pair = no_warnings(lambda: binary_pair(o, y))
    k, j, z, t = expected
    assert (pair.k, pair.j) == (k, j), why
    assert pair.z == pytest.approx(z, rel=1e-15), why
    assert pair.t == pytest.approx(t, rel=1e-15), why
    assert 0.0 < pair.t <= 1.0, why


@pytest.mark.parametrize(("o", "y", "expected", "why"), BINARY_PAIR_CASES, ids=_case_id)
def test_binary_pair_gradient_is_the_restricted_softmax_gradient(
    o: tuple[float, ...], y: tuple[float, ...], expected: tuple[int, int, float, float], why: str
) -> None:
    """sigma(z) - t is dL/do_k of softmax + cross-entropy over the pair (o_j, o_k), target
    (1 - t, t), and BCE(z, t) is that cross-entropy: the page's table, with no warnings."""

    def table() -> tuple[float, float, float, float]:
        pair = binary_pair(o, y)
        o_pair = [o[pair.j], o[pair.k]]
        target = [1.0 - pair.t, pair.t]
        return (
            sigmoid(pair.z) - pair.t,
            float(grad_logits(o_pair, target)[1]),
            binary_cross_entropy_with_logits(pair.z, pair.t),
            cross_entropy(o_pair, target),
        )

    binary_grad, pair_grad, bce, ce = no_warnings(table)
    assert binary_grad == pytest.approx(pair_grad, rel=1e-12, abs=4 * U), why
    assert bce == pytest.approx(ce, rel=1e-12, abs=1e-300), why


@RANDOM
@given(logit_vectors().flatmap(lambda o: st.tuples(st.just(o), targets(o.size))))
def test_binary_pair_properties(case: tuple[np.ndarray, np.ndarray]) -> None:
    """For any logits and target: y_k is the largest weight, o_j the largest other logit,
    t = y_k / (y_k + y_j) in (0, 1], and sigma(z) is p_k / (p_k + p_j) of the K-class
    softmax, so sigma(z) - t is the pair's own gradient p_k - t."""
    o, y = case
    pair = no_warnings(lambda: binary_pair(o, y))
    k, j = pair.k, pair.j
    assert k != j
    assert y[k] == y.max()
    assert o[j] == max(o[i] for i in range(o.size) if i != k)
    assert pair.z == o[k] - o[j]
    assert 0.0 < pair.t <= 1.0
    assert pair.t == pytest.approx(y[k] / math.fsum([y[k], y[j]]), rel=2 * U)
    p = softmax(o)
    assert sigmoid(pair.z) == pytest.approx(p[k] / (p[k] + p[j]), rel=1e-13)
    diff = sigmoid(pair.z) - pair.t
    g = grad_logits([o[j], o[k]], [1.0 - pair.t, pair.t])
    np.testing.assert_allclose(g, [-diff, diff], rtol=1e-12, atol=4 * U)


@pytest.mark.parametrize(
    ("o", "y", "pattern"),
    [
        ([[1.0, 2.0], [3.0, 4.0]], [0.0, 1.0], r"one sample of logits, got shape \(2, 2\)"),
        ([1.0, 2.0, 3.0], [0.0, 1.0], r"does not match logits"),
        ([1.0, 2.0], [0.5, 0.6], r"must sum to 1"),
        ([1.0], [1.0], r"need at least 2 classes"),
    ],
)
def test_binary_pair_rejects_bad_input(o: object, y: object, pattern: str) -> None:
    """A batch, a mismatched or unnormalised target, or one class raise CEVizError."""
    with pytest.raises(CEVizError, match=pattern):
        binary_pair(o, y)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# restrict and simplex_grid
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("p", "classes", "expected"), RESTRICT_CASES, ids=_case_id)
def test_restrict_renormalises(p: object, classes: list[int], expected: object) -> None:
    """restrict(p, c) = p[c] / sum p[c], worked by hand."""
    r = restrict(p, classes)
    np.testing.assert_allclose(r, expected, rtol=1e-15, atol=0)
    np.testing.assert_allclose(r.sum(axis=-1), 1.0, rtol=0, atol=4 * U)


@RANDOM
@given(st.integers(2, 10).flatmap(lambda k: st.tuples(soft_targets(k), st.data())))
def test_restrict_properties(case: tuple[np.ndarray, st.DataObject]) -> None:
    """On any subset with mass, restrict sums to 1 and keeps the ratios p_i / p_j."""
    p, data = case
    support = [i for i in range(p.size) if p[i] > 0]
    classes = data.draw(st.lists(st.sampled_from(range(p.size)), min_size=1, unique=True))
    if not any(p[c] > 0 for c in classes):
        classes = [*classes, data.draw(st.sampled_from(support))]
    r = restrict(p, classes)
    mass = math.fsum(p[c] for c in classes)
    assert abs(math.fsum(r) - 1.0) <= 2 * len(classes) * U
    np.testing.assert_allclose(r * mass, p[classes], rtol=4 * U, atol=0)


@pytest.mark.parametrize(("p", "classes"), ZERO_MASS_CASES, ids=_case_id)
def test_restrict_rejects_zero_mass(p: object, classes: list[int]) -> None:
    """A subset with no probability, the empty subset included, raises CEVizError."""
    with pytest.raises(CEVizError, match=r"no probability to renormalise"):
        restrict(p, classes)


@pytest.mark.parametrize(("n", "expected"), SIMPLEX_CASES, ids=_case_id)
def test_simplex_grid_small(n: int, expected: list[tuple[int, int, int]]) -> None:
    """simplex_grid(n) is every (i, j, k)/n with i, j, k >= 1 and i + j + k = n, worked by hand."""
    grid = simplex_grid(n)
    got = sorted(tuple(round(float(x) * n) for x in row) for row in grid)
    assert got == expected
    np.testing.assert_allclose(grid * n, np.rint(grid * n), rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [3, 4, 5, 10, 31, 100])
def test_simplex_grid_properties(n: int) -> None:
    """(n - 1)(n - 2)/2 distinct rows, each strictly positive and summing to 1."""
    grid = simplex_grid(n)
    assert grid.shape == ((n - 1) * (n - 2) // 2, 3)
    assert np.all(grid > 0)
    assert np.all(grid >= 1.0 / n - U)
    np.testing.assert_allclose(grid.sum(axis=1), 1.0, rtol=0, atol=4 * U)
    assert len({tuple(np.rint(row * n).astype(int)) for row in grid}) == len(grid)


def test_simplex_grid_accepts_numpy_integers() -> None:
    """A NumPy integer n is accepted like an int."""
    np.testing.assert_array_equal(simplex_grid(np.int64(5)), simplex_grid(5))


@pytest.mark.parametrize("n", BAD_SIMPLEX_N, ids=_case_id)
def test_simplex_grid_rejects_bad_n(n: object) -> None:
    """n < 3, a float, a bool, a string or None raise CEVizError."""
    with pytest.raises(CEVizError, match=r"simplex grid needs n >= 3"):
        simplex_grid(n)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# restricted_softmax and simplex_problem: a trio whose probabilities underflow
# --------------------------------------------------------------------------------------


@RANDOM
@given(
    logit_vectors(3, 8).flatmap(
        lambda o: st.tuples(
            st.just(o),
            st.lists(st.sampled_from(range(o.size)), min_size=2, max_size=o.size, unique=True),
        )
    ),
    st.sampled_from(SMALL_T),
)
def test_restricted_softmax_is_the_renormalised_share(
    case: tuple[np.ndarray, list[int]], T: float
) -> None:
    """Where the chosen classes carry probability, restricted_softmax = restrict(softmax)."""
    o, classes = case
    np.testing.assert_allclose(
        restricted_softmax(o, classes, T), restrict(softmax(o, T), classes), rtol=1e-13, atol=0
    )


def test_restricted_softmax_where_the_share_underflows() -> None:
    """Logits (0, 0, 0, 1000): p_0..p_2 underflow and restrict raises, but their share of
    the probability is still exactly 1/3 each; a batch keeps its rows."""
    o = [0.0, 0.0, 0.0, 1000.0]
    with pytest.raises(CEVizError, match="no probability to renormalise"):
        restrict(softmax(o), [0, 1, 2])
    r = no_warnings(lambda: restricted_softmax(o, [0, 1, 2]))
    np.testing.assert_allclose(r, [1 / 3, 1 / 3, 1 / 3], rtol=2 * U)
    path = np.array([o, [0.0, 2000.0, 0.0, 1000.0]])
    rows = no_warnings(lambda: restricted_softmax(path, [1, 2, 3], T=0.01))
    np.testing.assert_array_equal(rows, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("classes", [[0], [0, 4], [-1, 0, 1], [[0, 1]]], ids=_case_id)
def test_restricted_softmax_rejects_bad_classes(classes: object) -> None:
    """Fewer than two classes, an index out of range or a nested list raise CEVizError."""
    with pytest.raises(CEVizError, match=r"classes must be two or more indices in 0..3"):
        restricted_softmax([1.0, 2.0, 3.0, 4.0], classes)  # type: ignore[arg-type]


@RANDOM
@given(logit_vectors(3, 8), st.sampled_from(SMALL_T), st.integers(0, 2**32 - 1))
def test_restricted_softmax_of_moves_is_the_softmax_at_the_moved_logits(
    o: np.ndarray, T: float, seed: int
) -> None:
    """With offsets d, restricted_softmax is restricted_softmax of o + d, row by row."""
    d = np.random.default_rng(seed).uniform(-5.0, 5.0, (4, o.size))
    classes = [0, o.size - 1, 1]
    got = restricted_softmax(o, classes, T, offsets=d)
    np.testing.assert_allclose(got, restricted_softmax(o + d, classes, T), rtol=1e-12, atol=1e-300)


def test_restricted_softmax_counts_moves_the_logits_cannot_hold() -> None:
    """At logits 1e300, o + 1 rounds back to o, but a move of 1 still shifts the share:
    to softmax of the moves alone when the chosen logits are equal; a class 2e300 below
    the others keeps no share whatever it moves."""
    o = [1e300, 1e300, 1e300, -1e300]
    d = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 0.0, 50.0]])
    assert np.all(np.asarray(o) + d[1] == np.asarray(o) + d[0])  # the floats cannot move
    got = no_warnings(lambda: restricted_softmax(o, [0, 1, 2], offsets=d))
    np.testing.assert_allclose(got, softmax(d[:, :3]), rtol=1e-15)
    far = no_warnings(lambda: restricted_softmax(o, [0, 3], T=0.01, offsets=d))
    np.testing.assert_array_equal(far, [[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(CEVizError, match=r"offsets must be finite, one per class"):
        restricted_softmax(o, [0, 1], offsets=[[0.0, 1.0]])
    with pytest.raises(CEVizError, match=r"offsets must be finite, one per class"):
        restricted_softmax(o, [0, 1], offsets=[0.0, NAN, 0.0, 0.0])


@RANDOM
@given(logit_vectors(2, 6), st.sampled_from(SMALL_T))
def test_relative_gradient_sweep_is_the_sweep_of_the_moved_logit(o: np.ndarray, T: float) -> None:
    """gradient_sweep(relative=True) over moves d is gradient_sweep over o_k + d."""
    k = o.size - 1
    y = np.full(o.size, 1.0 / o.size)
    moves = np.linspace(-15.0, 15.0, 31)
    ce, mse = gradient_sweep(o, y, k, moves, T, relative=True)
    ce_ref, mse_ref = gradient_sweep(o, y, k, o[k] + moves, T)
    np.testing.assert_allclose(ce, ce_ref, rtol=1e-9, atol=1e-14 / T)
    np.testing.assert_allclose(mse, mse_ref, rtol=1e-9, atol=1e-14 / T)


def test_relative_gradient_sweep_at_logits_too_large_to_move() -> None:
    """At o = (1e300, 1e300) every o_k + d is o_k, a flat sweep; the moves give the sigmoid
    curve of two equal logits, and o = (-1e300, 0) gives the confidently wrong end: the
    cross-entropy push is 1 and MSE's is 0."""
    moves = np.linspace(-3.0, 3.0, 7)
    flat, _ = gradient_sweep([1e300, 1e300], [1.0, 0.0], 0, 1e300 + moves)
    assert np.ptp(flat) == 0.0
    ce, _ = no_warnings(lambda: gradient_sweep([1e300, 1e300], [1.0, 0.0], 0, moves, relative=True))
    np.testing.assert_allclose(ce, 1.0 / (1.0 + np.exp(moves)), rtol=1e-14)
    ce, mse = no_warnings(
        lambda: gradient_sweep([-1e300, 0.0], [1.0, 0.0], 0, moves, T=0.01, relative=True)
    )
    np.testing.assert_array_equal(ce, np.full(7, 100.0))
    np.testing.assert_array_equal(mse, np.zeros(7))


@pytest.mark.parametrize(("o", "y", "trio", "T", "phrases"), SIMPLEX_PROBLEMS, ids=_case_id)
def test_simplex_problem_says_why_and_what_to_choose(
    o: tuple[float, ...], y: tuple[float, ...], trio: list[int], T: float, phrases: list[str]
) -> None:
    """A trio with no target weight or no probability is named, with a trio that works."""
    message = no_warnings(lambda: simplex_problem(o, y, trio, "abcd", T))
    assert isinstance(message, str)
    for phrase in phrases:
        assert phrase in message


@pytest.mark.parametrize(
    ("o", "y", "trio", "T"),
    [
        ((2.0, 3.0, 4.0), (0.0, 1.0, 0.0), [0, 1, 2], 1.0),
        ((0.0, 0.0, 0.0, 1000.0), (1.0, 0.0, 0.0, 0.0), [0, 1, 3], 1.0),  # the suggestion
        ((0.0, 0.0, 0.0, 10.0), (0.0, 0.0, 1.0, 0.0), [0, 1, 2], 1.0),  # T = 1: no underflow
        ((0.0, 0.0, 0.0, 700.0), (1.0, 0.0, 0.0, 0.0), [0, 1, 2], 1.0),  # tiny, but not 0
    ],
    ids=_case_id,
)
def test_simplex_problem_none_when_drawable(
    o: tuple[float, ...], y: tuple[float, ...], trio: list[int], T: float
) -> None:
    """A trio with target weight and some probability can be drawn: no message."""
    assert simplex_problem(o, y, trio, "abcd"[: len(o)], T) is None


@RANDOM
@given(
    st.integers(3, 8).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(-3000.0, 3000.0), min_size=k, max_size=k).map(np.array),
            targets(k),
        )
    ),
    st.sampled_from([0.01, 1.0, 100.0]),
)
def test_simplex_problem_suggestion_always_draws(
    case: tuple[np.ndarray, np.ndarray], T: float
) -> None:
    """The true class and its two strongest rivals, the trio a message suggests, can always
    be drawn, however far apart the logits are."""
    o, y = case
    k = int(np.argmax(y))
    rivals = sorted((i for i in range(o.size) if i != k), key=lambda i: -o[i])[:2]
    names = [f"c{i}" for i in range(o.size)]
    assert no_warnings(lambda: simplex_problem(o, y, [k, *rivals], names, T)) is None


@pytest.mark.parametrize(
    ("o", "trio", "names", "pattern"),
    [
        ([1.0, 2.0], [0, 1, 1], "ab", r"3 or more logits"),
        ([1.0, 2.0, 3.0], [0, 1, 1], "abc", r"three different classes of 0..2"),
        ([1.0, 2.0, 3.0], [0, 1, 3], "abc", r"three different classes of 0..2"),
        ([1.0, 2.0, 3.0], [0, 1], "abc", r"three different classes of 0..2"),
        ([1.0, 2.0, 3.0], [0, 1, 2], "ab", r"2 names given for 3 classes"),
    ],
    ids=_case_id,
)
def test_simplex_problem_rejects_bad_input(
    o: list[float], trio: list[int], names: str, pattern: str
) -> None:
    """Two classes, a repeated or missing class, or too few names raise CEVizError."""
    y = np.eye(len(o))[0]
    with pytest.raises(CEVizError, match=pattern):
        simplex_problem(o, y, trio, names)


@pytest.mark.parametrize(
    "o", [[2.0, 3.0, 4.0], [1000.0, 0.0, -1000.0], [1e300, -1e300, 0.0, 5.0], [0.0, 0.0]]
)
def test_sweeps_over_temperature_equal_the_one_at_a_time_loops(o: list[float]) -> None:
    """temperature_sweep and distillation_grad_norms work over all temperatures at once:
    every row of p is bit for bit softmax one T at a time, and every norm that of
    distillation_grad to the last bits (a norm along an axis sums in another order)."""
    ts = np.logspace(-2, 3, 17)
    rows = temperature_sweep(o, ts)
    for t, row in zip(ts, rows, strict=True):
        assert np.array_equal(row, softmax(o, t))
    student = np.zeros(len(o))
    for scaled in (True, False):
        norms = distillation_grad_norms(o, ts, scaled=scaled)
        loop = [np.linalg.norm(distillation_grad(student, o, t, scaled=scaled)) for t in ts]
        np.testing.assert_allclose(norms, loop, rtol=1e-15, atol=0.0)


# --------------------------------------------------------------------------------------
# temperature_gradient: the gradient's size against T, beside an exact 1/T line
# --------------------------------------------------------------------------------------

#: (logits, y, T): the seed, a soft target, confident and right (p rounds to y at low T),
#: confident and wrong, huge logits, and a current T outside the sweep.
TEMPERATURE_GRADIENT_CASES: list[tuple[list[float], list[float], float]] = [
    ([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 5.0),
    ([2.0, 3.0, 4.0], [0.1, 0.8, 0.1], 1.0),
    ([8.0, 1.0, -2.0], [1.0, 0.0, 0.0], 0.5),
    ([-3.0, 8.0, 1.0], [1.0, 0.0, 0.0], 1.0),
    ([1e300, -1e300, 0.0], [0.0, 1.0, 0.0], 0.01),
    ([0.5, -1.0, 3.0, 0.0], [0.0, 0.0, 1.0, 0.0], 100.0),
]


def ref_grad_norm(o: Sequence[float], y: Sequence[float], T: float) -> mpmath.mpf:
    """||(p_T - y)/T|| at 50 digits, the closed form of the cross-entropy's gradient.

    p_k of the largest logit can lie closer to 1 than 50 digits resolve (8, 1, −2 at
    T = 0.03: 1 − p_0 ≈ 1e-96), so its 1 − p_k is the others' p summed, which is exact."""
    with mpmath.workdps(DPS):
        p = ref_softmax(o, T)
        k = max(range(len(o)), key=lambda i: (o[i], -i))
        diff = [pi - _mpf(yi) for pi, yi in zip(p, y, strict=True)]
        diff[k] = (1 - _mpf(y[k])) - mpmath.fsum(p[:k] + p[k + 1 :])
        return mpmath.sqrt(mpmath.fsum((d / _mpf(T)) ** 2 for d in diff))


@pytest.mark.parametrize(("o", "y", "T"), TEMPERATURE_GRADIENT_CASES)
def test_temperature_gradient_is_the_closed_form_at_every_temperature(
    o: list[float], y: list[float], T: float
) -> None:
    """Every norm of the sweep is ||(p_T - y)/T|| at 50 digits, to 1e-12 relative, even
    where p_T rounds to y (the arg-max class's p - y cancels if taken as written)."""
    g = temperature_gradient(o, y, T)
    assert T in g.temperatures.tolist()
    assert np.all(np.diff(g.temperatures) > 0)
    assert set(TEMPERATURES.tolist()) <= set(g.temperatures.tolist())
    for t, norm in zip(g.temperatures[::6], g.norms[::6], strict=True):
        expected = float(ref_grad_norm(o, y, float(t)))
        assert norm == pytest.approx(expected, rel=1e-12, abs=TINY_ABS), t


def test_temperature_gradient_keeps_the_tiny_gradient_of_a_confident_right_answer() -> None:
    """logits 8, 1, −2 with the true class 0 at T = 0.25: ||p − y||/T is about 5e-12; taking
    1 − p_0 as 1 − (rounded p_0) would give 0 or a number off by orders of magnitude."""
    g = temperature_gradient([8.0, 1.0, -2.0], [1.0, 0.0, 0.0], 0.25)
    expected = float(ref_grad_norm([8.0, 1.0, -2.0], [1.0, 0.0, 0.0], 0.25))
    assert 1e-13 < expected < 1e-10
    assert g.norm == pytest.approx(expected, rel=1e-12)
    (at,) = np.flatnonzero(g.temperatures == 0.25)
    assert g.norms[at] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("o", "y", "T"), TEMPERATURE_GRADIENT_CASES[:4])
def test_temperature_gradient_at_the_current_t_is_the_finite_difference_gradient(
    o: list[float], y: list[float], T: float
) -> None:
    """The marked norm is the size of the loss's own slope: central differences of
    cross_entropy(o, y, T), one logit at a time."""
    g = temperature_gradient(o, y, T)
    slope = []
    for i in range(len(o)):
        up, down = np.array(o, dtype=float), np.array(o, dtype=float)
        up[i] += H
        down[i] -= H
        slope.append((cross_entropy(up, y, T) - cross_entropy(down, y, T)) / (2 * H))
    assert g.norm == pytest.approx(float(np.linalg.norm(slope)), rel=1e-7)


@pytest.mark.parametrize(("o", "y", "T"), TEMPERATURE_GRADIENT_CASES)
def test_temperature_gradient_reference_is_exactly_one_over_t_through_the_current_t(
    o: list[float], y: list[float], T: float
) -> None:
    """The reference line is c/T: reference × T is the same at every temperature, and it
    meets the curve at the current T."""
    g = temperature_gradient(o, y, T)
    assert g.anchor == T
    np.testing.assert_allclose(g.reference * g.temperatures, g.norm * T, rtol=1e-14)
    (at,) = np.flatnonzero(g.temperatures == T)
    assert g.reference[at] == pytest.approx(g.norms[at], rel=1e-14)
    assert g.norms[at] == pytest.approx(g.norm, rel=1e-14)


def test_temperature_gradient_reference_moves_where_the_gradient_is_exactly_zero() -> None:
    """logits 1000, 0, −1000 with the true class 0: at T = 1 p is y exactly in floats and
    the gradient is 0, which no log axis shows; the 1/T line then goes through the largest
    temperature of the sweep, where e^(−1000/T) is still a float."""
    g = temperature_gradient([1000.0, 0.0, -1000.0], [1.0, 0.0, 0.0], 1.0)
    assert g.norm == 0.0
    assert g.anchor == g.temperatures[-1] == TEMPERATURES[-1]
    expected = float(ref_grad_norm([1000.0, 0.0, -1000.0], [1.0, 0.0, 0.0], g.anchor))
    assert g.norms[-1] == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(g.reference * g.temperatures, expected * g.anchor, rtol=1e-12)


@pytest.mark.parametrize("temperatures", [[1.0, 0.0], [-2.0], [[1.0, 2.0]], []])
def test_temperature_gradient_rejects_bad_temperatures(temperatures: object) -> None:
    """A sweep with a temperature that is not a finite number > 0 is a CEVizError."""
    with pytest.raises(CEVizError, match="temperatures must be"):
        temperature_gradient([1.0, 2.0], [1.0, 0.0], 1.0, temperatures)


def test_mse_loss_and_grad_for_checks_once_and_gives_the_same_floats() -> None:
    """A training loop's MSE (targets and T checked once) gives mse_loss and mse_grad's
    floats, bit for bit, for new logits on every call (its checks are tested with
    cross-entropy's in test_core)."""
    rng = np.random.default_rng(3)
    o = rng.normal(size=(50, 4)) * 3
    y = np.eye(4)[rng.integers(0, 4, size=50)] * 0.9 + 0.025
    for T in (1.0, 0.4):
        step = mse_loss_and_grad_for(y, T)
        for shift in (0.0, 7.0):
            loss, grad = step(o + shift)
            np.testing.assert_array_equal(loss, mse_loss(o + shift, y, T))
            np.testing.assert_array_equal(grad, mse_grad(o + shift, y, T))
            both = mse_loss_and_grad(o + shift, y, T)
            np.testing.assert_array_equal(both[0], loss)
            np.testing.assert_array_equal(both[1], grad)
