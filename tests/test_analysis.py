"""evaluate, the per-class table and its CSV, and the finite-difference check."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce_viz.analysis import (
    TABLE_COLUMNS,
    class_table,
    evaluate,
    fd_check,
    fd_sweep,
    table_csv,
)
from ce_viz.core import (
    cross_entropy,
    grad_logits,
    numerical_grad,
    relative_error,
    softmax,
    target_distribution,
)

#: name → (logits, target distribution, T)
SAMPLES = {
    "seed": ([2.0, 3.0, 4.0], target_distribution(3, target=1), 1.0),
    "soft y, T=0.5": ([0.5, -1.0, 3.0, 0.0], np.array([0.1, 0.6, 0.3, 0.0]), 0.5),
    "smoothed, T=100": ([1.0, 1.0, -2.0], target_distribution(3, target=0, smoothing=0.1), 100.0),
    "huge logits": ([1e300, -1e300, 0.0], target_distribution(3, target=1), 1.0),
    "confidently right": ([50.0, 0.0], target_distribution(2, target=0), 1.0),
    "awkward floats": (
        [0.1 + 0.2, 1e-300, 5e-324, -0.0],
        np.array([0.25, 0.25, 0.5, 0.0]),
        0.01,
    ),
}

#: Floats whose shortest text is long, tiny, huge or subnormal.
AWKWARD_FLOATS = [0.1 + 0.2, 1e-300, 1e300, -1e300, 5e-324, -5e-324, 2.2250738585072014e-308]
AWKWARD_FLOATS += [1.7976931348623157e308, 1 / 3, -0.0, 0.0, 123456789.123456789]

SEED_O = np.array([2.0, 3.0, 4.0])
SEED_Y = target_distribution(3, target=1)


def _bits(values) -> np.ndarray:
    """The IEEE-754 bit patterns, so that -0.0 and 0.0 differ and NaN equals itself."""
    return np.ascontiguousarray(values, dtype=np.float64).view(np.int64)


def _read(text: str) -> pd.DataFrame:
    """Read table_csv's text back, class names as plain strings."""
    return pd.read_csv(io.StringIO(text), dtype={"class": str}, keep_default_na=False)


# --------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_evaluate_agrees_with_the_core(name: str) -> None:
    """evaluate's p, loss and gradient are exactly softmax, cross_entropy and grad_logits."""
    o, y, T = SAMPLES[name]
    result = evaluate(o, y, T)
    assert np.array_equal(result.p, softmax(o, T))
    assert result.loss == cross_entropy(o, y, T)
    assert np.array_equal(result.grad, grad_logits(o, y, T))
    assert np.array_equal(result.y, y)
    assert np.array_equal(result.logits, np.asarray(o, dtype=np.float64))
    assert result.T == T
    assert result.predicted == int(np.argmax(result.p))


def test_evaluate_on_the_seed_example() -> None:
    """The seed example gives loss 1.4076, prediction class 2 and gradient p - y."""
    result = evaluate(SEED_O, SEED_Y)
    assert result.loss == pytest.approx(1.4076, abs=5e-5)
    assert result.predicted == 2
    assert np.allclose(result.grad, result.p - SEED_Y, rtol=0, atol=4e-16)
    assert abs(result.grad.sum()) < 1e-15


# --------------------------------------------------------------------------------------
# class_table and table_csv
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_class_table_has_the_five_columns_and_the_results(name: str) -> None:
    """class_table has exactly class, logit, probability, target, gradient, one row per class."""
    o, y, T = SAMPLES[name]
    result = evaluate(o, y, T)
    names = [f"c{i}" for i in range(len(o))]
    table = class_table(names, result)
    assert list(table.columns) == ["class", "logit", "probability", "target", "gradient"]
    assert tuple(table.columns) == TABLE_COLUMNS
    assert len(table) == len(o)
    assert table["class"].tolist() == names
    for column, values in [
        ("logit", result.logits),
        ("probability", result.p),
        ("target", result.y),
        ("gradient", result.grad),
    ]:
        assert np.array_equal(_bits(table[column].to_numpy()), _bits(values)), column


@pytest.mark.parametrize("name", list(SAMPLES))
def test_table_csv_round_trips_bit_for_bit(name: str) -> None:
    """pd.read_csv of table_csv's text gives back the very same doubles."""
    o, y, T = SAMPLES[name]
    table = class_table([f"c{i}" for i in range(len(o))], evaluate(o, y, T))
    back = _read(table_csv(table))
    assert list(back.columns) == list(TABLE_COLUMNS)
    for column in TABLE_COLUMNS[1:]:
        assert back[column].dtype == np.float64
        assert np.array_equal(_bits(back[column]), _bits(table[column])), column


