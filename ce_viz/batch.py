"""Batch mode: a dataset of logits and labels from a CSV, evaluated with the core.

NumPy and pandas only. The CSV has one row per sample: K logit columns, and either a label
column (a class index or a class name) or K soft-target columns, paired with the logits by
class name. Every problem is raised as a ``CEVizError`` whose message names the row or the
column, quoting at most a few dozen characters of what the file says.

A file is read in chunks of at most ``CHUNK_CELLS`` cells, and :func:`summarise_batch` keeps
only what the page shows (counts, a sample of the losses, the worst rows), so its memory is
bounded by those limits and not by the file's length. Every step is linear in rows × columns.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ce_viz._checks import SUM_TOLERANCE, CEVizError
from ce_viz.core import forward, grad_logits
from ce_viz.fmt import csv_text, fmt, fmt_signed, quote, shorten

__all__ = [
    "MAX_CLASSES",
    "MAX_POINTS",
    "MAX_PROBLEMS",
    "BadCellsError",
    "Batch",
    "BatchResult",
    "BatchSummary",
    "ColumnMap",
    "alt_calibration",
    "alt_gradient_heatmap",
    "alt_loss_histogram",
    "calibration",
    "calibration_counts",
    "calibration_curve",
    "detect_columns",
    "downsample",
    "evaluate_batch",
    "heatmap_rows",
    "iter_batch",
    "preview",
    "read_batch",
    "read_header",
    "resolve_columns",
    "results_csv",
    "results_row_limit",
    "sample_csv",
    "sample_dataset",
    "stream_results_csv",
    "summarise_batch",
]

FloatArray = NDArray[np.float64]
Source = str | bytes | io.IOBase

#: The most classes a file may have (ImageNet's 1,000).
MAX_CLASSES = 1000
#: The most columns: K logits and K soft targets, or K logits and a label.
MAX_COLUMNS = 2 * MAX_CLASSES
#: The longest column name.
MAX_NAME_CHARS = 100
#: The longest header line, in bytes: every column at its longest name, quoted.
MAX_HEADER_BYTES = MAX_COLUMNS * (MAX_NAME_CHARS + 3)
#: Rows read at a time at the most; fewer when the rows are wide (see ``CHUNK_CELLS``).
CHUNK_ROWS = 100_000
#: Cells read at a time at the most, so a chunk's memory is bounded whatever its shape.
CHUNK_CELLS = 1_000_000
#: The most points a chart gets: the loss sample's size.
MAX_POINTS = 50_000
#: The calibration chart's equal-width confidence bins.
CALIBRATION_BINS = 10
#: The gradient heatmap's rows at the most (fewer when K is large: see ``heatmap_rows``).
HEATMAP_ROWS = 300
#: The results CSV's size at the most; a longer file's results hold its first rows.
RESULTS_MAX_BYTES = 64 * 2**20
#: Columns that name the label, in the order they are looked for.
LABEL_NAMES = ("label", "target", "class", "y", "true", "true_class")
_LOGIT = re.compile(r"^(?:logit[_\s]?|o_|score_)(.+)$", re.IGNORECASE)
_SOFT = re.compile(r"^(?:y|target|prob|p)[_\s](.+)$", re.IGNORECASE)
_BLANK = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
#: The longest text a float64 takes in a CSV (``-2.2250738585072014e-308``).
_FLOAT_CHARS = 24
#: A bad file's message names this many of its problems at the most, then how many more.
MAX_PROBLEMS = 20


def _class_name(column: str, pattern: re.Pattern[str]) -> str:
    match = pattern.match(column)
    return match.group(1) if match else column


@dataclass(frozen=True)
class ColumnMap:
    """Which CSV columns hold the logits, and the label or the soft targets."""

    logits: tuple[str, ...]
    label: str | None = None
    soft: tuple[str, ...] | None = None

    @property
    def class_names(self) -> tuple[str, ...]:
        """Class names from the logit columns: ``logit_cat`` gives ``cat``."""
        return tuple(_class_name(column, _LOGIT) for column in self.logits)

    @property
    def soft_names(self) -> tuple[str, ...]:
        """Class names from the soft-target columns: ``y_cat`` gives ``cat``."""
        return tuple(_class_name(column, _SOFT) for column in self.soft or ())


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
    """Guess the column map from the header; soft targets are paired with logits by name.

    >>> detect_columns(["logit_0", "logit_1", "logit_2", "label"])
    ColumnMap(logits=('logit_0', 'logit_1', 'logit_2'), label='label', soft=None)
    >>> detect_columns(["logit_cat", "logit_dog", "p_dog", "p_cat"]).soft
    ('p_cat', 'p_dog')
    """
    cols = [str(c).strip() for c in columns]
    soft_all = [c for c in cols if _SOFT.match(c)]
    soft_set = set(soft_all)
    logits = tuple(c for c in cols if _LOGIT.match(c) and c not in soft_set)
    by_lower: dict[str, str] = {}
    for c in cols:
        by_lower.setdefault(c.lower(), c)
    label = next((by_lower[name] for name in LABEL_NAMES if name in by_lower), None)
    if not logits:
        # No logit_ prefix: every column but the label and the soft targets.
        logits = tuple(c for c in cols if c != label and c not in soft_set)
    if not soft_all or len(soft_all) != len(logits):
        return ColumnMap(logits=logits, label=label)
    return _pair_soft(ColumnMap(logits=logits, soft=tuple(soft_all)))


def _pair_soft(mapping: ColumnMap) -> ColumnMap:
    """Put the soft-target columns in the logits' class order, where the names match."""
    by_name = dict(zip(mapping.soft_names, mapping.soft or (), strict=True))
    if set(by_name) != set(mapping.class_names):
        return mapping
    return replace(mapping, soft=tuple(by_name[name] for name in mapping.class_names))


