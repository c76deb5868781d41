"""The "Batch" view: a whole dataset of logits and labels from a CSV, evaluated at once,
with the worst rows one click away from the single-sample views.

The file is read in chunks and only its summary is kept (``ce_viz.batch.summarise_batch``),
once per file, column choice and temperature, in this session's state: a rerun for any
other widget reads nothing again, and the summary goes when the session ends. A progress
bar follows the reading; each of its updates lets Streamlit stop the work when the session
ends or the user changes something.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import streamlit as st

from ce_viz.batch import (
    RESULTS_MAX_BYTES,
    BadCellsError,
    BatchSummary,
    ColumnMap,
    alt_calibration,
    alt_gradient_heatmap,
    alt_loss_histogram,
    calibration_curve,
    detect_columns,
    heatmap_rows,
    preview,
    read_header,
    results_row_limit,
    sample_csv,
    stream_results_csv,
    summarise_batch,
)
from ce_viz.changes import from_row
from ce_viz.core import CEVizError
from ce_viz.figures import calibration_figure, gradient_heatmap, loss_histogram
from ce_viz.fmt import escape_markdown, fmt, shorten
from ce_viz.state import DATASETS, K_RANGE, WORST_RANGE, AppState
from ce_viz.views import session
from ce_viz.views.common import CACHE_TTL, chart, temperature_input

DATASET_LABELS = {
    "sample3": "3-class sample",
    "sample10": "10-class sample",
    "upload": "Upload a CSV",
}
#: Class names in the worst-rows list are cut to this many characters.
NAME_CHARS = 16


@st.cache_data(max_entries=2, ttl=CACHE_TTL, show_spinner=False)  # 2 files, 0.2 MB
def _sample_bytes(name: str) -> bytes:
    """A built-in sample as CSV bytes: generated in code, the same every time."""
    K, n = (3, 300) if name == "sample3" else (10, 2000)
    return sample_csv(K, n)


def _summary(key: tuple[Any, ...], data: bytes, mapping: ColumnMap, T: float) -> BatchSummary:
    """The file's summary, read once per file, column choice and temperature per session."""
    kept = session.kept("batch_summary")
    if kept is not None and kept[0] == key:
        return kept[1]
    session.forget("batch_summary")  # let the old summary go before reading
    bar = st.progress(0.0, text="Reading the file…")
    try:
        summary, _ = summarise_batch(
            data,
            mapping,
            T,
            worst=max(WORST_RANGE[1], heatmap_rows(len(mapping.logits))),
            progress=lambda done: bar.progress(done, text=f"Reading the file… {done:.0%}"),
        )
    finally:
        bar.empty()  # a bad file's message takes its place
    session.keep("batch_summary", (key, summary))
    return summary


def render(state: AppState) -> None:
    """Draw the batch view for ``state``."""
    st.subheader("Batch: a whole dataset at once")
    st.markdown(
        "One row per sample: K logit columns (`logit_0 … logit_K−1`, or `logit_cat`, …) and a "
        "`label` column (a class index or name), or K soft-target columns (`y_0 …`, or "
        "`y_cat`, …, paired with the logits by class name)."
    )
    data_choice, temperature = st.columns([3, 1], vertical_alignment="bottom")
    data_choice.segmented_control(
        "Data",
        options=list(DATASETS),
        format_func=DATASET_LABELS.__getitem__,
        required=True,
        **session.bound("dataset"),
    )
    # The batch view's own temperature: the sidebar holds no inputs here.
    temperature_input(
        temperature, "Every row's p = softmax(o / T); the loss and the gradient use it."
    )
    if state.dataset == "upload":
        upload = st.file_uploader("CSV file", type=["csv"], key="upload")
        if upload is None:
            st.info("Choose a CSV file to upload, or pick a built-in sample above.")
            return
        data, source = upload.getvalue(), ("upload", upload.file_id)
    else:
        data, source = _sample_bytes(state.dataset), (state.dataset,)

    try:
        header = read_header(data)
        mapping = _column_choice(list(header), detect_columns(header))
        summary = _summary((*source, mapping, state.T), data, mapping, state.T)
    except BadCellsError as exc:
        _bad_cells(exc)
        return
    except CEVizError as exc:
        st.error(f"This file can't be used: {escape_markdown(str(exc))}.", icon=":material/error:")
        return

    _preview(data, header, summary)
    _overview(summary)
    _worst_rows(state, summary)
    _download(summary, data, mapping, state.T)


def _bad_cells(exc: BadCellsError) -> None:
    """Every problem of a file, up to the first ``MAX_PROBLEMS``, as a list in one box."""
    count = len(exc.problems) + exc.more
    if count == 1:
        st.error(
            f"This file can't be used: {escape_markdown(exc.problems[0])}.", icon=":material/error:"
        )
        return
    lines = [f"- {escape_markdown(problem)}" for problem in exc.problems]
    if exc.more:
        lines.append(f"- and {exc.more:,} more")
    st.error(
        f"This file can't be used: it has {count:,} problems.\n\n" + "\n".join(lines),
        icon=":material/error:",
    )


