"""The facts behind p − y, as functions: cross-entropy against MSE, temperature and
distillation, numerical stability, the binary case, and the probability simplex.

NumPy only. Each function is the formula a view states, so the page and the tests share it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ce_viz._checks import (
    CEVizError,
    check_logits,
    check_one_sample,
    check_temperature,
    check_y,
    fixed_targets,
    is_index,
)
from ce_viz.core import (
    cross_entropy,
    grad_logits,
    log_softmax,
    softmax,
    softmax_jacobian,
    softmax_over_temperatures,
)
from ce_viz.fmt import fmt, fmt_short, fmt_sig, logit_label, named_values

__all__ = [
    "BIG_SHIFT",
    "DISTILL_TEMPERATURES",
    "SIMPLEX_HEIGHT",
    "SMOOTHING_VALUES",
    "TEMPERATURES",
    "BinaryCase",
    "BinaryPair",
    "Stability",
    "TemperatureGradient",
    "alt_ce_vs_mse",
    "alt_distillation",
    "alt_smoothing",
    "alt_temperature",
    "alt_temperature_gradient",
    "binary_case",
    "binary_cross_entropy_with_logits",
    "binary_pair",
    "chain_rule",
    "distillation_grad",
    "distillation_grad_norms",
    "gradient_sweep",
    "hessian_eigenvalues",
    "loss_hessian",
    "mse_grad",
    "mse_loss",
    "mse_loss_and_grad",
    "mse_loss_and_grad_for",
    "naive_softmax",
    "overflow_threshold",
    "overflow_thresholds",
    "restrict",
    "restricted_softmax",
    "share",
    "sigmoid",
    "simplex_grid",
    "simplex_losses",
    "simplex_problem",
    "simplex_sheet",
    "simplex_xy",
    "stability",
    "temperature_gradient",
    "temperature_sweep",
    "trio_loss",
    "value_nearest",
]

FloatArray = NDArray[np.float64]


def mse_loss(logits: ArrayLike, y: ArrayLike, T: float = 1.0) -> FloatArray | float:
    """Squared error on the softmax output: ``sum_i (p_i - y_i)^2``.

    >>> mse_loss([0.0, 0.0], [1.0, 0.0])
    0.5
    """
    loss = mse_loss_and_grad(logits, y, T)[0]
    return float(loss) if loss.ndim == 0 else loss


def mse_grad(logits: ArrayLike, y: ArrayLike, T: float = 1.0) -> FloatArray:
    """Gradient of :func:`mse_loss` with respect to the logits: ``J^T 2(p - y)``.

    With ``J = (diag p - p p^T)/T`` this is ``2 p * (d - sum_j p_j d_j) / T`` for
    ``d = p - y``. Every component carries a factor ``p_i``: when the true class has
    ``p_k ~ 0`` (confidently wrong) its component vanishes, where cross-entropy's is ``-1``.

    >>> mse_grad([0.0, 0.0], [1.0, 0.0])
    array([-0.5,  0.5])
    """
    return mse_loss_and_grad(logits, y, T)[1]


def mse_loss_and_grad(
    logits: ArrayLike, y: ArrayLike, T: float = 1.0
) -> tuple[FloatArray, FloatArray]:
    """:func:`mse_loss` (an array, shape ``(...)``) and :func:`mse_grad` (``(..., K)``) from
    one softmax: the one definition of MSE on p that the "why" view, a training under MSE
    and its one-layer-back panel all use.

    >>> loss, g = mse_loss_and_grad([[0.0, 0.0]], [[1.0, 0.0]])
    >>> loss.tolist(), g.tolist()
    ([0.5], [[-0.5, 0.5]])
    """
    o = check_logits(logits)
    return _mse(o, check_y(y, o.shape), check_temperature(T))


def mse_loss_and_grad_for(
    y: ArrayLike, T: float = 1.0
) -> Callable[[ArrayLike], tuple[FloatArray, FloatArray]]:
    """:func:`mse_loss_and_grad` as a function of the logits alone, the targets ``y``
    (n, K) and ``T`` checked once (the logits each call): what a training loop under MSE
    calls at every step, as ``core.loss_and_grad_for`` is for cross-entropy.

    >>> step = mse_loss_and_grad_for([[1.0, 0.0]])
    >>> [a.tolist() for a in step([[0.0, 0.0]])]
    [[0.5], [[-0.5, 0.5]]]
    """
    return fixed_targets(_mse, y, T)


def _mse(o: FloatArray, y: FloatArray, t: float) -> tuple[FloatArray, FloatArray]:
    """:func:`mse_loss_and_grad` of checked inputs: one softmax, ``Σ (p − y)²`` and
    ``2 J (p − y)``."""
    p = softmax(o, t)
    diff = p - y
    d = 2.0 * diff
    return (diff**2).sum(axis=-1), p * (d - (p * d).sum(axis=-1, keepdims=True)) / t


def loss_hessian(logits: ArrayLike, T: float = 1.0) -> FloatArray:
    """The Hessian of the cross-entropy with respect to the logits, ``(diag p - p p^T)/T^2``.

    It does not depend on the target (for any ``y`` summing to 1) and is positive
    semi-definite, so the loss is convex in the logits.

    >>> loss_hessian([0.0, 0.0], T=2.0)
    array([[ 0.0625, -0.0625],
           [-0.0625,  0.0625]])
    """
    t = check_temperature(T)
    return softmax_jacobian(logits, t) / t


def temperature_sweep(logits: ArrayLike, temperatures: ArrayLike) -> FloatArray:
    """``softmax(o / T)`` for each ``T``: shape ``(len(temperatures), K)``.

    >>> temperature_sweep([0.0, 1.0], [1e-3, 1e3]).round(3)
    array([[0. , 1. ],
           [0.5, 0.5]])
    """
    o = check_one_sample(logits, "temperature_sweep")
    return softmax_over_temperatures(o, _temperatures(temperatures))


def _temperatures(temperatures: ArrayLike) -> FloatArray:
    """``temperatures`` as a checked 1-D float array of finite numbers > 0."""
    try:
        ts = np.asarray(temperatures, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CEVizError(f"temperatures must be numbers, got {temperatures!r}") from exc
    if ts.ndim != 1 or ts.size == 0 or not np.all(np.isfinite(ts)) or np.any(ts <= 0):
        raise CEVizError("temperatures must be a 1-D array of finite numbers > 0")
    return ts


def distillation_grad(
    student: ArrayLike, teacher: ArrayLike, T: float, scaled: bool = True
) -> FloatArray:
    """Gradient of the distillation loss with respect to the student's logits.

    The loss is ``T^2 * H(softmax(teacher/T), softmax(student/T))`` when ``scaled`` (the
    convention of Hinton et al.), and its gradient is ``T (p_s - p_t)``. Without the ``T^2``
    it is ``(p_s - p_t)/T``, which shrinks like ``1/T^2`` for large ``T`` since ``p_s - p_t``
    itself shrinks like ``1/T``: the ``T^2`` keeps the soft-target term's size independent of T.

    >>> distillation_grad([1.0, 0.0], [0.0, 1.0], T=1.0).round(4)
    array([ 0.4621, -0.4621])
    """
    t = check_temperature(T)
    p_s = softmax(student, t)
    p_t = softmax(teacher, t)
    if p_s.shape != p_t.shape:
        raise CEVizError(f"student {p_s.shape} and teacher {p_t.shape} logits differ in shape")
    return (p_s - p_t) * (t if scaled else 1.0 / t)


def distillation_grad_norms(
    teacher: ArrayLike, temperatures: ArrayLike, scaled: bool = True
) -> FloatArray:
    """``‖distillation_grad(0, teacher, T)‖`` for each ``T``: a student with all-zero logits
    learning from ``teacher``, the soft-target gradient's size, with or without the ``T²``.

    >>> distillation_grad_norms([1.0, 0.0], [1.0, 10.0], scaled=False).round(4)
    array([0.3268, 0.0035])
    """
    ts = np.asarray(temperatures, dtype=np.float64).ravel()
    p_t = softmax_over_temperatures(teacher, ts)
    p_s = softmax_over_temperatures(np.zeros(p_t.shape[1]), ts)
    factor = ts if scaled else 1.0 / ts
    return np.linalg.norm((p_s - p_t) * factor[:, None], axis=1)


@dataclass(frozen=True)
class TemperatureGradient:
    """The gradient's size against the temperature (see :func:`temperature_gradient`)."""

    temperatures: FloatArray  # the sweep, with the current T in it, ascending
    norms: FloatArray  # ||dL/do|| = ||p_T - y|| / T at each temperature
    T: float  # the current temperature
    norm: float  # ||dL/do|| at T: the app's own gradient
    anchor: float  # where the 1/T line meets the curve: T, or the largest T with a norm > 0
    reference: FloatArray  # exactly 1/T through the anchor (zeros if every norm is 0)