def resolve_columns(header: Sequence[str], mapping: ColumnMap | None = None) -> ColumnMap:
    """The column map for ``header`` (detected when not given), checked against it.

    Soft targets are paired with the logits by class name, whatever their order in the file.

    >>> resolve_columns(["logit_a", "logit_b", "y_b", "y_a"]).soft
    ('y_a', 'y_b')
    >>> resolve_columns(["logit_a", "o_a", "label"])
    Traceback (most recent call last):
    ...
    ce_viz.core.CEVizError: the columns 'logit_a' and 'o_a' both name the class 'a'
    """
    cols = [str(c).strip() for c in header]
    mapping = detect_columns(cols) if mapping is None else mapping
    present = set(cols)
    if len(cols) < 2:
        raise CEVizError(
            f"the file has {len(cols)} column; it needs at least 2 logit columns and a label"
        )
    for column in (*mapping.logits, *(mapping.soft or ()), *filter(None, [mapping.label])):
        if column not in present:
            raise CEVizError(f"the column {quote(column)} is missing from the file")
    K = len(mapping.logits)
    if K < 2:
        raise CEVizError(f"need at least 2 logit columns, found {K}")
    if K > MAX_CLASSES:
        raise CEVizError(f"the file has {K:,} logit columns; ce-viz takes at most {MAX_CLASSES:,}")
    if (mapping.label is None) == (mapping.soft is None):
        raise CEVizError("choose either a label column or K soft-target columns")
    _check_distinct(mapping.logits, mapping.class_names)
    if mapping.soft is not None:
        if len(mapping.soft) != K:
            raise CEVizError(f"{len(mapping.soft)} soft-target columns for {K} logit columns")
        _check_distinct(mapping.soft, mapping.soft_names)
        mapping = _pair_soft(mapping)
        if mapping.soft_names != mapping.class_names:
            missing = sorted(set(mapping.class_names) - set(mapping.soft_names))
            extra = sorted(set(mapping.soft_names) - set(mapping.class_names))
            raise CEVizError(
                "the soft targets and the logits name different classes: "
                + "; ".join(
                    part
                    for part in (
                        f"no target for {', '.join(quote(n) for n in missing[:3])}"
                        if missing
                        else "",
                        f"no logit for {', '.join(quote(n) for n in extra[:3])}" if extra else "",
                    )
                    if part
                )
                + " (name the columns logit_NAME and y_NAME)"
            )
    used = {*mapping.logits, *(mapping.soft or ()), mapping.label}
    extra_columns = [c for c in cols if c not in used]
    if extra_columns:
        raise CEVizError(
            f"the column {quote(extra_columns[0])} is neither a logit, a label nor a target"
        )
    return mapping


def _check_distinct(columns: Sequence[str], names: Sequence[str]) -> None:
    """Two columns that name the same class are an error: the class would be counted twice."""
    counts = Counter(names)
    repeated = next((name for name in names if counts[name] > 1), None)
    if repeated is not None:
        first, second = [c for c, n in zip(columns, names, strict=True) if n == repeated][:2]
        raise CEVizError(
            f"the columns {quote(first)} and {quote(second)} both name the class {quote(repeated)}"
        )


def _binary(source: Source) -> io.IOBase:
    """The source as a seekable binary stream."""
    if isinstance(source, str):
        return io.BytesIO(source.encode())
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, io.TextIOBase):
        return io.BytesIO(source.read().encode())
    return source


def _seek_header(data: io.IOBase) -> None:
    """Move ``data`` to the start of the header: past a byte-order mark and blank lines."""
    start = data.tell()
    offset = start
    while True:
        block = data.read(1 << 16)
        if not block:
            data.seek(start)
            raise CEVizError("the file is empty")
        if offset == start and block.startswith(_BOM):
            block, offset = block[len(_BOM) :], offset + len(_BOM)
        stripped = block.lstrip(_BLANK)
        if stripped:
            # The header's line starts after the last line end among the blanks skipped.
            skipped = block[: len(block) - len(stripped)]
            line_start = max(skipped.rfind(b"\n"), skipped.rfind(b"\r")) + 1
            data.seek(offset + line_start)
            return
        offset += len(block)


