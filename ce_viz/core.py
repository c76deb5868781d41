"""The softmax + cross-entropy core: NumPy only, pure, vectorised over leading axes.

Every function takes logits ``o`` with the classes on the last axis, shape ``(..., K)``,
and a temperature ``T`` that divides the logits before the softmax.

Numerical care, because students try extreme logits:

* ``log_softmax`` is computed as ``(o_i - m)/T - log1p(r)`` with ``m = max(o)`` and
  ``r`` the sum of ``exp((o_j - m)/T)`` over every class but the arg-max. Both parts
  are non-positive, so nothing cancels, and ``log1p`` keeps ``log p_max`` accurate
  when ``p_max`` is within a rounding error of 1.
* ``1 - p_i`` is taken from that same ``r`` for the arg-max class, so ``p_k - 1`` in
  the gradient keeps its relative accuracy when the model is confidently right.
* Where a true value lies beyond the float range the result is ``inf`` (loss) or
  ``0`` (probability), without a NaN and without an overflow warning.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ce_viz._checks import (
    SUM_TOLERANCE,
    CEVizError,
    check_class,
    check_finite,
    check_K,
    check_logits,
    check_one_sample,
    check_positive,
    check_smoothing,
    check_step,
    check_temperature,
    check_y,
    fixed_targets,
)
from ce_viz._reduce import BY_CLASS, class_argmax, class_sum, rest_of, rest_sum

__all__ = [
    "SUM_TOLERANCE",
    "CEVizError",
    "Forward",
    "check_step",
    "complement_probabilities",
    "cross_entropy",
    "descent_path",
    "forward",
    "grad_logits",
    "log_softmax",
    "loss_and_grad",
    "loss_and_grad_for",
    "numerical_grad",
    "relative_error",
    "softmax",
    "softmax_jacobian",
    "softmax_over_temperatures",
    "target_distribution",
    "top_class",
]

FloatArray = NDArray[np.float64]


class _StableSoftmax(NamedTuple):
    """Shared pieces of the stable softmax of ``o / T``, from :func:`_stable_softmax`."""

    d: FloatArray  # (o - m)/T, all <= 0
    e: FloatArray  # exp(d)
    r: FloatArray  # the sum of e over every class but the arg-max, shape (..., 1)
    top: NDArray[np.intp]  # the arg-max class (the first, on a tie), shape o.shape[:-1]
    m: FloatArray  # the max logit, shape (..., 1)
    far: bool  # whether some d is -inf: a spread beyond the float range

    def is_top(self) -> NDArray[np.bool_]:
        """A mask of the arg-max class, shape (..., K)."""
        return np.arange(self.d.shape[-1]) == self.top[..., None]


def _stable_softmax(o: FloatArray, T: float | FloatArray) -> _StableSoftmax:
    """The shared pieces of the stable softmax; see :class:`_StableSoftmax`."""
    if o.shape[-1] > BY_CLASS and not o.flags.c_contiguous:
        o = np.ascontiguousarray(o)  # long rows: reductions along them want them contiguous
    top, m = class_argmax(o)
    m = m[..., None]
    try:  # every spread within the float range: no d is -inf (no search for one)
        with np.errstate(over="raise"):
            d = _shifted(o, m, T)
        any_far = False
    except FloatingPointError:
        # A spread over ~1e308 / T is beyond the float range: -inf is the true limit there.
        with np.errstate(over="ignore"):
            d = _shifted(o, m, T)
            # o - m itself overflows once the spread passes ~1.8e308, even where
            # (o - m)/T would not (T > 1): halve first there, so d is -inf only where it
            # truly is.
            far = np.isinf(d)
            if far.any():
                d[far] = ((0.5 * o - 0.5 * m) / T * 2.0)[far]
            any_far = bool(np.isinf(d).any())
    e = np.exp(d)
    return _StableSoftmax(d, e, rest_sum(e, top), top, m, any_far)


def _shifted(o: FloatArray, m: FloatArray, T: float | FloatArray) -> FloatArray:
    """``(o - m) / T``, a fresh array (``m`` the max logit, shape (..., 1))."""
    d = o - m
    if isinstance(T, np.ndarray):
        return d / T
    if T != 1.0:
        d /= T
    return d


def log_softmax(logits: ArrayLike, T: float = 1.0) -> FloatArray:
    """Log of the softmax of ``logits / T`` over the last axis, computed stably.

    >>> log_softmax([0.0, 0.0]).round(6)
    array([-0.693147, -0.693147])
    >>> float(log_softmax([1000.0, 0.0, -1000.0])[2])
    -2000.0

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Finite class scores ``o``; ``K >= 2``.
    T : float
        Temperature, ``T > 0``.

    Returns
    -------
    ndarray, shape (..., K)
        ``log p``; ``-inf`` only where ``log p`` is below the float range.
    """
    o = check_logits(logits)
    pt = _stable_softmax(o, check_temperature(T))
    return pt.d - np.log1p(pt.r)


def softmax(logits: ArrayLike, T: float = 1.0) -> FloatArray:
    """Softmax of ``logits / T`` over the last axis: ``p_i = exp(o_i/T) / sum_j exp(o_j/T)``.

    >>> softmax([2.0, 3.0, 4.0]).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax([[0.0, 0.0], [1e300, -1e300]])
    array([[0.5, 0.5],
           [1. , 0. ]])

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Finite class scores ``o``; ``K >= 2``.
    T : float
        Temperature, ``T > 0``.

    Returns
    -------
    ndarray, shape (..., K)
        Probabilities ``p`` that sum to 1 over the last axis.
    """
    o = check_logits(logits)
    pt = _stable_softmax(o, check_temperature(T))
    return pt.e / (1.0 + pt.r)


def top_class(logits: ArrayLike, T: float = 1.0) -> tuple[NDArray[np.intp], FloatArray]:
    """The predicted class (the first arg-max) and its probability, without the rest of
    ``p``: ``p_top = 1 / Σ_j exp((o_j − o_top) / T)``, what :func:`softmax` gives there to
    a few units in the last place. What shading a grid of predictions needs, for a third
    of the work: it goes class by class, each step a pass over every row at once (fast
    when the logits are stored class by class, as a stack of grids is).

    >>> top, p_top = top_class([[2.0, 3.0, 4.0], [0.0, 0.0, -1.0]])
    >>> top.tolist(), p_top.round(4).tolist()
    ([2, 0], [0.6652, 0.4223])
    """
    o = check_logits(logits)
    t = check_temperature(T)
    columns = np.moveaxis(o, -1, 0)
    best = columns[0].copy()
    top = np.zeros(best.shape, dtype=np.intp)
    for k in range(1, len(columns)):
        np.copyto(top, k, where=columns[k] > best)  # strictly larger: the first arg-max
        np.maximum(best, columns[k], out=best)
    total = np.zeros(best.shape)
    d = np.empty(best.shape)
    # A spread past the float range gives d = -inf, and exp(-inf) = 0 is the true limit.
    with np.errstate(over="ignore"):
        for column in columns:
            np.subtract(column, best, out=d)
            if t != 1.0:
                d /= t
            total += np.exp(d, out=d)
    return top, 1.0 / total


def softmax_over_temperatures(logits: ArrayLike, temperatures: ArrayLike) -> FloatArray:
    """``softmax(logits, T)`` for each ``T`` in ``temperatures``, in one pass: shape
    ``(len(temperatures), K)``, each row bit for bit what :func:`softmax` gives.

    >>> softmax_over_temperatures([0.0, 1.0], [1.0, 1e3]).round(4)
    array([[0.2689, 0.7311],
           [0.4998, 0.5002]])
    """
    o = check_one_sample(logits, "softmax_over_temperatures")
    ts = np.array(
        [check_temperature(t) for t in np.asarray(temperatures, dtype=np.float64).ravel()]
    )
    pt = _stable_softmax(o, ts[:, None])
    return pt.e / (1.0 + pt.r)


def complement_probabilities(logits: ArrayLike, T: float = 1.0) -> FloatArray:
    """``1 - p_i`` for every class, accurate even when ``p_i`` rounds to 1.

    >>> float(complement_probabilities([50.0, 0.0])[0])  # 1 - p_0 = e^-50 / (1 + e^-50)
    1.9287498479639178e-22

    Parameters
    ----------
    logits : array_like, shape (..., K)
    T : float

    Returns
    -------
    ndarray, shape (..., K)
    """
    o = check_logits(logits)
    pt = _stable_softmax(o, check_temperature(T))
    p = pt.e / (1.0 + pt.r)
    # Only the arg-max class can have p_i near 1 (every other p_i <= 1/2).
    return np.where(pt.is_top(), pt.r / (1.0 + pt.r), 1.0 - p)


def target_distribution(
    K: int,
    target: int | None = None,
    y: ArrayLike | None = None,
    smoothing: float = 0.0,
) -> FloatArray:
    """The target distribution ``y``: one-hot at ``target``, or a given soft ``y``, then smoothed.

    Label smoothing mixes in the uniform distribution: ``y <- (1 - eps) * y + eps / K``.

    >>> target_distribution(3, target=1)
    array([0., 1., 0.])
    >>> target_distribution(4, target=0, smoothing=0.2)
    array([0.85, 0.05, 0.05, 0.05])
    >>> target_distribution(2, y=[0.25, 0.75])
    array([0.25, 0.75])

    Parameters
    ----------
    K : int
        Number of classes, ``K >= 2``.
    target : int, optional
        The true class ``k``, 0-based, ``0 <= k < K``. Give exactly one of ``target`` and ``y``.
    y : array_like, shape (K,), optional
        A soft target: non-negative, summing to 1 within 1e-9.
    smoothing : float
        Label smoothing ``eps`` in ``[0, 1)``.

    Returns
    -------
    ndarray, shape (K,)
    """
    K = check_K(K)
    if (target is None) == (y is None):
        raise CEVizError("give exactly one of target (a class index) and y (a distribution)")
    eps = check_smoothing(smoothing)
    if target is not None:
        base = np.zeros(K)
        base[check_class(target, K)] = 1.0
    else:
        try:
            shape = np.shape(y)
        except ValueError as exc:  # a ragged nested sequence
            raise CEVizError(f"target y must be {K} numbers, got {y!r}") from exc
        if shape != (K,):
            raise CEVizError(f"target y must have {K} entries, got shape {shape}")
        base = np.array(check_y(y, (K,)), dtype=np.float64)
    if eps == 0.0:
        return base
    return (1.0 - eps) * base + eps / K


def cross_entropy(logits: ArrayLike, y: ArrayLike, T: float = 1.0) -> FloatArray | float:
    """Cross-entropy ``L = -sum_i y_i log softmax(o/T)_i`` in nats, over the last axis.

    A zero target weight contributes 0, even where ``log p_i`` is ``-inf``.

    >>> round(cross_entropy([2.0, 3.0, 4.0], [0.0, 1.0, 0.0]), 4)
    1.4076
    >>> cross_entropy([1000.0, 0.0, -1000.0], [0.0, 0.0, 1.0])
    2000.0

    Parameters
    ----------
    logits : array_like, shape (..., K)
    y : array_like, shape (..., K)
        Target distributions; broadcast against ``logits``.
    T : float

    Returns
    -------
    float or ndarray, shape (...)
        The loss, a Python float for a single sample.
    """
    o = check_logits(logits)
    t = check_temperature(T)
    y_arr = check_y(y, o.shape)
    loss = _loss(o, y_arr, t, _stable_softmax(o, t))
    return float(loss) if loss.ndim == 0 else loss


def _loss(o: FloatArray, y: FloatArray, t: float, pt: _StableSoftmax) -> FloatArray:
    """``cross_entropy`` of checked inputs, from their ``_stable_softmax``."""
    d, r, m = pt.d, pt.r, pt.m
    # -log p_i = log1p(r) + (m - o_i)/T = log1p(r) - d_i: two non-negative parts, so the
    # sum never cancels.
    if not pt.far:
        gap = np.log1p(r) - d
        gap *= y
        return class_sum(gap)
    # Where d_i = -inf, y_i * (m - o_i) / T may still be finite: there scale by y_i before
    # dividing by T (the gap halved, so that it cannot overflow); a zero weight gives 0.
    weighted = np.zeros(o.shape)
    with np.errstate(over="ignore"):
        np.multiply(y, -d, out=weighted, where=y > 0)
        far = np.isinf(d) & (y > 0)
        weighted[far] = (y * (0.5 * m - 0.5 * o) / t * 2.0)[far]
        terms = y * np.log1p(r) + weighted
        return class_sum(terms)


@dataclass(frozen=True)
class Forward:
    """The forward pass of each sample: what a batch of rows needs, from one stable pass.

    ``predicted`` is the first arg-max of the logits (where two logits are equal, the
    earlier class), and ``confidence`` its probability, ``1 / (1 + r)`` exactly.
    ``true_class`` is the heaviest target class (the first, on a tie), and ``p_true`` its
    probability.
    """

    loss: FloatArray
    p_true: FloatArray
    predicted: NDArray[np.intp]
    confidence: FloatArray
    true_class: NDArray[np.intp]


def forward(logits: ArrayLike, y: ArrayLike, T: float = 1.0) -> Forward:
    """``cross_entropy``, the prediction and the true class, with their probabilities, in
    one pass: bit for bit what :func:`cross_entropy` and :func:`softmax` give. The full
    ``p`` is not formed: a batch needs only these.

    >>> f = forward([[2.0, 3.0, 4.0], [5.0, 5.0, 0.0]], [[0, 1, 0], [1, 0, 0]])
    >>> f.loss.round(4).tolist(), f.predicted.tolist(), f.true_class.tolist()
    ([1.4076, 0.6965], [2, 0], [1, 0])
    """
    o = check_logits(logits)
    t = check_temperature(T)
    y_arr = check_y(y, o.shape)
    if o.ndim != 2 or o.size <= FORWARD_BLOCK:
        return _forward(o, y_arr, t)
    # A few thousand rows at a time: the temporaries stay in cache and are reused from the
    # heap, not page-faulted afresh (a third faster for a two-class batch).
    step = max(FORWARD_BLOCK // o.shape[1], FORWARD_MIN_ROWS)
    n = len(o)
    names = [f.name for f in fields(Forward)]
    first = _forward(o[:step], y_arr[:step], t)
    whole = {name: np.empty(n, dtype=getattr(first, name).dtype) for name in names}
    for i in range(0, n, step):
        block = first if i == 0 else _forward(o[i : i + step], y_arr[i : i + step], t)
        for name in names:
            whole[name][i : i + step] = getattr(block, name)
    return Forward(**whole)


#: Cells of a batch that :func:`forward` takes at a time, and the fewest rows: long rows
#: go in larger blocks, or the calls would cost more than the cache saves.
FORWARD_BLOCK = 8192
FORWARD_MIN_ROWS = 256


def _forward(o: FloatArray, y: FloatArray, t: float) -> Forward:
    """``forward`` of checked inputs."""
    pt = _stable_softmax(o, t)
    true_class = class_argmax(y)[0]
    r = pt.r[..., 0]
    return Forward(
        loss=_loss(o, y, t, pt),
        p_true=np.take_along_axis(pt.e, true_class[..., None], axis=-1)[..., 0] / (1.0 + r),
        predicted=pt.top,
        confidence=1.0 / (1.0 + r),
        true_class=true_class,
    )


def grad_logits(logits: ArrayLike, y: ArrayLike, T: float = 1.0) -> FloatArray:
    """Gradient of the cross-entropy with respect to the logits: ``(softmax(o/T) - y) / T``.

    >>> grad_logits([2.0, 3.0, 4.0], [0.0, 1.0, 0.0]).round(4)
    array([ 0.09  , -0.7553,  0.6652])

    Parameters
    ----------
    logits : array_like, shape (..., K)
    y : array_like, shape (..., K)
        Target distributions; broadcast against ``logits``.
    T : float

    Returns
    -------
    ndarray, shape (..., K)
        ``dL/do``; each row sums to 0 up to the target's own rounding.
    """
    o = check_logits(logits)
    t = check_temperature(T)
    return _grad(o, check_y(y, o.shape), t)


def loss_and_grad(logits: ArrayLike, y: ArrayLike, T: float = 1.0) -> tuple[FloatArray, FloatArray]:
    """:func:`cross_entropy` and :func:`grad_logits` of a batch from one stable softmax,
    bit for bit what the two give apart: what a training step needs.

    >>> loss, g = loss_and_grad([[2.0, 3.0, 4.0]], [[0.0, 1.0, 0.0]])
    >>> loss.round(4).tolist(), g.round(4).tolist()
    ([1.4076], [[0.09, -0.7553, 0.6652]])
    """
    o = check_logits(logits)
    return _loss_and_grad(o, check_y(y, o.shape), check_temperature(T))


def _loss_and_grad(o: FloatArray, y: FloatArray, t: float) -> tuple[FloatArray, FloatArray]:
    """:func:`loss_and_grad` of checked inputs: one stable softmax, the loss and p − y."""
    pt = _stable_softmax(o, t)
    return _loss(o, y, t, pt), _grad(o, y, t, pt)


def loss_and_grad_for(
    y: ArrayLike, T: float = 1.0
) -> Callable[[ArrayLike], tuple[FloatArray, FloatArray]]:
    """:func:`loss_and_grad` as a function of the logits alone, the targets ``y`` (n, K)
    and ``T`` checked once: what a training loop calls at every step on the same data,
    the same floats :func:`loss_and_grad` gives (the logits are still checked each call).

    >>> step = loss_and_grad_for([[0.0, 1.0, 0.0]])
    >>> loss, g = step([[2.0, 3.0, 4.0]])
    >>> loss.round(4).tolist(), g.round(4).tolist()
    ([1.4076], [[0.09, -0.7553, 0.6652]])
    """
    return fixed_targets(_loss_and_grad, y, T)


def _grad(o: FloatArray, y: FloatArray, t: float, pt: _StableSoftmax | None = None) -> FloatArray:
    """``grad_logits`` of checked inputs (from their ``_stable_softmax``, if made)."""
    pt = _stable_softmax(o, t) if pt is None else pt
    if o.ndim == 1:  # one sample: _p_minus_y's steps on Python floats
        diff = np.array(_p_minus_y(pt.e.tolist(), float(pt.r[0]), y.tolist(), int(pt.top)))
    else:  # the same floats in fewer passes: e/s - y, and at the top -r/s + (1 - y)
        top = pt.is_top()
        diff = np.where(top, -pt.r, pt.e)
        diff /= 1.0 + pt.r
        diff += top - y
    if t == 1.0:
        return diff
    with np.errstate(over="ignore"):
        return diff / t


def descent_path(
    logits: ArrayLike, y: ArrayLike, lr: float, steps: int, T: float = 1.0, free: ArrayLike = 1.0
) -> FloatArray:
    """The logits along ``steps`` of gradient descent, ``o <- o - lr * free * dL/do``:
    shape (steps + 1, K), each step's gradient that of :func:`grad_logits` (the inputs are
    checked once, not at every step).

    >>> descent_path([0.0, 0.0], [1.0, 0.0], lr=1.0, steps=2)[1].tolist()
    [0.5, -0.5]
    """
    o = check_logits(logits)
    t = check_temperature(T)
    y_arr = check_y(y, o.shape)
    rate = check_positive(lr, "the learning rate") * np.asarray(free, dtype=np.float64)
    if o.ndim == 1 and o.size <= BY_CLASS:
        return _sample_path(o, y_arr, t, np.broadcast_to(rate, o.shape), int(steps))
    path = np.empty((int(steps) + 1, *o.shape))
    path[0] = o
    for step in range(1, int(steps) + 1):
        path[step] = path[step - 1] - rate * _grad(path[step - 1], y_arr, t)
    return path


def _sample_path(
    o: FloatArray, y: FloatArray, t: float, rate: FloatArray, steps: int
) -> FloatArray:
    """:func:`descent_path` of one sample of a few classes on Python floats: a step is one
    NumPy call (the exponentials) where the array path makes about fifteen, each costing
    more than the arithmetic on a few numbers. The same floats, step by step."""
    ys, rates = y.tolist(), rate.tolist()
    row = o.tolist()
    rows = [row]
    for _ in range(steps):
        grad = _sample_grad(row, ys, t)
        if grad is None:  # beyond the float range, or no longer finite: the array path
            grad = _grad(np.array(row), y, t).tolist()
        row = [value - r * g for value, r, g in zip(row, rates, grad, strict=True)]
        rows.append(row)
    return np.array(rows)


def _sample_grad(o: list[float], y: list[float], t: float) -> list[float] | None:
    """``grad_logits`` of one sample on Python floats, the IEEE operations of
    :func:`_stable_softmax` and :func:`_grad` in the same order (NumPy's own ``exp``:
    its last bit can differ from the C library's); None where that path takes its careful
    branch (a spread beyond the float range) or a logit is not finite."""
    if not all(map(math.isfinite, o)):
        return None
    m = max(o)
    top = o.index(m)  # the first arg-max, as NumPy's
    d = [value - m for value in o]
    if t != 1.0:
        d = [value / t for value in d]
    if min(d) == -math.inf:
        return None
    e = np.exp(d).tolist()
    diff = _p_minus_y(e, rest_of(e), y, top)
    if t == 1.0:
        return diff
    return [value / t for value in diff]


def _p_minus_y(e: list[float], r: float, y: list[float], top: int) -> list[float]:
    """One sample's ``p − y`` from its stable softmax's pieces, on Python floats: ``e/s − y``
    with ``s = 1 + r``, and for the arg-max class ``(1 − y) − r/s``, where ``1 − p = r/s``
    is exact in relative terms (no cancellation when p rounds to 1)."""
    s = 1.0 + r
    diff = [value / s - target for value, target in zip(e, y, strict=True)]
    diff[top] = (1.0 - y[top]) - r / s
    return diff


def softmax_jacobian(logits: ArrayLike, T: float = 1.0) -> FloatArray:
    """Jacobian of ``softmax(o/T)`` with respect to ``o``: ``(diag(p) - p p^T) / T``.

    ``J[..., i, j] = dp_i / do_j``. It is symmetric, and it is also the Hessian of the
    cross-entropy with respect to the logits.

    >>> softmax_jacobian([0.0, 0.0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])

    Parameters
    ----------
    logits : array_like, shape (..., K)
    T : float

    Returns
    -------
    ndarray, shape (..., K, K)
    """
    o = check_logits(logits)
    t = check_temperature(T)
    p = softmax(o, t)
    q = complement_probabilities(o, t)
    jac = -p[..., :, None] * p[..., None, :]
    k = o.shape[-1]
    # The diagonal p_i - p_i^2 is written p_i (1 - p_i) so it keeps its accuracy near p_i = 1.
    jac[..., np.arange(k), np.arange(k)] = p * q
    with np.errstate(over="ignore"):
        return jac / t


def numerical_grad(
    f: Callable[[FloatArray], float], logits: ArrayLike, eps: float = 1e-6
) -> FloatArray:
    """Central-difference gradient of a scalar function f at the logits o.

    ``df/do_i ~ (f(o + eps e_i) - f(o - eps e_i)) / (2 eps)``.

    Used to check analytic gradients; its error is O(eps^2) plus rounding of order 1e-16/eps.

    >>> numerical_grad(lambda o: float((o**2).sum()), [1.0, -2.0], eps=1e-3).round(9)
    array([ 2., -4.])

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``logits`` to a float.
    logits : array_like
        The point ``o`` at which to differentiate.
    eps : float
        The step, ``eps > 0``.

    Returns
    -------
    ndarray, shaped like ``logits``
    """
    o = np.array(logits, dtype=np.float64)
    check_finite(o, "logits")
    h = check_step(eps)
    grad = np.empty_like(o)
    flat, out = o.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + h
        up = f(o)
        flat[i] = saved - h
        down = f(o)
        flat[i] = saved
        out[i] = (up - down) / (2.0 * h)
    return grad


def relative_error(approx: ArrayLike, exact: ArrayLike, floor: float = 1e-300) -> FloatArray:
    """Componentwise relative error ``|approx - exact| / max(|exact|, floor)``.

    >>> relative_error([1.0, 2.2], [1.0, 2.0]).round(6)
    array([0. , 0.1])

    Parameters
    ----------
    approx, exact : array_like
        Broadcastable arrays.
    floor : float
        The smallest denominator, so an exact zero does not divide by zero.

    Returns
    -------
    ndarray
    """
    a = np.asarray(approx, dtype=np.float64)
    b = np.asarray(exact, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(b), floor)
