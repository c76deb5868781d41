"""Reductions over the class axis (the last one), tuned for the short rows of a batch.

Package-internal: the core's softmax and loss and the target check in ``ce_viz._checks``
share them, so a sum over the classes is the same additions, in the same order, wherever
it is taken.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["BY_CLASS", "class_argmax", "class_sum", "rest_of", "rest_sum"]

FloatArray = NDArray[np.float64]

#: Up to this many classes a reduction over the classes goes class by class: K - 1
#: elementwise passes over the rows. NumPy's reductions along a short last axis cost far
#: more per row (a row max about 30x more at K = 2), and a batch has many rows. Every shape,
#: one sample or a batch, takes the same path, so a row's numbers do not depend on it (the
#: arg-max's two ways, below, find the same first arg-max).
BY_CLASS = 16
#: Up to this many rows, stored row by row, the arg-max is NumPy's own: each call's fixed
#: cost is most of the time there (half the loop's at a training's 200 x 3), where on
#: more rows NumPy's walk along each short row costs more per row than the class by class
#: passes (1.4x at 2,000 x 3, 3x at 20,000 x 2, on a 2-core EPYC with NumPy 2.4).
FEW_ROWS = 1024


def class_argmax(a: FloatArray) -> tuple[NDArray[np.intp], FloatArray]:
    """The first arg-max over the last axis, and the max: both of shape ``a.shape[:-1]``."""
    K = a.shape[-1]
    if a.ndim == 1:  # one sample: NumPy's own, the same first arg-max
        top = a.argmax()
        return top, a[top]
    if K > BY_CLASS:
        top = np.argmax(a, axis=-1)
        return top, np.take_along_axis(a, top[..., None], axis=-1)[..., 0]
    if K > 1 and a.size <= FEW_ROWS * K and a.flags.c_contiguous:
        # A few rows side by side in memory (a training step's logits): NumPy's arg-max
        # is one call where the loop below is 2(K - 1), and calls are what few rows cost.
        best = np.maximum(a[..., 0], a[..., 1])
        for k in range(2, K):
            np.maximum(best, a[..., k], out=best)
        return a.argmax(axis=-1), best
    best = a[..., 0].copy()
    # Many rows, or classes apart, each contiguous (a stack of grids, ``train._dense``):
    # along a class at a time, where a row's arg-max would stride (1.7x this loop's time
    # on the training's frames).
    top = np.zeros(best.shape, dtype=np.intp)
    for k in range(1, K):
        column = a[..., k]
        # top < k so far: where this class is larger it becomes k (a masked copy costs
        # several times more than this max).
        np.maximum(top, (column > best) * k, out=top)
        np.maximum(best, column, out=best)
    return top, best


def class_sum(a: FloatArray) -> FloatArray:
    """The sum over the last axis, shape ``a.shape[:-1]``."""
    K = a.shape[-1]
    if K > BY_CLASS:
        return a.sum(axis=-1)
    if a.ndim == 1:  # one sample: the same additions, in the same order, on Python floats
        first, *others = a.tolist()
        for value in others:
            first += value
        return np.float64(first)
    total = a[..., 0] + a[..., 1] if K > 1 else a[..., 0].copy()
    for k in range(2, K):
        total += a[..., k]
    return total


def rest_sum(e: FloatArray, top: NDArray[np.intp]) -> FloatArray:
    """The sum of ``e = exp(d)`` over every class but the arg-max ``top``, shape ``(..., 1)``.

    ``e`` is exactly 1 at ``top``. For many classes that 1 is set to 0 for the sum and put
    back (no copy of ``e``). For a few, class by class, it keeps the largest seen so far
    and adds the smaller of it and the next class to the rest: three elementwise passes per
    class, no mask; a tie at the max leaves one 1 in the rest, as it should.
    """
    K = e.shape[-1]
    if K > BY_CLASS and e.shape[:-1] == top.shape:
        at_top = top[..., None]
        np.put_along_axis(e, at_top, 0.0, axis=-1)
        rest = e.sum(axis=-1, keepdims=True)
        np.put_along_axis(e, at_top, 1.0, axis=-1)
        return rest
    if K > BY_CLASS:  # e broadcast over several temperatures
        rest = np.where(np.arange(K) == top[..., None], 0.0, e)
        return rest.sum(axis=-1, keepdims=True)
    if e.ndim == 1:  # one sample: the same steps on Python floats (IEEE doubles too)
        return np.array([rest_of(e.tolist())])
    # The first two classes start the rest and the largest (0 + x is x: the same floats as
    # starting from zeros, in fewer passes; softmax's K is at least 2).
    rest = np.minimum(e[..., 0], e[..., 1])
    largest = np.maximum(e[..., 0], e[..., 1])
    for k in range(2, K):
        rest += np.minimum(largest, e[..., k])
        np.maximum(largest, e[..., k], out=largest)
    return rest[..., None]


def rest_of(e: list[float]) -> float:
    """:func:`rest_sum` of one sample's ``e`` as Python floats: the same steps, class by
    class, keeping the largest seen so far and adding the smaller of it and the next."""
    top_e, *others = e
    rest = 0.0
    for value in others:
        rest += min(top_e, value)
        top_e = max(top_e, value)
    return rest
