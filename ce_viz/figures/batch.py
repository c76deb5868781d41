"""Figures for batch mode: the loss histogram, the gradient matrix and calibration."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.figures.style import (
    DIVERGING,
    FOOT_LEGEND,
    PALETTE,
    axis,
    base_layout,
    category_axis,
    class_categories,
    figure,
    vline,
)

__all__ = ["calibration_figure", "gradient_heatmap", "loss_histogram"]

#: The calibration chart writes each bin's row count at this height, above accuracy 1.
COUNT_STRIP = 1.1


def loss_histogram(losses: ArrayLike, mean_loss: float) -> go.Figure:
    """Histogram of the per-row loss, the mean marked.

    Parameters
    ----------
    losses : array_like, shape (n,)
        Per-row losses (downsampled by the caller for large files).
    mean_loss : float
        The mean over all rows.
    """
    histogram = {
        "type": "histogram",
        "x": np.asarray(losses, dtype=np.float32),
        "nbinsx": 60,
        "marker": {"color": PALETTE["p"]},
        "name": "rows",
        "hovertemplate": "loss %{x}<br>%{y} rows<extra></extra>",
    }
    # The mean: a dashed line, labelled at its top right.
    label = {
        "text": f"mean {mean_loss:.4f}",
        "showarrow": False,
        "xref": "x",
        "x": mean_loss,
        "xanchor": "left",
        "yref": "y domain",
        "y": 1,
        "yanchor": "top",
    }
    layout = base_layout(
        "Loss per row",
        height=420,
        xaxis=axis(title={"text": "loss L (nats)"}, automargin=True),
        yaxis=axis(title={"text": "rows"}),
        legend=FOOT_LEGEND,
        shapes=[vline(mean_loss, {"color": PALETTE["lower"], "width": 3, "dash": "dash"})],
        annotations=[label],
    )
    return figure([histogram], layout)


def gradient_heatmap(grad: ArrayLike, names: Sequence[str], rows: Sequence[int]) -> go.Figure:
    """The gradient matrix ``∂L/∂o``, rows × classes, centred on 0.

    Parameters
    ----------
    grad : array_like, shape (m, K)
        Gradient rows (a sample of the file's rows, chosen by the caller).
    names : sequence of str, length K
        Shortened on the axis, whole in the hover.
    rows : sequence of int, length m
        The file's row numbers, for the hover text.
    """
    g = np.asarray(grad, dtype=np.float32)
    limit = float(np.max(np.abs(g))) or 1.0
    heatmap = {
        "type": "heatmap",
        "z": g,
        "x": class_categories(names),
        "y": [str(r) for r in rows],
        "zmid": 0.0,
        "zmin": -limit,
        "zmax": limit,
        "colorscale": DIVERGING,
        "colorbar": {"title": {"text": "∂L/∂o"}},
        "hovertemplate": "row %{y}, class %{x}<br>∂L/∂o = %{z:.4f}<extra></extra>",
    }
    layout = base_layout(
        "Gradient matrix: rows × classes",
        height=520,
        xaxis=category_axis(names),
        yaxis=axis(
            title={"text": "row (by loss, worst at the top)"},
            type="category",
            showticklabels=False,
            autorange="reversed",
        ),
    )
    return figure([heatmap], layout)


def calibration_figure(centres: ArrayLike, accuracy: ArrayLike, counts: ArrayLike) -> go.Figure:
    """Accuracy against confidence per bin, with the diagonal of perfect calibration.

    Parameters
    ----------
    centres, accuracy, counts : array_like, shape (bins,)
        Bin centres, the accuracy in each (NaN when empty) and the rows in each.
    """
    c = np.asarray(centres, dtype=np.float64)
    n = np.asarray(counts)
    traces = [
        {
            "type": "scatter",
            "x": [0, 1],
            "y": [0, 1],
            "mode": "lines",
            "name": "perfectly calibrated",
            "line": {"color": PALETTE["neutral"], "dash": "dot", "width": 2},
        },
        {
            "type": "scatter",
            "x": c,
            "y": np.asarray(accuracy, dtype=np.float64),
            "mode": "lines+markers",
            "name": "this data",
            "line": {"color": PALETTE["p"], "width": 4},
            "marker": {"size": 10},
            "customdata": n,
            "hovertemplate": "confidence %{x:.2f}<br>accuracy %{y:.3f}<br>"
            "%{customdata} rows<extra></extra>",
        },
        {
            # Each bin's row count in a strip above the plot, clear of the line: a point
            # of 3 rows means little.
            "type": "scatter",
            "x": c,
            "y": np.full(len(c), COUNT_STRIP),
            "mode": "text",
            "text": [f"{int(k):,}" for k in n],
            "textfont": {"color": PALETTE["readout"]},
            "name": "rows in each bin (top)",
            "hoverinfo": "skip",
        },
    ]
    layout = base_layout(
        "Calibration: accuracy against confidence",
        height=420,
        xaxis=axis(title={"text": "confidence max p"}, range=[0, 1], automargin=True),
        yaxis=axis(
            title={"text": "accuracy"},
            range=[0, COUNT_STRIP + 0.06],
            tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1],
        ),
        legend=FOOT_LEGEND,
    )
    return figure(traces, layout)
