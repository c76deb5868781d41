"""Tests for batch mode, ce_viz.batch: reading a CSV of logits and labels, and evaluating it.

Per-row numbers are judged against the single-sample core (``ce_viz.core``) called one row at
a time, and small cases against values worked out by hand. Every bad file must give a
``CEVizError`` whose message names the row, the column or the file's problem.

Some tests pin bugs found and fixed in ce_viz/batch.py (carriage returns, one-based class
names, columns starting with "o", a leading blank line, bad bytes in a later chunk).
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce_viz.batch import (
    MAX_CLASSES,
    MAX_PROBLEMS,
    BadCellsError,
    Batch,
    ColumnMap,
    calibration,
    detect_columns,
    downsample,
    evaluate_batch,
    iter_batch,
    preview,
    read_batch,
    read_header,
    resolve_columns,
    results_csv,
    results_row_limit,
    sample_dataset,
    stream_results_csv,
    summarise_batch,
)
from ce_viz.core import CEVizError, cross_entropy, grad_logits, softmax

# --------------------------------------------------------------------------------------
# Constants and tables
# --------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
REL = 1e-15
LN2, LN3, LN4, LN5 = math.log(2.0), math.log(3.0), math.log(4.0), math.log(5.0)

#: The smallest valid file: two logits and a label, one row.
HEADER = b"logit_0,logit_1,label\n"
#: A minimal PNG: the first bytes of an image, not text.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
    b"\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01"
)

#: (id, file bytes, explicit column map or None, message pattern): every bad file.
BAD_FILES: list[tuple[str, bytes, ColumnMap | None, str]] = [
    ("empty file", b"", None, r"^the file is empty$"),
    ("only a newline", b"\n", None, r"^the file is empty$"),
    ("a PNG", PNG, None, r"not text \(UTF-8\)"),
    ("header only", HEADER, None, r"header but no rows"),
    ("header only, no newline", HEADER.rstrip(), None, r"header but no rows"),
    (
        "a mapped column missing",
        HEADER + b"1,2,0\n",
        ColumnMap(("logit_0", "logit_9"), label="label"),
        r"column 'logit_9' is missing",
    ),
    (
        "a mapped label missing",
        HEADER + b"1,2,0\n",
        ColumnMap(("logit_0", "logit_1"), label="class"),
        r"column 'class' is missing",
    ),
    (
        "an extra column",
        b"logit_0,logit_1,label,note\n1,2,0,x\n",
        None,
        r"column 'note' is neither",
    ),
    (
        "a duplicate header",
        b"logit_0,logit_1,logit_0,label\n1,2,3,0\n",
        None,
        r"repeats .*'logit_0'",
    ),
    ("one column", b"logit_0\n1\n2\n", None, r"has 1 column"),
    ("an empty column name", b"logit_0,,label\n1,2,0\n", None, r"empty column name"),
    ("a trailing comma in the header", b"logit_0,logit_1,label,\n1,2,0,\n", None, r"empty column"),
    ("neither label nor targets", b"0,1\n1,2\n", None, r"either a label column or K soft"),
    ("one logit column", b"logit_0,label\n1,0\n", None, r"at least 2 logit columns, found 1"),
    (
        "soft and logit counts differ",
        b"logit_0,logit_1,logit_2,y_0,y_1\n1,2,3,0.5,0.5\n",
        ColumnMap(("logit_0", "logit_1", "logit_2"), soft=("y_0", "y_1")),
        r"2 soft-target columns for 3 logit columns",
    ),
    (
        "a word",
        HEADER + b"1,2,0\n1,abc,1\n",
        None,
        r"^row 2, column 'logit_1': 'abc' is not a number",
    ),
    ("hex", HEADER + b"0x10,2,0\n", None, r"^row 1, column 'logit_0': '0x10' is not a number"),
    ("nan", HEADER + b"1,nan,0\n", None, r"^row 1, column 'logit_1': 'nan' is not finite"),
    ("NaN", HEADER + b"NaN,1,0\n", None, r"^row 1, column 'logit_0': 'NaN' is not finite"),
    ("inf", HEADER + b"1,2,0\n1,inf,0\n", None, r"^row 2, column 'logit_1': 'inf' is not finite"),
    ("-inf", HEADER + b"-inf,1,0\n", None, r"^row 1, column 'logit_0': '-inf' is not finite"),
    ("overflow", HEADER + b"1e400,1,0\n", None, r"^row 1, column 'logit_0': '1e400' is not finite"),
    ("an empty cell", HEADER + b"1,,0\n", None, r"^row 1, column 'logit_1': '' is empty"),
    (
        "a short row",
        HEADER + b"1,2,0\n3\n",
        None,
        r"^2 problems: row 2, column 'logit_1': '' is empty; row 2, column 'label': '' is not",
    ),
    ("no label", HEADER + b"1,2,0\n3,4\n", None, r"^row 2, column 'label': '' is not a class"),
    ("a long row", HEADER + b"1,2,0\n1,2,0,4\n", None, r"not a CSV that can be read: .*saw 4"),
    ("label -1", HEADER + b"1,2,-1\n", None, r"^row 1, column 'label': '-1' is not a class"),
    ("label K", HEADER + b"1,2,1\n1,2,2\n", None, r"^row 2, column 'label': '2' is not a class"),
    ("label 1.5", HEADER + b"1,2,1.5\n", None, r"^row 1, column 'label': '1\.5' is not a class"),
    ("label True", HEADER + b"1,2,True\n", None, r"^row 1, column 'label': 'True' is not a class"),
    (
        "an unknown class name",
        b"logit_cat,logit_dog,label\n1,2,dog\n1,2,cow\n",
        None,
        r"^row 2, column 'label': 'cow' is not a class; use 0 to 1 or one of cat, dog",
    ),
    (
        "soft targets summing to 0.6",
        b"logit_0,logit_1,y_0,y_1\n1,2,0.5,0.5\n1,2,0.3,0.3\n",
        None,
        r"^row 2: the soft targets sum to 0\.6, not 1",
    ),
    (
        "soft targets summing to 1 + 1e-6",
        b"logit_0,logit_1,y_0,y_1\n1,2,0.5,0.500001\n",
        None,
        r"^row 1: the soft targets sum to ",
    ),
    (
        "a negative soft target",
        b"logit_0,logit_1,y_0,y_1\n1,2,-0.5,1.5\n",
        None,
        r"^row 1, column 'y_0': a target can't be negative",
    ),
    (
        "a soft target that is not a number",
        b"logit_0,logit_1,y_0,y_1\n1,2,half,0.5\n",
        None,
        r"^row 1, column 'y_0': 'half' is not a number",
    ),
    ("an unclosed quote", HEADER + b'"1,2,0\n', None, r"not a CSV that can be read"),
]

#: (id, how data row 23 of 50 is spoiled (the text of that row), message pattern), read with
#: chunk_rows=7: row 23 is the second row of the fourth chunk.
LATE_ERRORS: list[tuple[str, str, str]] = [
    ("a word", "1,abc,0", r"^row 23, column 'logit_1': 'abc' is not a number"),
    ("inf", "inf,1,0", r"^row 23, column 'logit_0': 'inf' is not finite"),
    ("an empty cell", "1,,0", r"^row 23, column 'logit_1': '' is empty"),
    ("a short row", "1,2", r"^row 23, column 'label': '' is not a class"),
    ("a label out of range", "1,2,5", r"^row 23, column 'label': '5' is not a class"),
    ("a long row", "1,2,0,4", r"not a CSV that can be read: .*saw 4"),
]

#: (id, soft-target row 23 of 50, message pattern), read with chunk_rows=7.
LATE_SOFT_ERRORS: list[tuple[str, str, str]] = [
    ("a sum of 0.9", "1,2,0.4,0.5", r"^row 23: the soft targets sum to 0\.9, not 1"),
    ("a negative target", "1,2,1.25,-0.25", r"^row 23, column 'y_1': a target can't be negative"),
]

#: (logits, label, T, loss, p, predicted), each worked out by hand.
HAND_ROWS: list[tuple[list[float], int, float, float, list[float], int]] = [
    ([0.0, 0.0, 0.0], 2, 1.0, LN3, [1 / 3, 1 / 3, 1 / 3], 0),  # a tie: the first class
    ([LN2, 0.0, 0.0], 0, 1.0, LN2, [1 / 2, 1 / 4, 1 / 4], 0),
    ([LN2, 0.0, 0.0], 1, 1.0, LN4, [1 / 2, 1 / 4, 1 / 4], 0),
    ([0.0, LN3, 0.0], 1, 1.0, LN5 - LN3, [1 / 5, 3 / 5, 1 / 5], 1),
    ([0.0, 2 * LN3, 0.0], 0, 2.0, LN5, [1 / 5, 3 / 5, 1 / 5], 1),  # T = 2 halves the logits
]

#: (confidence, correct, bins, expected counts, expected accuracy (None for NaN)), by hand.
CALIBRATION_CASES: list[tuple[list[float], list[int], int, list[int], list[float | None]]] = [
    (
        [0.05, 0.15, 0.12, 0.95, 1.0, 0.55],
        [1, 0, 1, 1, 0, 1],
        10,
        [1, 2, 0, 0, 0, 1, 0, 0, 0, 2],
        [1.0, 0.5, None, None, None, 1.0, None, None, None, 0.5],
    ),
    # Edges 0, 0.25, 0.5, 0.75, 1 are exact: a value on an edge opens the bin above it, and
    # 1.0 (the top edge) falls in the last bin.
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0, 1, 1, 0, 1], 4, [1, 1, 1, 2], [0.0, 1.0, 1.0, 0.5]),
    ([1.0, 1.0, 1.0], [1, 1, 0], 3, [0, 0, 3], [None, None, 2 / 3]),
    ([0.5], [1], 1, [1], [1.0]),
]

#: (n, max_points)
DOWNSAMPLE_CASES: list[tuple[int, int]] = [(1000, 100), (101, 100), (10, 9), (5, 1)]

# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as CSV bytes, without the index, as the app's sample download writes it."""
    return frame.to_csv(index=False).encode()


