"""Tests for the command line, ``python -m ce_viz``.

The cases call ``ce_viz.__main__.main(argv)`` in this process and read what it prints with
capsys; two smoke tests run ``python -m ce_viz`` in a subprocess, once with good input and
once with bad, to check the module really runs as a program and exits with main's status.

Expected numbers are closed forms written out with math, not copies of the output.
"""

from __future__ import annotations

import doctest
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import ce_viz.__main__ as cli

ROOT = Path(__file__).resolve().parents[1]

#: (arguments, pattern the single stderr line must contain): each must exit with status 2.
BAD_ARGUMENTS: list[tuple[list[str], str]] = [
    (["--logits", "2", "nan", "--target", "1"], "not a finite number: 'nan'"),
    (["--logits", "inf", "2", "--target", "0"], "not a finite number: 'inf'"),
    (["--logits", "2", "-inf", "--target", "0"], "not a finite number: '-inf'"),
    (["--logits", "1e400", "2", "--target", "0"], "not a finite number: '1e400'"),
    (["--logits", "2", "abc", "--target", "0"], "not a number: 'abc'"),
    (["--logits", "2", "3", "4", "--target", "3"], "the target class must be in 0..2, got 3"),
    (["--logits", "2", "3", "4", "--target", "-1"], "the target class must be in 0..2, got -1"),
    (["--logits", "2", "3", "--target", "1.5"], "not a class index (an integer): '1.5'"),
    (["--logits", "3", "--target", "0"], "at least 2"),
    (["--logits", "3", "--y", "1"], "at least 2"),
    (["--logits", "2", "3", "4"], "give the true class with --target K"),
    (["--logits", "2", "3", "--target", "0", "--y", "1", "0"], "not allowed with argument"),
    (["--logits", "2", "3", "--y", "0.5", "0.6"], "must sum to 1 (within 1e-09), got a sum of 1.1"),
    (["--logits", "2", "3", "--y", "0.5", "0.5", "0.0"], "target y must have 2 entries"),
    (["--logits", "2", "3", "--y", "-0.5", "1.5"], "finite and non-negative"),
    (["--logits", "2", "3", "--target", "0", "--T", "0"], "T must be a finite number > 0, got 0.0"),
    (["--logits", "2", "3", "--target", "0", "--T", "-1"], "T must be a finite number > 0"),
    (["--logits", "2", "3", "--target", "0", "--T", "nan"], "not a finite number: 'nan'"),
    (["--logits", "2", "3", "--target", "0", "--smoothing", "1"], "eps must be in [0, 1)"),
    (["--logits", "2", "3", "--target", "0", "--smoothing", "-0.1"], "eps must be in [0, 1)"),
    (["--logits", "--target", "0"], "--logits: expected at least one argument"),
    (["--target", "0"], "the following arguments are required: --logits"),
    (["--logits", "2", "3", "--target", "0", "--bogus"], "unrecognized arguments: --bogus"),
]


@dataclass(frozen=True)
class Run:
    """What one run of the command line did: its exit status and everything it printed."""

    returncode: int | str | None
    stdout: str
    stderr: str


RunCli = Callable[..., Run]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run the command line on ARGS in this process, as ``python -m ce_viz ARGS`` would.

    The status is main's return value, or the code of a SystemExit it raises.
    """

    def run(*args: str) -> Run:
        capsys.readouterr()  # start from empty buffers
        try:
            status: int | str | None = cli.main(list(args))
        except SystemExit as exc:
            status = exc.code
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ce_viz ARGS`` in a subprocess from the project root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ce_viz", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def parse_table(stdout: str) -> tuple[list[list[float]], float]:
    """The rows (class, logit, p, y, dL/do) as floats, and the loss."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == list(cli.HEADERS))
    rows = [[float(cell) for cell in line.split()] for line in lines[header + 1 : -1]]
    last = lines[-1].split()
    assert last[:3] == ["loss", "L", "="], lines[-1]
    assert last[4] == "nats", lines[-1]
    return rows, float(last[3])


