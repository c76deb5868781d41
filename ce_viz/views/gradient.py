"""The "Gradient" view: p, y and the gradient p − y, as numbers, bars and a table."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import streamlit as st

from ce_viz.analysis import TABLE_COLUMNS, Evaluation, class_table, table_csv
from ce_viz.figures import gradient_figure, probability_figure
from ce_viz.fmt import escape_markdown, fmt, fmt_short, named_values
from ce_viz.state import AppState
from ce_viz.views.common import chart, evaluate_state


def _explanation(state: AppState, k: int) -> str:
    if state.y is None and state.smoothing == 0:
        core = (
            f"For the true class *k* = {k}, ∂L/∂oₖ = pₖ − 1 < 0: gradient "
            "descent **raises** its logit. For every other class *j*, "
            "∂L/∂oⱼ = pⱼ > 0: descent **lowers** it, in proportion to the "
            "probability it wrongly takes."
        )
    else:
        core = (
            "With a soft or smoothed target, each component is pᵢ − yᵢ: descent raises "
            "the logits whose probability is below the target and lowers those above it."
        )
    if state.T != 1:
        core += f" With temperature *T* = {fmt_short(state.T)} every component is divided by *T*."
    return core


def _csv(names: Sequence[str], result: Evaluation) -> str:
    """The table as CSV: built only when the download button is clicked."""
    return table_csv(class_table(names, result))


def render(state: AppState) -> None:
    """Draw the gradient view for ``state``."""
    result = evaluate_state(state)
    st.subheader("Probabilities, loss and gradient")
    _metrics(state, result)
    st.markdown(_explanation(state, state.true_class))
    _charts(state, result)
    _table_and_csv(state, result)


def _metrics(state: AppState, result: Evaluation) -> None:
    """The loss, p of the true class, the prediction and the gradient's sum."""
    names = state.class_names
    k = state.true_class
    # One row of four (a horizontal container: columns would send a block for each),
    # keyed so that page.css can set the four two by two on a phone.
    row = st.container(key="sample_metrics", horizontal=True)
    row.metric("Loss", fmt(result.loss), help="L = −Σ yᵢ log pᵢ, in nats")
    true_label = "p of true class" if state.y is None else "p of heaviest target class"
    row.metric(true_label, f"{result.p[k]:.4f}", help=f"class {k}")
    top = result.top_classes
    if len(top) > 1:  # a tie: no class is predicted, so neither right nor wrong
        listed = ", ".join(escape_markdown(names[i]) for i in top)
        row.metric(
            "Predicted class",
            f"tie: {listed}" if len(top) == 2 else f"tie of {len(top)} classes",
            help=f"{listed} share the largest p, so argmax p picks none of them.",
            delta="tie",
            delta_color="off",
            delta_arrow="off",
        )
    else:
        row.metric(
            "Predicted class",
            # A metric's value is markdown: a name such as **dog** must stay literal.
            escape_markdown(names[result.predicted]),
            help="argmax p",
            delta="correct" if result.predicted == k else "wrong",
            delta_color="normal" if result.predicted == k else "inverse",
            delta_arrow="off",
        )
    row.metric(
        "Sum of ∂L/∂o",
        fmt(result.gradient_sum, scientific=False),
        help="Always 0: p and y both sum to 1, so descent moves probability between "
        "classes without changing the total.",
    )


def _charts(state: AppState, result: Evaluation) -> None:
    """p against y, and p − y, side by side."""
    names = state.class_names
    k = state.true_class
    left, right = st.columns(2)
    with left:
        chart(
            probability_figure(names, result.p, result.y, k),
            key="prob_chart",
            alt="Bar chart of the softmax probabilities p, with the target y as outlines. p: "
            f"{named_values(names, result.p)}; target class {names[k]}.",
        )
    with right:
        chart(
            gradient_figure(names, result.grad, k),
            key="grad_chart",
            alt="Bar chart of the gradient p − y for each class, orange where positive and "
            f"blue where negative: {named_values(names, result.grad)}.",
        )


def _table_and_csv(state: AppState, result: Evaluation) -> None:
    """The per-class table, built only when opened, and the CSV, written only when
    clicked."""
    names = state.class_names
    # The table waits until it is opened: the data grid's script is a large download,
    # and keeping it out of the first paint is part of the page-load budget.
    with st.expander(
        "Table: o, p, y and ∂L/∂o for each class",
        icon=":material/table:",
        key="table_open",
        on_change="rerun",
    ) as table_box:
        if table_box.open:
            st.dataframe(
                class_table(names, result),
                hide_index=True,
                width="stretch",
                column_config={
                    "class": st.column_config.TextColumn("class"),
                    "logit": st.column_config.NumberColumn("logit o", format="%.4g"),
                    "probability": st.column_config.NumberColumn("probability p", format="%.4f"),
                    "target": st.column_config.NumberColumn("target y", format="%.4f"),
                    "gradient": st.column_config.NumberColumn("gradient ∂L/∂o", format="%+.4f"),
                },
                key="class_table",
            )
    st.download_button(
        "Download CSV",
        data=partial(_csv, names, result),
        file_name="ce-viz.csv",
        mime="text/csv",
        icon=":material/download:",
        key="download_csv",
        on_click="ignore",
    )
    st.caption(
        "The CSV has the columns "
        + escape_markdown(", ".join(TABLE_COLUMNS))
        + " at full float precision."
    )