def fifty_rows(spoiled: str | None = None) -> bytes:
    """A 50-row, 2-class file; with ``spoiled``, data row 23 replaced by that text."""
    rows = [f"{i}.5,{-i},{i % 2}" for i in range(50)]
    if spoiled is not None:
        rows[22] = spoiled
    return HEADER + ("\n".join(rows) + "\n").encode()


def fifty_soft_rows(spoiled: str | None = None) -> bytes:
    """A 50-row, 2-class file of soft targets; with ``spoiled``, data row 23 replaced."""
    rows = [f"{i}.5,{-i},{i / 50},{1 - i / 50}" for i in range(50)]
    if spoiled is not None:
        rows[22] = spoiled
    return b"logit_0,logit_1,y_0,y_1\n" + ("\n".join(rows) + "\n").encode()


def random_batch(K: int, n: int, seed: int, soft: bool) -> Batch:
    """Logits with a wide spread (so some p underflow towards 0 and some round to 1), and
    one-hot or soft targets (zeros included)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.0, (n, K)) * rng.choice([0.1, 3.0, 40.0], (n, 1))
    if soft:
        weights = rng.integers(0, 4, (n, K)).astype(float)
        weights[weights.sum(axis=1) == 0, 0] = 1.0
        y = weights / weights.sum(axis=1, keepdims=True)
    else:
        y = np.eye(K)[rng.integers(0, K, n)]
    return Batch(logits, y, tuple(f"c{i}" for i in range(K)))


def assert_relative(actual: float | np.ndarray, expected: float | np.ndarray) -> None:
    """Equal within REL relative (exact zeros must be exact)."""
    np.testing.assert_allclose(actual, expected, rtol=REL, atol=0.0)


# --------------------------------------------------------------------------------------
# evaluate_batch
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("T", [1.0, 0.3, 2.5])
@pytest.mark.parametrize("soft", [False, True], ids=["one-hot", "soft"])
@pytest.mark.parametrize("K", [2, 3, 10])
def test_evaluate_batch_matches_the_core_row_by_row(K: int, soft: bool, T: float) -> None:
    """Each row's loss, gradient, p_true, confidence and prediction equal the single-sample core."""
    batch = random_batch(K, 60, seed=K, soft=soft)
    result = evaluate_batch(batch, T)
    for i in range(batch.n):
        o, y = batch.logits[i], batch.y[i]
        p = softmax(o, T)
        assert_relative(result.loss[i], cross_entropy(o, y, T))
        assert_relative(result.grad[i], grad_logits(o, y, T))
        assert_relative(result.p_true[i], p[np.argmax(y)])
        assert_relative(result.confidence[i], p.max())
        assert result.predicted[i] == np.argmax(p)
        assert result.true_class[i] == np.argmax(y)


def test_evaluate_batch_hand_computed_rows() -> None:
    """Loss, p_true and prediction of small rows equal their values worked out by hand."""
    for logits, label, T, loss, p, predicted in HAND_ROWS:
        batch = Batch(np.array([logits]), np.eye(3)[[label]], ("a", "b", "c"))
        result = evaluate_batch(batch, T)
        assert result.loss[0] == pytest.approx(loss, rel=1e-15)
        assert result.p_true[0] == pytest.approx(p[label], rel=1e-15)
        assert result.confidence[0] == pytest.approx(max(p), rel=1e-15)
        assert result.predicted[0] == predicted
        expected_grad = (np.array(p) - np.eye(3)[label]) / T
        np.testing.assert_allclose(result.grad[0], expected_grad, rtol=0, atol=1e-15)