def temperature_gradient(
    logits: ArrayLike, y: ArrayLike, T: float, temperatures: ArrayLike | None = None
) -> TemperatureGradient:
    """The size of ``dL/do = (p_T - y)/T`` over a sweep of temperatures (``TEMPERATURES``
    by default, with ``T`` added), beside the line that falls exactly like ``1/T`` through
    the current ``T``: where the curve leaves that line, ``p_T`` itself is changing.

    The arg-max class's ``p - y`` is taken as ``(1 - y) - (1 - p)``, with ``1 - p`` the sum
    of the other classes' ``p``, as the core's gradient does: no cancellation where ``p``
    rounds to 1.

    >>> g = temperature_gradient([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 5.0, [1.0, 10.0])
    >>> g.temperatures.tolist(), round(g.norm, 4), g.reference.round(4).tolist()
    ([1.0, 5.0, 10.0], 0.1654, [0.8272, 0.1654, 0.0827])

    Parameters: ``logits`` and ``y`` of shape ``(K,)``, ``T > 0``, ``temperatures`` > 0.
    """
    o = check_one_sample(logits, "temperature_gradient")
    y_arr = np.asarray(check_y(y, o.shape))
    t = check_temperature(T)
    sweep = _temperatures(TEMPERATURES if temperatures is None else temperatures)
    ts = np.union1d(sweep, [t])
    p = softmax_over_temperatures(o, ts)
    diff = p - y_arr
    top = int(np.argmax(o))  # the arg-max of o / T for every T > 0
    diff[:, top] = (1.0 - y_arr[top]) - np.delete(p, top, axis=1).sum(axis=1)
    norms = np.linalg.norm(diff / ts[:, None], axis=1)
    norm = float(np.linalg.norm(grad_logits(o, y_arr, t)))
    positive = np.flatnonzero(norms > 0)
    if norm > 0 or not positive.size:
        anchor, at = t, norm
    else:
        anchor, at = float(ts[positive[-1]]), float(norms[positive[-1]])
    return TemperatureGradient(ts, norms, t, norm, anchor, at * anchor / ts)


