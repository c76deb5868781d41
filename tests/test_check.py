"""The check view's exercise: problems made from a seed, and the marking that names each slip.

Every expected value is written out from the closed forms with ``math`` (never taken from
``ce_viz``): the seed problem's p, L and ∂L/∂o, and what each slip turns them into.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from ce_viz.check import (
    LABELS,
    PROBLEM_CLASSES,
    PROBLEM_LOGITS,
    PROBLEM_MIN_P,
    check_work,
    count_problem,
    make_problem,
)

SEED_O = [2.0, 3.0, 4.0]
SEED_Y = [0.0, 1.0, 0.0]
# The exact seed answers, from the closed forms.
_S = math.exp(2) + math.exp(3) + math.exp(4)
P = [math.exp(2) / _S, math.exp(3) / _S, math.exp(4) / _S]
L = -math.log(P[1])
G = [P[0], P[1] - 1.0, P[2]]


def marks(p=P, loss=L, grad=G, o=SEED_O, y=SEED_Y, T=1.0, tol=5e-4):
    """Check the given answers and return the verdicts keyed by (quantity, index)."""
    return {(v.quantity, v.index): v for v in check_work(o, y, T, p, loss, grad, tol)}


def slips(result: dict) -> dict:
    """The slip named for each wrong number, by (quantity, index)."""
    return {key: (v.slip.name if v.slip else None) for key, v in result.items() if v.ok is False}


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


def _softmax(o: tuple[float, ...]) -> list[float]:
    top = max(o)
    e = [math.exp(v - top) for v in o]
    return [v / sum(e) for v in e]


@pytest.mark.parametrize("seed", range(1, 401))
def test_a_problem_has_nice_numbers(seed: int) -> None:
    """3 or 4 classes, distinct one-decimal logits in [−2, 3], every p ≥ 0.02, k a class."""
    problem = make_problem(seed)
    K = len(problem.logits)
    assert PROBLEM_CLASSES[0] <= K <= PROBLEM_CLASSES[1]
    assert all(PROBLEM_LOGITS[0] <= o <= PROBLEM_LOGITS[1] for o in problem.logits)
    assert all(float(f"{o:.1f}") == o for o in problem.logits)
    assert len(set(problem.logits)) == K
    assert min(_softmax(problem.logits)) >= PROBLEM_MIN_P
    assert 0 <= problem.target < K
    assert problem.seed == seed


def test_the_same_seed_gives_the_same_problem_in_another_process() -> None:
    """A seed is the whole problem: a fresh interpreter makes the very same one."""
    code = "from ce_viz.check import make_problem as m; print([tuple(m(s)[1:]) for s in (1, 7)])"
    here = [(make_problem(s).logits, make_problem(s).target) for s in (1, 7)]
    out = subprocess.run(
        [sys.executable, "-c", code.replace("tuple(m(s)[1:])", "(m(s).logits, m(s).target)")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(here)
    assert make_problem(7) == make_problem(7)


def test_seeds_give_varied_problems() -> None:
    """Different seeds give different problems, both sizes, and every class as the answer."""
    problems = [make_problem(s) for s in range(1, 201)]
    assert len({(p.logits, p.target) for p in problems}) >= 195
    assert {len(p.logits) for p in problems} == {3, 4}
    assert {p.target for p in problems} == {0, 1, 2, 3}


# --------------------------------------------------------------------------------------
# Marking
# --------------------------------------------------------------------------------------


def test_exact_answers_are_all_right() -> None:
    """The exact values pass every check, with no slip."""
    result = marks()
    assert len(result) == 7
    assert all(v.ok is True and v.slip is None for v in result.values())


def test_blank_answers_are_not_marked() -> None:
    """A blank box (None) is not answered: no verdict, never 0, never wrong."""
    result = marks(p=None, loss=None, grad=None)
    assert all(v.ok is None and v.given is None and v.slip is None for v in result.values())
    partly = marks(p=P, loss=None, grad=None)
    assert [partly["p", i].ok for i in range(3)] == [True, True, True]
    assert partly["L", None].ok is None


def test_the_textbook_derivation_is_caught_on_its_two_slips() -> None:
    """Its p passes to 3 decimals; 1.406 is a loss from rounded p, −0.775 a slip in pₖ − 1."""
    result = marks(p=[0.090, 0.245, 0.665], loss=1.406, grad=[0.090, -0.775, 0.665])
    assert slips(result) == {
        ("L", None): "Loss from rounded p",
        ("dL/do", 1): "Arithmetic slip in pₖ − 1",
    }
    assert result["dL/do", 1].correct == pytest.approx(G[1], rel=1e-15)
    assert result["L", None].correct == pytest.approx(L, rel=1e-15)


def test_tolerance_sets_what_counts_as_right() -> None:
    """0.245 passes at 3 decimals but fails at 1e-6."""
    assert marks(p=[P[0], 0.245, P[2]])["p", 1].ok
    assert not marks(p=[P[0], 0.245, P[2]], tol=1e-6)["p", 1].ok


_E = [math.exp(v) for v in SEED_O]
# (answers changed from the exact ones, the numbers that must be wrong, the slip named)
SLIPS = [
    (
        {"grad": [0.0, -1 / P[1], 0.0]},
        [("dL/do", 0), ("dL/do", 1), ("dL/do", 2)],
        "∂L/∂p instead of ∂L/∂o",
    ),
    ({"grad": [0.0, -4.0816, 0.0]}, [("dL/do", 1)], "∂L/∂p instead of ∂L/∂o"),  # −1/0.245
    ({"grad": [-g for g in G]}, [("dL/do", 0), ("dL/do", 1), ("dL/do", 2)], "Sign flipped: y − p"),
    ({"grad": [G[0], P[1], G[2]]}, [("dL/do", 1)], "y not subtracted"),
    ({"grad": [0.0, G[1], 0.0]}, [("dL/do", 0), ("dL/do", 2)], "Zero for a wrong class"),
    ({"p": [9.0, 24.5, 66.5]}, [("p", 0), ("p", 1), ("p", 2)], "Percentages"),
    ({"p": [10.0, 20.0, 70.0]}, [("p", 0), ("p", 1), ("p", 2)], "Percentages"),
    ({"grad": [9.0, -75.5, 66.5]}, [("dL/do", 0), ("dL/do", 1), ("dL/do", 2)], "Percentages"),
    ({"p": [2 / 9, 3 / 9, 4 / 9]}, [("p", 0), ("p", 1), ("p", 2)], "Softmax without the exp"),
    ({"p": SEED_O}, [("p", 0), ("p", 1), ("p", 2)], "The logits, not probabilities"),
    ({"p": _E}, [("p", 0), ("p", 1), ("p", 2)], "Not divided by the sum"),
    ({"p": [1.0, 1.0, 1.0]}, [("p", 0), ("p", 1), ("p", 2)], "Does not sum to 1"),
    ({"loss": -math.log10(P[1])}, [("L", None)], "Log base 10"),
    ({"loss": -math.log2(P[1])}, [("L", None)], "Log base 2"),
    ({"loss": -L}, [("L", None)], "Sign flipped"),
    ({"loss": -math.log(P[2])}, [("L", None)], "Log of the wrong class's p"),
    ({"loss": -math.log(0.245)}, [("L", None)], "Loss from rounded p"),
    ({"loss": -math.log(0.24)}, [("L", None)], "Loss from rounded p"),
    ({"grad": [G[0], -0.7535, G[2]]}, [("dL/do", 1)], "Arithmetic slip in pₖ − 1"),  # swapped
    ({"p": [P[0], 0.24, P[2]]}, [("p", 1)], "Rounded to 2 decimals"),
    ({"loss": 1.41}, [("L", None)], "Rounded to 2 decimals"),  # not "from rounded p"
    ({"p": [P[0], 0.244, P[2]]}, [("p", 1)], "Last digit off"),  # cut off, not rounded
    ({"p": [0.1, 0.2, 0.7], "loss": -math.log(0.2)}, [("L", None)], "Carried over from your p"),
    ({"p": [0.1, 0.2, 0.7], "grad": [0.1, -0.8, 0.7]}, [("dL/do", 1)], "Carried over from your p"),
]


@pytest.mark.parametrize(
    ("change", "keys", "name"), SLIPS, ids=[f"{name}-{i}" for i, (_, _, name) in enumerate(SLIPS)]
)
def test_each_slip_is_named(change: dict, keys: list, name: str) -> None:
    """A common slip is marked wrong and named by what it is, on each number it touches."""
    result = marks(**change)
    for key in keys:
        assert result[key].ok is False, key
        assert result[key].slip is not None, key
        assert result[key].slip.name == name, key


def test_a_slip_is_explained_without_giving_the_answer_away() -> None:
    """Every named slip has a one-line reason, and none of them states an exact value."""
    exact = [f"{v:.4f}".replace("-", "") for v in (*P, L, *G)] + ["0.755", "1.408", "0.245"]
    for change, keys, _ in SLIPS:
        for key in keys:
            why = marks(**change)[key].slip.why
            assert why
            assert "\n" not in why
            assert not [value for value in exact if value in why], why


def test_temperature_slips() -> None:
    """At T = 2, answers for T = 1 are 'temperature forgotten'; p − y not divided by T is
    '÷ T forgotten'."""
    s = sum(math.exp(v / 2) for v in SEED_O)
    p2 = [math.exp(v / 2) / s for v in SEED_O]
    at_t1 = marks(p=P, loss=L, grad=G, T=2.0)
    assert set(slips(at_t1).values()) == {"Temperature forgotten"}
    assert len(slips(at_t1)) == 7
    undivided = [p2[0], p2[1] - 1, p2[2]]
    result = marks(p=p2, loss=-math.log(p2[1]), grad=undivided, T=2.0)
    assert slips(result) == {("dL/do", i): "÷ T forgotten" for i in range(3)}
    assert result["dL/do", 1].correct == pytest.approx((p2[1] - 1) / 2, rel=1e-14)


def test_soft_target_loss_from_the_true_class_alone_is_named() -> None:
    """With y = (0.2, 0.7, 0.1), −ln p₁ alone is 'only the true class'."""
    y = [0.2, 0.7, 0.1]
    result = marks(y=y, loss=-math.log(P[1]))
    assert slips(result)["L", None] == "Only the true class"
    exact = -sum(w * math.log(p) for w, p in zip(y, P, strict=True))
    assert result["L", None].correct == pytest.approx(exact, rel=1e-14)


def test_a_nearly_right_answer_is_blamed_on_no_slip() -> None:
    """0.2455 for p₁ (off by 0.0008, no common slip) is wrong with no slip named."""
    result = marks(p=[P[0], 0.2455, P[2]])
    assert result["p", 1].ok is False
    assert result["p", 1].slip is None


def test_an_answer_of_the_wrong_length_is_not_marked() -> None:
    """Two values of p for three classes: p is not marked, and the message names the box."""
    result = marks(p=[0.1, 0.9])
    assert all(result["p", i].ok is None for i in range(3))
    assert result["L", None].ok is True
    message = count_problem(LABELS["my_p"], [0.1, 0.9], 3)
    assert message is not None
    assert message.startswith("Your p: 2 values for 3 classes")
    assert "my_p" not in message
    assert count_problem(LABELS["my_grad"], [0.1, 0.2, 0.3, 0.4, 0.5], 3).startswith(
        "Your ∂L/∂o: 5 values"
    )
    assert count_problem("Your p", G, 3) is None


def test_extreme_logits_mark_without_a_warning() -> None:
    """Logits of ±1e300 with answers of ±1e300: verdicts, no overflow warning (an error here)."""
    with_big = check_work([1e300, -1e300, 0.0], [1, 0, 0], 0.01, [1e300] * 3, -1e300, [0.0] * 3)
    assert len(with_big) == 7
    assert all(math.isfinite(v.correct) for v in with_big)
    assert with_big[0].ok is False
