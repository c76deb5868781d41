"""Tests for ce_viz.datasets: the presets (shapes, class counts, seeds, the mislabelled
point) and reading a CSV of points, with a named error for each bad file."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from ce_viz.batch import BadCellsError
from ce_viz.core import CEVizError
from ce_viz.datasets import (
    MAX_CLASSES,
    MAX_LINE_BYTES,
    MAX_LINES,
    MAX_POINTS,
    PRESETS,
    make_dataset,
    read_points,
)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize(("n", "K"), [(4, 2), (200, 3), (1000, 5), (37, 4)])
def test_a_preset_has_its_shape_and_balanced_classes(preset: str, n: int, K: int) -> None:
    d = make_dataset(preset, n=n, K=K, seed=2)
    assert d.X.shape == (n, 2)
    assert d.labels.shape == (n,)
    assert d.K == K
    assert d.n == n
    assert np.isfinite(d.X).all()
    counts = np.bincount(d.labels, minlength=K)
    assert len(counts) == K
    slack = 1 if preset == "mislabelled" else 0  # one point moved to another class
    assert counts.min() >= n // K - slack
    assert counts.max() <= -(-n // K) + slack


@pytest.mark.parametrize("preset", PRESETS)
def test_a_preset_is_fixed_by_its_seed(preset: str) -> None:
    a, b, c = (make_dataset(preset, 120, 3, seed) for seed in (9, 9, 10))
    assert np.array_equal(a.X, b.X)
    assert np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.X, c.X)


def test_the_mislabelled_preset_is_blobs_with_one_label_changed() -> None:
    """The same points as blobs of the same seed; exactly one label differs, at ``flipped``."""
    for seed in range(5):
        blobs = make_dataset("blobs", 150, 4, seed)
        bad = make_dataset("mislabelled", 150, 4, seed)
        assert np.array_equal(blobs.X, bad.X)
        assert blobs.flipped is None
        assert np.flatnonzero(blobs.labels != bad.labels).tolist() == [bad.flipped]


def test_overlapping_blobs_overlap_more_than_blobs() -> None:
    """Nearest-centroid accuracy is near 1 for blobs and clearly lower when they overlap."""

    def centroid_accuracy(d):
        centres = np.stack([d.X[d.labels == k].mean(axis=0) for k in range(d.K)])
        nearest = ((d.X[:, None, :] - centres) ** 2).sum(axis=2).argmin(axis=1)
        return np.mean(nearest == d.labels)

    assert centroid_accuracy(make_dataset("blobs", 500, 5, 0)) > 0.98
    assert centroid_accuracy(make_dataset("overlapping", 500, 5, 0)) < 0.9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rings", 100, 3), "the data preset must be one of"),
        (("blobs", 100, 1), "the classes must be 2 to 5, got 1"),
        (("blobs", 100, 6), "the classes must be 2 to 5, got 6"),
        (("blobs", 1001, 3), "from 6 .two per class. to 1,000, got 1001"),
        (("blobs", 5, 3), "got 5"),
        (("blobs", 10.0, 2), "got 10.0"),
    ],
)
def test_bad_preset_settings_are_named(args: tuple, message: str) -> None:
    with pytest.raises(CEVizError, match=message):
        make_dataset(*args)


# --------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------


def test_a_csv_with_named_labels_in_any_column_order() -> None:
    d = read_points(b"\xef\xbb\xbflabel, X2 ,x1\r\ndog,1,2\r\ncat,3,4\r\n\r\nbird,5,6\r\n")
    assert d.names == ("bird", "cat", "dog")
    assert d.labels.tolist() == [2, 1, 0]
    assert d.X.tolist() == [[2.0, 1.0], [4.0, 3.0], [6.0, 5.0]]


def test_integer_labels_go_in_numeric_order() -> None:
    d = read_points("x1,x2,class\n0,0,10\n0,1,3\n1,0,7\n1,1,3\n")
    assert d.names == ("3", "7", "10")
    assert d.labels.tolist() == [2, 0, 1, 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,x2,label\n0,0,a\n1,1,a\n", "every point has the label 'a': training needs at least 2"),
        ("x1,x2,label\nnan,0,0\n1,1,1\n", r"row 1, column 'x1': 'nan' is not a finite number"),
        ("x1,x2,label\n0,0,0\n1,-inf,1\n", r"row 2, column 'x2': '-inf' is not a finite"),
        ("x1,x2,label\n0,zero,0\n1,1,1\n", r"row 1, column 'x2': 'zero' is not a number"),
        ("x1,label\n0,0\n1,1\n", "the column 'x2' is missing from the file"),
        ("x1,x2\n0,0\n1,1\n", "the column 'label' is missing from the file"),
        ("x1,x2,label,z\n0,0,0,1\n", "the column 'z' is neither x1, x2 nor the label"),
        ("x1,x2,label\n0,0\n1,1,1\n", "row 1 has 2 cells; the header has 3"),
        ("x1,x2,label\n0,0,\n1,1,1\n", "row 1, column 'label': the label is empty"),
        ("x1,x2,label\n", "the file has a header but no points"),
        ("\n\n", "the file is empty"),
        ("".join(["x1,x2,label\n"] + [f"0,0,{k}\n" for k in range(6)]), "6 classes; .* most 5"),
    ],
)
def test_a_bad_csv_gets_a_named_error(text: str, message: str) -> None:
    with pytest.raises(CEVizError, match=message):
        read_points(text.encode())


def test_bad_cells_are_listed_with_a_count_of_the_rest() -> None:
    text = "x1,x2,label\n" + "x,0,0\n" * 30
    with pytest.raises(BadCellsError, match=r"30 problems: row 1.*; and 10 more") as info:
        read_points(text)
    assert len(info.value.problems) == 20


@pytest.mark.parametrize("data", [b"x1,x2,label\n\xff\xfe,0,0\n", b"x1,x2,label\n1,2,\xc3"])
def test_a_file_that_is_not_utf8_is_named(data: bytes) -> None:
    with pytest.raises(CEVizError, match="not text"):
        read_points(data)


class _Endless(io.RawIOBase):
    """A CSV of ``rows`` points made line by line as it is read, counting the lines served."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.served = 0

    def readable(self) -> bool:
        return True

    def readline(self, size: int = -1) -> bytes:
        self.served += 1
        if self.served == 1:
            return b"x1,x2,label\n"
        return (
            f"{self.served},0.5,{self.served % 3}\n".encode() if self.served <= self.rows else b""
        )