def naive_softmax(logits: ArrayLike, dtype: type = np.float64) -> NDArray[np.floating]:
    """Softmax as the formula reads, ``exp(o) / sum exp(o)``, with no shift: for showing
    why the stable form exists. It overflows to ``inf`` and gives ``nan`` on large logits.

    >>> naive_softmax([1000.0, 0.0]).tolist()
    [nan, 0.0]
    """
    o = np.asarray(logits, dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(o)
        return e / e.sum(axis=-1, keepdims=True)


def overflow_threshold(dtype: type) -> float:
    """Where ``exp`` overflows in ``dtype``: ``log(max)``, computed in float64.

    In float16 and float32 this value itself rounds up to the first overflowing ``x``; the
    largest finite one lies just below it.

    >>> [round(overflow_threshold(t), 2) for t in (np.float16, np.float32, np.float64)]
    [11.09, 88.72, 709.78]
    """
    return float(np.log(float(np.finfo(dtype).max)))


def sigmoid(z: ArrayLike) -> FloatArray | float:
    """The logistic function ``1 / (1 + e^-z)``, stable for any finite ``z``.

    >>> sigmoid(0.0), sigmoid(-1000.0), sigmoid(1000.0)
    (0.5, 0.0, 1.0)
    """
    x = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(out) if out.ndim == 0 else out


def binary_cross_entropy_with_logits(z: ArrayLike, t: ArrayLike) -> FloatArray | float:
    """Binary cross-entropy of target ``t`` against ``sigmoid(z)``, from the logit:
    ``(1 - t) max(z, 0) + t max(-z, 0) + log1p(e^-|z|)``.

    With ``K = 2`` the softmax cross-entropy of logits ``(o_0, o_1)`` and target
    ``(1 - t, t)`` equals this at ``z = o_1 - o_0``.

    >>> round(binary_cross_entropy_with_logits(0.0, 1.0), 6)
    0.693147
    """
    x = np.asarray(z, dtype=np.float64)
    target = np.asarray(t, dtype=np.float64)
    # (1 - t) max(z, 0) + t max(-z, 0) equals max(z, 0) - t z, written as two
    # non-negative terms so that nothing cancels when t is close to 1.
    out = (
        (1.0 - target) * np.maximum(x, 0.0)
        + target * np.maximum(-x, 0.0)
        + np.log1p(np.exp(-np.abs(x)))
    )
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class BinaryPair:
    """Two classes of a K-class problem seen as a binary one: the true class ``k`` against
    the class ``j``, with the logit gap ``z = o_k - o_j`` and the target ``t`` of class ``k``
    renormalised over the pair."""

    k: int  # the true class: the arg-max of y, the binary problem's positive class
    j: int  # its strongest rival: the largest logit among the other classes
    z: float  # o_k - o_j; +-inf only where the gap passes the float range
    t: float  # y_k / (y_k + y_j), in (0, 1]


def binary_pair(logits: ArrayLike, y: ArrayLike) -> BinaryPair:
    """The pair of classes that shows softmax + cross-entropy as the binary case.

    Restricted to two classes ``(j, k)``, softmax is ``p_k = sigmoid(o_k - o_j)`` and
    cross-entropy against the target renormalised over the pair, ``(1 - t, t)`` with
    ``t = y_k / (y_k + y_j)``, is binary cross-entropy with gradient ``sigmoid(z) - t``.
    The pair is the true class ``k`` (the arg-max of ``y``, so ``y_k > 0`` and ``t`` is never
    0/0) and the other class with the largest logit, the model's strongest rival; ties go to
    the lowest index. With ``K = 2`` it is simply the two classes.

    >>> binary_pair([2.0, 3.0, 4.0], [0.0, 1.0, 0.0])
    BinaryPair(k=1, j=2, z=-1.0, t=1.0)
    >>> pair = binary_pair([1.0, 2.0, 3.0], [0.05, 0.05, 0.9])  # t = 0.9 / 0.95
    >>> pair.k, pair.j, pair.z, round(pair.t, 4)
    (2, 1, 1.0, 0.9474)

    Parameters: ``logits`` of shape ``(K,)``, ``K >= 2``, and a target ``y`` of the same
    shape summing to 1. Returns the :class:`BinaryPair`.
    """
    o = check_one_sample(logits, "binary_pair")
    y_arr = check_y(y, o.shape)
    k = int(np.argmax(y_arr))
    others = np.delete(np.arange(o.size), k)
    j = int(others[np.argmax(o[others])])
    with np.errstate(over="ignore"):
        z = float(o[k] - o[j])
    # y_k is the largest of K weights summing to 1, so y_k >= 1/K > 0.
    t = float(y_arr[k] / (y_arr[k] + y_arr[j]))
    return BinaryPair(k, j, z, t)


def restrict(p: ArrayLike, classes: ArrayLike) -> FloatArray:
    """The distribution over a subset of classes, renormalised: ``p[c] / sum p[c]``.

    >>> restrict([0.1, 0.2, 0.3, 0.4], [0, 3]).round(2)
    array([0.2, 0.8])
    """
    p_arr = np.asarray(p, dtype=np.float64)
    sub = p_arr[..., np.asarray(classes, dtype=np.intp)]
    total = sub.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise CEVizError("the chosen classes have no probability to renormalise")
    return sub / total


def restricted_softmax(
    logits: ArrayLike, classes: ArrayLike, T: float = 1.0, offsets: ArrayLike | None = None
) -> FloatArray:
    """Softmax over a subset of classes: ``softmax(o[c] / T)``, shape ``(..., len(c))``.

    It equals ``restrict(softmax(o / T), c)``, the share of each chosen class in their total
    probability, but is taken from the logits, so it stays exact (never 0/0) where those
    probabilities underflow to 0 next to the other classes.

    With ``offsets`` (shape ``(..., K)``, e.g. the moves of a relative descent run) it is
    the softmax at ``o + offsets``, taken without forming that sum: the chosen logits are
    measured from their largest first, so a move far below the logits' float spacing
    (0.5 at ``o = 1e300``) still counts.

    >>> restricted_softmax([0.0, 0.0, 0.0, 1000.0], [0, 1, 2]).round(4)
    array([0.3333, 0.3333, 0.3333])
    >>> restricted_softmax([1e300, 1e300, 5.0], [0, 1], offsets=[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    array([[0.5       , 0.5       ],
           [0.73105858, 0.26894142]])
    """
    o = check_logits(logits)
    index = np.asarray(classes, dtype=np.intp)
    if index.ndim != 1 or index.size < 2 or np.any((index < 0) | (index >= o.shape[-1])):
        raise CEVizError(
            f"classes must be two or more indices in 0..{o.shape[-1] - 1}, got {classes!r}"
        )
    chosen = o[..., index]
    if offsets is None:
        return softmax(chosen, T)
    moves = np.asarray(offsets, dtype=np.float64)
    if moves.shape[-1:] != o.shape[-1:] or not np.all(np.isfinite(moves)):
        raise CEVizError(f"offsets must be finite, one per class, got shape {moves.shape}")
    # Past a spread of ~1.8e308 the difference is -inf: the most negative float stands in.
    with np.errstate(over="ignore"):
        below = np.maximum(chosen - chosen.max(axis=-1, keepdims=True), -np.finfo(float).max)
    return softmax(below + moves[..., index], T)


def simplex_problem(
    logits: ArrayLike, y: ArrayLike, classes: Sequence[int], names: Sequence[str], T: float = 1.0
) -> str | None:
    """Why the simplex of three ``classes`` cannot be drawn, in plain text; None if it can.

    It cannot when the target puts no weight on them (there is no loss to draw over the
    triangle), or when their probabilities all underflow to 0 next to the other classes
    (there is no share of probability to renormalise, so no point for ``p``). The message
    then suggests the true class and the two strongest others, which always can be drawn.

    >>> print(simplex_problem([0, 0, 0, 1000], [1, 0, 0, 0], [0, 1, 2], "abcd"))
    ... # doctest: +NORMALIZE_WHITESPACE
    The probabilities of o0 · a, o1 · b and o2 · c all underflow to 0 next to o3 · d (p = 1):
    their logits are more than about 745.1 below it, so they carry no share of the
    probability to draw. Choose classes that include the strongest, e.g. o0 · a, o1 · b and
    o3 · d.
    >>> simplex_problem([2, 3, 4], [0, 1, 0], [0, 1, 2], "abc") is None
    True

    Parameters: ``logits`` and ``y`` of shape ``(K,)``, ``K >= 3``; ``classes`` three
    indices; ``names`` the K class names, shown as ``o<i> · <name>``.
    """
    o = check_logits(logits)
    if o.ndim != 1 or o.size < 3:
        raise CEVizError(f"the simplex needs one sample of 3 or more logits, got shape {o.shape}")
    y_arr = check_y(y, o.shape)
    trio = [int(c) for c in classes]
    if len(trio) != 3 or len(set(trio)) != 3 or not all(0 <= c < o.size for c in trio):
        raise CEVizError(f"the simplex needs three different classes of 0..{o.size - 1}")
    if len(names) != o.size:
        raise CEVizError(f"{len(names)} names given for {o.size} classes")

    def label(i: int) -> str:
        return logit_label(i, names[i])

    def listed(indices: Sequence[int]) -> str:
        first, second, third = (label(i) for i in sorted(indices))
        return f"{first}, {second} and {third}"

    k = int(np.argmax(y_arr))
    others = sorted((i for i in range(o.size) if i != k), key=lambda i: -o[i])
    suggestion = listed([k, *others[:2]])
    if y_arr[trio].sum() == 0:
        return (
            f"The target puts no weight on {listed(trio)}, so the loss cannot be drawn over "
            f"them. Choose a set that includes the true class, e.g. {suggestion}."
        )
    p = softmax(o, T)
    if p[trio].sum() == 0:
        top = int(np.argmax(o))
        # e^-x rounds to 0 in float64 past half the smallest subnormal, x = 1075 log 2.
        gap = 1075.0 * float(np.log(2.0)) * check_temperature(T)
        return (
            f"The probabilities of {listed(trio)} all underflow to 0 next to {label(top)} "
            f"(p = {p[top]:.4g}): their logits are more than about {gap:.4g} below it, so they "
            "carry no share of the probability to draw. Choose classes that include the "
            f"strongest, e.g. {suggestion}."
        )
    return None


def simplex_grid(n: int) -> FloatArray:
    """Points strictly inside the probability simplex of 3 classes, on a triangular grid.

    Returns ``(n+1)(n+2)/2 - 3n`` rows ``(p_0, p_1, p_2)``, each positive and summing to 1.

    >>> simplex_grid(3)
    array([[0.33333333, 0.33333333, 0.33333333]])
    """
    if not is_index(n) or n < 3:
        raise CEVizError(f"the simplex grid needs n >= 3, got {n!r}")
    i, j = np.meshgrid(np.arange(1, n), np.arange(1, n), indexing="ij")
    keep = i + j < n
    i, j = i[keep], j[keep]
    return np.column_stack([i, j, n - i - j]) / n


def chain_rule(
    logits: ArrayLike, y: ArrayLike, T: float = 1.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The chain rule through the softmax: ``dL/dp = -y/p``, ``J``, and ``J^T (-y/p)``.

    The product equals ``(p - y)/T`` for any target summing to 1. A class with ``y_i = 0``
    contributes 0 to ``dL/dp`` even where ``p_i`` underflows to 0.

    >>> dl_dp, J, product = chain_rule([2.0, 3.0, 4.0], [0.0, 1.0, 0.0])
    >>> dl_dp.round(4).tolist(), product.round(4).tolist()
    ([0.0, -4.0862, 0.0], [0.09, -0.7553, 0.6652])
    """
    o = check_one_sample(logits, "chain_rule")
    t = check_temperature(T)
    y_arr = np.asarray(check_y(y, o.shape))
    p = softmax(o, t)
    dl_dp = np.zeros_like(p)
    with np.errstate(divide="ignore", over="ignore"):
        np.divide(-y_arr, p, out=dl_dp, where=y_arr > 0)
    J = softmax_jacobian(o, t)
    if not np.all(np.isfinite(dl_dp)):
        # A p_i that underflows to 0 under y_i > 0 makes -y/p infinite against exact zeros
        # in J; the product's limit is still (p - y)/T, which the core computes directly.
        return dl_dp, J, grad_logits(o, y_arr, t)
    return dl_dp, J, J.T @ dl_dp


def hessian_eigenvalues(logits: ArrayLike, T: float = 1.0) -> FloatArray:
    """The eigenvalues of :func:`loss_hessian`, ascending: all >= 0, one of them 0.

    >>> hessian_eigenvalues([0.0, 0.0]).round(6).tolist()
    [0.0, 0.5]
    """
    return np.linalg.eigvalsh(loss_hessian(logits, T))


def gradient_sweep(
    logits: ArrayLike,
    y: ArrayLike,
    k: int,
    values: ArrayLike,
    T: float = 1.0,
    relative: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """``|dL/do_k|`` for cross-entropy and for MSE as the logit ``o_k`` runs over ``values``.

    With ``relative=True`` the values are moves of ``o_k`` from its current value: every
    logit is first measured from ``o_k`` (softmax ignores a shift), so a move stays exact
    where ``o_k`` plus the move would round back to ``o_k`` (at 1e300).

    >>> ce, mse = gradient_sweep([0.0, 0.0], [1.0, 0.0], 0, [-20.0, 0.0])
    >>> ce.round(3).tolist(), bool(mse[0] < 1e-8 < mse[1])
    ([1.0, 0.5], True)
    >>> ce, _ = gradient_sweep([1e300, 1e300], [1.0, 0.0], 0, [-1.0, 0.0], relative=True)
    >>> ce.round(4).tolist()
    [0.7311, 0.5]
    """
    o = check_logits(logits)
    if o.ndim != 1 or not (is_index(k) and 0 <= k < o.size):
        raise CEVizError(f"gradient_sweep takes one sample and a class in 0..{o.size - 1}")
    v = np.asarray(values, dtype=np.float64)
    if relative:
        # Past a spread of ~1.8e308 the difference is -inf: the most negative float instead.
        with np.errstate(over="ignore"):
            o = np.clip(o - o[k], -np.finfo(float).max, np.finfo(float).max)
    batch = np.repeat(o[None, :], v.size, axis=0)
    batch[:, k] = v
    return np.abs(grad_logits(batch, y, T)[:, k]), np.abs(mse_grad(batch, y, T)[:, k])


def simplex_losses(points: ArrayLike, y: ArrayLike) -> FloatArray:
    """Cross-entropy of the target ``y`` at each point ``q`` of the simplex: ``-sum y_i log q_i``.

    It is the core's ``cross_entropy`` at logits ``log q`` (softmax of ``log q`` is ``q``).

    >>> simplex_losses([[0.5, 0.25, 0.25]], [1.0, 0.0, 0.0]).round(6).tolist()
    [0.693147]
    """
    q = np.asarray(points, dtype=np.float64)
    if q.ndim != 2 or np.any(q <= 0):
        raise CEVizError("simplex points must be rows of positive probabilities")
    return np.asarray(cross_entropy(np.log(q), y))


#: The height of the simplex drawn as an equilateral triangle of side 1.
SIMPLEX_HEIGHT = float(np.sqrt(3.0) / 2.0)


def simplex_xy(points: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Points ``(p_a, p_b, p_c)`` of the simplex as plane coordinates of the equilateral
    triangle with corner a at the top, b bottom left and c bottom right, side 1.

    >>> [v.round(4).tolist() for v in simplex_xy([[1, 0, 0], [0, 1, 0], [0, 0, 1]])]
    [[0.5, 0.0, 1.0], [0.866, 0.0, 0.0]]
    """
    q = np.asarray(points, dtype=np.float64)
    return q[..., 0] / 2.0 + q[..., 2], q[..., 0] * SIMPLEX_HEIGHT


def trio_loss(p: ArrayLike, y: ArrayLike) -> FloatArray:
    """Cross-entropy ``-sum y_i log p_i`` of each row of ``p`` (three classes), where a class
    without target weight adds 0 even at ``p_i = 0`` and one with weight at ``p_i = 0``
    makes it ``inf``.

    >>> trio_loss([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]], [0.0, 1.0, 0.0]).tolist()
    [0.6931471805599453, inf]
    """
    q = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y_arr > 0, -y_arr * np.log(q), 0.0)
    return terms.sum(axis=-1)


def simplex_sheet(n: int, y: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The loss of target ``y`` over the simplex on an ``(n + 1) x (n + 1)`` grid of
    coordinates ``(a, s)`` that cover the triangle: ``p = (a, s (1 − a), (1 − s)(1 − a))``.

    The map from ``(a, s)`` to the triangle's plane (see :func:`simplex_xy`) is bilinear,
    so a grid of four corners (two of them the top corner) carries it exactly: the loss
    can be drawn as filled contours over that sheet. Returns ``a``, ``s`` and the loss,
    ``loss[j, i]`` at ``(a[i], s[j])``: ``inf`` on an edge where a class with target weight
    has ``p = 0``.

    >>> a, s, loss = simplex_sheet(2, [0.0, 1.0, 0.0])
    >>> a.tolist(), loss[2].round(4).tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.6931, inf])
    """
    if not is_index(n) or n < 1:
        raise CEVizError(f"the simplex sheet needs n >= 1, got {n!r}")
    a = np.linspace(0.0, 1.0, n + 1)
    s = np.linspace(0.0, 1.0, n + 1)
    A, S = np.meshgrid(a, s)
    p = np.stack([A, S * (1.0 - A), (1.0 - S) * (1.0 - A)], axis=-1)
    return a, s, trio_loss(p, y)


#: The "why" view's sweeps: temperatures for the softmax, temperatures for distillation,
#: and label-smoothing strengths (1e-4 to 0.99).
TEMPERATURES = np.logspace(-1.5, 1.5, 121)
DISTILL_TEMPERATURES = np.logspace(0, 3, 31)
SMOOTHING_VALUES = np.logspace(-4, np.log10(0.99), 121)
#: Added to every logit in the stability demonstration.
BIG_SHIFT = 1000.0


def value_nearest(x_values: ArrayLike, y_values: ArrayLike, x: float) -> float:
    """The y of a sampled curve at the sample nearest to ``x``.

    >>> value_nearest([0.0, 1.0, 2.0], [5.0, 6.0, 7.0], 1.2)
    6.0
    """
    xs = np.asarray(x_values, dtype=np.float64)
    return float(np.asarray(y_values, dtype=np.float64)[np.argmin(np.abs(xs - x))])


def share(p: ArrayLike, classes: Sequence[int]) -> float:
    """The probability that ``classes`` hold together.

    >>> share([0.1, 0.2, 0.3, 0.4], [0, 3])
    0.5
    """
    return float(np.asarray(p, dtype=np.float64)[list(classes)].sum())


@dataclass(frozen=True)
class Stability:
    """Softmax of logits pushed past ``exp``'s range, naive and stable (see :func:`stability`)."""

    shifted: FloatArray  # the logits + the shift
    naive: FloatArray  # e^o / sum e^o as written: NaN once exp overflows
    stable: FloatArray  # softmax of the shifted logits, the max subtracted first
    unshifted: FloatArray  # softmax of the logits as they are: equal to ``stable``
    loss: float  # the loss of the shifted logits: large, finite
    log_p: FloatArray  # log softmax of the shifted logits