def _preview(data: bytes, header: tuple[str, ...], summary: BatchSummary) -> None:
    """The file's first rows and columns, built only while open, like the gradient view's
    table: a rerun reads no CSV."""
    K = len(summary.names)
    with st.expander(
        f"Preview: {summary.n:,} rows × {K:,} classes", key="preview_open", on_change="rerun"
    ) as preview_box:
        if preview_box.open:
            shown = preview(data)
            st.dataframe(shown, hide_index=True, key="preview")
            if len(shown.columns) < len(header) or len(shown) < summary.n:
                st.caption(
                    f"The first {len(shown):,} rows and {len(shown.columns):,} of the "
                    f"{len(header):,} columns, each cut to 24 characters."
                )


def _overview(summary: BatchSummary) -> None:
    """The mean loss, the accuracy, the loss histogram, calibration and the worst rows'
    gradient heatmap."""
    K = len(summary.names)
    cols = st.columns(3)
    cols[0].metric("Mean loss", fmt(summary.mean_loss), help="mean over rows of −Σ yᵢ log pᵢ")
    cols[1].metric(
        "Accuracy", f"{summary.accuracy:.1%}", help="rows whose arg-max p is the true class"
    )
    cols[2].metric("Rows", f"{summary.n:,}")

    left, right = st.columns(2)
    with left:
        chart(
            loss_histogram(summary.loss_sample, summary.mean_loss),
            key="loss_histogram",
            alt=alt_loss_histogram(summary),
        )
    with right:
        chart(
            calibration_figure(
                *calibration_curve(summary.calibration_counts, summary.calibration_hits)
            ),
            key="calibration_chart",
            alt=alt_calibration(summary),
        )
    rows = heatmap_rows(K)
    chart(
        gradient_heatmap(
            summary.worst_result.grad[:rows], summary.names, summary.worst_rows[:rows] + 1
        ),
        key="gradient_heatmap",
        alt=alt_gradient_heatmap(summary, rows),
    )


def _column_choice(header: list[str], detected: ColumnMap) -> ColumnMap:
    """Let the user correct the detected logit and label columns."""
    with st.expander("Columns", expanded=False):
        logits = st.multiselect(
            "Logit columns", options=header, default=list(detected.logits), key="batch_logits"
        )
        if detected.soft is not None:
            st.caption(
                "Soft targets, paired with the logits by class name: "
                + escape_markdown(shorten(", ".join(detected.soft), 300))
            )
            return ColumnMap(tuple(logits), soft=detected.soft)
        chosen = set(logits)
        others = [c for c in header if c not in chosen]
        label = st.selectbox(
            "Label column",
            options=others or [None],
            index=others.index(detected.label) if detected.label in others else 0,
            key="batch_label",
        )
        return ColumnMap(tuple(logits), label=label)


def _worst_rows(state: AppState, summary: BatchSummary) -> None:
    st.markdown("**The worst rows**: load one into the single-sample views to see its gradient.")
    st.number_input("How many", *WORST_RANGE, step=1, width=220, **session.bound("worst"))
    names = summary.names
    worst, result = summary.worst, summary.worst_result
    loadable = len(names) <= K_RANGE[1]
    for rank, row in enumerate(summary.worst_rows[: state.worst]):
        text, button = st.columns([6, 1], vertical_alignment="center")
        true_name = shorten(names[result.true_class[rank]], NAME_CHARS)
        predicted = shorten(names[result.predicted[rank]], NAME_CHARS)
        text.write(
            f"**#{rank + 1}** · row {row + 1:,} · true: {escape_markdown(true_name)} · "
            f"predicted: {escape_markdown(predicted)} · p(true) = {fmt(result.p_true[rank], 3)}, "
            f"L = {fmt(result.loss[rank], 3)}"
        )
        button.button(
            "Load",
            key=f"load_{row}",
            on_click=_load_row,
            args=(worst.logits[rank], worst.y[rank], names),
            disabled=not loadable,
            help=None
            if loadable
            else f"The single-sample views take at most {K_RANGE[1]} classes.",
        )


def _download(summary: BatchSummary, data: bytes, mapping: ColumnMap, T: float) -> None:
    """The results CSV, written only when the button is clicked, and at most 64 MB."""
    limit = results_row_limit(summary.names)
    st.download_button(
        "Download results CSV",
        data=partial(stream_results_csv, data, mapping, T, limit),
        file_name="ce-viz-batch.csv",
        mime="text/csv",
        icon=":material/download:",
        key="download_batch",
        on_click="ignore",
    )
    if summary.n > limit:
        st.caption(
            f"The results CSV holds the first {limit:,} of the {summary.n:,} rows: at most "
            f"{RESULTS_MAX_BYTES // 2**20} MB, so that a download can't exhaust the server."
        )


def _load_row(logits: Sequence[float], y: Sequence[float], names: tuple[str, ...]) -> None:
    """Load one row into the single-sample views (the "Load" button's callback)."""
    session.replace_all(from_row(session.state(), logits, y, names))
