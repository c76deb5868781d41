"""The benchmark commands refuse bad arguments with a message, before starting anything."""

from __future__ import annotations

import pytest

from bench.__main__ import main as bench_main
from bench.hall import main as hall_main


@pytest.mark.parametrize(
    "args",
    [["10o"], ["0"], ["100", "-5"], ["--replicas", "two"], ["--view", "trian"], ["--view"]],
)
def test_hall_names_a_bad_argument(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A class size that is not a positive number, a bad replica count or a view with no
    lesson is named and the exit status is 2: no server is started (the call returns at
    once)."""
    assert hall_main(args) == 2
    assert "bench hall:" in capsys.readouterr().out


def test_an_unknown_benchmark_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["landscpe"]) == 2
    assert "unknown benchmark landscpe" in capsys.readouterr().err


def test_a_train_hall_types_values_no_other_student_types() -> None:
    """The Watch it learn hall's students each type learning rates of their own, so every
    edit trains again; the gradient hall's students type the same logits, as before."""
    from bench.hall import LESSONS

    train = LESSONS["train"]
    typed = [train.value(n, i) for n in range(200) for i in range(5)]
    assert len(set(typed)) == len(typed)
    assert all(0 < v < 1 for v in typed)
    assert train.value(5000, 0) not in typed  # the warm-up's
    gradient = LESSONS["gradient"]
    assert {gradient.value(n, 0) for n in range(200)} == {2.25}
