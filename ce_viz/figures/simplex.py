"""The probability simplex of three classes: the loss over it, the target, p and its path."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.figures.style import (
    PALETTE,
    PATH_LEGEND,
    VIRIDIS,
    Spec,
    base_layout,
    figure,
    path_traces,
    short_label,
)
from ce_viz.fmt import plotly_text

__all__ = ["simplex_figure"]


def simplex_figure(
    points: ArrayLike,
    losses: ArrayLike,
    names: Sequence[str],
    target: ArrayLike,
    current: ArrayLike,
    path: ArrayLike | None = None,
) -> go.Figure:
    """The probability simplex of three classes: the loss over it, the target, p and its path.

    Parameters
    ----------
    points : array_like, shape (m, 3)
        Points of the simplex (rows summing to 1), coloured by ``losses`` (shape (m,)).
    names : sequence of str, length 3
        The corners: shortened on the axes, whole in the hover.
    target : array_like, shape (3,)
        The (renormalised) target: a corner for a one-hot target.
    current : array_like, shape (3,)
        The current probabilities, renormalised over the three classes.
    path : array_like, shape (n, 3), optional
        Gradient descent's path in probability space.
    """
    traces = [_simplex_loss_trace(points, losses, names)]
    legend: Spec = {"y": -0.08}
    if path is not None:
        pp = np.asarray(path, dtype=np.float32)
        traces += path_traces("scatterternary", a=pp[:, 0], b=pp[:, 1], c=pp[:, 2])
        legend |= PATH_LEGEND
    traces += _simplex_markers(target, current)
    corners = [short_label(n) for n in names]
    layout = base_layout(
        "Probability simplex: where p can be",
        height=560,
        ternary={
            "aaxis": {"title": {"text": corners[0]}, "min": 0},
            "baxis": {"title": {"text": corners[1]}, "min": 0},
            "caxis": {"title": {"text": corners[2]}, "min": 0},
            "sum": 1,
        },
        margin={"t": 90, "b": 60},
        legend=legend,
    )
    return figure(traces, layout)


def _simplex_loss_trace(points: ArrayLike, losses: ArrayLike, names: Sequence[str]) -> Spec:
    """The simplex's points coloured by the loss, the corners named whole in the hover."""
    q = np.asarray(points, dtype=np.float32)
    return {
        "type": "scatterternary",
        "a": q[:, 0],
        "b": q[:, 1],
        "c": q[:, 2],
        "mode": "markers",
        "name": "loss L",
        "meta": [plotly_text(n) for n in names],
        "marker": {
            "color": np.asarray(losses, dtype=np.float32),
            "colorscale": VIRIDIS,
            "size": 7,
            "symbol": "triangle-up",
            "showscale": True,
            "colorbar": {"title": {"text": "L"}},
        },
        "hovertemplate": "p(%{meta[0]}) = %{a:.3f}<br>p(%{meta[1]}) = %{b:.3f}<br>"
        "p(%{meta[2]}) = %{c:.3f}<br>L = %{marker.color:.4f}<extra></extra>",
    }


def _simplex_markers(target: ArrayLike, current: ArrayLike) -> list[Spec]:
    """The target, a star (at a corner when one-hot), and the current p, a white dot."""
    t = np.asarray(target, dtype=np.float64)
    c = np.asarray(current, dtype=np.float64)
    return [
        {
            "type": "scatterternary",
            "a": [t[0]],
            "b": [t[1]],
            "c": [t[2]],
            "mode": "markers",
            "name": "target y",
            "marker": {
                "symbol": "star",
                "size": 22,
                "color": PALETTE["y"],
                "line": {"color": "black", "width": 1.5},
            },
        },
        {
            "type": "scatterternary",
            "a": [c[0]],
            "b": [c[1]],
            "c": [c[2]],
            "mode": "markers",
            "name": "current p",
            "marker": {"size": 15, "color": "white", "line": {"color": "black", "width": 2}},
        },
    ]