def stability(logits: ArrayLike, y: ArrayLike, T: float, shift: float = BIG_SHIFT) -> Stability:
    """What the naive and the stable softmax give for ``logits + shift``.

    >>> s = stability([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 1.0)
    >>> bool(np.isnan(s.naive).any()), bool(np.allclose(s.stable, s.unshifted))
    (True, True)
    """
    o = check_one_sample(logits, "stability")
    shifted = o + shift
    return Stability(
        shifted=shifted,
        naive=naive_softmax(shifted),
        stable=softmax(shifted, T),
        unshifted=softmax(o, T),
        loss=float(cross_entropy(shifted, y, T)),
        log_p=log_softmax(shifted, T),
    )


def overflow_thresholds() -> dict[str, float]:
    """Where ``exp`` overflows in float16, float32 and float64, by the type's name.

    >>> {name: round(x, 2) for name, x in overflow_thresholds().items()}
    {'float16': 11.09, 'float32': 88.72, 'float64': 709.78}
    """
    return {t.__name__: overflow_threshold(t) for t in (np.float16, np.float32, np.float64)}


@dataclass(frozen=True)
class BinaryCase:
    """The binary case's numbers (see :func:`binary_case`): each pair should agree."""

    pair: BinaryPair
    p_k: float  # softmax over the pair
    sigmoid_z: float  # sigmoid(o_k - o_j)
    loss: float  # cross-entropy over the pair against (1 - t, t)
    bce: float  # binary cross-entropy with logits
    grad_k: float  # dL/do_k over the pair
    sigmoid_grad: float  # sigmoid(z) - t


