"""Two-dimensional training sets for the "watch it learn" view: presets from a seed, or a CSV.

NumPy only (the CSV is read with the standard library's ``csv``). A data set is ``n`` points
``X`` of shape ``(n, 2)`` with integer labels ``0..K-1``, ``K`` from 2 to ``MAX_CLASSES``
and ``n`` at most ``MAX_POINTS``. Every preset is drawn from ``numpy.random.default_rng(seed)``,
so the same preset, size, class count and seed give the same points, bit for bit.

A CSV has the columns ``x1``, ``x2`` and a label (integers or names). It is read row by row
and refused as soon as it passes ``MAX_POINTS`` rows, ``MAX_LINES`` lines (blank ones
included) or a line of ``MAX_LINE_BYTES``, so the memory and time a file costs are bounded by
those limits, not by its length. Its problems are raised as ``CEVizError`` (bad cells as
batch mode's ``BadCellsError``: each names its row and column).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ce_viz._checks import CEVizError, is_index
from ce_viz.batch import LABEL_NAMES, MAX_PROBLEMS, BadCellsError
from ce_viz.fmt import quote

__all__ = [
    "MAX_CLASSES",
    "MAX_POINTS",
    "MIN_CLASSES",
    "PRESETS",
    "Dataset",
    "make_dataset",
    "nearest_point",
    "read_points",
]

FloatArray = NDArray[np.float64]

#: The most points a data set may have.
MAX_POINTS = 1000
#: The fewest and the most classes.
MIN_CLASSES, MAX_CLASSES = 2, 5
#: The presets, by their URL names; "mislabelled" is blobs with one point's label changed.
PRESETS = ("blobs", "moons", "spiral", "overlapping", "mislabelled")
#: The longest line a CSV of points may have, in bytes, and the most lines (blank included).
MAX_LINE_BYTES = 200
MAX_LINES = 10 * MAX_POINTS
#: The coordinate columns of a CSV.
COORDINATES = ("x1", "x2")


@dataclass(frozen=True)
class Dataset:
    """Points ``X`` (n, 2), labels (n,) in ``0..K-1``, the class names, and the index of the
    point whose label was changed (the "mislabelled" preset), else None."""

    X: FloatArray
    labels: NDArray[np.intp]
    names: tuple[str, ...]
    flipped: int | None = None

    @property
    def K(self) -> int:
        """The number of classes."""
        return len(self.names)

    @property
    def n(self) -> int:
        """The number of points."""
        return int(self.X.shape[0])


def _check_sizes(n: int, K: int) -> None:
    if not is_index(K) or not MIN_CLASSES <= K <= MAX_CLASSES:
        raise CEVizError(f"the classes must be {MIN_CLASSES} to {MAX_CLASSES}, got {K!r}")
    if not is_index(n) or not 2 * K <= n <= MAX_POINTS:
        raise CEVizError(
            f"the points must be a whole number from {2 * K} (two per class) to "
            f"{MAX_POINTS:,}, got {n!r}"
        )


def _balanced(n: int, K: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """Labels with every class ``n // K`` or ``n // K + 1`` times, in a random order."""
    return rng.permutation(np.arange(n, dtype=np.intp) % K)


def _blobs(labels: NDArray[np.intp], K: int, rng: np.random.Generator, spread: float) -> FloatArray:
    """Gaussian blobs, centres evenly on a circle of radius 2.5, standard deviation ``spread``."""
    angle = 2.0 * np.pi * np.arange(K) / K + np.pi / 4
    centres = 2.5 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres[labels] + spread * rng.standard_normal((len(labels), 2))


def _moons(labels: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
    """Interleaved half-moons: classes 0 and 1 the classic pair, 2 and 3 a pair to its right,
    4 a fifth moon beyond; noise 0.1."""
    t = rng.uniform(0.0, np.pi, size=len(labels))
    upper = labels % 2 == 0
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t)) + 3.0 * (labels // 2)
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return np.stack([x, y], axis=1) + 0.1 * rng.standard_normal((len(labels), 2))


def _spiral(labels: NDArray[np.intp], K: int, rng: np.random.Generator) -> FloatArray:
    """K interleaved spiral arms (CS231n's): radius from 0 to 1 along each arm."""
    r = rng.uniform(0.0, 1.0, size=len(labels))
    theta = 2.0 * np.pi * labels / K + 4.0 * r + 0.2 * rng.standard_normal(len(labels))
    return np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)