def closed_form(logits: list[float], y: list[float], T: float = 1.0) -> tuple[list, list, float]:
    """p, dL/do and L written out: p_i = e^(o_i/T) / sum_j e^(o_j/T), L = -sum y_i log p_i."""
    z = sum(math.exp(o / T) for o in logits)
    p = [math.exp(o / T) / z for o in logits]
    grad = [(pi - yi) / T for pi, yi in zip(p, y, strict=True)]
    loss = -sum(yi * (o / T - math.log(z)) for o, yi in zip(logits, y, strict=True))
    return p, grad, loss


def assert_ok(result: Run | subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def assert_table_matches(stdout: str, logits: list[float], y: list[float], T: float = 1.0) -> None:
    """Every printed number equals the closed form to its 6 printed decimals."""
    p, grad, loss = closed_form(logits, y, T)
    rows, printed_loss = parse_table(stdout)
    assert [row[0] for row in rows] == list(range(len(logits)))
    for i, row in enumerate(rows):
        for printed, exact in zip(row[1:], (logits[i], p[i], y[i], grad[i]), strict=True):
            assert abs(printed - exact) <= 5e-7, f"row {i}: printed {printed}, exact {exact}"
    assert abs(printed_loss - loss) <= 5e-7


def test_seed_example(run_cli: RunCli) -> None:
    """Logits (2, 3, 4), target 1: L = 1.407606 nats and dL/do_1 = -0.755272."""
    result = run_cli("--logits", "2", "3", "4", "--target", "1")
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert lines[-1] == "loss L = 1.407606 nats"
    assert round(math.log(math.exp(-1.0) + 1.0 + math.e), 6) == 1.407606  # log Z - 3
    assert lines[2].split() == ["1", "3.000000", "0.244728", "1.000000", "-0.755272"]
    assert_table_matches(result.stdout, [2.0, 3.0, 4.0], [0.0, 1.0, 0.0])


def test_defaults_are_not_printed(run_cli: RunCli) -> None:
    """With T = 1 and no smoothing the output is the header, K rows and the loss line only."""
    result = run_cli("--logits", "2", "3", "4", "--target", "1")
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 3 + 1
    assert lines[0].split() == ["class", "logit", "p", "y", "dL/do"]
    assert "temperature" not in result.stdout
    assert "smoothing" not in result.stdout


def test_columns_are_aligned(run_cli: RunCli) -> None:
    """Every table line ends each of its five cells at the same column: right-aligned."""
    result = run_cli("--logits", "-1000", "2.5", "0", "--target", "0")
    assert_ok(result)
    table = result.stdout.splitlines()[:-1]
    ends = {tuple(m.end() for m in re.finditer(r"\S+", line)) for line in table}
    assert len(ends) == 1, table
    assert len(ends.pop()) == 5


def test_soft_target(run_cli: RunCli) -> None:
    """A soft y: the loss is -sum y_i log p_i and dL/do = p - y."""
    y = [0.1, 0.8, 0.1]
    result = run_cli("--logits", "2", "3", "4", "--y", *map(str, y))
    assert_ok(result)
    assert_table_matches(result.stdout, [2.0, 3.0, 4.0], y)
    _, _, loss = closed_form([2.0, 3.0, 4.0], y)
    assert result.stdout.splitlines()[-1] == f"loss L = {loss:.6f} nats"


def test_label_smoothing(run_cli: RunCli) -> None:
    """--smoothing 0.1 uses y = 0.9 one-hot + 0.1/3 and says so."""
    result = run_cli("--logits", "2", "3", "4", "--target", "1", "--smoothing", "0.1")
    assert_ok(result)
    assert result.stdout.splitlines()[0] == "label smoothing eps = 0.1"
    y = [0.1 / 3, 0.9 + 0.1 / 3, 0.1 / 3]
    assert_table_matches(result.stdout, [2.0, 3.0, 4.0], y)


def test_temperature(run_cli: RunCli) -> None:
    """--T 2 divides the logits by 2, scales the gradient by 1/2 and says so."""
    result = run_cli("--logits", "2", "3", "4", "--target", "1", "--T", "2")
    assert_ok(result)
    assert result.stdout.splitlines()[0] == "temperature T = 2"
    assert_table_matches(result.stdout, [2.0, 3.0, 4.0], [0.0, 1.0, 0.0], T=2.0)


@pytest.mark.parametrize(
    "logits",
    [["-1", "2"], ["-1", "-2"], ["-1e3", "2", "-0.5"], ["-.5", "-1E-3"]],
    ids=" ".join,
)
def test_negative_logits(run_cli: RunCli, logits: list[str]) -> None:
    """Negative logits, in any float spelling, are read as values, not as options."""
    result = run_cli("--logits", *logits, "--target", "1")
    assert_ok(result)
    values = [float(v) for v in logits]
    y = [1.0 if i == 1 else 0.0 for i in range(len(values))]
    assert_table_matches(result.stdout, values, y)


def test_huge_values_use_significant_digits(run_cli: RunCli) -> None:
    """Huge logits print as 1e+300 and a loss beyond the float range as inf, exit 0."""
    result = run_cli("--logits", "1e300", "-1e300", "--target", "1", "--T", "1e-10")
    assert_ok(result)
    rows = result.stdout.splitlines()
    assert rows[0] == "temperature T = 1e-10"
    assert rows[2].split() == ["0", "1e+300", "1.000000", "0.000000", "1e+10"]
    assert rows[-1] == "loss L = inf nats"  # the true loss, 2e310, exceeds the float range


@pytest.mark.parametrize(("args", "pattern"), BAD_ARGUMENTS, ids=lambda v: str(v)[:50])
def test_bad_input(run_cli: RunCli, args: list[str], pattern: str) -> None:
    """Bad input: exit status 2, nothing on stdout, one 'ce_viz: error:' line, no traceback."""
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ce_viz: error: ")
    assert pattern in lines[0]


def test_module_runs_as_a_program(run_cli: RunCli) -> None:
    """Smoke, in a subprocess: ``python -m ce_viz`` with good input exits 0 and prints
    exactly what main prints."""
    args = ("--logits", "2", "3", "4", "--target", "1")
    result = run_module(*args)
    assert_ok(result)
    assert result.stdout.splitlines()[-1] == "loss L = 1.407606 nats"
    assert_table_matches(result.stdout, [2.0, 3.0, 4.0], [0.0, 1.0, 0.0])
    assert result.stdout == run_cli(*args).stdout


def test_module_exits_2_on_bad_input() -> None:
    """Smoke, in a subprocess: bad input gives one named 'ce_viz: error:' line on stderr,
    nothing on stdout, no traceback and exit status 2."""
    result = run_module("--logits", "2", "nan", "--target", "1")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ce_viz: error: ")
    assert "not a finite number: 'nan'" in lines[0]


def test_core_and_cli_do_not_import_streamlit_or_plotly() -> None:
    """Importing ce_viz, ce_viz.core and ce_viz.__main__ in a fresh process loads neither."""
    code = (
        "import sys, ce_viz, ce_viz.core, ce_viz.__main__\n"
        "print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('streamlit', 'plotly')))\n"
        "print('numpy' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "True"]  # numpy shows the imports really ran


def test_main_returns_status_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """main() returns 0 on success, 2 on bad input and 0 for --help, without exiting."""
    assert cli.main(["--logits", "0", "0", "--target", "0"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"loss L = {math.log(2):.6f} nats"
    assert cli.main(["--logits", "0", "0"]) == 2
    assert capsys.readouterr().err.startswith("ce_viz: error: ")
    assert cli.main(["--help"]) == 0
    assert "--logits" in capsys.readouterr().out


def test_module_doctests() -> None:
    """The examples in ce_viz/__main__.py hold (pytest skips doctests in __main__.py files)."""
    failures, attempted = doctest.testmod(cli)
    assert attempted >= 2
    assert failures == 0