def binary_case(logits: ArrayLike, y: ArrayLike) -> BinaryCase:
    """Softmax + cross-entropy over :func:`binary_pair`'s two classes, beside the logistic
    sigmoid and binary cross-entropy of their logit difference (at T = 1).

    >>> c = binary_case([2.0, 3.0, 4.0], [0.0, 1.0, 0.0])
    >>> round(c.p_k, 6) == round(c.sigmoid_z, 6), round(c.loss, 6) == round(c.bce, 6)
    (True, True)
    """
    pair = binary_pair(logits, y)
    o = check_one_sample(logits, "binary_case")
    o_pair = np.array([o[pair.j], o[pair.k]])
    target = np.array([1.0 - pair.t, pair.t])
    return BinaryCase(
        pair=pair,
        p_k=float(softmax(o_pair)[1]),
        sigmoid_z=float(sigmoid(pair.z)),
        loss=float(cross_entropy(o_pair, target)),
        bce=float(binary_cross_entropy_with_logits(pair.z, pair.t)),
        grad_k=float(grad_logits(o_pair, target)[1]),
        sigmoid_grad=float(sigmoid(pair.z)) - pair.t,
    )


# --------------------------------------------------------------------------------------
# Text alternatives: what each of the "why" view's charts shows, with its key numbers
# --------------------------------------------------------------------------------------


