""" "Check my work", an exercise: a problem made from a seed, and the marking of a student's
hand-computed p, L and ∂L/∂o, each wrong number named by the slip it shows.

NumPy only (no pandas: ``ce_viz.state`` reads ``problem=`` links through
:func:`make_problem`). A wrong number is compared with what each common slip would give: ∂L/∂p
(= −y/p) typed for ∂L/∂o, y − p for p − y, p_k for p_k − 1, percentages, logits not put
through the exp, log base 10 or 2, p rounded before the log, the temperature forgotten, a
number rounded too soon, and one digit off (the textbook derivation's −0.775 for −0.755).
A slip is named only when the answer is nearer to it than to the exact value, so a
nearly-right answer is never blamed on a slip it only resembles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ce_viz.core import cross_entropy, grad_logits, softmax

__all__ = [
    "LABELS",
    "PROBLEM_CLASSES",
    "PROBLEM_LOGITS",
    "PROBLEM_MIN_P",
    "Problem",
    "Slip",
    "Verdict",
    "check_work",
    "count_problem",
    "make_problem",
]

#: Each answer box's label, by the ``AppState`` field it fills: messages name the box so.
LABELS: dict[str, str] = {"my_p": "Your p", "my_loss": "Your loss L", "my_grad": "Your ∂L/∂o"}

#: A generated problem has 3 or 4 classes, logits with one decimal in [−2, 3], no two
#: equal (no tie to argue about), and every p at least 0.02 (each worth 3 decimals).
PROBLEM_CLASSES = (3, 4)
PROBLEM_LOGITS = (-2.0, 3.0)
PROBLEM_MIN_P = 0.02

#: How near a wrong answer must be to a slip's value to be named by it: within the
#: tolerance, or half a percent of the value, or 0.001 (a hand calculation carries its own
#: rounding into the slip).
_SLIP_REL = 0.005
_SLIP_ABS = 1e-3
#: A p whose sum is off by less than this per class is rounded, not "does not sum to 1".
_SUM_SLACK = 0.01


@dataclass(frozen=True)
class Problem:
    """A generated exercise: its seed, the logits ``o`` and the true class ``k``."""

    seed: int
    logits: tuple[float, ...]
    target: int


def make_problem(seed: int) -> Problem:
    """The problem of ``seed``: the same seed gives the same logits and class everywhere.

    >>> make_problem(7) == make_problem(7)
    True
    >>> p = make_problem(7)
    >>> len(p.logits) in (3, 4) and all(round(o, 1) == o for o in p.logits)
    True

    ``seed`` is any non-negative integer (``state.PROBLEM_RANGE`` bounds a link's). Returns
    a :class:`Problem` with ``PROBLEM_CLASSES`` classes and logits in ``PROBLEM_LOGITS``.
    """
    rng = np.random.default_rng(seed)
    lo, hi = (round(10 * bound) for bound in PROBLEM_LOGITS)
    for _ in range(1000):  # about one draw in three is kept: this ends at once
        K = int(rng.integers(PROBLEM_CLASSES[0], PROBLEM_CLASSES[1] + 1))
        tenths = rng.integers(lo, hi + 1, size=K)
        if len(set(tenths.tolist())) == K and softmax(tenths / 10).min() >= PROBLEM_MIN_P:
            break
    target = int(rng.integers(K))
    return Problem(seed, tuple(int(t) / 10 for t in tenths), target)


@dataclass(frozen=True)
class Slip:
    """A common mistake, by name, with one line on what went wrong."""

    name: str
    why: str


@dataclass(frozen=True)
class Verdict:
    """One number marked: what was given, the exact value, and the slip a wrong one shows.

    ``ok`` is None while the number is not answered (a blank box is never marked wrong);
    ``slip`` is None for a right answer, or a wrong one no common slip explains.
    """

    quantity: str  # "p", "L" or "dL/do"
    index: int | None  # the class, or None for the loss
    given: float | None
    correct: float
    ok: bool | None
    slip: Slip | None = None


@dataclass(frozen=True)
class _Exact:
    """The exact answers and what the slips are computed from."""

    o: np.ndarray
    y: np.ndarray
    T: float
    p: np.ndarray
    loss: float
    grad: np.ndarray
    tol: float

    @property
    def one_hot(self) -> bool:
        return bool(np.count_nonzero(self.y) == 1)

    @property
    def over_t(self) -> str:
        return "" if self.T == 1 else " ÷ T"


#: A slip and the values it would give: one array per way of making it (shape (K,) for p
#: and ∂L/∂o, shape () for L); NaN where it does not apply.
_Candidate = tuple[Slip, list[np.ndarray]]


def check_work(
    logits: ArrayLike,
    y: ArrayLike,
    T: float,
    p_given: Sequence[float] | None,
    loss_given: float | None,
    grad_given: Sequence[float] | None,
    tol: float = 5e-4,
) -> list[Verdict]:
    """Mark each answer against the exact value, within ``tol`` (default: 3 decimals).

    An answer that is None (a blank box), or a vector whose length is not the number of
    classes (see :func:`count_problem`), is not marked: its verdicts have ``ok`` None.

    >>> marks = check_work([2, 3, 4], [0, 1, 0], 1.0, [0.09, 0.245, 0.665], 1.406,
    ...                    [0.09, -0.775, 0.665])
    >>> [(m.quantity, m.index, m.slip.name) for m in marks if m.ok is False]
    [('L', None, 'Loss from rounded p'), ('dL/do', 1, 'Arithmetic slip in pₖ − 1')]

    Parameters: ``logits`` and ``y`` shape (K,), ``T`` the temperature; the answers as
    typed. Returns 2K + 1 verdicts: p by class, L, then ∂L/∂o by class.
    """
    o = np.asarray(logits, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    K = o.size
    exact = _Exact(
        o=o,
        y=y_arr,
        T=float(T),
        p=softmax(o, T),
        loss=float(cross_entropy(o, y_arr, T)),
        grad=grad_logits(o, y_arr, T),
        tol=float(tol),
    )
    p_vec = _usable(p_given, K)
    grad_vec = _usable(grad_given, K)
    loss = None if loss_given is None else np.array(float(loss_given))
    with np.errstate(all="ignore"):  # a slip's value may overflow; it is then no match
        return [
            *_mark("p", exact.p, p_vec, lambda: _p_slips(exact, p_vec), exact),
            *_mark("L", np.array(exact.loss), loss, lambda: _loss_slips(exact, p_vec), exact),
            *_mark(
                "dL/do", exact.grad, grad_vec, lambda: _grad_slips(exact, p_vec, grad_vec), exact
            ),
        ]


def _usable(given: Sequence[float] | None, K: int) -> np.ndarray | None:
    """The answer vector if it has one value per class, else None (not marked)."""
    if given is None or len(given) != K:
        return None
    return np.array([float(v) for v in given])


def count_problem(label: str, given: Sequence[float] | None, K: int) -> str | None:
    """What is wrong with the length of an answer vector, or None when it has K values.

    >>> count_problem("Your p", [0.1, 0.9], 3)
    'Your p: 2 values for 3 classes. Type one value for each class, class 0 first.'
    >>> count_problem("Your p", None, 3) is None
    True
    """
    if given is None or len(given) == K:
        return None
    values = "value" if len(given) == 1 else "values"
    return (
        f"{label}: {len(given)} {values} for {K} classes. "
        "Type one value for each class, class 0 first."
    )


def _mark(
    quantity: str,
    correct: np.ndarray,
    given: np.ndarray | None,
    slips: Callable[[], list[_Candidate]],
    exact: _Exact,
) -> list[Verdict]:
    """The verdicts of one answer (a vector, or the scalar L); the slips' values are
    computed only once a number is wrong."""
    candidates: list[_Candidate] | None = None
    indices: list[int | None] = [None] if correct.ndim == 0 else list(range(correct.size))
    verdicts = []
    for i in indices:
        c = float(correct if i is None else correct[i])
        if given is None:
            verdicts.append(Verdict(quantity, i, None, c, None))
            continue
        g = float(given if i is None else given[i])
        if abs(g - c) <= exact.tol:
            verdicts.append(Verdict(quantity, i, g, c, True))
            continue
        candidates = slips() if candidates is None else candidates
        slip = _named(g, c, i, candidates) or _number_slip(g, c, exact.tol, quantity, exact)
        verdicts.append(Verdict(quantity, i, g, c, False, slip))
    return verdicts


def _named(g: float, c: float, i: int | None, candidates: list[_Candidate]) -> Slip | None:
    """The first slip whose value ``g`` matches, nearer to it than to the exact ``c``."""
    for slip, ways in candidates:
        for values in ways:
            s = float(values if i is None else values[i])
            if np.isfinite(s) and _near(g, s, c):
                return slip
    return None


def _near(g: float, s: float, c: float) -> bool:
    """Whether ``g`` is the slip's value ``s`` as a hand calculation would write it."""
    gap = abs(g - s)
    return gap <= max(_SLIP_REL * abs(s), _SLIP_ABS) and gap < abs(g - c)


def _p_slips(exact: _Exact, p_vec: np.ndarray | None) -> list[_Candidate]:
    """The slips a wrong p can show, most specific first."""
    o, T = exact.o, exact.T
    total = o.sum()
    e_o = np.exp(o / T)
    candidates: list[_Candidate] = [
        (
            Slip("Percentages", "p is a probability, between 0 and 1: 50 % is p = 0.5."),
            [100 * exact.p],
        ),
    ]
    # Percentages of a p with slips of its own still sum to 100.
    if p_vec is not None and abs(p_vec.sum() - 100) <= 100 * exact.tol * o.size:
        candidates.append((candidates[0][0], [p_vec]))  # each entry matches itself
    if T != 1:
        candidates.append(
            (
                Slip(
                    "Temperature forgotten",
                    f"p = softmax(o / T): divide the logits by T = {T:g} first.",
                ),
                [softmax(o)],
            )
        )
    candidates += [
        (
            Slip(
                "Softmax without the exp",
                "Softmax takes the exp of each logit before dividing by the sum: "
                "pᵢ = exp(oᵢ) / Σ exp(o), not oᵢ / Σ o.",
            ),
            [o / total if total != 0 else np.full_like(o, np.nan)],
        ),
        (
            Slip(
                "Not divided by the sum",
                "exp(oᵢ) is only the top of the softmax: divide each by the sum of exp(o) "
                "over all classes, so that p sums to 1.",
            ),
            [e_o],
        ),
        (
            Slip(
                "The logits, not probabilities",
                "o are scores; p = softmax(o) turns them into probabilities.",
            ),
            [o],
        ),
    ]
    # Past the slips above, a p that does not sum to 1 is named by its sum: each wrong entry
    # matches itself here.
    if p_vec is not None and abs(p_vec.sum() - 1) > max(exact.tol, _SUM_SLACK) * o.size:
        why = f"Your p sums to {p_vec.sum():.4g}; probabilities over all classes sum to 1."
        candidates.append((Slip("Does not sum to 1", why), [p_vec]))
    return candidates


def _minus_y_log(y: np.ndarray, p: np.ndarray, log=np.log) -> np.ndarray:
    """−Σ y_i log p_i over the classes with y_i > 0 (so a p of 0 elsewhere is no matter)."""
    used = y > 0
    return np.array(-np.sum(y[used] * log(p[used])))


def _loss_slips(exact: _Exact, p_vec: np.ndarray | None) -> list[_Candidate]:
    """The slips a wrong L can show, most specific first."""
    y, p = exact.y, exact.p
    rounded = [_minus_y_log(y, np.round(p, d)) for d in (3, 2)]
    if p_vec is not None and np.max(np.abs(p_vec - p)) < 0.01:
        rounded.append(_minus_y_log(y, p_vec))
    candidates: list[_Candidate] = [
        (
            Slip(
                "Loss from rounded p",
                "p was rounded before the log, which moves L in its third decimal: keep all "
                "of p's digits until the end.",
            ),
            rounded,
        ),
        (
            Slip("Log base 10", "Cross-entropy uses the natural log ln; log₁₀ gives L ÷ 2.303."),
            [_minus_y_log(y, p, np.log10)],
        ),
        (
            Slip("Log base 2", "Cross-entropy here uses the natural log ln; log₂ gives L × 1.443."),
            [_minus_y_log(y, p, np.log2)],
        ),
        (
            Slip(
                "Sign flipped",
                "L = −Σ yᵢ ln pᵢ is never negative: ln p < 0, and the minus makes L positive.",
            ),
            [np.array(-exact.loss)],
        ),
    ]
    if exact.T != 1:
        why = f"p = softmax(o / T): divide the logits by T = {exact.T:g} before the softmax."
        candidates.append((Slip("Temperature forgotten", why), [_minus_y_log(y, softmax(exact.o))]))
    k = int(np.argmax(y))
    if exact.one_hot:
        others = [np.array(-np.log(p[j])) for j in range(p.size) if j != k]
        why = f"L = −ln pₖ uses the p of the true class, k = {k}."
        candidates.append((Slip("Log of the wrong class's p", why), others))
    else:
        why = "With a soft target every class with yᵢ > 0 counts: L = −Σ yᵢ ln pᵢ."
        candidates.append((Slip("Only the true class", why), [np.array(-np.log(p[k]))]))
    if p_vec is not None and np.all(p_vec[y > 0] > 0):
        why = "That is −Σ yᵢ ln pᵢ for your p, which is off: fix p, and L follows."
        candidates.append((Slip("Carried over from your p", why), [_minus_y_log(y, p_vec)]))
    return candidates


def _grad_slips(
    exact: _Exact, p_vec: np.ndarray | None, grad_vec: np.ndarray | None
) -> list[_Candidate]:
    """The slips a wrong ∂L/∂o can show, most specific first."""
    y, p, T, o = exact.y, exact.p, exact.T, exact.o
    total = o.sum()
    no_exp = o / total if total != 0 else np.full_like(o, np.nan)
    minus = "pₖ − 1" if exact.one_hot else "pᵢ − yᵢ"
    candidates: list[_Candidate] = [
        (
            Slip(
                "∂L/∂p instead of ∂L/∂o",
                "−yᵢ / pᵢ is the derivative with respect to the probabilities p; the logits "
                "act through the softmax, and ∂L/∂o = p − y.",
            ),
            [_dl_dp(exact, grad_vec)],
        ),
        (
            Slip(
                "y not subtracted",
                f"∂L/∂oᵢ = (pᵢ − yᵢ){exact.over_t}: for the true class that is {minus}, "
                "which is negative.",
            ),
            [np.where(y > 0, p / T, np.nan)],
        ),
        (
            Slip(
                "Sign flipped: y − p",
                f"The gradient is (p − y){exact.over_t}; y − p is the step gradient descent "
                "takes, the opposite way.",
            ),
            [-exact.grad],
        ),
        (
            Slip("Percentages", "The gradient is p − y with p between 0 and 1, not in percent."),
            [100 * exact.grad],
        ),
    ]
    if T != 1:
        why = f"p = softmax(o / T) and ∂L/∂o = (p − y) ÷ T, with T = {T:g}."
        candidates.append((Slip("Temperature forgotten", why), [softmax(o) - y]))
        why = f"With temperature T the gradient is (p − y) ÷ T: divide by T = {T:g}."
        candidates.append((Slip("÷ T forgotten", why), [p - y]))
    candidates += [
        (
            Slip(
                "Softmax without the exp",
                "pᵢ = exp(oᵢ) / Σ exp(o), not oᵢ / Σ o: the gradient p − y needs the right p.",
            ),
            [(no_exp - y) / T],
        ),
        (
            Slip(
                "Zero for a wrong class",
                "Every logit moves every p through the softmax's sum: for a class with "
                f"y = 0 the gradient is its p{exact.over_t}, not 0.",
            ),
            [np.where(y == 0, 0.0, np.nan)],
        ),
    ]
    if p_vec is not None:
        why = f"That is (p − y){exact.over_t} for your p, which is off: fix p, and this follows."
        candidates.append((Slip("Carried over from your p", why), [(p_vec - y) / T]))
    return candidates


def _dl_dp(exact: _Exact, grad_vec: np.ndarray | None) -> np.ndarray:
    """−y/p, the slip ∂L/∂p for ∂L/∂o. It is 0 for every class with y_i = 0: a 0 there is
    this slip only if the answer shows −y_i/p_i where y_i > 0 too (else it is the "zero
    for a wrong class" slip)."""
    y = exact.y
    dl_dp = -y / exact.p
    if grad_vec is None or not any(
        _near(grad_vec[i], dl_dp[i], exact.grad[i]) for i in np.flatnonzero(y > 0)
    ):
        dl_dp = np.where(y > 0, dl_dp, np.nan)
    return dl_dp


def _decimals(x: float) -> int | None:
    """How many decimals ``x`` was written with (up to 6), or None."""
    for d in range(7):
        if abs(x * 10**d - round(x * 10**d)) < 1e-6 * max(1.0, abs(x) * 10**d):
            return d
    return None


def _one_digit_off(g: float, c: float, d: int) -> bool:
    """``g`` and ``c`` to ``d`` decimals differ in one digit, or in two swapped neighbours."""
    a, b = f"{abs(g):.{d}f}", f"{abs(c):.{d}f}"
    if (g < 0) != (c < 0) or len(a) != len(b):
        return False
    diff = [i for i, (u, v) in enumerate(zip(a, b, strict=True)) if u != v]
    swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
    return len(diff) == 1 or (swapped and a[diff[1]] == b[diff[0]])


def _number_slip(g: float, c: float, tol: float, quantity: str, exact: _Exact) -> Slip | None:
    """A slip in writing the number itself: rounded too soon, or one digit off."""
    d = _decimals(g)
    if d is None or not np.isfinite(c) or abs(c) >= 1e6:
        return None
    if abs(g - c) < 10.0**-d:
        if 10.0**-d / 2 > tol:
            places = "decimal" if d == 1 else "decimals"
            return Slip(
                f"Rounded to {d} {places}",
                f"Answers count as right within ±{tol:g}: keep more digits.",
            )
        return Slip(
            "Last digit off",
            "Round the last digit, don't cut it off, and carry more digits through the "
            "working: early rounding adds up.",
        )
    if d >= 2 and _one_digit_off(g, c, d):
        true_class = quantity == "dL/do" and exact.one_hot and c < 0
        where = "pₖ − 1" if true_class else "this number"
        return Slip(
            f"Arithmetic slip in {where}",
            "All but one digit are right: redo the arithmetic (the textbook derivation on "
            "the Derivation view slipped the same way in pₖ − 1).",
        )
    return None