def make_dataset(preset: str = "blobs", n: int = 200, K: int = 3, seed: int = 0) -> Dataset:
    """The preset's ``n`` points in ``K`` classes, drawn from ``default_rng(seed)``.

    Every class has ``n // K`` or ``n // K + 1`` points. "overlapping" is blobs drawn
    closer and wider; "mislabelled" is blobs with one point's label changed to another
    class, its index in ``flipped``.

    >>> d = make_dataset("mislabelled", n=30, K=2, seed=1)
    >>> d.X.shape, d.K, np.bincount(d.labels).tolist(), d.flipped is not None
    ((30, 2), 2, [16, 14], True)
    >>> make_dataset("rings")
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: the data preset must be one of blobs, moons, spiral, \
overlapping, mislabelled, got 'rings'
    """
    if preset not in PRESETS:
        raise CEVizError(f"the data preset must be one of {', '.join(PRESETS)}, got {preset!r}")
    _check_sizes(n, K)
    rng = np.random.default_rng(seed)
    labels = _balanced(n, K, rng)
    if preset == "moons":
        X = _moons(labels, rng)
    elif preset == "spiral":
        X = _spiral(labels, K, rng)
    else:
        X = _blobs(labels, K, rng, 1.6 if preset == "overlapping" else 0.6)
    flipped = None
    if preset == "mislabelled":
        flipped = int(rng.integers(n))
        labels[flipped] = (labels[flipped] + rng.integers(1, K)) % K
    return Dataset(X, labels, tuple(str(k) for k in range(K)), flipped)


# --------------------------------------------------------------------------------------
# Reading a CSV of points: x1, x2, label
# --------------------------------------------------------------------------------------


def nearest_point(X: ArrayLike, x: float, y: float) -> int:
    """The index of the point of ``X`` (n, 2) nearest to (x, y): what a click on a chart,
    whose coordinates come rounded, meant.

    >>> nearest_point([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]], 0.9, 1.2)
    1
    """
    offsets = np.asarray(X, dtype=np.float64) - np.array([x, y])
    return int(np.argmin(np.einsum("ij,ij->i", offsets, offsets)))


def _lines(source: bytes | str | io.IOBase) -> Iterator[str]:
    """The source's text, line by line, decoded lazily: a stream is never read whole, no line
    past ``MAX_LINE_BYTES`` and no more than ``MAX_LINES`` lines (blank ones included)."""
    if isinstance(source, (bytes, str)):
        source = io.BytesIO(source.encode() if isinstance(source, str) else source)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    for number in range(1, MAX_LINES + 2):
        raw = source.readline(MAX_LINE_BYTES + 1)
        final = not raw
        if number > MAX_LINES and not final:
            raise CEVizError(
                f"the file has over {MAX_LINES:,} lines; the trainer takes at most "
                f"{MAX_POINTS:,} points"
            )
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise CEVizError(
                f"line {number} is over {MAX_LINE_BYTES} bytes long: a point is one line "
                "of x1, x2, label"
            )
        try:
            text = decoder.decode(raw, final=final)
        except UnicodeDecodeError as exc:
            raise CEVizError("the file is not text (UTF-8): is it a CSV?") from exc
        if final:
            return
        yield text


def _columns(header: list[str]) -> tuple[int, int, int, str]:
    """The positions of x1, x2 and the label column in the header, and the label's name."""
    names = [name.strip() for name in header]
    lower = [name.lower() for name in names]
    label = next((name for name in LABEL_NAMES if name in lower), None)
    for wanted in (*COORDINATES, label or "label"):
        if wanted not in lower:
            raise CEVizError(
                f"the column {quote(wanted)} is missing from the file: it needs the columns "
                "x1, x2 and label"
            )
    extra = [n for n, low in zip(names, lower, strict=True) if low not in {*COORDINATES, label}]
    if extra:
        raise CEVizError(f"the column {quote(extra[0])} is neither x1, x2 nor the label")
    return lower.index("x1"), lower.index("x2"), lower.index(label or "label"), label or ""