def alt_ce_vs_mse(
    label: str, wrong_end: str, ce: Sequence[float], mse: Sequence[float], here: Sequence[float]
) -> str:
    """The CE-vs-MSE chart in words: both gradients at the wrong end of the sweep and at
    the current logits (``ce``, ``mse``: their first values; ``here``: CE's and MSE's).

    >>> print(alt_ce_vs_mse("o0 · a", "−18", [1.0], [2.04e-11], [1.0, 6.67e-5]))
    ... # doctest: +NORMALIZE_WHITESPACE
    Gradient size |∂L/∂o| on the true class, o0 · a, as that logit sweeps with the others
    fixed (log scale): cross-entropy's is |pₖ − yₖ| ÷ T, MSE's carries a factor pₖ. At the
    confidently wrong end (o0 · a = −18): cross-entropy 1.0000, MSE 2.0400e-11. At your
    logits: cross-entropy 1.0000, MSE 6.6700e-05.
    """
    return (
        f"Gradient size |∂L/∂o| on the true class, {label}, as that logit sweeps with the "
        "others fixed (log scale): cross-entropy's is |pₖ − yₖ| ÷ T, MSE's carries a factor "
        f"pₖ. At the confidently wrong end ({label} = {wrong_end}): cross-entropy "
        f"{fmt(ce[0])}, MSE {fmt(mse[0])}. At your logits: cross-entropy {fmt(here[0])}, "
        f"MSE {fmt(here[1])}."
    )