def test_mean_loss_and_accuracy_by_hand() -> None:
    """mean_loss is the mean of the hand losses; accuracy counts arg-max p == label."""
    rows = [r for r in HAND_ROWS if r[2] == 1.0]  # one temperature for the whole batch
    batch = Batch(np.array([r[0] for r in rows]), np.eye(3)[[r[1] for r in rows]], ("a", "b", "c"))
    result = evaluate_batch(batch)
    # Losses ln 3, ln 2, ln 4, ln 5 - ln 3; right on rows 2 and 4 (labels 0 and 1).
    assert result.mean_loss == pytest.approx((LN3 + LN2 + LN4 + LN5 - LN3) / 4, rel=1e-15)
    assert result.accuracy == 0.5
    assert isinstance(result.mean_loss, float)
    assert isinstance(result.accuracy, float)


def test_soft_targets_by_hand() -> None:
    """With y = (1/2, 1/2, 0) and p = (1/2, 1/4, 1/4): L = (ln 2 + ln 4)/2, grad = (p - y)/T."""
    batch = Batch(np.array([[LN2, 0.0, 0.0]]), np.array([[0.5, 0.5, 0.0]]), ("a", "b", "c"))
    result = evaluate_batch(batch)
    assert result.loss[0] == pytest.approx((LN2 + LN4) / 2, rel=1e-15)
    np.testing.assert_allclose(result.grad[0], [0.0, -0.25, 0.25], rtol=0, atol=1e-16)
    # The true class of a soft row is its heaviest target class, the first on a tie.
    assert result.true_class[0] == 0
    assert result.accuracy == 1.0


def test_temperature_divides_the_gradient() -> None:
    """At T = 4 the logits (0, 4 ln 3) give p = (1/4, 3/4) and grad = (p - y) / 4."""
    batch = Batch(np.array([[0.0, 4 * LN3]]), np.array([[1.0, 0.0]]), ("a", "b"))
    result = evaluate_batch(batch, T=4.0)
    assert result.loss[0] == pytest.approx(LN4, rel=1e-15)
    np.testing.assert_allclose(result.grad[0], [-0.75 / 4, 0.75 / 4], rtol=1e-15, atol=0)


def test_evaluate_batch_rejects_a_bad_temperature() -> None:
    """T = 0 is refused with the core's message."""
    batch = Batch(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]), ("a", "b"))
    with pytest.raises(CEVizError, match=r"temperature T must be a finite number > 0, got 0"):
        evaluate_batch(batch, T=0)


# --------------------------------------------------------------------------------------
# read_batch: good files
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("K", [3, 10])
def test_sample_dataset_round_trips(K: int) -> None:
    """The sample CSV reads back: logits equal the frame's values and targets are one-hot."""
    frame = sample_dataset(K, 50, np.random.default_rng(7))
    batch, mapping = read_batch(csv_bytes(frame))
    assert mapping == ColumnMap(tuple(f"logit_{i}" for i in range(K)), label="label")
    assert batch.n == 50
    assert batch.names == tuple(str(i) for i in range(K))
    logits = frame[[f"logit_{i}" for i in range(K)]].to_numpy(np.float64)
    np.testing.assert_array_equal(batch.logits, logits)
    np.testing.assert_array_equal(batch.y, np.eye(K)[frame["label"].to_numpy()])
    assert batch.logits.dtype == np.float64
    assert batch.y.dtype == np.float64


@pytest.mark.parametrize("chunk_rows", [1, 7, 49, 50, 51])
def test_chunks_give_the_same_arrays_as_one_chunk(chunk_rows: int) -> None:
    """Reading 50 rows in chunks of 1, 7, 49, 50 or 51 rows gives the one-chunk arrays."""
    data = csv_bytes(sample_dataset(10, 50, np.random.default_rng(3)))
    whole, _ = read_batch(data, chunk_rows=10_000)
    chunked, _ = read_batch(data, chunk_rows=chunk_rows)
    assert whole.n == 50
    np.testing.assert_array_equal(chunked.logits, whole.logits)
    np.testing.assert_array_equal(chunked.y, whole.y)
    assert chunked.names == whole.names


def test_sources_str_bytes_and_file_objects_agree() -> None:
    """A str, bytes, a binary and a text file object of the same CSV read the same."""
    text = "logit_0,logit_1,label\n2,1,0\n0,3.5,1\n"
    expected_logits = [[2.0, 1.0], [0.0, 3.5]]
    for source in (text, text.encode(), io.BytesIO(text.encode()), io.StringIO(text)):
        batch, _ = read_batch(source)
        assert batch.logits.tolist() == expected_logits
        assert batch.y.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_named_classes_with_labels_by_name() -> None:
    """logit_cat, logit_dog, logit_bird give classes cat, dog, bird; a label 'dog' is class 1."""
    data = b"logit_cat,logit_dog,logit_bird,label\n1,2,3,dog\n4,5,6,bird\n7,8,9,cat\n"
    batch, mapping = read_batch(data)
    assert batch.names == ("cat", "dog", "bird")
    assert mapping.label == "label"
    assert batch.y.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    assert batch.logits.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]


def test_named_classes_with_integer_labels() -> None:
    """With named classes a label may still be a 0-based index, mixed with names."""
    data = b"logit_cat,logit_dog,logit_bird,label\n1,2,3,2\n4,5,6,0\n7,8,9,dog\n"
    batch, _ = read_batch(data)
    assert batch.y.tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def test_named_soft_targets() -> None:
    """Columns y_cat, y_dog, y_bird are detected as soft targets and read as they are."""
    data = b"logit_cat,logit_dog,logit_bird,y_cat,y_dog,y_bird\n1,2,3,0.5,0.25,0.25\n0,0,0,0,1,0\n"
    batch, mapping = read_batch(data)
    assert mapping.soft == ("y_cat", "y_dog", "y_bird")
    assert mapping.label is None
    assert batch.names == ("cat", "dog", "bird")
    assert batch.y.tolist() == [[0.5, 0.25, 0.25], [0.0, 1.0, 0.0]]


def test_explicit_column_map_in_any_order() -> None:
    """An explicit map picks columns by name, whatever their order in the file."""
    data = b"truth,b,a\n1,5,7\n0,-1,2\n"
    batch, mapping = read_batch(data, ColumnMap(("a", "b"), label="truth"))
    assert mapping == ColumnMap(("a", "b"), label="truth")
    assert batch.names == ("a", "b")
    assert batch.logits.tolist() == [[7.0, 5.0], [2.0, -1.0]]
    assert batch.y.tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_tolerated_formatting() -> None:
    """A BOM, CRLF line ends, quoted names, padded cells and blank lines are all accepted."""
    data = b'\xef\xbb\xbf"logit_0","logit_1","label"\r\n 1.5 , -2 , 1 \r\n\r\n3,4,0\r\n'
    batch, _ = read_batch(data)
    assert batch.logits.tolist() == [[1.5, -2.0], [3.0, 4.0]]
    assert batch.y.tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_detect_columns_without_prefixes() -> None:
    """Without logit_ prefixes every column but the label is a logit."""
    assert detect_columns(["a", "b", "c", "target"]) == ColumnMap(("a", "b", "c"), label="target")


