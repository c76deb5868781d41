"""The input checks of the maths modules: one function per idea, each raising ``CEVizError``
with a message that names the bad value.

Package-internal (the leading underscore): core, landscape, theory and analysis call these
functions, which are public within the package, and batch raises the same ``CEVizError``; a
caller outside the package meets them through the public functions. ``CEVizError`` and
``SUM_TOLERANCE`` are re-exported by ``ce_viz.core``, their public home. NumPy only.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ce_viz._reduce import class_sum

__all__ = [
    "SUM_TOLERANCE",
    "CEVizError",
    "check_K",
    "check_axes",
    "check_axis",
    "check_class",
    "check_finite",
    "check_logits",
    "check_one_sample",
    "check_positive",
    "check_smoothing",
    "check_step",
    "check_step_count",
    "check_temperature",
    "check_values",
    "check_y",
    "fixed_targets",
    "is_index",
]

FloatArray = NDArray[np.float64]

#: How far a target distribution may be from summing to 1.
SUM_TOLERANCE = 1e-9


class CEVizError(ValueError):
    """Bad input to a ce_viz function; the message names the bad value."""

    # Its public home, re-exported there: tracebacks and pickles name it ce_viz.core.CEVizError.
    __module__ = "ce_viz.core"


def _index_text(index: tuple[int, ...]) -> str:
    """An array index for a message: ``1`` for one axis, ``(0, 1)`` for more."""
    return str(index[0]) if len(index) == 1 else str(index)


def check_finite(values: FloatArray, what: str) -> None:
    """A ``CEVizError`` naming the first NaN or infinite entry of ``values``, if there is one.

    >>> check_finite(np.array([[0.0, 1.0], [np.inf, 2.0]]), "the point")
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: the point must be finite, got inf at index (1, 0)
    """
    # One pass and one reduction: half the time of a min and a max (NaN reaches both), at
    # a training step's 600 numbers as at a batch chunk's million.
    if not np.isfinite(values).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise CEVizError(
            f"{what} must be finite, got {float(values[index])!r} at index {_index_text(index)}"
        )


def check_logits(logits: ArrayLike) -> FloatArray:
    """Logits as a float array of shape ``(..., K)``: finite numbers, ``K >= 2``.

    >>> check_logits([2, 3, 4])
    array([2., 3., 4.])
    >>> check_logits([2.0, float("nan")])
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: logits must be finite, got nan at index 1
    """
    try:
        o = np.asarray(logits, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CEVizError(f"logits must be numbers, got {logits!r}") from exc
    if o.ndim == 0:
        raise CEVizError(f"logits must be a vector of class scores, got the scalar {o.item()!r}")
    if o.shape[-1] < 2:
        raise CEVizError(f"need at least 2 classes, got logits of shape {o.shape}")
    check_finite(o, "logits")
    return o


def check_one_sample(logits: ArrayLike, who: str) -> FloatArray:
    """Checked logits of one sample, shape ``(K,)``; ``who`` names the taker in the message.

    >>> check_one_sample([[0.0, 1.0]], "the landscape")
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: the landscape takes one sample of logits, got shape (1, 2)
    """
    o = check_logits(logits)
    if o.ndim != 1:
        raise CEVizError(f"{who} takes one sample of logits, got shape {o.shape}")
    return o


def check_positive(value: float, what: str) -> float:
    """``value`` as a float, or a CEVizError naming ``what`` unless it is finite and > 0.

    >>> check_positive(0.5, "the learning rate")
    0.5
    >>> check_positive(0, "the learning rate")
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: the learning rate must be a finite number > 0, got 0
    """
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise CEVizError(f"{what} must be a number, got {value!r}") from exc
    if not (np.isfinite(x) and x > 0):
        raise CEVizError(f"{what} must be a finite number > 0, got {value!r}")
    return x


def check_temperature(T: float) -> float:
    """The temperature ``T`` as a float; a ``CEVizError`` unless it is finite and > 0.

    >>> check_temperature(2)
    2.0
    """
    return check_positive(T, "temperature T")


def check_step(h: float) -> float:
    """A finite-difference step as a float; a ``CEVizError`` unless it is finite and > 0.

    >>> check_step(1e-5)
    1e-05
    """
    return check_positive(h, "the finite-difference step")


def check_y(y: ArrayLike, shape: tuple[int, ...]) -> FloatArray:
    """Targets broadcast to ``shape``: finite, non-negative, each row summing to 1 within
    :data:`SUM_TOLERANCE`. The result may be a read-only broadcast view.

    >>> check_y([0.0, 1.0], (2, 2)).tolist()
    [[0.0, 1.0], [0.0, 1.0]]
    >>> check_y([0.5, 0.6], (2,))
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: target y must sum to 1 (within 1e-09), got a sum of 1.1
    """
    try:
        y_arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CEVizError(f"target y must be numbers, got {y!r}") from exc
    try:
        if y_arr.shape != shape:
            y_arr = np.broadcast_to(y_arr, shape)
    except ValueError as exc:
        raise CEVizError(
            f"target y of shape {y_arr.shape} does not match logits of shape {shape}"
        ) from exc
    if y_arr.size and not (y_arr.min() >= 0 and np.isfinite(y_arr.max())):  # NaN fails both
        bad = ~np.isfinite(y_arr) | (y_arr < 0)
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise CEVizError(
            f"target y must be finite and non-negative, got {float(y_arr[index])!r} "
            f"at index {_index_text(index)}"
        )
    totals = class_sum(y_arr)
    off = np.abs(totals - 1.0) > SUM_TOLERANCE
    if np.any(off):
        total = float(np.asarray(totals)[off].flat[0])
        raise CEVizError(
            f"target y must sum to 1 (within {SUM_TOLERANCE:g}), got a sum of {total!r}"
        )
    return y_arr


def is_index(value: object) -> bool:
    """Whether ``value`` is a whole number for an index or a count: a Python or NumPy
    integer, and not a bool (``True`` is an ``int`` to Python, never a class to a reader).

    >>> is_index(2), is_index(np.int64(2)), is_index(2.0), is_index(True)
    (True, True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_K(K: int) -> int:
    """The number of classes as an int; a ``CEVizError`` unless it is an integer >= 2.

    >>> check_K(True)
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: the number of classes K must be an integer, got True
    """
    if not is_index(K):
        raise CEVizError(f"the number of classes K must be an integer, got {K!r}")
    if K < 2:
        raise CEVizError(f"the number of classes K must be at least 2, got {K}")
    return int(K)


def check_class(target: int, K: int) -> int:
    """The target class as an int; a ``CEVizError`` unless it is an integer in ``0..K-1``.

    >>> check_class(3, 3)
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: the target class must be in 0..2, got 3
    """
    if not is_index(target):
        raise CEVizError(f"the target class must be an integer, got {target!r}")
    if not 0 <= target < K:
        raise CEVizError(f"the target class must be in 0..{K - 1}, got {target}")
    return int(target)


def check_axis(axis: int, K: int) -> int:
    """One plotted class as an int; a ``CEVizError`` unless it is an integer in ``0..K-1``.

    >>> check_axis(1.0, 3)
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: axis must be a class in 0..2, got 1.0
    """
    if not (is_index(axis) and 0 <= axis < K):
        raise CEVizError(f"axis must be a class in 0..{K - 1}, got {axis!r}")
    return int(axis)


def check_axes(axes: tuple[int, int], K: int) -> tuple[int, int]:
    """The two plotted classes as ints: two different integers in ``0..K-1``.

    >>> check_axes((np.int64(2), 0), 3)
    (2, 0)
    >>> check_axes((1, 1), 3)
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: axes must be two different classes in 0..2, got (1, 1)
    """
    try:
        i, j = axes
    except (TypeError, ValueError) as exc:
        raise CEVizError(f"axes must be two class indices, got {axes!r}") from exc
    if not (is_index(i) and is_index(j)):
        raise CEVizError(f"axes must be two class indices, got {axes!r}")
    if not (0 <= i < K and 0 <= j < K) or i == j:
        raise CEVizError(f"axes must be two different classes in 0..{K - 1}, got {axes!r}")
    return int(i), int(j)


def check_step_count(steps: int) -> int:
    """A number of descent steps as an int; a ``CEVizError`` unless it is an integer >= 0.

    >>> check_step_count(2.0)
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: steps must be a whole number >= 0, got 2.0
    """
    if not is_index(steps) or steps < 0:
        raise CEVizError(f"steps must be a whole number >= 0, got {steps!r}")
    return int(steps)


def check_smoothing(smoothing: float) -> float:
    """Label smoothing ``eps`` as a float: a real number (not a bool or a text) in ``[0, 1)``.

    >>> check_smoothing(0.1)
    0.1
    >>> check_smoothing("0.1")
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: smoothing eps must be a number, got '0.1'
    """
    if isinstance(smoothing, bool) or not isinstance(smoothing, Real):
        raise CEVizError(f"smoothing eps must be a number, got {smoothing!r}")
    if not 0.0 <= smoothing < 1.0:
        raise CEVizError(f"smoothing eps must be in [0, 1), got {smoothing!r}")
    return float(smoothing)


def check_values(values: ArrayLike, what: str) -> FloatArray:
    """Values along a plotted axis: a non-empty 1-D float array of finite numbers.

    >>> check_values([0.0, float("inf")], "a_values")
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: a_values must be a non-empty 1-D array of finite numbers
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
        raise CEVizError(f"{what} must be a non-empty 1-D array of finite numbers")
    return v


Result = TypeVar("Result")


def fixed_targets(
    kernel: Callable[[FloatArray, FloatArray, float], Result], y: ArrayLike, T: float
) -> Callable[[ArrayLike], Result]:
    """``kernel(o, y, t)`` of checked inputs as a function of the logits alone: the targets
    ``y`` (n, K) and ``T`` checked once, when it is made, the logits at each call (numbers,
    finite, the targets' shape). What a training loop calls at every step on the same data
    (``core.loss_and_grad_for``, ``theory.mse_loss_and_grad_for``).

    >>> step = fixed_targets(lambda o, y, t: float((o * y).sum() / t), [[0.0, 1.0]], 2.0)
    >>> step([[5.0, 3.0]])
    1.5
    >>> step([[5.0, 3.0, 1.0]])
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: logits of shape (1, 3) do not match targets of shape (1, 2)
    """
    y_arr = check_y(y, np.shape(y))
    t = check_temperature(T)

    def step(logits: ArrayLike) -> Result:
        o = check_logits(logits)
        if o.shape != y_arr.shape:
            raise CEVizError(
                f"logits of shape {o.shape} do not match targets of shape {y_arr.shape}"
            )
        return kernel(o, y_arr, t)

    return step
