"""Batch mode: a dataset of logits and labels from a CSV, evaluated with the core at once.

NumPy and pandas only. The CSV has one row per sample: K logit columns, and either a label
column (a class index or a class name) or K soft-target columns. Every problem is raised
as a ``CEVizError`` whose message names the row or the column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ce_viz.core import SUM_TOLERANCE, CEVizError, cross_entropy, grad_logits, softmax

__all__ = [
    "Batch",
    "BatchResult",
    "ColumnMap",
    "calibration",
    "detect_columns",
    "downsample",
    "evaluate_batch",
    "read_batch",
    "results_csv",
    "sample_dataset",
]

FloatArray = NDArray[np.float64]

#: Rows read at a time, so memory stays bounded whatever the file's size.
CHUNK_ROWS = 50_000
#: Columns that name the label, in the order they are looked for.
LABEL_NAMES = ("label", "target", "class", "y", "true", "true_class")
_LOGIT = re.compile(r"^(?:logit[_\s]?|o_|score_)(.+)$", re.IGNORECASE)
_SOFT = re.compile(r"^(?:y|target|prob|p)[_\s](.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class ColumnMap:
    """Which CSV columns hold the logits, and the label or the soft targets."""

    logits: tuple[str, ...]
    label: str | None = None
    soft: tuple[str, ...] | None = None

    @property
    def class_names(self) -> tuple[str, ...]:
        """Class names from the logit columns: ``logit_cat`` gives ``cat``."""
        names = []
        for column in self.logits:
            match = _LOGIT.match(column)
            names.append(match.group(1) if match else column)
        return tuple(names)


@dataclass(frozen=True)
class Batch:
    """A dataset read from CSV: logits (n, K), targets (n, K), class names, labels."""

    logits: FloatArray
    y: FloatArray
    names: tuple[str, ...]

    @property
    def n(self) -> int:
        """The number of samples."""
        return int(self.logits.shape[0])


def detect_columns(columns: Sequence[str]) -> ColumnMap:
    """Guess the column map from the header.

    >>> detect_columns(["logit_0", "logit_1", "logit_2", "label"])
    ColumnMap(logits=('logit_0', 'logit_1', 'logit_2'), label='label', soft=None)
    >>> detect_columns(["logit_cat", "logit_dog", "y_cat", "y_dog"]).soft
    ('y_cat', 'y_dog')
    """
    cols = [str(c) for c in columns]
    logits = tuple(c for c in cols if _LOGIT.match(c) and not _SOFT.match(c))
    soft_all = [c for c in cols if _SOFT.match(c) and c not in logits]
    label = next((c for name in LABEL_NAMES for c in cols if c.strip().lower() == name), None)
    if not logits:
        # No logit_ prefix: every numeric-looking column but the label and soft targets.
        logits = tuple(c for c in cols if c != label and c not in soft_all)
    soft = tuple(soft_all) if len(soft_all) == len(logits) and soft_all else None
    if soft is not None:
        label = None
    return ColumnMap(logits=logits, label=label, soft=soft)


def _check_header(columns: Sequence[str], mapping: ColumnMap) -> None:
    cols = [str(c) for c in columns]
    duplicates = sorted({c for c in cols if cols.count(c) > 1})
    if duplicates:
        raise CEVizError(f"the header repeats the column {duplicates[0]!r}")
    if len(cols) < 2:
        raise CEVizError(
            f"the file has {len(cols)} column; it needs at least 2 logit columns and a label"
        )
    for column in (
        *mapping.logits,
        *(mapping.soft or ()),
        *([mapping.label] if mapping.label else []),
    ):
        if column not in cols:
            raise CEVizError(f"the column {column!r} is missing from the file")
    if len(mapping.logits) < 2:
        raise CEVizError(f"need at least 2 logit columns, found {len(mapping.logits)}")
    if (mapping.label is None) == (mapping.soft is None):
        raise CEVizError("choose either a label column or K soft-target columns")
    if mapping.soft is not None and len(mapping.soft) != len(mapping.logits):
        raise CEVizError(
            f"{len(mapping.soft)} soft-target columns for {len(mapping.logits)} logit columns"
        )
    used = {*mapping.logits, *(mapping.soft or ()), mapping.label}
    extra = [c for c in cols if c not in used]
    if extra:
        raise CEVizError(f"the column {extra[0]!r} is neither a logit, a label nor a target")


def _numbers(
    frame: pd.DataFrame,
    columns: Sequence[str],
    first_row: int,
    raw_cell: Callable[[int, str], str] | None = None,
) -> FloatArray:
    """The columns as float64; a non-number, NaN or inf is named by row and column.

    ``raw_cell(row, column)`` gives a cell's text as written, for the message, where pandas
    has already read the column as numbers (``1e400`` would otherwise show as ``inf``).
    """
    sub = frame[list(columns)]
    try:
        values = sub.to_numpy(dtype=np.float64)  # the fast path: every cell a number
    except (TypeError, ValueError):
        values = sub.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        cell = frame[columns[c]].iloc[r]
        if not isinstance(cell, str) and raw_cell is not None:
            cell = raw_cell(first_row + int(r), columns[c])
        text = str(cell).strip()
        if not text:
            what = "is empty"
        elif np.isnan(values[r, c]) and text.lower() not in {"nan", "na", "null"}:
            what = "is not a number"
        else:
            what = "is not finite"
        raise CEVizError(f"row {first_row + r}, column {columns[c]!r}: {cell!r} {what}")
    return values


def _labels(
    frame: pd.DataFrame, column: str, names: Sequence[str], first_row: int
) -> NDArray[np.intp]:
    raw = frame[column].astype(str).str.strip()
    index = {name: i for i, name in enumerate(names)}
    # Classes named by numbers (logit_1, logit_2, ...): a label is a name, never an index,
    # so "1" can't mean two different classes.
    by_name_only = all(re.fullmatch(r"-?\d+", name) for name in names) and list(names) != [
        str(i) for i in range(len(names))
    ]
    as_int = pd.to_numeric(raw, errors="coerce")
    out = np.empty(len(raw), dtype=np.intp)
    for r, (text, number) in enumerate(zip(raw, as_int, strict=True)):
        if text in index:
            out[r] = index[text]
        elif (
            not by_name_only
            and np.isfinite(number)
            and float(number).is_integer()
            and 0 <= number < len(names)
        ):
            out[r] = int(number)
        else:
            raise CEVizError(
                f"row {first_row + r}, column {column!r}: {text!r} is not a class; use 0 to "
                f"{len(names) - 1} or one of {', '.join(names[:5])}"
                + ("…" if len(names) > 5 else "")
            )
    return out


def read_batch(
    source: str | bytes | io.IOBase,
    mapping: ColumnMap | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[Batch, ColumnMap]:
    """Read and check a batch CSV, ``chunk_rows`` rows at a time.

    Rows are numbered from 1, the first data row after the header.

    >>> text = "logit_0,logit_1,label\\n2,1,0\\n0,3,1\\n"
    >>> batch, mapping = read_batch(text.encode())
    >>> batch.n, batch.y.tolist()
    (2, [[1.0, 0.0], [0.0, 1.0]])
    """
    data = (
        io.BytesIO(source.encode() if isinstance(source, str) else source)
        if isinstance(source, (str, bytes))
        else source
    )
    origin = data.tell()
    _check_raw_header(data)
    try:
        # Numbers are parsed by pandas' C reader (fast); a column with anything else in it
        # stays text, and the checks below name the cell.
        reader = pd.read_csv(data, chunksize=chunk_rows, keep_default_na=False)
        first = next(reader)
    except StopIteration as exc:  # pragma: no cover - pandas raises EmptyDataError instead
        raise CEVizError("the file has a header but no rows") from exc
    except pd.errors.EmptyDataError as exc:
        raise CEVizError("the file is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise CEVizError(
            f"the file is not a CSV that can be read: {str(exc).splitlines()[0]}"
        ) from exc
    first.columns = [str(c).strip() for c in first.columns]
    header = list(first.columns)
    mapping = mapping or detect_columns(header)
    _check_header(header, mapping)
    names = mapping.class_names
    K = len(mapping.logits)

    def raw_cell(row_number: int, column: str) -> str:
        """One cell's text as written, re-read only for an error message."""
        data.seek(origin)
        one = pd.read_csv(
            data, dtype=str, keep_default_na=False, skiprows=range(1, row_number), nrows=1
        )
        one.columns = [str(c).strip() for c in one.columns]
        return str(one[column].iloc[0])

    all_logits, all_y = [], []
    row = 1
    chunks: Iterable[pd.DataFrame] = [first]
    try:
        for chunk in _chain(chunks, reader):
            if chunk.empty:
                continue
            chunk.columns = header
            logits = _numbers(chunk, mapping.logits, row, raw_cell)
            if mapping.soft is not None:
                y = _numbers(chunk, mapping.soft, row, raw_cell)
                negative = np.argwhere(y < 0)
                if negative.size:
                    r, c = negative[0]
                    raise CEVizError(
                        f"row {row + r}, column {mapping.soft[c]!r}: a target can't be negative"
                    )
                sums = y.sum(axis=1)
                off = np.flatnonzero(np.abs(sums - 1.0) > SUM_TOLERANCE)
                if off.size:
                    raise CEVizError(
                        f"row {row + off[0]}: the soft targets sum to {sums[off[0]]:.12g}, not 1"
                    )
            else:
                labels = _labels(chunk, mapping.label, names, row)
                y = np.zeros((len(chunk), K))
                y[np.arange(len(chunk)), labels] = 1.0
            all_logits.append(logits)
            all_y.append(y)
            row += len(chunk)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CEVizError(
            f"after row {row - 1}, the file is not a CSV that can be read: "
            f"{str(exc).splitlines()[0]}"
        ) from exc
    if row == 1:
        raise CEVizError("the file has a header but no rows")
    return Batch(np.vstack(all_logits), np.vstack(all_y), names), mapping


