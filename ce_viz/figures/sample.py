"""Figures of one sample: probabilities, the gradient p − y, and the finite-difference check."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.figures.style import (
    FOOT_LEGEND,
    PALETTE,
    arrow,
    axis,
    base_layout,
    class_xaxis,
    figure,
    hline,
    merge,
)
from ce_viz.fmt import fmt, fmt_signed, plotly_text

__all__ = [
    "fd_error_figure",
    "gradient_figure",
    "probability_figure",
]


def probability_figure(
    names: Sequence[str], p: ArrayLike, y: ArrayLike, k: int | None = None
) -> go.Figure:
    """Bars of the probabilities ``p`` with the target ``y`` drawn over them as outlines.

    Parameters
    ----------
    names : sequence of str, length K
        Class names, shown as plain text.
    p, y : array_like, shape (K,)
        Probabilities and target distribution.
    k : int, optional
        The true class, starred on the axis.
    """
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    x = np.arange(len(names))
    hover_names = [plotly_text(n) for n in names]
    bars = [
        {
            "type": "bar",
            "x": x.tolist(),  # K <= 20 numbers: plain lists, cheaper to send than typed arrays
            "y": p_arr.tolist(),
            "name": "p = softmax(o/T)",
            "marker": {"color": PALETTE["p"]},
            "text": [fmt(v, 3) for v in p_arr],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{customdata}<br>p = %{y:.6f}<extra></extra>",
            "customdata": hover_names,
        },
        {
            "type": "bar",
            "x": x.tolist(),
            "y": y_arr.tolist(),
            "name": "target y",
            "marker": {"color": PALETTE["clear"], "line": {"color": PALETTE["y"], "width": 4}},
            "hovertemplate": "%{customdata}<br>y = %{y:.6f}<extra></extra>",
            "customdata": hover_names,
            "width": 0.8,
        },
    ]
    layout = base_layout(
        "Probabilities p and target y",
        barmode="overlay",
        bargap=0.2,
        xaxis=class_xaxis(names, k),
        yaxis=axis(range=[0, 1.12], title={"text": "probability"}, tickformat=".1f"),
        legend=FOOT_LEGEND,
    )
    return figure(bars, layout)


def gradient_figure(names: Sequence[str], grad: ArrayLike, k: int | None = None) -> go.Figure:
    """Bars of ``dL/do = p - y`` coloured and labelled by sign, with the descent direction.

    A positive component means gradient descent lowers that logit; a negative one, that it
    raises it. The sign is in the colour, in the ``+``/``−`` label and in the arrow.

    Parameters
    ----------
    names : sequence of str, length K
    grad : array_like, shape (K,)
        The gradient of the loss with respect to the logits.
    k : int, optional
        The true class, starred on the axis.
    """
    g = np.asarray(grad, dtype=np.float64)
    x = np.arange(len(names))
    finite = g[np.isfinite(g)]
    scale = float(np.max(np.abs(finite))) if finite.size and np.any(finite) else 1.0
    groups = [
        (g > 0, "lower", "/", "∂L/∂o > 0: descent lowers o"),
        (g < 0, "raise", "", "∂L/∂o < 0: descent raises o"),
    ]
    if np.any(g == 0):
        groups.append((g == 0, "neutral", "", "∂L/∂o = 0: descent leaves o"))
    traces = [
        {
            "type": "bar",
            "x": x[mask].tolist(),
            "y": g[mask].tolist(),
            "name": label,
            "marker": {"color": PALETTE[key], "pattern": {"shape": pattern}},
            "text": [fmt_signed(v) if v else "0" for v in g[mask]],
            "textposition": "outside",
            "cliponaxis": False,
            "customdata": [plotly_text(names[i]) for i in x[mask]],
            "hovertemplate": "%{customdata}<br>∂L/∂o = %{y:.6f}<extra></extra>",
        }
        for mask, key, pattern, label in groups
    ]
    traces.append(
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "line": {"color": PALETTE["neutral"], "width": 3},
            "name": "arrow: descent step −∂L/∂o",
        }
    )
    # Arrows beside each bar: the step that gradient descent takes, −∂L/∂o, to scale.
    arrows = [
        arrow(
            (float(i) + 0.42, 0.0),
            (float(i) + 0.42, -float(gi)),
            PALETTE["raise"] if gi < 0 else PALETTE["lower"],
            width=3,
            size=1.2,
        )
        for i, gi in zip(x, g, strict=True)
        if np.isfinite(gi) and gi != 0
    ]
    pad = 0.25 * scale
    layout = base_layout(
        "Gradient ∂L/∂o = p − y",
        barmode="relative",
        bargap=0.35,
        xaxis=merge(class_xaxis(names, k), {"range": [-0.6, len(names) - 0.1]}),
        yaxis=axis(range=[-scale - pad, scale + pad], title={"text": "∂L/∂o"}, zeroline=False),
        legend=FOOT_LEGEND,
        shapes=[hline(0, {"color": PALETTE["neutral"], "width": 1})],
        annotations=arrows,
    )
    return figure(traces, layout)


def fd_error_figure(
    h_values: ArrayLike, errors: ArrayLike, h_chosen: float, chosen_error: float
) -> go.Figure:
    """Log-log plot of the finite-difference check's error against its step ``h``.

    The V shape is the lesson: truncation error falls as h² until rounding error,
    growing as 1/h, takes over.

    Parameters
    ----------
    h_values, errors : array_like, shape (n,)
        Steps and the largest relative error of the central difference at each.
    h_chosen, chosen_error : float
        The user's step and its error, marked.
    """
    h = np.asarray(h_values, dtype=np.float64)
    err = np.maximum(np.asarray(errors, dtype=np.float64), 1e-17)
    traces = [
        {
            "type": "scatter",
            "x": h,
            "y": err,
            "mode": "lines+markers",
            "name": "max relative error",
            "line": {"color": PALETTE["p"], "width": 3},
            "hovertemplate": "h = %{x:.0e}<br>error = %{y:.2e}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": [h_chosen],
            "y": [max(chosen_error, 1e-17)],
            "mode": "markers",
            "name": "your step h",
            "marker": {"color": PALETTE["lower"], "size": 16, "symbol": "diamond"},
            "hovertemplate": "h = %{x:.1e}<br>error = %{y:.2e}<extra></extra>",
        },
    ]
    layout = base_layout(
        "Central-difference error against step h",
        height=420,
        xaxis=axis(title={"text": "step h"}, type="log", exponentformat="power", automargin=True),
        yaxis=axis(type="log", title={"text": "relative error"}, exponentformat="power"),
        legend=FOOT_LEGEND,
    )
    return figure(traces, layout)
