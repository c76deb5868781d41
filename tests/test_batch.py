"""Tests for batch mode, ce_viz.batch: reading a CSV of logits and labels, and evaluating it.

Per-row numbers are judged against the single-sample core (``ce_viz.core``) called one row at
a time, and small cases against values worked out by hand. Every bad file must give a
``CEVizError`` whose message names the row, the column or the file's problem.

Some tests pin bugs found and fixed in ce_viz/batch.py (carriage returns, one-based class
names, columns starting with "o", a leading blank line, bad bytes in a later chunk).
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce_viz.batch import (
    Batch,
    ColumnMap,
    calibration,
    detect_columns,
    downsample,
    evaluate_batch,
    read_batch,
    results_csv,
    sample_dataset,
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
    ("a short row", HEADER + b"1,2,0\n3\n", None, r"^row 2, column 'logit_1': '' is empty"),
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


@pytest.mark.parametrize(
    "data",
    [HEADER.replace(b"\n", b"\r") + b"1,2,0\r", b"\r\x00", b"a\rb,c\n"],
    ids=["CR line ends", "CR NUL", "CR inside the header"],
)
def test_carriage_return_line_ends_are_a_batch_or_a_ceviz_error(data: bytes) -> None:
    """Old-Mac CR line ends give a Batch (pandas reads them) or a CEVizError, not _csv.Error."""
    try:
        batch, _ = read_batch(data)
    except CEVizError:
        return
    assert batch.n >= 1


def test_one_based_class_names_do_not_merge_labels() -> None:
    """Labels 0 and 1 with columns logit_1, logit_2 are not both read as the first class."""
    try:
        batch, _ = read_batch(b"logit_1,logit_2,label\n1,2,0\n1,2,1\n")
    except CEVizError:
        return  # refusing the ambiguous labels is a fine answer too
    assert batch.y[0].tolist() != batch.y[1].tolist()


def test_a_column_starting_with_o_is_not_a_logit() -> None:
    """detect_columns does not take order_id for a logit when logit_ columns exist."""
    mapping = detect_columns(["order_id", "logit_a", "logit_b", "label"])
    assert mapping.logits == ("logit_a", "logit_b")


def test_a_leading_blank_line_is_not_an_empty_file() -> None:
    """A blank first line before the header is skipped, or at least not called an empty file."""
    try:
        batch, _ = read_batch(b"\n" + HEADER + b"1,2,0\n")
    except CEVizError as exc:
        message = str(exc)
        assert "empty" not in message
    else:
        assert batch.logits.tolist() == [[1.0, 2.0]]


# --------------------------------------------------------------------------------------
# Memory: the reader works chunk by chunk
# --------------------------------------------------------------------------------------

#: Run in a fresh interpreter (Linux): read the CSV at argv[1] with chunk_rows=argv[2] and print
#: how far the peak resident size rose above the resident size just before read_batch, and the
#: bytes of the arrays it returned. Writing 5 to /proc/self/clear_refs resets the peak (VmHWM)
#: to the current size, so memory freed before the read cannot hide the read's own peak.
PEAK_SCRIPT = """
import gc, json, sys
from ce_viz.batch import read_batch
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))
data = open(sys.argv[1], "rb").read()
read_batch(b"logit_0,logit_1,label\\n1,2,0\\n")  # pandas' lazy imports (pyarrow) first
gc.collect()
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
batch, _ = read_batch(data, chunk_rows=int(sys.argv[2]))
print(json.dumps({"rise": status("VmHWM") - before, "arrays": batch.logits.nbytes + batch.y.nbytes,
                  "n": batch.n}))
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


def test_peak_memory_is_bounded_by_the_chunk(tmp_path: Path) -> None:
    """Beyond its output, reading 200,000 x 10 in chunks of 20,000 rows needs well under half
    the memory of reading it in one chunk.

    What is measured is the rise of the peak resident size of a fresh process during
    read_batch (pandas keeps the cells' text in pyarrow, which tracemalloc does not see). The
    returned logits and targets (2 x 16 MB) are needed however the file is read, and so is
    one copy of them while the per-chunk arrays are stacked: 2 x 32 MB, which grows with n
    and is subtracted. What remains is what chunking bounds: the text of the cells held at
    once and its conversion to numbers, ~60 MB for one chunk of 200,000 rows.
    """
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes(sample_dataset(10, 200_000, np.random.default_rng(0))))
    runs = {
        rows: subprocess.Popen(
            [sys.executable, "-c", PEAK_SCRIPT, str(path), str(rows)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for rows in (20_000, 1_000_000)
    }
    extra = {}
    for rows, process in runs.items():
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0
        peak = json.loads(out)
        assert peak["n"] == 200_000
        assert peak["arrays"] == 2 * 200_000 * 10 * 8
        extra[rows] = peak["rise"] - 2 * peak["arrays"]
    assert extra[1_000_000] > 30e6, extra  # one chunk really holds every cell's text
    assert extra[20_000] < 0.5 * extra[1_000_000], extra


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