def _header_at(data: io.IOBase) -> tuple[str, ...]:
    """Read and check the header line at the stream's position, leaving the position as is."""
    start = data.tell()
    line = data.readline(MAX_HEADER_BYTES + 1)
    data.seek(start)
    first = re.split(rb"\r\n|\r|\n", line, maxsplit=1)[0]
    if len(first) > MAX_HEADER_BYTES:
        raise CEVizError(
            f"the header is over {MAX_HEADER_BYTES:,} bytes long; ce-viz takes at most "
            f"{MAX_COLUMNS:,} columns of at most {MAX_NAME_CHARS} characters"
        )
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CEVizError("the file is not text (UTF-8): is it a CSV?") from exc
    try:
        names = [name.strip() for name in next(csv.reader([text]))]
    except csv.Error as exc:
        raise CEVizError(f"the header can't be read as CSV: {exc}") from exc
    if len(names) > MAX_COLUMNS + 1:
        raise CEVizError(
            f"the file has {len(names):,} columns; ce-viz takes at most {MAX_CLASSES:,} classes "
            f"({MAX_COLUMNS + 1:,} columns)"
        )
    for i, name in enumerate(names, start=1):
        if not name:
            raise CEVizError("the header has an empty column name")
        if len(name) > MAX_NAME_CHARS:
            raise CEVizError(
                f"column {i}'s name, {quote(name)}, is {len(name):,} characters long; "
                f"at most {MAX_NAME_CHARS}"
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise CEVizError(f"the header repeats the column {quote(name)}")
        seen.add(name)
    return tuple(names)


def _open(source: Source) -> tuple[io.IOBase, tuple[str, ...]]:
    """The source as a binary stream at its header line, and the header's checked names."""
    data = _binary(source)
    _seek_header(data)
    return data, _header_at(data)


def read_header(source: Source) -> tuple[str, ...]:
    """The file's column names, stripped of spaces, checked for shape.

    Blank lines before the header are skipped, however many. A header that is not UTF-8, has
    an empty or repeated name, more than ``MAX_COLUMNS + 1`` columns or a name longer than
    ``MAX_NAME_CHARS`` is a ``CEVizError``.

    >>> read_header(b"logit_0, logit_1, label\\n1,2,0\\n")
    ('logit_0', 'logit_1', 'label')
    """
    data = _binary(source)
    start = data.tell()
    try:
        return _open(data)[1]
    finally:
        data.seek(start)


class BadCellsError(CEVizError):
    """A file whose cells can't be used: its first ``MAX_PROBLEMS`` problems in row order,
    each naming its row and column, and how many more there were.

    >>> print(BadCellsError(["row 1, column 'a': 'x' is not a number"]))
    row 1, column 'a': 'x' is not a number
    >>> print(BadCellsError(["row 1: p", "row 2: q"], more=3))
    5 problems: row 1: p; row 2: q; and 3 more
    """

    def __init__(self, problems: Sequence[str], more: int = 0) -> None:
        self.problems = tuple(problems)
        self.more = more
        if len(self.problems) == 1 and not more:
            text = self.problems[0]
        else:
            total = len(self.problems) + more
            text = f"{total:,} problems: " + "; ".join(self.problems)
            text += f"; and {more:,} more" if more else ""
        super().__init__(text)


@dataclass(frozen=True)
class _Found:
    """The bad cells one check found in one chunk: their rows (0-based in the chunk) and
    header positions, which cells' text must be read again from the file for the message
    (pandas read them as numbers), and how to say what is wrong with the i-th."""

    rows: NDArray[np.intp]
    columns: NDArray[np.intp]
    reread: NDArray[np.bool_]
    describe: Callable[[int, str | None], str]


def _nothing_found() -> _Found:
    empty = np.zeros(0, dtype=np.intp)
    return _Found(empty, empty, np.zeros(0, dtype=bool), lambda i, raw: "")


class _Problems:
    """A file's problems as its chunks are checked: the first ``limit`` described, in row
    then column order, and a count of the rest. Only the described cells are ever quoted,
    so a file of a million bad cells costs a count, not a million messages."""

    def __init__(self, raw_cells: Callable[[list[tuple[int, int]]], list[str]], limit: int):
        self.raw_cells = raw_cells
        self.limit = limit
        self.shown: list[str] = []
        self.more = 0

    def __bool__(self) -> bool:
        return bool(self.shown)

    def add(self, first_row: int, found: Sequence[_Found]) -> None:
        """Take one chunk's findings (``first_row``: the chunk's first row number)."""
        rows = np.concatenate([f.rows for f in found])
        if not rows.size:
            return
        columns = np.concatenate([f.columns for f in found])
        which = np.concatenate([np.full(len(f.rows), n) for n, f in enumerate(found)])
        index = np.concatenate([np.arange(len(f.rows)) for f in found])
        order = np.lexsort((columns, rows))[: self.limit - len(self.shown)]
        self.more += len(rows) - len(order)
        chosen = [(found[which[j]], int(index[j])) for j in order]
        again = [(first_row + int(f.rows[i]), int(f.columns[i])) for f, i in chosen if f.reread[i]]
        texts = iter(self.raw_cells(again) if again else [])
        self.shown += [f.describe(i, next(texts) if f.reread[i] else None) for f, i in chosen]

    def error(self) -> BadCellsError:
        return BadCellsError(self.shown, self.more)


def _numbers(
    frame: pd.DataFrame, columns: Sequence[str], first_row: int
) -> tuple[FloatArray, _Found]:
    """The columns as float64, and every non-number, NaN or inf among them (the message
    quotes a cell pandas read as a number, ``1e400`` say, as the file writes it)."""
    if all(pd.api.types.is_numeric_dtype(t) for t in set(frame.dtypes)):
        # The fast path for a file of numbers: one array of the whole frame, then the
        # columns wanted, without a DataFrame of the selection (costly at 1,000 columns).
        where = frame.columns.get_indexer(list(columns))
        whole = frame.to_numpy(np.float64)
        if np.array_equal(where, np.arange(where[0], where[0] + len(where))):
            values = whole[:, where[0] : where[0] + len(where)]  # side by side: a view
        else:
            values = whole[:, where]
    else:
        sub = frame[list(columns)]
        try:
            values = sub.to_numpy(dtype=np.float64)  # every wanted cell a number
        except (TypeError, ValueError):
            values = sub.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values)
    if not bad.any():
        return values, _nothing_found()
    r, c = np.nonzero(bad)
    numeric = np.array([pd.api.types.is_numeric_dtype(frame[name].dtype) for name in columns])

    def describe(i: int, raw: str | None) -> str:
        cell = raw if raw is not None else frame[columns[c[i]]].iloc[r[i]]
        text = str(cell).strip()
        if not text:
            what = "is empty"
        elif np.isnan(values[r[i], c[i]]) and text.lower() not in {"nan", "na", "null"}:
            what = "is not a number"
        else:
            what = "is not finite"
        return f"row {first_row + r[i]}, column {quote(columns[c[i]])}: {quote(cell)} {what}"

    return values, _Found(r, frame.columns.get_indexer(list(columns))[c], numeric[c], describe)