def _check_raw_header(data: io.IOBase) -> None:
    """Duplicate or empty column names, read from the file's first line (pandas would
    rename them silently)."""
    start = data.tell()
    text = ""
    for _ in range(1000):  # skip blank lines before the header, as pandas does
        line = data.readline()
        if not line:
            break
        try:
            decoded = line.decode("utf-8-sig") if isinstance(line, bytes) else str(line)
        except UnicodeDecodeError as exc:
            data.seek(start)
            raise CEVizError("the file is not text (UTF-8): is it a CSV?") from exc
        lines = decoded.splitlines()  # \r, \n and \r\n alike
        text = lines[0] if lines else ""
        if text.strip():
            break
    data.seek(start)
    if not text.strip():
        raise CEVizError("the file is empty")
    try:
        names = [name.strip() for name in next(csv.reader([text]))]
    except csv.Error as exc:
        raise CEVizError(f"the header can't be read as CSV: {exc}") from exc
    if any(not name for name in names):
        raise CEVizError("the header has an empty column name")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise CEVizError(f"the header repeats the column {name!r}")
        seen.add(name)


def _chain(first: Iterable[pd.DataFrame], rest: Iterable[pd.DataFrame]) -> Iterable[pd.DataFrame]:
    yield from first
    yield from rest


