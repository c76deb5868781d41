"""Marking hand-computed answers: verdicts and the hints that name the slip."""

from __future__ import annotations

import math

import pytest

from ce_viz.check import check_work, count_notes

SEED_O = [2.0, 3.0, 4.0]
SEED_Y = [0.0, 1.0, 0.0]
# The exact seed answers, written out from the closed forms.
_S = math.exp(2) + math.exp(3) + math.exp(4)
P = [math.exp(2) / _S, math.exp(3) / _S, math.exp(4) / _S]
L = -math.log(P[1])
G = [P[0], P[1] - 1.0, P[2]]


def marks(p=P, loss=L, grad=G, o=SEED_O, y=SEED_Y, T=1.0, tol=5e-4):
    """Check the given answers and return the verdicts keyed by (quantity, index)."""
    return {(v.quantity, v.index): v for v in check_work(o, y, T, p, loss, grad, tol)}


def test_exact_answers_are_all_right() -> None:
    """The exact values pass every check, with no hint."""
    result = marks()
    assert all(v.ok for v in result.values())
    assert all(v.hint == "" for v in result.values())
    assert len(result) == 7


def test_the_seed_derivation_is_caught_on_its_two_slips() -> None:
    """The seed's own numbers: p passes to 3 decimals; 1.406 and −0.775 are flagged."""
    result = marks(p=[0.090, 0.245, 0.665], loss=1.406, grad=[0.090, -0.775, 0.665])
    wrong = {key for key, v in result.items() if not v.ok}
    assert wrong == {("L", None), ("dL/do", 1)}
    assert "rounded p_k to 0.245 before the log" in result["L", None].hint
    assert "check the subtraction" in result["dL/do", 1].hint
    assert "-0.7553" in result["dL/do", 1].hint
    assert result["dL/do", 1].correct == pytest.approx(G[1], rel=1e-15)


def test_tolerance_sets_what_counts_as_right() -> None:
    """0.245 passes at 3 decimals but fails at 1e-6."""
    assert marks(p=[P[0], 0.245, P[2]])["p", 1].ok
    assert not marks(p=[P[0], 0.245, P[2]], tol=1e-6)["p", 1].ok


# (changed answer, the verdict key, a phrase its hint must contain)
HINTS = [
    ({"p": [1.0, 1.0, 1.0]}, ("p", 0), "sums to 3"),
    ({"loss": -math.log10(P[1])}, ("L", None), "log base 10"),
    ({"loss": -L}, ("L", None), "Check the sign"),
    ({"grad": [G[0], -G[1], G[2]]}, ("dL/do", 1), "Check the sign"),
    ({"grad": [0.5, G[1], G[2]]}, ("dL/do", 0), "For a wrong class"),
    ({"p": P[:2]}, ("p", 2), "Missing"),
]


@pytest.mark.parametrize(("change", "key", "phrase"), HINTS)
def test_each_slip_gets_its_hint(change: dict, key: tuple, phrase: str) -> None:
    """A typical mistake is marked wrong with a hint naming it."""
    verdict = marks(**change)[key]
    assert not verdict.ok
    assert phrase in verdict.hint


def test_forgotten_temperature_is_named() -> None:
    """Answers computed at T = 1 when T = 2 get the temperature hint."""
    result = marks(p=P, T=2.0)
    assert not result["p", 0].ok
    assert "divide the logits by T = 2 first" in result["p", 0].hint


def test_soft_target_hint_uses_p_minus_y() -> None:
    """With a soft target the gradient hint is written as p_i − y_i."""
    y = [0.1, 0.8, 0.1]
    result = marks(y=y, grad=[0.0, 0.0, 0.0])
    assert "(p_0 − y_0)" in result["dL/do", 0].hint
    assert result["dL/do", 0].correct == pytest.approx(P[0] - 0.1, rel=1e-14)


#: (K, p given, gradient given, the notes): answers whose length is not K are named.
COUNT_CASES = [
    (3, P, G, []),
    (
        3,
        [0.09, 0.245, 0.665, 0.9, 0.9],
        G,
        ["You gave 5 values of p for 3 classes; the extra 2 (0.9, 0.9) were not checked."],
    ),
    (
        3,
        P,
        [*G, -1e300],
        ["You gave 4 values of ∂L/∂o for 3 classes; the extra 1 (-1e+300) was not checked."],
    ),
    (
        4,
        [0.5],
        P,
        [
            "You gave 1 value of p for 4 classes; the missing 3 are marked wrong.",
            "You gave 3 values of ∂L/∂o for 4 classes; the missing 1 is marked wrong.",
        ],
    ),
]


@pytest.mark.parametrize(("K", "p", "grad", "notes"), COUNT_CASES)
def test_count_notes_name_extra_and_missing_answers(
    K: int, p: list[float], grad: list[float], notes: list[str]
) -> None:
    """An answer vector longer or shorter than K gets one note saying what was not marked."""
    assert count_notes(K, p, grad) == notes


def test_extra_answers_are_not_marked() -> None:
    """Five values of p for three classes: three verdicts for p, and a note for the rest."""
    p = [*P, 0.9, 0.9]
    verdicts = check_work(SEED_O, SEED_Y, 1.0, p, L, G)
    assert [v.index for v in verdicts if v.quantity == "p"] == [0, 1, 2]
    assert count_notes(3, p, G) == [
        "You gave 5 values of p for 3 classes; the extra 2 (0.9, 0.9) were not checked."
    ]