def _label_lookup(names: Sequence[str]) -> tuple[dict[object, int], bool]:
    """Label text (and, for numeric names, the number) to class index; and whether a label
    may also be a 0-based index."""
    lookup: dict[object, int] = {}
    for i, name in enumerate(names):
        lookup[name] = i
        if re.fullmatch(r"-?\d+", name):
            lookup.setdefault(int(name), i)
    # Classes named by numbers (logit_1, logit_2, ...): a label is a name, never an index,
    # so "1" can't mean two different classes.
    by_name_only = all(re.fullmatch(r"-?\d+", name) for name in names) and list(names) != [
        str(i) for i in range(len(names))
    ]
    return lookup, not by_name_only


#: Distinct labels whose class a reader remembers from one chunk to the next.
KNOWN_LABELS = 10_000


class _LabelReader:
    """A file's label column as class indices, chunk by chunk.

    The names' lookup is built once per file. In each chunk every distinct label is mapped
    once (``pd.factorize``) and every row takes its label's class: a column of millions of
    rows has only a few distinct labels. The classes of labels already seen (up to
    ``KNOWN_LABELS``) are remembered for the next chunk.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = names
        self.lookup, self.index_ok = _label_lookup(names)
        self.known: dict[object, int] = {}

    def __call__(
        self, frame: pd.DataFrame, column: str, first_row: int
    ) -> tuple[NDArray[np.intp], _Found]:
        """The classes of ``frame[column]`` (0 where the label is no class), and the rows
        whose label is no class."""
        raw = frame[column]
        row_codes, uniques = pd.factorize(raw, use_na_sentinel=False)
        distinct = list(uniques)
        classes = np.array([self.known.get(v, np.nan) for v in distinct], dtype=np.float64)
        new = np.flatnonzero(np.isnan(classes))
        if new.size:
            classes[new] = self._classes(pd.Series(uniques[new], dtype=raw.dtype))
            for i in new[: max(0, KNOWN_LABELS - len(self.known))]:
                if not np.isnan(classes[i]):
                    self.known[distinct[i]] = int(classes[i])
        bad = np.flatnonzero(np.isnan(classes))
        if not bad.size:
            return classes.astype(np.intp)[row_codes], _nothing_found()
        rows = np.flatnonzero(np.isin(row_codes, bad))
        names, K = self.names, len(self.names)
        listed = ", ".join(shorten(n, 20) for n in names[:5]) + ("…" if K > 5 else "")
        # Classes named by numbers take labels by name only: no index range to offer.
        use = f"use 0 to {K - 1} or one of {listed}" if self.index_ok else f"use {listed}"

        def describe(i: int, raw: str | None) -> str:
            shown = str(frame[column].iloc[rows[i]]).strip()
            where = f"row {first_row + rows[i]}, column {quote(column)}"
            return f"{where}: {quote(shown)} is not a class; {use}"

        at = np.full(len(rows), frame.columns.get_loc(column), dtype=np.intp)
        found = _Found(rows, at, np.zeros(len(rows), dtype=bool), describe)
        return np.where(np.isnan(classes), 0, classes).astype(np.intp)[row_codes], found

    def _classes(self, labels: pd.Series) -> FloatArray:
        """Each label's class index, vectorised; NaN for a label that is no class."""
        if pd.api.types.is_integer_dtype(labels.dtype):
            numbers = labels.to_numpy(np.int64)
            codes = labels.map(self.lookup).to_numpy(np.float64)
        else:
            text = labels.astype(str).str.strip()
            codes = text.map(self.lookup).to_numpy(np.float64)
            numbers_f = pd.to_numeric(text, errors="coerce").to_numpy(np.float64)
            whole = (
                np.isfinite(numbers_f) & (np.mod(numbers_f, 1.0) == 0) & (np.abs(numbers_f) < 2**53)
            )
            numbers = np.where(whole, numbers_f, -1).astype(np.int64)
        if self.index_ok:
            as_index = (numbers >= 0) & (numbers < len(self.names))
            codes = np.where(np.isnan(codes) & as_index, numbers, codes)
        return codes


@dataclass(frozen=True)
class _Chunk:
    """Rows ``first_row`` to ``first_row + len - 1`` of a file (counting from 1), checked."""

    first_row: int
    logits: FloatArray
    y: FloatArray