@dataclass(frozen=True)
class BatchResult:
    """Per-row loss, p of the true class, prediction, confidence and the gradient matrix."""

    loss: FloatArray
    p_true: FloatArray
    predicted: NDArray[np.intp]
    true_class: NDArray[np.intp]
    confidence: FloatArray
    grad: FloatArray

    @property
    def mean_loss(self) -> float:
        """The mean loss over the rows."""
        return float(self.loss.mean())

    @property
    def accuracy(self) -> float:
        """The fraction of rows whose arg-max p is the heaviest target class."""
        return float((self.predicted == self.true_class).mean())


def evaluate_batch(batch: Batch, T: float = 1.0) -> BatchResult:
    """Evaluate every row with the core, vectorised: the same numbers as one row at a time.

    >>> b = Batch(np.array([[2.0, 3.0, 4.0]]), np.array([[0.0, 1.0, 0.0]]), ("a", "b", "c"))
    >>> round(evaluate_batch(b).mean_loss, 4)
    1.4076
    """
    p = softmax(batch.logits, T)
    true_class = np.argmax(batch.y, axis=1)
    rows = np.arange(batch.n)
    return BatchResult(
        loss=np.asarray(cross_entropy(batch.logits, batch.y, T)),
        p_true=p[rows, true_class],
        predicted=np.argmax(p, axis=1),
        true_class=true_class,
        confidence=p.max(axis=1),
        grad=grad_logits(batch.logits, batch.y, T),
    )