def alt_temperature(
    names: Sequence[str], temperatures: ArrayLike, p: ArrayLike, T: float, p_T: ArrayLike
) -> str:
    """The temperature chart in words: each class's p at both ends of the sweep and at
    the current ``T`` (``p``: the sweep's rows, ``p_T``: softmax at ``T``).

    >>> print(alt_temperature("ab", [0.1, 10.0], [[0.0, 1.0], [0.475, 0.525]], 1.0, [0.27, 0.73]))
    ... # doctest: +NORMALIZE_WHITESPACE
    Each class's probability p = softmax(o/T) against the temperature T, from 0.1 to 10
    (log scale): low T sharpens p, high T flattens it. At your T = 1: a 0.2700, b 0.7300.
    At T = 0.1: a 0.0000, b 1.0000. At T = 10: a 0.4750, b 0.5250.
    """
    ts, rows = np.asarray(temperatures, dtype=np.float64), np.asarray(p, dtype=np.float64)
    low, high = fmt_sig(float(ts[0])), fmt_sig(float(ts[-1]))
    return (
        f"Each class's probability p = softmax(o/T) against the temperature T, from {low} to "
        f"{high} (log scale): low T sharpens p, high T flattens it. At your T = "
        f"{fmt_short(T)}: {named_values(names, list(np.asarray(p_T, dtype=np.float64)))}. "
        f"At T = {low}: {named_values(names, list(rows[0]))}. "
        f"At T = {high}: {named_values(names, list(rows[-1]))}."
    )


