"""Figures of one sample: probabilities, the gradient p − y, and the finite-difference check."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.figures.style import PALETTE, add_arrow, apply_layout, class_axis, x_title
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
    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=p_arr,
        name="p = softmax(o/T)",
        marker={"color": PALETTE["p"]},
        text=[fmt(v, 3) for v in p_arr],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{customdata}<br>p = %{y:.6f}<extra></extra>",
        customdata=[plotly_text(n) for n in names],
    )
    fig.add_bar(
        x=x,
        y=y_arr,
        name="target y",
        marker={"color": "rgba(0,0,0,0)", "line": {"color": PALETTE["y"], "width": 4}},
        hovertemplate="%{customdata}<br>y = %{y:.6f}<extra></extra>",
        customdata=[plotly_text(n) for n in names],
        width=0.8,
    )
    apply_layout(fig, "Probabilities p and target y")
    fig.update_layout(barmode="overlay", bargap=0.2)
    fig.update_yaxes(range=[0, 1.12], title_text="probability", tickformat=".1f")
    class_axis(fig, names, k)
    return fig


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
    fig = go.Figure()
    groups = [
        (g > 0, "lower", "/", "∂L/∂o > 0: descent lowers o"),
        (g < 0, "raise", "", "∂L/∂o < 0: descent raises o"),
    ]
    if np.any(g == 0):
        groups.append((g == 0, "neutral", "", "∂L/∂o = 0: descent leaves o"))
    for mask, key, pattern, label in groups:
        fig.add_bar(
            x=x[mask],
            y=g[mask],
            name=label,
            marker={"color": PALETTE[key], "pattern": {"shape": pattern}},
            text=[fmt_signed(v) if v else "0" for v in g[mask]],
            textposition="outside",
            cliponaxis=False,
            customdata=[plotly_text(names[i]) for i in x[mask]],
            hovertemplate="%{customdata}<br>∂L/∂o = %{y:.6f}<extra></extra>",
        )
    # Arrows beside each bar: the step that gradient descent takes, −∂L/∂o, to scale.
    for i, gi in zip(x, g, strict=True):
        if not np.isfinite(gi) or gi == 0:
            continue
        colour = PALETTE["raise"] if gi < 0 else PALETTE["lower"]
        add_arrow(fig, (i + 0.42, 0.0), (i + 0.42, -gi), colour, width=3, size=1.2)
    fig.add_scatter(
        x=[None],
        y=[None],
        mode="lines",
        line={"color": PALETTE["neutral"], "width": 3},
        name="arrow: descent step −∂L/∂o",
    )
    apply_layout(fig, "Gradient ∂L/∂o = p − y")
    fig.update_layout(barmode="relative", bargap=0.35)
    fig.add_hline(y=0, line={"color": PALETTE["neutral"], "width": 1})
    pad = 0.25 * scale
    fig.update_yaxes(range=[-scale - pad, scale + pad], title_text="∂L/∂o", zeroline=False)
    class_axis(fig, names, k)
    fig.update_xaxes(range=[-0.6, len(names) - 0.1])
    return fig


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
    fig = go.Figure()
    fig.add_scatter(
        x=h,
        y=err,
        mode="lines+markers",
        name="max relative error",
        line={"color": PALETTE["p"], "width": 3},
        hovertemplate="h = %{x:.0e}<br>error = %{y:.2e}<extra></extra>",
    )
    fig.add_scatter(
        x=[h_chosen],
        y=[max(chosen_error, 1e-17)],
        mode="markers",
        name="your step h",
        marker={"color": PALETTE["lower"], "size": 16, "symbol": "diamond"},
        hovertemplate="h = %{x:.1e}<br>error = %{y:.2e}<extra></extra>",
    )
    apply_layout(fig, "Central-difference error against step h", height=420)
    x_title(fig, "step h", type="log", exponentformat="power")
    fig.update_yaxes(type="log", title_text="relative error", exponentformat="power")
    return fig
