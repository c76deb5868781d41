"""The "Batch" view: a whole dataset of logits and labels from a CSV, evaluated at once,
with the worst rows one click away from the single-sample views."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import streamlit as st

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
from ce_viz.core import CEVizError
from ce_viz.figures import calibration_figure, gradient_heatmap, loss_histogram
from ce_viz.fmt import escape_markdown
from ce_viz.state import DATASETS, K_RANGE, WORST_RANGE, AppState
from ce_viz.views.common import chart
from ce_viz.views.controls import bound, load_sample

DATASET_LABELS = {
    "sample3": "3-class sample",
    "sample10": "10-class sample",
    "upload": "Upload a CSV",
}
#: The browser never gets more points than this per chart.
MAX_POINTS = 50_000
HEATMAP_ROWS = 300


@st.cache_data(max_entries=4, show_spinner=False)
def _sample_bytes(name: str) -> bytes:
    """A built-in sample as CSV bytes: generated in code, the same every time."""
    K, n = (3, 300) if name == "sample3" else (10, 2000)
    frame = sample_dataset(K, n, np.random.default_rng(K))
    return frame.to_csv(index=False).encode()


@st.cache_data(max_entries=8, show_spinner="Reading the file…")
def _read(data: bytes, mapping: ColumnMap | None) -> tuple[Batch, ColumnMap]:
    """Read and check the CSV once per file and column choice."""
    return read_batch(data, mapping)


def render(state: AppState) -> None:
    """Draw the batch view for ``state``."""
    st.subheader("Batch: a whole dataset at once")
    st.markdown(
        "One row per sample: K logit columns (`logit_0 … logit_K−1`, or `logit_cat`, …) and a "
        "`label` column (a class index or name), or K soft-target columns (`y_0 …`)."
    )
    st.segmented_control(
        "Data",
        options=list(DATASETS),
        format_func=DATASET_LABELS.__getitem__,
        required=True,
        **bound("dataset"),
    )
    if state.dataset == "upload":
        upload = st.file_uploader("CSV file", type=["csv"], key="upload")
        if upload is None:
            st.info("Choose a CSV file to upload, or pick a built-in sample above.")
            return
        data = upload.getvalue()
    else:
        data = _sample_bytes(state.dataset)

    try:
        header = list(pd.read_csv(io.BytesIO(data), nrows=0).columns)
        detected = detect_columns(header)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        header, detected = [], None
    mapping = _column_choice(header, detected) if detected else None
    try:
        batch, mapping = _read(data, mapping)
    except CEVizError as exc:
        st.error(f"This file can't be used: {escape_markdown(str(exc))}.", icon=":material/error:")
        return

    with st.expander(f"Preview: {batch.n:,} rows × {len(mapping.logits)} classes"):
        st.dataframe(pd.read_csv(io.BytesIO(data), nrows=20), hide_index=True, key="preview")

    result = evaluate_batch(batch, state.T)
    cols = st.columns(3)
    cols[0].metric("Mean loss", f"{result.mean_loss:.4f}", help="mean over rows of −Σ yᵢ log pᵢ")
    cols[1].metric(
        "Accuracy", f"{result.accuracy:.1%}", help="rows whose arg-max p is the true class"
    )
    cols[2].metric("Rows", f"{batch.n:,}")

    rng = np.random.default_rng(0)
    left, right = st.columns(2)
    with left:
        shown = downsample(batch.n, MAX_POINTS, rng)
        chart(
            loss_histogram(result.loss[shown], result.mean_loss),
            key="loss_histogram",
            alt="Histogram of the loss per row.",
        )
    with right:
        centres, accuracy, counts = calibration(
            result.confidence, result.predicted == result.true_class
        )
        chart(
            calibration_figure(centres, accuracy, counts),
            key="calibration_chart",
            alt="Accuracy against confidence, per confidence bin.",
        )
    order = np.argsort(-result.loss)
    rows = order[:HEATMAP_ROWS]
    chart(
        gradient_heatmap(result.grad[rows], batch.names, rows + 1),
        key="gradient_heatmap",
        alt="The gradient matrix for the worst rows, rows by classes.",
    )
    _worst_rows(state, batch, result, order)
    st.download_button(
        "Download results CSV",
        data=results_csv(batch, result),
        file_name="ce-viz-batch.csv",
        mime="text/csv",
        icon=":material/download:",
        key="download_batch",
        on_click="ignore",
    )


def _column_choice(header: list[str], detected: ColumnMap) -> ColumnMap:
    """Let the user correct the detected logit and label columns."""
    with st.expander("Columns", expanded=False):
        logits = st.multiselect(
            "Logit columns", options=header, default=list(detected.logits), key="batch_logits"
        )
        if detected.soft is not None:
            st.caption(f"Soft targets: {escape_markdown(', '.join(detected.soft))}")
            return ColumnMap(tuple(logits), soft=detected.soft)
        others = [c for c in header if c not in logits]
        label = st.selectbox(
            "Label column",
            options=others or [None],
            index=others.index(detected.label) if detected.label in others else 0,
            key="batch_label",
        )
        return ColumnMap(tuple(logits), label=label)


def _worst_rows(state: AppState, batch: Batch, result, order: np.ndarray) -> None:
    st.markdown("**The worst rows**: load one into the single-sample views to see its gradient.")
    st.number_input("How many", *WORST_RANGE, step=1, **bound("worst"))
    names = batch.names
    loadable = batch.logits.shape[1] <= K_RANGE[1]
    for rank, row in enumerate(order[: state.worst], start=1):
        cols = st.columns([1, 2, 2, 2, 2])
        cols[0].write(f"#{rank}")
        cols[1].write(f"row {row + 1}")
        cols[2].write(f"true: {escape_markdown(names[result.true_class[row]])}")
        cols[3].write(f"loss {result.loss[row]:.4f}")
        cols[4].button(
            "Load",
            key=f"load_{row}",
            on_click=load_sample,
            args=(batch.logits[row], batch.y[row], names),
            disabled=not loadable,
            help=None
            if loadable
            else f"The single-sample views take at most {K_RANGE[1]} classes.",
        )