def test_a_million_points_are_refused_after_reading_only_the_limit() -> None:
    """10⁶ rows: refused with the limit in the message, having read just past the limit."""
    stream = _Endless(10**6)
    start = time.perf_counter()
    with pytest.raises(CEVizError, match="more than 1,000 points; the trainer takes at most"):
        read_points(stream)
    assert time.perf_counter() - start < 0.5
    assert stream.served <= MAX_POINTS + 2


def test_exactly_the_limit_is_accepted() -> None:
    stream = _Endless(MAX_POINTS + 1)  # the header and MAX_POINTS rows
    d = read_points(stream)
    assert d.n == MAX_POINTS
    assert d.K == 3 <= MAX_CLASSES
    assert read_points(b"".join([b"x1,x2,label\n", *[b"1,2,0\n", b"3,4,1\n"] * 500])).n == 1000


def test_a_line_too_long_is_refused_without_reading_it_all() -> None:
    """One endless line (no line breaks): refused after reading just past the line limit."""
    stream = io.BytesIO(b"x1,x2,label\n" + b"1" * 10**7)
    with pytest.raises(CEVizError, match="line 2 is over 200 bytes long"):
        read_points(stream)
    assert stream.tell() <= 12 + MAX_LINE_BYTES + 1


def test_endless_blank_lines_are_refused_by_the_line_limit() -> None:
    stream = io.BytesIO(b"x1,x2,label\n" + b"\n" * 10**6)
    with pytest.raises(CEVizError, match="over 10,000 lines"):
        read_points(stream)
    assert stream.tell() <= 12 + MAX_LINES