# --------------------------------------------------------------------------------------
# read_batch: bad files
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mapping", "pattern"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_files_are_named(data: bytes, mapping: ColumnMap | None, pattern: str) -> None:
    """Every bad file gives a CEVizError whose message names the row, column or problem."""
    with pytest.raises(CEVizError, match=pattern):
        read_batch(data, mapping)


@pytest.mark.parametrize(
    ("spoiled", "pattern"), [case[1:] for case in LATE_ERRORS], ids=[c[0] for c in LATE_ERRORS]
)
def test_an_error_in_a_later_chunk_names_its_absolute_row(spoiled: str, pattern: str) -> None:
    """With chunk_rows=7 a bad data row 23 (in the fourth chunk) is reported as row 23."""
    with pytest.raises(CEVizError, match=pattern):
        read_batch(fifty_rows(spoiled), chunk_rows=7)


@pytest.mark.parametrize(
    ("spoiled", "pattern"),
    [case[1:] for case in LATE_SOFT_ERRORS],
    ids=[case[0] for case in LATE_SOFT_ERRORS],
)
def test_a_soft_target_error_in_a_later_chunk_names_its_row(spoiled: str, pattern: str) -> None:
    """With chunk_rows=7 a bad soft-target row 23 is reported as row 23."""
    assert read_batch(fifty_soft_rows(), chunk_rows=7)[0].n == 50  # the unspoiled file is fine
    with pytest.raises(CEVizError, match=pattern):
        read_batch(fifty_soft_rows(spoiled), chunk_rows=7)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_bytes_give_a_batch_or_a_ceviz_error(data: bytes) -> None:
    """Random bytes either read as a Batch or raise CEVizError, never another exception."""
    try:
        batch, _ = read_batch(data)
    except CEVizError as exc:
        message = str(exc)
        assert message
    else:
        assert isinstance(batch, Batch)
        assert np.isfinite(batch.logits).all()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_rows_after_a_good_header(body: bytes) -> None:
    """A valid header followed by random bytes gives a finite one-hot Batch or a CEVizError."""
    try:
        batch, _ = read_batch(HEADER + body)
    except CEVizError as exc:
        message = str(exc)
        assert message
    else:
        assert batch.logits.shape == (batch.n, 2)
        assert np.isfinite(batch.logits).all()
        assert np.array_equal(batch.y.sum(axis=1), np.ones(batch.n))


def test_non_utf8_in_a_later_chunk_is_a_ceviz_error() -> None:
    """A Latin-1 byte in data row 23 read with chunk_rows=7 gives a CEVizError, not a crash."""
    data = fifty_rows("X,1,0").replace(b"X", b"\xe9")
    assert b"\xe9" in data
    with pytest.raises(CEVizError, match=r"UTF-8|not a CSV"):
        read_batch(data, chunk_rows=7)