def alt_temperature_gradient(g: TemperatureGradient) -> str:
    """The 1/T chart in words: the gradient's size at both ends of the sweep and at T.

    >>> print(alt_temperature_gradient(temperature_gradient([2, 3, 4], [0, 1, 0], 5.0, [1, 10])))
    ... # doctest: +NORMALIZE_WHITESPACE
    The gradient's size ‖∂L/∂o‖ = ‖p − y‖ ÷ T against the temperature T on log–log axes,
    beside a dashed line that falls exactly like 1/T through your T: 1.0105 at T = 1,
    0.1654 at your T = 5, 0.0819 at T = 10.
    """
    ts, norms = g.temperatures, g.norms
    where = "your T" if g.anchor == g.T else f"T = {fmt_sig(g.anchor)}"
    points = [
        f"{fmt(float(norms[0]))} at T = {fmt_sig(float(ts[0]))}",
        f"{fmt(g.norm)} at your T = {fmt_short(g.T)}",
        f"{fmt(float(norms[-1]))} at T = {fmt_sig(float(ts[-1]))}",
    ]
    if ts[0] == g.T:
        points.pop(0)
    if ts[-1] == g.T:
        points.pop()
    return (
        "The gradient's size ‖∂L/∂o‖ = ‖p − y‖ ÷ T against the temperature T on log–log "
        f"axes, beside a dashed line that falls exactly like 1/T through {where}: "
        + ", ".join(points)
        + "."
    )


def alt_distillation(temperatures: ArrayLike, unscaled: ArrayLike, scaled: ArrayLike) -> str:
    """The distillation chart in words: the two gradient sizes at both ends of the sweep.

    >>> print(alt_distillation([1.0, 1000.0], [0.3268, 3.5e-7], [0.3268, 0.35]))
    ... # doctest: +NORMALIZE_WHITESPACE
    The soft-target gradient's size ‖∂/∂oₛ‖ for a student with all-zero logits against the
    temperature T from 1 to 1000 (log–log axes). Without the T² factor it fades like 1/T²,
    from 0.3268 to 3.5000e-07; with it, it goes from 0.3268 to 0.3500.
    """
    ts = np.asarray(temperatures, dtype=np.float64)
    u, s = np.asarray(unscaled, dtype=np.float64), np.asarray(scaled, dtype=np.float64)
    return (
        "The soft-target gradient's size ‖∂/∂oₛ‖ for a student with all-zero logits against "
        f"the temperature T from {fmt_sig(float(ts[0]))} to {fmt_sig(float(ts[-1]))} "
        "(log–log axes). Without the T² factor it fades like 1/T², from "
        f"{fmt(float(u[0]))} to {fmt(float(u[-1]))}; with it, it goes from {fmt(float(s[0]))} "
        f"to {fmt(float(s[-1]))}."
    )


def alt_smoothing(eps_values: ArrayLike, gaps: ArrayLike, K: int, eps: float, gap: float) -> str:
    """The label-smoothing chart in words: the optimal gap at both ends and at ε.

    >>> print(alt_smoothing([1e-4, 0.99], [10.3, 0.02], 3, 0.1, 3.3322))
    ... # doctest: +NORMALIZE_WHITESPACE
    The optimal logit gap oₖ − oⱼ at the loss's minimum against the label smoothing ε
    (log scale), for K = 3: 10.3000 at ε = 0.0001, 0.0200 at ε = 0.99. Your ε = 0.1 gives
    3.3322.
    >>> alt_smoothing([1e-4, 0.99], [10.3, 0.02], 3, 0.0, float("inf")).split(". ")[-1]
    'Your ε = 0: with no smoothing there is no minimum at a finite gap.'
    """
    e, g = np.asarray(eps_values, dtype=np.float64), np.asarray(gaps, dtype=np.float64)
    yours = (
        f"Your ε = {fmt_short(eps)} gives {fmt(gap)}."
        if eps > 0
        else "Your ε = 0: with no smoothing there is no minimum at a finite gap."
    )
    return (
        "The optimal logit gap oₖ − oⱼ at the loss's minimum against the label smoothing ε "
        f"(log scale), for K = {K}: {fmt(float(g[0]))} at ε = {fmt_sig(float(e[0]))}, "
        f"{fmt(float(g[-1]))} at ε = {fmt_sig(float(e[-1]))}. " + yours
    )
