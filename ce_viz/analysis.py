"""Compositions of the core that the views and the command line share.

NumPy and pandas only: the per-class table, its CSV, and the finite-difference check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ce_viz._checks import check_step
from ce_viz.core import cross_entropy, grad_logits, relative_error, softmax
from ce_viz.fmt import csv_text

__all__ = [
    "FD_STEPS",
    "TABLE_COLUMNS",
    "Evaluation",
    "FDCheck",
    "class_table",
    "evaluate",
    "fd_check",
    "fd_sweep",
    "loss_from_rounded",
    "step_choices",
    "table_csv",
]

#: The columns of the per-class table and of its CSV, in order.
TABLE_COLUMNS = ("class", "logit", "probability", "target", "gradient")


@dataclass(frozen=True)
class Evaluation:
    """Everything computed from one sample: ``p``, ``y``, the loss and ``dL/do``."""

    logits: np.ndarray
    p: np.ndarray
    y: np.ndarray
    loss: float
    grad: np.ndarray
    T: float

    @property
    def predicted(self) -> int:
        """The class the model picks, ``argmax p`` (the first, on a tie: see ``top_classes``)."""
        return int(np.argmax(self.p))

    @property
    def top_classes(self) -> tuple[int, ...]:
        """Every class with the largest ``p``: more than one is a tie, which no class wins.

        >>> evaluate([3.0, 3.0, 1.0], [0.0, 1.0, 0.0]).top_classes
        (0, 1)
        """
        return tuple(int(i) for i in np.flatnonzero(self.p == self.p.max()))

    @property
    def gradient_sum(self) -> float:
        """The sum of ``dL/do``: 0 up to rounding, as p and y both sum to 1."""
        return float(self.grad.sum())


def evaluate(logits: ArrayLike, y: ArrayLike, T: float = 1.0) -> Evaluation:
    """Compute ``p``, the loss and the gradient for one sample.

    >>> r = evaluate([2.0, 3.0, 4.0], [0.0, 1.0, 0.0])
    >>> round(r.loss, 4), r.predicted
    (1.4076, 2)
    """
    o = np.asarray(logits, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    return Evaluation(
        logits=o,
        p=softmax(o, T),
        y=y_arr,
        loss=cross_entropy(o, y_arr, T),
        grad=grad_logits(o, y_arr, T),
        T=T,
    )


def class_table(names: Sequence[str], result: Evaluation) -> pd.DataFrame:
    """One row per class: ``class, logit, probability, target, gradient``, at full precision.

    >>> class_table(["a", "b"], evaluate([0.0, 0.0], [1.0, 0.0])).to_dict("list")["gradient"]
    [-0.5, 0.5]
    """
    return pd.DataFrame(
        {
            "class": list(names),
            "logit": result.logits,
            "probability": result.p,
            "target": result.y,
            "gradient": result.grad,
        },
        columns=list(TABLE_COLUMNS),
    )


def table_csv(table: pd.DataFrame) -> str:
    """The table as CSV text; floats are written in their shortest exact form.

    A class name that a spreadsheet would run as a formula gets a leading ``'``.

    >>> print(table_csv(class_table(["a", "b"], evaluate([0.0, 1.0], [1.0, 0.0]))), end="")
    class,logit,probability,target,gradient
    a,0.0,0.2689414213699951,1.0,-0.7310585786300049
    b,1.0,0.7310585786300049,0.0,0.7310585786300049
    """
    safe = table.assign(**{"class": [csv_text(str(name)) for name in table["class"]]})
    return safe.to_csv(index=False, lineterminator="\n")


@dataclass(frozen=True)
class FDCheck:
    """The analytic gradient beside its central-difference estimate."""

    h: float
    analytic: np.ndarray
    numerical: np.ndarray
    rel_error: np.ndarray

    @property
    def max_rel_error(self) -> float:
        """The largest componentwise relative error."""
        return float(np.max(self.rel_error))


def _central_differences(o: np.ndarray, y: np.ndarray, T: float, h: np.ndarray) -> np.ndarray:
    """``(L(o + h e_i) - L(o - h e_i)) / 2h`` for every step in ``h`` and class ``i``, shape
    (len(h), K): the loop of ``core.numerical_grad`` done as one batch of losses."""
    steps = h[:, None, None] * np.eye(o.size)  # steps[s, i] = h_s e_i
    up = np.asarray(cross_entropy(o + steps, y, T))
    down = np.asarray(cross_entropy(o - steps, y, T))
    return (up - down) / (2.0 * h[:, None])


def fd_check(logits: ArrayLike, y: ArrayLike, T: float, h: float) -> FDCheck:
    """Check ``grad_logits`` against central differences of ``cross_entropy`` with step ``h``.

    >>> check = fd_check([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 1.0, 1e-5)
    >>> bool(check.max_rel_error < 1e-8)
    True
    """
    o = np.asarray(logits, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    analytic = grad_logits(o, y_arr, T)
    numerical = _central_differences(o, y_arr, T, np.array([check_step(h)]))[0]
    return FDCheck(h, analytic, numerical, relative_error(numerical, analytic))


#: The steps at which the finite-difference error curve is drawn: 1e-12 to 0.1.
FD_STEPS = np.logspace(-12, -1, 23)


def step_choices(current: float, low: float, high: float) -> list[float]:
    """The finite-difference steps to offer: the powers of ten from 1e-12 to 0.1 within
    ``[low, high]``, and ``current`` among them in order.

    >>> step_choices(3e-5, 1e-6, 1e-3)
    [1e-06, 1e-05, 3e-05, 0.0001, 0.001]
    """
    steps = sorted({10.0**e for e in range(-12, 0)} | {float(current)})
    return [h for h in steps if low <= h <= high]


def fd_sweep(logits: ArrayLike, y: ArrayLike, T: float, h_values: ArrayLike) -> np.ndarray:
    """The largest relative error of the finite-difference check at each step in ``h_values``.

    >>> errors = fd_sweep([2.0, 3.0, 4.0], [0.0, 1.0, 0.0], 1.0, [1e-1, 1e-5])
    >>> bool(errors[1] < errors[0])
    True
    """
    o = np.asarray(logits, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    h = np.array([check_step(v) for v in np.asarray(h_values, dtype=np.float64).ravel()])
    analytic = grad_logits(o, y_arr, T)
    numerical = _central_differences(o, y_arr, T, h)
    return relative_error(numerical, analytic).max(axis=-1)


def loss_from_rounded(p_k: float, decimals: int = 3) -> tuple[float, float]:
    """``(round(p_k, decimals), -log of it)``: the loss a hand calculation gets by rounding
    p first, as the original derivation did (0.245 → 1.406 instead of 1.4076).

    >>> rounded, loss = loss_from_rounded(0.24472847105479764)
    >>> rounded, round(loss, 4)
    (0.245, 1.4065)
    """
    rounded = round(float(p_k), decimals)
    return rounded, float(-np.log(rounded)) if rounded > 0 else float("inf")