def calibration(
    confidence: FloatArray, correct: NDArray[np.bool_], bins: int = 10
) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
    """Accuracy against confidence in equal-width bins: centres, accuracy, counts.

    Empty bins have accuracy NaN.

    >>> centres, acc, counts = calibration(np.array([0.95, 0.9, 0.3]), np.array([1, 0, 0]), 2)
    >>> centres.tolist(), acc.tolist(), counts.tolist()
    ([0.25, 0.75], [0.0, 0.5], [1, 2])
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    hits = np.bincount(which, weights=np.asarray(correct, dtype=float), minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)
    return (edges[:-1] + edges[1:]) / 2, accuracy, counts


def downsample(n: int, max_points: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """At most ``max_points`` sorted row indices out of ``n``, drawn without replacement.

    >>> downsample(5, 10, np.random.default_rng(0)).tolist()
    [0, 1, 2, 3, 4]
    """
    if n <= max_points:
        return np.arange(n)
    return np.sort(rng.choice(n, size=max_points, replace=False))


def sample_dataset(K: int, n: int, rng: np.random.Generator, wrong: float = 0.1) -> pd.DataFrame:
    """A synthetic dataset: mostly sensible logits, and a fraction ``wrong`` of rows that are
    confidently wrong (a large logit on a wrong class).

    >>> frame = sample_dataset(3, 5, np.random.default_rng(0))
    >>> list(frame.columns)
    ['logit_0', 'logit_1', 'logit_2', 'label']
    """
    labels = rng.integers(0, K, size=n)
    logits = rng.normal(0.0, 1.0, size=(n, K))
    logits[np.arange(n), labels] += rng.uniform(0.5, 4.0, size=n)
    bad = rng.random(n) < wrong
    wrong_class = (labels + rng.integers(1, K, size=n)) % K
    logits[np.flatnonzero(bad), wrong_class[bad]] += rng.uniform(6.0, 10.0, size=int(bad.sum()))
    frame = pd.DataFrame(np.round(logits, 4), columns=[f"logit_{i}" for i in range(K)])
    frame["label"] = labels
    return frame


def results_csv(batch: Batch, result: BatchResult) -> str:
    """Per-row results as CSV: loss, p of the true class, prediction and the gradient.

    >>> b = Batch(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), ("a", "b"))
    >>> print(results_csv(b, evaluate_batch(b)), end="")
    row,true_class,predicted,loss,p_true,grad_a,grad_b
    1,a,a,0.6931471805599453,0.5,-0.5,0.5
    """
    frame = pd.DataFrame(
        {
            "row": np.arange(1, batch.n + 1),
            "true_class": np.asarray(batch.names, dtype=object)[result.true_class],
            "predicted": np.asarray(batch.names, dtype=object)[result.predicted],
            "loss": result.loss,
            "p_true": result.p_true,
        }
    )
    for i, name in enumerate(batch.names):
        frame[f"grad_{name}"] = result.grad[:, i]
    return frame.to_csv(index=False, lineterminator="\n")
