"""Figures for the "why it works" views: the softmax Jacobian, cross-entropy against MSE,
temperature, distillation and label smoothing. (The simplex is in ``simplex.py``.)"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from ce_viz.figures.style import (
    AXIS_TITLE_CHARS,
    CLASS_COLOURS,
    DIVERGING,
    FONT_SIZE,
    FOOT_LEGEND,
    LOG_TICKS,
    PALETTE,
    Spec,
    axis,
    base_layout,
    category_axis,
    class_categories,
    figure,
    short_label,
    vline,
)
from ce_viz.fmt import fmt, fmt_short, fmt_sig, plotly_text

__all__ = [
    "ce_vs_mse_figure",
    "distillation_figure",
    "jacobian_figure",
    "smoothing_figure",
    "temperature_figure",
    "temperature_gradient_figure",
]


#: The most labelled powers of ten on a log y axis: more decades than this are labelled
#: every second (third, ...) power, and none is labelled between them.
MAX_DECADE_LABELS = 7


def _log_yaxis(title: str, *curves: ArrayLike) -> Spec:
    """A log y axis labelled at powers of ten only (no crowded "2" and "5" between them),
    every n-th power where the curves span many decades.

    >>> _log_yaxis("g", [1e-3, 1.0])["dtick"], _log_yaxis("g", [1e-30, 0.0, 10.0])["dtick"]
    (1, 5)
    """
    values = np.concatenate([np.ravel(np.asarray(c, dtype=np.float64)) for c in curves])
    shown = values[np.isfinite(values) & (values > 0)]
    span = np.log10(shown.max()) - np.log10(shown.min()) if shown.size else 0.0
    step = max(1, int(np.ceil(span / MAX_DECADE_LABELS)))
    return axis(title={"text": title}, type="log", dtick=step, exponentformat="power")


#: Up to this many classes each Jacobian cell shows its value (at 12 px, in cells about
#: 40 px wide on a desk); from 11 on the numbers would run together, and the hover has them.
JACOBIAN_TEXT_CLASSES = 10


def jacobian_figure(J: ArrayLike, names: Sequence[str]) -> go.Figure:
    """Heatmap of the softmax Jacobian ``J[i, j] = dp_i/do_j`` with each value in its cell.

    Parameters
    ----------
    J : array_like, shape (K, K)
    names : sequence of str, length K
        Shortened on the axes, whole in the hover.
    """
    m = np.asarray(J, dtype=np.float64)
    labels = class_categories(names)
    limit = float(np.max(np.abs(m))) or 1.0
    heatmap = {
        "type": "heatmap",
        "z": m,
        "x": labels,
        "y": labels,
        "zmid": 0.0,
        "zmin": -limit,
        "zmax": limit,
        "colorscale": DIVERGING,
        "hovertemplate": "∂p(%{y}) / ∂o(%{x}) = %{z:.6f}<extra></extra>",
        "colorbar": {"title": {"text": "∂pᵢ/∂oⱼ"}},
    }
    K = len(names)
    if K <= JACOBIAN_TEXT_CLASSES:  # beyond, a cell is too small for its number: hover
        # Written by fmt, not by a texttemplate: Plotly's number format writes a hyphen for
        # minus, where every other number on the page has the true minus sign (U+2212).
        digits = 3 if K <= 8 else 2
        heatmap["text"] = [[fmt(float(v), digits, scientific=False) for v in row] for row in m]
        heatmap["texttemplate"] = "%{text}"
        heatmap["textfont"] = {"size": FONT_SIZE if K <= 6 else 12}
    layout = base_layout(
        "Softmax Jacobian (diag(p) − ppᵀ)/T",
        height=520,
        xaxis=category_axis(names, title={"text": "with respect to oⱼ"}, side="bottom"),
        yaxis=category_axis(
            names, slant=False, title={"text": "pᵢ"}, autorange="reversed", scaleanchor="x"
        ),
    )
    return figure([heatmap], layout)


def ce_vs_mse_figure(
    values: ArrayLike,
    ce_grad: ArrayLike,
    mse_grad: ArrayLike,
    current: float,
    label: str,
    origin: float | None = None,
    T: float = 1.0,
) -> go.Figure:
    """The size of the true-class gradient of cross-entropy and of MSE as its logit sweeps.

    Parameters
    ----------
    values : array_like, shape (n,)
        The true-class logit's values.
    ce_grad, mse_grad : array_like, shape (n,)
        ``|dL/do_k|`` for each loss at each value.
    current : float
        The current value of the logit, marked.
    label : str
        The logit's name, plain text; a long one is shortened.
    origin : float, optional
        The current value of the logit when ``values`` and ``current`` (then 0) are moves
        from it, for a logit too large to draw at its own value.
    T : float
        The temperature: cross-entropy's curve is ``|p_k − y_k| / T``, and its legend says
        so when ``T ≠ 1``.
    """
    x = np.asarray(values, dtype=np.float64)
    traces = [
        {
            "type": "scatter",
            "x": x,
            "y": np.asarray(ce_grad),
            "name": "cross-entropy: |pₖ − yₖ|" + ("" if T == 1 else f" ÷ T (T = {fmt_short(T)})"),
            "mode": "lines",
            "line": {"color": PALETTE["p"], "width": 4},
        },
        {
            "type": "scatter",
            "x": x,
            "y": np.asarray(mse_grad),
            "name": "MSE on p: |∂/∂oₖ Σ(p − y)²|",
            "mode": "lines",
            "line": {"color": PALETTE["lower"], "width": 4, "dash": "dash"},
        },
    ]
    name = short_label(label, AXIS_TITLE_CHARS)
    if origin is None:
        title = f"{name} (confidently wrong ← → right)"
    else:
        title = f"Δ{name} from {fmt_short(origin)} (wrong ← → right)"
    layout = base_layout(
        "Gradient on the true class: cross-entropy against MSE",
        height=460,
        xaxis=axis(title={"text": title}, automargin=True),
        yaxis=_log_yaxis("|∂L/∂oₖ|  (log scale)", ce_grad, mse_grad),
        legend=FOOT_LEGEND,
        shapes=[vline(current, {"color": PALETTE["neutral"], "dash": "dot"})],
    )
    return figure(traces, layout)


def temperature_figure(
    temperatures: ArrayLike, probabilities: ArrayLike, names: Sequence[str], current: float
) -> go.Figure:
    """Each class's probability against the temperature (log scale), the current T marked.

    Parameters
    ----------
    temperatures : array_like, shape (n,)
    probabilities : array_like, shape (n, K)
        ``softmax(o / T)`` at each temperature.
    names : sequence of str, length K
        Shortened in the legend, whole in the hover.
    current : float
    """
    ts = np.asarray(temperatures, dtype=np.float64)
    p = np.asarray(probabilities, dtype=np.float64)
    lines = [
        {
            "type": "scatter",
            "x": ts,
            "y": p[:, i],
            "mode": "lines",
            "name": short_label(name),
            # The whole name goes in through meta: a "%{" in a name stays text.
            "meta": [plotly_text(name)],
            "hovertemplate": "%{meta[0]}<br>T = %{x:.3g}, p = %{y:.4f}<extra></extra>",
            "line": {
                "color": CLASS_COLOURS[i % len(CLASS_COLOURS)],
                "width": 3,
                "dash": ["solid", "dash", "dot", "dashdot"][i // len(CLASS_COLOURS) % 4],
            },
        }
        for i, name in enumerate(names)
    ]
    layout = base_layout(
        "Temperature: low T sharpens p, high T flattens it",
        height=440,
        xaxis=axis(title={"text": "temperature T (log scale)"}, **LOG_TICKS, automargin=True),
        yaxis=axis(title={"text": "p = softmax(o/T)"}, range=[0, 1.02]),
        legend=FOOT_LEGEND,
        shapes=[vline(current, {"color": PALETTE["neutral"], "dash": "dot"})],
    )
    return figure(lines, layout)


def distillation_figure(
    temperatures: ArrayLike, unscaled: ArrayLike, scaled: ArrayLike
) -> go.Figure:
    """The soft-target gradient's size against T, with and without the T² factor (log-log).

    Parameters
    ----------
    temperatures, unscaled, scaled : array_like, shape (n,)
        ``‖(p_s − p_t)/T‖`` and ``‖T (p_s − p_t)‖`` at each temperature.
    """
    ts = np.asarray(temperatures, dtype=np.float64)
    traces = [
        {
            "type": "scatter",
            "x": ts,
            "y": np.asarray(unscaled),
            "name": "gradient of H(pₜ, pₛ): fades like 1/T²",
            "mode": "lines",
            "line": {"color": PALETTE["lower"], "width": 4, "dash": "dash"},
        },
        {
            "type": "scatter",
            "x": ts,
            "y": np.asarray(scaled),
            "name": "gradient of T² · H(pₜ, pₛ): steady",
            "mode": "lines",
            "line": {"color": PALETTE["p"], "width": 4},
        },
    ]
    layout = base_layout(
        "Distillation: why the soft-target loss is multiplied by T²",
        height=440,
        xaxis=axis(title={"text": "temperature T (log scale)"}, **LOG_TICKS, automargin=True),
        yaxis=_log_yaxis("‖∂/∂oₛ‖ of the student  (log scale)", unscaled, scaled),
        legend=FOOT_LEGEND,
    )
    return figure(traces, layout)


def smoothing_figure(
    eps_values: ArrayLike, gaps: ArrayLike, current_eps: float, current_gap: float
) -> go.Figure:
    """The optimal logit gap against label smoothing ε: finite for every ε > 0.

    Parameters
    ----------
    eps_values, gaps : array_like, shape (n,)
        ε and ``log((1 − ε + ε/K)/(ε/K))``.
    current_eps, current_gap : float
        The current ε and its gap, marked (skipped when ε = 0).
    """
    traces: list[Spec] = [
        {
            "type": "scatter",
            "x": np.asarray(eps_values),
            "y": np.asarray(gaps),
            "mode": "lines",
            "name": "optimal gap oₖ − oⱼ",
            "line": {"color": PALETTE["y"], "width": 4},
        }
    ]
    if current_eps > 0:
        traces.append(
            {
                "type": "scatter",
                "x": [current_eps],
                "y": [current_gap],
                "mode": "markers",
                "name": "your ε",
                "marker": {"size": 14, "color": PALETTE["lower"], "symbol": "diamond"},
            }
        )
    layout = base_layout(
        "Label smoothing keeps the optimal logits finite",
        height=420,
        xaxis=axis(title={"text": "label smoothing ε (log scale)"}, **LOG_TICKS, automargin=True),
        yaxis=axis(title={"text": "gap at the minimum"}, rangemode="tozero"),
        legend=FOOT_LEGEND,
    )
    return figure(traces, layout)


def temperature_gradient_figure(
    temperatures: ArrayLike,
    norms: ArrayLike,
    reference: ArrayLike,
    current: float,
    current_norm: float,
    anchor: float,
) -> go.Figure:
    """The gradient's size ``‖(p_T − y)/T‖`` against T on log–log axes, beside the line that
    falls exactly like 1/T, with the current T marked.

    Parameters
    ----------
    temperatures, norms, reference : array_like, shape (n,)
        The sweep, the gradient's size at each T, and ``c/T`` through ``anchor``.
    current, current_norm : float
        The current T and the gradient's size there, marked (the point only when > 0).
    anchor : float
        The T where the 1/T line meets the curve: ``current``, unless the gradient is 0
        there.
    """
    ts = np.asarray(temperatures, dtype=np.float64)
    where = "your T" if anchor == current else f"T = {fmt_sig(anchor)}"
    traces: list[Spec] = [
        {
            "type": "scatter",
            "x": ts,
            "y": np.asarray(norms, dtype=np.float64),
            "name": "‖∂L/∂o‖ = ‖p − y‖ ÷ T",
            "mode": "lines",
            "line": {"color": PALETTE["p"], "width": 4},
            "hovertemplate": "T = %{x:.3g}<br>‖∂L/∂o‖ = %{y:.4g}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": ts,
            "y": np.asarray(reference, dtype=np.float64),
            "name": f"exactly 1/T, through {where}",
            "mode": "lines",
            "line": {"color": PALETTE["lower"], "width": 3, "dash": "dash"},
            "hovertemplate": "T = %{x:.3g}<br>c/T = %{y:.4g}<extra></extra>",
        },
    ]
    if current_norm > 0:
        traces.append(
            {
                "type": "scatter",
                "x": [current],
                "y": [current_norm],
                "name": f"your T = {fmt_short(current)}",
                "mode": "markers",
                "marker": {"size": 14, "color": PALETTE["p"], "symbol": "diamond"},
                "hovertemplate": "T = %{x:.4g}<br>‖∂L/∂o‖ = %{y:.4g}<extra></extra>",
            }
        )
    layout = base_layout(
        "The gradient scales like 1/T",
        height=440,
        xaxis=axis(title={"text": "temperature T (log scale)"}, **LOG_TICKS, automargin=True),
        yaxis=_log_yaxis("‖∂L/∂o‖  (log scale)", norms, reference),
        legend=FOOT_LEGEND,
        shapes=[vline(current, {"color": PALETTE["neutral"], "dash": "dot"})],
    )
    return figure(traces, layout)
