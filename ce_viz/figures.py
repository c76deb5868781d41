"""Plotly figure builders: arrays and labels in, ``go.Figure`` out.

No mathematics happens here: every number drawn is passed in, computed by the core.
The palette, the sign convention and the layout defaults live here and only here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.fmt import fmt, fmt_signed, plotly_text

__all__ = [
    "PALETTE",
    "PLOTLY_CONFIG",
    "fd_error_figure",
    "gradient_figure",
    "probability_figure",
]

#: Okabe–Ito colours: distinguishable with every common colour-vision deficiency.
PALETTE = {
    "p": "#0072B2",  # blue
    "y": "#E69F00",  # orange
    "raise": "#0072B2",  # negative gradient: descent raises this logit
    "lower": "#D55E00",  # positive gradient: descent lowers this logit
    "neutral": "#999999",
    "accent": "#009E73",  # bluish green
}

#: Shared by every chart: a camera button that saves a slide-sized PNG.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 3, "filename": "ce-viz"},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

FONT_SIZE = 16
TITLE_SIZE = 20


def _layout(fig: go.Figure, title: str, height: int = 480) -> go.Figure:
    """Apply the shared layout: type large enough to read when projected."""
    fig.update_layout(
        title={"text": title, "font": {"size": TITLE_SIZE}, "x": 0.0, "xanchor": "left"},
        font={"size": FONT_SIZE},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0.0},
        hoverlabel={"font": {"size": FONT_SIZE}},
        uirevision="keep",
    )
    # Set on the axes too: the Streamlit theme would otherwise shrink the tick labels.
    axis_font = {"tickfont": {"size": FONT_SIZE}, "title": {"font": {"size": FONT_SIZE}}}
    fig.update_xaxes(**axis_font)
    fig.update_yaxes(**axis_font)
    fig.update_layout(legend_font_size=FONT_SIZE)
    return fig


def _class_axis(fig: go.Figure, names: Sequence[str], k: int | None) -> None:
    """Classes on the x axis at 0..K-1, the true class marked with a star."""
    labels = [plotly_text(n) + (" ★" if i == k else "") for i, n in enumerate(names)]
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(range(len(names))),
        ticktext=labels,
        range=[-0.6, len(names) - 0.4],
        title_text=None,
    )


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
    _layout(fig, "Probabilities p and target y")
    fig.update_layout(barmode="overlay", bargap=0.2)
    fig.update_yaxes(range=[0, 1.12], title_text="probability", tickformat=".1f")
    _class_axis(fig, names, k)
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
        fig.add_annotation(
            x=i + 0.42,
            y=-gi,
            ax=i + 0.42,
            ay=0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=2,
            arrowsize=1.2,
            arrowwidth=3,
            arrowcolor=PALETTE["raise"] if gi < 0 else PALETTE["lower"],
            text="",
        )
    fig.add_scatter(
        x=[None],
        y=[None],
        mode="lines",
        line={"color": PALETTE["neutral"], "width": 3},
        name="arrow: descent step −∂L/∂o",
    )
    _layout(fig, "Gradient ∂L/∂o = p − y")
    fig.update_layout(barmode="relative", bargap=0.35)
    fig.add_hline(y=0, line={"color": PALETTE["neutral"], "width": 1})
    pad = 0.25 * scale
    fig.update_yaxes(range=[-scale - pad, scale + pad], title_text="∂L/∂o", zeroline=False)
    _class_axis(fig, names, k)
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
    _layout(fig, "Central-difference error against step h", height=420)
    fig.update_layout(legend_y=-0.3, margin_b=90)
    fig.update_xaxes(type="log", title_text="step h", exponentformat="power")
    fig.update_yaxes(type="log", title_text="relative error", exponentformat="power")
    return fig
