"""Figures of one sample: probabilities, the gradient p − y, and the finite-difference check."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.figures.style import (
    FONT_SIZE,
    FOOT_LEGEND,
    PALETTE,
    Spec,
    arrow,
    axis,
    base_layout,
    class_xaxis,
    class_yaxis,
    figure,
    hline,
    merge,
    vline,
)
from ce_viz.fmt import fmt, fmt_signed, plotly_text

__all__ = [
    "fd_error_figure",
    "gradient_figure",
    "probability_figure",
]

#: From this many classes the bars lie down, one row per class: each name reads level and
#: whole, each value label has its row's height to itself at any screen width, and the
#: figure grows with K instead of squeezing the bars (at K = 20 standing bars left a
#: 390-pixel phone 13 pixels a class, and Plotly shrank their labels to 6 pixels).
LYING_FROM = 6
#: A lying bar's row: room for a 14-pixel value label beside the bar.
ROW_PX = 28
#: Value labels never shrink below this to fit their bar; a label that would is left out
#: (the hover and the table still give the value) rather than drawn too small to read.
UNIFORM_TEXT: Spec = {"minsize": 12, "mode": "hide"}
#: The value labels beside the bars.
VALUE_FONT = {"size": FONT_SIZE - 2}


def _lying(names: Sequence[str]) -> bool:
    """Whether the bars for these classes lie down (see ``LYING_FROM``)."""
    return len(names) >= LYING_FROM


def _bars_along(lying: bool, positions: list[int], values: list[float]) -> Spec:
    """A bar trace's coordinates: classes along x standing, along y lying."""
    if lying:
        return {"orientation": "h", "y": positions, "x": values}
    return {"x": positions, "y": values}


def _axes(names: Sequence[str], k: int | None, values: Spec) -> Spec:
    """The layout's axes and height: ``values`` is the value axis; the class axis runs
    along x for standing bars, and down y, first class on top, for lying ones."""
    if not _lying(names):
        return {"xaxis": class_xaxis(names, k), "yaxis": values}
    return {
        "xaxis": merge(values, {"automargin": True}),
        "yaxis": class_yaxis(names, k),
        "height": 240 + ROW_PX * len(names),
    }


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
    lying = _lying(names)
    v = "x" if lying else "y"  # the value axis
    x = list(range(len(names)))  # K <= 20 numbers: plain lists, cheaper than typed arrays
    hover_names = [plotly_text(n) for n in names]
    bars = [
        {
            "type": "bar",
            **_bars_along(lying, x, p_arr.tolist()),
            "name": "p = softmax(o/T)",
            "marker": {"color": PALETTE["p"]},
            "text": [fmt(v, 3) for v in p_arr],
            "textposition": "outside",
            "textfont": VALUE_FONT,
            "cliponaxis": False,
            "hovertemplate": f"%{{customdata}}<br>p = %{{{v}:.6f}}<extra></extra>",
            "customdata": hover_names,
        },
        {
            "type": "bar",
            **_bars_along(lying, x, y_arr.tolist()),
            "name": "target y",
            "marker": {"color": PALETTE["clear"], "line": {"color": PALETTE["y"], "width": 4}},
            "hovertemplate": f"%{{customdata}}<br>y = %{{{v}:.6f}}<extra></extra>",
            "customdata": hover_names,
            "width": 0.8,
        },
    ]
    # Lying, a label beside a bar of p near 1 needs room to the right of 1.
    values = axis(range=[0, 1.3 if lying else 1.12], title={"text": "probability"})
    layout = base_layout(
        "Probabilities p and target y",
        barmode="overlay",
        bargap=0.2,
        legend=FOOT_LEGEND,
        uniformtext=UNIFORM_TEXT,
        **_axes(names, k, merge(values, {"tickformat": ".1f"})),
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
    lying = _lying(names)
    v = "x" if lying else "y"  # the value axis
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
            **_bars_along(lying, x[mask].tolist(), g[mask].tolist()),
            "name": label,
            "marker": {"color": PALETTE[key], "pattern": {"shape": pattern}},
            "text": [fmt_signed(v) if v else "0" for v in g[mask]],
            "textposition": "outside",
            "textfont": VALUE_FONT,
            "cliponaxis": False,
            "customdata": [plotly_text(names[i]) for i in x[mask]],
            "hovertemplate": f"%{{customdata}}<br>∂L/∂o = %{{{v}:.6f}}<extra></extra>",
        }
        for mask, key, pattern, label in groups
    ]
    # Lying bars have no room beside them for arrows (and their colour, pattern and
    # signed label already say which way descent moves each logit); labels need room
    # beyond the longest bar on both sides.
    annotations = [] if lying else _descent_arrows(g)
    if annotations:
        traces.append(ARROW_LEGEND)
    pad = (0.75 if lying else 0.25) * scale
    values = axis(range=[-scale - pad, scale + pad], title={"text": "∂L/∂o"}, zeroline=False)
    zero = {"color": PALETTE["neutral"], "width": 1}
    layout = base_layout(
        "Gradient ∂L/∂o = p − y",
        barmode="relative",
        bargap=0.35,
        legend=FOOT_LEGEND,
        uniformtext=UNIFORM_TEXT,
        shapes=[vline(0, zero) if lying else hline(0, zero)],
        annotations=annotations,
        **_axes(names, k, values),
    )
    if not lying:  # room on the right for the last class's arrow
        layout["xaxis"] = merge(layout["xaxis"], {"range": [-0.6, len(names) - 0.1]})
    return figure(traces, layout)


#: The legend's entry for the descent arrows (a line sample; arrows have no legend).
ARROW_LEGEND: Spec = {
    "type": "scatter",
    "x": [None],
    "y": [None],
    "mode": "lines",
    "line": {"color": PALETTE["neutral"], "width": 3},
    "name": "arrow: descent step −∂L/∂o",
}


def _descent_arrows(g: np.ndarray) -> list[Spec]:
    """Arrows beside each standing bar: the step that gradient descent takes, −∂L/∂o, to
    scale."""
    return [
        arrow(
            (float(i) + 0.42, 0.0),
            (float(i) + 0.42, -float(gi)),
            PALETTE["raise"] if gi < 0 else PALETTE["lower"],
            width=3,
            size=1.2,
        )
        for i, gi in enumerate(g)
        if np.isfinite(gi) and gi != 0
    ]


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
