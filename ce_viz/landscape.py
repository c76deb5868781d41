"""The loss landscape: the loss over a plane of two logits, its gradient field, 1-D slices,
and gradient descent on the logits.

The grid's cost does not grow with the number of classes. With the two plotted logits
``a = o[axes[0]]`` and ``b = o[axes[1]]`` and the rest fixed, the others act as one group
with log-sum-exp ``c = top/T + log1p(r)`` (``top`` their largest logit). At each grid point
one of ``a/T``, ``b/T``, ``c`` is the largest, ``m``; the gaps ``dA = m - a/T``,
``dB = m - b/T`` and ``dC = m - c`` are formed from differences of logits taken *before*
dividing by T, and

    -log p_a = dA + log1p(s),   s = the two of e^-dA, e^-dB, e^-dC below the max,

likewise for b, and for a class i of the group ``dC + log1p(s) + (top - o_i)/T + log1p(r)``.
Every part is non-negative, so nothing cancels: the grid agrees with ``cross_entropy`` to
about 1e-15 relative, on arrays of shape ``(n_a, n_b)`` whatever K is. The work goes in
blocks of rows, so the temporaries stay small and in cache.

Far from 0 the logits themselves cannot take a small move: at ``o = 1e300`` the floats are
about 1e284 apart, so ``o + 6`` rounds back to ``o`` and a grid of ``o ± 6`` is one point.
The ``relative`` functions (:func:`loss_change_grid`, :func:`loss_change_slice`,
:func:`descend_relative`, :func:`logit_gap_change` and ``descent_field(relative=True)``)
take moves ``d`` from the current logits instead and never add them to the logits: with
``l = log softmax(o/T)``, finite for any finite logits,

    log p(o + d) = log softmax(l + d/T),   L(o + d) - L(o) = logsumexp(l + d/T) - y.d/T,

so the change of the loss is exact at any scale, even where ``L(o)`` is 2e300.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ce_viz._checks import (
    CEVizError,
    check_axes,
    check_axis,
    check_K,
    check_logits,
    check_one_sample,
    check_positive,
    check_smoothing,
    check_step_count,
    check_temperature,
    check_values,
    check_y,
)
from ce_viz.core import (
    cross_entropy,
    descent_path,
    log_softmax,
    softmax,
)
from ce_viz.fmt import round_number

__all__ = [
    "ABSOLUTE_LIMIT",
    "Descent",
    "contour_levels",
    "default_axes",
    "descend",
    "descend_relative",
    "descent_field",
    "draws_absolute",
    "entropy",
    "field_values",
    "free_mask",
    "grid_values",
    "logit_gap",
    "logit_gap_change",
    "loss_change_grid",
    "loss_change_slice",
    "loss_grid",
    "loss_slice",
    "optimal_gaps",
    "optimal_logit_gap",
    "tangent_line",
]

FloatArray = NDArray[np.float64]

#: The largest logit a landscape is drawn at its own value; beyond it, as moves from the
#: logits (the figures send float32). float32 holds 1e4 to within 0.001 (its
#: spacing there is 2**-10), under half a pixel of the narrowest landscape (±1 across
#: ~700 pixels), and the losses such logits give (at most ~2e6 at T = 0.01) to within 0.25,
#: far below the change across that landscape.
ABSOLUTE_LIMIT = 1e4


def draws_absolute(logits: ArrayLike) -> bool:
    """Whether the landscape of ``logits`` can be drawn at their own values; beyond
    ``ABSOLUTE_LIMIT`` it is drawn relative to them.

    >>> draws_absolute([1000.0, 0.0, -1000.0]), draws_absolute([1e15, 0.0])
    (True, False)
    """
    return bool(np.max(np.abs(np.asarray(logits, dtype=np.float64))) <= ABSOLUTE_LIMIT)


def _sample(logits: ArrayLike, y: ArrayLike, T: float) -> tuple[FloatArray, FloatArray, float]:
    """The checked logits (one sample), target and temperature that every function here takes."""
    o = check_one_sample(logits, "the landscape")
    return o, np.asarray(check_y(y, o.shape)), check_temperature(T)


def _grid_inputs(
    logits: ArrayLike,
    y: ArrayLike,
    axes: tuple[int, int],
    a_values: ArrayLike,
    b_values: ArrayLike,
    T: float,
) -> tuple[FloatArray, FloatArray, float, tuple[int, int], FloatArray, FloatArray]:
    """The checked inputs of a grid function: logits, y, T, axes and the two value ranges."""
    o, y_arr, t = _sample(logits, y, T)
    axes_ok = check_axes(axes, o.size)
    return (
        o,
        y_arr,
        t,
        axes_ok,
        check_values(a_values, "a_values"),
        check_values(b_values, "b_values"),
    )


@dataclass(frozen=True)
class _Plane:
    """The stable pieces of softmax over the (a, b) grid; see the module docstring.

    ``nA, nB, nC`` are the gaps ``a/T - m``, ``b/T - m`` and ``c - m`` (all <= 0, the
    largest of them 0), and ``x`` is the sum of the two exponentials below the max, so
    that softmax's denominator is ``e^m (1 + x)``. Each gap is a difference taken before
    dividing by T (``m - a/T`` is ``max(0, (b - a)/T, c - a/T)``), so no rounding of
    ``a/T`` or ``c`` is amplified, and ``x`` never adds the max's own 1, so
    ``log1p(x)`` keeps its relative accuracy where ``x`` is tiny.
    """

    nA: FloatArray  # noqa: N815 (the names follow the mathematics)
    nB: FloatArray  # noqa: N815
    nC: FloatArray  # noqa: N815
    x: FloatArray


def _group_gaps(
    o: FloatArray, axes: tuple[int, int], a: FloatArray, b: FloatArray, t: float
) -> tuple[FloatArray, FloatArray]:
    """``a/T - c`` and ``b/T - c`` for the grid's values, with ``c`` the others' group.

    The others act as one group with log-sum-exp ``c = top/T + log1p(r)``, ``top`` their
    largest logit. With no others (K = 2) the group is empty and both gaps are infinite.
    """
    rest = np.delete(o, list(axes))
    if not rest.size:
        return np.full_like(a, np.inf), np.full_like(b, np.inf)
    top = float(rest.max())
    with np.errstate(over="ignore"):
        d_rest = (rest - top) / t
    r = float(np.exp(np.sort(d_rest)[:-1]).sum()) if rest.size > 1 else 0.0
    log_r = float(np.log1p(r))
    with np.errstate(over="ignore"):
        return (a - top) / t - log_r, (b - top) / t - log_r


def _plane(ab: FloatArray, ac: FloatArray, bc: FloatArray) -> _Plane:
    """The plane's pieces from ``ab = (a - b)/T`` (n, m), ``ac`` (n, 1) and ``bc`` (1, m).

    ``ab`` is used as scratch space. In place where possible: every pass over the block is
    a large part of the cost, and these few are all the work there is.
    """
    with np.errstate(invalid="ignore"):
        nA = np.minimum(ab, np.minimum(ac, 0.0))  # a/T - m = min(0, (a - b)/T, a/T - c)
        nB = np.negative(ab)  # b/T - m = min(0, (b - a)/T, b/T - c)
        np.minimum(nB, np.minimum(bc, 0.0), out=nB)
        nC = np.minimum(np.minimum(-ac, 0.0), np.minimum(-bc, 0.0))  # c - m
        # Of the three gaps the largest is 0 (the max's own term); the two below it are
        # min(nA, nB) and min(max(nA, nB), nC), which also holds for ties.
        x = np.minimum(nA, nB)
        np.maximum(nA, nB, out=ab)
        np.minimum(ab, nC, out=ab)
        np.exp(x, out=x)
        np.exp(ab, out=ab)
        x += ab
    return _Plane(nA, nB, nC, x)


def _planes(
    o: FloatArray, axes: tuple[int, int], a: FloatArray, b: FloatArray, t: float
) -> Iterator[tuple[slice, _Plane]]:
    """The plane over the grid ``a`` (rows) by ``b`` (columns), in blocks of rows."""
    ac, bc = _group_gaps(o, axes, a, b, t)
    for rows in _row_blocks(a.size, b.size):
        with np.errstate(over="ignore", invalid="ignore"):
            ab = np.subtract.outer(a[rows], b)
            if t != 1.0:
                ab /= t
        yield rows, _plane(ab, ac[rows, None], bc[None, :])


#: Work on blocks of about this many grid points: small enough that the temporaries are
#: reused from the heap (no fresh pages) and stay in cache.
BLOCK = 16384


def _row_blocks(n: int, m: int) -> list[slice]:
    """Slices of ``range(n)`` covering about ``BLOCK`` grid points each."""
    step = max(1, BLOCK // max(m, 1))
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


def _rest_constant(o: FloatArray, y: FloatArray, axes: tuple[int, int], t: float) -> float:
    """``u = sum over the other classes of y_i (c - o_i/T)``, from non-negative parts."""
    keep = np.ones(o.size, dtype=bool)
    keep[list(axes)] = False
    rest, y_rest = o[keep], y[keep]
    if not rest.size:
        return 0.0
    top = rest.max()
    with np.errstate(over="ignore"):
        d_rest = (top - rest) / t
    r = float(np.exp(-np.sort(d_rest)[1:]).sum()) if rest.size > 1 else 0.0
    # c - o_i/T = (top - o_i)/T + log1p(r): both parts >= 0.
    weighted = np.zeros_like(rest)
    with np.errstate(over="ignore"):
        np.multiply(y_rest, d_rest, out=weighted, where=y_rest > 0)
    return float(weighted.sum() + y_rest.sum() * np.log1p(r))


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
    o, y_arr, t, (i, j), a, b = _grid_inputs(logits, y, axes, a_values, b_values, T)
    y_rest = float(np.delete(y_arr, [i, j]).sum())
    u = _rest_constant(o, y_arr, (i, j), t)
    out = np.empty((a.size, b.size))
    total = y_arr[i] + y_arr[j] + y_rest  # 1 for a target distribution, up to rounding
    for rows, pl in _planes(o, (i, j), a, b, t):
        # -log p_a = -nA + log1p(x), and so on; each product only where its weight is > 0,
        # so a zero weight times an infinite gap stays 0. Written straight into the output.
        loss = out[rows]
        np.log1p(pl.x, out=loss)
        if total != 1.0:
            loss *= total
        with np.errstate(over="ignore", invalid="ignore"):
            for weight, gap in ((y_arr[i], pl.nA), (y_arr[j], pl.nB), (y_rest, pl.nC)):
                if weight > 0:
                    if weight != 1.0:
                        gap *= weight
                    loss -= gap
        if u:
            loss += u
    return out


#: ``log p`` is -inf only past the float range (a spread over ~1e308 T): the most negative
#: float stands in, so that adding a move never meets ``-inf - (-inf)``.
_LOG_FLOOR = -np.finfo(np.float64).max


def _log_p(o: FloatArray, t: float) -> FloatArray:
    """``log softmax(o/T)`` with -inf raised to the most negative float."""
    return np.maximum(log_softmax(o, t), _LOG_FLOOR)


@dataclass(frozen=True)
class _Moved:
    """The plane of moves ``(d_a, d_b)`` from the current logits; see the module docstring.

    With ``l = log p`` at the current logits, the three groups' unnormalised log-probabilities
    after the move are ``A = l_a + d_a/T``, ``B = l_b + d_b/T`` and ``C = log(sum of the
    others' p)``, which no move changes. ``top`` is the group with the largest (0, 1, 2) and
    ``m`` its value, and ``s`` the sum of the other two exponentials relative to it.
    """

    A: FloatArray
    B: FloatArray
    C: float
    l_a: float
    l_b: float
    top: NDArray[np.int8]
    m: FloatArray
    s: FloatArray


def _moved(
    o: FloatArray, axes: tuple[int, int], da: FloatArray, db: FloatArray, t: float
) -> _Moved:
    """The moved plane over the grid ``da`` (rows) by ``db`` (columns)."""
    i, j = axes
    ell = _log_p(o, t)
    rest = np.delete(ell, [i, j])
    if rest.size:
        top_r = float(rest.max())
        C = top_r + float(np.log(np.exp(rest - top_r).sum()))
    else:
        C = -np.inf
    A, B = np.broadcast_arrays(ell[i] + da[:, None] / t, ell[j] + db[None, :] / t)
    top = np.where((A >= B) & (A >= C), 0, np.where(B >= C, 1, 2)).astype(np.int8)
    m = np.choose(top, [A, B, np.full_like(A, C)])
    # Each of A, B, C is finite or -inf, and m is finite: -inf - m is -inf, its exp 0.
    ea, eb, ec = np.exp(A - m), np.exp(B - m), np.exp(C - m)
    s = np.choose(top, [eb + ec, ea + ec, ea + eb])
    return _Moved(A, B, C, float(ell[i]), float(ell[j]), top, m, s)


def loss_change_grid(
    logits: ArrayLike,
    y: ArrayLike,
    axes: tuple[int, int],
    a_offsets: ArrayLike,
    b_offsets: ArrayLike,
    T: float = 1.0,
) -> FloatArray:
    """The change of the loss over a grid of moves of two logits, from the current logits.

    Element ``[r, s]`` is ``L(o') - L(o)`` where ``o'`` is ``o`` with ``a_offsets[r]`` added
    to ``o[axes[0]]`` and ``b_offsets[s]`` to ``o[axes[1]]``. The moves are never added to
    the logits themselves, so the result is exact however large they are (to about 1e-16
    of the largest of ``|log p|`` and ``|offset|/T`` involved, absolute).

    >>> loss_change_grid([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], (1, 2), [0.0, 1.0], [0.0]).round(4)
    array([[ 0.   ],
           [-0.649]])
    >>> float(loss_change_grid([1e300, -1e300, 0.0], [0, 1, 0], (1, 0), [1.5], [-2.0])[0, 0])
    -3.5

    Parameters
    ----------
    logits : array_like, shape (K,)
    y : array_like, shape (K,)
    axes : (int, int)
        The two different classes whose logits move.
    a_offsets, b_offsets : array_like, shapes (n_a,), (n_b,)
        The moves of ``o[axes[0]]`` and ``o[axes[1]]``.
    T : float

    Returns
    -------
    ndarray, shape (n_a, n_b)
    """
    o, y_arr, t, (i, j), da, db = _grid_inputs(logits, y, axes, a_offsets, b_offsets, T)
    pl = _moved(o, (i, j), da, db, t)
    # logsumexp(l + d/T) - y.d/T, with the top group's own d/T taken out of both parts
    # first: where class a is on top the change is l_a + (1 - y_a) d_a/T - y_b d_b/T + ...
    base = np.choose(pl.top, [pl.l_a, pl.l_b, pl.C])
    wa = np.where(pl.top == 0, 1.0 - y_arr[i], -y_arr[i])
    wb = np.where(pl.top == 1, 1.0 - y_arr[j], -y_arr[j])
    return base + wa * (da[:, None] / t) + wb * (db[None, :] / t) + np.log1p(pl.s)


def loss_change_slice(
    logits: ArrayLike, y: ArrayLike, axis: int, offsets: ArrayLike, T: float = 1.0
) -> FloatArray:
    """The change of the loss as one logit ``o[axis]`` moves by each of ``offsets``.

    >>> loss_change_slice([1e300, 0.0], [0.0, 1.0], 1, [0.0, 2.0]).tolist()
    [0.0, -2.0]

    Returns
    -------
    ndarray, shape (n,)
    """
    o, _, _ = _sample(logits, y, T)
    k, other = _slice_axes(o, axis)
    return loss_change_grid(o, y, (k, other), offsets, [0.0], T)[:, 0]


def descent_field(
    logits: ArrayLike,
    y: ArrayLike,
    axes: tuple[int, int],
    a_values: ArrayLike,
    b_values: ArrayLike,
    T: float = 1.0,
    relative: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """The negative gradient ``(-dL/da, -dL/db)`` over the same grid as :func:`loss_grid`.

    With ``relative=True``, ``a_values`` and ``b_values`` are moves from the current logits,
    as in :func:`loss_change_grid`, exact however large the logits are.

    >>> u, v = descent_field([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], (1, 2), [3.0], [4.0])
    >>> float(u[0, 0].round(4)), float(v[0, 0].round(4))
    (0.7553, -0.6652)
    >>> u, v = descent_field([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], (1, 2), [0.0], [0.0], relative=True)
    >>> float(u[0, 0].round(4)), float(v[0, 0].round(4))
    (0.7553, -0.6652)

    Returns
    -------
    (ndarray, ndarray), each shape (n_a, n_b)
        The components along ``a`` and along ``b``: the direction gradient descent moves.
    """
    o, y_arr, t, (i, j), a, b = _grid_inputs(logits, y, axes, a_values, b_values, T)
    if relative:
        pl = _moved(o, (i, j), a, b, t)
        q = pl.s / (1.0 + pl.s)  # 1 - p for the group on top, without cancellation
        ga = np.where(
            pl.top == 0, (1.0 - y_arr[i]) - q, np.exp(pl.A - pl.m) / (1.0 + pl.s) - y_arr[i]
        )
        gb = np.where(
            pl.top == 1, (1.0 - y_arr[j]) - q, np.exp(pl.B - pl.m) / (1.0 + pl.s) - y_arr[j]
        )
        return -ga / t, -gb / t
    u, v = np.empty((a.size, b.size)), np.empty((a.size, b.size))
    for rows, pl in _planes(o, (i, j), a, b, t):
        s = 1.0 + pl.x
        q = pl.x / s  # 1 - p for the class on top, without cancellation
        a_top, b_top = pl.nA == 0, (pl.nB == 0) & (pl.nA != 0)
        with np.errstate(over="ignore"):
            ga = np.where(a_top, (1.0 - y_arr[i]) - q, np.exp(pl.nA) / s - y_arr[i])
            gb = np.where(b_top, (1.0 - y_arr[j]) - q, np.exp(pl.nB) / s - y_arr[j])
            u[rows] = -ga / t
            v[rows] = -gb / t
    return u, v


def _slice_axes(o: FloatArray, axis: int) -> tuple[int, int]:
    """A 1-D slice along ``axis``, taken as a grid row: the axis and another class."""
    k = check_axis(axis, o.size)
    return k, (k + 1) % o.size


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
    o, _, _ = _sample(logits, y, T)
    k, other = _slice_axes(o, axis)
    return loss_grid(o, y, (k, other), values, [o[other]], T)[:, 0]


@dataclass(frozen=True)
class Descent:
    """A gradient-descent run: the logits and the loss at every step, step 0 included.

    ``relative`` runs (:func:`descend_relative`) hold the moves ``o_t - o_0`` in ``path``
    and the changes ``L(o_t) - L(o_0)`` in ``losses``, both 0 at step 0.
    """

    path: FloatArray  # (steps + 1, K)
    losses: FloatArray  # (steps + 1,)
    relative: bool = False

    @property
    def step_numbers(self) -> NDArray[np.intp]:
        """0, 1, ..., steps: the x of a chart by step."""
        return np.arange(len(self.losses))


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
    o, y_arr, rate, n, mask = _descent_inputs(logits, y, lr, steps, T, free)
    path = descent_path(o, y_arr, rate, n, T, mask)
    return Descent(path=path, losses=np.asarray(cross_entropy(path, y_arr, T)))


def _descent_inputs(
    logits: ArrayLike, y: ArrayLike, lr: float, steps: int, T: float, free: ArrayLike | None
) -> tuple[FloatArray, FloatArray, float, int, FloatArray]:
    """The checked inputs of a descent: logits, y, the rate, the steps and the free mask."""
    o, y_arr, _ = _sample(logits, y, T)
    rate = check_positive(lr, "the learning rate")
    n = check_step_count(steps)
    mask = np.ones(o.size) if free is None else np.asarray(free, dtype=bool).astype(float)
    if mask.shape != o.shape:
        raise CEVizError(f"free must have one entry per class, got shape {mask.shape}")
    return o, y_arr, rate, n, mask


def descend_relative(
    logits: ArrayLike,
    y: ArrayLike,
    lr: float,
    steps: int,
    T: float = 1.0,
    free: ArrayLike | None = None,
) -> Descent:
    """The gradient descent of :func:`descend`, measured from its start: exact at any scale.

    The moves ``d_t = o_t - o_0`` are kept apart from the logits, whose gradient is taken
    from ``log p``: ``d <- d - lr * (softmax(l + d/T) - y)/T`` with ``l = log softmax(o/T)``.
    At ``o = 1e300``, where ``o - 0.5`` rounds back to ``o`` and :func:`descend` cannot
    move, the moves still add up.

    >>> run = descend_relative([1e300, 0.0], [0.0, 1.0], lr=0.5, steps=2)
    >>> run.path.tolist(), run.losses.tolist(), run.relative
    ([[0.0, 0.0], [-0.5, 0.5], [-1.0, 1.0]], [0.0, -1.0, -2.0], True)

    Returns
    -------
    Descent
        ``path``: the moves, shape (steps + 1, K), and ``losses``: ``L(o_t) - L(o_0)``,
        shape (steps + 1,); both 0 at step 0.
    """
    o, y_arr, rate, n, mask = _descent_inputs(logits, y, lr, steps, T, free)
    t = float(T)
    ell = _log_p(o, t)
    path = np.zeros((n + 1, o.size))
    for step in range(1, n + 1):
        grad = (softmax(ell + path[step - 1] / t) - y_arr) / t
        path[step] = path[step - 1] - rate * mask * grad
    # The change of the loss, logsumexp(l + d/T) - y.d/T, with the top class's own d/T taken
    # out of both parts: l_top + (e_top - y).d/T + log(sum of e^(z - z_top)).
    z = ell + path / t
    top = np.argmax(z, axis=1)
    z_top = np.take_along_axis(z, top[:, None], axis=1)
    with np.errstate(over="ignore"):  # a log p near the float's floor, far below z_top
        s = np.exp(z - z_top).sum(axis=1) - 1.0
    weights = np.eye(o.size)[top] - y_arr
    losses = ell[top] + (weights * path).sum(axis=1) / t + np.log1p(s)
    losses[0] = 0.0
    return Descent(path=path, losses=losses, relative=True)


def logit_gap_change(logits: ArrayLike, offsets: ArrayLike, k: int) -> FloatArray:
    """How much the margin ``o_k - max_{j != k} o_j`` changes when the logits move by each
    row of ``offsets``: exact however large the logits are.

    >>> logit_gap_change([1e300, -1e300, 0.0], [[0.0, 0.0, 0.0], [-0.5, 0.5, 0.0]], 1).tolist()
    [0.0, 1.0]
    """
    o = check_logits(logits)
    d = np.asarray(offsets, dtype=np.float64)
    others = np.delete(np.arange(o.size), k)
    with np.errstate(over="ignore"):  # a spread past the float range: -inf, never the max
        below = o[others] - o[others].max()
    return d[..., k] - (below + d[..., others]).max(axis=-1)


def entropy(y: ArrayLike) -> float:
    """The entropy ``H(y) = -sum y_i log y_i`` in nats: the smallest cross-entropy any logits reach.

    >>> entropy([0.0, 1.0, 0.0]), round(entropy([0.5, 0.5]), 6)
    (0.0, 0.693147)
    """
    y_arr = np.asarray(check_y(y, np.shape(y)))
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
    K = check_K(K)
    eps = check_smoothing(smoothing)
    if eps == 0:
        return float("inf")
    return float(np.log((1.0 - eps + eps / K) / (eps / K)))


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


def contour_levels(values: ArrayLike, most: int = 24) -> tuple[float, float, float]:
    """Contour levels ``(start, end, size)`` through the finite ``values``: at most ``most``
    of them, a round step apart (1, 2, 2.5 or 5 times a power of ten), the first and last
    inside the values' range, so two charts that share them colour alike.

    >>> contour_levels([0.03, 13.9])
    (1.0, 13.0, 1.0)
    >>> contour_levels([2.0, 2.0])
    (2.0, 2.0, 1.0)
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
    if not hi > lo:
        return lo, lo, 1.0
    size = round_number((hi - lo) / (most + 1), up=True, mantissas=(1.0, 2.0, 2.5, 5.0))
    start = float(np.floor(lo / size) + 1) * size
    end = float(np.ceil(hi / size) - 1) * size
    return start, max(end, start), size


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


def field_values(values: ArrayLike, n: int) -> FloatArray:
    """``n`` evenly spaced values across ``values``' range: a coarser grid over the same
    plane, for the arrow field.

    >>> field_values([-2.0, 0.5, 2.0], 5).tolist()
    [-2.0, -1.0, 0.0, 1.0, 2.0]
    """
    v = np.asarray(values, dtype=np.float64)
    return np.linspace(v.min(), v.max(), n)


def free_mask(K: int, classes: Sequence[int]) -> NDArray[np.bool_]:
    """A mask of ``classes`` among ``K``: the logits a descent may move.

    >>> free_mask(4, (1, 3)).tolist()
    [False, True, False, True]
    """
    return np.isin(np.arange(K), list(classes))


def optimal_gaps(K: int, smoothings: ArrayLike) -> FloatArray:
    """:func:`optimal_logit_gap` at each smoothing strength.

    >>> optimal_gaps(3, [0.1, 0.5]).round(3).tolist()
    [3.332, 1.386]
    """
    return np.array([optimal_logit_gap(K, float(e)) for e in np.asarray(smoothings).ravel()])
