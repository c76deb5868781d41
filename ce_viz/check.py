""" "Check my work": mark a student's hand-computed p, L and gradient, with a hint that
names the step that went wrong.

NumPy only. The hints test the usual slips against the exact answer: a p that does not sum
to 1, the temperature forgotten, p rounded before the log, log base 10, the sign of the
true class's gradient, and a plain arithmetic slip in p_k − 1 (the seed derivation's own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ce_viz.analysis import Evaluation, evaluate, loss_from_rounded
from ce_viz.core import softmax

__all__ = ["Verdict", "check_work", "count_notes"]


@dataclass(frozen=True)
class Verdict:
    """One checked number: what was given, the right value, and a hint when it is wrong."""

    quantity: str  # "p", "L" or "dL/do"
    index: int | None  # the class, or None for the loss
    given: float | None  # None when the answer is missing
    correct: float
    ok: bool
    hint: str


def _close(a: float, b: float, tol: float) -> bool:
    return bool(abs(a - b) <= tol)


def check_work(
    logits: ArrayLike,
    y: ArrayLike,
    T: float,
    p_given: Sequence[float],
    loss_given: float,
    grad_given: Sequence[float],
    tol: float = 5e-4,
) -> list[Verdict]:
    """Mark each given number against the exact one, within ``tol`` (default: 3 decimals).

    >>> marks = check_work([2, 3, 4], [0, 1, 0], 1.0, [0.09, 0.245, 0.665], 1.406,
    ...                    [0.09, -0.775, 0.665])
    >>> [(m.quantity, m.index, m.ok) for m in marks if not m.ok]
    [('L', None, False), ('dL/do', 1, False)]
    """
    result = evaluate(logits, y, T)
    return [
        *_p_verdicts(result, [float(v) for v in p_given], tol),
        _loss_verdict(result, float(loss_given), tol),
        *_grad_verdicts(result, [float(v) for v in grad_given], tol),
    ]


def _p_verdicts(result: Evaluation, given_p: list[float], tol: float) -> list[Verdict]:
    """Each p_i marked, with the slip a wrong one shows."""
    p, T, K = result.p, result.T, result.p.size
    p_sum = sum(given_p)
    p_at_t1 = softmax(result.logits) if T != 1 else None
    verdicts: list[Verdict] = []
    for i in range(K):
        g = given_p[i] if i < len(given_p) else None
        ok = g is not None and _close(g, float(p[i]), tol)
        hint = ""
        if g is None:
            hint = f"Missing: there are {K} classes."
        elif not ok:
            if abs(p_sum - 1.0) > tol * K:
                hint = (
                    f"Your p sums to {p_sum:.4g}, not 1: divide each e^(o_i/T) by the sum "
                    "over all classes."
                )
            elif p_at_t1 is not None and _close(g, p_at_t1[i], tol):
                hint = f"That is softmax at T = 1: divide the logits by T = {T:g} first."
            else:
                hint = f"p_{i} = e^(o_{i}/T) / Σ_j e^(o_j/T) = {p[i]:.4f}."
        verdicts.append(Verdict("p", i, g, float(p[i]), ok, hint))
    return verdicts


def _loss_verdict(result: Evaluation, loss_given: float, tol: float) -> Verdict:
    """L marked, with the slip a wrong one shows (rounding p first, log base 10, the sign)."""
    p, y_arr = result.p, result.y
    k = int(np.argmax(y_arr))
    one_hot = bool(np.count_nonzero(y_arr) == 1)
    loss_ok = _close(loss_given, result.loss, tol)
    hint = ""
    if not loss_ok:
        rounded, rounded_loss = loss_from_rounded(p[k])
        if one_hot and rounded > 0 and _close(loss_given, rounded_loss, tol):
            hint = (
                f"You rounded p_k to {rounded} before the log: −log {rounded} = "
                f"{rounded_loss:.4f}. Keep p unrounded: L = {result.loss:.4f}."
            )
        elif one_hot and p[k] > 0 and _close(loss_given, -np.log10(p[k]), tol):
            hint = "That is log base 10; cross-entropy uses the natural log."
        elif _close(loss_given, -result.loss, tol):
            hint = "Check the sign: L = −Σ y_i log p_i is never negative."
        else:
            hint = f"L = −Σ y_i log p_i = {result.loss:.4f}."
    return Verdict("L", None, loss_given, result.loss, loss_ok, hint)


def _grad_verdicts(result: Evaluation, given_g: list[float], tol: float) -> list[Verdict]:
    """Each ∂L/∂o_i marked, with the slip a wrong one shows."""
    p, grad, y_arr, T = result.p, result.grad, result.y, result.T
    K = p.size
    k = int(np.argmax(y_arr))
    one_hot = bool(np.count_nonzero(y_arr) == 1)
    scale = "" if T == 1 else " ÷ T"
    verdicts: list[Verdict] = []
    for i in range(K):
        g = given_g[i] if i < len(given_g) else None
        ok = g is not None and _close(g, float(grad[i]), tol)
        hint = ""
        if g is None:
            hint = f"Missing: there are {K} classes."
        elif not ok:
            if one_hot and i == k:
                if _close(g, -grad[i], tol):
                    hint = "Check the sign: for the true class it is p_k − 1, which is negative."
                else:
                    hint = (
                        f"For the true class, ∂L/∂o_k = (p_k − 1){scale} = "
                        f"({p[k]:.4f} − 1){scale} = {grad[i]:.4f}: check the subtraction."
                    )
            elif one_hot:
                hint = f"For a wrong class, ∂L/∂o_j = p_j{scale} = {grad[i]:.4f}."
            else:
                hint = (
                    f"∂L/∂o_{i} = (p_{i} − y_{i}){scale} = ({p[i]:.4f} − {y_arr[i]:.4f}){scale}"
                    f" = {grad[i]:.4f}."
                )
        verdicts.append(Verdict("dL/do", i, g, float(grad[i]), ok, hint))
    return verdicts


def count_notes(K: int, p_given: Sequence[float], grad_given: Sequence[float]) -> list[str]:
    """What the marking could not use: one note per answer vector whose length is not ``K``.

    :func:`check_work` marks the first ``K`` values of each vector; a value past them has no
    class to be checked against, and a missing one is marked wrong.

    >>> for note in count_notes(3, [0.09, 0.245, 0.665, 0.9, 0.9], [0.09, -0.755]):
    ...     print(note)
    You gave 5 values of p for 3 classes; the extra 2 (0.9, 0.9) were not checked.
    You gave 2 values of ∂L/∂o for 3 classes; the missing 1 is marked wrong.
    >>> count_notes(3, [0.09, 0.245, 0.665], [0.09, -0.755, 0.665])
    []

    Parameters: ``K`` the number of classes; ``p_given`` and ``grad_given`` the answers.
    Returns the notes, plain text, in the order p, ∂L/∂o.
    """
    notes = []
    for what, given in (("p", p_given), ("∂L/∂o", grad_given)):
        n = len(given)
        values = "value" if n == 1 else "values"
        if n > K:
            extra = [f"{float(v):g}" for v in given[K:]]
            verb = "was" if len(extra) == 1 else "were"
            notes.append(
                f"You gave {n} {values} of {what} for {K} classes; the extra {len(extra)} "
                f"({', '.join(extra)}) {verb} not checked."
            )
        elif n < K:
            verb = "is" if K - n == 1 else "are"
            notes.append(
                f"You gave {n} {values} of {what} for {K} classes; the missing {K - n} "
                f"{verb} marked wrong."
            )
    return notes
