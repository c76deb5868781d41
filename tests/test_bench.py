"""The benchmark commands refuse bad arguments with a message, before starting anything."""

from __future__ import annotations

import pytest

from bench.__main__ import main as bench_main
from bench.hall import main as hall_main


@pytest.mark.parametrize("args", [["10o"], ["0"], ["100", "-5"], ["--replicas", "two"]])
def test_hall_names_a_bad_argument(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A class size that is not a positive number, or a bad replica count, is named and the
    exit status is 2: no server is started (the call returns at once)."""
    assert hall_main(args) == 2
    assert "bench hall:" in capsys.readouterr().out


def test_an_unknown_benchmark_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["landscpe"]) == 2
    assert "unknown benchmark landscpe" in capsys.readouterr().err
