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


@pytest.mark.parametrize("args", [["sixty"], ["0"]])
def test_browser_names_a_bad_argument(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """An edit count that is not a positive number is named (exit status 2) before any
    server or browser starts."""
    from bench.browser import main as browser_main

    assert browser_main(args) == 2
    assert "bench browser:" in capsys.readouterr().out


@pytest.mark.parametrize(("train_ms", "met"), [(34.0, False), (28.0, True)])
def test_browser_takes_each_servers_idle_out_of_its_edits(
    train_ms: float, met: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each server idles at 4 ms a second (measured with nothing edited): 0.4 ms of a
    0.1 s minimal edit and 1.6 ms of a 0.4 s retrain are idle. 6 ms against 34 ms is
    5.67x as measured and (34 - 1.6) / (6 - 0.4) = 5.79x less idle, over 5x; 28 ms gives
    (28 - 1.6) / 5.6 = 4.71x, within it."""
    from bench.browser import Edits, report

    results = {
        "minimal app": Edits([0.006] * 10, [0.1] * 10, 0.004),
        "retrain": Edits([train_ms / 1e3] * 10, [0.4] * 10, 0.004),
    }
    assert report(results) is met
    out = capsys.readouterr().out
    wanted = {
        34.0: "5.67x as measured, 5.79x less idle",
        28.0: "4.67x as measured, 4.71x less idle",
    }
    assert wanted[train_ms] in out
