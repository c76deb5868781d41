"""Figures for batch mode: the loss histogram, the gradient matrix and calibration."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.figures.style import (
    PALETTE,
    apply_layout,
    class_categories,
    label_categories,
    x_title,
)
from ce_viz.figures.theory import DIVERGING

__all__ = ["calibration_figure", "gradient_heatmap", "loss_histogram"]


def loss_histogram(losses: ArrayLike, mean_loss: float) -> go.Figure:
    """Histogram of the per-row loss, the mean marked.

    Parameters
    ----------
    losses : array_like, shape (n,)
        Per-row losses (downsampled by the caller for large files).
    mean_loss : float
        The mean over all rows.
    """
    fig = go.Figure(
        go.Histogram(
            x=np.asarray(losses, dtype=np.float32),
            nbinsx=60,
            marker={"color": PALETTE["p"]},
            name="rows",
            hovertemplate="loss %{x}<br>%{y} rows<extra></extra>",
        )
    )
    fig.add_vline(
        x=mean_loss,
        line={"color": PALETTE["lower"], "width": 3, "dash": "dash"},
        annotation_text=f"mean {mean_loss:.4f}",
        annotation_position="top right",
    )
    apply_layout(fig, "Loss per row", height=420)
    x_title(fig, "loss L (nats)")
    fig.update_yaxes(title_text="rows")
    return fig


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
    fig = go.Figure(
        go.Heatmap(
            z=g,
            x=class_categories(names),
            y=[str(r) for r in rows],
            zmid=0.0,
            zmin=-limit,
            zmax=limit,
            colorscale=DIVERGING,
            colorbar={"title": {"text": "∂L/∂o"}},
            hovertemplate="row %{y}, class %{x}<br>∂L/∂o = %{z:.4f}<extra></extra>",
        )
    )
    apply_layout(fig, "Gradient matrix: rows × classes", height=520)
    label_categories(fig, names)
    fig.update_yaxes(
        title_text="row (by loss, worst at the top)",
        type="category",
        showticklabels=False,
        autorange="reversed",
    )
    return fig


def calibration_figure(centres: ArrayLike, accuracy: ArrayLike, counts: ArrayLike) -> go.Figure:
    """Accuracy against confidence per bin, with the diagonal of perfect calibration.

    Parameters
    ----------
    centres, accuracy, counts : array_like, shape (bins,)
        Bin centres, the accuracy in each (NaN when empty) and the rows in each.
    """
    c = np.asarray(centres, dtype=np.float64)
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name="perfectly calibrated",
        line={"color": PALETTE["neutral"], "dash": "dot", "width": 2},
    )
    fig.add_scatter(
        x=c,
        y=np.asarray(accuracy, dtype=np.float64),
        mode="lines+markers",
        name="this data",
        line={"color": PALETTE["p"], "width": 4},
        marker={"size": 10},
        customdata=np.asarray(counts),
        hovertemplate="confidence %{x:.2f}<br>accuracy %{y:.3f}<br>"
        "%{customdata} rows<extra></extra>",
    )
    apply_layout(fig, "Calibration: accuracy against confidence", height=420)
    x_title(fig, "confidence max p", range=[0, 1])
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02])
    return fig