@pytest.mark.parametrize("value", AWKWARD_FLOATS, ids=repr)
def test_table_csv_keeps_awkward_floats_exact(value: float) -> None:
    """0.1+0.2, 1e-300, 1e300, 5e-324, -0.0 and friends survive CSV text unchanged."""
    result = evaluate([0.0, 0.0], [0.5, 0.5])
    table = class_table(["a", "b"], result)
    for column in TABLE_COLUMNS[1:]:
        table[column] = [value, -value]
    back = _read(table_csv(table))
    for column in TABLE_COLUMNS[1:]:
        assert _bits(back[column]).tolist() == _bits([value, -value]).tolist()


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.lists(
        st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True),
        min_size=2,
        max_size=20,
    )
)
def test_table_csv_round_trips_any_finite_floats(values: list[float]) -> None:
    """Any finite floats in the table are read back from its CSV bit for bit."""
    table = pd.DataFrame({"class": [f"c{i}" for i in range(len(values))]})
    for column in TABLE_COLUMNS[1:]:
        table[column] = np.array(values, dtype=np.float64)
    back = _read(table_csv(table))
    for column in TABLE_COLUMNS[1:]:
        assert np.array_equal(_bits(back[column]), _bits(values))


def test_table_csv_keeps_names_as_plain_text() -> None:
    """Names with commas, quotes, HTML and emoji are quoted in the CSV and read back verbatim."""
    names = ["a,b", '"quoted"', "<b>x</b>", "chat 🐱"]
    o = [1.0, 2.0, 3.0, 4.0]
    table = class_table(names, evaluate(o, target_distribution(4, target=0)))
    text = table_csv(table)
    assert text.splitlines()[0] == "class,logit,probability,target,gradient"
    assert len(text.splitlines()) == 1 + len(names)
    assert _read(text)["class"].tolist() == names


def test_table_csv_exact_text_for_a_simple_table() -> None:
    """The CSV is the header then one line per class, floats in their shortest exact form."""
    table = class_table(["a", "b"], evaluate([0.0, 0.0], [1.0, 0.0]))
    assert table_csv(table) == (
        "class,logit,probability,target,gradient\na,0.0,0.5,1.0,-0.5\nb,0.0,0.5,0.0,0.5\n"
    )


# --------------------------------------------------------------------------------------
# The finite-difference check
# --------------------------------------------------------------------------------------


def test_fd_check_agrees_on_the_seed_example() -> None:
    """At h=1e-5 central differences agree with grad_logits to better than 1e-7 relative."""
    check = fd_check(SEED_O, SEED_Y, 1.0, 1e-5)
    assert check.h == 1e-5
    assert check.max_rel_error < 1e-7
    assert np.array_equal(check.analytic, grad_logits(SEED_O, SEED_Y))
    expected = numerical_grad(lambda v: cross_entropy(v, SEED_Y), SEED_O, 1e-5)
    assert np.array_equal(check.numerical, expected)
    assert np.array_equal(check.rel_error, relative_error(check.numerical, check.analytic))
    assert check.max_rel_error == float(np.max(check.rel_error))


@pytest.mark.parametrize("h", [1e-1, 1e-12])
def test_fd_error_grows_away_from_a_good_step(h: float) -> None:
    """Both a large step (truncation) and a tiny one (rounding) give a larger error."""
    good = fd_check(SEED_O, SEED_Y, 1.0, 1e-5).max_rel_error
    bad = fd_check(SEED_O, SEED_Y, 1.0, h).max_rel_error
    assert bad > 100 * good


def test_fd_sweep_is_v_shaped() -> None:
    """Over h in logspace(-12, -1, 23) the error's minimum lies strictly inside the sweep."""
    h_values = np.logspace(-12, -1, 23)
    errors = fd_sweep(SEED_O, SEED_Y, 1.0, h_values)
    assert errors.shape == (23,)
    best = int(np.argmin(errors))
    assert 0 < best < len(h_values) - 1
    assert errors[0] > 100 * errors[best]
    assert errors[-1] > 100 * errors[best]


def test_fd_sweep_truncation_side_falls_as_h_squared() -> None:
    """On the large-h side, ten times smaller h gives about a hundred times smaller error."""
    h_values = np.array([1e-1, 1e-2])
    big, small = fd_sweep(SEED_O, SEED_Y, 1.0, h_values)
    assert 50 < big / small < 200


def test_fd_sweep_matches_fd_check_at_each_step() -> None:
    """fd_sweep's entries are fd_check's max_rel_error at each step."""
    h_values = [1e-3, 1e-7, 1e-11]
    errors = fd_sweep(SEED_O, SEED_Y, 2.0, h_values)
    expected = [fd_check(SEED_O, SEED_Y, 2.0, h).max_rel_error for h in h_values]
    assert errors.tolist() == expected


@pytest.mark.parametrize("name", list(SAMPLES))
def test_batched_central_differences_equal_the_one_at_a_time_loop(name: str) -> None:
    """fd_check and fd_sweep difference the loss for all classes and steps in one batch;
    the numbers are bit for bit those of core.numerical_grad, one logit at a time."""
    o, y, T = SAMPLES[name]
    steps = [1e-1, 1e-5, 1e-9]
    analytic = grad_logits(np.asarray(o), y, T)
    sweep = fd_sweep(o, y, T, steps)
    for h, swept in zip(steps, sweep, strict=True):
        loop = numerical_grad(lambda v: cross_entropy(v, y, T), o, h)
        check = fd_check(o, y, T, h)
        assert np.array_equal(check.numerical, loop)
        assert swept == np.max(np.abs(loop - analytic) / np.maximum(np.abs(analytic), 1e-300))