def _number(text: str, where: str, problems: list[str]) -> float:
    """The cell as a float; a described problem (and NaN) when it is not a finite number."""
    try:
        value = float(text)
    except ValueError:
        problems.append(f"{where}: {quote(text)} is not a number")
        return np.nan
    if not np.isfinite(value):
        problems.append(f"{where}: {quote(text)} is not a finite number (NaN or infinite)")
    return value


def _rows(source: bytes | str | io.IOBase) -> tuple[list[str], list[list[str]]]:
    """The header and at most ``MAX_POINTS`` non-blank rows; more is refused at once."""
    reader = csv.reader(_lines(source))
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise CEVizError("the file is empty")
        rows: list[list[str]] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) == MAX_POINTS:
                raise CEVizError(
                    f"the file has more than {MAX_POINTS:,} points; the trainer takes at "
                    f"most {MAX_POINTS:,}"
                )
            rows.append(row)
    except csv.Error as exc:
        raise CEVizError(f"the file can't be read as CSV: {exc}") from exc
    return header, rows


def _label_classes(texts: list[str]) -> tuple[NDArray[np.intp], tuple[str, ...]]:
    """Labels as classes 0..K-1: integers in numeric order, else names in sorted order."""
    try:
        values = [int(t) for t in texts]
    except ValueError:
        names = tuple(sorted(set(texts)))
    else:
        names = tuple(str(v) for v in sorted(set(values)))
        texts = [str(v) for v in values]
    if len(names) < MIN_CLASSES:
        raise CEVizError(
            f"every point has the label {quote(names[0])}: training needs at least "
            f"{MIN_CLASSES} classes"
        )
    if len(names) > MAX_CLASSES:
        raise CEVizError(
            f"the file has {len(names)} classes; the trainer takes at most {MAX_CLASSES}"
        )
    index = {name: k for k, name in enumerate(names)}
    return np.array([index[t] for t in texts], dtype=np.intp), names


def read_points(source: bytes | str | io.IOBase) -> Dataset:
    """A data set from CSV with the columns ``x1``, ``x2`` and ``label`` (any order).

    Labels may be integers (classes in numeric order) or names (in sorted order), 2 to
    ``MAX_CLASSES`` of them. A file of more than ``MAX_POINTS`` rows is refused when its
    first extra row is read; cells that are not finite numbers are named by row and column.

    >>> d = read_points(b"x1,x2,label\\n0,1,cat\\n2,3,dog\\n")
    >>> d.X.tolist(), d.labels.tolist(), d.names
    ([[0.0, 1.0], [2.0, 3.0]], [0, 1], ('cat', 'dog'))
    >>> read_points(b"x1,x2,label\\nnan,1,0\\n2,3,1\\n")
    Traceback (most recent call last):
    ...
    ce_viz.batch.BadCellsError: row 1, column 'x1': 'nan' is not a finite number (NaN or infinite)
    """
    header, rows = _rows(source)
    i1, i2, il, _ = _columns(header)
    if not rows:
        raise CEVizError("the file has a header but no points")
    problems: list[str] = []
    X = np.empty((len(rows), 2))
    texts = []
    for r, row in enumerate(rows, start=1):
        if len(row) != len(header):
            problems.append(f"row {r} has {len(row)} cells; the header has {len(header)}")
            texts.append("")
            continue
        X[r - 1, 0] = _number(row[i1], f"row {r}, column 'x1'", problems)
        X[r - 1, 1] = _number(row[i2], f"row {r}, column 'x2'", problems)
        texts.append(row[il].strip())
        if not texts[-1]:
            problems.append(f"row {r}, column 'label': the label is empty")
    if problems:
        raise BadCellsError(problems[:MAX_PROBLEMS], more=max(len(problems) - MAX_PROBLEMS, 0))
    labels, names = _label_classes(texts)
    return Dataset(X, labels, names)
