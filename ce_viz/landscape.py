"""The loss landscape: the loss over a plane of two logits, its gradient field, 1-D slices,
and gradient descent on the logits.

The grid's cost does not grow with the number of classes. With the two plotted logits
``a = o[axes[0]]`` and ``b = o[axes[1]]`` and the rest fixed, the others enter the loss only
through two constants: ``c = log sum_{i in rest} exp(o_i/T)`` and
``u = sum_{i in rest} y_i (c - o_i/T)``. Then, with ``m = max(a/T, b/T, c)``,

    -log p_a = (m - a/T) + log1p(r),   r = the two of e^{a/T-m}, e^{b/T-m}, e^{c-m} below the max,

and the loss is ``y_a (-log p_a) + y_b (-log p_b) + Y_rest ((m - c) + log1p(r)) + u``: every
part non-negative, so nothing cancels, on an ``(n_a, n_b)`` grid whatever ``K`` is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ce_viz.core import (
    CEVizError,
    _check_logits,
    _check_T,
    _check_y,
    cross_entropy,
    grad_logits,
)

__all__ = [
    "Descent",
    "default_axes",
    "descend",
    "descent_field",
    "entropy",
    "grid_values",
    "logit_gap",
    "loss_grid",
    "loss_slice",
    "optimal_logit_gap",
    "tangent_line",
]

FloatArray = NDArray[np.float64]


def _check_axes(axes: tuple[int, int], K: int) -> tuple[int, int]:
    try:
        i, j = (int(v) for v in axes)
    except (TypeError, ValueError) as exc:
        raise CEVizError(f"axes must be two class indices, got {axes!r}") from exc
    if not (0 <= i < K and 0 <= j < K) or i == j:
        raise CEVizError(f"axes must be two different classes in 0..{K - 1}, got {axes!r}")
    return i, j


def _check_values(values: ArrayLike, what: str) -> FloatArray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
        raise CEVizError(f"{what} must be a non-empty 1-D array of finite numbers")
    return v


@dataclass(frozen=True)
class _Plane:
    """The stable pieces of softmax over the (a, b) grid; see the module docstring."""

    X: FloatArray  # a/T, shape (n, 1)
    Yb: FloatArray  # b/T, shape (1, m)
    m: FloatArray  # the per-point max of a/T, b/T, c
    ea: FloatArray
    eb: FloatArray
    rest: FloatArray
    top_a: FloatArray
    top_b: FloatArray
    c: float
    u: float
    y_rest: float


def _plane(
    logits: ArrayLike, y: ArrayLike, axes: tuple[int, int], a: ArrayLike, b: ArrayLike, T: float
) -> tuple[_Plane, FloatArray, int, int, float]:
    o = _check_logits(logits)
    if o.ndim != 1:
        raise CEVizError(f"the landscape takes one sample of logits, got shape {o.shape}")
    t = _check_T(T)
    y_arr = np.asarray(_check_y(y, o.shape))
    i, j = _check_axes(axes, o.size)
    X = (_check_values(a, "a_values") / t)[:, None]
    Yb = (_check_values(b, "b_values") / t)[None, :]
    others = np.ones(o.size, dtype=bool)
    others[[i, j]] = False
    if others.any():
        o_rest = o[others] / t
        top = o_rest.max()
        c = float(top + np.log(np.exp(o_rest - top).sum()))
        u = float(y_arr[others] @ (c - o_rest))
        y_rest = float(y_arr[others].sum())
    else:
        c, u, y_rest = -np.inf, 0.0, 0.0
    m = np.maximum(np.maximum(X, Yb), c)
    ea = np.exp(X - m)
    eb = np.exp(Yb - m)
    ec = np.exp(c - m)
    top_a = m <= X
    top_b = ~top_a & (Yb >= m)
    # The sum of the two terms below the max (the max term is exactly 1).
    rest = np.where(top_a, eb + ec, np.where(top_b, ea + ec, ea + eb))
    plane = _Plane(X, Yb, m, ea, eb, rest, top_a, top_b, c, u, y_rest)
    return plane, y_arr, i, j, t


def loss_grid(
    logits: ArrayLike,
    y: ArrayLike,
    axes: tuple[int, int],
    a_values: ArrayLike,
    b_values: ArrayLike,
    T: float = 1.0,
) -> FloatArray:
    """The loss over a grid of two logits, the others held at ``logits``.

    Element ``[i, j]`` is ``cross_entropy`` with ``logits[axes[0]] = a_values[i]`` and
    ``logits[axes[1]] = b_values[j]``. Costs O(n_a * n_b), independent of K.

    >>> loss_grid([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], (1, 2), [3.0], [4.0]).round(4)
    array([[1.4076]])

    Parameters
    ----------
    logits : array_like, shape (K,)
    y : array_like, shape (K,)
        Target distribution.
    axes : (int, int)
        The two different classes whose logits vary.
    a_values, b_values : array_like, shapes (n_a,), (n_b,)
    T : float

    Returns
    -------
    ndarray, shape (n_a, n_b)
    """
    pl, y_arr, i, j, _ = _plane(logits, y, axes, a_values, b_values, T)
    log_s = np.log1p(pl.rest)
    loss = y_arr[i] * ((pl.m - pl.X) + log_s) + y_arr[j] * ((pl.m - pl.Yb) + log_s)
    if pl.y_rest > 0:
        loss = loss + pl.y_rest * ((pl.m - pl.c) + log_s) + pl.u
    return np.broadcast_to(loss, (pl.X.shape[0], pl.Yb.shape[1])).copy()


def descent_field(
    logits: ArrayLike,
    y: ArrayLike,
    axes: tuple[int, int],
    a_values: ArrayLike,
    b_values: ArrayLike,
    T: float = 1.0,
) -> tuple[FloatArray, FloatArray]:
    """The negative gradient ``(-dL/da, -dL/db)`` over the same grid as :func:`loss_grid`.

    >>> u, v = descent_field([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], (1, 2), [3.0], [4.0])
    >>> float(u[0, 0].round(4)), float(v[0, 0].round(4))
    (0.7553, -0.6652)

    Returns
    -------
    (ndarray, ndarray), each shape (n_a, n_b)
        The components along ``a`` and along ``b``: the direction gradient descent moves.
    """
    pl, y_arr, i, j, t = _plane(logits, y, axes, a_values, b_values, T)
    s = 1.0 + pl.rest
    q = pl.rest / s  # 1 - p for the class on top, without cancellation
    ga = np.where(pl.top_a, (1.0 - y_arr[i]) - q, pl.ea / s - y_arr[i]) / t
    gb = np.where(pl.top_b, (1.0 - y_arr[j]) - q, pl.eb / s - y_arr[j]) / t
    shape = (pl.X.shape[0], pl.Yb.shape[1])
    return -np.broadcast_to(ga, shape).copy(), -np.broadcast_to(gb, shape).copy()


def loss_slice(
    logits: ArrayLike, y: ArrayLike, axis: int, values: ArrayLike, T: float = 1.0
) -> FloatArray:
    """The loss as one logit ``o[axis]`` runs over ``values``, the others held fixed.

    >>> loss_slice([0.0, 0.0], [1.0, 0.0], 0, [0.0]).round(6)
    array([0.693147])

    Returns
    -------
    ndarray, shape (n,)
    """
    o = _check_logits(logits)
    K = o.shape[-1]
    if not 0 <= int(axis) < K:
        raise CEVizError(f"axis must be a class in 0..{K - 1}, got {axis!r}")
    other = (int(axis) + 1) % K
    return loss_grid(o, y, (int(axis), other), values, [o[other]], T)[:, 0]


@dataclass(frozen=True)
class Descent:
    """A gradient-descent run: the logits and the loss at every step, step 0 included."""

    path: FloatArray  # (steps + 1, K)
    losses: FloatArray  # (steps + 1,)


def descend(
    logits: ArrayLike,
    y: ArrayLike,
    lr: float,
    steps: int,
    T: float = 1.0,
    free: ArrayLike | None = None,
) -> Descent:
    """Plain gradient descent on the logits: ``o <- o - lr * dL/do``, ``steps`` times.

    ``free`` (a boolean mask, shape (K,)) limits the moves to some logits; the others stay.

    >>> run = descend([0.0, 0.0], [1.0, 0.0], lr=1.0, steps=2)
    >>> run.path[1].tolist(), bool(run.losses[2] < run.losses[1] < run.losses[0])
    ([0.5, -0.5], True)

    Returns
    -------
    Descent
        ``path`` of shape (steps + 1, K) and ``losses`` of shape (steps + 1,).
    """
    o = np.array(_check_logits(logits), dtype=np.float64)
    if o.ndim != 1:
        raise CEVizError(f"descend takes one sample of logits, got shape {o.shape}")
    y_arr = np.asarray(_check_y(y, o.shape))
    try:
        rate = float(lr)
    except (TypeError, ValueError) as exc:
        raise CEVizError(f"the learning rate must be a number, got {lr!r}") from exc
    if not (np.isfinite(rate) and rate > 0):
        raise CEVizError(f"the learning rate must be a finite number > 0, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise CEVizError(f"steps must be a whole number >= 0, got {steps!r}")
    mask = np.ones(o.size) if free is None else np.asarray(free, dtype=bool).astype(float)
    if mask.shape != o.shape:
        raise CEVizError(f"free must have one entry per class, got shape {mask.shape}")
    path = np.empty((int(steps) + 1, o.size))
    path[0] = o
    for step in range(1, int(steps) + 1):
        path[step] = path[step - 1] - rate * mask * grad_logits(path[step - 1], y_arr, T)
    return Descent(path=path, losses=np.asarray(cross_entropy(path, y_arr, T)))


def entropy(y: ArrayLike) -> float:
    """The entropy ``H(y) = -sum y_i log y_i`` in nats: the smallest cross-entropy any logits reach.

    >>> entropy([0.0, 1.0, 0.0]), round(entropy([0.5, 0.5]), 6)
    (0.0, 0.693147)
    """
    y_arr = np.asarray(_check_y(y, np.shape(y)))
    logs = np.log(y_arr, out=np.zeros_like(y_arr), where=y_arr > 0)
    return float(-(y_arr * logs).sum()) + 0.0  # no -0.0


def optimal_logit_gap(K: int, smoothing: float) -> float:
    """The logit gap ``o_k - o_j`` at the loss minimum under label smoothing ``eps``.

    With a smoothed one-hot target the minimum is at ``p = y``, where
    ``o_k - o_j = log((1 - eps + eps/K) / (eps/K))``; for ``eps = 0`` there is no minimum
    and the gap is infinite.

    >>> round(optimal_logit_gap(3, 0.1), 6)
    3.332205
    >>> optimal_logit_gap(3, 0.0)
    inf
    """
    if K < 2:
        raise CEVizError(f"the number of classes K must be at least 2, got {K}")
    if not 0.0 <= smoothing < 1.0:
        raise CEVizError(f"smoothing eps must be in [0, 1), got {smoothing!r}")
    if smoothing == 0:
        return float("inf")
    return float(np.log((1.0 - smoothing + smoothing / K) / (smoothing / K)))


def logit_gap(path: ArrayLike, k: int) -> FloatArray:
    """The margin ``o_k - max_{j != k} o_j`` of each row of logits.

    >>> logit_gap([[2.0, 3.0, 4.0], [5.0, 3.0, 1.0]], 0).tolist()
    [-2.0, 2.0]
    """
    o = np.asarray(path, dtype=np.float64)
    others = np.delete(o, k, axis=-1)
    return o[..., k] - others.max(axis=-1)


def default_axes(logits: ArrayLike, k: int) -> tuple[int, int]:
    """The plane to show first: the true class and the strongest wrong class.

    >>> default_axes([2.0, 3.0, 4.0], 1)
    (1, 2)
    """
    o = np.asarray(logits, dtype=np.float64)
    wrong = np.where(np.arange(o.size) == k, -np.inf, o)
    return int(k), int(np.argmax(wrong))


def grid_values(center: float, span: float, n: int, include: ArrayLike = ()) -> FloatArray:
    """``n`` evenly spaced values covering ``center ± span`` and every value in ``include``.

    >>> grid_values(0.0, 1.0, 5).tolist()
    [-1.0, -0.5, 0.0, 0.5, 1.0]
    >>> grid_values(0.0, 1.0, 3, include=[3.0]).round(6).tolist()
    [-1.2, 1.0, 3.2]
    """
    extra = np.asarray(include, dtype=np.float64).ravel()
    lo, hi = center - span, center + span
    if extra.size:
        lo, hi = min(lo, float(extra.min())), max(hi, float(extra.max()))
        if extra.min() < center - span or extra.max() > center + span:
            margin = 0.05 * (hi - lo)
            lo, hi = lo - margin, hi + margin
    return np.linspace(lo, hi, n)


def tangent_line(
    x0: float, y0: float, slope: float, half_width: float
) -> tuple[FloatArray, FloatArray]:
    """Two points of the line through ``(x0, y0)`` with ``slope``, ``half_width`` either side.

    >>> tangent_line(1.0, 2.0, 0.5, 1.0)
    (array([0., 2.]), array([1.5, 2.5]))
    """
    xs = np.array([x0 - half_width, x0 + half_width])
    return xs, y0 + slope * (xs - x0)