def _chunk_rows(columns: int, chunk_rows: int | None) -> int:
    return chunk_rows or max(1, min(CHUNK_ROWS, CHUNK_CELLS // max(columns, 1)))


def _read_error(exc: Exception, after: int) -> CEVizError:
    where = f"after row {after}, the file" if after else "the file"
    return CEVizError(
        f"{where} is not a CSV that can be read: {shorten(str(exc).splitlines()[0], 200)}"
    )


def iter_batch(
    source: Source,
    mapping: ColumnMap | None = None,
    chunk_rows: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> tuple[ColumnMap, Iterator[_Chunk]]:
    """The file's column map, and its rows as checked chunks of logits and targets.

    ``chunk_rows`` defaults to as many rows as fit in ``CHUNK_CELLS`` cells (at most
    ``CHUNK_ROWS``). ``progress(fraction)`` is called after each chunk with the fraction of
    the file read so far, which lets a caller show it, or stop the work by raising.
    """
    data, header = _open(source)
    mapping = resolve_columns(header, mapping)
    return mapping, _chunks(data, header, mapping, _chunk_rows(len(header), chunk_rows), progress)


def _chunks(
    data: io.IOBase,
    header: tuple[str, ...],
    mapping: ColumnMap,
    chunk_rows: int,
    progress: Callable[[float], None] | None,
) -> Iterator[_Chunk]:
    origin = data.tell()
    size = data.seek(0, io.SEEK_END) - origin
    data.seek(origin)
    K = len(mapping.logits)
    problems = _Problems(partial(_raw_cells, data, origin), MAX_PROBLEMS)
    row = 1
    labels_of = _LabelReader(mapping.class_names)
    try:
        # Numbers are parsed by pandas' C reader (fast); a column with anything else in it
        # stays text, and the checks below name the cell.
        reader = pd.read_csv(data, chunksize=chunk_rows, keep_default_na=False)
        for chunk in reader:
            if chunk.empty:
                continue
            chunk.columns = header
            logits, found = _numbers(chunk, mapping.logits, row)
            if mapping.soft is not None:
                y, more = _soft_targets(chunk, mapping.soft, row)
                problems.add(row, [found, *more])
            else:
                labels, more_found = labels_of(chunk, mapping.label or "", row)
                problems.add(row, [found, more_found])
                y = _one_hot(labels, K, like=logits)
            if not problems:  # after the first problem, the rest are only checked
                yield _Chunk(row, logits, y)
            row += len(chunk)
            if progress is not None:
                progress(min((data.tell() - origin) / max(size, 1), 1.0))
    except CEVizError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise CEVizError("the file has a header but no rows") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if not problems:
            raise _read_error(exc, row - 1) from exc
        # Reading stops here: the problems found so far, then why it stopped.
        stopped = str(_read_error(exc, row - 1))
        raise BadCellsError([*problems.shown, stopped], problems.more) from exc
    if problems:
        raise problems.error()
    if row == 1:
        raise CEVizError("the file has a header but no rows")


def _raw_cells(data: io.IOBase, origin: int, cells: list[tuple[int, int]]) -> list[str]:
    """Cells' text as the file writes it, by (row number, header position), re-read only
    for a message; the stream is left where it was, for the reading under way."""
    position = data.tell()
    first, last = min(r for r, _ in cells), max(r for r, _ in cells)
    columns = sorted({c for _, c in cells})
    data.seek(origin)
    try:
        rows = pd.read_csv(
            data,
            dtype=str,
            keep_default_na=False,
            skiprows=range(1, first),
            nrows=last - first + 1,
            usecols=columns,
        )
    finally:
        data.seek(position)
    return [str(rows.iloc[r - first, columns.index(c)]) for r, c in cells]


def _one_hot(labels: NDArray[np.intp], K: int, like: FloatArray) -> FloatArray:
    """One-hot targets for ``labels``, in the memory order of ``like`` (the chunk's logits),
    so that elementwise work on both runs in step."""
    if like.flags.f_contiguous and not like.flags.c_contiguous:
        return (np.arange(K)[:, None] == labels).astype(np.float64).T
    return (labels[:, None] == np.arange(K)).astype(np.float64)


def _soft_targets(
    chunk: pd.DataFrame, columns: Sequence[str], first_row: int
) -> tuple[FloatArray, list[_Found]]:
    """The soft targets, and their problems: cells that are no finite number, negative
    targets, and rows (with neither) that do not sum to 1."""
    y, found = _numbers(chunk, columns, first_row)
    where = chunk.columns.get_indexer(list(columns))
    with np.errstate(invalid="ignore"):
        negative = y < 0
    r, c = np.nonzero(negative)
    negatives = _Found(
        r,
        where[c],
        np.zeros(len(r), dtype=bool),
        lambda i, raw: (
            f"row {first_row + r[i]}, column {quote(columns[c[i]])}: a target can't be negative"
        ),
    )
    sums = y.sum(axis=1)
    checked = np.isfinite(sums) & ~negative.any(axis=1)
    off = np.flatnonzero(checked & (np.abs(sums - 1.0) > SUM_TOLERANCE))
    sums_off = _Found(
        off,
        np.full(len(off), len(chunk.columns), dtype=np.intp),  # after the row's cells
        np.zeros(len(off), dtype=bool),
        lambda i, raw: (
            f"row {first_row + off[i]}: the soft targets sum to {sums[off[i]]:.12g}, not 1"
        ),
    )
    return y, [found, negatives, sums_off]


def read_batch(
    source: Source, mapping: ColumnMap | None = None, chunk_rows: int | None = None
) -> tuple[Batch, ColumnMap]:
    """Read and check a whole batch CSV into memory, ``chunk_rows`` rows at a time.

    For a file of any size use :func:`summarise_batch`, which keeps only what the page
    shows. Rows are numbered from 1, the first data row after the header.

    >>> text = "logit_0,logit_1,label\\n2,1,0\\n0,3,1\\n"
    >>> batch, mapping = read_batch(text.encode())
    >>> batch.n, batch.y.tolist()
    (2, [[1.0, 0.0], [0.0, 1.0]])
    """
    mapping, chunks = iter_batch(source, mapping, chunk_rows)
    parts = list(chunks)
    logits = np.vstack([c.logits for c in parts])
    y = np.vstack([c.y for c in parts])
    return Batch(logits, y, mapping.class_names), mapping


def preview(source: Source, rows: int = 20, columns: int = 30, chars: int = 24) -> pd.DataFrame:
    """The file's first ``rows`` rows and ``columns`` columns as written, each cell and name
    cut to ``chars`` characters: a look at the file whose size the file cannot inflate.

    >>> preview(b"\\n\\nlogit_0,logit_1,label\\n2,1,0\\n", 5).shape
    (1, 3)
    >>> preview(b"a,b,c\\n" + b"9" * 100 + b",1,2\\n", columns=2, chars=5).iloc[0].tolist()
    ['9999…', '1']
    """
    data, header = _open(source)
    frame = pd.read_csv(
        data,
        nrows=rows,
        dtype=str,
        keep_default_na=False,
        header=0,
        usecols=range(min(columns, len(header))),
    )
    frame.columns = [shorten(name, chars) for name in header[: len(frame.columns)]]
    return frame.apply(lambda column: column.map(lambda cell: shorten(cell, chars)))


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
    f = forward(batch.logits, batch.y, T)
    return BatchResult(
        loss=f.loss,
        p_true=f.p_true,
        predicted=f.predicted,
        true_class=f.true_class,
        confidence=f.confidence,
        grad=grad_logits(batch.logits, batch.y, T),
    )


def calibration_counts(
    confidence: FloatArray, correct: NDArray[np.bool_], bins: int = 10
) -> tuple[NDArray[np.intp], FloatArray]:
    """Rows and correct rows in each of ``bins`` equal-width confidence bins: counts that
    add up over chunks of a file.

    >>> counts, hits = calibration_counts(np.array([0.95, 0.9, 0.3]), np.array([1, 0, 0]), 2)
    >>> counts.tolist(), hits.tolist()
    ([1, 2], [0.0, 1.0])
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    # The bin is the number of inner edges at or below the confidence (np.digitize's rule),
    # counted edge by edge: for a few edges, several times cheaper than a binary search.
    which = np.zeros(len(confidence), dtype=np.intp)
    for edge in edges[1:-1]:
        which += confidence >= edge
    counts = np.bincount(which, minlength=bins)
    hits = np.bincount(which, weights=np.asarray(correct, dtype=float), minlength=bins)
    return counts, hits


def calibration_curve(
    counts: NDArray[np.intp], hits: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
    """Bin centres, accuracy (NaN where a bin is empty) and counts, from the bin counts.

    >>> centres, acc, counts = calibration_curve(np.array([1, 2]), np.array([0.0, 1.0]))
    >>> centres.tolist(), acc.tolist(), counts.tolist()
    ([0.25, 0.75], [0.0, 0.5], [1, 2])
    """
    bins = len(counts)
    edges = np.linspace(0.0, 1.0, bins + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)
    return (edges[:-1] + edges[1:]) / 2, accuracy, counts


def calibration(
    confidence: FloatArray, correct: NDArray[np.bool_], bins: int = 10
) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
    """Accuracy against confidence in equal-width bins: centres, accuracy, counts.

    Empty bins have accuracy NaN.

    >>> centres, acc, counts = calibration(np.array([0.95, 0.9, 0.3]), np.array([1, 0, 0]), 2)
    >>> centres.tolist(), acc.tolist(), counts.tolist()
    ([0.25, 0.75], [0.0, 0.5], [1, 2])
    """
    return calibration_curve(*calibration_counts(confidence, correct, bins))


def heatmap_rows(K: int) -> int:
    """How many of the worst rows the gradient heatmap shows for ``K`` classes: at most
    ``HEATMAP_ROWS``, and at most ``MAX_POINTS`` cells in all.

    >>> heatmap_rows(3), heatmap_rows(1000)
    (300, 50)
    """
    return max(1, min(HEATMAP_ROWS, MAX_POINTS // max(K, 1)))


def downsample(n: int, max_points: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """At most ``max_points`` sorted row indices out of ``n``, drawn without replacement.

    >>> downsample(5, 10, np.random.default_rng(0)).tolist()
    [0, 1, 2, 3, 4]
    """
    if n <= max_points:
        return np.arange(n)
    return np.sort(rng.choice(n, size=max_points, replace=False))


@dataclass(frozen=True)
class BatchSummary:
    """What the page shows of a file of any length, kept while it is read in chunks.

    ``worst`` holds the ``worst_rows`` (0-based row numbers) with the highest loss, worst
    first, and ``worst_result`` their evaluation; ``loss_sample`` is a uniform sample of at
    most ``MAX_POINTS`` per-row losses, for the histogram.
    """

    names: tuple[str, ...]
    n: int
    loss_sum: float
    correct: int
    calibration_counts: NDArray[np.intp]
    calibration_hits: FloatArray
    loss_sample: FloatArray
    worst_rows: NDArray[np.intp]
    worst: Batch
    worst_result: BatchResult

    @property
    def mean_loss(self) -> float:
        """The mean loss over every row."""
        return self.loss_sum / self.n

    @property
    def accuracy(self) -> float:
        """The fraction of rows whose arg-max p is the heaviest target class."""
        return self.correct / self.n


class _Keep:
    """The ``size`` rows with the smallest keys seen so far, with their payload arrays.

    Rows arrive in chunks, in row order. Once ``size`` rows are kept, a row whose key is not
    below the largest kept key can never be kept, so it is dropped on arrival, before its
    payload is copied. The rest are compacted once twice ``size`` are held, so memory is
    about twice ``size`` rows of payload, whatever the number of rows seen. Every step is a
    partition, O(rows). With ``stable_ties`` a tie in the key goes to the earlier row and
    the result is sorted by key; without it the choice among ties is arbitrary but
    repeatable.
    """

    def __init__(self, size: int, stable_ties: bool) -> None:
        self.size = size
        self.stable_ties = stable_ties
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.held = 0
        self.bound: float | None = None  # the largest kept key, once size rows are kept

    def add(self, keys: np.ndarray, rows: np.ndarray, *payload: np.ndarray) -> None:
        """Offer a chunk's rows (later rows than any offered before)."""
        chosen: np.ndarray | None = None
        if self.bound is not None:
            # A later row with a key equal to the bound loses the tie to the kept one.
            chosen = np.flatnonzero(keys < self.bound)
        if len(keys) > self.size:  # at most size of them can be kept: those, first
            within = np.arange(len(keys)) if chosen is None else chosen
            if len(within) > self.size:
                chosen = within[self._smallest(keys[within], rows[within])]
        if chosen is not None:
            if not len(chosen):
                return
            keys, rows = keys[chosen], rows[chosen]
            payload = tuple(p[chosen] for p in payload)
        self.parts.append((keys, rows, *payload))
        self.held += len(keys)
        if self.held > 2 * self.size:
            self._compact()

    def _smallest(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Indices of the ``size`` smallest keys; among ties at the cut, the earliest rows."""
        cut = np.partition(keys, self.size - 1)[self.size - 1]
        below = np.flatnonzero(keys < cut)
        tied = np.flatnonzero(keys == cut)
        need = self.size - len(below)
        if self.stable_ties and len(tied) > need:
            tied = tied[np.argpartition(rows[tied], need - 1)[:need]]
        return np.concatenate([below, tied[:need]])

    def _compact(self) -> None:
        keys, rows, *payload = (np.concatenate(arrays) for arrays in zip(*self.parts, strict=True))
        best = self._smallest(keys, rows) if len(keys) > self.size else np.arange(len(keys))
        if self.stable_ties:
            best = best[np.lexsort((rows[best], keys[best]))]
        self.parts = [(keys[best], rows[best], *(p[best] for p in payload))]
        self.held = len(best)
        if self.held == self.size:
            self.bound = keys[best].max()

    def result(self) -> tuple[np.ndarray, ...]:
        """Rows, then each payload, of the kept rows: by key (stable ties) or by row."""
        if not self.parts:
            return ()
        self._compact()
        _, rows, *payload = self.parts[0]
        if self.stable_ties:
            return (rows, *payload)
        order = np.argsort(rows)
        return (rows[order], *(p[order] for p in payload))


def summarise_batch(
    source: Source,
    mapping: ColumnMap | None = None,
    T: float = 1.0,
    *,
    worst: int = 300,
    max_points: int = MAX_POINTS,
    chunk_rows: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> tuple[BatchSummary, ColumnMap]:
    """Read, check and evaluate a batch CSV chunk by chunk, keeping only what is shown.

    The numbers are those of :func:`evaluate_batch` on the whole file; the memory is one
    chunk plus ``worst`` rows and ``max_points`` losses. The loss sample is drawn with a
    fixed seed, so the same file gives the same histogram.

    >>> summary, _ = summarise_batch(b"logit_0,logit_1,label\\n0,0,0\\n5,0,1\\n", worst=1)
    >>> summary.n, summary.accuracy, summary.worst_rows.tolist()
    (2, 0.5, [1])
    """
    mapping, chunks = iter_batch(source, mapping, chunk_rows, progress)
    rng = np.random.default_rng(0)
    sample, worst_kept = _Keep(max_points, stable_ties=False), _Keep(worst, stable_ties=True)
    loss_sums: list[float] = []
    correct = 0
    counts, hits = np.zeros(CALIBRATION_BINS, dtype=np.intp), np.zeros(CALIBRATION_BINS)
    n = 0
    for chunk in chunks:
        f = forward(chunk.logits, chunk.y, T)
        loss = f.loss
        rows = np.arange(chunk.first_row - 1, chunk.first_row - 1 + len(loss))
        loss_sums.append(float(loss.sum()))
        hit = f.predicted == f.true_class
        correct += int(np.count_nonzero(hit))
        more_counts, more_hits = calibration_counts(f.confidence, hit, CALIBRATION_BINS)
        counts, hits = counts + more_counts, hits + more_hits
        sample.add(rng.random(len(rows)), rows, loss)
        worst_kept.add(-loss, rows, chunk.logits, chunk.y)
        n += len(rows)
    worst_rows, logits, y = worst_kept.result()
    kept = Batch(logits, y, mapping.class_names)
    _, sampled_loss = sample.result()
    summary = BatchSummary(
        names=mapping.class_names,
        n=n,
        loss_sum=math.fsum(loss_sums),
        correct=correct,
        calibration_counts=counts,
        calibration_hits=hits,
        loss_sample=sampled_loss,
        worst_rows=worst_rows,
        worst=kept,
        worst_result=evaluate_batch(kept, T),
    )
    return summary, mapping


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


def _results_frame(first_row: int, batch: Batch, result: BatchResult) -> pd.DataFrame:
    """Per-row results as a frame; class names are neutralised for spreadsheets."""
    names = np.asarray([csv_text(name) for name in batch.names], dtype=object)
    head = pd.DataFrame(
        {
            "row": np.arange(first_row, first_row + batch.n),
            "true_class": names[result.true_class],
            "predicted": names[result.predicted],
            "loss": result.loss,
            "p_true": result.p_true,
        }
    )
    grad = pd.DataFrame(result.grad, columns=[csv_text(f"grad_{name}") for name in batch.names])
    return pd.concat([head, grad], axis=1)


def results_csv(batch: Batch, result: BatchResult) -> str:
    """Per-row results as CSV: loss, p of the true class, prediction and the gradient.

    Floats are written in their shortest exact form; a class name that a spreadsheet would
    run as a formula is quoted with a leading ``'``.

    >>> b = Batch(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), ("a", "b"))
    >>> print(results_csv(b, evaluate_batch(b)), end="")
    row,true_class,predicted,loss,p_true,grad_a,grad_b
    1,a,a,0.6931471805599453,0.5,-0.5,0.5
    """
    return _results_frame(1, batch, result).to_csv(index=False, lineterminator="\n")


def results_row_limit(names: Sequence[str], max_bytes: int = RESULTS_MAX_BYTES) -> int:
    """How many rows' results surely fit in ``max_bytes`` of CSV, for ``names``' classes.

    A row is at most its number, two quoted names and ``K + 2`` floats of 24 characters.

    >>> results_row_limit(["a", "b"], 1000)
    8
    """
    longest = max(len(csv_text(name)) for name in names)
    row_bytes = 12 + 2 * (2 * longest + 2) + (len(names) + 2) * _FLOAT_CHARS + len(names) + 5
    return max_bytes // row_bytes


def stream_results_csv(
    source: Source, mapping: ColumnMap, T: float = 1.0, max_rows: int | None = None
) -> bytes:
    """The results CSV of a file of any length, read chunk by chunk: its first ``max_rows``
    rows, or all of them.

    >>> data = b"logit_a,logit_b,label\\n0,0,a\\n"
    >>> mapping = resolve_columns(read_header(data))
    >>> print(stream_results_csv(data, mapping).decode(), end="")
    row,true_class,predicted,loss,p_true,grad_a,grad_b
    1,a,a,0.6931471805599453,0.5,-0.5,0.5
    """
    mapping, chunks = iter_batch(source, mapping)
    out = io.BytesIO()
    left = max_rows if max_rows is not None else math.inf
    for chunk in chunks:
        if left <= 0:
            break
        take = int(min(left, len(chunk.logits)))
        batch = Batch(chunk.logits[:take], chunk.y[:take], mapping.class_names)
        frame = _results_frame(chunk.first_row, batch, evaluate_batch(batch, T))
        text = frame.to_csv(index=False, header=out.tell() == 0, lineterminator="\n")
        out.write(text.encode())
        left -= take
    return out.getvalue()


def sample_csv(K: int, n: int) -> bytes:
    """A built-in sample file: ``n`` rows of :func:`sample_dataset` over ``K`` classes as CSV
    bytes, seeded by ``K``, so the same every time.

    >>> sample_csv(3, 2) == sample_csv(3, 2)
    True
    """
    return sample_dataset(K, n, np.random.default_rng(K)).to_csv(index=False).encode()


# --------------------------------------------------------------------------------------
# Text alternatives: what each of the batch view's charts shows, with its key numbers
# --------------------------------------------------------------------------------------


def alt_loss_histogram(summary: BatchSummary) -> str:
    """The loss histogram in words: how many rows, the mean, the largest loss.

    >>> s, _ = summarise_batch(b"logit_0,logit_1,label\\n0,0,0\\n5,0,1\\n", worst=1)
    >>> print(alt_loss_histogram(s))  # doctest: +NORMALIZE_WHITESPACE
    Histogram of the loss per row over 2 rows: mean 2.8499 nats (the dashed line), the
    largest 5.0067.
    """
    sampled = len(summary.loss_sample)
    over = f"a sample of {sampled:,} of the {summary.n:,} rows" if sampled < summary.n else ""
    largest = fmt(float(summary.worst_result.loss[0])) if summary.worst_rows.size else "none"
    return (
        f"Histogram of the loss per row over {over or f'{summary.n:,} rows'}: mean "
        f"{fmt(summary.mean_loss)} nats (the dashed line), the largest {largest}."
    )


def alt_calibration(summary: BatchSummary) -> str:
    """The calibration chart in words: each non-empty confidence bin's accuracy and rows.

    >>> s, _ = summarise_batch(b"logit_0,logit_1,label\\n0,0,0\\n5,0,1\\n", worst=1)
    >>> print(alt_calibration(s))  # doctest: +NORMALIZE_WHITESPACE
    Accuracy against confidence (the largest p), in 10 bins of width 0.1, beside the
    diagonal of perfect calibration; by bin: 0.5–0.6 accuracy 1.000 of 1 row, 0.9–1.0
    accuracy 0.000 of 1 row; 8 bins empty.
    """
    centres, accuracy, counts = calibration_curve(
        summary.calibration_counts, summary.calibration_hits
    )
    half = 0.5 / len(counts)
    bins = [
        f"{c - half:.1f}–{c + half:.1f} accuracy {a:.3f} of {n:,} row{'s' if n != 1 else ''}"
        for c, a, n in zip(centres, accuracy, counts, strict=True)
        if n > 0
    ]
    empty = int(np.count_nonzero(counts == 0))
    return (
        f"Accuracy against confidence (the largest p), in {len(counts)} bins of width "
        f"{2 * half:.1f}, beside the diagonal of perfect calibration; by bin: "
        + ", ".join(bins)
        + (f"; {empty} bin{'s' if empty != 1 else ''} empty." if empty else ".")
    )


def alt_gradient_heatmap(summary: BatchSummary, rows: int) -> str:
    """The gradient heatmap in words: its size, its colour scale and its largest entry.

    >>> s, _ = summarise_batch(b"logit_a,logit_b,label\\n0,0,a\\n5,0,b\\n", worst=2)
    >>> print(alt_gradient_heatmap(s, 2))  # doctest: +NORMALIZE_WHITESPACE
    The gradient ∂L/∂o of the 2 worst rows (worst at the top) by 2 classes, blue for
    negative (descent raises the logit), orange for positive (descent lowers it). The
    largest entry in size is +0.9933, row 2, class a.
    """
    grad = summary.worst_result.grad[:rows]
    shown = len(grad)
    r, c = np.unravel_index(int(np.argmax(np.abs(grad))), grad.shape)
    return (
        f"The gradient ∂L/∂o of the {shown:,} worst row{'s' if shown != 1 else ''} (worst at "
        f"the top) by {grad.shape[1]:,} classes, blue for negative (descent raises the "
        "logit), orange for positive (descent lowers it). The largest entry in size is "
        f"{fmt_signed(float(grad[r, c]))}, row {int(summary.worst_rows[r]) + 1:,}, class "
        f"{shorten(summary.names[c], 40)}."
    )