def test_carriage_return_line_ends_are_read() -> None:
    """Old-Mac CR line ends are lines: the file reads as its rows (not a _csv.Error)."""
    batch, _ = read_batch(HEADER.replace(b"\n", b"\r") + b"1,2,0\r3,4,1\r")
    assert batch.logits.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert batch.y.tolist() == [[1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize("data", [b"\r\x00", b"a\rb,c\n"], ids=["CR NUL", "CR inside the header"])
def test_carriage_returns_that_leave_one_column_are_named(data: bytes) -> None:
    """A CR that splits the header leaves one column: a CEVizError that says so."""
    with pytest.raises(CEVizError, match=r"^the file has 1 column; it needs at least 2 logit"):
        read_batch(data)


def test_one_based_class_names_do_not_merge_labels() -> None:
    """Labels 0 and 1 with columns logit_1, logit_2 are not both read as the first class:
    classes named by numbers take labels by name only, so label 0 is refused, naming its
    row, and labels 1 and 2 are the two different classes."""
    with pytest.raises(CEVizError, match=r"^row 1, column 'label': '0' is not a class; use 1, 2$"):
        read_batch(b"logit_1,logit_2,label\n1,2,0\n1,2,1\n")
    batch, _ = read_batch(b"logit_1,logit_2,label\n1,2,1\n1,2,2\n")
    assert batch.y.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_a_column_starting_with_o_is_not_a_logit() -> None:
    """detect_columns does not take order_id for a logit when logit_ columns exist."""
    mapping = detect_columns(["order_id", "logit_a", "logit_b", "label"])
    assert mapping.logits == ("logit_a", "logit_b")


def test_a_leading_blank_line_is_skipped() -> None:
    """A blank first line before the header is skipped: the file reads as its rows."""
    batch, _ = read_batch(b"\n" + HEADER + b"1,2,0\n")
    assert batch.logits.tolist() == [[1.0, 2.0]]


# --------------------------------------------------------------------------------------
# Memory: the reader works chunk by chunk
# --------------------------------------------------------------------------------------

#: Run in a fresh interpreter (Linux): summarise (or read whole, argv[2] == "read") the CSV at
#: argv[1] and print how far the peak resident size rose above the resident size just before.
#: Writing 5 to /proc/self/clear_refs resets the peak (VmHWM) to the current size, so memory
#: freed before the call cannot hide its own peak.
PEAK_SCRIPT = """
import gc, json, sys
from ce_viz.batch import read_batch, summarise_batch
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))
data = open(sys.argv[1], "rb").read()
summarise_batch(b"logit_0,logit_1,label\\n1,2,0\\n")  # pandas' lazy imports first
gc.collect()
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
if sys.argv[2] == "read":
    n = read_batch(data)[0].n
else:
    n = summarise_batch(data, chunk_rows=int(sys.argv[3]))[0].n
print(json.dumps({"rise": status("VmHWM") - before, "n": n}))
"""


def test_reader_asks_pandas_for_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """200,000 rows with chunk_rows=20,000 reach the checks as 10 frames of 20,000 rows."""
    data = csv_bytes(sample_dataset(10, 200_000, np.random.default_rng(0)))
    real_read_csv = pd.read_csv
    asked: list[object] = []
    sizes: list[int] = []

    def spy(*args: object, **kwargs: object):
        asked.append(kwargs.get("chunksize"))
        for chunk in real_read_csv(*args, **kwargs):
            sizes.append(len(chunk))
            yield chunk

    monkeypatch.setattr(pd, "read_csv", spy)
    batch, _ = read_batch(data, chunk_rows=20_000)
    assert asked == [20_000]
    assert sizes == [20_000] * 10
    assert batch.n == 200_000


def test_summary_memory_does_not_grow_with_the_rows(tmp_path: Path) -> None:
    """summarise_batch's peak memory is bounded by the chunk and what it keeps, not by n.

    Files of 100,000 and 400,000 rows x 10 classes: reading them whole needs 48 MB more for
    the longer one (its logits and targets alone are 2 x 24 MB more), which shows the
    measurement sees arrays of that size. Summarising them in chunks of 10,000 rows (so
    that both are past the first chunks and the loss sample's first compaction, in the
    steady state) needs at most 8 MB more for the longer one, and at most 80 MB in all.
    The default chunk's own memory is measured by ``python -m bench shapes``.
    """
    runs = {}
    for n in (100_000, 400_000):
        path = tmp_path / f"rows{n}.csv"
        path.write_bytes(csv_bytes(sample_dataset(10, n, np.random.default_rng(0))))
        for how in ("read", "summary"):
            runs[n, how] = subprocess.Popen(
                [sys.executable, "-c", PEAK_SCRIPT, str(path), how, "10000"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
    rise = {}
    for key, process in runs.items():
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        peak = json.loads(out)
        assert peak["n"] == key[0]
        rise[key] = peak["rise"]
    assert rise[400_000, "read"] - rise[100_000, "read"] > 48e6, rise
    assert rise[400_000, "summary"] - rise[100_000, "summary"] < 8e6, rise
    assert rise[400_000, "summary"] < 80e6, rise


# --------------------------------------------------------------------------------------
# calibration, downsample, results_csv
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("confidence", "correct", "bins", "counts", "accuracy"), CALIBRATION_CASES)
def test_calibration_by_hand(
    confidence: list[float],
    correct: list[int],
    bins: int,
    counts: list[int],
    accuracy: list[float | None],
) -> None:
    """Bin counts and accuracies equal a hand count; empty bins are NaN; 1.0 is in the last bin."""
    centres, acc, got_counts = calibration(np.array(confidence), np.array(correct, bool), bins)
    np.testing.assert_allclose(centres, (np.arange(bins) + 0.5) / bins, rtol=1e-15)
    assert got_counts.tolist() == counts
    assert [None if math.isnan(a) else a for a in acc.tolist()] == pytest.approx(accuracy)


def test_calibration_of_an_evaluated_batch() -> None:
    """The counts add up to n and the accuracies weighted by count give the batch accuracy."""
    batch, _ = read_batch(csv_bytes(sample_dataset(5, 500, np.random.default_rng(11))))
    result = evaluate_batch(batch)
    _, acc, counts = calibration(result.confidence, result.predicted == result.true_class)
    assert counts.sum() == 500
    assert np.nansum(acc * counts) / 500 == pytest.approx(result.accuracy, rel=1e-12)
    assert counts[:1].sum() == 0  # with 5 classes no confidence is below 1/5


@pytest.mark.parametrize(("n", "max_points"), DOWNSAMPLE_CASES)
def test_downsample_draws_sorted_unique_rows(n: int, max_points: int) -> None:
    """At most max_points indices, strictly increasing, all within 0..n-1."""
    index = downsample(n, max_points, np.random.default_rng(1))
    assert len(index) == min(n, max_points)
    assert np.all(np.diff(index) > 0)
    assert index.min() >= 0
    assert index.max() < n


@pytest.mark.parametrize(("n", "max_points"), [(5, 10), (10, 10), (0, 3)])
def test_downsample_keeps_every_row_when_few(n: int, max_points: int) -> None:
    """With n <= max_points every row is kept, in order."""
    assert downsample(n, max_points, np.random.default_rng(0)).tolist() == list(range(n))


def test_downsample_is_reproducible() -> None:
    """The same seed gives the same rows; another seed other rows."""
    first = downsample(10_000, 50, np.random.default_rng(42))
    again = downsample(10_000, 50, np.random.default_rng(42))
    other = downsample(10_000, 50, np.random.default_rng(43))
    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()


def test_results_csv_header_and_names() -> None:
    """The header is row, true_class, predicted, loss, p_true, grad_<class>...; rows from 1."""
    data = b"logit_cat,logit_dog,logit_bird,label\n0,5,0,dog\n9,0,0,bird\n"
    batch, _ = read_batch(data)
    text = results_csv(batch, evaluate_batch(batch))
    lines = text.splitlines()
    assert lines[0] == "row,true_class,predicted,loss,p_true,grad_cat,grad_dog,grad_bird"
    assert len(lines) == 3
    assert lines[1].startswith("1,dog,dog,")
    assert lines[2].startswith("2,bird,cat,")


def test_results_csv_floats_read_back_bit_identical() -> None:
    """pandas reads every loss, p_true and gradient back to the very same float."""
    batch = random_batch(4, 500, seed=5, soft=False)
    result = evaluate_batch(batch)
    frame = pd.read_csv(io.StringIO(results_csv(batch, result)))
    assert frame["row"].tolist() == list(range(1, 501))
    assert frame["true_class"].tolist() == [batch.names[k] for k in result.true_class]
    assert frame["predicted"].tolist() == [batch.names[k] for k in result.predicted]
    assert np.array_equal(frame["loss"].to_numpy(), result.loss)
    assert np.array_equal(frame["p_true"].to_numpy(), result.p_true)
    for i, name in enumerate(batch.names):
        assert np.array_equal(frame[f"grad_{name}"].to_numpy(), result.grad[:, i])
    assert (result.p_true < 1e-50).any()  # tiny values are among those that round-trip


# --------------------------------------------------------------------------------------
# Columns paired by class name; names that collide; limits on width
# --------------------------------------------------------------------------------------


def test_soft_targets_are_paired_with_logits_by_name_not_position() -> None:
    """logit_cat, logit_dog, p_dog, p_cat with the row 5, 0, 1, 0: the target is dog, so
    the loss is log(1 + e^5) = 5.0067 and the prediction (cat) is wrong."""
    data = b"logit_cat,logit_dog,p_dog,p_cat\n5,0,1,0\n"
    batch, mapping = read_batch(data)
    assert mapping.soft == ("p_cat", "p_dog")
    assert batch.y.tolist() == [[0.0, 1.0]]
    result = evaluate_batch(batch)
    assert result.mean_loss == pytest.approx(math.log1p(math.exp(5.0)), rel=1e-15)
    assert result.accuracy == 0.0
    summary, _ = summarise_batch(data)
    assert summary.mean_loss == pytest.approx(5.006715348489118, rel=1e-15)
    assert summary.accuracy == 0.0


@pytest.mark.parametrize(
    ("header", "pattern"),
    [
        (b"logit_cat,logit_dog,y_cat,y_cow", r"no target for 'dog'; no logit for 'cow'"),
        (b"logit_a,logit_b,y_0,y_1", r"no target for 'a', 'b'; no logit for '0', '1'"),
    ],
)
def test_soft_targets_that_name_other_classes_are_named(header: bytes, pattern: str) -> None:
    """Soft-target columns whose class names differ from the logits' are an error."""
    with pytest.raises(CEVizError, match=pattern):
        read_batch(header + b"\n1,2,0.5,0.5\n")


@pytest.mark.parametrize(
    ("header", "pattern"),
    [
        (b"logit_a,o_a,label", r"the columns 'logit_a' and 'o_a' both name the class 'a'"),
        (b"logit_a,score_a,logit_b,label", r"'logit_a' and 'score_a' both name the class 'a'"),
        (b"logit_a,logit_b,y_a,target_a", r"'y_a' and 'target_a' both name the class 'a'"),
    ],
)
def test_two_columns_naming_one_class_are_an_error(header: bytes, pattern: str) -> None:
    """Two logit (or target) columns that name the same class are refused, not merged."""
    row = b"1,2,0\n" if header.count(b",") == 2 else b"1,2,0.5,0.5\n"
    with pytest.raises(CEVizError, match=pattern):
        read_batch(header + b"\n" + row)


def wide_file(K: int, rows: int = 2) -> bytes:
    """A file with K logit columns and a label."""
    header = ",".join([f"logit_{i}" for i in range(K)] + ["label"])
    body = "\n".join(",".join(["0"] * K + [str(r % K)]) for r in range(rows))
    return f"{header}\n{body}\n".encode()


def test_a_thousand_classes_are_read_and_more_are_refused() -> None:
    """1,000 classes (ImageNet's) are a batch; 1,001 and 4,000 are refused by name."""
    summary, _ = summarise_batch(wide_file(MAX_CLASSES))
    assert summary.n == 2
    assert summary.mean_loss == pytest.approx(math.log(MAX_CLASSES), rel=1e-14)
    with pytest.raises(CEVizError, match=r"1,001 logit columns; ce-viz takes at most 1,000"):
        read_header(wide_file(1001)) and summarise_batch(wide_file(1001))
    with pytest.raises(CEVizError, match=r"4,001 columns; ce-viz takes at most 1,000 classes"):
        read_header(wide_file(4000))


def test_wide_results_are_built_without_column_by_column_inserts() -> None:
    """The results CSV for 1,000 classes raises no pandas PerformanceWarning (the sign of
    columns added one at a time, which made it quadratic)."""
    batch, _ = read_batch(wide_file(MAX_CLASSES, rows=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        text = results_csv(batch, evaluate_batch(batch))
    assert text.splitlines()[0].count(",") == 4 + MAX_CLASSES


def test_chunks_hold_a_bounded_number_of_cells() -> None:
    """By default a chunk holds at most 1,000,000 cells: 1,000 classes and a label give
    chunks of 999 rows, 2 classes 100,000 (the most rows a chunk takes)."""
    _, chunks = iter_batch(wide_file(MAX_CLASSES, rows=2100))
    assert [len(c.logits) for c in chunks] == [999, 999, 102]
    data = csv_bytes(sample_dataset(2, 120_000, np.random.default_rng(0)))
    _, chunks = iter_batch(data)
    assert [len(c.logits) for c in chunks] == [100_000, 20_000]


# --------------------------------------------------------------------------------------
# Messages quote at most a little of what the file says; headers are read as written
# --------------------------------------------------------------------------------------

HUGE = 20 * 2**20  # 20 MiB


@pytest.mark.parametrize(
    "data",
    [
        HEADER + b"1," + b"x" * HUGE + b",0\n",
        HEADER + b"1,2," + b"y" * HUGE + b"\n",
        b"logit_0,logit_1,y_0,y_1\n1,2," + b"z" * HUGE + b",0.5\n",
        b"logit_0,logit_1," + b"n" * HUGE + b"\n1,2,0\n",
        b"logit_0," + b"w" * 150 + b",label\n1,2,0\n",
    ],
    ids=["a huge logit cell", "a huge label", "a huge target", "a huge header", "a long name"],
)
def test_huge_cells_are_quoted_short(data: bytes) -> None:
    """A 20 MiB cell or header gives a message of a few hundred characters at the most."""
    with pytest.raises(CEVizError) as info:
        summarise_batch(data)
    assert len(str(info.value)) < 300, len(str(info.value))


def test_spaces_after_commas_in_the_header_are_read_as_names() -> None:
    """`logit_0, logit_1, label` gives the columns logit_0, logit_1, label everywhere."""
    data = b"logit_0, logit_1, label\n1, 2, 1\n"
    assert read_header(data) == ("logit_0", "logit_1", "label")
    mapping = detect_columns(read_header(data))
    assert mapping == ColumnMap(("logit_0", "logit_1"), label="label")
    batch, _ = read_batch(data, mapping)
    assert batch.y.tolist() == [[0.0, 1.0]]
    assert list(preview(data).columns) == ["logit_0", "logit_1", "label"]


@pytest.mark.parametrize("blank", [b"\n", b"\r\n", b"  \n", b"\n\r\n \t\n"])
def test_any_number_of_blank_lines_before_the_header(blank: bytes) -> None:
    """5,000 blank lines before the header are skipped, and a file of only blank lines is
    called empty."""
    batch, _ = read_batch(blank * 5000 + HEADER + b"1,2,0\n")
    assert batch.logits.tolist() == [[1.0, 2.0]]
    with pytest.raises(CEVizError, match=r"^the file is empty$"):
        read_batch(blank * 5000)


# --------------------------------------------------------------------------------------
# CSV injection: the results CSV never holds a formula
# --------------------------------------------------------------------------------------


def test_formula_names_are_neutralised_in_the_results_csv() -> None:
    """Class names from a header that start with = + - @ reach the results CSV as text."""
    names = ['=HYPERLINK("http://127.0.0.1/x?"&A2;"c")', "@SUM(1+1)", "+1", "-2"]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [[*(f"logit_{n}" for n in names), "label"], [0, 0, 0, 9, 0], [9, 0, 0, 0, 1]]
    )
    data = out.getvalue().encode()
    batch, _ = read_batch(data)
    assert batch.names == tuple(names)
    for text in (
        results_csv(batch, evaluate_batch(batch)),
        stream_results_csv(data, resolve_columns(read_header(data))).decode(),
    ):
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        cells = [*frame["true_class"], *frame["predicted"], *frame.columns]
        assert not [c for c in cells if c[:1] in {"=", "+", "-", "@"}], cells
        assert frame["true_class"].tolist() == ["'" + names[0], "'@SUM(1+1)"]


# --------------------------------------------------------------------------------------
# summarise_batch and stream_results_csv: the whole file's numbers, chunk by chunk
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_rows", [1, 7, 50, 1000])
@pytest.mark.parametrize("T", [1.0, 2.5])
def test_summary_equals_the_whole_file_evaluated_at_once(chunk_rows: int, T: float) -> None:
    """Mean loss, accuracy, calibration, the worst rows and their gradients agree with
    evaluate_batch on the whole file, whatever the chunk size."""
    data = csv_bytes(sample_dataset(4, 300, np.random.default_rng(7)))
    batch, _ = read_batch(data)
    whole = evaluate_batch(batch, T)
    summary, _ = summarise_batch(data, T=T, worst=25, max_points=40, chunk_rows=chunk_rows)
    assert summary.n == 300
    assert summary.mean_loss == pytest.approx(whole.mean_loss, rel=1e-14)
    assert summary.accuracy == whole.accuracy
    _, _, counts = calibration(whole.confidence, whole.predicted == whole.true_class)
    assert summary.calibration_counts.tolist() == counts.tolist()
    order = np.argsort(-whole.loss, kind="stable")[:25]
    assert summary.worst_rows.tolist() == order.tolist()
    np.testing.assert_array_equal(summary.worst.logits, batch.logits[order])
    np.testing.assert_array_equal(summary.worst_result.grad, whole.grad[order])
    assert len(summary.loss_sample) == 40
    assert set(summary.loss_sample.tolist()) <= set(whole.loss.tolist())


def _ordered_file(kind: str, n: int) -> bytes:
    """Two-class rows whose losses are heavily tied, rise with the row, or fall with it."""
    rows = np.arange(n)
    if kind == "ties":
        gap = np.random.default_rng(3).integers(0, 4, n).astype(float)  # 4 distinct losses
    elif kind == "rising":
        gap = rows / n
    else:
        gap = 1.0 - rows / n
    frame = pd.DataFrame({"logit_0": -gap, "logit_1": gap, "label": 0})
    return frame.to_csv(index=False).encode()


@pytest.mark.parametrize("kind", ["ties", "rising", "falling"])
@pytest.mark.parametrize("chunk_rows", [1, 30, 400, 5000])
def test_worst_rows_go_to_the_earliest_row_on_a_tie(kind: str, chunk_rows: int) -> None:
    """The worst rows are the stable order of the loss, however the rows come: hundreds of
    rows tied at the cut (the earliest win), or every chunk worse than all before it."""
    data = _ordered_file(kind, 5000)
    whole = evaluate_batch(read_batch(data)[0])
    summary, _ = summarise_batch(data, worst=300, max_points=100, chunk_rows=chunk_rows)
    expected = np.argsort(-whole.loss, kind="stable")[:300]
    assert summary.worst_rows.tolist() == expected.tolist()
    np.testing.assert_array_equal(summary.worst_result.loss, whole.loss[expected])
    assert len(summary.loss_sample) == 100


def test_loss_sample_is_uniform_and_reproducible() -> None:
    """The loss sample of 2,000 rows out of 20,000 is the same on every read, and its mean
    is within a few standard errors of the file's."""
    data = csv_bytes(sample_dataset(3, 20_000, np.random.default_rng(2)))
    first, _ = summarise_batch(data, max_points=2000, chunk_rows=3000)
    again, _ = summarise_batch(data, max_points=2000, chunk_rows=3000)
    np.testing.assert_array_equal(first.loss_sample, again.loss_sample)
    whole = evaluate_batch(read_batch(data)[0])
    error = whole.loss.std() / math.sqrt(2000)
    assert abs(first.loss_sample.mean() - whole.mean_loss) < 4 * error


def test_progress_reaches_one_and_can_stop_the_read() -> None:
    """progress gets increasing fractions ending at 1; an exception it raises ends the read
    at once (as Streamlit's stop does when the session ends)."""
    data = csv_bytes(sample_dataset(3, 1000, np.random.default_rng(0)))
    seen: list[float] = []
    summarise_batch(data, chunk_rows=100, progress=seen.append)
    assert len(seen) == 10
    assert seen == sorted(seen)
    assert seen[-1] == 1.0

    class Stop(BaseException):
        pass

    calls: list[float] = []

    def stop(done: float) -> None:
        calls.append(done)
        raise Stop

    with pytest.raises(Stop):
        summarise_batch(data, chunk_rows=100, progress=stop)
    assert len(calls) == 1


@pytest.mark.parametrize("max_rows", [None, 0, 1, 7, 8, 49])
def test_streamed_results_equal_the_in_memory_results(max_rows: int | None) -> None:
    """stream_results_csv, read in chunks of 7 rows, gives the first max_rows lines of
    results_csv on the whole file."""
    data = fifty_rows()
    batch, mapping = read_batch(data)
    whole = results_csv(batch, evaluate_batch(batch)).splitlines()
    streamed = stream_results_csv(data, mapping, max_rows=max_rows).decode().splitlines()
    expected = whole if max_rows is None else whole[: max_rows + 1]
    assert streamed == (expected if max_rows != 0 else [])


@pytest.mark.parametrize("K", [2, 10, 1000])
def test_results_row_limit_is_a_true_bound(K: int) -> None:
    """Rows at the limit, with the longest floats and names, fit in the byte budget."""
    names = tuple(f"{'x' * 90}{i}" for i in range(K))
    budget = 200_000
    rows = results_row_limit(names, budget)
    assert rows >= 1
    logits = np.full((rows, K), -1.2345678901234567e-300)
    logits[:, 0] = 2.2250738585072014e-308
    batch = Batch(logits, np.eye(K)[np.zeros(rows, dtype=int)], names)
    text = results_csv(batch, evaluate_batch(batch))
    assert len(text.encode()) <= budget


# --------------------------------------------------------------------------------------
# Fuzz: files of random shape and content give a summary or a named error
# --------------------------------------------------------------------------------------

COLUMN_NAMES = st.sampled_from(
    ["logit_a", "logit_b", "logit_c", "o_a", "y_a", "y_b", "p_c", "label", "target", "x", "a"]
)
CELLS = st.one_of(
    st.sampled_from(["0", "1", "2", "-3.5", "1e308", "1e400", "nan", "", " ", "a", "b", '"']),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=6),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(COLUMN_NAMES, min_size=1, max_size=6),
    st.lists(st.lists(CELLS, min_size=0, max_size=7), min_size=0, max_size=6),
)
def test_random_files_give_a_summary_or_a_short_named_error(
    header: list[str], rows: list[list[str]]
) -> None:
    """Random headers, row shapes and cells: a summary whose numbers are finite, or a
    CEVizError with a short message; never another exception."""
    text = ",".join(header) + "\n" + "\n".join(",".join(r) for r in rows) + "\n"
    try:
        summary, _ = summarise_batch(text.encode(), chunk_rows=2)
    except CEVizError as exc:
        message = str(exc)
    else:
        message = ""
        assert summary.n >= 1
        assert math.isfinite(summary.mean_loss)
        assert 0.0 <= summary.accuracy <= 1.0
    assert len(message) < 400


def test_the_preview_is_small_whatever_the_file() -> None:
    """A 1,000-class file with a million-digit cell previews as 20 rows x 30 columns of at
    most 24 characters each, names included."""
    header = ",".join([f"logit_{'x' * 90}{i}" for i in range(1000)] + ["label"])
    rows = ["9" * 1_000_000 + ",0" * 999 + ",0"] + [",".join(["1"] * 1001)] * 40
    frame = preview(("\n".join([header, *rows]) + "\n").encode())
    assert frame.shape == (20, 30)
    cells = [*frame.columns, *frame.to_numpy().ravel()]
    assert max(len(c) for c in cells) == 24
    assert frame.iloc[0, 0] == "9" * 23 + "…"


# --------------------------------------------------------------------------------------
# A bad file names every problem, up to the first 20, and how many more there were
# --------------------------------------------------------------------------------------

#: Twenty-five bad cells of a 60-row, 3-class file: (row, column, cell, what is wrong).
#: Rows 3 and 41 hold two each (kept in column order); the numbers pandas reads as such
#: (1e400, inf, nan) are quoted as the file writes them, even in a later chunk.
TWENTY_FIVE: list[tuple[int, str, str, str]] = [
    (2, "logit_1", "abc", "is not a number"),
    (3, "logit_0", "1e400", "is not finite"),
    (3, "label", "7", "is not a class"),
    (5, "logit_2", "", "is empty"),
    (8, "logit_1", "inf", "is not finite"),
    (9, "label", "cow", "is not a class"),
    (11, "logit_0", "NaN", "is not finite"),
    (13, "logit_2", "0x1F", "is not a number"),
    (14, "label", "-1", "is not a class"),
    (17, "logit_1", "1,5", "is not a number"),
    (19, "logit_0", "-inf", "is not finite"),
    (22, "label", "3", "is not a class"),
    (23, "logit_2", "two", "is not a number"),
    (26, "logit_1", "nan", "is not finite"),
    (29, "logit_0", "", "is empty"),
    (31, "label", "", "is not a class"),
    (34, "logit_2", "--1", "is not a number"),
    (37, "logit_1", "1e999", "is not finite"),
    (40, "logit_0", "x" * 60, "is not a number"),  # quoted cut short
    (41, "logit_1", "?", "is not a number"),
    (41, "label", "1.5", "is not a class"),
    (44, "logit_2", "NA", "is not finite"),
    (50, "logit_0", "null", "is not finite"),
    (55, "label", "dog", "is not a class"),
    (60, "logit_1", "1e500", "is not finite"),
]


def twenty_five_problems() -> bytes:
    """The 60-row file with the 25 bad cells of ``TWENTY_FIVE`` written in."""
    rows = [[f"{r % 5}.25", f"{-r % 3}", f"{r / 7:.3f}", str(r % 3)] for r in range(1, 61)]
    column = {"logit_0": 0, "logit_1": 1, "logit_2": 2, "label": 3}
    for r, name, cell, _ in TWENTY_FIVE:
        rows[r - 1][column[name]] = f'"{cell}"' if "," in cell else cell
    text = "logit_0,logit_1,logit_2,label\n" + "\n".join(",".join(row) for row in rows)
    return (text + "\n").encode()


def shown(cell: str) -> str:
    """A cell as a message quotes it: at most 40 characters, the last an ellipsis."""
    return repr(cell if len(cell) <= 40 else cell[:39] + "…")


@pytest.mark.parametrize("chunk_rows", [None, 7])
def test_a_file_with_25_problems_names_the_first_20_and_counts_the_rest(
    chunk_rows: int | None,
) -> None:
    """All 25 bad cells are found, in one chunk or nine: the message names the first 20 in
    row and column order, each by row and column, quoting the cell as written, and says
    "and 5 more"; it once named only the first."""
    assert MAX_PROBLEMS == 20
    with pytest.raises(BadCellsError) as info:
        read_batch(twenty_five_problems(), chunk_rows=chunk_rows)
    problems = info.value.problems
    assert len(problems) == 20
    assert info.value.more == 5
    for problem, (r, name, cell, what) in zip(problems, TWENTY_FIVE, strict=False):
        assert problem.startswith(f"row {r}, column '{name}': {shown(cell)} {what}"), problem
    text = str(info.value)
    assert text.startswith("25 problems: row 2, column 'logit_1': 'abc' is not a number; ")
    assert text.endswith("; and 5 more")
    assert "x" * 40 not in text


def test_a_file_with_25_problems_stops_the_summary_too() -> None:
    """summarise_batch, what the page calls, raises the same error, after checking every
    chunk (the count of the rest is exact)."""
    with pytest.raises(BadCellsError) as info:
        summarise_batch(twenty_five_problems(), chunk_rows=7)
    assert (len(info.value.problems), info.value.more) == (20, 5)


def test_problems_past_the_twentieth_are_counted_not_described() -> None:
    """A file of 5,000 rows whose every logit cell is a word: 20 named and 9,980 more,
    and the message stays a few thousand characters long."""
    rows = "\n".join(f"word{i},text{i},{i % 2}" for i in range(5000))
    with pytest.raises(BadCellsError) as info:
        read_batch(HEADER + rows.encode() + b"\n", chunk_rows=999)
    assert len(info.value.problems) == 20
    assert info.value.more == 9_980
    assert info.value.problems[:2] == (
        "row 1, column 'logit_0': 'word0' is not a number",
        "row 1, column 'logit_1': 'text0' is not a number",
    )
    assert len(str(info.value)) < 2000


def test_soft_target_problems_are_all_named() -> None:
    """Soft targets: a word, a negative target and a sum of 0.6 in three rows are three
    problems; a row with a bad cell is not also said to sum wrongly."""
    data = b"logit_0,logit_1,y_0,y_1\n1,2,half,0.5\n1,2,0.5,0.5\n1,2,-0.5,1.5\n1,2,0.3,0.3\n"
    with pytest.raises(BadCellsError) as info:
        read_batch(data)
    assert info.value.problems == (
        "row 1, column 'y_0': 'half' is not a number",
        "row 3, column 'y_0': a target can't be negative",
        "row 4: the soft targets sum to 0.6, not 1",
    )


def test_a_row_that_cannot_be_read_ends_the_list_of_problems() -> None:
    """Problems before a row pandas cannot read are named, then why reading stopped."""
    data = HEADER + b"1,x,0\n1,2,9\n" + b"1,2,0\n" * 20 + b"1,2,0,4\n"
    with pytest.raises(BadCellsError) as info:
        read_batch(data, chunk_rows=7)
    first, second, last = info.value.problems
    assert first == "row 1, column 'logit_1': 'x' is not a number"
    assert second.startswith("row 2, column 'label': '9' is not a class")
    assert "not a CSV that can be read" in last
    assert "saw 4" in last
